// hornet's version: printed by every tool's --version and written into the
// checkpoints it saves. CMake checks it against project(VERSION).
#pragma once

#include <string>

namespace hornet {

inline constexpr const char* kVersion = "0.1.0";

/// What every tool's --version prints: the version and what the build runs on,
/// "hornet 0.1.0 (LibTorch 2.11.0, CUDA 13.0 kernels for 8.0;9.0)" or
/// "hornet 0.1.0 (LibTorch 1.13.0, CPU only)".
std::string version_text();

}  // namespace hornet
