// Stop signals: the first SIGINT/SIGTERM/SIGUSR1 is a request the training
// loop honours at a step boundary; a second SIGINT or SIGTERM ends the process.
#include "hornet/common/stop_signal.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using hornet::common::StopSignals;

TEST_CASE("stop signals: a request first, an immediate exit on the second", "[common][signals]") {
  {
    const StopSignals signals;
    CHECK(StopSignals::requested() == 0);
    raise(SIGUSR1);
    CHECK(StopSignals::requested() == SIGUSR1);
    raise(SIGTERM);  // after the pre-emption warning, the first interrupt is still a request
    CHECK(StopSignals::requested() == SIGTERM);
  }
  {
    const StopSignals again;  // a new scope starts without a request
    CHECK(StopSignals::requested() == 0);
  }
  // Outside a StopSignals scope the previous handlers are back: SIGUSR1 ignored here so the check survives it.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction before {};
  sigaction(SIGUSR1, &ignore, &before);
  raise(SIGUSR1);
  CHECK(StopSignals::requested() == 0);
  sigaction(SIGUSR1, &before, nullptr);

  // Twice SIGINT in a child: exit status 128 + SIGINT without returning to the loop.
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const StopSignals signals;
    raise(SIGINT);
    if (StopSignals::requested() != SIGINT) _exit(3);
    raise(SIGINT);
    _exit(0);  // not reached when the second signal exits
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGINT);
}
