// hornet's depthwise convolution kernels against LibTorch's grouped conv2d:
// outputs and all three gradients, odd sizes, planes smaller than the kernel,
// strided (channel-sliced) inputs, with and without bias.
#include "hornet/ops/autocast.h"
#include "hornet/ops/depthwise_conv.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace {

struct Case {
  int64_t n, c, h, w, k;
  bool bias;
  bool sliced;  // the input is a channel slice of a wider tensor, as gnConv passes it
};

void check_against_conv2d(const Case& cs) {
  INFO("n " << cs.n << " c " << cs.c << " h " << cs.h << " w " << cs.w << " k " << cs.k << " bias " << cs.bias
            << " sliced " << cs.sliced);
  torch::manual_seed(cs.h * 100 + cs.w * 10 + cs.k);
  const auto x = torch::randn({cs.n, cs.c, cs.h, cs.w});
  const auto w = torch::randn({cs.c, 1, cs.k, cs.k});
  const auto b = cs.bias ? torch::randn({cs.c}) : torch::Tensor();
  REQUIRE(hornet::ops::depthwise_conv2d_uses_own_kernel(x, w));
  hornet::test::check_against_reference(
      [&](const std::vector<torch::Tensor>& in) {
        // gnConv hands over a channel slice of proj_in's output: planes
        // contiguous, samples strided.
        const auto input = cs.sliced ? torch::cat({torch::zeros({cs.n, 3, cs.h, cs.w}), in[0]}, 1).narrow(1, 3, cs.c)
                                     : in[0];
        return hornet::ops::depthwise_conv2d(input, in[1], in[2]);
      },
      [&](const std::vector<torch::Tensor>& in) { return torch::conv2d(in[0], in[1], in[2], 1, cs.k / 2, 1, cs.c); },
      {x, w, b}, 1e-5);
}

}  // namespace

TEST_CASE("depthwise conv: 7x7 and 3x3 equal LibTorch's conv2d forward and backward", "[ops][depthwise]") {
  check_against_conv2d({2, 5, 9, 13, 7, true, false});
  check_against_conv2d({3, 4, 14, 14, 7, true, true});
  check_against_conv2d({2, 6, 11, 7, 3, false, true});
  check_against_conv2d({1, 3, 56, 56, 7, true, false});
}

TEST_CASE("depthwise conv: planes smaller than the kernel and other odd kernels", "[ops][depthwise]") {
  check_against_conv2d({2, 3, 2, 5, 7, true, false});
  check_against_conv2d({1, 2, 1, 1, 7, true, true});
  check_against_conv2d({2, 4, 6, 9, 5, true, false});
  check_against_conv2d({2, 4, 6, 9, 1, true, false});
}

TEST_CASE("depthwise conv: other dtypes and autocast go to LibTorch", "[ops][depthwise]") {
  const auto x = torch::randn({1, 4, 8, 8});
  const auto w = torch::randn({4, 1, 3, 3});
  CHECK(hornet::ops::depthwise_conv2d_uses_own_kernel(x, w));
  CHECK_FALSE(hornet::ops::depthwise_conv2d_uses_own_kernel(x.to(torch::kDouble), w.to(torch::kDouble)));
  const auto ref = torch::conv2d(x.to(torch::kDouble), w.to(torch::kDouble), {}, 1, 1, 1, 4);
  CHECK(torch::allclose(hornet::ops::depthwise_conv2d(x.to(torch::kDouble), w.to(torch::kDouble), {}), ref));
  hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
  CHECK_FALSE(hornet::ops::depthwise_conv2d_uses_own_kernel(x, w));
  CHECK(hornet::ops::depthwise_conv2d(x, w, {}).scalar_type() == torch::kBFloat16);
}
