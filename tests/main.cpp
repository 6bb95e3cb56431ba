// Test runner: Catch2 with LibTorch pinned to one intra-op thread per test
// process (CTest runs test cases in parallel), overridable by HORNET_TEST_THREADS.
//
// A run that selects no test case fails, and so does a case that checks
// nothing (Catch2 passes both by default). Every case that runs appends its
// name to HORNET_TEST_RUN_LOG, so that scripts/run_ctest.sh can prove that
// CTest executed each Catch2 case.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <ATen/Parallel.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

class RunLog : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseEnded(Catch::TestCaseStats const& stats) override {
    // One write(2) per line with O_APPEND: cases run in parallel processes.
    const std::string line = stats.testInfo.name + "\n";
    const int fd = ::open(HORNET_TEST_RUN_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    [[maybe_unused]] const auto written = ::write(fd, line.data(), line.size());
    ::close(fd);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(RunLog)

int main(int argc, char* argv[]) {
  const char* threads = std::getenv("HORNET_TEST_THREADS");
  at::set_num_threads(threads ? std::atoi(threads) : 1);
  Catch::Session session;
  if (const int status = session.applyCommandLine(argc, argv)) return status;
  auto& config = session.configData();
  config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoTests |
                                                        Catch::WarnAbout::NoAssertions);
  return session.run();
}
