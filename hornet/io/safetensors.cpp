// The safetensors format (header rules as the reference implementation checks them).
#include "hornet/io/safetensors.h"

#include "hornet/io/file_util.h"
#include "hornet/io/json.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>

namespace hornet::io {

namespace {

struct DtypeName {
  const char* name;
  c10::ScalarType dtype;
};
constexpr DtypeName kDtypes[] = {
    {"BOOL", c10::ScalarType::Bool},  {"U8", c10::ScalarType::Byte},       {"I8", c10::ScalarType::Char},
    {"I16", c10::ScalarType::Short},  {"I32", c10::ScalarType::Int},       {"I64", c10::ScalarType::Long},
    {"F16", c10::ScalarType::Half},   {"BF16", c10::ScalarType::BFloat16}, {"F32", c10::ScalarType::Float},
    {"F64", c10::ScalarType::Double},
};

using Kind = JsonValue::Kind;

constexpr size_t kMaxRank = 64;
// About 400 MB of parsed values at most; a model's header holds some ten per tensor.
constexpr size_t kMaxHeaderValues = size_t{1} << 22;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("safetensors header: " + what); }

SafetensorsEntry read_entry(const std::string& name, const JsonValue& info) {
  const std::string where = "tensor '" + name + "'";
  if (!info.is(Kind::kObject)) bad(where + " is not an object");
  const JsonValue* dtype = info.find("dtype");
  const JsonValue* shape = info.find("shape");
  const JsonValue* offsets = info.find("data_offsets");
  if (!dtype || !shape || !offsets) bad(where + " lacks one of dtype, shape, data_offsets");
  if (!dtype->is(Kind::kString)) bad(where + ": dtype is not a string");
  if (!shape->is(Kind::kArray)) bad(where + ": shape is not an array");
  if (!offsets->is(Kind::kArray) || offsets->items.size() != 2)
    bad(where + ": data_offsets is not [begin, end]");
  SafetensorsEntry e;
  e.name = name;
  // Bounded so that a crafted header cannot make a tensor of millions of unit dimensions.
  if (shape->items.size() > kMaxRank) bad(where + ": more than " + std::to_string(kMaxRank) + " dimensions");
  std::vector<uint64_t> dims;
  try {
    e.dtype = safetensors_dtype(dtype->text);
    for (const auto& d : shape->items) dims.push_back(json_uint64(d, "a dimension"));
    e.begin = json_uint64(offsets->items[0], "data_offsets[0]");
    e.end = json_uint64(offsets->items[1], "data_offsets[1]");
  } catch (const std::invalid_argument& err) {
    bad(where + ": " + err.what());
  }
  if (e.end < e.begin) bad(where + ": data_offsets end before they begin");
  // Elements times element size, without overflow: it must equal the range's length. The
  // product of the nonzero dimensions must also fit int64, or a zero-sized tensor's strides
  // would overflow.
  unsigned __int128 bytes = c10::elementSize(e.dtype), extent = 1;
  for (uint64_t d : dims) {
    extent *= std::max<uint64_t>(d, 1);
    if (extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) bad(where + ": shape too large");
    bytes *= d;
    e.shape.push_back(static_cast<int64_t>(d));
  }
  if (bytes != e.end - e.begin) {
    bad(where + ": shape and dtype " + dtype->text + " need " +
        (bytes > std::numeric_limits<uint64_t>::max() ? std::string("more than 2^64")
                                                      : std::to_string(static_cast<uint64_t>(bytes))) +
        " bytes but data_offsets give " + std::to_string(e.end - e.begin));
  }
  return e;
}

}  // namespace

std::string safetensors_dtype_name(c10::ScalarType dtype) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.name;
  }
  throw std::invalid_argument(std::string("safetensors has no dtype for ") + c10::toString(dtype));
}

c10::ScalarType safetensors_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.dtype;
  }
  throw std::invalid_argument("unsupported dtype '" + name + "'");
}

bool is_safetensors_path(const std::string& path) {
  const std::string ext = ".safetensors";
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

bool looks_like_safetensors(std::string_view head) {
  if (head.size() < 9) return false;
  uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | static_cast<unsigned char>(head[static_cast<size_t>(k)]);
  return n >= 2 && n < (uint64_t{1} << 40) && head[8] == '{';
}

SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_size) {
  if (json.empty() || json[0] != '{') bad("does not start with '{'");
  JsonValue root;
  try {
    root = parse_json(json, 8, kMaxHeaderValues);
  } catch (const std::invalid_argument& err) {
    bad(err.what());
  }
  if (!root.is(Kind::kObject)) bad("is not a JSON object");
  SafetensorsHeader header;
  for (const auto& [name, info] : root.members) {
    if (name == "__metadata__") {
      if (!info.is(Kind::kObject)) bad("__metadata__ is not an object");
      for (const auto& [key, value] : info.members) {
        if (!value.is(Kind::kString)) bad("__metadata__ '" + key + "' is not a string");
        header.metadata.emplace_back(key, value.text);
      }
      continue;
    }
    header.tensors.push_back(read_entry(name, info));
  }
  // The ranges must tile the data: sorted by start, each begins where the last ended.
  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : header.tensors) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  for (const auto* e : order) {
    if (e->begin < covered) bad("tensor '" + e->name + "' overlaps the bytes of another tensor");
    if (e->begin > covered) bad("a gap of unclaimed bytes before tensor '" + e->name + "'");
    covered = e->end;
  }
  if (covered > data_size) {
    bad("tensors claim " + std::to_string(covered) + " bytes but the file holds " +
        std::to_string(data_size) + " after the header; it is truncated");
  }
  if (covered < data_size) {
    bad(std::to_string(data_size - covered) + " bytes after the last tensor belong to none");
  }
  return header;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<torch::Tensor> dense;
  std::set<std::string> names;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (size_t k = 0; k < metadata.size(); ++k) {
      header += (k ? "," : "") + json_string(metadata[k].first) + ":" + json_string(metadata[k].second);
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !names.insert(name).second) {
      throw std::invalid_argument("save_safetensors: tensor name '" + name + "' is repeated or reserved");
    }
    const std::string dtype = safetensors_dtype_name(tensor.scalar_type());
    dense.push_back(tensor.detach().to(torch::kCPU).to_dense().contiguous());
    const uint64_t nbytes = dense.back().numel() * dense.back().element_size();
    std::string shape;
    for (int64_t d : tensor.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    header += (header.size() > 1 ? "," : "") + json_string(name) + ":{\"dtype\":\"" + dtype +
              "\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
  }
  header += "}";
  // Padded with spaces so the data, and every tensor of an aligned size, starts 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');
  char length[8];
  for (int k = 0; k < 8; ++k) length[k] = static_cast<char>((header.size() >> (8 * k)) & 0xff);
  AtomicFileWriter file(path);
  file.write(length, sizeof length);
  file.write(header);
  for (const auto& t : dense) file.write(t.data_ptr(), t.numel() * t.element_size());
  file.commit();
}

}  // namespace hornet::io
