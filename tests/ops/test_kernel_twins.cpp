// The CPU twins of hornet's CUDA kernels: the kernels' own arithmetic
// (hornet/ops/kernels/*_math.h) checked against the composite LibTorch
// formulas, forward and backward, on odd sizes and both memory formats, and
// by central differences in double precision.
#include "hornet/ops/kernels/layer_norm_twin.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace {

using hornet::test::TensorFn;

// The reference's op sequence for the channels-first LayerNorm.
torch::Tensor layer_norm_formula(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps) {
  const auto u = x.mean(1, true);
  const auto s = (x - u).pow(2).mean(1, true);
  return w.view({-1, 1, 1}) * (x - u) / torch::sqrt(s + eps) + b.view({-1, 1, 1});
}

}  // namespace

TEST_CASE("kernel twins: channels-first LayerNorm equals the formula, NCHW and channels-last", "[twins]") {
  const TensorFn twin = [](const std::vector<torch::Tensor>& in) {
    return hornet::ops::kernels::layer_norm_channels_first_twin(in[0], in[1], in[2], 1e-6);
  };
  const TensorFn formula = [](const std::vector<torch::Tensor>& in) {
    return layer_norm_formula(in[0], in[1], in[2], 1e-6);
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
    return hornet::ops::kernels::layer_norm_channels_first_twin(in[0], in[1], in[2], 1e-6);
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
