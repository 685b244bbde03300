// libFuzzer harness for the scenario loader: any bytes are either a scenario or one InputError
// naming the file, on one line. Anything else -- a crash, a hang, another exception, a message
// without the file or over several lines -- is a finding (tests/fuzz/run_fuzz.sh).
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "models/scenario.hpp"
#include "sim/json_input.hpp"

using namespace vcpucheck;

using fuzz::one_line_naming;
using fuzz::registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* file = "fuzz.json";
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json j = sim::parse_json_text(text, file);
    const models::Scenario s = models::parse_scenario(j, file, registry());
    (void)s;
  } catch (const models::InputError& e) {
    one_line_naming(e.what(), file);
  } catch (const sim::JsonInputError& e) {
    one_line_naming(e.what(), file);
  }
  return 0;
}
