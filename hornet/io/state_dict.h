// State dicts: named tensors in and out of a module, with a load report.
#pragma once

#include "hornet/io/pickle.h"

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
  /// Loaded after an adaptation: "key: what was done" (filter resized, head sliced).
  std::vector<std::string> adapted;
  /// Left at their fresh initialisation on purpose (a head of another size).
  std::vector<std::string> reinitialized;
  size_t loaded = 0;
  /// Of those loaded, tensors that alias the mapped file instead of being read.
  size_t mapped = 0;

  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// Human-readable summary listing every problem key.
  /// The report; each list shows at most `per_list` keys ("... and N more").
  std::string str(size_t per_list = static_cast<size_t>(-1)) const;
};

/// The module's parameters and buffers by name, as stored tensors (no copy).
StateDict state_dict(const torch::nn::Module& module);

/// Copies every tensor of `dict` whose name and shape match into `module`
/// (converting dtype and device). With `strict`, any missing, unexpected or
/// mismatched key throws std::runtime_error carrying the report and nothing is
/// copied; otherwise mismatches are skipped and reported.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& dict, bool strict = true);

/// The weights inside a decoded checkpoint, still on disk.
struct FoundWeights {
  /// Where they were: "state_dict", "model", "model_ema", "ema_state_dict",
  /// or "top level" for a flat dict.
  std::string source;
  /// They are the EMA weights.
  bool ema = false;
  /// The file holds both raw and EMA weights.
  bool file_has_both = false;
  /// Tensor entries by name (a leading `module.` stripped), in file order.
  std::vector<std::pair<std::string, const py::Value*>> tensors;
};

/// Finds the model weights in a checkpoint's top-level object:
///   - a flat dict of tensors (mmpretrain's published files);
///   - mmengine: `state_dict`, plus `ema_state_dict` when trained with EMAHook;
///   - the official repository: `model`, plus `model_ema`.
/// With `use_ema` the EMA weights are chosen, else the raw ones. mmengine swaps
/// the two before saving (EMAHook.before_save_checkpoint), so when a file has
/// both, its `state_dict` holds the EMA weights and `ema_state_dict` the raw
/// ones under `module.` names; both directions are honoured here. Throws
/// std::runtime_error listing the top-level keys when nothing matches, or when
/// EMA weights are asked for and the file has none.
FoundWeights find_weights(const py::Value& root, bool use_ema);

/// Which weights of a checkpoint to use.
enum class WeightChoice {
  /// Those the file's own framework evaluates: mmengine's `state_dict` (the
  /// EMA weights when EMAHook swapped them in), the official `model`, and for
  /// hornet's checkpoints the weights its training log reported.
  kDefault,
  kRaw,
  kEma,
};
/// "default", "raw" or "ema"; throws std::invalid_argument otherwise.
WeightChoice parse_weight_choice(const std::string& text);
FoundWeights find_weights(const py::Value& root, WeightChoice choice);

/// The class names a checkpoint carries: mmengine's (and hornet's)
/// `meta.dataset_meta.classes`, or mmcv 0.x's `meta.CLASSES`; empty when it
/// has none.
std::vector<std::string> checkpoint_class_names(const py::Value& root);

}  // namespace hornet::io
