#include "hornet/distributed/environment.h"

#include <cstdlib>
#include <stdexcept>

namespace hornet::distributed {

namespace {

int parse_int(const EnvLookup& env, const std::string& name, int min_value) {
  const auto text = env(name);
  if (!text) throw std::invalid_argument(name + " is not set");
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text->size() || value < min_value || value > 1000000) {
    throw std::invalid_argument(name + "='" + *text + "' is not a valid number (at least " +
                                std::to_string(min_value) + ")");
  }
  return static_cast<int>(value);
}

int optional_int(const EnvLookup& env, const std::string& name, int fallback, int min_value) {
  return env(name) ? parse_int(env, name, min_value) : fallback;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

std::string first_slurm_host(const std::string& nodelist) {
  // Hosts are separated by commas outside brackets; a bracket holds ranges.
  std::string first;
  int depth = 0;
  for (char ch : nodelist) {
    if (ch == ',' && depth == 0) break;
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    first += ch;
  }
  const size_t open = first.find('[');
  if (open == std::string::npos) return first;
  const size_t close = first.find(']', open);
  if (close == std::string::npos) throw std::invalid_argument("SLURM node list '" + nodelist + "' is malformed");
  std::string range = first.substr(open + 1, close - open - 1);
  range = range.substr(0, range.find(','));
  range = range.substr(0, range.find('-'));
  return first.substr(0, open) + range + first.substr(close + 1);
}

std::string LaunchEnvironment::str() const {
  if (!distributed()) return "single process";
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (local " +
         std::to_string(local_rank) + " of " + std::to_string(local_world_size) + "), rendezvous " + master_addr +
         ":" + std::to_string(master_port) + ", from " + source;
}

LaunchEnvironment detect_environment(const EnvLookup& env) {
  LaunchEnvironment e;
  std::string rank_name, size_name;
  if (env("RANK") || env("WORLD_SIZE")) {
    e.source = "torchrun";
    rank_name = "RANK";
    size_name = "WORLD_SIZE";
    e.rank = parse_int(env, "RANK", 0);
    e.world_size = parse_int(env, "WORLD_SIZE", 1);
    e.local_rank = optional_int(env, "LOCAL_RANK", e.rank, 0);
    e.local_world_size = optional_int(env, "LOCAL_WORLD_SIZE", e.world_size, 1);
  } else if (env("SLURM_PROCID")) {
    // srun starts one task per rank; an allocation's shell (salloc, sbatch)
    // has SLURM_NTASKS but no SLURM_PROCID and runs as a single process.
    e.source = "slurm";
    rank_name = "SLURM_PROCID";
    size_name = env("SLURM_NTASKS") ? "SLURM_NTASKS" : "SLURM_NPROCS";
    e.rank = parse_int(env, "SLURM_PROCID", 0);
    e.world_size = parse_int(env, size_name, 1);
    e.local_rank = optional_int(env, "SLURM_LOCALID", 0, 0);
    e.local_world_size = optional_int(env, "SLURM_NTASKS_PER_NODE", 1, 1);
    if (const auto tasks = env("SLURM_TASKS_PER_NODE"); tasks && !env("SLURM_NTASKS_PER_NODE")) {
      // "4(x2),3": the first node's count.
      try {
        e.local_world_size = std::max(1, std::stoi(*tasks));
      } catch (const std::exception&) {
        e.local_world_size = 1;
      }
    }
  } else if (env("OMPI_COMM_WORLD_RANK")) {
    e.source = "openmpi";
    rank_name = "OMPI_COMM_WORLD_RANK";
    size_name = "OMPI_COMM_WORLD_SIZE";
    e.rank = parse_int(env, rank_name, 0);
    e.world_size = parse_int(env, size_name, 1);
    e.local_rank = optional_int(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0, 0);
    e.local_world_size = optional_int(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1, 1);
  } else {
    return e;
  }
  if (e.rank >= e.world_size) {
    throw std::invalid_argument(rank_name + "=" + std::to_string(e.rank) + " is outside " + size_name + "=" +
                                std::to_string(e.world_size));
  }
  if (e.local_rank >= e.local_world_size) e.local_world_size = e.local_rank + 1;
  if (!e.distributed()) return e;

  if (const auto addr = env("MASTER_ADDR"); addr && !addr->empty()) {
    e.master_addr = *addr;
  } else if (e.source == "slurm") {
    const auto nodes = env("SLURM_STEP_NODELIST") ? env("SLURM_STEP_NODELIST") : env("SLURM_JOB_NODELIST");
    if (!nodes || nodes->empty()) {
      throw std::invalid_argument("MASTER_ADDR is not set and SLURM gives no node list (SLURM_STEP_NODELIST, "
                                  "SLURM_JOB_NODELIST) to take the first host from");
    }
    e.master_addr = first_slurm_host(*nodes);
  } else {
    throw std::invalid_argument("MASTER_ADDR is not set: a " + std::to_string(e.world_size) +
                                "-process run (" + size_name + "=" + std::to_string(e.world_size) +
                                ") needs the address of rank 0's host for the rendezvous (export MASTER_ADDR=host "
                                "and MASTER_PORT=port on every rank; torchrun and hornet-train --nproc-per-node "
                                "set them)");
  }
  e.master_port = optional_int(env, "MASTER_PORT", kDefaultMasterPort, 1);
  if (e.master_port > 65535) throw std::invalid_argument("MASTER_PORT=" + std::to_string(e.master_port) + " is not a port");
  return e;
}

}  // namespace hornet::distributed
