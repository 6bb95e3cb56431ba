// File helpers: whole-file reads and atomic writes.
#include "hornet/io/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace hornet::io {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path + ": no such file");
  if (fs::is_directory(path, ec)) throw std::runtime_error(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open file");
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0) throw std::runtime_error(path + ": cannot determine the file size");
  std::string data(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(data.data(), size)) throw std::runtime_error(path + ": read failed");
  return data;
}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  fd_ = ::mkstemp(tmpl.data());
  if (fd_ < 0) fail("cannot create a temporary file in " + dir.string());
  tmp_path_ = tmpl;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

void AtomicFileWriter::fail(const std::string& what) {
  const std::string reason = errno ? std::string(" (") + std::strerror(errno) + ")" : "";
  throw std::runtime_error(path_ + ": " + what + reason);
}

void AtomicFileWriter::write(const void* data, size_t size) {
  if (fd_ < 0) throw std::runtime_error(path_ + ": write after commit");
  const char* bytes = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd_, bytes + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
  written_ += size;
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) throw std::runtime_error(path_ + ": commit called twice");
  // mkstemp creates 0600; give the file the permissions a plain create would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) fail("chmod failed");
  if (::fsync(fd_) != 0) fail("fsync failed");
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close failed");
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) fail("rename failed");
  tmp_path_.clear();
  // Make the rename itself durable.
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_file_atomic(const std::string& path, std::string_view data) {
  AtomicFileWriter writer(path);
  writer.write(data);
  writer.commit();
}

}  // namespace hornet::io
