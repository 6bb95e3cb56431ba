// hornet-data: dataset tools (`hornet-data SUBCOMMAND --help` lists its options).
//
//   make-toy OUT [--classes 6] [--train-per-class 100] [--val-per-class 30] [--size 64]
//   grid DATA --out grid.png|grid.jpg [--count 32] [--pipeline train|eval]
//   bench DATA [--pipeline train|eval|decode] [--workers N] [--batch-size 64] [--batches 20]
//   shard DATA OUT [--shard-size 1000] [--seed S] [--keep-order]
#include "hornet/common/version.h"
#include "tools/data/commands.h"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"hornet-data: dataset tools (toy data, augmentation previews, loader benchmarks)", "hornet-data"};
  app.require_subcommand(1);
  app.set_version_flag("--version", hornet::version_text());
  const std::vector<hornet::cli::Command> commands{hornet_data::add_make_toy(app), hornet_data::add_grid(app),
                                                   hornet_data::add_bench(app), hornet_data::add_shard(app)};
  return hornet::cli::run_subcommands(app, commands, hornet::cli::arguments(argc, argv));
}
