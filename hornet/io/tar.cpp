#include "hornet/io/tar.h"

#include "hornet/io/zip.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace hornet::io {

namespace {

constexpr size_t kBlock = 512;

uint64_t padded(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

[[noreturn]] void bad(const std::string& path, uint64_t offset, const std::string& what) {
  throw std::runtime_error(path + ": not a valid tar archive at byte " + std::to_string(offset) + ": " +
                           what);
}

// An octal field (NUL- or space-terminated), or GNU's base-256 for large sizes.
uint64_t numeric_field(const char* field, size_t width, const std::string& path, uint64_t offset) {
  const auto* b = reinterpret_cast<const unsigned char*>(field);
  if (b[0] & 0x80) {
    uint64_t v = 0;
    for (size_t k = 1; k < width; ++k) {
      if (v >> 56) bad(path, offset, "a size field too large");
      v = (v << 8) | b[k];
    }
    return v;
  }
  uint64_t v = 0;
  size_t k = 0;
  while (k < width && field[k] == ' ') ++k;
  for (; k < width && field[k] >= '0' && field[k] <= '7'; ++k) {
    if (v >> 60) bad(path, offset, "an octal field too large");
    v = v * 8 + static_cast<uint64_t>(field[k] - '0');
  }
  if (k < width && field[k] != '\0' && field[k] != ' ') bad(path, offset, "a malformed octal field");
  return v;
}

std::string text_field(const char* field, size_t width) { return std::string(field, strnlen(field, width)); }

// What a pax extended header says of the next member: its name and, for members
// of 8 GiB or more, its size ("<length> <key>=<value>\n" records).
struct PaxRecords {
  std::string path;
  bool has_size = false;
  uint64_t size = 0;
};

PaxRecords parse_pax(const std::string& records, const std::string& file, uint64_t offset) {
  PaxRecords pax;
  size_t pos = 0;
  while (pos < records.size()) {
    const size_t space = records.find(' ', pos);
    if (space == std::string::npos) bad(file, offset, "a malformed pax record");
    size_t length = 0;
    for (size_t k = pos; k < space; ++k) {
      if (records[k] < '0' || records[k] > '9') bad(file, offset, "a malformed pax record length");
      length = length * 10 + static_cast<size_t>(records[k] - '0');
      if (length > records.size()) bad(file, offset, "a pax record longer than its header");
    }
    if (length <= space - pos + 1 || pos + length > records.size() || records[pos + length - 1] != '\n')
      bad(file, offset, "a malformed pax record");
    const std::string record = records.substr(space + 1, pos + length - space - 2);  // without the newline
    if (record.rfind("path=", 0) == 0) {
      pax.path = record.substr(5);
    } else if (record.rfind("size=", 0) == 0) {
      const std::string digits = record.substr(5);
      if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
        bad(file, offset, "a malformed pax size record '" + record + "'");
      pax.has_size = true;
      pax.size = std::stoull(digits);
    }
    pos += length;
  }
  return pax;
}

// Members whose size field counts data blocks that follow: regular files and, as
// other readers do, types they do not know. Links, devices, directories and fifos
// have none whatever the field says.
bool has_data(char type) { return type < '1' || type > '6'; }

}  // namespace

std::vector<TarMember> list_tar(const std::string& path) {
  RandomAccessFile file(path);
  std::vector<TarMember> members;
  PaxRecords next;  // from a pax or GNU long-name header, for the member after it
  char h[kBlock];
  uint64_t offset = 0;
  while (true) {
    if (offset + kBlock > file.size()) bad(path, offset, "truncated (no end-of-archive blocks)");
    file.read(offset, h, kBlock);
    if (std::all_of(h, h + kBlock, [](char c) { return c == 0; })) break;  // end of archive
    // The sum of the header's bytes with the checksum field as spaces, as unsigned
    // bytes (POSIX) or, by some old writers, signed ones.
    uint64_t sum = 0;
    int64_t signed_sum = 0;
    for (size_t k = 0; k < kBlock; ++k) {
      const bool field = k >= 148 && k < 156;
      sum += field ? ' ' : static_cast<unsigned char>(h[k]);
      signed_sum += field ? ' ' : static_cast<signed char>(h[k]);
    }
    const uint64_t stored = numeric_field(h + 148, 8, path, offset);
    if (stored != sum && static_cast<int64_t>(stored) != signed_sum)
      bad(path, offset, "header checksum mismatch");
    const char type = h[156];
    const bool extension =
        type == 'x' || type == 'g' || type == 'L' || type == 'K';  // headers of the next member
    const uint64_t size = !extension && next.has_size ? next.size : numeric_field(h + 124, 12, path, offset);
    const uint64_t data = offset + kBlock;
    const uint64_t stored_size = has_data(type) ? size : 0;
    if (stored_size > file.size() - data)
      bad(path, offset, "a member of " + std::to_string(size) + " bytes runs past the end");
    if (type == 'x' || type == 'L') {
      if (size > (1u << 20)) bad(path, offset, "a name record over 1 MiB");
      const std::string record = file.read(data, static_cast<size_t>(size));
      if (type == 'L') {
        next.path = std::string(record.c_str());
      } else {
        const PaxRecords pax = parse_pax(record, path, offset);
        if (!pax.path.empty()) next.path = pax.path;
        if (pax.has_size) {
          next.has_size = true;
          next.size = pax.size;
        }
      }
    } else if (extension) {
      // Global pax records (a comment, a charset) and GNU long link names: nothing hornet reads.
    } else {
      if (type == '0' || type == '\0' || type == '7') {
        std::string name = next.path;
        if (name.empty()) {
          name = text_field(h, 100);
          // POSIX ustar ("ustar\0") has a name prefix at 345; old GNU ("ustar  ") keeps times there.
          const std::string prefix = std::memcmp(h + 257, "ustar", 6) == 0 ? text_field(h + 345, 155) : "";
          if (!prefix.empty()) name = prefix + "/" + name;
        }
        members.push_back({name, data, size});
      }
      next = PaxRecords{};  // directories, links, other types: nothing to read
    }
    offset = data + padded(stored_size);
  }
  return members;
}

TarWriter::TarWriter(const std::string& path) : file_(path) {}

void TarWriter::add(const std::string& name, std::string_view data) {
  if (name.empty() || name.size() > 100) {
    throw std::invalid_argument("tar member name '" + name + "' must be 1 to 100 bytes");
  }
  if (data.size() >= (uint64_t{1} << 33))
    throw std::invalid_argument("tar member '" + name + "' is 8 GiB or more");
  char h[kBlock] = {};
  std::memcpy(h, name.data(), name.size());
  const auto mtime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::snprintf(h + 100, 8, "%07o", 0644);
  std::snprintf(h + 108, 8, "%07o", 0);
  std::snprintf(h + 116, 8, "%07o", 0);
  std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(data.size()));
  std::snprintf(h + 136, 12, "%011llo", static_cast<unsigned long long>(mtime));
  h[156] = '0';
  std::memcpy(h + 257, "ustar", 6);  // POSIX magic, NUL-terminated
  std::memcpy(h + 263, "00", 2);
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  std::snprintf(h + 148, 8, "%06o", sum);  // six digits, NUL, then the space already there
  h[155] = ' ';
  file_.write(h, kBlock);
  file_.write(data);
  static const char zeros[kBlock] = {};
  file_.write(zeros, static_cast<size_t>(padded(data.size()) - data.size()));
}

void TarWriter::finish() {
  static const char zeros[2 * kBlock] = {};
  file_.write(zeros, sizeof zeros);
  file_.commit();
}

}  // namespace hornet::io
