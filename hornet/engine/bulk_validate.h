// Validating many checkpoints in one command (as timm's validate.py does with
// a checkpoint glob or --model all): each one as `hornet-eval validate` would,
// one row each, with the published accuracy beside it, its size and cost, and
// the rows as CSV and as a Markdown table.
#pragma once

#include "hornet/engine/evaluate.h"

#include <string>
#include <vector>

namespace hornet::engine {

/// The checkpoint files `items` name: files as given; folders replaced by the
/// .pth, .pt and .safetensors files in them (sorted); patterns with * ? or [
/// expanded as the shell would (sorted). Throws std::invalid_argument for an
/// item that names nothing.
std::vector<std::string> expand_checkpoints(const std::vector<std::string>& items);

/// The published checkpoints (models/published.h) found in `dir`, in zoo order.
std::vector<std::string> zoo_files_in(const std::string& dir);

struct BulkOptions {
  ValidateOptions validate;  ///< data (required without a config), weights, batch size, amp, flip, ReaL
  /// Without a config: the model is the zoo arch the file's shapes fit, its
  /// classes the file's head, the evaluation pipeline the official one for the
  /// arch's input size; on this device.
  std::string device = "cpu";
  int workers = 4;
  /// > 0: resize the short edge to floor(crop / crop_pct) before the centre crop (timm's --crop-pct).
  double crop_pct = 0.0;
  int64_t image_size = 0;  ///< > 0: the crop (and model input) size
};

struct BulkRow {
  std::string arch;
  std::string file;
  std::string weights;  ///< "raw" or "EMA", and where in the file
  EvalResult result;
  double published_top1 = NAN;  ///< NaN when the file is not a published one
  int64_t params = 0;
  int64_t flops = 0;  ///< mmpretrain's convention, at the evaluated size
  int64_t image_size = 0;
  double images_per_s = 0.0;
};

/// Validates `checkpoint` with `config` (null: see BulkOptions) and describes it.
BulkRow validate_row(const std::string& checkpoint, const config::ExperimentConfig* config,
                     const BulkOptions& options);

/// The rows as CSV (a header line, then one line per row) and as a Markdown table.
std::string bulk_csv(const std::vector<BulkRow>& rows);
std::string bulk_markdown(const std::vector<BulkRow>& rows);

}  // namespace hornet::engine
