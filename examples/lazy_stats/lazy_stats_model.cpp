// example.lazy-stats: the harness of lazy_stats.c -- a model whose code is kernel-style C,
// compiled with vcpucheck_add_c_model. Each operation calls a C entry point through
// sim::c::call; the World is the C code's shared memory for one execution.
#include <models/registry.hpp>
#include <sim/c/world.hpp>

#include "lazy_stats.h"

using namespace vcpucheck;

namespace {

struct LazyStats : models::Instance {
  sim::c::World c;
  struct vm* vm;
  LazyStats(sim::Execution& x, const models::Config& cfg) : c(x, cfg.switches), vm(vm_create()) {}
};

}  // namespace

extern "C" void vcpucheck_register_models(models::Registry& r) {
  models::ModelDef m;
  m.name = "example.lazy-stats";
  m.help = "a VM's stats block created on first use with double-checked locking, in kernel C (out-of-tree example)";
  m.switches = {{"plain-publish", "publish the stats pointer with WRITE_ONCE/READ_ONCE instead of release/acquire"}};
  m.ops = {
      models::op<LazyStats>("stats_read", "the stats ioctl: vm_stats_read(vm)", {},
                            [](LazyStats& s, sim::Execution&, const models::Args&) {
                              (void)sim::c::call([&] { return vm_stats_read(s.vm); });
                            }),
      models::op<LazyStats>("exit", "a vCPU exit counted into the stats: vm_exit_count(vm)", {},
                            [](LazyStats& s, sim::Execution&, const models::Args&) { sim::c::call([&] { vm_exit_count(s.vm); }); }),
  };
  m.create = [](sim::Execution& x, const models::Config& c) { return std::make_shared<LazyStats>(x, c); };
  r.add(std::move(m));
}
