// hornet-convert: rewrites HorNet weights between checkpoint layouts, or writes
// a freshly initialised model.
//
//   hornet-convert IN OUT --to mmpretrain|official|hornet [--use-ema]
//   hornet-convert --init ARCH OUT [--to LAYOUT] [--num-classes N] [--seed S]
#include "hornet/cli/command.h"
#include "hornet/common/version.h"
#include "hornet/models/arch.h"
#include "hornet/models/weight_file.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"hornet-convert: rewrite HorNet weights in the mmpretrain, official or hornet layout, or write a "
               "randomly initialised model",
               "hornet-convert"};
  std::vector<std::string> files;
  std::string target, init_arch;
  bool use_ema = false;
  int64_t num_classes = 1000;
  uint64_t seed = 0;
  app.add_option("files", files, "IN OUT: the checkpoint to read (any layout; zip or legacy torch.save) and the "
                                 "torch.save file to write; with --init only OUT")
      ->required()
      ->expected(1, 2);
  auto* to = app.add_option("--to", target, "Layout to write: mmpretrain (flat backbone.*/head.fc.* dict), official "
                                            "({'model': ...} with the official names) or hornet ({'meta', "
                                            "'state_dict'}); --init defaults to hornet");
  auto* init = app.add_option("--init", init_arch, "Write a randomly initialised model of this zoo arch instead");
  app.add_flag("--use-ema", use_ema, "Convert the EMA weights")->excludes(init);
  app.add_option("--num-classes", num_classes, "With --init: classifier outputs")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->needs(init);
  app.add_option("--seed", seed, "With --init: the random seed")->needs(init);
  app.set_version_flag("--version", hornet::version_text());
  return hornet::cli::run_tool(app, hornet::cli::arguments(argc, argv), [&]() -> int {
    if (init->count() == 0) {
      if (files.size() != 2) throw std::invalid_argument("give the checkpoint to read and the file to write (IN OUT)");
      if (to->count() == 0) throw std::invalid_argument("--to is required: mmpretrain, official or hornet");
      const auto layout = hornet::models::parse_convert_target(target);
      const size_t n = hornet::models::convert_checkpoint(files[0], files[1], layout, use_ema);
      std::cout << "hornet-convert: wrote " << n << " tensors to " << files[1] << " (" << target << " layout)\n";
      return 0;
    }
    if (files.size() != 1) throw std::invalid_argument("--init writes one file: give only OUT");
    if (target.empty()) target = "hornet";
    const auto arch = hornet::models::arch_by_name(init_arch);
    const size_t n = hornet::models::save_initialised_checkpoint(arch, num_classes, seed, files[0],
                                                                 hornet::models::parse_convert_target(target));
    std::cout << "hornet-convert: wrote a randomly initialised " << arch.name << " (" << num_classes << " classes, seed "
              << seed << ", " << n << " tensors) to " << files[0] << " (" << target << " layout)\n";
    return 0;
  });
}
