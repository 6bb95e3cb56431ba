// hornet-data shard: an image dataset rewritten as WebDataset tar shards
// (`<key>.<ext>` holding the image file's own bytes, `<key>.cls` its class
// index as text), which webdataset reads and hornet trains from.
#include "tools/data/commands.h"

#include "hornet/data/dataset.h"
#include "hornet/data/rng.h"
#include "hornet/io/file_util.h"
#include "hornet/io/tar.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>

namespace hornet_data {

namespace {

struct ShardArgs {
  std::string data, out, split, prefix;
  int64_t shard_size = 1000;
  uint64_t seed = 0;
  bool keep_order = false;
};

int run_shard(const ShardArgs& a) {
  namespace data = hornet::data;
  namespace fs = std::filesystem;
  const auto dataset = data::Dataset::open(a.data, a.split, a.prefix);
  if (fs::exists(a.out) && !fs::is_empty(a.out)) throw std::invalid_argument(a.out + ": not an empty folder");
  fs::create_directories(a.out);
  // Shards of a class-sorted folder would each hold a class or two, which no
  // shuffle buffer mixes back: shuffle the samples before dealing them out.
  std::vector<int64_t> order(dataset.size());
  std::iota(order.begin(), order.end(), 0);
  if (!a.keep_order) {
    data::Rng({a.seed, 0x5348554646ULL}).shuffle(order);
  }
  const int64_t shards = (static_cast<int64_t>(order.size()) + a.shard_size - 1) / a.shard_size;
  uint64_t bytes = 0;
  for (int64_t s = 0; s < shards; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "shard-%06lld.tar", static_cast<long long>(s));
    hornet::io::TarWriter tar((fs::path(a.out) / name).string());
    const int64_t end = std::min<int64_t>((s + 1) * a.shard_size, static_cast<int64_t>(order.size()));
    for (int64_t k = s * a.shard_size; k < end; ++k) {
      const auto& sample = dataset.samples()[static_cast<size_t>(order[static_cast<size_t>(k)])];
      std::string ext = fs::path(sample.in_shard ? ".jpg" : sample.path).extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      char key[32];
      std::snprintf(key, sizeof key, "%08lld", static_cast<long long>(k));
      tar.add(key + ext, data::read_sample_bytes(sample));
      tar.add(std::string(key) + ".cls", std::to_string(sample.label));
    }
    bytes += tar.bytes_written();
    tar.finish();
    if ((s + 1) % 100 == 0 || s + 1 == shards) spdlog::info("shard: {}/{} shards written", s + 1, shards);
  }
  std::string names;
  for (const auto& c : dataset.classes()) names += c + "\n";
  hornet::io::write_file_atomic((fs::path(a.out) / "classes.txt").string(), names);
  std::printf("wrote %zu samples of %s in %lld shards (%.1f MB) and classes.txt to %s\n", dataset.size(),
              dataset.description().c_str(), static_cast<long long>(shards), static_cast<double>(bytes) / 1e6,
              a.out.c_str());
  return 0;
}

}  // namespace

hornet::cli::Command add_shard(CLI::App& tool) {
  auto* app = tool.add_subcommand(
      "shard", "Rewrite a dataset as WebDataset tar shards (key.jpg + key.cls), shuffled, with classes.txt");
  auto a = std::make_shared<ShardArgs>();
  app->add_option("data", a->data, "ImageFolder, ImageNet root (with --split) or annotation file")
      ->required();
  app->add_option("out", a->out, "Folder for shard-NNNNNN.tar and classes.txt (new or empty)")->required();
  app->add_option("--split", a->split, "With an ImageNet root: train or val");
  app->add_option("--data-prefix", a->prefix, "With an annotation file: the folder its paths start from");
  app->add_option("--shard-size", a->shard_size, "Samples per shard (at least one shard per training rank)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  app->add_option("--seed", a->seed, "Seed of the shuffle before sharding");
  app->add_flag("--keep-order", a->keep_order, "Keep the dataset's order (for validation sets)");
  return {app, [a] { return run_shard(*a); }};
}

}  // namespace hornet_data
