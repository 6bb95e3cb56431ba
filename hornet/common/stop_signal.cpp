#include "hornet/common/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace hornet::common {

namespace {

std::atomic<int> g_requested{0};
std::atomic<int> g_interrupts{0};  // SIGINT and SIGTERM received
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGUSR1};
struct sigaction g_previous[3];

void on_signal(int signal) {
  g_requested.store(signal);
  if (signal != SIGUSR1 && g_interrupts.fetch_add(1) > 0) {
    // A second request: the user does not want to wait for the step to end.
    static const char message[] = "\nsecond stop signal: exiting without a checkpoint\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(128 + signal);
  }
  static const char message[] = "\nstop requested: finishing the current optimizer step, then saving a checkpoint "
                                "(a second SIGINT or SIGTERM exits at once)\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
}

}  // namespace

StopSignals::StopSignals() {
  g_requested.store(0);
  g_interrupts.store(0);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int k = 0; k < 3; ++k) sigaction(kSignals[k], &action, &g_previous[k]);
}

StopSignals::~StopSignals() {
  for (int k = 0; k < 3; ++k) sigaction(kSignals[k], &g_previous[k], nullptr);
}

int StopSignals::requested() { return g_requested.load(); }

}  // namespace hornet::common
