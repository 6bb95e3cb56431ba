// Where this process stands in a multi-process run, read from the variables a
// launcher sets: torchrun (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT), SLURM's srun (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, the first host of the node list) or Open MPI's mpirun
// (OMPI_COMM_WORLD_*). hornet-train's own launcher sets torchrun's variables.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace hornet::distributed {

struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  /// Rendezvous: rank 0 holds a TCPStore at this address and port.
  std::string master_addr;
  int master_port = 0;
  /// "torchrun", "slurm", "openmpi" or "single".
  std::string source = "single";

  bool distributed() const { return world_size > 1; }
  /// "rank 1 of 2 (local 1 of 2), rendezvous 127.0.0.1:29500, from torchrun".
  std::string str() const;
};

/// Reads a variable; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> process_env(const std::string& name);

/// The launch environment; throws std::invalid_argument naming the variable
/// that is missing or malformed (a rank outside the world, MASTER_ADDR unset
/// for a multi-process run, ...).
LaunchEnvironment detect_environment(const EnvLookup& env = process_env);

/// The first host of a SLURM node list: "gpu[003-004,010],cpu1" -> "gpu003".
std::string first_slurm_host(const std::string& nodelist);

/// The rendezvous port used when a launcher gives none (torchrun's default).
constexpr int kDefaultMasterPort = 29500;

}  // namespace hornet::distributed
