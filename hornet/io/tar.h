// POSIX tar archives, the container of WebDataset shards: listing the regular
// files of an archive (ustar headers, with pax and GNU long names) without
// reading their data, and writing archives of regular files.
#pragma once

#include "hornet/io/file_util.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hornet::io {

struct TarMember {
  std::string name;
  uint64_t offset = 0;  ///< of its data in the archive
  uint64_t size = 0;
};

/// The regular files of the archive at `path`, in archive order (directories,
/// links and pax records left out). Throws std::runtime_error naming the file
/// and the byte offset for a header whose checksum fails, a size past the end
/// of the file, or a truncated archive.
std::vector<TarMember> list_tar(const std::string& path);

/// Writes a tar archive (ustar) of regular files, in the order added; the file
/// appears under its path only once finish() has run.
class TarWriter {
 public:
  explicit TarWriter(const std::string& path);
  /// Names up to 100 bytes (std::invalid_argument otherwise).
  void add(const std::string& name, std::string_view data);
  void finish();
  size_t bytes_written() const { return file_.size(); }

 private:
  AtomicFileWriter file_;
};

}  // namespace hornet::io
