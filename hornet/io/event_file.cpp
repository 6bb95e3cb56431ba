#include "hornet/io/event_file.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace hornet::io {

namespace {

std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0x82f63b78u ^ (c >> 1) : c >> 1;  // reflected Castagnoli polynomial
    table[n] = c;
  }
  return table;
}

// TFRecord stores CRCs rotated and offset, so that a CRC of data holding CRCs stays informative.
uint32_t masked_crc(const std::string& bytes) {
  const uint32_t crc = crc32c(bytes.data(), bytes.size());
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string little_endian(uint64_t v, int bytes) {
  std::string out;
  for (int k = 0; k < bytes; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  return out;
}

// Protocol-buffer wire format: a key (field number, wire type), then the value.
std::string varint(uint64_t v) {
  std::string out;
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (v);
  return out;
}
std::string key(int field, int wire_type) { return varint(static_cast<uint64_t>(field) << 3 | wire_type); }
std::string int_field(int field, int64_t v) { return key(field, 0) + varint(static_cast<uint64_t>(v)); }
std::string bytes_field(int field, const std::string& v) { return key(field, 2) + varint(v.size()) + v; }
std::string double_field(int field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return key(field, 1) + little_endian(bits, 8);
}
std::string float_field(int field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return key(field, 5) + little_endian(bits, 4);
}

// Event fields (event.proto).
constexpr int kWallTime = 1, kStep = 2, kFileVersion = 3, kSummary = 5, kSessionLog = 6;
// Summary.value, Summary.Value's fields, and Summary.Image's (summary.proto).
constexpr int kValue = 1, kTag = 1, kSimpleValue = 2, kImage = 4;
constexpr int kHeight = 1, kWidth = 2, kColorspace = 3, kEncoded = 4;
constexpr int kSessionStatus = 1, kSessionStart = 1;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
  return name;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  static const auto table = make_crc32c_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t k = 0; k < size; ++k) crc = table[(crc ^ p[k]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

EventFileWriter::EventFileWriter(const std::string& dir, int64_t start_step) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  path_ = dir + "/events.out.tfevents." + std::to_string(seconds) + "." + host_name() + "." +
          std::to_string(getpid());
  file_ = std::fopen(path_.c_str(), "ab");
  if (!file_)
    throw std::runtime_error(path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno));
  write_event(0, bytes_field(kFileVersion, "brain.Event:2"));
  write_event(start_step, bytes_field(kSessionLog, int_field(kSessionStatus, kSessionStart)));
}

EventFileWriter::~EventFileWriter() {
  if (file_) std::fclose(file_);
}

void EventFileWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  const std::string v = bytes_field(kTag, tag) + float_field(kSimpleValue, static_cast<float>(value));
  write_event(step, bytes_field(kSummary, bytes_field(kValue, v)));
}

void EventFileWriter::add_image(const std::string& tag, const std::string& encoded, int height, int width,
                                int channels, int64_t step) {
  const std::string image = int_field(kHeight, height) + int_field(kWidth, width) +
                            int_field(kColorspace, channels) + bytes_field(kEncoded, encoded);
  const std::string v = bytes_field(kTag, tag) + bytes_field(kImage, image);
  write_event(step, bytes_field(kSummary, bytes_field(kValue, v)));
}

void EventFileWriter::write_event(int64_t step, const std::string& fields) {
  const double wall_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string event = double_field(kWallTime, wall_time) + int_field(kStep, step) + fields;
  const std::string length = little_endian(event.size(), 8);
  const std::string record =
      length + little_endian(masked_crc(length), 4) + event + little_endian(masked_crc(event), 4);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0) {
    throw std::runtime_error(path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno));
  }
}

}  // namespace hornet::io
