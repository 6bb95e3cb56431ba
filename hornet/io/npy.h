// NumPy .npy files (format versions 1.0-3.0): the exchange format for input
// batches and logits (`hornet-eval --input-npy / --dump-logits`) and for test
// fixtures written by Python.
#pragma once

#include <torch/types.h>

#include <string>

namespace hornet::io {

/// Reads an .npy file into a CPU tensor of the matching dtype (float16/32/64,
/// bfloat16 is not an npy type; int8-64, uint8, bool). Fortran-ordered and
/// big-endian arrays are converted. Throws std::runtime_error naming the file
/// and the problem for missing, truncated or malformed files.
torch::Tensor read_npy(const std::string& path);

/// Writes `tensor` (any device; made contiguous on the CPU) as a version 1.0
/// .npy file. The file appears under `path` only once complete (written to a
/// temporary name, then renamed).
void write_npy(const std::string& path, const torch::Tensor& tensor);

}  // namespace hornet::io
