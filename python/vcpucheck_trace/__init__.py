"""vcpucheck_trace: tools over vcpucheck traces (python/vcpucheck-trace), on the standard library only."""
