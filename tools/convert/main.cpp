// hornet-convert: rewrites HorNet weights between checkpoint layouts, or writes
// a freshly initialised model.
//
//   hornet-convert IN OUT --to mmpretrain|official|hornet|safetensors [--use-ema]
//   hornet-convert IN OUT --backbone-only [--out-indices 0,1,2,3] [--to mmpretrain|safetensors]
//   hornet-convert --init ARCH OUT [--to LAYOUT] [--num-classes N] [--seed S]
#include "hornet/cli/command.h"
#include "hornet/common/version.h"
#include "hornet/models/arch.h"
#include "hornet/models/weight_file.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{
      "hornet-convert: rewrite HorNet weights in the mmpretrain, official or hornet layout, as torch.save "
      "or safetensors files, or write a randomly initialised model",
      "hornet-convert"};
  std::vector<std::string> files;
  std::string target, init_arch;
  bool use_ema = false, backbone_only = false;
  std::vector<int64_t> out_indices{0, 1, 2, 3};
  int64_t num_classes = 1000;
  uint64_t seed = 0;
  app.add_option("files", files,
                 "IN OUT: the checkpoint to read (any layout; zip or legacy torch.save, or "
                 "safetensors) and the file to write (safetensors when its name ends in "
                 ".safetensors, else torch.save); with --init only OUT")
      ->required()
      ->expected(1, 2);
  auto* to = app.add_option("--to", target,
                            "Layout to write: mmpretrain (flat backbone.*/head.fc.* dict), official "
                            "({'model': ...} with the official names), hornet ({'meta', "
                            "'state_dict'}) or safetensors (mmpretrain names in a .safetensors "
                            "file); --init defaults to hornet");
  auto* init = app.add_option("--init", init_arch, "Write a randomly initialised model of this zoo arch instead");
  app.add_flag("--use-ema", use_ema, "Convert the EMA weights")->excludes(init);
  auto* backbone =
      app.add_flag("--backbone-only", backbone_only,
                   "Write only the backbone, as mmdet/mmseg configs load it: mmpretrain names with "
                   "the `backbone.` prefix, no head, an output norm per --out-indices (--to defaults "
                   "to mmpretrain)")
          ->excludes(init);
  app.add_option("--out-indices", out_indices,
                 "With --backbone-only: the stages whose output norms the file holds (the input's, or unit "
                 "weight and zero bias where it has none)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{0}, int64_t{3}))
      ->needs(backbone);
  app.add_option("--num-classes", num_classes, "With --init: classifier outputs")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->needs(init);
  app.add_option("--seed", seed, "With --init: the random seed")->needs(init);
  app.set_version_flag("--version", hornet::version_text());
  return hornet::cli::run_tool(app, hornet::cli::arguments(argc, argv), [&]() -> int {
    if (init->count() == 0) {
      if (files.size() != 2) throw std::invalid_argument("give the checkpoint to read and the file to write (IN OUT)");
      if (to->count() == 0 && backbone_only) target = "mmpretrain";
      if (target.empty())
        throw std::invalid_argument("--to is required: mmpretrain, official, hornet or safetensors");
      const auto layout = hornet::models::parse_convert_target(target);
      const size_t n = hornet::models::convert_checkpoint(
          files[0], files[1], layout, use_ema, backbone_only ? out_indices : std::vector<int64_t>{});
      std::cout << "hornet-convert: wrote " << n << " tensors to " << files[1] << " (" << target << " layout"
                << (backbone_only ? ", backbone only" : "") << ")\n";
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
