// safetensors files: hand-built headers against the format's rules, and what
// hornet writes read back (the safetensors package checks the same files in
// tests/ecosystem/test_safetensors.py).
#include "hornet/io/safetensors.h"
#include "hornet/io/torch_file.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace hornet;
using Catch::Matchers::Contains;

namespace {

// A file as the format lays it out: little-endian u64 header length, header, data.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int k = 0; k < 8; ++k)
    out[static_cast<size_t>(k)] = static_cast<char>((header.size() >> (8 * k)) & 0xff);
  return out + header + data;
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / ("hornet_safetensors_" + name)).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Four float32 values 1, 2, 3, 4 (little-endian IEEE 754) and two int64 7, -1.
std::string float_bytes() {
  return std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40", 16);
}
std::string long_bytes() {
  return std::string("\x07\x00\x00\x00\x00\x00\x00\x00", 8) + std::string(8, '\xff');
}

}  // namespace

TEST_CASE("safetensors: a hand-built file opens as a dict of its tensors, metadata kept",
          "[io][safetensors]") {
  const std::string header =
      R"({"__metadata__":{"format":"pt","note":"caf\u00e9"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("idx":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},"empty":{"dtype":"F16","shape":[0,3],"data_offsets":[32,32]}})";
  const auto path = write_temp("good.safetensors", safetensors_bytes(header, float_bytes() + long_bytes()));
  io::TorchFile file(path);
  CHECK(file.format() == io::TorchFile::Format::kSafetensors);
  CHECK(file.format_name() == "safetensors");
  REQUIRE(file.metadata().size() == 2);
  CHECK(file.metadata()[1].second == "caf\xc3\xa9");
  const auto& root = file.root();
  REQUIRE(root.entries.size() == 3);
  const auto w = file.load(*root.entries[0].second);
  CHECK(w.sizes() == torch::IntArrayRef({2, 2}));
  CHECK(torch::equal(w, torch::tensor({1.f, 2.f, 3.f, 4.f}).reshape({2, 2})));
  CHECK(torch::equal(file.load(*root.entries[1].second), torch::tensor({int64_t{7}, int64_t{-1}})));
  const auto e = file.load(*root.entries[2].second);
  CHECK((e.scalar_type() == torch::kHalf && e.sizes() == torch::IntArrayRef({0, 3})));
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: what hornet writes reads back bit for bit, every dtype", "[io][safetensors]") {
  const auto path =
      (std::filesystem::temp_directory_path() / "hornet_safetensors_roundtrip.safetensors").string();
  torch::manual_seed(3);
  const auto base = torch::randn({3, 5});
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"f32", base},
      {"f32_transposed", base.t()},  // written dense
      {"f64", base.to(torch::kDouble)},
      {"f16", base.to(torch::kHalf)},
      {"bf16", base.to(torch::kBFloat16)},
      {"i64", torch::arange(-3, 4)},
      {"i32", torch::arange(5, torch::kInt)},
      {"i16", torch::arange(5, torch::kShort)},
      {"i8", torch::arange(-2, 3, torch::kChar)},
      {"u8", torch::arange(200, 205, torch::kByte)},
      {"bool", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(2.5)},
      {"empty", torch::empty({0, 4})},
  };
  io::save_safetensors(path, tensors, {{"format", "pt"}});
  // The header is padded so that the data starts on an 8-byte boundary.
  std::ifstream in(path, std::ios::binary);
  unsigned char prefix[8];
  in.read(reinterpret_cast<char*>(prefix), 8);
  uint64_t header_size = 0;
  for (int k = 7; k >= 0; --k) header_size = (header_size << 8) | prefix[k];
  CHECK(header_size % 8 == 0);
  io::TorchFile file(path);
  REQUIRE(file.root().entries.size() == tensors.size());
  for (size_t k = 0; k < tensors.size(); ++k) {
    const auto& [name, value] = file.root().entries[k];
    CHECK(name->s == tensors[k].first);
    const auto got = file.load(*value);
    CHECK(got.scalar_type() == tensors[k].second.scalar_type());
    CHECK(torch::equal(got, tensors[k].second));
  }
  CHECK(file.metadata() == std::vector<std::pair<std::string, std::string>>{{"format", "pt"}});
  // Aligned data maps: the tensor aliases the file's pages.
  const auto mapped = file.map(*file.root().entries[0].second);
  REQUIRE(mapped.defined());
  CHECK(torch::equal(mapped, base));
  CHECK_THROWS_WITH(io::save_safetensors(path + ".x", {{"a", base}, {"a", base}}),
                    Contains("'a' is repeated"));
  CHECK_THROWS_WITH(io::save_safetensors(path + ".x", {{"c", torch::zeros({2}, torch::kComplexFloat)}}),
                    Contains("safetensors has no dtype for ComplexFloat"));
  CHECK_FALSE(std::filesystem::exists(path + ".x"));
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: a header against the rules is refused, naming the tensor and the problem",
          "[io][safetensors]") {
  const std::string data = float_bytes();  // 16 bytes
  const auto entry = [](const std::string& name, const std::string& dtype, const std::string& shape,
                        const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[" +
           offsets + "]}";
  };
  std::string rank65 = "1";
  for (int k = 0; k < 64; ++k) rank65 += ",1";
  const std::pair<std::string, std::string> cases[] = {
      {"{" + entry("a", "F32", "4", "0,16") + "," + entry("b", "F32", "2", "8,16") + "}", "overlaps"},
      {"{" + entry("a", "F32", "2", "0,8") + "," + entry("b", "F32", "1", "12,16") + "}",
       "gap of unclaimed bytes"},
      {"{" + entry("a", "F32", "3", "0,16") + "}", "need 12 bytes but data_offsets give 16"},
      {"{" + entry("a", "F64", "4", "0,16") + "}", "need 32 bytes but data_offsets give 16"},
      {"{" + entry("a", "F32", "8", "0,32") + "}", "claim 32 bytes but the file holds 16"},
      {"{" + entry("a", "F32", "2", "0,8") + "}", "8 bytes after the last tensor belong to none"},
      {"{" + entry("a", "C64", "2", "0,16") + "}", "tensor 'a': unsupported dtype 'C64'"},
      {"{" + entry("a", "F32", "4", "16,0") + "}", "end before they begin"},
      {"{" + entry("a", "F32", "-4", "0,16") + "}", "not a non-negative integer"},
      {"{" + entry("a", "F32", "4", "0,18446744073709551616") + "}", "not a non-negative integer below 2^64"},
      {"{" + entry("a", "F64", "4611686018427387904", "0,16") + "}", "need more than 2^64 bytes"},
      {"{" + entry("a", "F32", "4", "0,16") + "," + entry("a", "F32", "4", "0,16") + "}",
       "'a' appears twice"},
      {R"({"a":{"dtype":"F32","shape":[4]}})", "lacks one of dtype, shape, data_offsets"},
      {R"({"a":[1,2]})", "tensor 'a' is not an object"},
      {R"({"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
       "'k' is not a string"},
      {R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]})", "malformed JSON"},
      {R"({"a":[[[[[[[[[[1]]]]]]]]]]})", "nested deeper than 8 levels"},
      // Zero bytes, but strides of 4 * 2^62 elements would overflow int64.
      {"{" + entry("a", "U8", "0,4611686018427387904,4", "0,0") + "," + entry("b", "F32", "4", "0,16") + "}",
       "tensor 'a': shape too large"},
      {"{" + entry("a", "F32", "18446744073709551615", "0,16") + "}", "tensor 'a': shape too large"},
      {"{" + entry("a", "F32", rank65, "0,4") + "}", "tensor 'a': more than 64 dimensions"},
      {R"({"a":{"dtype":"F32","dtype":"I32","shape":[4],"data_offsets":[0,16]}})", "'dtype' appears twice"},
  };
  for (const auto& [header, message] : cases) {
    INFO(header);
    CHECK_THROWS_WITH(io::parse_safetensors_header(header, data.size()), Contains(message));
    const auto path = write_temp("bad.safetensors", safetensors_bytes(header, data));
    CHECK_THROWS_WITH(io::TorchFile(path), Contains(path) && Contains(message));
    std::filesystem::remove(path);
  }
  // One prefix, however the message was built.
  try {
    io::parse_safetensors_header("{" + entry("a", "F32", "18446744073709551615", "0,16") + "}", data.size());
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "safetensors header: tensor 'a': shape too large");
  }
  // A header over the format's 100 MB limit is named as such, not read.
  {
    std::string big = safetensors_bytes(std::string(8, ' '), "");
    big[3] = 0x10;  // 0x10000000 + 8 bytes
    big[8] = '{';
    const auto path = write_temp("huge_header.safetensors", big);
    CHECK_THROWS_WITH(io::TorchFile(path),
                      Contains("safetensors header claims 268435464 bytes, over the format's limit"));
    std::filesystem::remove(path);
  }
  // A length prefix past the end of the file.
  std::string truncated = safetensors_bytes("{" + entry("a", "F32", "4", "0,16") + "}", data);
  truncated.resize(40);
  const auto path = write_temp("truncated.safetensors", truncated);
  CHECK_THROWS_WITH(io::TorchFile(path), Contains("safetensors header claims") && Contains("truncated"));
  std::filesystem::remove(path);
}
