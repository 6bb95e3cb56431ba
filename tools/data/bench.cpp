// hornet-data bench: images/s through the loader (decode, augment, batch) or plain JPEG decoding.
#include "tools/data/commands.h"

#include "hornet/data/dataset.h"
#include "hornet/data/loader.h"
#include "hornet/data/pipeline.h"
#include "hornet/data/throughput.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

namespace hornet_data {

namespace {

struct BenchArgs {
  std::string data, pipeline = "train";
  int workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t batch_size = 64, batches = 20;
};

int run_bench(const BenchArgs& a) {
  namespace data = hornet::data;
  const auto dataset = data::Dataset::open(a.data);
  std::printf("hornet-data bench: %s\n", dataset.description().c_str());
  data::Throughput t;
  if (a.pipeline == "decode") {
    t = data::measure_decode(dataset, a.workers, a.batch_size * a.batches);
  } else {
    data::LoaderOptions lo;
    lo.batch_size = a.batch_size;
    lo.workers = a.workers;
    data::DataLoader loader(dataset, data::make_transform(a.pipeline, 224), {}, lo);
    t = data::measure_loader(loader, a.workers, a.batches + 1);
  }
  std::printf(
      "hornet-data bench: pipeline %s, %d workers, %lld images in %.3f s: %.1f images/s, %.1f per worker\n",
      a.pipeline.c_str(), a.workers, static_cast<long long>(t.images), t.seconds, t.images_per_second(),
      t.per_worker());
  if (a.pipeline != "decode") std::printf("hornet-data bench: %s\n", t.stats.str().c_str());
  return 0;
}

}  // namespace

hornet::cli::Command add_bench(CLI::App& tool) {
  auto* app = tool.add_subcommand("bench", "Measure images/s through the loader or plain JPEG decoding");
  auto a = std::make_shared<BenchArgs>();
  app->add_option("data", a->data, "ImageFolder root or annotation file")->required();
  app->add_option("--pipeline", a->pipeline, "train, eval or decode (full-size JPEG decoding only)")
      ->check(CLI::IsMember({"train", "eval", "decode"}));
  app->add_option("--workers", a->workers, "Worker threads")->check(CLI::Range(1, 1024));
  app->add_option("--batch-size", a->batch_size, "Batch size")->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app->add_option("--batches", a->batches, "Batches to time (after one warm-up batch)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  return {app, [a] { return run_bench(*a); }};
}

}  // namespace hornet_data
