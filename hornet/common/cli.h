// What hornet's command-line tools share: running a command body with uniform
// error reporting, and the intra-op thread setting.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hornet::common {

/// Runs `body`; an exception is printed as "<tool>: error: <message>" (LibTorch
/// errors without their C++ backtrace) and turned into exit status 1.
int run_command(const std::string& tool, const std::function<int()>& body);

/// Throws std::invalid_argument naming the first of `given` (options on the
/// command line) that `allowed` lacks: an option that does not apply to the
/// chosen `mode` is an error, never silently ignored.
void check_mode_options(const std::vector<std::string>& given, const std::vector<std::string>& allowed,
                        const std::string& mode);

/// The options given on `app`'s command line (positionals by name, others by
/// their long flag), for check_mode_options.
std::vector<std::string> given_options(const CLI::App& app);

/// Sets LibTorch's intra-op thread count; 0 means one per hardware core.
/// Returns the count in effect.
int set_threads(int threads);

}  // namespace hornet::common
