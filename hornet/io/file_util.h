// Small file helpers shared by hornet's readers and writers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hornet::io {

/// Reads a whole file; throws std::runtime_error naming the path on failure.
std::string read_file(const std::string& path);

/// Writes a file so that a reader never sees it half-written: data goes to a
/// temporary file in the same directory, and commit() flushes it to disk,
/// renames it over the final path and syncs the directory. Destroying the
/// writer before commit() removes the temporary and leaves any existing file
/// at the final path untouched. Errors throw std::runtime_error naming the path.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void write(std::string_view data) { write(data.data(), data.size()); }
  /// Bytes written so far.
  size_t size() const { return written_; }
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what);
  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  size_t written_ = 0;
};

/// Writes `data` to `path` through an AtomicFileWriter.
void write_file_atomic(const std::string& path, std::string_view data);

}  // namespace hornet::io
