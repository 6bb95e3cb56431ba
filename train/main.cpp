// hornet-train: trains a HorNet classifier from a YAML recipe.
#include "hornet/common/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"hornet-train: train a HorNet classifier from a YAML recipe"};
  std::string config;
  app.add_option("config", config, "Recipe (YAML)")->required();
  CLI11_PARSE(app, argc, argv);
  return hornet::common::run_command("hornet-train", [&]() -> int {
    std::cerr << "hornet-train: training from a recipe is not available in this version; "
                 "see `hornet-eval --help` for what the tools can do now\n";
    return 2;
  });
}
