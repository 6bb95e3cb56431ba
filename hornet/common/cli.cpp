#include "hornet/common/cli.h"

#include <CLI/CLI.hpp>

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
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

void check_mode_options(const std::vector<std::string>& given, const std::vector<std::string>& allowed,
                        const std::string& mode) {
  for (const auto& option : given) {
    if (std::find(allowed.begin(), allowed.end(), option) != allowed.end()) continue;
    std::string valid;
    for (const auto& a : allowed) valid += (valid.empty() ? "" : " ") + a;
    throw std::invalid_argument(option + " does not apply to " + mode + " (options there: " + valid + ")");
  }
}

std::vector<std::string> given_options(const CLI::App& app) {
  std::vector<std::string> given;
  for (const auto* option : app.get_options()) {
    if (option->count() > 0) given.push_back(option->get_name().empty() ? option->get_lnames().front() : option->get_name());
  }
  return given;
}

int set_threads(int threads) {
  if (threads < 0) throw std::invalid_argument("--threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

}  // namespace hornet::common
