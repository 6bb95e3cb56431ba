// What hornet's command-line tools share: one subcommand per job, parse errors
// that name the subcommand, uniform error reporting, diagnostics on stderr.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hornet::cli {

/// One subcommand of a tool: `app` holds its options (CLI11 refuses any
/// other); `run` does its job once the command line is parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Parses `args` (without the program name) against `tool`'s subcommands and
/// runs the chosen one through run_command. A parse error is printed with the
/// subcommand's name and, for an option another subcommand has, which one;
/// exit status 2 (`--help` and `--version` exit 0).
int run_subcommands(CLI::App& tool, const std::vector<Command>& commands, const std::vector<std::string>& args);

/// The same for a tool without subcommands: parses `args` against `tool`,
/// prints a parse error as "<tool>: <message>" (exit status 2), runs `body`.
int run_tool(CLI::App& tool, const std::vector<std::string>& args, const std::function<int()>& body);

/// Runs `body`; an exception is printed as "<tool>: error: <message>" (LibTorch
/// errors without their C++ backtrace) and turned into exit status 1. spdlog's
/// default logger writes to stderr, so standard output carries only results.
int run_command(const std::string& tool, const std::function<int()>& body);

/// `--threads N` (intra-op threads; 0: one per core), on every subcommand that computes.
void add_threads_option(CLI::App& app, int& threads);

/// argv without the program name.
std::vector<std::string> arguments(int argc, char** argv);

}  // namespace hornet::cli
