// .npy reading and writing (NumPy format spec, "NEP 1", versions 1.0-3.0).
#include "hornet/io/npy.h"

#include "hornet/io/file_util.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace hornet::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

struct DtypeCode {
  const char* code;  // numpy type character + item size, without byte order
  torch::ScalarType type;
};
constexpr DtypeCode kDtypes[] = {
    {"f2", torch::kFloat16}, {"f4", torch::kFloat32},   {"f8", torch::kFloat64},
    {"i1", torch::kInt8},    {"i2", torch::kInt16},     {"i4", torch::kInt32},
    {"i8", torch::kInt64},   {"u1", torch::kUInt8},     {"b1", torch::kBool},
    {"c8", torch::kComplexFloat}, {"c16", torch::kComplexDouble},
};

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": not a valid .npy file: " + what);
}

// Value text following `'key':` in the header dict, up to the next top-level ','.
std::string header_value(const std::string& header, const std::string& key, const std::string& path) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) bad(path, "header has no '" + key + "' entry");
  auto colon = header.find(':', k);
  if (colon == std::string::npos) bad(path, "malformed '" + key + "' entry");
  size_t begin = colon + 1;
  while (begin < header.size() && header[begin] == ' ') ++begin;
  int depth = 0;
  size_t end = begin;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if ((c == ',' && depth == 0) || (c == '}' && depth == 0)) break;
  }
  return header.substr(begin, end - begin);
}

std::vector<int64_t> parse_shape(std::string text, const std::string& path) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') bad(path, "malformed shape " + text);
  text = text.substr(1, text.size() - 2);
  std::vector<int64_t> shape;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ',')) ++pos;
    if (pos >= text.size()) break;
    size_t end = pos;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == pos) bad(path, "malformed shape (" + text + ")");
    const std::string digits = text.substr(pos, end - pos);
    if (digits.size() > 18) bad(path, "shape entry " + digits + " is too large");
    shape.push_back(std::stoll(digits));
    pos = end;
  }
  return shape;
}

const char* npy_code(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.code;
  }
  throw std::runtime_error(std::string("write_npy: dtype ") + c10::toString(type) +
                           " has no .npy equivalent");
}

}  // namespace

torch::Tensor read_npy(const std::string& path) {
  const std::string data = read_file(path);
  if (data.size() < kMagicLen + 4 || std::memcmp(data.data(), kMagic, kMagicLen) != 0) {
    bad(path, "missing the \\x93NUMPY magic");
  }
  const auto major = static_cast<unsigned char>(data[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12) bad(path, "truncated header");
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(data[8 + i]);
    header_start = 12;
  } else {
    bad(path, "unsupported format version " + std::to_string(major));
  }
  if (header_len > data.size() - header_start) bad(path, "truncated header");
  const std::string header = data.substr(header_start, header_len);

  std::string descr = header_value(header, "descr", path);
  if (descr.size() < 4 || (descr.front() != '\'' && descr.front() != '"')) {
    bad(path, "unsupported dtype description " + descr + " (structured arrays are not supported)");
  }
  descr = descr.substr(1, descr.size() - 2);
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') bad(path, "unknown byte order in " + descr);
  const std::string code = descr.substr(1);
  const DtypeCode* dtype = nullptr;
  for (const auto& d : kDtypes) {
    if (code == d.code) dtype = &d;
  }
  if (!dtype) bad(path, "unsupported dtype '" + descr + "'");
  const std::string fortran = header_value(header, "fortran_order", path);
  if (fortran != "False" && fortran != "True") bad(path, "malformed fortran_order " + fortran);
  auto shape = parse_shape(header_value(header, "shape", path), path);

  const int64_t item = static_cast<int64_t>(c10::elementSize(dtype->type));
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d != 0 && numel > std::numeric_limits<int64_t>::max() / item / d) bad(path, "shape is too large");
    numel *= d;
  }
  const size_t offset = header_start + header_len;
  const size_t expected = static_cast<size_t>(numel * item);
  if (data.size() - offset < expected) {
    bad(path, "truncated data: shape needs " + std::to_string(expected) + " bytes, file holds " +
                  std::to_string(data.size() - offset));
  }

  const bool reversed = fortran == "True";
  std::vector<int64_t> storage_shape = shape;
  if (reversed) std::reverse(storage_shape.begin(), storage_shape.end());
  auto tensor = torch::empty(storage_shape, torch::TensorOptions().dtype(dtype->type));
  if (expected > 0) std::memcpy(tensor.data_ptr(), data.data() + offset, expected);
  const int64_t swap_unit = dtype->type == torch::kComplexFloat    ? 4
                            : dtype->type == torch::kComplexDouble ? 8
                                                                   : item;
  if (order == '>' && swap_unit > 1) {
    auto* bytes = static_cast<unsigned char*>(tensor.data_ptr());
    for (size_t i = 0; i < expected; i += static_cast<size_t>(swap_unit)) {
      std::reverse(bytes + i, bytes + i + swap_unit);
    }
  }
  if (reversed) {
    std::vector<int64_t> perm(shape.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    tensor = tensor.permute(perm).contiguous();
  }
  return tensor;
}

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  if (!tensor.defined()) throw std::runtime_error("write_npy " + path + ": tensor is undefined");
  const auto cpu = tensor.detach().to(torch::kCPU).contiguous();
  const char* code = npy_code(cpu.scalar_type());
  std::string shape = "(";
  for (int64_t i = 0; i < cpu.dim(); ++i) {
    shape += std::to_string(cpu.size(i)) + (cpu.dim() == 1 ? "," : (i + 1 < cpu.dim() ? ", " : ""));
  }
  shape += ")";
  const char order = (cpu.scalar_type() == torch::kInt8 || cpu.scalar_type() == torch::kUInt8 ||
                      cpu.scalar_type() == torch::kBool)
                         ? '|'
                         : '<';
  std::string header = std::string("{'descr': '") + order + code + "', 'fortran_order': False, 'shape': " +
                       shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary; end with '\n'.
  const size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) throw std::runtime_error("write_npy " + path + ": too many dimensions");

  AtomicFileWriter out(path);
  out.write(kMagic, kMagicLen);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                static_cast<unsigned char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header);
  out.write(cpu.data_ptr(), static_cast<size_t>(cpu.numel()) * cpu.element_size());
  out.commit();
}

}  // namespace hornet::io
