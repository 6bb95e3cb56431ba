// torch.save files written by Python (zip and legacy formats, pickle protocols
// 2, 4, 5) read without Python, and files hornet writes read by Python.
#include "hornet/io/torch_file.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <fstream>

using namespace hornet;
using namespace hornet::io;
using py::Kind;
using Catch::Matchers::Contains;

namespace {

const py::Value& item(const py::Value& dict, const std::string& key) {
  const py::Value* v = dict.get(key);
  if (!v) FAIL("missing key '" << key << "' in " << dict.type_name());
  return *v;
}

// arange(24) as (2, 3, 4); complex dtypes get the imaginary part -a/2 - 1, so
// that a reader dropping or swapping it is caught.
torch::Tensor arange_as(torch::ScalarType dtype) {
  const auto a = torch::arange(24).reshape({2, 3, 4});
  if (dtype == torch::kComplexFloat || dtype == torch::kComplexDouble) {
    const auto real = a.to(dtype == torch::kComplexFloat ? torch::kFloat32 : torch::kFloat64);
    return torch::complex(real, -0.5 * real - 1);
  }
  return a.to(dtype);
}

std::string checkpoint(const std::string& name) { return test::fixture_dir() + "/checkpoints/" + name + ".pth"; }

void check_objects(const TorchFile& file) {
  const auto& root = file.root();
  REQUIRE(root.kind == Kind::kDict);

  // Every dtype, values rebuilt here by hand.
  const auto& tensors = item(root, "tensors");
  const std::pair<const char*, torch::ScalarType> dtypes[] = {
      {"float32", torch::kFloat32}, {"float64", torch::kFloat64},   {"float16", torch::kFloat16},
      {"bfloat16", torch::kBFloat16}, {"int8", torch::kInt8},       {"int16", torch::kInt16},
      {"int32", torch::kInt32},     {"int64", torch::kInt64},       {"uint8", torch::kUInt8},
      {"complex64", torch::kComplexFloat}, {"complex128", torch::kComplexDouble}};
  for (const auto& [name, dtype] : dtypes) {
    INFO(name);
    const auto t = file.load(item(tensors, name));
    CHECK(t.scalar_type() == dtype);
    CHECK(torch::equal(t, arange_as(dtype)));
  }
  CHECK(torch::equal(file.load(item(tensors, "bool")), torch::arange(24).reshape({2, 3, 4}).remainder(3).eq(0)));

  // Views keep their offsets and strides, and share their base's storage key.
  const auto& views = item(root, "views");
  const auto base = arange_as(torch::kFloat32);
  CHECK(torch::equal(file.load(item(views, "base")), base));
  const auto slice = file.load(item(views, "slice"));
  CHECK(torch::equal(slice, base.slice(1, 1, 3)));
  CHECK(slice.strides() == base.slice(1, 1, 3).strides());
  CHECK(torch::equal(file.load(item(views, "transposed")), base.transpose(0, 2)));
  CHECK(torch::equal(file.load(item(views, "row")), base[1][2]));
  CHECK(item(views, "slice").ref->storage_key == item(views, "base").ref->storage_key);
  CHECK(item(views, "row").ref->offset == 20);
  const auto scalar = file.load(item(views, "scalar"));
  CHECK(scalar.dim() == 0);
  CHECK(scalar.item<float>() == 7.5f);
  CHECK(file.load(item(views, "empty")).sizes() == torch::IntArrayRef({0, 3}));
  CHECK(torch::equal(file.load(item(root, "param")), torch::ones({2, 2})));

  // A module's state_dict: an OrderedDict carrying _metadata.
  const auto& sd = item(root, "state_dict");
  REQUIRE(sd.kind == Kind::kDict);
  CHECK(sd.entries.size() == 4);
  CHECK(torch::equal(file.load(item(sd, "0.weight")), torch::arange(6).reshape({2, 3}).to(torch::kFloat32)));
  CHECK(torch::equal(file.load(item(sd, "1.bias")), torch::tensor({3.0f, 4.0f})));
  REQUIRE(sd.state);
  CHECK(sd.state->get("_metadata") != nullptr);

  // mmengine meta.
  const auto& meta = item(root, "meta");
  CHECK(item(meta, "epoch").i == 12);
  CHECK(item(meta, "iter").i == 34567);
  CHECK(item(meta, "experiment_name").s == "hornet-tiny_8xb128_in1k");
  CHECK(item(meta, "cfg").s == "model = dict(type='ImageClassifier')\n");
  const auto& classes = item(item(meta, "dataset_meta"), "classes");
  REQUIRE(classes.kind == Kind::kTuple);
  REQUIRE(classes.items.size() == 2);
  CHECK(classes.items[1]->s == "dog");

  // The official repository's argparse.Namespace: opaque, but walkable.
  const auto& args = item(root, "args");
  REQUIRE(args.kind == Kind::kObject);
  const py::Value* args_state = args.state;
  if (args.s == "copyreg._reconstructor") {
    REQUIRE(args.items.size() >= 1);
    CHECK(args.items[0]->s == "argparse.Namespace");
  } else {
    CHECK(args.s == "argparse.Namespace");
  }
  REQUIRE(args_state);
  CHECK(item(*args_state, "model").s == "hornet_tiny_gf");
  CHECK(item(*args_state, "lr").f == 4e-3);
  CHECK(item(*args_state, "model_ema").b);

  // mmengine message hub: a user class holding numpy arrays and scalars.
  const auto& buffer = item(item(item(root, "message_hub"), "log_scalars"), "train/loss");
  REQUIRE(buffer.kind == Kind::kObject);
  REQUIRE(buffer.state);
  const auto& history = item(*buffer.state, "_log_history");
  CHECK(history.kind == Kind::kObject);
  CHECK(history.s.find("numpy") == 0);
  CHECK(item(*buffer.state, "max_length").i == 1000000);
  const std::string text = py::describe(root);
  CHECK_THAT(text, Contains("mmengine.logging.history_buffer.HistoryBuffer") && Contains("numpy"));

  const auto& s = item(root, "scalars");
  CHECK(item(s, "big").big_int);
  CHECK(item(s, "big").s == "1180591620717411303424");
  CHECK(item(s, "neg_big").s == "-1180591620717411303424");
  CHECK(item(s, "int64_max").i == std::numeric_limits<int64_t>::max());
  CHECK(item(s, "negative").i == -5);
  CHECK(item(s, "float").f == 1.5);
  CHECK(item(s, "text").s == "h\xc3\xa9llo");
  CHECK(item(s, "bytes").kind == Kind::kBytes);
  CHECK(item(s, "bytes").s == std::string("\x00\xff", 2));
  CHECK(item(s, "none").kind == Kind::kNone);
  CHECK(item(s, "true").b);
  CHECK(item(s, "tuple").items.size() == 2);
  CHECK(item(s, "set").kind == Kind::kSet);
  CHECK(item(s, "set").items.at(0)->i == 3);
  CHECK(item(s, "frozenset").items.at(0)->i == 4);
  CHECK(item(s, "ordered").entries.at(0).first->s == "z");

  const py::Value* deep = &item(root, "nested");
  for (int d = 0; d < 6; ++d) {
    REQUIRE(deep->kind == Kind::kList);
    deep = deep->items.at(0);
  }
  CHECK(deep->s == "deep");
}

}  // namespace

TEST_CASE("torch.load: zip files, pickle protocols 2, 4 and 5", "[io][torch_file]") {
  for (const char* name : {"objects_zip_p2", "objects_zip_p4", "objects_zip_p5"}) {
    INFO(name);
    TorchFile file(checkpoint(name));
    CHECK(file.format() == TorchFile::Format::kZip);
    check_objects(file);
  }
}

TEST_CASE("torch.load: legacy (non-zip) files, pickle protocols 2 and 4", "[io][torch_file]") {
  for (const char* name : {"objects_legacy_p2", "objects_legacy_p4"}) {
    INFO(name);
    TorchFile file(checkpoint(name));
    CHECK(file.format() == TorchFile::Format::kLegacy);
    check_objects(file);
  }
}

TEST_CASE("TorchFile::map: tensors over the file's pages equal the read ones, and writes stay in the process",
          "[io][torch_file]") {
  for (const char* name : {"objects_zip_p2", "objects_legacy_p2"}) {
    INFO(name);
    TorchFile file(checkpoint(name));
    size_t tensors = 0, mapped = 0, bytewise = 0;
    for (auto& value : file.document().values()) {
      if (value.kind != Kind::kTensor || !value.ref || value.ref->numel() == 0) continue;
      ++tensors;
      const auto m = file.map(value);
      if (c10::elementSize(value.ref->dtype) == 1) ++bytewise;
      if (!m.defined()) continue;
      ++mapped;
      CHECK(m.scalar_type() == value.ref->dtype);
      CHECK(torch::equal(m, file.load(value)));
    }
    // Every dtype's values, rebuilt here by hand (where the file lets them map).
    const auto& by_dtype = item(file.root(), "tensors");
    for (const auto& [key, value] : by_dtype.entries) {
      const auto m = file.map(*value);
      if (!m.defined()) continue;
      INFO(key->s);
      CHECK(torch::equal(m, key->s == "bool" ? torch::arange(24).reshape({2, 3, 4}).remainder(3).eq(0)
                                              : arange_as(m.scalar_type())));
    }
    INFO(mapped << " of " << tensors << " mapped");
    // torch.save puts zip records on 64-byte boundaries; legacy storages lie at
    // any byte, so only single-byte types are sure to be aligned there.
    if (file.format() == TorchFile::Format::kZip) {
      CHECK(mapped == tensors);
    } else {
      CHECK(mapped >= bytewise);
      CHECK(bytewise > 0);
    }
  }

  // A write lands in this process's copy of the page, not in the file, and the
  // mapping outlives the TorchFile that made it.
  const auto dir = test::temp_dir("map");
  const std::string copy = dir + "/objects.pth";
  {
    std::ifstream in(checkpoint("objects_zip_p2"), std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  torch::Tensor mapped;
  {
    TorchFile file(copy);
    mapped = file.map(item(item(file.root(), "tensors"), "float32"));
  }
  REQUIRE(mapped.defined());
  CHECK(torch::equal(mapped, arange_as(torch::kFloat32)));
  mapped.fill_(7);
  CHECK(torch::equal(mapped, torch::full({2, 3, 4}, 7.0f)));
  TorchFile again(copy);
  CHECK(torch::equal(again.load(item(item(again.root(), "tensors"), "float32")), arange_as(torch::kFloat32)));
}

TEST_CASE("torch.save: Python reads what hornet writes", "[io][torch_file]") {
  const auto dir = test::temp_dir("save");
  py::Document doc;
  auto* root = doc.make_dict();
  auto* tensors = doc.make_dict();
  const std::pair<const char*, torch::ScalarType> dtypes[] = {
      {"float32", torch::kFloat32}, {"float64", torch::kFloat64},   {"float16", torch::kFloat16},
      {"bfloat16", torch::kBFloat16}, {"int8", torch::kInt8},       {"int16", torch::kInt16},
      {"int32", torch::kInt32},     {"int64", torch::kInt64},       {"uint8", torch::kUInt8},
      {"complex64", torch::kComplexFloat}, {"complex128", torch::kComplexDouble}};
  for (const auto& [name, dtype] : dtypes) doc.set(tensors, name, doc.make_tensor(arange_as(dtype)));
  doc.set(tensors, "bool", doc.make_tensor(torch::arange(24).reshape({2, 3, 4}).remainder(3).eq(0)));
  doc.set(root, "tensors", tensors);
  const auto base = arange_as(torch::kFloat32);
  doc.set(root, "base", doc.make_tensor(base));
  doc.set(root, "view", doc.make_tensor(base.slice(1, 1, 3).transpose(1, 2)));
  auto* scalars = doc.make_dict();
  doc.set(scalars, "int", doc.make_int(-7));
  auto* big = doc.make(Kind::kInt);
  big->big_int = true;
  big->s = "1180591620717411303424";  // 2**70
  doc.set(scalars, "big", big);
  auto* neg_big = doc.make(Kind::kInt);
  neg_big->big_int = true;
  neg_big->s = "-1208925819614629174706176";  // -(2**80)
  doc.set(scalars, "neg_big", neg_big);
  doc.set(scalars, "float", doc.make_float(0.1));
  doc.set(scalars, "true", doc.make_bool(true));
  doc.set(scalars, "none", doc.make_none());
  doc.set(scalars, "text", doc.make_str("gr\xc3\xbc\xc3\x9f" "e"));
  doc.set(scalars, "bytes", doc.make_bytes(std::string("\x00\x80\xff", 3)));
  doc.set(root, "scalars", scalars);
  auto* inner = doc.make_dict();
  doc.set(inner, "k", doc.make_list({doc.make_float(4.5)}));
  doc.set(root, "nested", doc.make_list({doc.make_tuple({doc.make_int(1), doc.make_int(2), doc.make_int(3)}),
                                         doc.make_list(), inner, doc.make_tuple()}));
  auto* set = doc.make(Kind::kSet);
  set->items.push_back(doc.make_int(5));
  doc.set(root, "set", set);

  SaveOptions plain;
  save(dir + "/written.pth", *root, plain);
  CHECK(test::run_python(std::string(HORNET_SOURCE_DIR) + "/tests/reference/check_saved.py written " + dir +
                         "/written.pth") == 0);
  SaveOptions zip64;
  zip64.force_zip64 = true;
  zip64.archive_name = "written64";
  save(dir + "/written64.pth", *root, zip64);
  CHECK(test::run_python(std::string(HORNET_SOURCE_DIR) + "/tests/reference/check_saved.py written " + dir +
                         "/written64.pth") == 0);
  // hornet reads back what it wrote, zip64 records included.
  TorchFile back(dir + "/written64.pth");
  CHECK(torch::equal(back.load(item(back.root(), "view")), base.slice(1, 1, 3).transpose(1, 2)));
}

TEST_CASE("torch.save: a Python file loaded and saved again is the same file to Python", "[io][torch_file]") {
  const auto dir = test::temp_dir("resave");
  for (const char* name : {"objects_zip_p2", "objects_zip_p5", "objects_legacy_p2"}) {
    INFO(name);
    TorchFile file(checkpoint(name));
    file.load_all();
    const auto copy = dir + "/" + name + ".pth";
    save(copy, file.root());
    CHECK(test::run_python(std::string(HORNET_SOURCE_DIR) + "/tests/reference/check_saved.py same " +
                           checkpoint(name) + " " + copy) == 0);
  }
}
