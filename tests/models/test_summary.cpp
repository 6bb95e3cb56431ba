// Parameter counts and FLOPs against mmpretrain's metafile and the counts of
// docs/model.md §2.4 (independent figures, not computed by this code).
#include "hornet/models/classifier.h"
#include "hornet/models/summary.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet::models;

namespace {
struct Published {
  const char* arch;
  int64_t params;
  int64_t flops;  // 0: not published
};
constexpr Published kMetafile[] = {
    {"tiny", 22409512, 3976156352},       {"tiny-gf", 22991848, 3896472160},
    {"small", 49528264, 8825621280},      {"small-gf", 50401768, 8706094992},
    {"base", 87256680, 15582677376},      {"base-gf", 88421352, 15423308992},
    {"large", 194542504, 0},              {"large-gf", 196289512, 0},
    {"large-gf384", 201806824, 0},
};
}  // namespace

TEST_CASE("summary: parameter counts equal the published ones", "[models][summary][slow]") {
  for (const auto& p : kMetafile) {
    const auto s = summarize(arch_by_name(p.arch));
    INFO(p.arch);
    CHECK(s.params == p.params);
  }
}

TEST_CASE("summary: FLOPs within 0.2% of the metafile", "[models][summary]") {
  for (const auto& p : kMetafile) {
    if (!p.flops) continue;
    // MACs need no weights: count on the module tree of a built model.
    const auto s = summarize(arch_by_name(p.arch));
    const double rel = std::abs(static_cast<double>(s.flops - p.flops)) / static_cast<double>(p.flops);
    INFO(p.arch << ": " << s.flops << " vs metafile " << p.flops << " (" << rel * 100 << "%)");
    // The metafile counts a little more than the convolutions and linear
    // layers (0.10-0.20% here); the README promises 0.2%.
    CHECK(rel < 0.002);
  }
}

TEST_CASE("summary: mmpretrain's swapped 384 filter sizes give its smaller count", "[models][summary]") {
  ArchSpec arch = arch_by_name("large-gf384");
  arch.mixers[2] = MixerSpec::global_local(24, 12);
  arch.mixers[3] = MixerSpec::global_local(13, 7);
  CHECK(summarize(arch).params == 201226408);
}

TEST_CASE("summary: MACs of a small arch by hand", "[models][summary]") {
  // base_dim 8, one block per stage, order 1 everywhere, dw3, 32x32 input, 2 classes.
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  arch.orders = {1, 1, 1, 1};
  arch.mixers.assign(4, MixerSpec::depthwise(3));
  arch.input_size = 32;
  int64_t expected = 8 * 8 * 8 * 3 * 16;  // stem: 8x8 out, 8 ch, 3*4*4
  const int64_t sides[] = {8, 4, 2, 1};
  for (int i = 0; i < 4; ++i) {
    const int64_t c = 8 << i, hw = sides[i] * sides[i];
    if (i > 0) expected += hw * c * (c / 2) * 4;               // 2x2 downsample
    expected += hw * (c * 2 * c + c * 9 + c * c + 2 * c * 4 * c);  // proj_in, dw, proj_out, MLP
  }
  expected += 64 * 2;  // head
  CHECK(summarize(arch, 2).flops == expected);
}

TEST_CASE(
    "summary: the official convention by hand (layer norms, FFTs, a filter resize) and rows that add up",
    "[models][summary]") {
  // base_dim 8, one block per stage, order 1, 64x64 input (sides 16, 8, 4, 2), 2 classes.
  // Stage 2's filter fits its 4x4 input (spectrum 4x3); stage 3's 3x3 is resized to 2x2.
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  arch.orders = {1, 1, 1, 1};
  arch.mixers = {MixerSpec::depthwise(3), MixerSpec::depthwise(3), MixerSpec::global_local(4, 3),
                 MixerSpec::global_local(3, 3)};
  const auto ceil_log2 = [](int64_t n) {
    int64_t k = 0;
    while ((int64_t{1} << k) < n) ++k;
    return k;
  };
  int64_t macs = 16 * 16 * 8 * 3 * 16, official = 0;  // stem
  for (int i = 0; i < 4; ++i) {
    const int64_t c = 8 << i, s = 16 >> i, hw = s * s, half = c / 2;
    const bool gf = i >= 2;
    if (i > 0) macs += hw * c * (c / 2) * 4;                                 // 2x2 downsample
    macs += hw * (c * 2 * c + (gf ? half * 9 : c * 9) + c * c + 8 * c * c);  // proj_in, mixer, proj_out, MLP
    official += 5 * c * hw;                                                  // norm2
    if (gf) {
      const int64_t n = half * s;  // the handler's N: channels times height
      official += n * s * ceil_log2(n) + n * (s / 2 + 1) * ceil_log2(n);
      if (i == 3) official += 4 * 2 * half * s * (s / 2 + 1);  // bilinear resize of both planes
    }
  }
  macs += 64 * 2;      // head
  official += 5 * 64;  // final norm
  CHECK(summarize(arch, 2, 64).flops == macs);
  const auto s = summarize(arch, 2, 64, FlopConvention::kOfficial);
  CHECK(s.flops == macs + official);
  REQUIRE(s.rows.size() == 5);
  CHECK(s.rows[2].name == "stage 2");
  CHECK(s.rows[2].output_shape == std::vector<int64_t>{32, 4, 4});
  const auto layers = summarize(arch, 2, 64, FlopConvention::kOfficial, /*per_layer=*/true);
  REQUIRE(layers.rows.size() == 10);  // four downsample layers, four blocks, norm3, head.fc
  CHECK(layers.rows[3].name == "backbone.stages.1.0");
  CHECK(layers.rows[9].name == "head.fc");
  int64_t params = 0, flops = 0;
  for (const auto& row : layers.rows) {
    params += row.params;
    flops += row.flops;
  }
  CHECK(params == s.params);
  CHECK(flops == s.flops);
  CHECK(format_flop_breakdown(s).find("stage 3") != std::string::npos);
  CHECK_THROWS_WITH(parse_flop_convention("fvcore"),
                    Catch::Matchers::Contains("valid: mmpretrain, official"));
}

TEST_CASE("summary: table has one row per arch", "[models][summary]") {
  ArchSpec arch;
  arch.name = "mini";
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  const auto table = format_summary_table({summarize(arch, 10, 64)});
  CHECK(table.find("mini") != std::string::npos);
  CHECK(std::count(table.begin(), table.end(), '\n') == 2);
}
