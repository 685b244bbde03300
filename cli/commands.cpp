#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cassert>
#include <iostream>
#include <map>
#include <memory>

#include "cli.hpp"
#include "traces/trace.hpp"

namespace vcpucheck::cli {

namespace {

struct OptionSpec {
  const char* name;   // without the dashes
  const char* value;  // "N", "FILE"...; nullptr for a flag
  const char* help;
};

struct CommandSpec {
  const char* name;
  bool hidden;  // run's own search process (run_case.hpp): not in --help, the man page or errors
  const char* args;  // the positional arguments' name, "" when none
  const char* args_help;
  const char* help;
  std::vector<OptionSpec> options;
};

const std::vector<OptionSpec>& search_options() {
  static const std::vector<OptionSpec> o = {
      {"strategy", "dpor|random|pct|pos", "the search: exhaustive DPOR (default), random walks, PCT, or partial order sampling"},
      {"seed", "N", "seed of random, pct and pos (dpor draws no random numbers)"},
      {"executions", "N", "executions to run (random, pct, pos) or at most (dpor)"},
      {"preemptions", "N", "dpor: explore every trace with a schedule of at most N preemptions (context bounding)"},
      {"max-steps", "N", "steps after which one execution is cut (a cut search is never a plain pass)"},
      {"depth", "D", "pct: the bug depth"},
      {"memory", "sc|tso", "the memory model: sequential consistency or x86-TSO store buffers"},
      {"no-minimize", nullptr, "print and write the counterexample as first found, not minimized"},
      {"keep-going", nullptr, "go on after a violation: report every distinct one (kind, object, locations), each "
                              "with its own minimized trace"},
      {"max-violations", "N", "with --keep-going: stop after N distinct violations (default 10)"},
  };
  return o;
}

// How a search is watched: by the process the user started.
const std::vector<OptionSpec>& watch_options() {
  static const std::vector<OptionSpec> o = {
      {"progress", "SECONDS", "a progress line on stderr every SECONDS when it is not a terminal (default 10; 0: none)"},
      {"time-limit", "SECONDS", "end the search cleanly after SECONDS, as SIGINT does (exit 3 when nothing failed)"},
  };
  return o;
}

std::vector<OptionSpec> with_search(std::vector<OptionSpec> own, bool watched = true) {
  if (watched) own.insert(own.begin(), watch_options().begin(), watch_options().end());
  own.insert(own.begin(), search_options().begin(), search_options().end());
  return own;
}

const OptionSpec kTracesDir = {"traces-dir", "DIR",
                               "root of the trace tree mirroring the scenario paths (default traces-out)"};

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> c = {
      {"list", false, "", "", "List the models, their operations, parameters and bug switches.",
       {{"json", nullptr, "print them as JSON"}}},
      {"explore", false, "SCENARIO", "the scenario file (JSON, scenarios/scenario.schema.json)",
       "Explore one scenario's interleavings; on a violation print the report, write the minimized trace and the "
       "command that replays it.",
       with_search({{"trace-out", "PATH", "where to write the counterexample trace (default: traces-out/ mirroring "
                                          "the scenario's path)"},
                    {"jobs", "N", "dpor: host threads the one search runs on (default 1; the result is the same for "
                                  "every N)"}})},
      {"replay", false, "TRACE", "a trace written by explore or run (traces/trace.schema.json)", "Re-execute a trace, print its interleaved event log, and check it still reproduces.",
       {{"verbose", nullptr, "add each step's raw operation, object and value"}}},
      {"run", false, "PATHS", "scenario files, and directories searched for them (*.trace.json files are not scenarios)",
       "Run scenario files (directories recursively) and check each against its expected verdict; print every "
       "failure in full.",
       with_search({{"jobs", "N", "scenarios explored in parallel (output stays in file order)"},
                    {"junit", "FILE", "write a JUnit XML report (Jenkins, GitLab, GitHub)"},
                    {"sarif", "FILE", "write a SARIF 2.1.0 report (GitHub code scanning)"},
                    kTracesDir})},
      {"run-scenario", true, "", "", "The search process of one scenario of run.",
       with_search({{"scenario", "FILE", "the scenario file (given as --scenario=FILE: it may begin with a dash)"},
                    kTracesDir},
                   false)},
  };
  return c;
}

const char* kFooter =
    "Exit codes: 0 no violation / every expectation met / reproduced; 1 a violation, an expectation missed, a search "
    "cut by --max-steps, or a trace that no longer reproduces; 2 bad input or usage (one line naming the file and "
    "field); 3 interrupted (SIGINT, SIGTERM, --time-limit) before the search was done, with nothing failed.";

const CommandSpec* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

std::string known_options(const CommandSpec& c) {
  std::string k;
  for (const auto& o : c.options) k += (k.empty() ? "--" : ", --") + std::string(o.name);
  return k.empty() ? "none" : k;
}

std::string command_list() {
  std::vector<std::string> shown;
  for (const auto& c : commands())
    if (!c.hidden) shown.push_back(c.name);
  std::string s;
  for (size_t i = 0; i < shown.size(); ++i) s += (i == 0 ? "" : i + 1 == shown.size() ? " or " : ", ") + shown[i];
  return s;
}

}  // namespace

Invocation parse_command_line(int argc, char** argv) {
  CLI::App app("A deterministic simulator and model checker for vCPU lifecycle protocols.", "vcpucheck");
  app.set_version_flag("--version", traces::kToolVersion);
  app.footer(kFooter);
  app.require_subcommand(0, 1);
  Invocation inv;
  std::string watchdog;
  app.add_option("--load", inv.load, "load models from a shared library (before the command; repeatable)")
      ->type_name("MODELS.so")
      ->allow_extra_args(false);
  app.add_option("--watchdog", watchdog,
                 "a model thread that runs this long without a visible operation is reported as a model-crash "
                 "(default 10; 0: never)")
      ->type_name("SECONDS");
  // Values are kept as text: the commands check them and name the option in their errors.
  struct Bound {
    const CommandSpec* spec;
    CLI::App* sub;
    std::vector<std::string> positional;
    std::map<std::string, std::string> values;
    std::map<std::string, CLI::Option*> opts;
  };
  std::vector<std::unique_ptr<Bound>> bound;
  for (const auto& c : commands()) {
    auto b = std::make_unique<Bound>();
    b->spec = &c;
    b->sub = app.add_subcommand(c.name, c.help);
    b->sub->footer(kFooter);
    if (c.hidden) b->sub->group("");
    if (*c.args) b->sub->add_option(c.args, b->positional, c.args_help)->type_name("")->expected(0, -1);
    for (const auto& o : c.options) {
      const std::string flag = std::string("--") + o.name;
      if (o.value)
        b->opts[o.name] = b->sub->add_option(flag, b->values[o.name], o.help)->type_name(o.value);
      else
        b->opts[o.name] = b->sub->add_flag(flag, o.help);
    }
    bound.push_back(std::move(b));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    inv.exit_code = app.exit(e);
    return inv;
  } catch (const CLI::CallForAllHelp& e) {
    inv.exit_code = app.exit(e);
    return inv;
  } catch (const CLI::CallForVersion& e) {
    inv.exit_code = app.exit(e);
    return inv;
  } catch (const CLI::ExtrasError& e) {
    // The first argument nobody took: an unknown option of the command, or an unknown command.
    for (const auto& b : bound)
      if (b->sub->parsed())
        for (const std::string& x : b->sub->remaining()) {
          if (x.rfind("-", 0) != 0)
            throw UsageError(std::string(b->spec->name) + " takes no arguments, got '" + x + "'" +
                             (std::string(b->spec->name) == "list" ? " (did you mean `vcpucheck explore`?)" : ""));
          throw UsageError("unknown option '" + x + "' for '" + b->spec->name + "' (known: " + known_options(*b->spec) +
                           ")");
        }
    for (const std::string& x : app.remaining())
      throw UsageError((x.rfind("-", 0) == 0 ? "unknown option '" + x + "'" : "unknown command '" + x + "'") + " (" +
                       command_list() + "; see vcpucheck --help)");
    throw UsageError(e.what());
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (const auto& b : bound)
      if (b->sub->parsed()) what = std::string(b->spec->name) + ": " + what;
    throw UsageError(what);
  }
  if (!watchdog.empty() || app.count("--watchdog")) inv.watchdog = watchdog;
  for (const auto& b : bound) {
    if (!b->sub->parsed()) continue;
    inv.command = b->spec->name;
    inv.options.positional = b->positional;
    for (const auto& entry : b->opts) {
      const std::string& name = entry.first;
      if (entry.second->count() == 0) continue;
      const auto spec = std::find_if(b->spec->options.begin(), b->spec->options.end(),
                                      [&](const OptionSpec& o) { return name == o.name; });
      if (spec->value)
        inv.options.values[name] = b->values[name];
      else
        inv.options.flags.insert(name);
    }
  }
  if (inv.command.empty())
    throw UsageError("no command given (" + command_list() + "; see vcpucheck --help)");
  return inv;
}

std::vector<std::string> command_arguments(const Parsed& p, const std::string& command) {
  const CommandSpec* c = find_command(command);
  assert(c && "command_arguments: no such command");
  std::vector<std::string> args;
  for (const auto& o : c->options) {
    if (o.value) {  // --name=value: a value beginning with a dash is still the value
      if (auto v = p.get(o.name)) args.push_back(std::string("--") + o.name + "=" + *v);
    } else if (p.flags.count(o.name)) {
      args.push_back(std::string("--") + o.name);
    }
  }
  return args;
}

}  // namespace vcpucheck::cli
