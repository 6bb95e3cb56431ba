// hornet-eval: validate, run and inspect HorNet models and checkpoints, one
// subcommand per job (`hornet-eval SUBCOMMAND --help` lists its options):
//
//   validate CONFIG --checkpoint F [--data D] [--out R.json] [--dump-logits L.npy]   top-1 / top-5, per class
//   predict IMAGE_OR_FOLDER... --checkpoint F (--config C | --arch A) [--topk K] [--out P.json]
//   load --arch A --checkpoint F [--mmap] [--input-npy X.npy --dump-logits Y.npy]
//   inspect --checkpoint F        summary [--arch A | --config C]        forward [--arch A]
//   benchmark --arch A [--inference] [--batch-size B] [--steps N] [--amp T]        zoo
//   bulk CHECKPOINTS... [--zoo-dir DIR] [--config C] --data D [--csv F] [--real-labels real.json] [--flip]
//   features [--arch A] --checkpoint F (IMAGES... | --input-npy X.npy) --out DIR [--out-indices 0,1,2,3]
//
// The flag spellings from before the subcommands ("--predict", "--zoo", ...)
// are respelt with a note on stderr.
#include "eval/commands.h"
#include "hornet/cli/eval_spelling.h"
#include "hornet/common/version.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"hornet-eval: validate, run and inspect HorNet models and checkpoints", "hornet-eval"};
  app.require_subcommand(1);
  app.set_version_flag("--version", hornet::version_text());
  const std::vector<hornet::cli::Command> commands{
      hornet_eval::add_validate(app),  hornet_eval::add_predict(app), hornet_eval::add_load(app),
      hornet_eval::add_inspect(app),   hornet_eval::add_summary(app), hornet_eval::add_forward(app),
      hornet_eval::add_benchmark(app), hornet_eval::add_zoo(app),     hornet_eval::add_features(app),
      hornet_eval::add_bulk(app)};
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.app->get_name());
  auto args = hornet::cli::arguments(argc, argv);
  if (const auto respelt = hornet::cli::respell_eval_arguments(args, names)) {
    std::string line;
    for (const auto& a : *respelt) line += " " + a;
    std::cerr << "hornet-eval: this command line is now spelt: hornet-eval" << line << "\n";
    args = *respelt;
  }
  return hornet::cli::run_subcommands(app, commands, args);
}
