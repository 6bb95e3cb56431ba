// HorNet architecture descriptions: the zoo of published archs and custom archs
// given as data.
//
// Shapes and sizes follow mmpretrain's `HorNet.arch_zoo` and the official
// repository's `hornet_*` factories (docs/model.md §2). The 384 GF archs
// use the official filter sizes (24,13)/(12,7), which are the rfft2 grids of the
// 24x24 and 12x12 stage maps; mmpretrain's table swaps them to (24,12)/(13,7).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace hornet::models {

/// Which spatial mixer a stage's gnConv uses.
enum class MixerKind {
  kDepthwise,    ///< depthwise KxK conv with bias ("DW")
  kGlobalLocal,  ///< GlobalLocalFilter: 3x3 depthwise + FFT global filter ("GF")
};

/// The spatial mixer of one stage.
struct MixerSpec {
  MixerKind kind = MixerKind::kDepthwise;
  /// Depthwise kernel size (odd); only for kDepthwise.
  int64_t kernel_size = 7;
  /// Complex-weight grid (h, w) = (H, W/2 + 1) of the stage's rfft2; only for
  /// kGlobalLocal. Inputs of another size resize the weight on the fly.
  int64_t h = 0;
  int64_t w = 0;

  static MixerSpec depthwise(int64_t kernel_size = 7);
  static MixerSpec global_local(int64_t h, int64_t w);

  /// "dw7" or "gf14x8".
  std::string str() const;
  bool operator==(const MixerSpec& other) const;
};

/// Prints str().
std::ostream& operator<<(std::ostream& os, const MixerSpec& mixer);

/// A HorNet architecture: four stages of widths [b, 2b, 4b, 8b].
struct ArchSpec {
  std::string name = "custom";
  int64_t base_dim = 64;
  std::vector<int64_t> depths = {2, 3, 18, 2};
  std::vector<int64_t> orders = {2, 3, 4, 5};
  std::vector<MixerSpec> mixers = std::vector<MixerSpec>(4, MixerSpec::depthwise(7));
  /// The input resolution the arch is evaluated at (its FLOPs are quoted there).
  int64_t input_size = 224;

  /// Channel width of each stage: base_dim * 2^i.
  std::vector<int64_t> stage_dims() const;
  int64_t num_blocks() const;
  /// "dw7,dw7,gf14x8,gf7x4".
  std::string mixers_str() const;
};

/// Number of stages every HorNet has.
constexpr int64_t kNumStages = 4;

/// gnConv channel split for width `dim` and order `n`: [dim/2^(n-1), ..., dim/2, dim].
/// Throws std::invalid_argument when dim is not divisible by 2^(n-1).
std::vector<int64_t> gnconv_dims(int64_t dim, int64_t order);

/// `arch` for square inputs of `image_size`: GF filter grids set to the rfft2
/// grids of the stage maps there, (s, s/2 + 1) with s = image_size / 2^(stage+2).
ArchSpec arch_for_image_size(const ArchSpec& arch, int64_t image_size);

/// Checks that `arch` describes a buildable model; throws std::invalid_argument
/// naming the field and what was expected otherwise.
void validate(const ArchSpec& arch);

/// The zoo's archs under their canonical names, in table order
/// (tiny, tiny-gf, small, ..., large-gf384).
const std::vector<ArchSpec>& arch_zoo();

/// Looks up a zoo arch by canonical name or alias (`t`, `tiny-gf`, `b-gf384`, ...),
/// ignoring case. Throws std::invalid_argument listing the valid names.
const ArchSpec& arch_by_name(const std::string& name);

/// Every accepted name, canonical names and aliases.
std::vector<std::string> arch_names();

}  // namespace hornet::models
