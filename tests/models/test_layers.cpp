// HorNetLayerNorm, LayerScale and DropPath against their definitions
// (docs/model.md §3-§5), computed here in float64 by hand.
#include "hornet/models/classifier.h"
#include "hornet/models/layers.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;
using namespace hornet::models;
using Catch::Matchers::Contains;

namespace {
// y = w * (x - mean) / sqrt(biased_var + eps) + b over `axis`, in float64.
torch::Tensor layer_norm_by_hand(const torch::Tensor& x, int64_t axis, const torch::Tensor& w,
                                 const torch::Tensor& b, double eps) {
  const auto xd = x.to(torch::kFloat64);
  const auto mean = xd.mean(axis, true);
  const auto var = (xd - mean).pow(2).mean(axis, true);
  std::vector<int64_t> shape(x.dim(), 1);
  shape[axis < 0 ? axis + x.dim() : axis] = w.numel();
  return w.to(torch::kFloat64).view(shape) * (xd - mean) / (var + eps).sqrt() +
         b.to(torch::kFloat64).view(shape);
}
}  // namespace

TEST_CASE("LayerNorm channels_first is the biased-variance formula with eps 1e-6", "[models][layers]") {
  HorNetLayerNorm norm(HorNetLayerNormOptions(6).data_format(DataFormat::kChannelsFirst));
  {
    torch::NoGradGuard g;
    norm->weight.copy_(torch::linspace(0.5, 1.5, 6));
    norm->bias.copy_(torch::linspace(-0.2, 0.3, 6));
  }
  SECTION("unit-variance input") {
    const auto x = torch::randn({2, 6, 5, 3});
    const auto y = norm(x);
    CHECK(test::max_abs_diff(y, layer_norm_by_hand(x, 1, norm->weight, norm->bias, 1e-6)) < 1e-5);
  }
  SECTION("near-flat input, where eps matters") {
    // Channel spread ~1e-3: variance ~1e-6, the size of eps itself.
    const auto x = 3.0 + 1e-3 * torch::randn({2, 6, 4, 4});
    const auto y = norm(x);
    const auto right = layer_norm_by_hand(x, 1, norm->weight, norm->bias, 1e-6);
    const auto wrong = layer_norm_by_hand(x, 1, norm->weight, norm->bias, 1e-5);
    CHECK(test::max_abs_diff(y, right) < 1e-3);
    CHECK(test::max_abs_diff(y, wrong) > 1e-1);
  }
  SECTION("wrong channel count") {
    REQUIRE_THROWS_WITH(norm(torch::randn({1, 5, 4, 4})),
                        Contains("HorNetLayerNorm(channels_first)") && Contains("6 channels"));
  }
}

TEST_CASE("LayerNorm channels_last normalises the last axis with eps 1e-6", "[models][layers]") {
  HorNetLayerNorm norm(HorNetLayerNormOptions(8));
  CHECK(norm->options.eps() == 1e-6);
  {
    torch::NoGradGuard g;
    norm->weight.copy_(torch::linspace(0.9, 1.1, 8));
    norm->bias.copy_(torch::linspace(-0.1, 0.1, 8));
  }
  const auto x = 1.0 + 1e-3 * torch::randn({3, 4, 8});
  CHECK(test::max_abs_diff(norm(x), layer_norm_by_hand(x, -1, norm->weight, norm->bias, 1e-6)) < 1e-3);
  REQUIRE_THROWS_WITH(norm(torch::randn({3, 4, 7})), Contains("last axis has 8 channels"));
}

TEST_CASE("LayerNorm parameters start at ones and zeros", "[models][layers]") {
  HorNetLayerNorm norm(HorNetLayerNormOptions(4));
  CHECK(torch::equal(norm->weight, torch::ones({4})));
  CHECK(torch::equal(norm->bias, torch::zeros({4})));
}

TEST_CASE("LayerScale multiplies each channel in either layout", "[models][layers]") {
  LayerScale first(LayerScaleOptions(3).init_value(0.25).data_format(DataFormat::kChannelsFirst));
  CHECK(torch::equal(first->weight, torch::full({3}, 0.25)));
  {
    torch::NoGradGuard g;
    first->weight.copy_(torch::tensor({1.0f, 2.0f, 3.0f}));
  }
  const auto x = torch::ones({2, 3, 2, 2});
  const auto y = first(x);
  for (int c = 0; c < 3; ++c) CHECK(torch::equal(y.select(1, c), torch::full({2, 2, 2}, c + 1.0)));

  LayerScale last(LayerScaleOptions(3));
  CHECK(torch::allclose(last->weight, torch::full({3}, 1e-6)));
  {
    torch::NoGradGuard g;
    last->weight.copy_(torch::tensor({1.0f, 2.0f, 3.0f}));
  }
  CHECK(torch::equal(last(torch::ones({4, 3})), torch::tensor({1.0f, 2.0f, 3.0f}).expand({4, 3})));
}

TEST_CASE("DropPath drops whole samples in training mode only", "[models][layers]") {
  torch::manual_seed(0);
  const double p = 0.3;
  DropPath drop(p);
  const auto x = torch::ones({20000, 2, 2, 2});

  drop->train();
  const auto y = drop(x);
  const auto per_sample = y.view({20000, -1});
  // Every sample is either dropped (all zeros) or kept and scaled by 1/(1-p).
  const auto dropped = (per_sample == 0).all(1);
  const auto kept = (per_sample - 1.0 / (1.0 - p)).abs().lt(1e-6).all(1);
  CHECK((dropped | kept).all().item<bool>());
  const double rate = dropped.to(torch::kFloat64).mean().item<double>();
  CHECK(rate == Approx(p).margin(0.015));  // ~5 standard deviations
  CHECK(y.mean().item<double>() == Approx(1.0).margin(0.03));

  drop->eval();
  CHECK(torch::equal(drop(x), x));

  DropPath none(0.0);
  none->train();
  CHECK(torch::equal(none(x), x));

  DropPath all(1.0);
  all->train();
  CHECK(torch::equal(all(x), torch::zeros_like(x)));
  REQUIRE_THROWS_WITH(DropPath(1.5), Contains("[0, 1]"));
}

TEST_CASE("DropPath: training and evaluation agree at rate 0 and only evaluation ignores it",
          "[models][layers]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 2, 1};
  arch.mixers[2] = MixerSpec::global_local(4, 3);
  torch::manual_seed(1);
  auto plain = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(4));
  auto dropping = ImageClassifier(
      ImageClassifierOptions(HorNetOptions(arch).drop_path_rate(0.9)).num_classes(4));
  hornet::io::load_state_dict(*dropping, hornet::io::state_dict(*plain));
  {
    // Large layer scales so every block's branch visibly matters.
    torch::NoGradGuard g;
    for (auto& m : {plain.ptr(), dropping.ptr()}) {
      for (auto& p : m->named_parameters()) {
        if (p.key().find("gamma") != std::string::npos) p.value().fill_(0.5);
      }
    }
  }
  const auto x = torch::randn({16, 3, 64, 64});
  torch::NoGradGuard g;

  plain->train();
  const auto train_out = plain(x);
  plain->eval();
  const auto eval_out = plain(x);
  CHECK(torch::equal(train_out, eval_out));

  dropping->eval();
  CHECK(torch::equal(dropping(x), eval_out));
  dropping->train();
  CHECK(test::max_abs_diff(dropping(x), eval_out) > 1e-2);
}
