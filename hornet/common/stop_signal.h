// Stopping a run cleanly: while a StopSignals object lives, SIGINT, SIGTERM
// and SIGUSR1 (SLURM's pre-emption warning) only record a request, which the
// training loop honours at the next optimizer step boundary (it saves a
// checkpoint and returns). A second SIGINT or SIGTERM ends the process at once
// (SIGUSR1, a warning, never does).
#pragma once

namespace hornet::common {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The signal that asked to stop, or 0.
  static int requested();
};

}  // namespace hornet::common
