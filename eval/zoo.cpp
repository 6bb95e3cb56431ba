// hornet-eval zoo: the published checkpoints hornet knows, with their accuracy and hashes.
#include "eval/commands.h"

#include "hornet/models/published.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace hornet_eval {

hornet::cli::Command add_zoo(CLI::App& tool) {
  auto* app = tool.add_subcommand("zoo", "List the published checkpoints hornet knows, with their published accuracy");
  return {app, [] {
            std::cout << hornet::models::format_published_table() << std::flush;
            return 0;
          }};
}

}  // namespace hornet_eval
