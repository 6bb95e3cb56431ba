// Uncompressed ("stored") zip archives, as torch.save writes them.
//
// The reader parses the end-of-central-directory record (and its zip64 form),
// the central directory and each entry's local header, checking every offset
// and size against the file, and reads entry data by offset without loading
// the archive. The writer lays entries out as torch.save does: stored, each
// entry's data starting on a 64-byte boundary, zip64 records where sizes or
// offsets need them.
#pragma once

#include "hornet/io/file_util.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hornet::io {

/// Read-only random access to a file by offset, every read bounds-checked.
class RandomAccessFile {
 public:
  explicit RandomAccessFile(const std::string& path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  /// Reads exactly `n` bytes at `offset`; throws std::runtime_error naming the
  /// file if the range lies outside it or the read fails.
  void read(uint64_t offset, void* dst, size_t n) const;
  std::string read(uint64_t offset, size_t n) const;

  /// The whole file mapped copy-on-write (MAP_PRIVATE, readable and writable):
  /// pages are read from the page cache when first touched, and writes stay
  /// in this process. Mapped once; the mapping lives as long as any holder of
  /// the returned pointer. The file must not shrink while mapped (a touch past
  /// its new end is SIGBUS, as for any mapping). Throws std::runtime_error
  /// naming the file when it cannot be mapped.
  std::shared_ptr<unsigned char> map() const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  mutable std::mutex mapping_mutex_;
  mutable std::weak_ptr<unsigned char> mapping_;
};

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  ///< first byte of the entry's data in the file
  uint64_t size = 0;         ///< uncompressed size
  uint32_t crc32 = 0;
};

class ZipReader {
 public:
  /// Parses the archive's directory. Throws std::runtime_error naming the file
  /// and the problem for anything malformed, compressed, encrypted or unsafe
  /// (entry names with `..` components or absolute paths).
  explicit ZipReader(std::shared_ptr<const RandomAccessFile> file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  /// The whole entry (for small records such as data.pkl).
  std::string read(const ZipEntry& entry) const;
  /// `n` bytes of the entry starting at `offset` within it.
  void read(const ZipEntry& entry, uint64_t offset, void* dst, size_t n) const;
  const RandomAccessFile& file() const { return *file_; }

 private:
  std::shared_ptr<const RandomAccessFile> file_;
  std::vector<ZipEntry> entries_;
};

/// Writes a stored zip archive through an AtomicFileWriter; finish() writes
/// the central directory (the caller then commits the file).
class ZipWriter {
 public:
  /// `force_zip64` writes zip64 records even for small archives (tests use it
  /// to exercise the >4 GiB layout).
  explicit ZipWriter(AtomicFileWriter& out, bool force_zip64 = false);
  /// Adds an entry whose data starts on a 64-byte boundary.
  void add(const std::string& name, const void* data, size_t size);
  void finish();

 private:
  struct Record {
    std::string name;
    uint64_t header_offset;
    uint64_t size;
    uint32_t crc32;
  };
  AtomicFileWriter& out_;
  bool force_zip64_;
  bool finished_ = false;
  std::vector<Record> records_;
};

/// CRC-32 (zip / zlib polynomial) of `data`, continuing from `crc`.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace hornet::io
