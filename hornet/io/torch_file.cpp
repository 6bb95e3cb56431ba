// torch.save / torch.load compatible files (the formats: docs/checkpoints.md).
#include "hornet/io/torch_file.h"

#include "hornet/io/safetensors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace hornet::io {

namespace {

using py::Kind;
using py::Value;

// torch's legacy-format magic number 0x1950a86a20f9469cfc6c, in decimal.
constexpr const char* kLegacyMagic = "119547037146038801333356";
constexpr int64_t kLegacyProtocol = 1001;

struct StorageName {
  const char* name;
  c10::ScalarType dtype;
};
constexpr StorageName kStorageNames[] = {
    {"FloatStorage", c10::ScalarType::Float},   {"DoubleStorage", c10::ScalarType::Double},
    {"HalfStorage", c10::ScalarType::Half},     {"BFloat16Storage", c10::ScalarType::BFloat16},
    {"LongStorage", c10::ScalarType::Long},     {"IntStorage", c10::ScalarType::Int},
    {"ShortStorage", c10::ScalarType::Short},   {"CharStorage", c10::ScalarType::Char},
    {"ByteStorage", c10::ScalarType::Byte},     {"BoolStorage", c10::ScalarType::Bool},
    {"ComplexFloatStorage", c10::ScalarType::ComplexFloat},
    {"ComplexDoubleStorage", c10::ScalarType::ComplexDouble},
    {"UntypedStorage", c10::ScalarType::Byte},
};

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

int64_t as_int(const Value* v, const char* what) {
  if (!v || v->kind != Kind::kInt || v->big_int) throw py::PickleError(std::string(what) + " is not an int");
  return v->i;
}

std::vector<int64_t> as_int_tuple(const Value* v, const char* what) {
  if (!v || (v->kind != Kind::kTuple && v->kind != Kind::kList)) {
    throw py::PickleError(std::string(what) + " is not a tuple of ints");
  }
  std::vector<int64_t> out;
  for (const Value* item : v->items) out.push_back(as_int(item, what));
  return out;
}

void byteswap(void* data, size_t nbytes, size_t unit) {
  if (unit <= 1) return;
  auto* b = static_cast<unsigned char*>(data);
  for (size_t k = 0; k + unit <= nbytes; k += unit) std::reverse(b + k, b + k + unit);
}

size_t swap_unit(c10::ScalarType t) {
  if (t == c10::ScalarType::ComplexFloat) return 4;
  if (t == c10::ScalarType::ComplexDouble) return 8;
  return c10::elementSize(t);
}

}  // namespace

c10::ScalarType storage_dtype(const std::string& class_name) {
  const auto dot = class_name.rfind('.');
  const std::string name = dot == std::string::npos ? class_name : class_name.substr(dot + 1);
  for (const auto& s : kStorageNames) {
    if (name == s.name) return s.dtype;
  }
  throw py::PickleError("unsupported storage type " + class_name);
}

std::string storage_class(c10::ScalarType dtype) {
  for (const auto& s : kStorageNames) {
    if (s.dtype == dtype && std::strcmp(s.name, "UntypedStorage") != 0) return s.name;
  }
  throw std::runtime_error(std::string("no torch storage class for dtype ") + c10::toString(dtype));
}

// ----- reading ----------------------------------------------------------------

py::DecodeHooks TorchFile::hooks(bool legacy) {
  py::DecodeHooks h;
  h.persistent_load = [this, legacy](py::Document& doc, Value* pid) -> Value* {
    if (pid->kind != Kind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::kStr ||
        pid->items[0]->s != "storage") {
      throw py::PickleError("unsupported persistent id (expected a ('storage', ...) tuple)");
    }
    const Value* type = pid->items[1];
    if (type->kind != Kind::kClass) throw py::PickleError("storage type is not a class");
    if (pid->items[2]->kind != Kind::kStr) throw py::PickleError("storage key is not a string");
    auto ref = std::make_shared<py::TensorRef>();
    ref->storage_key = pid->items[2]->s;
    ref->dtype = storage_dtype(type->s);
    ref->is_storage = true;
    ref->storage_numel = as_int(pid->items[4], "storage size");
    if (ref->storage_numel < 0) throw py::PickleError("negative storage size");
    // Sizes in bytes must stay far from overflow (no file is 2^62 bytes).
    if (ref->storage_numel > (int64_t{1} << 62) / static_cast<int64_t>(c10::elementSize(ref->dtype))) {
      throw py::PickleError("storage " + ref->storage_key + " claims an impossible " +
                            std::to_string(ref->storage_numel) + " elements");
    }
    ref->sizes = {ref->storage_numel};
    ref->strides = {1};
    if (legacy) {
      const auto [it, inserted] = storage_types_.emplace(ref->storage_key, ref->dtype);
      if (!inserted && it->second != ref->dtype) {
        throw py::PickleError("storage " + ref->storage_key + " is used with two dtypes");
      }
      // Old files could reference a view of a storage: (view_key, offset, size).
      if (pid->items.size() >= 6 && pid->items[5]->kind == Kind::kTuple && pid->items[5]->items.size() == 3) {
        ref->offset = as_int(pid->items[5]->items[1], "storage view offset");
        ref->sizes = {as_int(pid->items[5]->items[2], "storage view size")};
        if (ref->offset < 0 || ref->sizes[0] < 0 || ref->offset > ref->storage_numel ||
            ref->sizes[0] > ref->storage_numel - ref->offset) {
          throw py::PickleError("storage view out of range");
        }
      }
    }
    Value* v = doc.make(Kind::kTensor);
    v->ref = std::move(ref);
    return v;
  };
  h.call = [](py::Document& doc, const std::string& name, Value* args) -> Value* {
    const auto& a = args->items;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != Kind::kTensor || !a[0]->ref || !a[0]->ref->is_storage) {
        throw py::PickleError(name + ": expected a storage as the first argument");
      }
      const auto& storage = *a[0]->ref;
      auto ref = std::make_shared<py::TensorRef>(storage);
      ref->is_storage = false;
      ref->offset = storage.offset + as_int(a[1], "tensor offset");
      ref->sizes = as_int_tuple(a[2], "tensor size");
      ref->strides = as_int_tuple(a[3], "tensor stride");
      ref->requires_grad = a.size() > 4 && a[4]->kind == Kind::kBool && a[4]->b;
      if (ref->sizes.size() != ref->strides.size()) throw py::PickleError("tensor size and stride differ in rank");
      if (ref->offset < 0) throw py::PickleError("negative tensor offset");
      // The view must stay inside its storage (checked without overflow).
      __int128 last = ref->offset;
      bool empty = false;
      for (size_t k = 0; k < ref->sizes.size(); ++k) {
        if (ref->sizes[k] < 0 || ref->strides[k] < 0) throw py::PickleError("negative tensor size or stride");
        if (ref->sizes[k] == 0) empty = true;
        last += static_cast<__int128>(ref->sizes[k] - (ref->sizes[k] > 0 ? 1 : 0)) * ref->strides[k];
      }
      __int128 numel = 1;
      for (int64_t size : ref->sizes) {
        numel *= size;
        if (numel > std::numeric_limits<int64_t>::max()) throw py::PickleError("tensor has too many elements");
      }
      if (!empty && last >= static_cast<__int128>(storage.offset) + storage.sizes[0]) {
        throw py::PickleError("tensor view extends past its storage " + storage.storage_key);
      }
      Value* v = doc.make(Kind::kTensor);
      v->ref = std::move(ref);
      return v;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::kTensor) throw py::PickleError(name + ": unexpected arguments");
      if (a.size() > 1 && a[1]->kind == Kind::kBool && a[0]->ref) a[0]->ref->requires_grad = a[1]->b;
      return a[0];
    }
    if (name == "torch.Size" && a.size() == 1 && a[0]->kind == Kind::kTuple) return a[0];
    return nullptr;
  };
  return h;
}

TorchFile::TorchFile(const std::string& path) : file_(std::make_shared<RandomAccessFile>(path)) {
  if (file_->size() < 4) corrupt(path, "too short to be a torch.save file (" + std::to_string(file_->size()) + " bytes)");
  const std::string head = file_->read(0, static_cast<size_t>(std::min<uint64_t>(file_->size(), 9)));
  try {
    // Checked first: a safetensors length prefix can start with "PK" or 0x80,
    // but neither other format has three zero bytes and a '{' after it.
    if (looks_like_safetensors(head)) {
      format_ = Format::kSafetensors;
      open_safetensors();
    } else if (head.compare(0, 2, "PK") == 0) {
      format_ = Format::kZip;
      open_zip();
    } else if (static_cast<unsigned char>(head[0]) == 0x80) {
      format_ = Format::kLegacy;
      open_legacy();
    } else if (file_->size() > 262 && file_->read(257, 5) == "ustar") {
      corrupt(path, "torch.save's tar format (PyTorch < 0.4) is not supported");
    } else {
      corrupt(
          path,
          "not a torch.save or safetensors file (neither a zip archive, a pickle nor a safetensors header)");
    }
  } catch (const py::TruncatedPickle& e) {
    corrupt(path, std::string("truncated: ") + e.what());
  } catch (const py::PickleError& e) {
    corrupt(path, e.what());
  }
}

void TorchFile::open_zip() {
  zip_ = std::make_unique<ZipReader>(file_);
  const ZipEntry* pkl = nullptr;
  for (const auto& e : zip_->entries()) {
    const auto slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (pkl) corrupt(path(), "zip holds more than one data.pkl record");
      pkl = &e;
    }
  }
  if (!pkl) corrupt(path(), "zip archive has no <archive>/data.pkl record; not a torch.save file");
  zip_prefix_ = pkl->name.substr(0, pkl->name.size() - std::string("data.pkl").size());
  if (const ZipEntry* order = zip_->find(zip_prefix_ + "byteorder")) {
    const std::string value = zip_->read(*order);
    if (value != "little" && value != "big") corrupt(path(), "unknown byteorder record '" + value + "'");
    big_endian_ = value == "big";
  }
  const std::string data_dir = zip_prefix_ + "data/";
  for (const auto& e : zip_->entries()) {
    if (e.name.compare(0, data_dir.size(), data_dir) == 0 && e.name.size() > data_dir.size()) {
      storages_[e.name.substr(data_dir.size())] = {e.data_offset, e.size, e.name, e.crc32,
                                                   std::make_shared<std::atomic<bool>>(false)};
    }
  }
  const std::string pickle = zip_->read(*pkl);
  py::decode(pickle, doc_, hooks(/*legacy=*/false));
}

void TorchFile::open_safetensors() {
  const std::string prefix = file_->read(0, 8);
  uint64_t header_size = 0;
  for (int k = 7; k >= 0; --k)
    header_size = (header_size << 8) | static_cast<unsigned char>(prefix[static_cast<size_t>(k)]);
  if (header_size > kSafetensorsMaxHeader) {
    corrupt(path(), "safetensors header claims " + std::to_string(header_size) +
                        " bytes, over the format's limit of " + std::to_string(kSafetensorsMaxHeader));
  }
  if (header_size > file_->size() - 8) {
    corrupt(path(), "safetensors header claims " + std::to_string(header_size) +
                        " bytes but the file holds " + std::to_string(file_->size() - 8) +
                        " after the length; it is truncated");
  }
  SafetensorsHeader header;
  try {
    header = parse_safetensors_header(file_->read(8, static_cast<size_t>(header_size)),
                                      file_->size() - 8 - header_size);
  } catch (const std::invalid_argument& e) {
    corrupt(path(), e.what());
  }
  metadata_ = std::move(header.metadata);
  auto* root = doc_.make_dict();
  doc_.root = root;
  for (const auto& e : header.tensors) {
    auto ref = std::make_shared<py::TensorRef>();
    ref->storage_key = e.name;
    ref->dtype = e.dtype;
    ref->sizes = e.shape;
    ref->strides.assign(e.shape.size(), 1);
    for (size_t k = e.shape.size(); k-- > 1;) ref->strides[k - 1] = ref->strides[k] * e.shape[k];
    ref->storage_numel = static_cast<int64_t>((e.end - e.begin) / c10::elementSize(e.dtype));
    storages_[e.name] = {8 + header_size + e.begin, e.end - e.begin, {}, 0, nullptr};
    Value* tensor = doc_.make(Kind::kTensor);
    tensor->ref = std::move(ref);
    doc_.set(root, e.name, tensor);
  }
}

std::string TorchFile::format_name() const {
  switch (format_) {
    case Format::kZip:
      return "torch.save zip";
    case Format::kLegacy:
      return "torch.save legacy";
    case Format::kSafetensors:
      return "safetensors";
  }
  return "unknown";
}

void TorchFile::open_legacy() {
  // The pickles come first; read as much of the head as they need.
  size_t window = static_cast<size_t>(std::min<uint64_t>(file_->size(), 1 << 20));
  while (true) {
    const std::string head = file_->read(0, window);
    try {
      size_t pos = 0;
      {
        py::Document scratch;
        pos += py::decode(std::string_view(head).substr(pos), scratch);
        const Value* magic = scratch.root;
        if (!(magic->kind == Kind::kInt && magic->big_int && magic->s == kLegacyMagic)) {
          corrupt(path(), "not a torch.save file (a pickle without torch's magic number)");
        }
      }
      {
        py::Document scratch;
        pos += py::decode(std::string_view(head).substr(pos), scratch);
        if (scratch.root->kind != Kind::kInt || scratch.root->i != kLegacyProtocol) {
          corrupt(path(), "unsupported legacy protocol version");
        }
      }
      {
        py::Document scratch;
        pos += py::decode(std::string_view(head).substr(pos), scratch);
        const Value* little = scratch.root->get("little_endian");
        big_endian_ = little && little->kind == Kind::kBool && !little->b;
      }
      storage_types_.clear();
      doc_.clear();
      pos += py::decode(std::string_view(head).substr(pos), doc_, hooks(/*legacy=*/true));
      std::vector<std::string> keys;
      {
        py::Document scratch;
        pos += py::decode(std::string_view(head).substr(pos), scratch);
        if (scratch.root->kind != Kind::kList) corrupt(path(), "storage key list is not a list");
        for (const Value* k : scratch.root->items) {
          if (k->kind != Kind::kStr) corrupt(path(), "storage key is not a string");
          keys.push_back(k->s);
        }
      }
      // Raw storages follow, each an int64 element count then the elements.
      uint64_t offset = pos;
      for (const auto& key : keys) {
        const auto type = storage_types_.find(key);
        if (type == storage_types_.end()) corrupt(path(), "storage " + key + " is listed but never used");
        unsigned char count_bytes[8];
        file_->read(offset, count_bytes, 8);
        uint64_t count = 0;
        for (int k = 0; k < 8; ++k) {
          const int byte = big_endian_ ? k : 7 - k;
          count = (count << 8) | count_bytes[byte];
        }
        const uint64_t elem = c10::elementSize(type->second);
        if (count > (file_->size() - offset - 8) / elem) {
          corrupt(path(), "storage " + key + " claims " + std::to_string(count) +
                              " elements, more than the file holds; the file is truncated or corrupt");
        }
        storages_[key] = {offset + 8, count * elem, {}, 0, nullptr};
        offset += 8 + count * elem;
      }
      return;
    } catch (const py::TruncatedPickle&) {
      if (window >= file_->size()) throw;
      window = static_cast<size_t>(std::min<uint64_t>(file_->size(), uint64_t{window} * 4));
    }
  }
}

const TorchFile::StorageLocation& TorchFile::locate(const py::TensorRef& ref) const {
  const auto it = storages_.find(ref.storage_key);
  if (it == storages_.end()) {
    corrupt(path(), "tensor data record for storage '" + ref.storage_key + "' is missing");
  }
  // storage_numel is bounded at decoding, so this product cannot overflow.
  const uint64_t need = static_cast<uint64_t>(ref.storage_numel) * c10::elementSize(ref.dtype);
  if (it->second.nbytes < need) {
    corrupt(path(), "storage '" + ref.storage_key + "' holds " + std::to_string(it->second.nbytes) +
                        " bytes but " + std::to_string(need) + " are needed; the file is truncated or corrupt");
  }
  return it->second;
}

void TorchFile::verify(const StorageLocation& loc, const void* whole) const {
  if (loc.record.empty() || loc.verified->load(std::memory_order_acquire)) return;
  const auto start = std::chrono::steady_clock::now();
  uint32_t crc = 0;
  if (whole) {
    crc = crc32(whole, static_cast<size_t>(loc.nbytes));
  } else {
    // Only part of the record was loaded: read it all, a bounded chunk at a time.
    constexpr uint64_t kChunk = 8 << 20;
    std::vector<unsigned char> buffer(static_cast<size_t>(std::min(loc.nbytes, kChunk)));
    for (uint64_t done = 0; done < loc.nbytes; done += kChunk) {
      const auto n = static_cast<size_t>(std::min(kChunk, loc.nbytes - done));
      file_->read(loc.offset + done, buffer.data(), n);
      crc = crc32(buffer.data(), n, crc);
    }
  }
  if (crc != loc.crc32) {
    char detail[64];
    std::snprintf(detail, sizeof detail, " (stored 0x%08x, data 0x%08x)", loc.crc32, crc);
    corrupt(path(), "record '" + loc.record + "' fails its CRC-32 check" + detail + "; the file is corrupt");
  }
  loc.verified->store(true, std::memory_order_release);
  crc_nanoseconds_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
                          .count();
}

int64_t TorchFile::view_span(const py::TensorRef& ref, const StorageLocation& loc) const {
  int64_t last = ref.offset;
  for (size_t k = 0; k < ref.sizes.size(); ++k) last += (ref.sizes[k] - 1) * ref.strides[k];
  if (ref.offset < 0 || last >= ref.storage_numel ||
      static_cast<uint64_t>(last + 1) * c10::elementSize(ref.dtype) > loc.nbytes) {
    corrupt(path(), "tensor view reaches past storage '" + ref.storage_key + "'");
  }
  return last - ref.offset + 1;
}

torch::Tensor TorchFile::load(const py::Value& tensor) const {
  if (tensor.kind != Kind::kTensor) {
    throw std::runtime_error(path() + ": expected a tensor, found " + tensor.type_name());
  }
  if (!tensor.ref) return tensor.tensor;
  return load(*tensor.ref);
}

torch::Tensor TorchFile::load(const py::TensorRef& ref) const {
  const auto options = torch::TensorOptions().dtype(ref.dtype);
  if (ref.numel() == 0) return torch::empty(ref.sizes, options);
  const auto& loc = locate(ref);
  const int64_t span = view_span(ref, loc);
  const size_t elem = c10::elementSize(ref.dtype);
  auto buffer = torch::empty({span}, options);
  file_->read(loc.offset + static_cast<uint64_t>(ref.offset) * elem, buffer.data_ptr(),
              static_cast<size_t>(span) * elem);
  const bool whole = ref.offset == 0 && static_cast<uint64_t>(span) * elem == loc.nbytes;
  verify(loc, whole ? buffer.data_ptr() : nullptr);
  if (big_endian_) byteswap(buffer.data_ptr(), static_cast<size_t>(span) * elem, swap_unit(ref.dtype));
  if (ref.sizes.size() == 1 && ref.strides[0] == 1) return buffer;
  return buffer.as_strided(ref.sizes, ref.strides, 0);
}

torch::Tensor TorchFile::map(const py::Value& tensor) const {
  if (tensor.kind != Kind::kTensor) {
    throw std::runtime_error(path() + ": expected a tensor, found " + tensor.type_name());
  }
  if (!tensor.ref || big_endian_ || tensor.ref->numel() == 0) return {};
  const auto& ref = *tensor.ref;
  const auto& loc = locate(ref);
  view_span(ref, loc);
  const size_t elem = c10::elementSize(ref.dtype);
  const uint64_t start = loc.offset + static_cast<uint64_t>(ref.offset) * elem;
  // The mapping starts on a page boundary, so the file offset decides alignment.
  if (start % elem != 0) return {};
  auto mapping = file_->map();
  return torch::from_blob(
      mapping.get() + start, ref.sizes, ref.strides, [mapping](void*) mutable { mapping.reset(); },
      torch::TensorOptions().dtype(ref.dtype));
}

void TorchFile::load_into(const py::Value& tensor, torch::Tensor& dst) const {
  torch::NoGradGuard no_grad;
  if (tensor.kind == Kind::kTensor && tensor.ref) {
    const auto& ref = *tensor.ref;
    bool contiguous = true;
    int64_t expected = 1;
    for (size_t k = ref.sizes.size(); k-- > 0;) {
      if (ref.sizes[k] != 1 && ref.strides[k] != expected) contiguous = false;
      expected *= ref.sizes[k];
    }
    if (contiguous && dst.device().is_cpu() && dst.is_contiguous() && dst.scalar_type() == ref.dtype &&
        dst.sizes().vec() == ref.sizes && ref.numel() > 0 && !big_endian_) {
      const auto& loc = locate(ref);
      const size_t elem = c10::elementSize(ref.dtype);
      if (ref.offset < 0 || ref.offset + ref.numel() > ref.storage_numel) {
        corrupt(path(), "tensor view reaches past storage '" + ref.storage_key + "'");
      }
      file_->read(loc.offset + static_cast<uint64_t>(ref.offset) * elem, dst.data_ptr(),
                  static_cast<size_t>(ref.numel()) * elem);
      const bool whole = ref.offset == 0 && static_cast<uint64_t>(ref.numel()) * elem == loc.nbytes;
      verify(loc, whole ? dst.data_ptr() : nullptr);
      return;
    }
  }
  dst.copy_(load(tensor));
}

void TorchFile::load_all() {
  std::map<std::string, torch::Tensor> storages;
  for (auto& v : doc_.values()) {
    if (v.kind != Kind::kTensor || !v.ref) continue;
    const auto& ref = *v.ref;
    auto it = storages.find(ref.storage_key);
    if (it == storages.end()) {
      py::TensorRef whole = ref;
      whole.is_storage = true;
      whole.offset = 0;
      whole.sizes = {ref.storage_numel};
      whole.strides = {1};
      it = storages.emplace(ref.storage_key, load(whole)).first;
    }
    v.tensor = it->second.as_strided(ref.sizes, ref.strides, ref.offset);
    v.ref.reset();
  }
}

// ----- writing ----------------------------------------------------------------

namespace {

class PickleWriter {
 public:
  struct Storage {
    std::string key;
    torch::Tensor keep;  // keeps the data alive
    const void* data;
    size_t nbytes;
  };

  std::string out;
  std::vector<Storage> storages;

  void write_root(const Value& v) {
    out += "\x80\x02";
    write(v, 0);
    out += '.';
  }

 private:
  void op(uint8_t c) { out.push_back(static_cast<char>(c)); }
  void le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  }
  void str(const std::string& s) {
    op('X');
    le(s.size(), 4);
    out += s;
  }
  void global(const std::string& module, const std::string& name) {
    op('c');
    out += module + "\n" + name + "\n";
  }
  void global(const std::string& dotted) {
    const auto dot = dotted.rfind('.');
    if (dot == std::string::npos) throw std::runtime_error("save: class name '" + dotted + "' has no module");
    global(dotted.substr(0, dot), dotted.substr(dot + 1));
  }
  void integer(int64_t i) {
    if (i >= 0 && i < 256) {
      op('K');
      le(static_cast<uint64_t>(i), 1);
    } else if (i >= 0 && i < 65536) {
      op('M');
      le(static_cast<uint64_t>(i), 2);
    } else if (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()) {
      op('J');
      le(static_cast<uint64_t>(static_cast<uint32_t>(static_cast<int32_t>(i))), 4);
    } else {
      op(0x8a);
      out.push_back(8);
      le(static_cast<uint64_t>(i), 8);
    }
  }
  void big_integer(const std::string& decimal) {
    // Decimal -> little-endian two's complement bytes for LONG1/LONG4.
    const bool neg = !decimal.empty() && decimal[0] == '-';
    std::vector<uint8_t> mag;
    for (char c : decimal.substr(neg ? 1 : 0)) {
      unsigned carry = static_cast<unsigned>(c - '0');
      for (auto& b : mag) {
        const unsigned cur = b * 10u + carry;
        b = static_cast<uint8_t>(cur & 0xff);
        carry = cur >> 8;
      }
      while (carry) {
        mag.push_back(static_cast<uint8_t>(carry & 0xff));
        carry >>= 8;
      }
    }
    mag.push_back(0);  // room for the sign bit
    if (neg) {
      for (auto& b : mag) b = static_cast<uint8_t>(~b);
      for (auto& b : mag) {
        if (++b != 0) break;
      }
    }
    if (mag.size() < 256) {
      op(0x8a);
      out.push_back(static_cast<char>(mag.size()));
    } else {
      op(0x8b);
      le(mag.size(), 4);
    }
    out.append(mag.begin(), mag.end());
  }
  void tuple_of(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(x);
    op('t');
  }
  void items(const std::vector<Value*>& v, int depth) {
    for (const Value* x : v) write(*x, depth + 1);
  }
  // MARK items APPENDS, onto the list-like value on the stack.
  void appends(const std::vector<Value*>& v, int depth) {
    if (v.empty()) return;
    op('(');
    items(v, depth);
    op('e');
  }
  // MARK key value ... SETITEMS, onto the dict-like value on the stack.
  void setitems(const std::vector<std::pair<Value*, Value*>>& entries, int depth) {
    if (entries.empty()) return;
    op('(');
    for (const auto& [key, value] : entries) {
      write(*key, depth + 1);
      write(*value, depth + 1);
    }
    op('u');
  }
  // state BUILD, onto the value on the stack.
  void build(const Value* state, int depth) {
    if (!state) return;
    write(*state, depth + 1);
    op('b');
  }

  void tensor(const torch::Tensor& t0) {
    if (!t0.defined()) throw std::runtime_error("save: undefined tensor");
    torch::Tensor t = t0.device().is_cpu() ? t0 : t0.to(torch::kCPU);
    if (!t.has_storage()) t = t.contiguous();
    const auto storage = t.storage();
    const void* impl = storage.unsafeGetStorageImpl();
    const size_t elem = t.element_size();
    std::string key;
    const auto it = keys_.find(impl);
    if (it != keys_.end()) {
      key = it->second.first;
      if (it->second.second != t.scalar_type()) {
        throw std::runtime_error("save: tensors of different dtypes share one storage");
      }
    } else {
      key = std::to_string(storages.size());
      keys_[impl] = {key, t.scalar_type()};
      storages.push_back({key, t, storage.data(), storage.nbytes()});
    }
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    // Persistent id: ('storage', torch.<Type>Storage, key, 'cpu', numel)
    op('(');
    str("storage");
    global("torch", storage_class(t.scalar_type()));
    str(key);
    str("cpu");
    integer(static_cast<int64_t>(storage.nbytes() / elem));
    op('t');
    op('Q');
    integer(t.storage_offset());
    tuple_of(t.sizes().vec());
    tuple_of(t.strides().vec());
    op(0x89);  // requires_grad=False
    global("collections", "OrderedDict");
    op(')');
    op('R');
    op('t');
    op('R');
  }

  void write(const Value& v, int depth) {
    if (depth > py::kMaxDepth) throw std::runtime_error("save: value nested more than " + std::to_string(py::kMaxDepth) + " levels (or cyclic)");
    switch (v.kind) {
      case Kind::kNone: op('N'); break;
      case Kind::kBool: op(v.b ? 0x88 : 0x89); break;
      case Kind::kInt: v.big_int ? big_integer(v.s) : integer(v.i); break;
      case Kind::kFloat: {
        uint64_t u;
        std::memcpy(&u, &v.f, 8);
        op('G');
        for (int k = 7; k >= 0; --k) out.push_back(static_cast<char>((u >> (8 * k)) & 0xff));
        break;
      }
      case Kind::kStr: str(v.s); break;
      case Kind::kBytes: {
        // Protocol 2 spells bytes as _codecs.encode(<latin-1 text>, 'latin1').
        std::string text;
        for (unsigned char c : v.s) {
          if (c < 0x80) {
            text.push_back(static_cast<char>(c));
          } else {
            text.push_back(static_cast<char>(0xc0 | (c >> 6)));
            text.push_back(static_cast<char>(0x80 | (c & 0x3f)));
          }
        }
        global("_codecs", "encode");
        op('(');
        str(text);
        str("latin1");
        op('t');
        op('R');
        break;
      }
      case Kind::kTuple:
        op('(');
        items(v.items, depth);
        op('t');
        break;
      case Kind::kList:
        op(']');
        appends(v.items, depth);
        break;
      case Kind::kDict:
        // A dict with attributes (a state_dict's _metadata) is an OrderedDict.
        if (v.state) {
          global("collections", "OrderedDict");
          op(')');
          op('R');
        } else {
          op('}');
        }
        setitems(v.entries, depth);
        build(v.state, depth);
        break;
      case Kind::kSet:
        global("builtins", v.b ? "frozenset" : "set");
        op('(');
        op(']');
        appends(v.items, depth);
        op('t');
        op('R');
        break;
      case Kind::kClass: global(v.s); break;
      case Kind::kObject:
        global(v.s);
        op('(');
        items(v.items, depth);
        op('t');
        op('R');
        setitems(v.entries, depth);
        appends(v.appended, depth);
        build(v.state, depth);
        break;
      case Kind::kTensor:
        if (v.ref) throw std::runtime_error("save: tensor still on disk; load it before saving");
        tensor(v.tensor);
        break;
    }
  }

  std::unordered_map<const void*, std::pair<std::string, c10::ScalarType>> keys_;
};

}  // namespace

void save(const std::string& path, const py::Value& root, const SaveOptions& options) {
  if (options.archive_name.empty() || options.archive_name.find('/') != std::string::npos) {
    throw std::invalid_argument("save: archive name must be a plain, non-empty name");
  }
  PickleWriter pickler;
  pickler.write_root(root);
  AtomicFileWriter file(path);
  ZipWriter zip(file, options.force_zip64);
  const std::string prefix = options.archive_name + "/";
  zip.add(prefix + "data.pkl", pickler.out.data(), pickler.out.size());
  zip.add(prefix + "byteorder", "little", 6);
  for (const auto& s : pickler.storages) zip.add(prefix + "data/" + s.key, s.data, s.nbytes);
  zip.add(prefix + "version", "3\n", 2);
  zip.finish();
  file.commit();
}

}  // namespace hornet::io
