// Options that several hornet-eval subcommands take, bound and interpreted once.
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/io/state_dict.h"
#include "hornet/models/weight_file.h"

#include <torch/types.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace hornet_eval {

/// --weights default|raw|ema and its older spelling --use-ema.
struct WeightsArgs {
  std::string choice = "default";
  bool use_ema = false;
  CLI::Option* choice_option = nullptr;

  void add_to(CLI::App& app);
  hornet::io::WeightChoice resolve() const;
  /// Whether the command line picked the weights (else the file's framework does).
  bool given() const;
};

/// A checkpoint read without a config: --arch and what reshapes its head or filters.
struct ArchCheckpointArgs {
  std::string arch, class_map;
  int64_t num_classes = 0, image_size = 0;
  bool map_file = false;
  std::vector<CLI::Option*> options;  // all but --arch, for a subcommand's excludes()

  void add_to(CLI::App& app);
  hornet::models::CheckpointModelOptions model_options(hornet::io::WeightChoice weights) const;
};

/// An option taking one of an enumeration's names (config/choices.h) into `target`.
template <typename E>
CLI::Option* add_choice_option(CLI::App& app, const std::string& name, E& target, const std::string& doc) {
  std::vector<std::string> names;
  for (const auto& choice : hornet::config::choices<E>()) names.push_back(choice.first);
  return app
      .add_option_function<std::string>(
          name, [&target](const std::string& text) { target = hornet::config::parse_choice<E>(text); }, doc)
      ->check(CLI::IsMember(names));
}

/// --checkpoint FILE (required): a torch.save file of any layout hornet reads.
void add_checkpoint_option(CLI::App& app, std::string& checkpoint);

/// --real-labels real.json (ImageNet-ReaL accuracy beside the plain one) and --flip
/// (horizontal-flip test-time augmentation), as validate and bulk take them.
void add_scoring_options(CLI::App& app, std::string& real_labels, bool& flip);

/// --amp with the config's names (off by default here: evaluation in full precision unless asked).
void add_amp_option(CLI::App& app, hornet::config::AmpSetting& amp);

/// --device without a config: "cpu" when empty; refused when this build or machine cannot run it.
torch::Device usable_device(const std::string& text);

/// A recipe with --set overrides and --device applied, parsed and checked.
hornet::config::ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides,
                                                 const std::string& device);

}  // namespace hornet_eval
