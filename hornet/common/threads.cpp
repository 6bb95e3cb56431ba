#include "hornet/common/threads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

namespace hornet::common {

int set_threads(int threads) {
  if (threads < 0) throw std::invalid_argument("--threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace hornet::common
