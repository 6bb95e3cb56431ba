// hornet's version: printed by every tool's --version and written into the
// checkpoints it saves. CMake checks it against project(VERSION).
#pragma once

namespace hornet {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace hornet
