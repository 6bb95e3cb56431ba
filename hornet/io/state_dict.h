// State dicts: named tensors in and out of a module, with a load report.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace hornet::io {

/// Tensors by dotted name (`backbone.stages.2.0.gnconv.projs.1.weight`).
using StateDict = std::map<std::string, torch::Tensor>;

/// What a load found: keys the module has but the dict lacks, keys the dict has
/// but the module lacks, and keys whose shapes differ.
struct LoadReport {
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  struct Mismatch {
    std::string key;
    std::vector<int64_t> expected;
    std::vector<int64_t> found;
  };
  std::vector<Mismatch> mismatched;
  size_t loaded = 0;

  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// Human-readable summary listing every problem key.
  std::string str() const;
};

/// The module's parameters and buffers by name, as stored tensors (no copy).
StateDict state_dict(const torch::nn::Module& module);

/// Copies every tensor of `dict` whose name and shape match into `module`
/// (converting dtype and device). With `strict`, any missing, unexpected or
/// mismatched key throws std::runtime_error carrying the report and nothing is
/// copied; otherwise mismatches are skipped and reported.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& dict, bool strict = true);

}  // namespace hornet::io
