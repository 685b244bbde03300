// libFuzzer harness for the trace loader, as `vcpucheck replay` uses it: the trace, then the
// scenario embedded in it. Any bytes are a trace or one error naming the file, on one line.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "models/scenario.hpp"
#include "sim/json_input.hpp"
#include "traces/trace.hpp"

using namespace vcpucheck;

using fuzz::one_line_naming;
using fuzz::registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* file = "fuzz.trace.json";
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const traces::Trace t = traces::parse_trace(sim::parse_json_text(text, file), file);
    const models::Scenario s = models::parse_scenario(t.scenario, file, registry());
    (void)s;
  } catch (const traces::TraceError& e) {
    one_line_naming(e.what(), file);
  } catch (const models::InputError& e) {
    one_line_naming(e.what(), file);
  } catch (const sim::JsonInputError& e) {
    one_line_naming(e.what(), file);
  }
  return 0;
}
