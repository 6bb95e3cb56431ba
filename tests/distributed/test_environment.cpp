// The launch environment as torchrun, srun and mpirun describe it.
#include "hornet/distributed/environment.h"
#include "hornet/distributed/launcher.h"

#include <catch2/catch.hpp>

#include <map>

using namespace hornet::distributed;
using Catch::Matchers::Contains;

namespace {
EnvLookup fake(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("launch environment: torchrun, SLURM, Open MPI and a single process", "[distributed][environment]") {
  const auto single = detect_environment(fake({}));
  CHECK_FALSE(single.distributed());
  CHECK(single.source == "single");

  const auto torchrun = detect_environment(fake({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"},
                                                 {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node0"},
                                                 {"MASTER_PORT", "29511"}}));
  CHECK(torchrun.source == "torchrun");
  CHECK(torchrun.rank == 3);
  CHECK(torchrun.world_size == 8);
  CHECK(torchrun.local_rank == 1);
  CHECK(torchrun.local_world_size == 2);
  CHECK(torchrun.master_addr == "node0");
  CHECK(torchrun.master_port == 29511);

  // srun: the first host of the step's node list, torchrun's default port.
  const auto slurm = detect_environment(fake({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "1"},
                                              {"SLURM_NTASKS_PER_NODE", "4"},
                                              {"SLURM_STEP_NODELIST", "gpu[003-004,010],cpu1"}}));
  CHECK(slurm.source == "slurm");
  CHECK(slurm.rank == 5);
  CHECK(slurm.world_size == 16);
  CHECK(slurm.local_rank == 1);
  CHECK(slurm.local_world_size == 4);
  CHECK(slurm.master_addr == "gpu003");
  CHECK(slurm.master_port == kDefaultMasterPort);
  // An allocation's shell (no SLURM_PROCID) is a single process.
  CHECK_FALSE(detect_environment(fake({{"SLURM_NTASKS", "16"}, {"SLURM_JOB_NODELIST", "a[1-2]"}})).distributed());

  const auto mpi = detect_environment(fake({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "4"},
                                            {"OMPI_COMM_WORLD_LOCAL_RANK", "0"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                            {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1234"}}));
  CHECK(mpi.source == "openmpi");
  CHECK(mpi.rank == 2);
  CHECK(mpi.world_size == 4);
  CHECK(mpi.local_world_size == 2);
  CHECK(mpi.master_addr == "10.0.0.1");

  CHECK(first_slurm_host("n17") == "n17");
  CHECK(first_slurm_host("n[9-12]") == "n9");
  CHECK(first_slurm_host("rack1-n[07,09],rack2-n01") == "rack1-n07");
  CHECK(first_slurm_host("a,b") == "a");
}

TEST_CASE("launch environment: missing or malformed variables are named", "[distributed][environment]") {
  CHECK_THROWS_WITH(detect_environment(fake({{"RANK", "0"}, {"WORLD_SIZE", "2"}})),
                    Contains("MASTER_ADDR is not set") && Contains("WORLD_SIZE=2"));
  CHECK_THROWS_WITH(detect_environment(fake({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}})),
                    Contains("RANK=2 is outside WORLD_SIZE=2"));
  CHECK_THROWS_WITH(detect_environment(fake({{"RANK", "x"}, {"WORLD_SIZE", "2"}})), Contains("RANK='x'"));
  CHECK_THROWS_WITH(detect_environment(fake({{"RANK", "0"}})), Contains("WORLD_SIZE is not set"));
  CHECK_THROWS_WITH(
      detect_environment(fake({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}})),
      Contains("MASTER_PORT=70000"));
  CHECK_THROWS_WITH(detect_environment(fake({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}})),
                    Contains("SLURM gives no node list"));
  // One process is fine without a rendezvous address.
  CHECK_FALSE(detect_environment(fake({{"RANK", "0"}, {"WORLD_SIZE", "1"}})).distributed());
}

TEST_CASE("launcher: worker command lines drop the launcher's own options", "[distributed][launcher]") {
  const std::vector<std::string> argv{"hornet-train", "cfg.yaml", "--nproc-per-node", "2", "--max-restarts=1",
                                      "--resume", "x.pth", "--set", "a=1"};
  CHECK(strip_options(argv, {"--nproc-per-node", "--max-restarts"}) ==
        std::vector<std::string>{"hornet-train", "cfg.yaml", "--resume", "x.pth", "--set", "a=1"});
  CHECK(strip_options(argv, {"--resume"}).size() == argv.size() - 2);
}
