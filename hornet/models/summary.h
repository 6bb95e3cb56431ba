// Model size and cost: parameter counts and FLOPs under the two conventions
// HorNet's figures are published in (docs/model.md, "FLOPs"), as a total and
// per stage or per layer.
#pragma once

#include "hornet/models/arch.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hornet::models {

class Conv2dImpl;
class LinearImpl;
class ImageClassifierImpl;

/// Which operations a FLOPs count includes.
enum class FlopConvention {
  /// mmpretrain's metafile "FLOPs": multiply-accumulates of the convolutions
  /// and linear layers; no FFT, norms or elementwise operations.
  kMmpretrain,
  /// The official repository's calc_flops.py (fvcore's counter with its FFT
  /// handler): the same multiply-accumulates, plus 5 per element of every
  /// F.layer_norm (each block's norm2 and the final norm), 4 per output element
  /// of a GF filter resize, and for each rfft2 and irfft2 N * W * ceil(log2 N),
  /// where N = C * H: the handler reads the [B, C, H, W] input as (B, H, W, C).
  kOfficial,
};

/// "mmpretrain" or "official"; throws std::invalid_argument otherwise.
FlopConvention parse_flop_convention(const std::string& name);

/// MACs of `conv` for an HxW input (per image): out_h*out_w*C_out*(C_in/groups)*kh*kw.
int64_t conv2d_macs(const Conv2dImpl& conv, int64_t height, int64_t width);
/// MACs of `linear` applied to `tokens` vectors: tokens*in*out.
int64_t linear_macs(const LinearImpl& linear, int64_t tokens);
/// fvcore's count for a LayerNorm with weights over `elements` values.
int64_t layer_norm_flops(int64_t elements);
/// The official handler's count for rfft2/irfft2 of a [1, C, H, W] input.
int64_t fft_flops(int64_t channels, int64_t height, int64_t width);

/// One part of the model and what it costs.
struct FlopRow {
  std::string name;  ///< "stage 2" or, per layer, "backbone.stages.2.17"
  int64_t params = 0;
  int64_t flops = 0;
  std::vector<int64_t> output_shape;  ///< [C, H, W] or [C]
};

/// The classifier's cost for a square input: per stage (stem or downsampling
/// plus blocks, then the final norm and head), or per layer (each downsample
/// layer, block, norm and the head's fc).
std::vector<FlopRow> count_flops(const ImageClassifierImpl& model, int64_t input_size,
                                 FlopConvention convention, bool per_layer = false);

struct ModelSummary {
  std::string arch;
  std::string mixers;
  int64_t input_size = 0;
  int64_t num_classes = 0;
  int64_t params = 0;
  int64_t flops = 0;
  FlopConvention convention = FlopConvention::kMmpretrain;
  std::vector<FlopRow> rows;  ///< count_flops' breakdown
};

/// Builds the classifier for `arch` and measures it. input_size 0 means the
/// arch's own input size.
ModelSummary summarize(const ArchSpec& arch, int64_t num_classes = 1000, int64_t input_size = 0,
                       FlopConvention convention = FlopConvention::kMmpretrain, bool per_layer = false);
/// The same for a model already built (input_size 0: its arch's).
ModelSummary summarize(const ImageClassifierImpl& model, int64_t input_size = 0,
                       FlopConvention convention = FlopConvention::kMmpretrain, bool per_layer = false);

/// A fixed-width table, one row per summary, with a header line.
std::string format_summary_table(const std::vector<ModelSummary>& rows);
/// A summary's breakdown as a fixed-width table: part, output shape, params, FLOPs and share.
std::string format_flop_breakdown(const ModelSummary& summary);

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
