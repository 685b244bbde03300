// Reading a JSON input file (a scenario, a trace) as untrusted input: shared by the scenario
// loader (models/) and the trace loader (traces/), header-only so that sim/ itself does not
// depend on nlohmann/json.
//
// Every way a file can be wrong is one JsonInputError whose message names the file and, where
// there is one, the JSON path: a path that is a directory or not a regular file (a FIFO is never
// opened, so it cannot block), an unreadable file, malformed JSON, a number beyond a double
// (1e400), nesting deeper than kMaxJsonDepth, a duplicate key.
#pragma once
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vcpucheck::sim {

// A message as one line: control characters (a key or a file name may hold a newline) escaped.
inline std::string one_line(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == '\n') o += "\\n";
    else if (c == '\t') o += "\\t";
    else if (c == '\r') o += "\\r";
    else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      o += "\\x";
      o += hex[c >> 4];
      o += hex[c & 15];
    } else {
      o += static_cast<char>(c);
    }
  }
  return o;
}

class JsonInputError : public std::runtime_error {
 public:
  JsonInputError(const std::string& file, const std::string& path, const std::string& what)
      : std::runtime_error(one_line(file + ": " + (path.empty() ? "" : "at " + path + ": ") + what)), path_(path), what_(what) {}
  const std::string& path() const { return path_; }
  const std::string& reason() const { return what_; }

 private:
  std::string path_, what_;
};

inline constexpr int kMaxJsonDepth = 64;

namespace json_detail {
// "/a/b" with RFC 6901 escaping.
inline std::string pointer(const std::vector<std::string>& keys) {
  std::string p;
  for (const auto& k : keys) {
    p += '/';
    for (char c : k) p += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  }
  return p;
}
}  // namespace json_detail

// Parses `text` (from `file`, for messages).
inline nlohmann::json parse_json_text(const std::string& text, const std::string& file) {
  // Depth first, by a scan outside strings: the parser recurses, and a deep input must not
  // exhaust the stack.
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t line = 1;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw JsonInputError(file, "", "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (line " +
                                           std::to_string(line) + ")");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  // Duplicate keys: the parser keeps the last silently; a checker input must not.
  struct Frame {
    bool object;
    std::vector<std::string> keys;
    size_t index = 0;
  };
  std::vector<Frame> stack;
  std::vector<std::string> path;
  std::string duplicate;
  auto cb = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (ev) {
      case E::object_start:
      case E::array_start:
        if (!stack.empty() && !stack.back().object) path.push_back(std::to_string(stack.back().index++));
        stack.push_back(Frame{ev == E::object_start, {}});
        break;
      case E::key: {
        std::string k = parsed.get<std::string>();
        Frame& f = stack.back();
        for (const auto& seen : f.keys)
          if (seen == k && duplicate.empty()) {
            std::vector<std::string> at = path;
            at.push_back(k);
            duplicate = json_detail::pointer(at);
          }
        f.keys.push_back(k);
        path.push_back(k);
        break;
      }
      case E::object_end:
      case E::array_end:
        stack.pop_back();
        if (!path.empty()) path.pop_back();
        break;
      case E::value:
        if (!stack.empty()) {
          if (stack.back().object)
            path.pop_back();
          else
            ++stack.back().index;
        }
        break;
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, cb);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    auto p = what.find("] ");
    throw JsonInputError(file, "", "malformed JSON: " + (p == std::string::npos ? what : what.substr(p + 2)));
  }
  if (!duplicate.empty()) throw JsonInputError(file, duplicate, "duplicate key");
  return j;
}

// Reads and parses a JSON file.
inline nlohmann::json read_json(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw JsonInputError(file, "", std::string("cannot open the file: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw JsonInputError(file, "", "is a directory, not a JSON file");
  if (!S_ISREG(st.st_mode)) throw JsonInputError(file, "", "is not a regular file (a FIFO, a device or a socket)");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw JsonInputError(file, "", std::string("cannot open the file: ") + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw JsonInputError(file, "", "cannot read the file");
  return parse_json_text(ss.str(), file);
}

}  // namespace vcpucheck::sim
