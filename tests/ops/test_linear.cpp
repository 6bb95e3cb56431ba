// hornet's linear layer against torch::linear: values and gradients, on the
// oneDNN route and on the inputs that must fall back.
#include "hornet/ops/autocast.h"
#include "hornet/ops/linear.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace {

void check_against_torch(std::vector<int64_t> shape, int64_t out, bool bias, bool expect_onednn) {
  INFO("shape " << c10::IntArrayRef(shape) << " out " << out << " bias " << bias);
  torch::manual_seed(static_cast<uint64_t>(shape.back() * 31 + out));
  const auto x = torch::randn(shape);
  const auto w = torch::randn({out, shape.back()});
  const auto b = bias ? torch::randn({out}) : torch::Tensor();
  CHECK(hornet::ops::linear_uses_onednn(x, w) == expect_onednn);
  CHECK(hornet::ops::linear(x, w, b).is_contiguous());
  hornet::test::check_against_reference(
      [](const std::vector<torch::Tensor>& in) { return hornet::ops::linear(in[0], in[1], in[2]); },
      [](const std::vector<torch::Tensor>& in) { return torch::linear(in[0], in[1], in[2]); }, {x, w, b}, 1e-5);
}

}  // namespace

TEST_CASE("linear: the oneDNN route equals torch::linear forward and backward", "[ops][linear]") {
  check_against_torch({2, 9, 7, 24}, 40, true, true);
  check_against_torch({16, 5, 3}, 8, false, true);
  check_against_torch({1, 3, 17, 11, 6}, 5, true, true);
}

TEST_CASE("linear: 2-D inputs, too few rows, doubles and autocast use torch::linear", "[ops][linear]") {
  check_against_torch({7, 24}, 40, true, false);
  {
    // LibTorch's convolution heuristic sends fewer than 16 rows to oneDNN only
    // when it may use several threads.
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    check_against_torch({1, 3, 4, 8}, 8, true, false);
    at::set_num_threads(threads);
  }
  const auto x = torch::randn({4, 8, 8, 16});
  const auto w = torch::randn({32, 16});
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x.to(torch::kDouble), w.to(torch::kDouble)));
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x.permute({0, 2, 1, 3}), w));
  hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x, w));
  CHECK(hornet::ops::linear(x, w, {}).scalar_type() == torch::kBFloat16);
}
