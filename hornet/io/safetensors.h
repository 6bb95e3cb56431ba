// safetensors files, the weights format of the Hugging Face hub and timm: an
// 8-byte little-endian header length, a JSON header giving each tensor's
// dtype, shape and byte range, then the tensors' bytes, back to back. Reading
// goes through TorchFile (which opens either format); this holds the header's
// rules and the writer.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hornet::io {

/// The reference implementation refuses headers above 100 MB; so does hornet.
constexpr uint64_t kSafetensorsMaxHeader = uint64_t{100} << 20;

struct SafetensorsEntry {
  std::string name;
  c10::ScalarType dtype = c10::ScalarType::Float;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  ///< byte range within the data that follows the header
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;                      ///< in header order
  std::vector<std::pair<std::string, std::string>> metadata;  ///< `__metadata__`, string to string
};

/// Whether a file's first bytes (at least 9) can start a safetensors file: a
/// header length below 2^40 (so a header over kSafetensorsMaxHeader is still
/// recognised, and refused by its size) and a header opening with '{'.
bool looks_like_safetensors(std::string_view head);

/// Parses a header and checks it against the `data_size` bytes that follow:
/// valid JSON, known dtypes, shapes whose element count matches the byte
/// range, ranges that tile the data exactly (no overlap, no gap, nothing past
/// the end), unique names. Throws std::invalid_argument naming the tensor and
/// the problem.
SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_size);

/// The safetensors dtype name ("F32", "BF16", ...) of a scalar type, and back;
/// both throw std::invalid_argument for types the format (or LibTorch) lacks.
std::string safetensors_dtype_name(c10::ScalarType dtype);
c10::ScalarType safetensors_dtype(const std::string& name);

/// Writes named tensors (any device and layout; written dense, little-endian)
/// with string metadata. The file appears under `path` only once complete.
/// Throws std::invalid_argument for a repeated name or an unsupported dtype.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata = {});

/// Whether `path` names a safetensors file to write (it ends in ".safetensors").
bool is_safetensors_path(const std::string& path);

}  // namespace hornet::io
