// The arch zoo table and arch / input validation errors.
#include "hornet/models/arch.h"
#include "hornet/models/classifier.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet::models;
using Catch::Matchers::Contains;

TEST_CASE("zoo: canonical names, aliases and case-insensitive lookup", "[models][arch]") {
  std::vector<std::string> names;
  for (const auto& a : arch_zoo()) names.push_back(a.name);
  CHECK(names == std::vector<std::string>{"tiny", "tiny-gf", "small", "small-gf", "base", "base-gf",
                                          "base-gf384", "large", "large-gf", "large-gf384"});
  CHECK(arch_by_name("t").name == "tiny");
  CHECK(arch_by_name("T-GF").name == "tiny-gf");
  CHECK(arch_by_name("b-gf384").name == "base-gf384");
  CHECK(arch_by_name("l").base_dim == 192);
  for (const auto& a : arch_zoo()) {
    CHECK(a.depths == std::vector<int64_t>{2, 3, 18, 2});
    CHECK(a.orders == std::vector<int64_t>{2, 3, 4, 5});
    CHECK_NOTHROW(validate(a));
  }
}

TEST_CASE("zoo: GF filter sizes are the rfft2 grids of the stage maps", "[models][arch]") {
  // A filter is (H, W/2+1) of its stage: input/16 for stage 2, input/32 for stage 3.
  for (const auto& a : arch_zoo()) {
    for (int stage : {2, 3}) {
      const auto& m = a.mixers[stage];
      if (m.kind != MixerKind::kGlobalLocal) continue;
      const int64_t side = a.input_size >> (stage + 2);
      INFO(a.name << " stage " << stage);
      CHECK(m.h == side);
      CHECK(m.w == side / 2 + 1);
    }
  }
  CHECK(arch_by_name("large-gf384").mixers[2] == MixerSpec::global_local(24, 13));
  CHECK(arch_by_name("large-gf384").mixers[3] == MixerSpec::global_local(12, 7));
}

TEST_CASE("zoo: unknown names list the valid ones", "[models][arch][errors]") {
  REQUIRE_THROWS_AS(arch_by_name("huge"), std::invalid_argument);
  REQUIRE_THROWS_WITH(arch_by_name("huge"), Contains("unknown HorNet arch 'huge'") && Contains("tiny-gf") &&
                                                Contains("large-gf384"));
  // A near miss gets a suggestion.
  REQUIRE_THROWS_WITH(arch_by_name("tiny_gf"), Contains("unknown HorNet arch 'tiny_gf' (did you mean 'tiny-gf'?)"));
  REQUIRE_THROWS_WITH(arch_by_name("bsae"), Contains("(did you mean 'base'?)"));
}

TEST_CASE("gnConv channel split", "[models][arch]") {
  CHECK(gnconv_dims(256, 4) == std::vector<int64_t>{32, 64, 128, 256});
  CHECK(gnconv_dims(64, 2) == std::vector<int64_t>{32, 64});
  CHECK(gnconv_dims(48, 1) == std::vector<int64_t>{48});
  REQUIRE_THROWS_WITH(gnconv_dims(24, 5), Contains("divisible by 2^4") && Contains("24"));
}

TEST_CASE("custom archs: inconsistent specs are rejected with the field at fault", "[models][arch][errors]") {
  ArchSpec arch;
  arch.name = "mine";
  arch.base_dim = 16;

  SECTION("depths of the wrong length") {
    arch.depths = {2, 2, 2};
    REQUIRE_THROWS_WITH(validate(arch), Contains("arch 'mine'") && Contains("depths") && Contains("got 3"));
  }
  SECTION("orders of the wrong length") {
    arch.orders = {2, 3, 4, 5, 6};
    REQUIRE_THROWS_WITH(validate(arch), Contains("orders") && Contains("got 5"));
  }
  SECTION("a stage without blocks") {
    arch.depths = {1, 0, 1, 1};
    REQUIRE_THROWS_WITH(validate(arch), Contains("stage 1 needs at least one block"));
  }
  SECTION("an order whose channel split does not divide") {
    arch.base_dim = 6;  // stage 3 has 48 channels; order 6 needs 2^5 | 48
    arch.orders = {2, 3, 4, 6};
    REQUIRE_THROWS_WITH(validate(arch), Contains("stage 3 has 48 channels") && Contains("order 6") &&
                                            Contains("divisible by 2^5"));
  }
  SECTION("GF on a stage with an odd number of mixed channels") {
    arch.base_dim = 6;  // stage 0: dims [3, 6] -> 9 mixed channels
    arch.mixers[0] = MixerSpec::global_local(8, 5);
    REQUIRE_THROWS_WITH(validate(arch), Contains("mixers[0] = gf") && Contains("mixes 9 channels") && Contains("GF cannot split"));
  }
  SECTION("a GF filter of size zero") {
    arch.mixers[2] = MixerSpec::global_local(0, 3);
    REQUIRE_THROWS_WITH(validate(arch), Contains("stage 2") && Contains("must be positive"));
  }
  SECTION("an even depthwise kernel") {
    arch.mixers[1] = MixerSpec::depthwise(4);
    REQUIRE_THROWS_WITH(validate(arch), Contains("stage 1") && Contains("odd"));
  }
  SECTION("a non-positive base_dim") {
    arch.base_dim = 0;
    REQUIRE_THROWS_WITH(validate(arch), Contains("base_dim must be positive"));
  }
  SECTION("the model refuses to build from it") {
    arch.depths = {1, 1};
    REQUIRE_THROWS_AS(HorNet(HorNetOptions(arch)), std::invalid_argument);
  }
}

TEST_CASE("inputs of the wrong rank, channels, size or dtype get clear errors", "[models][arch][errors]") {
  ArchSpec arch;
  arch.base_dim = 8;
  arch.depths = {1, 1, 1, 1};
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(5));
  model->eval();
  torch::NoGradGuard no_grad;
  REQUIRE_THROWS_WITH(model->forward(torch::randn({3, 64, 64})),
                      Contains("expected input of shape [N, 3, H, W]") && Contains("[3, 64, 64]"));
  REQUIRE_THROWS_WITH(model->forward(torch::randn({1, 1, 64, 64})), Contains("[1, 1, 64, 64]"));
  REQUIRE_THROWS_WITH(model->forward(torch::randn({1, 3, 16, 64})),
                      Contains("at least 32") && Contains("16x64"));
  REQUIRE_THROWS_WITH(model->forward(torch::ones({1, 3, 64, 64}, torch::kInt64)),
                      Contains("floating-point"));
  CHECK(model->forward(torch::randn({2, 3, 40, 72})).sizes() == torch::IntArrayRef({2, 5}));
}
