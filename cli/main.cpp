// vcpucheck: list | explore SCENARIO | replay TRACE | run DIR-OR-FILES
#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include "cli.hpp"
#include "monitor.hpp"
#include "sim/fault.hpp"
#include "traces/trace.hpp"

using namespace vcpucheck;

namespace {

const char* kUsage =
    "usage: vcpucheck [--load MODELS.so]... [--watchdog SECONDS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  list [--json]                      models, their operations and bug switches\n"
    "  explore SCENARIO [options]         explore one scenario's interleavings\n"
    "      --strategy dpor|random|pct  --seed N  --executions N  --preemptions N\n"
    "      --max-steps N  --depth D  --memory sc|tso  --trace-out PATH\n"
    "      --progress SECONDS  --time-limit SECONDS\n"
    "  replay TRACE [--verbose]           re-execute a trace and print its interleaved event log\n"
    "  run DIR|FILES... [options]         run scenario files and check their expected verdicts\n"
    "      --jobs N  --junit FILE  --sarif FILE  --traces-dir DIR (default traces-out)\n"
    "      --progress SECONDS  --time-limit SECONDS, and explore's search options\n"
    "\n"
    "--watchdog S: a model thread that runs S seconds (default 10; 0: never) without a visible\n"
    "operation is stopped and reported as a model-crash, as a null dereference, a stack overflow\n"
    "or abort() in model code are.\n"
    "--progress S: progress on stderr, a live line on a terminal, else a line every S seconds\n"
    "(default 10; 0: none). SIGINT, SIGTERM or --time-limit end the search cleanly with its summary\n"
    "so far; a second SIGINT or SIGTERM ends vcpucheck at once.\n"
    "\n"
    "exit codes: 0 no violation / every expectation met; 1 a violation / an expectation missed;\n"
    "            2 bad input or usage; 3 interrupted (SIGINT, SIGTERM, --time-limit): incomplete\n";

void load_plugin(const std::string& path, models::Registry& reg) {
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw cli::UsageError(path + ": cannot load models: " + ::dlerror());
  using Fn = void (*)(models::Registry&);
  auto fn = reinterpret_cast<Fn>(::dlsym(h, "vcpucheck_register_models"));
  if (!fn) throw cli::UsageError(path + ": no `extern \"C\" void vcpucheck_register_models(Registry&)` in it");
  std::error_code ec;
  const std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  reg.set_loading(ec ? path : abs);  // the printed replay command works from any directory
  try {
    fn(reg);
  } catch (const std::exception& e) {
    reg.set_loading("");
    throw cli::UsageError(path + ": registering its models failed: " + e.what());
  }
  reg.set_loading("");
}

// Runs a command; bad input or usage is one line on stderr and exit 2.
int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const cli::UsageError& e) {
    std::cerr << "vcpucheck: " << e.what() << "\n";
  } catch (const models::InputError& e) {
    std::cerr << "vcpucheck: " << e.what() << "\n";
  } catch (const traces::TraceError& e) {
    std::cerr << "vcpucheck: " << e.what() << "\n";
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  models::Registry reg;
  std::vector<std::string> rest;
  int early = -1;
  cli::install_stop_handlers();
  int code = guarded([&] {
    models::register_builtin_models(reg);
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--load") {
        if (i + 1 >= args.size()) throw cli::UsageError("--load needs a path to a shared library");
        load_plugin(args[++i], reg);
      } else if (args[i] == "--watchdog") {
        if (i + 1 >= args.size()) throw cli::UsageError("--watchdog needs a number of seconds (0 turns it off)");
        const std::string& v = args[++i];
        unsigned long secs = 0;
        size_t used = 0;
        try {
          secs = std::stoul(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != v.size() || v.empty() || v[0] == '-' || secs > 86400)
          throw cli::UsageError("--watchdog expects whole seconds from 0 to 86400, got '" + v + "'");
        sim::set_watchdog_seconds(static_cast<double>(secs));
      } else if (args[i] == "-h" || args[i] == "--help") {
        std::cout << kUsage;
        early = 0;
        return 0;
      } else if (args[i] == "--version") {
        std::cout << traces::kToolVersion << "\n";
        early = 0;
        return 0;
      } else {
        rest.push_back(args[i]);
      }
    }
    if (rest.empty()) throw cli::UsageError("no command given (list, explore, replay or run; see vcpucheck --help)");
    return 0;
  });
  if (code != 0 || early == 0) return code;
  const std::string cmd = rest[0];
  rest.erase(rest.begin());
  if (cmd == "explore") {
    // In a child process: a model that crashes where no fiber can catch it (a destructor) is a
    // reported model-crash, not a dead vcpucheck. run isolates each scenario the same way.
    const std::string file = rest.empty() ? "explore" : rest[0];
    return cli::in_child(file, [&] { return guarded([&] { return cli::cmd_explore(reg, rest); }); });
  }
  return guarded([&] {
    if (cmd == "list") return cli::cmd_list(reg, rest);
    if (cmd == "replay") return cli::cmd_replay(reg, rest);
    if (cmd == "run") return cli::cmd_run(reg, rest);
    throw cli::UsageError("unknown command '" + cmd + "' (list, explore, replay or run; see vcpucheck --help)");
  });
}
