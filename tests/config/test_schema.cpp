// The experiment config's key table: the one place each key is spelt, the
// source of the resume policy and of the config reference.
#include "hornet/config/experiment.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace hornet::config;
using Catch::Matchers::Contains;

namespace {

// The string literals of a C++ source, comments left out.
std::vector<std::string> string_literals(const std::string& text) {
  std::vector<std::string> out;
  for (size_t k = 0; k < text.size(); ++k) {
    if (text.compare(k, 2, "//") == 0) {
      k = text.find('\n', k);
      if (k == std::string::npos) break;
    } else if (text.compare(k, 2, "/*") == 0) {
      k = text.find("*/", k);
      if (k == std::string::npos) break;
      ++k;
    } else if (text[k] == '\'') {
      k = text.find('\'', k + (text[k + 1] == '\\' ? 3 : 2));  // a character literal
    } else if (text[k] == '"') {
      std::string literal;
      for (++k; k < text.size() && text[k] != '"'; ++k) {
        if (text[k] == '\\') ++k;
        literal += text[k];
      }
      out.push_back(literal);
    }
  }
  return out;
}

bool spells(const std::string& literal, const std::string& key) {
  for (size_t at = literal.find(key); at != std::string::npos; at = literal.find(key, at + 1)) {
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
    const bool starts = at == 0 || !word(literal[at - 1]);
    const size_t end = at + key.size();
    // A deeper path (model.arch.mixers) spells its key too.
    if (starts && (end == literal.size() || !word(literal[end]) || literal[end] == '.')) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("config schema: no key is spelt in more than one C++ file of the library and tools", "[config][schema]") {
  namespace fs = std::filesystem;
  std::map<std::string, std::set<std::string>> files_of;
  size_t sources = 0;
  for (const char* folder : {"hornet", "eval", "train", "tools"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(HORNET_SOURCE_DIR) / folder)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".h" && ext != ".cu") continue;
      ++sources;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      for (const auto& literal : string_literals(text.str())) {
        for (const auto& key : experiment_keys()) {
          if (spells(literal, key.path)) files_of[key.path].insert(fs::relative(entry.path(), HORNET_SOURCE_DIR).string());
        }
      }
    }
  }
  REQUIRE(sources > 100);
  REQUIRE(experiment_keys().size() > 80);
  for (const auto& key : experiment_keys()) {
    // Zero is a key the table composes (data.train + .split).
    INFO(key.path << " is spelt in: " << Catch::Detail::stringify(files_of[key.path]));
    CHECK(files_of[key.path].size() <= 1);
  }
  // The checker sees a key however it is quoted, and only whole keys.
  CHECK(files_of["optim.lr"].size() == 1);  // the search finds what is there
  CHECK(spells("config: model.num_classes is ", "model.num_classes"));
  CHECK(spells("runtime.device=", "runtime.device"));
  CHECK_FALSE(spells("runtime.device_type", "runtime.device"));
  CHECK_FALSE(spells("xruntime.device", "runtime.device"));
  CHECK(string_literals("a(\"x.y\"); // \"z.w\"\n/* \"q\" */ b('\"', \"u\\\"v\")") ==
        std::vector<std::string>{"x.y", "u\"v"});
}

TEST_CASE("config schema: what a resume may change", "[config][schema]") {
  CHECK_FALSE(key_changes_run("runtime.threads"));
  CHECK_FALSE(key_changes_run("runtime.device"));
  CHECK_FALSE(key_changes_run("data.val.batch_size"));
  CHECK_FALSE(key_changes_run("distributed.timeout"));
  CHECK(key_changes_run("optim.lr"));
  CHECK(key_changes_run("runtime.amp"));
  CHECK(key_changes_run("model.arch.depths"));  // below a key: the key's policy
  CHECK(key_changes_run("data.train.pipeline.rand_augment.magnitude"));
  CHECK(key_changes_run("something.new"));  // unknown: assumed to matter
}

TEST_CASE("config schema: the reference lists every key with its default", "[config][schema]") {
  const std::string md = config_reference_markdown();
  for (const auto& key : experiment_keys()) {
    // Rows are named below their table's section: data.train and data.val, else the first word.
    const size_t section = key.path.rfind("data.", 0) == 0 ? key.path.find('.', 5) : key.path.find('.');
    CHECK_THAT(md, Contains("| `" + key.path.substr(section + 1) + "` | " + key.type + " | `" + key.default_text + "` |"));
  }
  CHECK_THAT(md, Contains("| `lr` | float | `0.004` | > 0 | fixed |"));
  CHECK_THAT(md, Contains("| `amp` | choice | `auto` | auto, off, bf16 or fp16 | fixed |"));
  CHECK_THAT(md, Contains("| `threads` | int | `0` | >= 0 | free |"));
  CHECK_THAT(md, Contains("(hornet-train `--device`)"));
  // Defaults in the table are the struct's: a default config parses to them.
  const auto e = parse_experiment(Config::from_string("{}"));
  CHECK(e.optim.lr == 0.004);
  CHECK(e.runtime.amp == AmpSetting::kAuto);
}
