// hornet-eval's command lines from before its subcommands, respelt: each old
// mode becomes the subcommand doing its job, every other argument kept.
#include "hornet/cli/eval_spelling.h"

#include <catch2/catch.hpp>

using hornet::cli::respell_eval_arguments;
using Args = std::vector<std::string>;

namespace {
const Args kSubcommands{"validate", "predict", "load", "inspect", "summary", "forward", "benchmark", "zoo"};
Args respell(const Args& args) {
  const auto out = respell_eval_arguments(args, kSubcommands);
  REQUIRE(out.has_value());
  return *out;
}
}  // namespace

TEST_CASE("eval spelling: each old mode becomes its subcommand", "[cli]") {
  CHECK(respell({"--zoo"}) == Args{"zoo"});
  CHECK(respell({"--checkpoint", "f.pth", "--inspect"}) == Args{"inspect", "--checkpoint", "f.pth"});
  CHECK(respell({"--summary", "--arch", "tiny", "--threads", "1"}) == Args{"summary", "--arch", "tiny", "--threads", "1"});
  CHECK(respell({"c.yaml", "--summary"}) == Args{"summary", "--config", "c.yaml"});
  CHECK(respell({"--forward", "--arch", "t"}) == Args{"forward", "--arch", "t"});
  CHECK(respell({"--arch", "tiny", "--benchmark-train", "--steps", "2"}) == Args{"benchmark", "--arch", "tiny", "--steps", "2"});
  CHECK(respell({"--arch", "tiny", "--benchmark-eval"}) == Args{"benchmark", "--inference", "--arch", "tiny"});
  CHECK(respell({"c.yaml", "--checkpoint", "f.pth", "--data", "val"}) ==
        Args{"validate", "c.yaml", "--checkpoint", "f.pth", "--data", "val"});
  CHECK(respell({"--arch", "tiny", "--checkpoint", "f.pth", "--mmap", "--input-npy", "x.npy"}) ==
        Args{"load", "--arch", "tiny", "--checkpoint", "f.pth", "--mmap", "--input-npy", "x.npy"});
}

TEST_CASE("eval spelling: --predict's images become the subcommand's, wherever they stood", "[cli]") {
  // The config given first, the images in the middle, options after them.
  CHECK(respell({"c.yaml", "--checkpoint", "f.pth", "--predict", "a.jpg", "dir", "--topk", "3"}) ==
        Args{"predict", "a.jpg", "dir", "--config", "c.yaml", "--checkpoint", "f.pth", "--topk", "3"});
  CHECK(respell({"--arch", "tiny-gf", "--checkpoint", "f.pth", "--use-ema", "--predict=a.jpg"}) ==
        Args{"predict", "a.jpg", "--arch", "tiny-gf", "--checkpoint", "f.pth", "--use-ema"});
  // --set takes every value up to the next option, so the config can follow it.
  CHECK(respell({"--set", "a=1", "b=2", "--checkpoint", "f.pth", "c.yaml"}) ==
        Args{"validate", "c.yaml", "--set", "a=1", "b=2", "--checkpoint", "f.pth"});
}

TEST_CASE("eval spelling: subcommands, help and what the old tool refused are left alone", "[cli]") {
  CHECK_FALSE(respell_eval_arguments({"predict", "a.jpg"}, kSubcommands).has_value());
  CHECK_FALSE(respell_eval_arguments({}, kSubcommands).has_value());
  CHECK_FALSE(respell_eval_arguments({"--help"}, kSubcommands).has_value());
  CHECK_FALSE(respell_eval_arguments({"--version"}, kSubcommands).has_value());
  CHECK_FALSE(respell_eval_arguments({"--threads", "2"}, kSubcommands).has_value());
  CHECK_FALSE(respell_eval_arguments({"a.yaml", "b.yaml", "--checkpoint", "f"}, kSubcommands).has_value());
  // An option of another mode stays, for the subcommand to refuse.
  CHECK(respell({"--zoo", "--arch", "tiny"}) == Args{"zoo", "--arch", "tiny"});
}
