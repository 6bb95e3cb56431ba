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

const py::Value& at(const py::Value& dict, const std::string& key) {
  const py::Value* v = dict.get(key);
  if (!v) FAIL("missing key '" << key << "' in " << dict.type_name());
  return *v;
}

torch::Tensor arange_as(torch::ScalarType dtype) { return torch::arange(24).reshape({2, 3, 4}).to(dtype); }

std::string checkpoint(const std::string& name) { return test::fixture_dir() + "/checkpoints/" + name + ".pth"; }

void check_objects(const TorchFile& file) {
  const auto& root = file.root();
  REQUIRE(root.kind == Kind::kDict);

  // Every dtype, values rebuilt here by hand.
  const auto& tensors = at(root, "tensors");
  const std::pair<const char*, torch::ScalarType> dtypes[] = {
      {"float32", torch::kFloat32}, {"float64", torch::kFloat64},   {"float16", torch::kFloat16},
      {"bfloat16", torch::kBFloat16}, {"int8", torch::kInt8},       {"int16", torch::kInt16},
      {"int32", torch::kInt32},     {"int64", torch::kInt64},       {"uint8", torch::kUInt8},
      {"complex64", torch::kComplexFloat}};
  for (const auto& [name, dtype] : dtypes) {
    INFO(name);
    const auto t = file.load(at(tensors, name));
    CHECK(t.scalar_type() == dtype);
    CHECK(torch::equal(t, arange_as(dtype)));
  }
  CHECK(torch::equal(file.load(at(tensors, "bool")), torch::arange(24).reshape({2, 3, 4}).remainder(3).eq(0)));

  // Views keep their offsets and strides, and share their base's storage key.
  const auto& views = at(root, "views");
  const auto base = arange_as(torch::kFloat32);
  CHECK(torch::equal(file.load(at(views, "base")), base));
  const auto slice = file.load(at(views, "slice"));
  CHECK(torch::equal(slice, base.slice(1, 1, 3)));
  CHECK(slice.strides() == base.slice(1, 1, 3).strides());
  CHECK(torch::equal(file.load(at(views, "transposed")), base.transpose(0, 2)));
  CHECK(torch::equal(file.load(at(views, "row")), base[1][2]));
  CHECK(at(views, "slice").ref->storage_key == at(views, "base").ref->storage_key);
  CHECK(at(views, "row").ref->offset == 20);
  const auto scalar = file.load(at(views, "scalar"));
  CHECK(scalar.dim() == 0);
  CHECK(scalar.item<float>() == 7.5f);
  CHECK(file.load(at(views, "empty")).sizes() == torch::IntArrayRef({0, 3}));
  CHECK(torch::equal(file.load(at(root, "param")), torch::ones({2, 2})));

  // A module's state_dict: an OrderedDict carrying _metadata.
  const auto& sd = at(root, "state_dict");
  REQUIRE(sd.kind == Kind::kDict);
  CHECK(sd.entries.size() == 4);
  CHECK(torch::equal(file.load(at(sd, "0.weight")), torch::arange(6).reshape({2, 3}).to(torch::kFloat32)));
  CHECK(torch::equal(file.load(at(sd, "1.bias")), torch::tensor({3.0f, 4.0f})));
  REQUIRE(sd.state);
  CHECK(sd.state->get("_metadata") != nullptr);

  // mmengine meta.
  const auto& meta = at(root, "meta");
  CHECK(at(meta, "epoch").i == 12);
  CHECK(at(meta, "iter").i == 34567);
  CHECK(at(meta, "experiment_name").s == "hornet-tiny_8xb128_in1k");
  CHECK(at(meta, "cfg").s == "model = dict(type='ImageClassifier')\n");
  const auto& classes = at(at(meta, "dataset_meta"), "classes");
  REQUIRE(classes.kind == Kind::kTuple);
  REQUIRE(classes.items.size() == 2);
  CHECK(classes.items[1]->s == "dog");

  // The official repository's argparse.Namespace: opaque, but walkable.
  const auto& args = at(root, "args");
  REQUIRE(args.kind == Kind::kObject);
  const py::Value* args_state = args.state;
  if (args.s == "copyreg._reconstructor") {
    REQUIRE(args.items.size() >= 1);
    CHECK(args.items[0]->s == "argparse.Namespace");
  } else {
    CHECK(args.s == "argparse.Namespace");
  }
  REQUIRE(args_state);
  CHECK(at(*args_state, "model").s == "hornet_tiny_gf");
  CHECK(at(*args_state, "lr").f == 4e-3);
  CHECK(at(*args_state, "model_ema").b);

  // mmengine message hub: a user class holding numpy arrays and scalars.
  const auto& buffer = at(at(at(root, "message_hub"), "log_scalars"), "train/loss");
  REQUIRE(buffer.kind == Kind::kObject);
  REQUIRE(buffer.state);
  const auto& history = at(*buffer.state, "_log_history");
  CHECK(history.kind == Kind::kObject);
  CHECK(history.s.find("numpy") == 0);
  CHECK(at(*buffer.state, "max_length").i == 1000000);
  const std::string text = py::describe(root);
  CHECK_THAT(text, Contains("mmengine.logging.history_buffer.HistoryBuffer") && Contains("numpy"));

  const auto& s = at(root, "scalars");
  CHECK(at(s, "big").big_int);
  CHECK(at(s, "big").s == "1180591620717411303424");
  CHECK(at(s, "neg_big").s == "-1180591620717411303424");
  CHECK(at(s, "int64_max").i == std::numeric_limits<int64_t>::max());
  CHECK(at(s, "negative").i == -5);
  CHECK(at(s, "float").f == 1.5);
  CHECK(at(s, "text").s == "h\xc3\xa9llo");
  CHECK(at(s, "bytes").kind == Kind::kBytes);
  CHECK(at(s, "bytes").s == std::string("\x00\xff", 2));
  CHECK(at(s, "none").kind == Kind::kNone);
  CHECK(at(s, "true").b);
  CHECK(at(s, "tuple").items.size() == 2);
  CHECK(at(s, "set").kind == Kind::kSet);
  CHECK(at(s, "set").items.at(0)->i == 3);
  CHECK(at(s, "frozenset").items.at(0)->i == 4);
  CHECK(at(s, "ordered").entries.at(0).first->s == "z");

  const py::Value* deep = &at(root, "nested");
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
