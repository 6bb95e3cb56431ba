// Module structure and behaviour: mmpretrain's state-dict keys, the GF filter's
// resize and float32 FFT path, cloning and head replacement.
#include "hornet/io/state_dict.h"
#include "hornet/models/classifier.h"
#include "hornet/ops/autocast.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;
using namespace hornet::models;
using Catch::Matchers::Contains;

namespace {
std::vector<int64_t> shape_of(const io::StateDict& sd, const std::string& key) {
  const auto it = sd.find(key);
  if (it == sd.end()) FAIL("missing key " << key);
  return it->second.sizes().vec();
}
using Shape = std::vector<int64_t>;
}  // namespace

TEST_CASE("state dict: mmpretrain's keys and shapes for HorNet-T", "[models][keys]") {
  const auto sd = io::state_dict(*make_classifier("tiny"));
  CHECK(sd.size() == 560);
  CHECK(shape_of(sd, "backbone.downsample_layers.0.0.weight") == Shape{64, 3, 4, 4});
  CHECK(shape_of(sd, "backbone.downsample_layers.0.1.weight") == Shape{64});
  CHECK(shape_of(sd, "backbone.downsample_layers.2.0.bias") == Shape{128});
  CHECK(shape_of(sd, "backbone.downsample_layers.2.1.weight") == Shape{256, 128, 2, 2});
  CHECK(shape_of(sd, "backbone.stages.2.0.gamma1.weight") == Shape{256});
  CHECK(shape_of(sd, "backbone.stages.2.0.gamma2.weight") == Shape{256});
  CHECK(shape_of(sd, "backbone.stages.2.0.norm1.weight") == Shape{256});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.proj_in.weight") == Shape{512, 256, 1, 1});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.dwconv.weight") == Shape{480, 1, 7, 7});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.dwconv.bias") == Shape{480});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.proj_out.weight") == Shape{256, 256, 1, 1});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.projs.0.weight") == Shape{64, 32, 1, 1});
  CHECK(shape_of(sd, "backbone.stages.2.0.gnconv.projs.2.weight") == Shape{256, 128, 1, 1});
  CHECK(shape_of(sd, "backbone.stages.2.0.pwconv1.weight") == Shape{1024, 256});
  CHECK(shape_of(sd, "backbone.stages.2.0.pwconv2.weight") == Shape{256, 1024});
  CHECK(shape_of(sd, "backbone.stages.3.1.gnconv.dwconv.weight") == Shape{992, 1, 7, 7});
  CHECK(shape_of(sd, "backbone.stages.3.1.gnconv.projs.3.weight") == Shape{512, 256, 1, 1});
  CHECK(shape_of(sd, "backbone.norm3.weight") == Shape{512});
  CHECK(shape_of(sd, "head.fc.weight") == Shape{1000, 512});
  CHECK(shape_of(sd, "head.fc.bias") == Shape{1000});
}

TEST_CASE("state dict: HorNet-T-GF replaces stage 2-3 depthwise convs by GF", "[models][keys]") {
  const auto sd = io::state_dict(*make_classifier("tiny-gf"));
  CHECK(sd.size() == 640);
  CHECK(shape_of(sd, "backbone.stages.2.5.gnconv.dwconv.complex_weight") == Shape{240, 14, 8, 2});
  CHECK(shape_of(sd, "backbone.stages.2.5.gnconv.dwconv.dw.weight") == Shape{240, 1, 3, 3});
  CHECK(shape_of(sd, "backbone.stages.2.5.gnconv.dwconv.pre_norm.weight") == Shape{480});
  CHECK(shape_of(sd, "backbone.stages.2.5.gnconv.dwconv.post_norm.bias") == Shape{480});
  CHECK(shape_of(sd, "backbone.stages.3.0.gnconv.dwconv.complex_weight") == Shape{496, 7, 4, 2});
  CHECK(shape_of(sd, "backbone.stages.3.0.gnconv.dwconv.dw.weight") == Shape{496, 1, 3, 3});
  CHECK(sd.count("backbone.stages.2.0.gnconv.dwconv.dw.bias") == 0);  // GF's dw has no bias
  CHECK(sd.count("backbone.stages.1.0.gnconv.dwconv.bias") == 1);     // stages 0-1 stay DW
}

TEST_CASE("backbone: every stage's output for dense tasks", "[models][modules]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  HorNet backbone(HorNetOptions(arch).out_indices({0, 1, 2, -1}).gap_before_final_norm(false));
  const auto sd = io::state_dict(*backbone);
  for (int i = 0; i < 4; ++i) CHECK(sd.count("norm" + std::to_string(i) + ".weight") == 1);
  backbone->eval();
  torch::NoGradGuard g;
  const auto outs = backbone(torch::randn({2, 3, 64, 96}));
  REQUIRE(outs.size() == 4);
  CHECK(outs[0].sizes() == torch::IntArrayRef({2, 8, 16, 24}));
  CHECK(outs[1].sizes() == torch::IntArrayRef({2, 16, 8, 12}));
  CHECK(outs[2].sizes() == torch::IntArrayRef({2, 32, 4, 6}));
  CHECK(outs[3].sizes() == torch::IntArrayRef({2, 64, 2, 3}));
  REQUIRE_THROWS_WITH(HorNet(HorNetOptions(arch).out_indices({4})), Contains("out_indices entry 4"));
  REQUIRE_THROWS_WITH(HorNet(HorNetOptions(arch).out_indices({3, -1})), Contains("twice"));
}

TEST_CASE("GF: complex-weight resize is bilinear with aligned corners", "[models][gf]") {
  // A weight linear in (i, j) stays exactly linear under bilinear resizing, with
  // the corners pinned (align_corners=True).
  const int64_t h = 5, w = 3, H = 9, W = 6;
  auto weight = torch::empty({2, h, w, 2});
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      weight[0][i][j][0] = 2.0 * i + 3.0 * j;
      weight[0][i][j][1] = -1.0 * i + 0.5 * j;
      weight[1][i][j][0] = 1.0;
      weight[1][i][j][1] = 7.0 * j;
    }
  const auto resized = resize_complex_weight(weight, H, W);
  REQUIRE(resized.sizes() == torch::IntArrayRef({2, H, W, 2}));
  for (int64_t I = 0; I < H; ++I)
    for (int64_t J = 0; J < W; ++J) {
      const double i = I * double(h - 1) / (H - 1), j = J * double(w - 1) / (W - 1);
      CHECK(resized[0][I][J][0].item<double>() == Approx(2.0 * i + 3.0 * j).margin(1e-5));
      CHECK(resized[0][I][J][1].item<double>() == Approx(-1.0 * i + 0.5 * j).margin(1e-5));
      CHECK(resized[1][I][J][0].item<double>() == Approx(1.0).margin(1e-6));
      CHECK(resized[1][I][J][1].item<double>() == Approx(7.0 * j).margin(1e-5));
    }
  CHECK(resize_complex_weight(weight, h, w).is_same(weight));
  REQUIRE_THROWS_WITH(resize_complex_weight(torch::zeros({2, 3, 3}), 4, 4), Contains("[C, h, w, 2]"));
}

TEST_CASE("GF: a unit filter passes the global half through unchanged", "[models][gf]") {
  // W = 1 + 0i makes irfft2(rfft2(x) * W) the identity (ortho normalisation).
  const auto x = torch::randn({2, 3, 7, 9});
  auto weight = torch::zeros({3, 7, 5, 2});
  weight.select(3, 0).fill_(1.0);
  CHECK(test::max_abs_diff(global_filter(x, weight), x) < 1e-5);
}

TEST_CASE("GF: the FFT path runs in float32 whatever the autocast state", "[models][gf]") {
  const auto x = torch::randn({2, 4, 8, 8});
  const auto weight = torch::randn({4, 8, 5, 2});
  const auto reference = global_filter(x, weight);
  torch::Tensor under_autocast, from_bf16, conv_out;
  {
    ops::AutocastGuard autocast(torch::kCPU, torch::kBFloat16);
    under_autocast = global_filter(x, weight);
    from_bf16 = global_filter(x.to(torch::kBFloat16), weight);
    // The guard is live: a conv outside the FFT region does run in bfloat16.
    conv_out = torch::conv2d(x, torch::randn({4, 4, 1, 1}));
  }
  CHECK(conv_out.scalar_type() == torch::kBFloat16);
  CHECK(under_autocast.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(under_autocast, reference));
  CHECK(from_bf16.scalar_type() == torch::kFloat32);
  CHECK(torch::equal(from_bf16, global_filter(x.to(torch::kBFloat16).to(torch::kFloat32), weight)));
}

TEST_CASE("GF: odd channel splits are rejected", "[models][gf][errors]") {
  REQUIRE_THROWS_WITH(GlobalLocalFilter(GlobalLocalFilterOptions(9, 4, 3)), Contains("even") && Contains("9"));
  GlobalLocalFilter gf(GlobalLocalFilterOptions(8, 4, 3));
  REQUIRE_THROWS_WITH(gf(torch::randn({1, 6, 4, 4})), Contains("GlobalLocalFilter") && Contains("8 channels"));
}

TEST_CASE("clone: an independent copy with equal outputs", "[models][modules]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 2, 1, 1};
  arch.mixers[2] = MixerSpec::global_local(4, 3);
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(3));
  {
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.copy_(torch::randn_like(p) * 0.3 + (p.dim() == 1 ? 0.5 : 0.0));
  }
  auto copy = std::dynamic_pointer_cast<ImageClassifierImpl>(model->clone());
  REQUIRE(copy);
  model->eval();
  copy->eval();
  const auto x = torch::randn({2, 3, 64, 64});
  torch::NoGradGuard g;
  const auto before = model->forward(x);
  CHECK(torch::equal(copy->forward(x), before));
  for (auto& p : copy->parameters()) p.add_(1.0);
  CHECK(torch::equal(model->forward(x), before));
  CHECK(!torch::equal(copy->forward(x), before));
}

TEST_CASE("reset_classifier replaces the head", "[models][modules]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(3));
  model->reset_classifier(7);
  CHECK(model->num_classes() == 7);
  const auto sd = io::state_dict(*model);
  CHECK(sd.at("head.fc.weight").sizes() == torch::IntArrayRef({7, 64}));
  model->eval();
  torch::NoGradGuard g;
  const auto x = torch::randn({2, 3, 32, 32});
  CHECK(model->forward(x).sizes() == torch::IntArrayRef({2, 7}));
  const auto features = model->forward_features(x);
  CHECK(features.sizes() == torch::IntArrayRef({2, 64}));
  CHECK(torch::equal(model->forward_head(features, /*pre_logits=*/true), features));
}

TEST_CASE("frozen stages: no gradients, evaluation mode through train(), the rest trains",
          "[models][frozen]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  arch.mixers = {MixerSpec::depthwise(7), MixerSpec::depthwise(7), MixerSpec::global_local(2, 2),
                 MixerSpec::global_local(1, 1)};
  arch.input_size = 32;
  HorNetOptions bb(arch);
  bb.drop_path_rate(0.5).frozen_stages(1).out_indices({0, 1, 2, 3}).gap_before_final_norm(false);
  HorNet model(bb);
  model->train();
  const auto frozen = [](const std::string& name) {
    for (const char* prefix :
         {"downsample_layers.0.", "downsample_layers.1.", "stages.0.", "stages.1.", "norm0.", "norm1."}) {
      if (name.rfind(prefix, 0) == 0) return true;
    }
    return false;
  };
  size_t frozen_count = 0;
  for (const auto& p : model->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().requires_grad() == !frozen(p.key()));
    frozen_count += frozen(p.key());
  }
  CHECK(frozen_count > 10);
  for (const auto& m : model->named_modules()) {
    INFO(m.key());
    if (!m.key().empty()) CHECK(m.value()->is_training() == !frozen(m.key() + "."));
  }
  // Frozen stages run without stochastic depth: their outputs repeat exactly in training mode.
  torch::manual_seed(0);
  const auto x = torch::randn({2, 3, 32, 32});
  const auto a = model->forward(x);
  bool stage3_varies = false;  // its block drops paths at rate 0.5
  for (int k = 0; k < 10; ++k) {
    const auto b = model->forward(x);
    CHECK(torch::equal(a[0], b[0]));
    CHECK(torch::equal(a[1], b[1]));
    stage3_varies = stage3_varies || !torch::equal(a[3], b[3]);
  }
  CHECK(stage3_varies);
  (a[0].sum() + a[1].sum() + a[2].sum() + a[3].sum()).backward();
  for (const auto& p : model->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().grad().defined() == !frozen(p.key()));
  }
  CHECK_THROWS_WITH(HorNet(HorNetOptions(arch).frozen_stages(4)), Contains("frozen_stages must be -1"));
}
