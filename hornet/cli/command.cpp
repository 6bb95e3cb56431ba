#include "hornet/cli/command.h"

#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace hornet::cli {

namespace {

// "--data=x" and "--data" are the same option; a bare word is a stray value.
std::string option_name(const std::string& arg) {
  if (arg.rfind("-", 0) != 0) return "";
  return arg.substr(0, arg.find('='));
}

bool takes_option(const CLI::App& app, const std::string& name) {
  for (const auto* option : app.get_options()) {
    for (const auto& long_name : option->get_lnames()) {
      if ("--" + long_name == name) return true;
    }
    for (const auto& short_name : option->get_snames()) {
      if ("-" + short_name == name) return true;
    }
  }
  return false;
}

// The message for a command line that names an option `command` lacks: which
// of the `commands` take it, so a user who picked the wrong one is told.
std::string foreign_option_message(const std::string& tool, const std::vector<Command>& commands,
                                   const std::string& command, const std::string& option) {
  std::string owners;
  for (const auto& c : commands) {
    if (c.app->get_name() != command && takes_option(*c.app, option)) {
      owners += (owners.empty() ? "" : ", ") + c.app->get_name();
    }
  }
  std::string message = tool + " " + command + ": " + option + " is not an option of " + command;
  if (!owners.empty()) message += "; it belongs to: " + owners;
  return message + " (see " + tool + " " + command + " --help)";
}

// Parses `args` against `tool`: nullopt when the command is to run, else its
// exit status. Help, version and an option that did its job while parsing
// (--config-reference) give 0; a parse error goes to `report` and gives 2.
std::optional<int> parse(CLI::App& tool, const std::vector<std::string>& args,
                         const std::function<void(const CLI::ParseError&)>& report) {
  try {
    tool.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them last first
  } catch (const CLI::Success& e) {  // CallForHelp, CallForVersion, ... derive from it
    return tool.exit(e);
  } catch (const CLI::ParseError& e) {
    report(e);
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int run_subcommands(CLI::App& tool, const std::vector<Command>& commands, const std::vector<std::string>& args) {
  const std::string name = tool.get_name();
  const auto report = [&](const CLI::ParseError& e) {
    for (const auto& c : commands) {
      if (!c.app->parsed()) continue;
      for (const auto& arg : c.app->remaining()) {
        const auto option = option_name(arg);
        if (option.empty()) continue;
        std::cerr << foreign_option_message(name, commands, c.app->get_name(), option) << "\n";
        return;
      }
      std::cerr << name << " " << c.app->get_name() << ": " << e.what() << " (see " << name << " "
                << c.app->get_name() << " --help)\n";
      return;
    }
    std::string names;
    for (const auto& c : commands) names += (names.empty() ? "" : ", ") + c.app->get_name();
    std::cerr << name << ": " << e.what() << "\n" << name << ": give one of: " << names << " (see " << name
              << " --help)\n";
  };
  if (const auto status = parse(tool, args, report)) return *status;
  for (const auto& c : commands) {
    if (c.app->parsed()) return run_command(name, c.run);
  }
  return 2;  // unreachable: the tool requires a subcommand
}

int run_tool(CLI::App& tool, const std::vector<std::string>& args, const std::function<int()>& body) {
  const auto report = [&](const CLI::ParseError& e) {
    std::cerr << tool.get_name() << ": " << e.what() << " (see " << tool.get_name() << " --help)\n";
  };
  if (const auto status = parse(tool, args, report)) return *status;
  return run_command(tool.get_name(), body);
}

int run_command(const std::string& tool, const std::function<int()>& body) {
  if (!spdlog::get("hornet")) spdlog::set_default_logger(spdlog::stderr_color_mt("hornet"));
  try {
    return body();
  } catch (const c10::Error& e) {
    std::cerr << tool << ": error: " << e.what_without_backtrace() << "\n";
  } catch (const std::exception& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
  }
  return 1;
}

void add_threads_option(CLI::App& app, int& threads) {
  app.add_option("--threads", threads, "Intra-op threads (0: one per core)")->check(CLI::Range(0, 4096));
}

std::vector<std::string> arguments(int argc, char** argv) {
  return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>{};
}

}  // namespace hornet::cli
