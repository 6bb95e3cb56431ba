// Model size and cost: parameter counts and multiply-accumulates (MACs) of the
// convolutions and linear layers, the convention of mmpretrain's metafile
// "FLOPs" (which does not count the FFT, norms or elementwise ops).
#pragma once

#include "hornet/models/arch.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hornet::models {

class Conv2dImpl;
class LinearImpl;
class ImageClassifierImpl;

/// MACs of `conv` for an HxW input (per image): out_h*out_w*C_out*(C_in/groups)*kh*kw.
int64_t conv2d_macs(const Conv2dImpl& conv, int64_t height, int64_t width);
/// MACs of `linear` applied to `tokens` vectors: tokens*in*out.
int64_t linear_macs(const LinearImpl& linear, int64_t tokens);

struct ModelSummary {
  std::string arch;
  std::string mixers;
  int64_t input_size = 0;
  int64_t num_classes = 0;
  int64_t params = 0;
  int64_t macs = 0;
};

/// Builds the classifier for `arch` and measures it. input_size 0 means the
/// arch's own input size.
ModelSummary summarize(const ArchSpec& arch, int64_t num_classes = 1000, int64_t input_size = 0);
/// The same for a model already built (input_size 0: its arch's).
ModelSummary summarize(const ImageClassifierImpl& model, int64_t input_size = 0);

/// A fixed-width table, one row per summary, with a header line.
std::string format_summary_table(const std::vector<ModelSummary>& rows);

/// Runs one forward pass of `arch` (official initialisation) on a random batch
/// and reports what came out.
struct ForwardCheck {
  std::string arch;
  std::vector<int64_t> input_shape;
  std::vector<int64_t> output_shape;
  double seconds = 0.0;
  bool finite = false;
};
ForwardCheck run_forward_check(const ArchSpec& arch, int64_t batch_size = 1, int64_t input_size = 0,
                               int64_t num_classes = 1000);

}  // namespace hornet::models
