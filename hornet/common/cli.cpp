#include "hornet/common/cli.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <iostream>
#include <stdexcept>
#include <thread>

namespace hornet::common {

int run_command(const std::string& tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    std::cerr << tool << ": error: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
  }
  return 1;
}

int set_threads(int threads) {
  if (threads < 0) throw std::invalid_argument("--threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace hornet::common
