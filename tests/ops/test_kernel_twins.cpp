// hornet's fused gnConv ops on CPU tensors, i.e. the CUDA kernels' CPU twin:
// the kernels' own arithmetic (hornet/ops/kernels/*_math.h) behind the same
// autograd glue, checked against the composite LibTorch formulas, forward and
// backward, on odd sizes and both memory formats, and by central differences
// in double precision.
#include "hornet/models/classifier.h"
#include "hornet/ops/kernels/fused_ops.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <numeric>

namespace {

using hornet::test::TensorFn;

using hornet::test::gating_formula;
using hornet::test::interleaved_norm_formula;
using hornet::test::layer_norm_channels_first_formula;
using hornet::test::spectrum_weight_formula;

// Inputs of a gating chain: pwa as the first channels of proj_in's output (a
// slice, as in the model), mixed, then the projections' weights and biases.
std::vector<torch::Tensor> gating_inputs(int64_t n, const std::vector<int64_t>& dims, int64_t h, int64_t w,
                                         torch::Dtype dtype, bool channels_last) {
  const int64_t total = std::accumulate(dims.begin(), dims.end(), int64_t{0});
  const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  const auto opts = torch::TensorOptions().dtype(dtype);
  const auto fused = torch::randn({n, dims[0] + total, h, w}, opts).contiguous(format);
  std::vector<torch::Tensor> in{fused.narrow(1, 0, dims[0]), torch::randn({n, total, h, w}, opts).contiguous(format)};
  for (size_t i = 0; i + 1 < dims.size(); ++i) in.push_back(0.3 * torch::randn({dims[i + 1], dims[i], 1, 1}, opts));
  for (size_t i = 0; i + 1 < dims.size(); ++i) in.push_back(0.1 * torch::randn({dims[i + 1]}, opts));
  return in;
}

hornet::test::TensorFn gating_twin(const std::vector<int64_t>& dims, double scale) {
  return [dims, scale](const std::vector<torch::Tensor>& in) {
    const size_t steps = dims.size() - 1;
    const std::vector<torch::Tensor> weights(in.begin() + 2, in.begin() + 2 + static_cast<int64_t>(steps));
    const std::vector<torch::Tensor> biases(in.begin() + 2 + static_cast<int64_t>(steps), in.end());
    return hornet::ops::kernels::fused_gnconv_gating(in[0], in[1], weights, biases, dims, scale);
  };
}

}  // namespace

TEST_CASE("kernel twins: gnConv gating chain equals the composite path, every order, both memory formats",
          "[twins]") {
  // HorNet's split of a stage's channels by order (dim / 2^(order-1), ..., dim), on odd spatial sizes.
  for (const auto& dims : std::vector<std::vector<int64_t>>{{8}, {4, 8}, {6, 12, 24}, {2, 4, 8, 16, 32}}) {
    for (const bool channels_last : {false, true}) {
      INFO("dims " << c10::IntArrayRef(dims) << (channels_last ? " channels-last" : " NCHW"));
      torch::manual_seed(static_cast<uint64_t>(dims.size()));
      const double scale = 1.0 / 3.0;
      const auto in = gating_inputs(2, dims, 5, 7, torch::kFloat32, channels_last);
      hornet::test::check_against_reference(
          gating_twin(dims, scale), [&](const std::vector<torch::Tensor>& x) { return gating_formula(x, dims, scale); },
          in, 1e-5);
      // pwa as the model passes it, a channel slice of proj_in's output (the check above uses copies).
      REQUIRE_FALSE(in[0].is_contiguous(channels_last ? torch::MemoryFormat::ChannelsLast
                                                      : torch::MemoryFormat::Contiguous));
      CHECK(hornet::test::max_rel_diff(gating_twin(dims, scale)(in), gating_formula(in, dims, scale)) < 1e-6);
    }
  }
}

TEST_CASE("kernel twins: gnConv gating chain gradients by central differences in double", "[twins]") {
  for (const bool channels_last : {false, true}) {
    INFO((channels_last ? "channels-last" : "NCHW"));
    torch::manual_seed(5);
    const std::vector<int64_t> dims{2, 4};
    hornet::test::gradcheck(gating_twin(dims, 0.5), gating_inputs(1, dims, 3, 5, torch::kFloat64, channels_last));
  }
}

TEST_CASE("kernel twins: channels-first LayerNorm equals the formula, NCHW and channels-last", "[twins]") {
  const TensorFn twin = [](const std::vector<torch::Tensor>& in) {
    return hornet::ops::kernels::fused_layer_norm_channels_first(in[0], in[1], in[2], 1e-6);
  };
  const TensorFn formula = [](const std::vector<torch::Tensor>& in) {
    return layer_norm_channels_first_formula(in[0], in[1], in[2], 1e-6);
  };
  // Odd sizes throughout: channels, positions, a batch of 3; channel counts of HorNet's stages too.
  for (const auto& shape : std::vector<std::vector<int64_t>>{{3, 5, 7, 9}, {2, 64, 14, 14}, {1, 97, 3, 5}}) {
    for (const bool channels_last : {false, true}) {
      INFO("shape " << c10::IntArrayRef(shape) << (channels_last ? " channels-last" : " NCHW"));
      torch::manual_seed(7);
      auto x = 0.5 + 2.0 * torch::randn(shape);
      if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      const auto w = torch::linspace(0.5, 1.5, shape[1]), b = torch::linspace(-0.2, 0.3, shape[1]);
      hornet::test::check_against_reference(twin, formula, {x, w, b}, 1e-5);
      const auto y = twin({x, w, b});
      CHECK(y.strides() == x.strides());  // the output keeps the input's memory format
    }
  }
}

TEST_CASE("kernel twins: channels-first LayerNorm gradients by central differences in double", "[twins]") {
  const TensorFn twin = [](const std::vector<torch::Tensor>& in) {
    return hornet::ops::kernels::fused_layer_norm_channels_first(in[0], in[1], in[2], 1e-6);
  };
  for (const bool channels_last : {false, true}) {
    INFO((channels_last ? "channels-last" : "NCHW"));
    torch::manual_seed(11);
    auto x = torch::randn({2, 5, 3, 3}, torch::kFloat64);
    if (channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto w = torch::randn({5}, torch::kFloat64), b = torch::randn({5}, torch::kFloat64);
    hornet::test::gradcheck(twin, {x, w, b});
  }
}

namespace {

const hornet::test::TensorFn spectrum_weight = [](const std::vector<torch::Tensor>& in) {
  return hornet::ops::kernels::fused_spectrum_weight(in[0], in[1]);
};
const hornet::test::TensorFn interleaved_norm = [](const std::vector<torch::Tensor>& in) {
  return hornet::ops::kernels::fused_interleaved_norm(in[0], in[1], in[2], in[3], 1e-6);
};

}  // namespace

TEST_CASE("kernel twins: GF spectrum weighting equals the complex product, 224 and 384 filter sizes", "[twins]") {
  // rfft2 grids of the GF stages: (14, 8) and (7, 4) at 224, (24, 13) and (12, 7) at 384; 5 channels, batch 3.
  for (const auto& grid : std::vector<std::pair<int64_t, int64_t>>{{14, 8}, {7, 4}, {24, 13}, {12, 7}}) {
    INFO("grid " << grid.first << "x" << grid.second);
    torch::manual_seed(grid.first);
    const auto spectrum = torch::randn({3, 5, grid.first, grid.second, 2});
    const auto weight = 0.02 * torch::randn({5, grid.first, grid.second, 2});
    hornet::test::check_against_reference(spectrum_weight, spectrum_weight_formula, {spectrum, weight}, 1e-5);
  }
  torch::manual_seed(2);
  hornet::test::gradcheck(spectrum_weight,
                          {torch::randn({2, 3, 4, 3, 2}, torch::kFloat64), torch::randn({3, 4, 3, 2}, torch::kFloat64)});
}

TEST_CASE("kernel twins: GF interleave and post-norm equal cat, reshape and LayerNorm, both memory formats",
          "[twins]") {
  for (const bool channels_last : {false, true}) {
    INFO((channels_last ? "channels-last" : "NCHW"));
    const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    torch::manual_seed(3);
    // 384's stage-3 size (24 x 24 positions, odd half-width 7) and an odd one.
    for (const auto& shape : std::vector<std::vector<int64_t>>{{2, 7, 24, 24}, {3, 5, 5, 9}}) {
      INFO("local/global " << c10::IntArrayRef(shape));
      const auto local = torch::randn(shape).contiguous(format), global = torch::randn(shape).contiguous(format);
      const auto w = torch::linspace(0.5, 1.5, 2 * shape[1]), b = torch::linspace(-0.2, 0.3, 2 * shape[1]);
      hornet::test::check_against_reference(interleaved_norm, interleaved_norm_formula, {local, global, w, b}, 1e-5);
    }
    auto local = torch::randn({2, 3, 3, 3}, torch::kFloat64).contiguous(format);
    auto global = torch::randn({2, 3, 3, 3}, torch::kFloat64).contiguous(format);
    hornet::test::gradcheck(interleaved_norm, {local, global, torch::randn({6}, torch::kFloat64),
                                               torch::randn({6}, torch::kFloat64)});
  }
}

TEST_CASE("kernel twins: wired into the model, logits and every gradient equal the composite path", "[twins]") {
  namespace models = hornet::models;
  namespace kernels = hornet::ops::kernels;
  // Depthwise and GF stages (the GF grids of a 32x32 input), orders 2 to 5.
  models::ArchSpec arch = models::arch_by_name("tiny");
  arch.name = "tiny-32";
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  arch.mixers = {models::MixerSpec::depthwise(7), models::MixerSpec::depthwise(7),
                 models::MixerSpec::global_local(2, 2), models::MixerSpec::global_local(1, 1)};
  arch.input_size = 32;
  torch::manual_seed(4);
  models::ImageClassifier model(
      models::ImageClassifierOptions(models::HorNetOptions(arch).layer_scale_init_value(0.5)).num_classes(5));
  const auto x = torch::randn({2, 3, 32, 32});
  const auto r = torch::randn({2, 5});
  const auto run = [&](kernels::FusedMode mode) {
    kernels::set_fused_mode(mode);
    model->zero_grad();
    const auto logits = model->forward(x);
    (logits * r).sum().backward();
    std::vector<torch::Tensor> out{logits.detach()};
    for (const auto& p : model->parameters()) out.push_back(p.grad().clone());
    kernels::set_fused_mode(kernels::FusedMode::kAuto);
    return out;
  };
  REQUIRE_FALSE(kernels::use_fused(x));  // auto: never on the CPU
  const auto composite = run(kernels::FusedMode::kOff);
  const auto fused = run(kernels::FusedMode::kAlways);
  REQUIRE(fused.size() == composite.size());
  CHECK(hornet::test::max_rel_diff(fused[0], composite[0]) < 1e-5);
  double worst = 0.0;
  for (size_t k = 1; k < fused.size(); ++k) worst = std::max(worst, hornet::test::max_rel_diff(fused[k], composite[k]));
  CHECK(worst < 1e-4);
  CHECK(kernels::parse_fused_mode("always") == kernels::FusedMode::kAlways);
  CHECK_THROWS_WITH(kernels::parse_fused_mode("fast"), Catch::Matchers::Contains("auto, off or always"));
}
