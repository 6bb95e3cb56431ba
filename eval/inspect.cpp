// hornet-eval inspect: what a checkpoint file holds and which weights hornet would take from it.
#include "eval/commands.h"

#include "eval/options.h"
#include "hornet/io/torch_file.h"
#include "hornet/models/weight_file.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace hornet_eval {

hornet::cli::Command add_inspect(CLI::App& tool) {
  auto* app = tool.add_subcommand("inspect", "Print a checkpoint's structure and what its weights are");
  auto checkpoint = std::make_shared<std::string>();
  add_checkpoint_option(*app, *checkpoint);
  return {app, [checkpoint] {
            hornet::io::TorchFile file(*checkpoint);
            std::cout << hornet::models::inspect_checkpoint(file) << std::flush;
            return 0;
          }};
}

}  // namespace hornet_eval
