// Loading named tensors into a module: strict and non-strict, with a report.
#include "hornet/io/state_dict.h"
#include "hornet/models/classifier.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;
using Catch::Matchers::Contains;

namespace {
models::ImageClassifier small_model(int64_t classes) {
  models::ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  return models::ImageClassifier(
      models::ImageClassifierOptions(models::HorNetOptions(arch)).num_classes(classes));
}
}  // namespace

TEST_CASE("state dict: a full dict loads strictly and copies every tensor", "[io][state_dict]") {
  auto source = small_model(5);
  auto target = small_model(5);
  const auto sd = io::state_dict(*source);
  const auto report = io::load_state_dict(*target, sd);
  CHECK(report.clean());
  CHECK(report.loaded == sd.size());
  const auto loaded = io::state_dict(*target);
  for (const auto& [k, v] : sd) CHECK(torch::equal(loaded.at(k), v));
}

TEST_CASE("state dict: strict loading names every problem and copies nothing", "[io][state_dict][errors]") {
  auto target = small_model(5);
  auto sd = io::state_dict(*small_model(7));  // head of another size
  sd.erase("backbone.norm3.weight");
  sd["backbone.extra.weight"] = torch::zeros({3});
  const auto before = io::state_dict(*target).at("backbone.stages.0.0.norm1.bias").clone();
  REQUIRE_THROWS_WITH(io::load_state_dict(*target, sd),
                      Contains("missing in checkpoint (1)") && Contains("backbone.norm3.weight") &&
                          Contains("unexpected in checkpoint (1)") && Contains("backbone.extra.weight") &&
                          Contains("shape mismatch (2)") && Contains("head.fc.weight: model [5, 64], checkpoint [7, 64]"));
  CHECK(torch::equal(io::state_dict(*target).at("backbone.stages.0.0.norm1.bias"), before));

  const auto report = io::load_state_dict(*target, sd, /*strict=*/false);
  CHECK(report.missing == std::vector<std::string>{"backbone.norm3.weight"});
  CHECK(report.unexpected == std::vector<std::string>{"backbone.extra.weight"});
  REQUIRE(report.mismatched.size() == 2);
  CHECK(report.loaded == io::state_dict(*target).size() - 3);
}

TEST_CASE("state dict: dtypes convert on load", "[io][state_dict]") {
  auto source = small_model(5);
  auto target = small_model(5);
  io::StateDict half;
  for (const auto& [k, v] : io::state_dict(*source)) half[k] = v.to(torch::kFloat16);
  io::load_state_dict(*target, half);
  const auto loaded = io::state_dict(*target);
  for (const auto& [k, v] : half) {
    CHECK(loaded.at(k).scalar_type() == torch::kFloat32);
    CHECK(torch::equal(loaded.at(k), v.to(torch::kFloat32)));
  }
}
