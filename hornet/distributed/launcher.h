// hornet-train's single-node launcher (`--nproc-per-node N`): starts N
// workers with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), forwards
// SIGINT, SIGTERM and SIGUSR1 to them, and watches them: when one fails, the
// others get `grace` seconds to stop on their own (they notice the missing
// rank at their next collective) and are then killed. With `max_restarts`,
// a failed group is started again from its last checkpoint, as torchrun's
// elastic agent does.
#pragma once

#include <string>
#include <vector>

namespace hornet::distributed {

struct LaunchOptions {
  int nproc = 1;
  int max_restarts = 0;
  /// The worker command line; argv[0] is the executable.
  std::vector<std::string> argv;
  /// Appended to the worker command line on a restart (e.g. --resume auto),
  /// replacing options of the same name.
  std::vector<std::string> restart_args;
  /// Flags (no value) removed from the worker command line on a restart (e.g. --overwrite).
  std::vector<std::string> restart_drop_flags;
  double grace_seconds = 30.0;
};

/// Runs the workers to the end; returns 0 when every worker of the last
/// attempt exited 0, else 1 (the failures are logged, naming the ranks).
int launch_workers(const LaunchOptions& options);

/// `argv` without the given options and their values ("--name V" or "--name=V").
std::vector<std::string> strip_options(const std::vector<std::string>& argv, const std::vector<std::string>& names);

}  // namespace hornet::distributed
