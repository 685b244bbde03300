// vcpucheck: list | explore SCENARIO | replay TRACE | run DIR-OR-FILES (the grammar: commands.cpp)
#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "monitor.hpp"
#include "run_case.hpp"
#include "sim/fault.hpp"
#include "sim/machine/program.hpp"
#include "traces/trace.hpp"

using namespace vcpucheck;

namespace {

void load_plugin(const std::string& path, models::Registry& reg) {
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw cli::UsageError(path + ": cannot load models: " + ::dlerror());
  // Its guest programs (vcpucheck_add_guest_program) registered themselves as it was loaded.
  if (const auto taken = sim::machine::take_guest_program_conflicts(); !taken.empty())
    throw cli::UsageError(path + ": guest program " + taken.front() + ": the name is already taken");
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
  models::Registry reg;
  cli::Invocation inv;
  cli::install_stop_handlers();
  int code = guarded([&] {
    inv = cli::parse_command_line(argc, argv);
    if (inv.command.empty()) return 0;
    models::register_builtin_models(reg);
    for (const auto& lib : inv.load) load_plugin(lib, reg);
    if (inv.watchdog) {
      const std::string& v = *inv.watchdog;
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
    }
    return 0;
  });
  if (code != 0 || inv.command.empty()) return code != 0 ? code : inv.exit_code;
  const cli::Parsed& p = inv.options;
  if (inv.command == "explore") {
    // In a child process: a model that crashes where no fiber can catch it (a destructor) is a
    // reported model-crash, not a dead vcpucheck. run isolates each scenario the same way.
    const std::string file = p.positional.empty() ? "explore" : p.positional[0];
    return cli::in_child(file, [&] { return guarded([&] { return cli::cmd_explore(reg, p); }); });
  }
  return guarded([&] {
    if (inv.command == "list") return cli::cmd_list(reg, p);
    if (inv.command == "replay") return cli::cmd_replay(reg, p);
    if (inv.command == "run-scenario") return cli::cmd_run_scenario(reg, p);
    std::vector<std::string> self = {argv[0]};
    for (const auto& lib : inv.load) self.insert(self.end(), {"--load", lib});
    if (inv.watchdog) self.insert(self.end(), {"--watchdog", *inv.watchdog});
    return cli::cmd_run(reg, p, self);
  });
}
