// One search over the ranks of an MPI job (`mpirun -n K vcpucheck explore S.json`, or under
// Slurm's srun): rank 0 runs the search on its threads, and every other rank's threads explore the
// branches it hands them (remote_branches.hpp), so the result is the sequential search's on any
// number of ranks. Only rank 0 prints and writes traces.
//
// Built only where CMake finds MPI (Debian: libopenmpi-dev); without it, a process an MPI launcher
// started refuses to run a search of several ranks rather than run K copies of it.
#pragma once
#include <memory>

#include "checker/remote_branches.hpp"

namespace vcpucheck::checker {

class Cluster {
 public:
  // Joins the MPI job this process was started in, with `threads` threads to offer (on a rank
  // other than 0); nullptr when no MPI launcher started it. Throws std::runtime_error when one
  // did and this build has no MPI.
  static std::unique_ptr<Cluster> join(unsigned threads);
  virtual ~Cluster() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank 0: the other ranks' threads, for explore_dpor.
  virtual Remote& remote() = 0;
  // Any other rank: explores the branches rank 0 sends until its search is over.
  virtual void serve(const Setup& setup, const ExploreOptions& o) = 0;
};

// Whether this build can join an MPI job.
bool cluster_built();

}  // namespace vcpucheck::checker
