// hornet's fused gnConv ops on CPU tensors, i.e. the CUDA kernels' CPU twin:
// the kernels' own arithmetic (hornet/ops/kernels/*_math.h) behind the same
// autograd glue, checked against the composite LibTorch formulas, forward and
// backward, on odd sizes and both memory formats, and by central differences
// in double precision.
#include "hornet/config/choices.h"
#include "hornet/models/classifier.h"
#include "hornet/ops/autocast.h"
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
  // 782 positions at {2, 40, 23, 17}: the parameter gradients' first stage in two chunks, the second partial.
  for (const auto& shape :
       std::vector<std::vector<int64_t>>{{3, 5, 7, 9}, {2, 64, 14, 14}, {1, 97, 3, 5}, {2, 40, 23, 17}}) {
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

namespace {

// A HorNet with depthwise and GF stages (the GF grids of a 32x32 input), orders 2 to 5, 5 classes.
hornet::models::ImageClassifier dw_gf_model(uint64_t seed) {
  namespace models = hornet::models;
  models::ArchSpec arch = models::arch_by_name("tiny");
  arch.name = "tiny-32";
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  arch.mixers = {models::MixerSpec::depthwise(7), models::MixerSpec::depthwise(7),
                 models::MixerSpec::global_local(2, 2), models::MixerSpec::global_local(1, 1)};
  arch.input_size = 32;
  torch::manual_seed(seed);
  return models::ImageClassifier(
      models::ImageClassifierOptions(models::HorNetOptions(arch).layer_scale_init_value(0.5)).num_classes(5));
}

}  // namespace

TEST_CASE("kernel twins: wired into the model, logits and every gradient equal the composite path", "[twins]") {
  namespace kernels = hornet::ops::kernels;
  auto model = dw_gf_model(4);
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
  CHECK(hornet::config::parse_choice<kernels::FusedMode>("always") == kernels::FusedMode::kAlways);
  CHECK_THROWS_WITH(hornet::config::parse_choice<kernels::FusedMode>("fast"), Catch::Matchers::Contains("auto, off or always"));
}

// ----- Reduced precision: the types the GPU runs ----------------------------
//
// Every input below is exactly representable in the reduced type, and the
// reference is the composite formula on float64 copies of those inputs, its
// gradients rounded once to the inputs' types. The twin computes in float
// and rounds each stored value once, so a value it computes directly is off
// by at most one unit roundoff u (2^-8 for bf16's 8 significant bits, 2^-11
// for fp16's 11), relative to the output's largest magnitude. The stated
// bounds count the roundings on each path:
//   LayerNorm and interleave: the output, and for gradients the cotangent
//   (rounded to the output's type before the op sees it) and dx: 4u.
//   Gating chain of s steps: each step's gate product and projection output
//   (the projections are LibTorch's, in the reduced type), forward and
//   backward: (4s + 4)u.

namespace {

double unit_roundoff(torch::Dtype t) { return t == torch::kBFloat16 ? 1.0 / 256 : 1.0 / 2048; }

// `formula` on float64 copies of the inputs; gradients flow back to the inputs' types.
TensorFn in_float64(const TensorFn& formula) {
  return [formula](const std::vector<torch::Tensor>& in) {
    std::vector<torch::Tensor> wide;
    for (const auto& t : in) wide.push_back(t.defined() ? t.to(torch::kFloat64) : t);
    return formula(wide);
  };
}

const std::vector<torch::Dtype> kReduced{torch::kBFloat16, torch::kHalf};

}  // namespace

TEST_CASE("kernel twins: bf16 and fp16 LayerNorm and GF interleave against the float64 formula", "[twins][reduced]") {
  const TensorFn layer_norm = [](const std::vector<torch::Tensor>& in) {
    return hornet::ops::kernels::fused_layer_norm_channels_first(in[0], in[1], in[2], 1e-6);
  };
  const TensorFn layer_norm_formula = [](const std::vector<torch::Tensor>& in) {
    return layer_norm_channels_first_formula(in[0], in[1], in[2], 1e-6);
  };
  for (const auto dtype : kReduced) {
    const double u = unit_roundoff(dtype);
    for (const bool channels_last : {false, true}) {
      INFO(torch::toString(torch::scalarTypeToTypeMeta(dtype)) << (channels_last ? " channels-last" : " NCHW"));
      const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
      torch::manual_seed(21);
      // 1,275 positions: three chunks of the parameter gradients' first stage, the last one partial.
      const auto x = (0.5 + 2.0 * torch::randn({3, 40, 25, 17})).to(dtype).contiguous(format);
      // The module's parameters stay float32 under autocast and in a bf16 activation path.
      const auto w = torch::linspace(0.5, 1.5, 40), b = torch::linspace(-0.2, 0.3, 40);
      hornet::test::check_against_reference(layer_norm, in_float64(layer_norm_formula), {x, w, b}, 4 * u);
      const auto y = layer_norm({x, w, b});
      CHECK(y.scalar_type() == dtype);
      CHECK(y.strides() == x.strides());

      const auto local = torch::randn({2, 7, 24, 24}).to(dtype).contiguous(format);
      const auto global = torch::randn({2, 7, 24, 24}).to(dtype).contiguous(format);
      const auto w2 = torch::linspace(0.5, 1.5, 14), b2 = torch::linspace(-0.2, 0.3, 14);
      hornet::test::check_against_reference(interleaved_norm, in_float64(interleaved_norm_formula),
                                            {local, global, w2, b2}, 4 * u);
    }
  }
}

TEST_CASE("kernel twins: bf16 and fp16 gnConv gating chain against the float64 formula", "[twins][reduced]") {
  for (const auto dtype : kReduced) {
    const double u = unit_roundoff(dtype);
    // Where LibTorch has no fp16 convolution on the CPU (1.13), fp16 checks the gates alone (the kernels' fp16 path).
    const bool fp16_conv = [] {
      try {
        torch::conv2d(torch::ones({1, 1, 1, 1}, torch::kHalf), torch::ones({1, 1, 1, 1}, torch::kHalf));
        return true;
      } catch (const c10::Error&) {
        return false;
      }
    }();
    for (const auto& dims : std::vector<std::vector<int64_t>>{{8}, {6, 12, 24}}) {
      if (dtype == torch::kHalf && dims.size() > 1 && !fp16_conv) continue;
      for (const bool channels_last : {false, true}) {
        INFO(torch::toString(torch::scalarTypeToTypeMeta(dtype)) << " dims " << c10::IntArrayRef(dims)
                                                                  << (channels_last ? " channels-last" : " NCHW"));
        torch::manual_seed(static_cast<uint64_t>(dims.size()) + 30);
        auto in = gating_inputs(2, dims, 5, 7, torch::kFloat32, channels_last);
        for (auto& t : in) t = t.to(dtype);  // a model converted to the reduced type: weights too
        const double steps = static_cast<double>(dims.size() - 1);
        const TensorFn formula = [&](const std::vector<torch::Tensor>& x) { return gating_formula(x, dims, 0.5); };
        hornet::test::check_against_reference(gating_twin(dims, 0.5), in_float64(formula), in, (4 * steps + 4) * u);
        CHECK(gating_twin(dims, 0.5)(in).scalar_type() == dtype);
      }
    }
  }
}

TEST_CASE("kernel twins: autocast's type pairs are computed in float32, other mixes refused", "[twins][reduced]") {
  namespace kernels = hornet::ops::kernels;
  const std::vector<int64_t> dims{6, 12, 24};
  torch::manual_seed(40);
  // The GF mixer under autocast: pwa from proj_in in bf16, the filter's output in float32.
  auto in = gating_inputs(2, dims, 5, 7, torch::kFloat32, true);
  in[0] = in[0].to(torch::kBFloat16);
  const TensorFn formula = [&](const std::vector<torch::Tensor>& x) { return gating_formula(x, dims, 0.5); };
  // The composite path promotes pwa * gate to float32; so does the twin, leaving pwa's rounding (done above) alone.
  hornet::test::check_against_reference(gating_twin(dims, 0.5), in_float64(formula), in, 1e-5);
  CHECK(gating_twin(dims, 0.5)(in).scalar_type() == torch::kFloat32);

  const auto local = torch::randn({2, 3, 4, 5}).to(torch::kBFloat16), global = torch::randn({2, 3, 4, 5});
  const auto w = torch::linspace(0.5, 1.5, 6), b = torch::linspace(-0.2, 0.3, 6);
  hornet::test::check_against_reference(interleaved_norm, in_float64(interleaved_norm_formula), {local, global, w, b},
                                        1e-5);

  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(kernels::fused_interleaved_norm(local, global.to(torch::kHalf), w, b, 1e-6),
                    Contains("BFloat16 and Half cannot be mixed"));
  CHECK_THROWS_WITH(
      kernels::fused_gnconv_gating(in[0], in[1].to(torch::kFloat64), {in[2], in[3]}, {in[4], in[5]}, dims, 0.5),
      Contains("BFloat16 and Double cannot be mixed"));
  CHECK_THROWS_WITH(
      kernels::fused_layer_norm_channels_first(torch::ones({1, 2, 3, 3}, torch::kInt), torch::ones({2}),
                                               torch::zeros({2}), 1e-6),
      Contains("unsupported type Int"));
}

TEST_CASE("kernel twins: gating backward after a forward under bf16 autocast, float32 projection weights",
          "[twins][reduced]") {
  // The depthwise mixer under autocast: pwa and mixed in bf16, the projections' parameters float32 and cast by
  // autocast in forward; backward runs outside autocast, as a training step does.
  const std::vector<int64_t> dims{6, 12, 24};
  torch::manual_seed(41);
  auto in = gating_inputs(2, dims, 5, 7, torch::kFloat32, true);
  in[0] = in[0].to(torch::kBFloat16);
  in[1] = in[1].to(torch::kBFloat16);
  const auto under_autocast = [&](const TensorFn& f) {
    return [f](const std::vector<torch::Tensor>& x) {
      hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
      return f(x);
    };
  };
  const TensorFn formula = [&](const std::vector<torch::Tensor>& x) { return gating_formula(x, dims, 0.5); };
  // Against the composite path under the same autocast: both round the projections' inputs, weights and outputs to
  // bf16 at the same points, and differ only in where the gates' products are rounded.
  hornet::test::check_against_reference(under_autocast(gating_twin(dims, 0.5)), under_autocast(formula), in,
                                        16 * unit_roundoff(torch::kBFloat16));
  const auto y = under_autocast(gating_twin(dims, 0.5))(in);
  CHECK(y.scalar_type() == torch::kBFloat16);
}

TEST_CASE("kernel twins: a dw+GF HorNet trains under CPU bf16 autocast with the fused ops as with the composite path",
          "[twins][reduced]") {
  // The structure a GPU bf16 step runs: autocast around forward and loss, backward and AdamW outside it, float32
  // parameters; the fused gating meets bf16 projections in dw stages and the GF filter's float32 output in GF ones.
  namespace kernels = hornet::ops::kernels;
  torch::manual_seed(50);
  const auto x = torch::randn({4, 3, 32, 32});
  const auto target = torch::tensor({0, 3, 1, 4});
  const auto train = [&](kernels::FusedMode mode) {
    auto model = dw_gf_model(51);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(0.05));
    kernels::set_fused_mode(mode);
    std::vector<double> losses;
    torch::Tensor first_grads;
    for (int step = 0; step < 4; ++step) {
      optimizer.zero_grad();
      torch::Tensor loss;
      {
        hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
        const auto logits = model->forward(x);
        REQUIRE(logits.scalar_type() == torch::kBFloat16);
        loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), target);
      }
      loss.backward();
      if (step == 0) {
        std::vector<torch::Tensor> grads;
        for (const auto& p : model->parameters()) grads.push_back(p.grad().flatten());
        first_grads = torch::cat(grads);
      }
      optimizer.step();
      losses.push_back(loss.item<double>());
    }
    kernels::set_fused_mode(kernels::FusedMode::kAuto);
    return std::make_pair(losses, first_grads);
  };
  kernels::set_fused_mode(kernels::FusedMode::kAlways);
  CHECK(kernels::use_fused(x.to(torch::kBFloat16)));  // `always` runs the twin in bf16 too
  kernels::set_fused_mode(kernels::FusedMode::kAuto);
  const auto composite = train(kernels::FusedMode::kOff);
  const auto fused = train(kernels::FusedMode::kAlways);
  for (size_t step = 0; step < composite.first.size(); ++step) {
    INFO("step " << step << ": loss " << fused.first[step] << " fused, " << composite.first[step] << " composite");
    // bf16 logits carry 2^-8 relative error; the two paths round at different points.
    CHECK(std::abs(fused.first[step] - composite.first[step]) < 0.02 * std::abs(composite.first[step]));
  }
  CHECK(composite.first.back() < composite.first.front());  // the steps train
  CHECK(fused.first.back() < fused.first.front());
  // The first step's gradients, every parameter at once: equal up to bf16's rounding at different points.
  const double grad_diff = ((fused.second - composite.second).norm() / composite.second.norm()).item<double>();
  INFO("first step's gradients differ by " << grad_diff << " of their norm");
  CHECK(grad_diff < 0.05);
}
