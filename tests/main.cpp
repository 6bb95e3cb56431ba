// Test runner: Catch2 with LibTorch pinned to one intra-op thread per test
// process (CTest runs test cases in parallel), overridable by HORNET_TEST_THREADS.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <ATen/Parallel.h>

#include <cstdlib>

int main(int argc, char* argv[]) {
  const char* threads = std::getenv("HORNET_TEST_THREADS");
  at::set_num_threads(threads ? std::atoi(threads) : 1);
  return Catch::Session().run(argc, argv);
}
