// hornet-data make-toy: the procedural toy dataset the tests and the quick start train on.
#include "tools/data/commands.h"

#include "hornet/data/toy_dataset.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace hornet_data {

hornet::cli::Command add_make_toy(CLI::App& tool) {
  auto* app = tool.add_subcommand("make-toy", "Write the procedural toy dataset (ImageFolder of JPEGs)");
  auto out = std::make_shared<std::string>();
  auto o = std::make_shared<hornet::data::ToyDatasetOptions>();
  app->add_option("out", *out, "Output folder (gets train/ and val/)")->required();
  app->add_option("--classes", o->classes, "Number of shape classes (2-8)")->check(CLI::Range(2, 8));
  app->add_option("--train-per-class", o->train_per_class, "Training images per class")->check(CLI::Range(1, 1000000));
  app->add_option("--val-per-class", o->val_per_class, "Validation images per class")->check(CLI::Range(1, 1000000));
  app->add_option("--size", o->size, "Image side in pixels")->check(CLI::Range(16, 4096));
  app->add_option("--seed", o->seed, "Random seed");
  return {app, [out, o] {
            const int64_t n = hornet::data::make_toy_dataset(*out, *o);
            std::printf("hornet-data: wrote %lld images of %d classes under %s\n", static_cast<long long>(n),
                        o->classes, out->c_str());
            return 0;
          }};
}

}  // namespace hornet_data
