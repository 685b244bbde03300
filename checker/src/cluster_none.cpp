// A build without MPI (cluster.hpp): no process joins a job of several ranks.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "checker/cluster.hpp"

namespace vcpucheck::checker {

bool cluster_built() { return false; }

std::unique_ptr<Cluster> Cluster::join(unsigned) {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})  // Open MPI's launcher; PMI (srun, MPICH)
    if (const char* s = std::getenv(v); s && std::string(s) != "1")
      throw std::runtime_error(
          "an MPI launcher started this vcpucheck as one of " + std::string(s) +
          " ranks, but it was built without MPI (install libopenmpi-dev and rebuild): refusing to run the search "
          "once per rank");
  return nullptr;
}

}  // namespace vcpucheck::checker
