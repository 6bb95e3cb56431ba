// hornet-eval's subcommands, one file each: each adds itself to the tool's
// command line and returns what runs when it is chosen.
#pragma once

#include "hornet/cli/command.h"

namespace CLI {
class App;
}

namespace hornet_eval {

hornet::cli::Command add_validate(CLI::App& tool);   // validate.cpp: top-1/top-5 of a config's model on its data
hornet::cli::Command add_predict(CLI::App& tool);    // predict.cpp: classify image files
hornet::cli::Command add_load(CLI::App& tool);       // load.cpp: load a checkpoint into an arch (and run a .npy batch)
hornet::cli::Command add_inspect(CLI::App& tool);    // inspect.cpp: what a checkpoint file holds
hornet::cli::Command add_summary(CLI::App& tool);    // summary.cpp: parameters and FLOPs
hornet::cli::Command add_forward(CLI::App& tool);    // forward.cpp: one forward pass per arch
hornet::cli::Command add_benchmark(CLI::App& tool);  // benchmark.cpp: time training steps or inference
hornet::cli::Command add_zoo(CLI::App& tool);        // zoo.cpp: the published checkpoints
hornet::cli::Command add_features(CLI::App& tool);   // features.cpp: backbone feature maps for dense tasks
hornet::cli::Command add_bulk(CLI::App& tool);       // bulk.cpp: many checkpoints, one table row each

}  // namespace hornet_eval
