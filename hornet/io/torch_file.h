// Reading and writing files in the formats of Python's torch.save, without
// Python: the zip format (torch >= 1.6) and the legacy format (a sequence of
// pickles followed by raw storages), which mmpretrain's published HorNet
// weights most likely use (docs/checkpoints.md). Reading also opens
// safetensors files (io/safetensors.h), as a flat dict of tensors.
//
// Reading decodes the structure (dicts, lists, tensors as references to
// storages, opaque objects) and leaves tensor data on disk until asked for, so
// a large checkpoint is never held in memory twice.
#pragma once

#include "hornet/io/pickle.h"
#include "hornet/io/zip.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hornet::io {

class TorchFile {
 public:
  enum class Format { kZip, kLegacy, kSafetensors };

  /// Opens and decodes `path`; throws std::runtime_error naming the file and
  /// the problem (not a torch file, truncated, corrupt, unsupported).
  /// A safetensors file decodes to a dict of its tensors in header order.
  explicit TorchFile(const std::string& path);

  Format format() const { return format_; }
  const std::string& path() const { return file_->path(); }
  /// The decoded top-level object.
  const py::Value& root() const { return *doc_.root; }
  py::Document& document() { return doc_; }

  /// A kTensor value's data as a CPU tensor with the stored dtype, sizes and
  /// strides (only the span the view covers is read).
  torch::Tensor load(const py::Value& tensor) const;
  torch::Tensor load(const py::TensorRef& ref) const;

  /// Copies a kTensor value's data into `dst` (same shape; any dtype, converted).
  /// A contiguous CPU destination of the stored dtype is filled straight from
  /// the file, without an intermediate buffer.
  void load_into(const py::Value& tensor, torch::Tensor& dst) const;

  /// A kTensor value's data as a CPU tensor over the file's pages (see
  /// RandomAccessFile::map): nothing is read until the tensor is touched, and
  /// writes to it stay in this process. Zip records' CRC-32s are not checked,
  /// as torch.load does not check them either. Undefined when the data cannot
  /// be aliased: stored big-endian, not aligned to its element size (legacy
  /// files lay storages at any byte), empty, or not stored in the file.
  torch::Tensor map(const py::Value& tensor) const;

  /// Loads every tensor of the document into memory (views of one storage
  /// share it, as in Python), so the tree can be edited and saved.
  void load_all();

  /// "torch.save zip", "torch.save legacy" or "safetensors".
  std::string format_name() const;
  /// A safetensors file's `__metadata__` (empty for torch.save files).
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

  /// Thread time spent checking record CRC-32s so far, in seconds.
  double crc_seconds() const { return static_cast<double>(crc_nanoseconds_.load()) * 1e-9; }

 private:
  void open_zip();
  void open_legacy();
  void open_safetensors();
  py::DecodeHooks hooks(bool legacy);

  struct StorageLocation {
    uint64_t offset = 0;    ///< file offset of element 0
    uint64_t nbytes = 0;    ///< bytes available
    /// Zip records carry a CRC-32, checked once per record on first use;
    /// legacy files have none (`record` empty).
    std::string record;
    uint32_t crc32 = 0;
    std::shared_ptr<std::atomic<bool>> verified;
  };
  const StorageLocation& locate(const py::TensorRef& ref) const;
  /// Elements from a non-empty view's first to its last; throws unless the
  /// view lies inside its storage.
  int64_t view_span(const py::TensorRef& ref, const StorageLocation& loc) const;
  /// Throws, naming the record, unless its bytes match its CRC-32. `whole` is
  /// the record's bytes already in memory, or null to read them from the file.
  void verify(const StorageLocation& loc, const void* whole = nullptr) const;

  std::shared_ptr<RandomAccessFile> file_;
  std::unique_ptr<ZipReader> zip_;
  Format format_ = Format::kZip;
  bool big_endian_ = false;
  std::string zip_prefix_;
  py::Document doc_;
  std::map<std::string, c10::ScalarType> storage_types_;  // legacy: dtype per storage key
  std::map<std::string, StorageLocation> storages_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  mutable std::atomic<int64_t> crc_nanoseconds_{0};
};

struct SaveOptions {
  /// Top-level folder inside the zip (torch.save uses "archive" since 1.13/2.x).
  std::string archive_name = "archive";
  /// Write zip64 records even when not needed.
  bool force_zip64 = false;
};

/// Writes `root` as a torch.save zip file (pickle protocol 2) that Python's
/// torch.load reads: dicts, lists, tuples, sets, str, bytes, int, float, bool,
/// None, in-memory tensors of any dtype (views keep their storage sharing),
/// and opaque objects read from another file. The file appears under `path`
/// only once complete.
void save(const std::string& path, const py::Value& root, const SaveOptions& options = {});

/// Scalar type of a torch storage class name ("FloatStorage", "torch.HalfStorage", ...).
c10::ScalarType storage_dtype(const std::string& class_name);
/// Storage class name ("FloatStorage") of a scalar type.
std::string storage_class(c10::ScalarType dtype);

}  // namespace hornet::io
