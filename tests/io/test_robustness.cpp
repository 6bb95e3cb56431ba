// Malformed input to the pickle decoder, the zip reader and torch.load-style
// reading: every case must end in a clear exception, never a crash, a hang or
// a huge allocation. (The libFuzzer targets in tests/fuzz explore further.)
#include "hornet/io/pickle.h"
#include "hornet/io/torch_file.h"
#include "hornet/io/zip.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace hornet;
using namespace hornet::io;
using Catch::Matchers::Contains;
using namespace std::string_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string fixture(const std::string& name) { return test::fixture_dir() + "/checkpoints/" + name + ".pth"; }

std::string le(uint64_t v, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  return out;
}

// Opens `path` and loads every tensor; returns the error text, or "" if it loaded.
std::string try_load(const std::string& path) {
  try {
    TorchFile file(path);
    file.load_all();
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

std::unique_ptr<py::Document> decode_bytes(const std::string& bytes,
                                           size_t max_values = py::Document::kDefaultMaxValues) {
  auto doc = std::make_unique<py::Document>(max_values);
  py::decode(bytes, *doc);
  return doc;
}

}  // namespace

TEST_CASE("robustness: truncated torch files fail cleanly at every length", "[io][robustness]") {
  const auto dir = test::temp_dir("truncated");
  for (const char* name : {"objects_zip_p2", "objects_legacy_p2", "objects_legacy_p4"}) {
    const std::string bytes = slurp(fixture(name));
    REQUIRE(bytes.size() > 1000);
    int failures = 0;
    for (size_t len = 0; len < bytes.size(); len += (len < 200 ? 1 : 37)) {
      const auto path = dir + "/t.pth";
      spit(path, bytes.substr(0, len));
      const auto error = try_load(path);
      INFO(name << " truncated to " << len << " bytes");
      CHECK_FALSE(error.empty());
      CHECK_THAT(error, Contains("t.pth"));
      failures += error.empty() ? 0 : 1;
    }
    CHECK(failures > 50);
  }
}

TEST_CASE("robustness: not a torch file", "[io][robustness]") {
  const auto dir = test::temp_dir("magic");
  spit(dir + "/text.pth", "hello, this is not a checkpoint\n");
  CHECK_THAT(try_load(dir + "/text.pth"), Contains("not a torch.save or safetensors file"));
  spit(dir + "/pickle.pth", std::string("\x80\x02K\x05.", 5));  // pickle of the int 5
  CHECK_THAT(try_load(dir + "/pickle.pth"), Contains("magic number"));
  spit(dir + "/empty.pth", "");
  CHECK_THAT(try_load(dir + "/empty.pth"), Contains("too short"));
  CHECK_THAT(try_load(dir + "/missing.pth"), Contains("missing.pth") && Contains("cannot open"));
  // A zip, but not one torch.save wrote.
  {
    AtomicFileWriter out(dir + "/other.zip");
    ZipWriter zip(out);
    zip.add("readme.txt", "hi", 2);
    zip.finish();
    out.commit();
  }
  CHECK_THAT(try_load(dir + "/other.zip"), Contains("no <archive>/data.pkl"));
}

TEST_CASE("robustness: corrupt zip directories", "[io][robustness]") {
  const auto dir = test::temp_dir("zip");
  const std::string good = slurp(fixture("objects_zip_p2"));
  const size_t eocd = good.rfind(std::string("PK\x05\x06", 4));
  REQUIRE(eocd != std::string::npos);

  auto patched = [&](size_t offset, const std::string& bytes) {
    std::string b = good;
    b.replace(offset, bytes.size(), bytes);
    spit(dir + "/p.pth", b);
    return try_load(dir + "/p.pth");
  };
  CHECK_THAT(patched(eocd + 16, le(0xfffffff0u, 4)), Contains("central directory out of range"));
  CHECK_THAT(patched(eocd + 12, le(0x7fffffffu, 4)), Contains("central directory out of range"));
  CHECK_THAT(patched(eocd + 10, le(0xfff0, 2)), Contains("entry count"));
  const size_t cd = good.find(std::string("PK\x01\x02", 4));
  REQUIRE(cd != std::string::npos);
  CHECK_THAT(patched(cd + 42, le(0x7ffffff0u, 4)), Contains("out of range"));        // local header offset
  CHECK_THAT(patched(cd + 24, le(0x7ffffff0u, 4)), Contains("sizes disagree"));      // uncompressed size
  CHECK_THAT(patched(cd + 10, le(8, 2)), Contains("compressed"));                    // deflate
  CHECK_THAT(patched(cd + 28, le(0xffff, 2)), Contains("overruns"));                 // name length
  const size_t local = good.find(std::string("PK\x03\x04", 4), 4);  // the second entry
  CHECK_THAT(patched(local, "XXXX"), Contains("local header"));
  // A flipped data byte is caught by the CRC of data.pkl.
  const size_t pkl_data = good.find(std::string("\x80\x02", 2));
  REQUIRE(pkl_data != std::string::npos);
  CHECK_THAT(patched(pkl_data + 1, "\x03"), Contains("CRC mismatch"));
}

TEST_CASE("robustness: entry names that escape the archive are rejected", "[io][robustness]") {
  const auto dir = test::temp_dir("names");
  for (const char* name : {"archive/../evil", "../archive/data.pkl", "/abs/data.pkl", "a/..", "a\\..\\b"}) {
    INFO(name);
    {
      AtomicFileWriter out(dir + "/n.zip");
      ZipWriter zip(out);
      zip.add(name, "x", 1);
      zip.finish();
      out.commit();
    }
    CHECK_THAT(try_load(dir + "/n.zip"), Contains("unsafe entry name"));
  }
}

TEST_CASE("robustness: huge claimed sizes allocate nothing", "[io][robustness]") {
  // BINUNICODE8 / BINBYTES8 / LONG4 claiming far more than the input holds.
  const std::string proto = "\x80\x04";
  for (const std::string& body : {std::string("\x8d") + le(uint64_t{1} << 62, 8) + "abc",
                                  std::string("\x8e") + le(uint64_t{1} << 62, 8),
                                  std::string("\x8b") + le(0x7fffffff, 4) + "xx",
                                  std::string("X") + le(0xffffffff, 4)}) {
    REQUIRE_THROWS_AS(decode_bytes(proto + body), py::TruncatedPickle);
  }
  // A legacy file whose storage claims 2^60 elements.
  const auto dir = test::temp_dir("huge");
  std::string legacy = slurp(fixture("objects_legacy_p2"));
  // The float32 arange(24) storage: an int64 count of 24, then 0.0f, 1.0f, ...
  const std::string storage_start = le(24, 8) + std::string("\x00\x00\x00\x00\x00\x00\x80\x3f", 8);
  const size_t count_at = legacy.find(storage_start);
  REQUIRE(count_at != std::string::npos);
  legacy.replace(count_at, 8, le(uint64_t{1} << 60, 8));
  spit(dir + "/l.pth", legacy);
  CHECK_THAT(try_load(dir + "/l.pth"), Contains("claims") && Contains("more than the file holds"));

  // A tensor view reaching past its storage.
  const std::string bad_view = std::string("\x80\x02") + "ctorch._utils\n_rebuild_tensor_v2\n(" +
                               "(X" + le(7, 4) + "storagectorch\nFloatStorage\nX" + le(1, 4) + "0X" + le(3, 4) +
                               "cpuK\x04tQK\x00J"s + le(1000000, 4) + "\x85K\x01\x85\x89}tR.";
  std::string zip_path = dir + "/view.pth";
  {
    AtomicFileWriter out(zip_path);
    ZipWriter zip(out);
    zip.add("archive/data.pkl", bad_view.data(), bad_view.size());
    const std::string data(16, '\0');
    zip.add("archive/data/0", data.data(), data.size());
    zip.finish();
    out.commit();
  }
  CHECK_THAT(try_load(zip_path), Contains("extends past its storage"));
}

TEST_CASE("robustness: tensors rebuilt over tensors and impossible storage sizes", "[io][robustness]") {
  const auto dir = test::temp_dir("rebuild");
  const auto storage = [](const std::string& numel) {
    return "((X"s + le(7, 4) + "storagectorch\nFloatStorage\nX" + le(1, 4) + "0X" + le(3, 4) + "cpu" + numel + "tQ";
  };
  const std::string rebuild = "ctorch._utils\n_rebuild_tensor_v2\n";
  const auto write_zip = [&](const std::string& name, const std::string& pickle, size_t data_bytes) {
    AtomicFileWriter out(dir + "/" + name);
    ZipWriter zip(out);
    zip.add("archive/data.pkl", pickle.data(), pickle.size());
    const std::string data(data_bytes, '\0');
    zip.add("archive/data/0", data.data(), data.size());
    zip.finish();
    out.commit();
    return dir + "/" + name;
  };
  // A 0-d view used as the storage of another view.
  const std::string inner = rebuild + storage("K\x04") + "K\x00))tR"s;
  const std::string nested = "\x80\x02"s + rebuild + "(" + inner + "K\x00K\x01\x85K\x01\x85tR."s;
  CHECK_THAT(try_load(write_zip("nested.pth", nested, 16)), Contains("expected a storage"));
  // 2^62 + 1 floats would overflow the byte count.
  const std::string huge = "\x80\x02"s + rebuild + storage("\x8a\x08"s + le((uint64_t{1} << 62) + 1, 8)) +
                           "K\x00M"s + le(1000, 2) + "\x85K\x01\x85tR.";
  CHECK_THAT(try_load(write_zip("huge.pth", huge, 4)), Contains("impossible"));
}

TEST_CASE("robustness: copies of a memoised list and huge integers are bounded", "[io][robustness]") {
  // set(L) called 10 times on a 500-element list: 5000 copied slots > 4 x 1000.
  const char zero = '\0';
  std::string amp = "\x80\x02Nq"s + zero + "0]q\x01(";  // None -> memo 0; [ ... ] -> memo 1
  for (int k = 0; k < 500; ++k) amp += "h"s + zero;
  amp += "e0cbuiltins\nset\nq\x02" "0";
  for (int k = 0; k < 10; ++k) amp += "h\x02h\x01\x85R0"s;
  amp += "N.";
  CHECK_THROWS_WITH(decode_bytes(amp, 1000), Contains("copies more than 4000"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02\x8b"s + le(5000, 4) + std::string(5000, '\x01') + "."),
                    Contains("5000 bytes is too large"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02L" + std::string(20000, '7') + "L\n."), Contains("20000 digits"));
}

TEST_CASE("robustness: memo references, stack misuse and unknown opcodes", "[io][robustness]") {
  CHECK_THROWS_WITH(decode_bytes("\x80\x02h\x05."), Contains("memo reference 5 is out of range"));
  CHECK_THROWS_WITH(decode_bytes(std::string("\x80\x02j") + le(0xfffffff0u, 4) + "."), Contains("out of range"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02" "a."), Contains("stack underflow"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02t."), Contains("no MARK"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02NN."), Contains("STOP with 2 values"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02\xff."), Contains("unknown opcode"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x07N."), Contains("unsupported pickle protocol 7"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02K\x01K\x02R."), Contains("call of a non-class"));
  CHECK_THROWS_WITH(decode_bytes("\x80\x02NQ."), Contains("persistent id"));
  CHECK_THROWS_AS(decode_bytes("\x80\x02]"), py::TruncatedPickle);
  CHECK_THROWS_WITH(decode_bytes(std::string(300, ']') + ".", 100), Contains("more than 100 objects"));
}

TEST_CASE("robustness: deep and cyclic structures", "[io][robustness]") {
  // 200,000 nested lists: decoding is iterative; printing and saving stop at a depth limit.
  const int depth = 200000;
  std::string deep = "\x80\x02";
  deep += std::string(depth, ']');
  deep += std::string(depth - 1, 'a');
  deep += '.';
  auto doc = decode_bytes(deep);
  CHECK_THAT(py::describe(*doc->root), Contains("<nested too deeply>"));
  const auto dir = test::temp_dir("deep");
  CHECK_THROWS_WITH(save(dir + "/deep.pth", *doc->root), Contains("nested more than"));
  CHECK_FALSE(std::filesystem::exists(dir + "/deep.pth"));

  // A list that contains itself: EMPTY_LIST, BINPUT 0, BINGET 0, APPEND.
  auto cyclic = decode_bytes("\x80\x02]q\x00h\x00" "a."s);
  REQUIRE(cyclic->root->items.size() == 1);
  CHECK(cyclic->root->items[0] == cyclic->root);
  CHECK_THAT(py::describe(*cyclic->root), Contains("<cycle>"));
  CHECK_THROWS_WITH(save(dir + "/cycle.pth", *cyclic->root), Contains("nested more than"));

  // Sharing through the memo: [x, x] with x = [y, y] ... 40 levels down is
  // 2^40 leaves to print from 364 bytes; the description stops at its budget.
  std::string shared = "\x80\x02N";
  for (int k = 0; k < 40; ++k) shared += "q\x00" "0(h\x00h\x00l"s;  // BINPUT 0, POP, MARK, BINGET 0 twice, LIST
  shared += '.';
  auto dag = decode_bytes(shared);
  REQUIRE(dag->root->items.size() == 2);
  CHECK(dag->root->items[0] == dag->root->items[1]);
  const std::string dag_text = py::describe(*dag->root);
  CHECK(dag_text.size() < (size_t{1} << 20) + 4096);
  CHECK_THAT(dag_text, Contains("description cut at 1048576 bytes"));

  // A mark stack a million deep fails as truncated input, not a crash.
  CHECK_THROWS_AS(decode_bytes("\x80\x02" + std::string(1000000, '(')), py::TruncatedPickle);
}

TEST_CASE("robustness: a flipped byte inside a tensor record is caught by its CRC-32", "[io][robustness][crc]") {
  const auto dir = test::temp_dir("crc");
  const std::string good = dir + "/good.pth", bad = dir + "/bad.pth";
  const std::string bytes = slurp(fixture("tiny_gf_official"));
  spit(good, bytes);
  // The largest tensor record, flipped in its middle.
  ZipReader zip(std::make_shared<RandomAccessFile>(good));
  const ZipEntry* record = nullptr;
  for (const auto& e : zip.entries()) {
    if (e.name.find("/data/") != std::string::npos && (!record || e.size > record->size)) record = &e;
  }
  REQUIRE(record);
  REQUIRE(record->size > 16);
  std::string flipped = bytes;
  flipped[record->data_offset + record->size / 2] ^= 0x10;
  spit(bad, flipped);

  // Every way of reading tensors checks: whole storages, straight into a
  // destination, and views that cover only part of a record.
  const auto load_each_into = [](const std::string& path) -> std::string {
    try {
      TorchFile file(path);
      for (auto& v : file.document().values()) {
        if (v.kind != py::Kind::kTensor || !v.ref) continue;
        auto dst = torch::empty(v.ref->sizes, torch::TensorOptions().dtype(v.ref->dtype));
        file.load_into(v, dst);
        (void)file.load(*v.ref);
      }
      return "";
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  };
  CHECK(try_load(good).empty());
  CHECK(load_each_into(good).empty());
  const std::string expected = "record '" + record->name + "' fails its CRC-32 check";
  CHECK_THAT(try_load(bad), Contains(expected) && Contains("bad.pth"));
  CHECK_THAT(load_each_into(bad), Contains(expected));
}
