// SHA-256 (FIPS 180-4) of a file: the hash that published checkpoint names
// carry the first hex digits of (`..._20220915-0e8eedff.pth`).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hornet::io {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  /// The 64-digit lower-case hex digest; the object is spent afterwards.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> block_{};
  size_t used_ = 0;
  uint64_t length_ = 0;
};

/// The hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// The hex SHA-256 of the file at `path`, read in chunks; throws
/// std::runtime_error naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace hornet::io
