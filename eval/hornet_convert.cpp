// hornet-convert: rewrites HorNet weights between checkpoint layouts.
//
//   hornet-convert IN OUT --to mmpretrain|official|hornet [--use-ema]
#include "hornet/common/cli.h"
#include "hornet/common/version.h"
#include "hornet/models/checkpoint.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"hornet-convert: rewrite HorNet weights in the mmpretrain, official or hornet layout"};
  std::string input, output, target;
  bool use_ema = false;
  app.add_option("input", input, "Checkpoint to read (any layout; zip or legacy torch.save)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("output", output, "torch.save file to write")->required();
  app.add_option("--to", target, "Layout to write: mmpretrain (flat backbone.*/head.fc.* dict), official "
                                 "({'model': ...} with the official names) or hornet ({'meta', 'state_dict'})")
      ->required();
  app.add_flag("--use-ema", use_ema, "Convert the EMA weights");
  app.set_version_flag("--version", std::string("hornet ") + hornet::kVersion);
  CLI11_PARSE(app, argc, argv);
  return hornet::common::run_command("hornet-convert", [&]() -> int {
    const auto layout = hornet::models::parse_convert_target(target);
    const size_t n = hornet::models::convert_checkpoint(input, output, layout, use_ema);
    std::cout << "hornet-convert: wrote " << n << " tensors to " << output << " (" << target << " layout)\n";
    return 0;
  });
}
