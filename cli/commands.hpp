// The command line's grammar: every command, its arguments and options with their help, parsed
// by CLI11. `vcpucheck --help`, `vcpucheck COMMAND --help`, `--version` and the man page
// (help2man, at build time) all come from this one table. Numbers and file contents are checked
// by the commands themselves (options.hpp), so every mistake is one line naming the option.
#pragma once
#include <string>
#include <vector>

#include "options.hpp"

namespace vcpucheck::cli {

struct Invocation {
  std::vector<std::string> load;  // --load MODELS.so, in order
  std::optional<std::string> watchdog;
  std::string command;  // "" when help or the version was printed
  Parsed options;
  int exit_code = 0;  // for help and --version: 0
};

// Parses argv; prints help or the version itself (command stays ""). A UsageError otherwise.
Invocation parse_command_line(int argc, char** argv);

// The options of `p` that `command` takes, as arguments ("--seed", "3", "--keep-going"), in the
// table's order: how run passes its search options on to a scenario's search process.
std::vector<std::string> command_arguments(const Parsed& p, const std::string& command);

}  // namespace vcpucheck::cli
