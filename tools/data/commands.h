// hornet-data's subcommands, one file each.
#pragma once

#include "hornet/cli/command.h"

namespace CLI {
class App;
}

namespace hornet_data {

hornet::cli::Command add_make_toy(CLI::App& tool);  // make_toy.cpp: the procedural toy dataset
hornet::cli::Command add_grid(CLI::App& tool);      // grid.cpp: a contact sheet of pipeline outputs
hornet::cli::Command add_bench(CLI::App& tool);     // bench.cpp: loader or decoder throughput
hornet::cli::Command add_shard(CLI::App& tool);     // shard.cpp: WebDataset tar shards of a dataset

}  // namespace hornet_data
