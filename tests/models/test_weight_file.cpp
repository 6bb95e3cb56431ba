// Loading HorNet weights from the layouts Python tools write: mmengine training
// checkpoints (with EMAHook's swap), heads sliced through a class map, GF
// filters made for another size; key renaming between layouts. Expected logits
// come from the Python reference (tests/reference/make_fixtures.py).
#include "hornet/io/npy.h"
#include "hornet/models/weight_file.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <yaml-cpp/yaml.h>

using namespace hornet;
using namespace hornet::models;
using Catch::Matchers::Contains;

namespace {

std::string ckpt(const std::string& name) { return test::fixture_dir() + "/checkpoints/" + name; }

ArchSpec small_arch() {
  const YAML::Node spec = YAML::LoadFile(ckpt("small_arch.json"));
  ArchSpec arch;
  arch.name = "small-custom";
  arch.base_dim = spec["base_dim"].as<int64_t>();
  arch.depths = spec["depths"].as<std::vector<int64_t>>();
  arch.orders = spec["orders"].as<std::vector<int64_t>>();
  arch.mixers.clear();
  for (const auto& m : spec["mixers"]) {
    arch.mixers.push_back(m[0].as<std::string>() == "dw" ? MixerSpec::depthwise(m[1].as<int64_t>())
                                                         : MixerSpec::global_local(m[1].as<int64_t>(), m[2].as<int64_t>()));
  }
  arch.input_size = 64;
  return arch;
}

double logit_error(ImageClassifier& model, const std::string& expected) {
  model->eval();
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(io::read_npy(ckpt("small_input.npy")));
  return test::max_abs_diff(logits, io::read_npy(ckpt(expected)));
}

}  // namespace

TEST_CASE("checkpoint: official <-> mmpretrain key rules", "[models][checkpoint]") {
  const std::pair<const char*, const char*> pairs[] = {
      {"head.weight", "head.fc.weight"},
      {"head.bias", "head.fc.bias"},
      {"norm.weight", "backbone.norm3.weight"},
      {"stages.2.0.gnconv.pws.1.weight", "backbone.stages.2.0.gnconv.projs.1.weight"},
      {"stages.2.0.gamma1", "backbone.stages.2.0.gamma1.weight"},
      {"stages.3.1.gamma2", "backbone.stages.3.1.gamma2.weight"},
      {"stages.0.0.norm1.bias", "backbone.stages.0.0.norm1.bias"},
      {"downsample_layers.0.1.weight", "backbone.downsample_layers.0.1.weight"},
      {"stages.2.5.gnconv.dwconv.complex_weight", "backbone.stages.2.5.gnconv.dwconv.complex_weight"},
  };
  for (const auto& [official, mm] : pairs) {
    CHECK(official_to_mmpretrain(official) == mm);
    CHECK(mmpretrain_to_official(mm) == official);
  }
  CHECK(detect_layout({"stages.0.0.gamma1", "head.weight"}) == KeyLayout::kOfficial);
  CHECK(detect_layout({"backbone.norm3.weight"}) == KeyLayout::kMmpretrain);
}

TEST_CASE("checkpoint: mmengine training checkpoint, raw and EMA weights", "[models][checkpoint]") {
  CheckpointModelOptions options;
  // By default the weights mmengine itself evaluates: its state_dict, which EMAHook filled with the EMA weights.
  CHECK_THAT(classifier_from_checkpoint(small_arch(), ckpt("small_mmengine.pth"), options).source,
             Contains("state_dict (EMA"));
  options.weights = io::WeightChoice::kRaw;
  auto raw = classifier_from_checkpoint(small_arch(), ckpt("small_mmengine.pth"), options);
  CHECK_THAT(raw.source, Contains("ema_state_dict"));
  CHECK(raw.report.clean());
  CHECK(logit_error(raw.model, "small_logits.npy") <= 1e-4);
  options.weights = io::WeightChoice::kEma;
  auto ema = classifier_from_checkpoint(small_arch(), ckpt("small_mmengine.pth"), options);
  CHECK_THAT(ema.source, Contains("state_dict (EMA"));
  CHECK(logit_error(ema.model, "small_logits_ema.npy") <= 1e-4);
}

TEST_CASE("checkpoint: parameters mapped from the file give the reference logits", "[models][checkpoint]") {
  CheckpointModelOptions options;
  options.map_file = true;
  options.weights = io::WeightChoice::kRaw;
  auto mapped = classifier_from_checkpoint(small_arch(), ckpt("small_mmengine.pth"), options);
  CHECK(mapped.report.clean());
  CHECK(mapped.report.mapped == mapped.report.loaded);
  CHECK(mapped.report.mapped == io::state_dict(*mapped.model).size());
  CHECK(mapped.crc_seconds == 0.0);
  CHECK(logit_error(mapped.model, "small_logits.npy") <= 1e-4);

  // Training updates stay in the process: the file still holds the weights.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mapped.model->parameters()) p.add_(1.0);
  }
  options.map_file = false;
  auto read = classifier_from_checkpoint(small_arch(), ckpt("small_mmengine.pth"), options);
  CHECK(read.report.mapped == 0);
  CHECK(logit_error(read.model, "small_logits.npy") <= 1e-4);
  CHECK(logit_error(mapped.model, "small_logits.npy") > 1e-2);
}

TEST_CASE("checkpoint: a 30-class head sliced to 10 classes through a class map", "[models][checkpoint]") {
  CheckpointModelOptions options;
  options.class_map = ckpt("small_class_map.pth");
  auto loaded = classifier_from_checkpoint(small_arch(), ckpt("small_22k.pth"), options);
  CHECK(loaded.model->num_classes() == 10);
  CHECK(loaded.report.adapted.size() == 2);
  CHECK(logit_error(loaded.model, "small_logits_mapped.npy") <= 1e-4);

  // Without the map the head does not fit a 10-class model: strict loading says so.
  options.class_map.clear();
  options.num_classes = 10;
  CHECK_THROWS_WITH(classifier_from_checkpoint(small_arch(), ckpt("small_22k.pth"), options),
                    Contains("head.fc.weight: model [10, 128], checkpoint [30, 128]"));
  // Fine-tuning keeps a fresh head instead.
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(small_arch())).num_classes(10));
  io::TorchFile file(ckpt("small_22k.pth"));
  WeightLoadOptions fine_tune;
  fine_tune.strict = false;
  fine_tune.reinit_mismatched_head = true;
  const auto report = load_weights(*model, file, io::find_weights(file.root(), false), fine_tune);
  CHECK(report.reinitialized.size() == 2);
  CHECK(report.mismatched.empty());
  CHECK(report.loaded == io::state_dict(*model).size() - 2);
}

TEST_CASE("checkpoint: GF filters of another size are resized while loading", "[models][checkpoint]") {
  auto model = ImageClassifier(ImageClassifierOptions(HorNetOptions(small_arch())).num_classes(10));
  io::TorchFile file(ckpt("small_other_filters.pth"));
  const auto weights = io::find_weights(file.root(), false);
  const auto report = load_weights(*model, file, weights);
  CHECK(report.adapted.size() == 3);  // two GF blocks in stage 2, one in stage 3
  CHECK_THAT(report.str(), Contains("stages.2.1.gnconv.dwconv.complex_weight: filter resized [60, 7, 5, 2] -> [60, 4, 3, 2]"));
  CHECK(logit_error(model, "small_logits_resized.npy") <= 1e-4);

  // arch_for_checkpoint instead takes the checkpoint's own filter sizes.
  const auto arch = arch_for_checkpoint(small_arch(), weight_shapes(weights));
  CHECK(arch.mixers[2] == MixerSpec::global_local(7, 5));
  CHECK(arch.mixers[3] == MixerSpec::global_local(5, 4));
}

TEST_CASE("checkpoint: wrong arch, missing EMA and non-HorNet files are clear errors", "[models][checkpoint][errors]") {
  CHECK_THROWS_WITH(classifier_from_checkpoint("small", ckpt("tiny_gf_mmpretrain.pth")),
                    Contains("does not fit arch 'small'") && Contains("base width 64"));
  CHECK_THROWS_WITH(classifier_from_checkpoint("tiny", ckpt("tiny_gf_mmpretrain.pth")),
                    Contains("stage 2 uses GF in the checkpoint but dw7 in the arch"));
  CheckpointModelOptions ema;
  ema.weights = io::WeightChoice::kEma;
  CHECK_THROWS_WITH(classifier_from_checkpoint("tiny-gf", ckpt("tiny_gf_mmpretrain.pth"), ema),
                    Contains("without EMA weights"));
  CHECK_THROWS_WITH(classifier_from_checkpoint("tiny", ckpt("objects_zip_p2.pth")),
                    Contains("not a HorNet checkpoint"));
  CHECK_THROWS_WITH(classifier_from_checkpoint("tiny", ckpt("small_class_map.pth")),
                    Contains("holds a tensor, not a dict of weights"));
  io::TorchFile objects(ckpt("objects_legacy_p2.pth"));
  CHECK_THROWS_WITH(io::find_weights(*objects.root().get("meta"), false),
                    Contains("no model weights found") && Contains("'epoch'"));
  CHECK_THROWS_WITH(read_class_index(ckpt("small_22k.pth")), Contains("expected a class index tensor"));
}
