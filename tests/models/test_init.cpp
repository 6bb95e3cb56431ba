// Official initialisation (docs/model.md §9) and trunc_normal_ against
// closed-form statistics of the truncated normal.
#include "hornet/models/classifier.h"
#include "hornet/models/init.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cmath>

using namespace hornet::models;

TEST_CASE("trunc_normal_ samples the truncated normal", "[models][init]") {
  torch::manual_seed(0);
  auto t = torch::empty({400000}, torch::kFloat64);
  trunc_normal_(t, 0.0, 1.0, -1.0, 1.0);
  CHECK(t.min().item<double>() >= -1.0);
  CHECK(t.max().item<double>() <= 1.0);
  // N(0,1) truncated to [-1, 1]: var = 1 - 2 phi(1) / (2 Phi(1) - 1).
  const double phi1 = std::exp(-0.5) / std::sqrt(2.0 * M_PI);
  const double mass = std::erf(1.0 / std::sqrt(2.0));
  const double expected_std = std::sqrt(1.0 - 2.0 * phi1 / mass);
  CHECK(t.std().item<double>() == Approx(expected_std).epsilon(0.01));
  CHECK(t.mean().item<double>() == Approx(0.0).margin(0.005));

  // Far bounds take the plain-normal route: same moments.
  auto far = torch::empty({400000}, torch::kFloat64);
  trunc_normal_(far, 1.0, 0.02, -2.0, 2.0);
  CHECK(far.std().item<double>() == Approx(0.02).epsilon(0.01));
  CHECK(far.mean().item<double>() == Approx(1.0).margin(1e-4));

  // The default bounds are absolute (+-2), not in units of std.
  auto wide = torch::empty({200000});
  trunc_normal_(wide, 0.0, 3.0);
  CHECK(wide.abs().max().item<double>() <= 2.0);
  CHECK(wide.abs().max().item<double>() > 1.99);
}

TEST_CASE("official init: trunc-normal 0.02 convs and linears, zero biases, 1e-6 layer scale",
          "[models][init]") {
  torch::manual_seed(0);
  ArchSpec arch;
  arch.base_dim = 32;
  arch.depths = {1, 1, 2, 1};
  arch.mixers[3] = MixerSpec::global_local(7, 4);
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(100));
  int checked = 0;
  for (const auto& p : model->named_parameters()) {
    const auto& key = p.key();
    const auto& v = p.value();
    INFO(key);
    const std::string leaf = key.substr(key.rfind('.') + 1);
    if (key.find("gamma") != std::string::npos) {
      CHECK(torch::allclose(v, torch::full_like(v, 1e-6)));
    } else if (leaf == "complex_weight" || (leaf == "weight" && v.dim() > 1)) {
      if (v.numel() >= 2000) {
        CHECK(v.std().item<double>() == Approx(0.02).epsilon(0.1));
        CHECK(v.mean().item<double>() == Approx(0.0).margin(0.003));
      }
      CHECK(v.abs().max().item<double>() < 0.2);  // nothing left at PyTorch's default scale
    } else if (leaf == "bias") {  // conv, linear and LayerNorm biases alike
      CHECK(torch::equal(v, torch::zeros_like(v)));
    } else {  // LayerNorm weights
      REQUIRE(v.dim() == 1);
      CHECK(torch::equal(v, torch::ones_like(v)));
    }
    ++checked;
  }
  CHECK(checked == static_cast<int>(model->parameters().size()));
}
