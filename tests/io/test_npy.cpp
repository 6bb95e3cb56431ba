// .npy reading against files NumPy wrote, writing checked by NumPy, and errors.
#include "hornet/io/npy.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace hornet;
using Catch::Matchers::Contains;

namespace {
const torch::Tensor kArange = torch::arange(24, torch::kFloat64).reshape({2, 3, 4});

std::string npy(const std::string& name) { return test::fixture_dir() + "/npy/" + name + ".npy"; }

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

TEST_CASE("npy: every dtype and byte order NumPy writes", "[io][npy]") {
  const std::pair<const char*, torch::ScalarType> cases[] = {
      {"arange_f2_le", torch::kFloat16}, {"arange_f4_le", torch::kFloat32},
      {"arange_f8_le", torch::kFloat64}, {"arange_i1_le", torch::kInt8},
      {"arange_i2_le", torch::kInt16},   {"arange_i4_le", torch::kInt32},
      {"arange_i8_le", torch::kInt64},   {"arange_u1_le", torch::kUInt8},
      {"arange_f4_be", torch::kFloat32}, {"arange_i8_be", torch::kInt64},
      {"arange_f4_fortran", torch::kFloat32}, {"arange_f4_v2", torch::kFloat32},
  };
  for (const auto& [name, dtype] : cases) {
    INFO(name);
    const auto t = io::read_npy(npy(name));
    CHECK(t.scalar_type() == dtype);
    CHECK(t.sizes() == kArange.sizes());
    CHECK(t.is_contiguous());
    CHECK(torch::equal(t.to(torch::kFloat64), kArange));
  }
  for (const char* name : {"arange_c8_le", "arange_c16_le", "arange_c8_be"}) {
    INFO(name);
    const auto t = io::read_npy(npy(name));
    CHECK(t.is_complex());
    CHECK(torch::equal(torch::real(t).to(torch::kFloat64), kArange));
    CHECK(torch::equal(torch::imag(t), torch::zeros_like(torch::imag(t))));
  }
  const auto b = io::read_npy(npy("bool"));
  CHECK(b.scalar_type() == torch::kBool);
  CHECK(torch::equal(b, kArange.remainder(3).eq(0)));
  const auto s = io::read_npy(npy("scalar_f8"));
  CHECK(s.dim() == 0);
  CHECK(s.item<double>() == 2.5);
  CHECK(io::read_npy(npy("empty_f4")).sizes() == torch::IntArrayRef({0, 5}));
  CHECK(torch::equal(io::read_npy(npy("vector_i8")), torch::arange(7, torch::kInt64)));
}

TEST_CASE("npy: files hornet writes load in NumPy with equal values", "[io][npy]") {
  const auto dir = test::temp_dir("npy");
  io::write_npy(dir + "/f4.npy", kArange.to(torch::kFloat32));
  io::write_npy(dir + "/i8.npy", kArange.to(torch::kInt64));
  io::write_npy(dir + "/u1.npy", kArange.to(torch::kUInt8));
  io::write_npy(dir + "/f2.npy", kArange.to(torch::kFloat16));
  io::write_npy(dir + "/bool.npy", kArange.remainder(3).eq(0));
  io::write_npy(dir + "/vec.npy", torch::arange(7, torch::kFloat64));
  io::write_npy(dir + "/scalar.npy", torch::tensor(2.5, torch::kFloat64));
  io::write_npy(dir + "/view.npy", kArange.to(torch::kFloat32).transpose(0, 2));  // non-contiguous
  const std::string check = R"(
import sys, numpy as np
d = sys.argv[1]
a = np.arange(24).reshape(2, 3, 4)
for name, dt in [('f4', '<f4'), ('i8', '<i8'), ('u1', '|u1'), ('f2', '<f2')]:
    x = np.load(f'{d}/{name}.npy')
    assert x.dtype == np.dtype(dt) and x.shape == (2, 3, 4) and (x == a).all(), name
assert (np.load(f'{d}/bool.npy') == (a % 3 == 0)).all()
assert (np.load(f'{d}/vec.npy') == np.arange(7.0)).all()
s = np.load(f'{d}/scalar.npy'); assert s.shape == () and s == 2.5
v = np.load(f'{d}/view.npy'); assert v.shape == (4, 3, 2) and (v == a.transpose(2, 1, 0)).all()
with open(f'{d}/f4.npy', 'rb') as f:
    f.seek(8); n = int.from_bytes(f.read(2), 'little'); assert (10 + n) % 64 == 0
)";
  write_bytes(dir + "/check.py", check);
  CHECK(test::run_python(dir + "/check.py " + dir) == 0);
  // No temporaries left behind by the atomic writes.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files += e.path().extension() == ".npy";
  CHECK(files == 8);
}

TEST_CASE("npy: bad files give errors naming the file and the problem", "[io][npy][errors]") {
  const auto dir = test::temp_dir("npy-bad");
  io::write_npy(dir + "/good.npy", kArange);
  std::string bytes;
  {
    std::ifstream in(dir + "/good.npy", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/absent.npy"), Contains("absent.npy") && Contains("no such file"));
  REQUIRE_THROWS_WITH(io::read_npy(dir), Contains("is a directory"));

  write_bytes(dir + "/magic.npy", "PK\x03\x04 not numpy at all");
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/magic.npy"), Contains("magic.npy") && Contains("magic"));

  write_bytes(dir + "/truncated.npy", bytes.substr(0, bytes.size() - 9));
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/truncated.npy"), Contains("truncated data"));

  write_bytes(dir + "/short_header.npy", bytes.substr(0, 40));
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/short_header.npy"), Contains("truncated header"));

  auto patch = [&](const std::string& from, const std::string& to) {
    std::string b = bytes;
    const auto pos = b.find(from);
    REQUIRE(pos != std::string::npos);
    b.replace(pos, from.size(), to);
    return b;
  };
  write_bytes(dir + "/dtype.npy", patch("'<f8'", "'<u4'"));
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/dtype.npy"), Contains("unsupported dtype '<u4'"));
  write_bytes(dir + "/huge.npy", patch("(2, 3, 4)", "(9999999999999, 9999999, 4)"));
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/huge.npy"), Contains("too large"));
  write_bytes(dir + "/shape.npy", patch("(2, 3, 4)", "(2, x, 4)"));
  REQUIRE_THROWS_WITH(io::read_npy(dir + "/shape.npy"), Contains("malformed shape"));

  REQUIRE_THROWS_WITH(io::write_npy(dir + "/no/such/dir/x.npy", kArange), Contains("x.npy"));
  CHECK(!std::filesystem::exists(dir + "/no/such/dir/x.npy"));
}
