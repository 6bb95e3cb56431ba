// Stored zip archives (PKWARE APPNOTE 6.3: local headers, central directory,
// end of central directory, zip64 extensions).
#include "hornet/io/zip.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace hornet::io {

// ----- RandomAccessFile ------------------------------------------------------

RandomAccessFile::RandomAccessFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw std::runtime_error(path + ": not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

RandomAccessFile::~RandomAccessFile() {
  if (fd_ >= 0) ::close(fd_);
}

void RandomAccessFile::read(uint64_t offset, void* dst, size_t n) const {
  if (offset > size_ || n > size_ - offset) {
    throw std::runtime_error(path_ + ": read of " + std::to_string(n) + " bytes at offset " +
                             std::to_string(offset) + " runs past the end of the file (" +
                             std::to_string(size_) + " bytes); the file is truncated or corrupt");
  }
  auto* out = static_cast<char*>(dst);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(path_ + ": read failed (" + std::strerror(errno) + ")");
    }
    if (got == 0) throw std::runtime_error(path_ + ": file shrank while reading");
    done += static_cast<size_t>(got);
  }
}

std::string RandomAccessFile::read(uint64_t offset, size_t n) const {
  if (offset > size_ || n > size_ - offset) read(offset, nullptr, n);  // throws the range error
  std::string out(n, '\0');
  read(offset, out.data(), n);
  return out;
}

std::shared_ptr<unsigned char> RandomAccessFile::map() const {
  std::lock_guard<std::mutex> lock(mapping_mutex_);
  if (auto existing = mapping_.lock()) return existing;
  if (size_ == 0) throw std::runtime_error(path_ + ": cannot map an empty file");
  void* base = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd_, 0);
  if (base == MAP_FAILED) throw std::runtime_error(path_ + ": cannot map the file (" + std::strerror(errno) + ")");
  const size_t length = static_cast<size_t>(size_);
  std::shared_ptr<unsigned char> mapping(static_cast<unsigned char*>(base),
                                         [length](unsigned char* p) { ::munmap(p, length); });
  mapping_ = mapping;
  return mapping;
}

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, std::numeric_limits<uInt>::max()));
    crc = static_cast<uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    size -= chunk;
  }
  return crc;
}

// ----- ZipReader --------------------------------------------------------------

namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kZip64EocdSize = 56;
constexpr size_t kZip64LocatorSize = 20;

uint64_t le(const char* p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(p[k]);
  return v;
}

void put_le(std::string& out, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
}

bool unsafe_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos) return true;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('/', start), name.size());
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return name.find('\0') != std::string::npos;
}

}  // namespace

ZipReader::ZipReader(std::shared_ptr<const RandomAccessFile> file) : file_(std::move(file)) {
  const auto& f = *file_;
  const std::string& path = f.path();
  auto bad = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(path + ": not a valid zip archive: " + what);
  };
  if (f.size() < kEocdSize) throw bad("too short for an end-of-central-directory record");

  // The EOCD record sits at the end, before a comment of at most 65535 bytes.
  const uint64_t tail_len = std::min<uint64_t>(f.size(), kEocdSize + 65535);
  const std::string tail = f.read(f.size() - tail_len, static_cast<size_t>(tail_len));
  size_t eocd = std::string::npos;
  for (size_t k = tail.size() - kEocdSize + 1; k-- > 0;) {
    if (le(tail.data() + k, 4) == kEocdSig && k + kEocdSize + le(tail.data() + k + 20, 2) == tail.size()) {
      eocd = k;
      break;
    }
  }
  if (eocd == std::string::npos) throw bad("no end-of-central-directory record");
  const char* e = tail.data() + eocd;
  const uint64_t eocd_offset = f.size() - tail_len + eocd;
  uint64_t count = le(e + 10, 2);
  uint64_t cd_size = le(e + 12, 4);
  uint64_t cd_offset = le(e + 16, 4);
  if (le(e + 4, 2) != 0 || le(e + 6, 2) != 0) throw bad("multi-disk archives are not supported");

  if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (eocd_offset < kZip64LocatorSize) throw bad("missing zip64 locator");
    const std::string loc = f.read(eocd_offset - kZip64LocatorSize, kZip64LocatorSize);
    if (le(loc.data(), 4) != kZip64LocatorSig) throw bad("missing zip64 locator");
    const uint64_t z64_offset = le(loc.data() + 8, 8);
    if (z64_offset > f.size() || f.size() - z64_offset < kZip64EocdSize) throw bad("zip64 record out of range");
    const std::string z = f.read(z64_offset, kZip64EocdSize);
    if (le(z.data(), 4) != kZip64EocdSig) throw bad("bad zip64 end-of-central-directory signature");
    count = le(z.data() + 32, 8);
    cd_size = le(z.data() + 40, 8);
    cd_offset = le(z.data() + 48, 8);
  }
  if (cd_offset > f.size() || cd_size > f.size() - cd_offset) throw bad("central directory out of range");
  if (count > cd_size / kCentralHeaderSize) throw bad("entry count does not fit the central directory");

  const std::string cd = f.read(cd_offset, static_cast<size_t>(cd_size));
  entries_.reserve(static_cast<size_t>(count));
  size_t pos = 0;
  for (uint64_t n = 0; n < count; ++n) {
    if (cd.size() - pos < kCentralHeaderSize || le(cd.data() + pos, 4) != kCentralHeaderSig) {
      throw bad("corrupt central directory entry " + std::to_string(n));
    }
    const char* h = cd.data() + pos;
    const auto flags = le(h + 8, 2);
    const auto method = le(h + 10, 2);
    ZipEntry entry;
    entry.crc32 = static_cast<uint32_t>(le(h + 16, 4));
    uint64_t compressed = le(h + 20, 4);
    entry.size = le(h + 24, 4);
    const size_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
    uint64_t header_offset = le(h + 42, 4);
    if (cd.size() - pos - kCentralHeaderSize < name_len + extra_len + comment_len) {
      throw bad("central directory entry " + std::to_string(n) + " overruns the directory");
    }
    entry.name.assign(h + kCentralHeaderSize, name_len);
    // zip64 extra field: the 0xffffffff fields follow in a fixed order.
    const char* extra = h + kCentralHeaderSize + name_len;
    for (size_t x = 0; x + 4 <= extra_len;) {
      const auto id = le(extra + x, 2);
      const size_t len = le(extra + x + 2, 2);
      if (x + 4 + len > extra_len) throw bad("corrupt extra field in entry '" + entry.name + "'");
      if (id == 0x0001) {
        size_t q = x + 4;
        auto next = [&](uint64_t& field) {
          if (field != 0xffffffff) return;
          if (q + 8 > x + 4 + len) throw bad("short zip64 field in entry '" + entry.name + "'");
          field = le(extra + q, 8);
          q += 8;
        };
        next(entry.size);
        next(compressed);
        next(header_offset);
      }
      x += 4 + len;
    }
    if (unsafe_name(entry.name)) throw bad("unsafe entry name '" + entry.name + "'");
    if (flags & 0x1) throw bad("entry '" + entry.name + "' is encrypted");
    if (method != 0) throw bad("entry '" + entry.name + "' is compressed (method " + std::to_string(method) + "); only stored entries are supported");
    if (compressed != entry.size) throw bad("entry '" + entry.name + "' sizes disagree");

    if (header_offset > f.size() || f.size() - header_offset < kLocalHeaderSize) {
      throw bad("local header of '" + entry.name + "' out of range");
    }
    const std::string local = f.read(header_offset, kLocalHeaderSize);
    if (le(local.data(), 4) != kLocalHeaderSig) throw bad("bad local header signature for '" + entry.name + "'");
    entry.data_offset = header_offset + kLocalHeaderSize + le(local.data() + 26, 2) + le(local.data() + 28, 2);
    if (entry.data_offset > f.size() || entry.size > f.size() - entry.data_offset) {
      throw bad("data of '" + entry.name + "' runs past the end of the file");
    }
    entries_.push_back(std::move(entry));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string ZipReader::read(const ZipEntry& entry) const {
  if (entry.size > std::numeric_limits<size_t>::max()) throw std::runtime_error("zip entry too large");
  std::string out = file_->read(entry.data_offset, static_cast<size_t>(entry.size));
  if (crc32(out.data(), out.size()) != entry.crc32) {
    throw std::runtime_error(file_->path() + ": CRC mismatch in zip entry '" + entry.name + "'; the file is corrupt");
  }
  return out;
}

void ZipReader::read(const ZipEntry& entry, uint64_t offset, void* dst, size_t n) const {
  if (offset > entry.size || n > entry.size - offset) {
    throw std::runtime_error(file_->path() + ": read of " + std::to_string(n) + " bytes at " +
                             std::to_string(offset) + " exceeds zip entry '" + entry.name + "' (" +
                             std::to_string(entry.size) + " bytes)");
  }
  file_->read(entry.data_offset + offset, dst, n);
}

// ----- ZipWriter --------------------------------------------------------------

ZipWriter::ZipWriter(AtomicFileWriter& out, bool force_zip64) : out_(out), force_zip64_(force_zip64) {}

void ZipWriter::add(const std::string& name, const void* data, size_t size) {
  if (finished_) throw std::runtime_error("ZipWriter: add after finish");
  if (name.size() > 0xffff) throw std::runtime_error("ZipWriter: entry name too long");
  const uint64_t offset = out_.size();
  const bool zip64 = force_zip64_ || size >= 0xffffffff;
  const uint32_t crc = crc32(data, size);

  std::string header;
  put_le(header, kLocalHeaderSig, 4);
  put_le(header, zip64 ? 45 : 20, 2);  // version needed
  put_le(header, 0, 2);                // flags
  put_le(header, 0, 2);                // stored
  put_le(header, 0, 2);                // time
  put_le(header, (0 << 9) | (1 << 5) | 1, 2);  // date 1980-01-01
  put_le(header, crc, 4);
  put_le(header, zip64 ? 0xffffffff : size, 4);
  put_le(header, zip64 ? 0xffffffff : size, 4);
  put_le(header, name.size(), 2);
  std::string extra;
  if (zip64) {
    put_le(extra, 0x0001, 2);
    put_le(extra, 16, 2);
    put_le(extra, size, 8);
    put_le(extra, size, 8);
  }
  // Pad with an ignorable extra field so the data starts on a 64-byte boundary.
  const uint64_t unpadded = offset + header.size() + 2 + name.size() + extra.size();
  uint64_t pad = (64 - (unpadded + 4) % 64) % 64;
  put_le(extra, 0x4246, 2);  // "FB", the id torch.save uses
  put_le(extra, pad, 2);
  extra.append(static_cast<size_t>(pad), 'Z');
  put_le(header, extra.size(), 2);
  header += name;
  header += extra;
  out_.write(header);
  out_.write(data, size);
  records_.push_back({name, offset, size, crc});
}

void ZipWriter::finish() {
  if (finished_) return;
  finished_ = true;
  const uint64_t cd_offset = out_.size();
  std::string cd;
  for (const auto& r : records_) {
    const bool big_size = force_zip64_ || r.size >= 0xffffffff;
    const bool big_offset = force_zip64_ || r.header_offset >= 0xffffffff;
    std::string extra;
    if (big_size || big_offset) {
      put_le(extra, 0x0001, 2);
      put_le(extra, (big_size ? 16 : 0) + (big_offset ? 8 : 0), 2);
      if (big_size) {
        put_le(extra, r.size, 8);
        put_le(extra, r.size, 8);
      }
      if (big_offset) put_le(extra, r.header_offset, 8);
    }
    put_le(cd, kCentralHeaderSig, 4);
    put_le(cd, big_size || big_offset ? 45 : 20, 2);  // version made by
    put_le(cd, big_size || big_offset ? 45 : 20, 2);  // version needed
    put_le(cd, 0, 2);
    put_le(cd, 0, 2);
    put_le(cd, 0, 2);
    put_le(cd, (0 << 9) | (1 << 5) | 1, 2);
    put_le(cd, r.crc32, 4);
    put_le(cd, big_size ? 0xffffffff : r.size, 4);
    put_le(cd, big_size ? 0xffffffff : r.size, 4);
    put_le(cd, r.name.size(), 2);
    put_le(cd, extra.size(), 2);
    put_le(cd, 0, 2);  // comment
    put_le(cd, 0, 2);  // disk
    put_le(cd, 0, 2);  // internal attributes
    put_le(cd, 0, 4);  // external attributes
    put_le(cd, big_offset ? 0xffffffff : r.header_offset, 4);
    cd += r.name;
    cd += extra;
  }
  out_.write(cd);
  const uint64_t cd_size = cd.size();
  const uint64_t count = records_.size();
  const bool zip64 = force_zip64_ || count >= 0xffff || cd_size >= 0xffffffff || cd_offset >= 0xffffffff;
  std::string tail;
  if (zip64) {
    const uint64_t z64_offset = out_.size();
    put_le(tail, kZip64EocdSig, 4);
    put_le(tail, kZip64EocdSize - 12, 8);
    put_le(tail, 45, 2);
    put_le(tail, 45, 2);
    put_le(tail, 0, 4);
    put_le(tail, 0, 4);
    put_le(tail, count, 8);
    put_le(tail, count, 8);
    put_le(tail, cd_size, 8);
    put_le(tail, cd_offset, 8);
    put_le(tail, kZip64LocatorSig, 4);
    put_le(tail, 0, 4);
    put_le(tail, z64_offset, 8);
    put_le(tail, 1, 4);
  }
  put_le(tail, kEocdSig, 4);
  put_le(tail, 0, 2);
  put_le(tail, 0, 2);
  put_le(tail, zip64 ? 0xffff : count, 2);
  put_le(tail, zip64 ? 0xffff : count, 2);
  put_le(tail, zip64 ? 0xffffffff : cd_size, 4);
  put_le(tail, zip64 ? 0xffffffff : cd_offset, 4);
  put_le(tail, 0, 2);
  out_.write(tail);
}

}  // namespace hornet::io
