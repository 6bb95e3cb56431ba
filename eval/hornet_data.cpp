// hornet-data: dataset tools.
//
//   hornet-data make-toy OUT [--classes 6] [--train-per-class 100] [--val-per-class 30] [--size 64]
//   hornet-data grid DATA --out grid.png|grid.jpg [--count 32] [--pipeline train|eval]
//   hornet-data bench DATA [--pipeline train|eval|decode] [--workers N] [--batch-size 64] [--batches 20]
#include "hornet/common/cli.h"
#include "hornet/common/version.h"
#include "hornet/data/encode.h"
#include "hornet/data/loader.h"
#include "hornet/data/pipeline.h"
#include "hornet/data/throughput.h"
#include "hornet/data/toy_dataset.h"
#include "hornet/io/file_util.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace data = hornet::data;

namespace {
std::shared_ptr<data::SampleTransform> pipeline(const std::string& name, int size) {
  if (name == "train") {
    data::TrainPipelineOptions o;
    o.size = size;
    return data::make_train_transform(o);
  }
  // The pipeline hornet-eval validates and predicts with at this size (at 384
  // and above the official square resize, below it resize and crop).
  if (name == "eval") return data::make_eval_transform(data::eval_options_for_size(size));
  throw std::invalid_argument("unknown pipeline '" + name + "'; valid: train, eval");
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hornet-data: dataset tools (toy data, augmentation previews, loader benchmarks)"};
  app.require_subcommand(1);

  auto* toy = app.add_subcommand("make-toy", "Write the procedural toy dataset (ImageFolder of JPEGs)");
  std::string toy_out;
  data::ToyDatasetOptions toy_opts;
  toy->add_option("out", toy_out, "Output folder (gets train/ and val/)")->required();
  toy->add_option("--classes", toy_opts.classes, "Number of shape classes (2-8)")->check(CLI::Range(2, 8));
  toy->add_option("--train-per-class", toy_opts.train_per_class, "Training images per class")
      ->check(CLI::Range(1, 1000000));
  toy->add_option("--val-per-class", toy_opts.val_per_class, "Validation images per class")
      ->check(CLI::Range(1, 1000000));
  toy->add_option("--size", toy_opts.size, "Image side in pixels")->check(CLI::Range(16, 4096));
  toy->add_option("--seed", toy_opts.seed, "Random seed");

  auto* grid = app.add_subcommand("grid", "Write a PNG grid of pipeline outputs for a person to look at");
  std::string grid_data, grid_out, grid_pipeline = "train";
  int grid_count = 32, grid_columns = 8, grid_size = 224;
  uint64_t grid_seed = 0;
  grid->add_option("data", grid_data, "ImageFolder root or annotation file")->required();
  grid->add_option("--out", grid_out, "Image to write: .png or .jpg/.jpeg")->required();
  grid->add_option("--count", grid_count, "Images in the grid")->check(CLI::Range(1, 10000));
  grid->add_option("--columns", grid_columns, "Images per row")->check(CLI::Range(1, 1000));
  grid->add_option("--size", grid_size, "Output side of each image")->check(CLI::Range(16, 4096));
  grid->add_option("--pipeline", grid_pipeline, "train (augmented) or eval")->check(CLI::IsMember({"train", "eval"}));
  grid->add_option("--seed", grid_seed, "Random seed");

  auto* bench = app.add_subcommand("bench", "Measure images/s through the loader or plain JPEG decoding");
  std::string bench_data, bench_pipeline = "train";
  int bench_workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t bench_batch = 64, bench_batches = 20;
  bench->add_option("data", bench_data, "ImageFolder root or annotation file")->required();
  bench->add_option("--pipeline", bench_pipeline, "train, eval or decode (full-size JPEG decoding only)")
      ->check(CLI::IsMember({"train", "eval", "decode"}));
  bench->add_option("--workers", bench_workers, "Worker threads")->check(CLI::Range(1, 1024));
  bench->add_option("--batch-size", bench_batch, "Batch size")->check(CLI::Range(1, 65536));
  bench->add_option("--batches", bench_batches, "Batches to time (after one warm-up batch)")->check(CLI::Range(1, 1000000));
  app.set_version_flag("--version", hornet::version_text());
  CLI11_PARSE(app, argc, argv);

  return hornet::common::run_command("hornet-data", [&]() -> int {
    if (*toy) {
      const int64_t n = data::make_toy_dataset(toy_out, toy_opts);
      std::printf("hornet-data: wrote %lld images of %d classes under %s\n", static_cast<long long>(n),
                  toy_opts.classes, toy_out.c_str());
    } else if (*grid) {
      const auto dataset = data::Dataset::open(grid_data);
      const auto transform = pipeline(grid_pipeline, grid_size);
      std::vector<cv::Mat> images;
      for (int k = 0; k < grid_count; ++k) {
        const auto& sample = dataset.samples()[static_cast<size_t>(k) * dataset.size() / grid_count];
        data::Rng rng({grid_seed, static_cast<uint64_t>(k)});
        images.push_back(transform->apply(hornet::io::read_file(sample.path), rng));
      }
      std::string extension = std::filesystem::path(grid_out).extension().string();
      std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
      const auto sheet = data::make_grid(images, grid_columns);
      if (extension == ".png") {
        hornet::io::write_file_atomic(grid_out, data::encode_png(sheet));
      } else if (extension == ".jpg" || extension == ".jpeg") {
        hornet::io::write_file_atomic(grid_out, data::encode_jpeg(sheet, 95));
      } else {
        throw std::invalid_argument("--out " + grid_out + ": name a .png, .jpg or .jpeg file");
      }
      std::printf("hornet-data: wrote %s (%d %s-pipeline images)\n", grid_out.c_str(), grid_count,
                  grid_pipeline.c_str());
    } else {
      const auto dataset = data::Dataset::open(bench_data);
      std::printf("hornet-data bench: %s\n", dataset.description().c_str());
      data::Throughput t;
      if (bench_pipeline == "decode") {
        t = data::measure_decode(dataset, bench_workers, bench_batch * bench_batches);
      } else {
        data::LoaderOptions lo;
        lo.batch_size = bench_batch;
        lo.workers = bench_workers;
        data::DataLoader loader(dataset, pipeline(bench_pipeline, 224), {}, lo);
        t = data::measure_loader(loader, bench_workers, bench_batches + 1);
      }
      std::printf("hornet-data bench: pipeline %s, %d workers, %lld images in %.3f s: %.1f images/s, %.1f per worker\n",
                  bench_pipeline.c_str(), bench_workers, static_cast<long long>(t.images), t.seconds,
                  t.images_per_second(), t.per_worker());
      if (bench_pipeline != "decode") std::printf("hornet-data bench: %s\n", t.stats.str().c_str());
    }
    return 0;
  });
}
