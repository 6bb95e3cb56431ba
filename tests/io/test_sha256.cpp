// SHA-256 against the test vectors of FIPS 180-4 / NIST's examples, across
// chunk boundaries, and on a file.
#include "hornet/io/sha256.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace hornet;

TEST_CASE("sha256: the published test vectors, fed whole and in pieces", "[sha256]") {
  CHECK(io::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(io::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(io::sha256_hex(two_blocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed 997 bytes at a time so that updates straddle blocks.
  const std::string million(1000000, 'a');
  io::Sha256 h;
  for (size_t at = 0; at < million.size(); at += 997) h.update(million.data() + at, std::min<size_t>(997, million.size() - at));
  CHECK(h.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: a file hashes as its bytes, and a missing file is named", "[sha256]") {
  const auto path = (std::filesystem::temp_directory_path() / "hornet_sha256_test.bin").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "abc";
  }
  CHECK(io::sha256_file(path) == io::sha256_hex("abc"));
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(io::sha256_file(path), Catch::Matchers::Contains(path));
}
