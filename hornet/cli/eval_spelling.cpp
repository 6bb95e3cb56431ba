#include "hornet/cli/eval_spelling.h"

#include <algorithm>
#include <set>

namespace hornet::cli {

namespace {

// The old command line's options that took no value, and those that took
// every value up to the next option; all others took one.
const std::set<std::string> kFlags{"--zoo",     "--summary",   "--forward", "--benchmark-train", "--benchmark-eval",
                                   "--inspect", "--mmap",      "--use-ema", "--activation-checkpointing"};
const std::set<std::string> kModes{"--zoo", "--summary", "--forward", "--benchmark-train", "--benchmark-eval",
                                   "--inspect"};
const std::set<std::string> kLists{"--predict", "--set"};

bool is_option(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

}  // namespace

std::optional<std::vector<std::string>> respell_eval_arguments(const std::vector<std::string>& args,
                                                               const std::vector<std::string>& subcommands) {
  if (args.empty() || std::find(subcommands.begin(), subcommands.end(), args[0]) != subcommands.end()) {
    return std::nullopt;
  }
  std::string config;
  std::set<std::string> modes;
  std::vector<std::string> images, rest;
  bool checkpoint = false;
  for (size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (!is_option(arg)) {
      if (!config.empty()) return std::nullopt;  // two positionals: nothing the old tool took
      config = arg;
      continue;
    }
    const std::string name = arg.substr(0, arg.find('='));
    if (name == "--help" || name == "-h" || name == "--version") return std::nullopt;
    if (kModes.count(name)) {
      modes.insert(name);
      continue;
    }
    if (name == "--predict") {
      modes.insert(name);
      if (name.size() < arg.size()) images.push_back(arg.substr(name.size() + 1));
      while (k + 1 < args.size() && !is_option(args[k + 1])) images.push_back(args[++k]);
      continue;
    }
    checkpoint = checkpoint || name == "--checkpoint";
    rest.push_back(arg);
    if (kFlags.count(name) || name.size() < arg.size()) continue;
    if (kLists.count(name)) {
      while (k + 1 < args.size() && !is_option(args[k + 1])) rest.push_back(args[++k]);
    } else if (k + 1 < args.size()) {
      rest.push_back(args[++k]);
    }
  }
  std::vector<std::string> out;
  const auto with_config = [&] {
    if (!config.empty()) out.insert(out.end(), {"--config", config});
  };
  if (modes.count("--zoo")) {
    out = {"zoo"};
  } else if (modes.count("--inspect")) {
    out = {"inspect"};
  } else if (modes.count("--predict")) {
    out = {"predict"};
    out.insert(out.end(), images.begin(), images.end());
    with_config();
  } else if (modes.count("--summary")) {
    out = {"summary"};
    with_config();
    if (modes.count("--forward")) out.push_back("--forward");  // refused by summary: one job per command
  } else if (modes.count("--forward")) {
    out = {"forward"};
  } else if (modes.count("--benchmark-train") || modes.count("--benchmark-eval")) {
    out = {"benchmark"};
    if (modes.count("--benchmark-eval")) out.push_back("--inference");
    if (modes.count("--benchmark-train") && modes.count("--benchmark-eval")) out.push_back("--train");
  } else if (!config.empty()) {
    out = {"validate", config};
  } else if (checkpoint) {
    out = {"load"};
  } else {
    return std::nullopt;
  }
  if (out[0] != "predict" && out[0] != "summary" && out[0] != "validate" && !config.empty()) {
    out.insert(out.begin() + 1, config);  // a positional the subcommand refuses, as the old tool did
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace hornet::cli
