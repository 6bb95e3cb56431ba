// hornet-eval's command lines from before its subcommands (a mode chosen by a
// flag, "hornet-eval --arch A --checkpoint F --predict X"), respelt with the
// subcommand that does the same job, so scripts written for them keep working.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hornet::cli {

/// The subcommand spelling of `args` (without the program name), or nullopt
/// when they already start with a subcommand or hold no old mode:
///   --zoo                          -> zoo
///   --checkpoint F --inspect       -> inspect --checkpoint F
///   CONFIG --summary               -> summary --config CONFIG
///   --summary | --forward          -> summary | forward
///   --benchmark-train | -eval      -> benchmark | benchmark --inference
///   [CONFIG] ... --predict X Y     -> predict X Y [--config CONFIG] ...
///   CONFIG --checkpoint F          -> validate CONFIG --checkpoint F
///   --arch A --checkpoint F        -> load --arch A --checkpoint F
/// Every other argument keeps its place.
std::optional<std::vector<std::string>> respell_eval_arguments(const std::vector<std::string>& args,
                                                               const std::vector<std::string>& subcommands);

}  // namespace hornet::cli
