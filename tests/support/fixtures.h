// Access to the fixtures that tests/reference/make_fixtures.py writes, and
// small comparison helpers.
#pragma once

#include "hornet/io/state_dict.h"
#include "hornet/models/arch.h"

#include <torch/types.h>

#include <optional>
#include <string>
#include <vector>

namespace hornet::test {

/// Root of the generated fixtures (build/tests/fixtures).
std::string fixture_dir();

/// A fresh, empty directory under the system temp dir, removed at exit.
std::string temp_dir(const std::string& tag);

/// Every .npy file under `dir` (recursively), keyed by its path relative to
/// `dir` without the extension.
io::StateDict read_npy_dir(const std::string& dir);

/// One model case: models/<name>/case.json.
struct ModelCase {
  std::string name;
  std::string dir;
  std::optional<std::string> zoo;  // zoo arch the case uses, if any
  models::ArchSpec arch;           // the spec as the Python side wrote it
  int64_t num_classes = 0;
  std::vector<int64_t> input_shape;
};
ModelCase load_model_case(const std::string& name);

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b);

/// Runs Debian's python3 with `args` (already shell-quoted); returns the exit status.
int run_python(const std::string& args);

}  // namespace hornet::test
