// Per-class figures of an evaluation, against counts derived by hand.
#include "hornet/engine/evaluate.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

using namespace hornet;
using Catch::Matchers::Contains;

namespace {
// 7 samples of 3 classes: class 0 has 3 (2 right, one taken for 2), class 1
// has 2 (both taken for 0), class 2 has 2 (both right).
engine::EvalResult seven_samples() {
  engine::EvalResult r;
  r.targets = torch::tensor({0, 0, 0, 1, 1, 2, 2}, torch::kInt64);
  r.predicted = torch::tensor({0, 2, 0, 0, 0, 2, 2}, torch::kInt64);
  r.samples = 7;
  r.top1 = 100.0 * 4 / 7;
  r.class_names = {"cat", "dog", "eel"};
  return r;
}
}  // namespace

TEST_CASE("evaluate: per-class samples, hits and the confusion matrix", "[evaluate]") {
  const auto b = engine::class_breakdown(seven_samples(), 3, true);
  CHECK(b.samples == std::vector<int64_t>{3, 2, 2});
  CHECK(b.correct == std::vector<int64_t>{2, 0, 2});
  const auto expected = torch::tensor({2, 0, 1, 2, 0, 0, 0, 0, 2}, torch::kInt64).view({3, 3});
  CHECK(torch::equal(b.confusion, expected));
  // A class without samples counts zero (and has no accuracy in the report).
  const auto four = engine::class_breakdown(seven_samples(), 4, false);
  CHECK(four.samples == std::vector<int64_t>{3, 2, 2, 0});
  CHECK_FALSE(four.confusion.defined());
}

TEST_CASE("evaluate: the JSON report names classes and leaves huge matrices out", "[evaluate]") {
  const auto json = engine::eval_report_json(seven_samples(), 3);
  CHECK_THAT(json, Contains("{\"class\": 1, \"name\": \"dog\", \"samples\": 2, \"correct\": 0, \"top1\": 0.000000}"));
  CHECK_THAT(json, Contains("\"confusion_matrix\": [\n  [2,0,1],\n  [2,0,0],\n  [0,0,2]]"));
  const auto big = engine::eval_report_json(seven_samples(), engine::kMaxConfusionClasses + 1);
  CHECK_THAT(big, Contains("\"confusion_matrix\": null"));
  CHECK_THAT(big, Contains("{\"class\": 3, \"name\": \"3\", \"samples\": 0, \"correct\": 0, \"top1\": null}"));
}
