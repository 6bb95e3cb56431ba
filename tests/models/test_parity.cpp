// Logits and gradients of the C++ model against the Python reference
// (tests/reference/hornet_ref.py) on the same randomised weights and inputs.
// The generator proves each fixture sensitive: planted porting bugs (LayerNorm
// eps, tanh GELU, concatenated GF channels, gnConv scale, a missing block) move
// its logits by more than twice the tolerance used here.
#include "hornet/io/npy.h"
#include "hornet/models/classifier.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;

namespace {

constexpr double kLogitTolerance = 1e-4;
constexpr double kGradRelTolerance = 1e-4;

models::ImageClassifier build_case_model(const test::ModelCase& c) {
  models::ArchSpec arch = c.arch;
  if (c.zoo) {
    // Zoo cases build from our table and must agree with the reference's table.
    arch = models::arch_by_name(*c.zoo);
    REQUIRE(arch.base_dim == c.arch.base_dim);
    REQUIRE(arch.depths == c.arch.depths);
    REQUIRE(arch.orders == c.arch.orders);
    REQUIRE(arch.mixers == c.arch.mixers);
  }
  auto model = models::ImageClassifier(
      models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(c.num_classes));
  const auto report = io::load_state_dict(*model, test::read_npy_dir(c.dir + "/params"), /*strict=*/true);
  REQUIRE(report.clean());
  return model;
}

void check_logits(const std::string& name) {
  const auto c = test::load_model_case(name);
  auto model = build_case_model(c);
  model->eval();
  const auto input = io::read_npy(c.dir + "/input.npy");
  REQUIRE(input.sizes().vec() == c.input_shape);
  const auto expected = io::read_npy(c.dir + "/logits.npy");
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(input);
  REQUIRE(logits.sizes() == expected.sizes());
  const double diff = test::max_abs_diff(logits, expected);
  INFO(name << ": max |logits - reference| = " << diff << ", logit scale "
            << expected.abs().max().item<double>());
  CHECK(diff <= kLogitTolerance);
  // The near-flat second sample is where a wrong LayerNorm eps shows.
  if (input.size(0) > 1) {
    CHECK(test::max_abs_diff(logits[1], expected[1]) <= kLogitTolerance);
  }
}

void check_gradients(const std::string& name) {
  const auto c = test::load_model_case(name);
  auto model = build_case_model(c);
  model->eval();
  const auto input = io::read_npy(c.dir + "/input.npy");
  const auto grad_output = io::read_npy(c.dir + "/grad_output.npy");
  const auto expected = test::read_npy_dir(c.dir + "/grads");
  model->zero_grad();
  (model->forward(input) * grad_output).sum().backward();
  const auto params = model->named_parameters();
  REQUIRE(expected.size() == params.size());
  double worst = 0.0;
  std::string worst_key;
  for (const auto& p : params) {
    const auto it = expected.find(p.key());
    REQUIRE(it != expected.end());
    REQUIRE(p.value().grad().defined());
    const double scale = it->second.abs().max().item<double>();
    REQUIRE(scale > 0.0);  // randomised weights leave no dead parameter
    const double rel = test::max_abs_diff(p.value().grad(), it->second) / scale;
    if (rel > worst) {
      worst = rel;
      worst_key = p.key();
    }
  }
  INFO(name << ": worst gradient error " << worst << " of scale, at " << worst_key);
  CHECK(worst <= kGradRelTolerance);
}

}  // namespace

TEST_CASE("parity: custom arch, depthwise mixers", "[models][parity]") { check_logits("custom_dw"); }
TEST_CASE("parity: custom arch, GF mixers with a resized filter", "[models][parity]") {
  check_logits("custom_gf");
}
TEST_CASE("parity: custom arch, odd sizes, 3x3 depthwise, GF resize", "[models][parity]") {
  check_logits("custom_gf_odd");
}
TEST_CASE("parity: tiny at 224", "[models][parity][full]") { check_logits("tiny_224"); }
TEST_CASE("parity: tiny-gf at 224", "[models][parity][full]") { check_logits("tiny_gf_224"); }
TEST_CASE("parity: tiny-gf at 256, filters resized on the fly", "[models][parity][full]") {
  check_logits("tiny_gf_256");
}
TEST_CASE("parity: GF at 384 with the official (24,13)/(12,7) filters", "[models][parity][full]") {
  check_logits("gf_384");
}

TEST_CASE("gradients: custom arch, depthwise mixers", "[models][parity][grad]") {
  check_gradients("custom_dw");
}
TEST_CASE("gradients: custom arch, GF mixers", "[models][parity][grad]") { check_gradients("custom_gf"); }
TEST_CASE("gradients: custom arch, odd sizes", "[models][parity][grad]") {
  check_gradients("custom_gf_odd");
}
