#include "hornet/data/throughput.h"

#include "hornet/data/decode.h"
#include "hornet/io/file_util.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace hornet::data {

Throughput measure_loader(DataLoader& loader, int workers, int64_t max_batches) {
  loader.start_epoch(0);
  if (!loader.next()) return {};
  const auto start = std::chrono::steady_clock::now();
  Throughput t;
  t.workers = workers;
  for (int64_t b = 1; b < max_batches; ++b) {
    const auto batch = loader.next();
    if (!batch) break;
    t.images += batch->images.size(0);
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.stats = loader.stats();
  return t;
}

Throughput measure_decode(const Dataset& dataset, int workers, int64_t max_images) {
  const int64_t n = std::min<int64_t>(max_images, static_cast<int64_t>(dataset.size()));
  std::vector<std::string> files;
  for (int64_t k = 0; k < n; ++k)
    files.push_back(read_sample_bytes(dataset.samples()[static_cast<size_t>(k)]));
  std::atomic<int64_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (int64_t k = next++; k < n; k = next++) (void)decode_image(files[static_cast<size_t>(k)]);
    });
  }
  for (auto& t : pool) t.join();
  Throughput t;
  t.workers = workers;
  t.images = n;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

}  // namespace hornet::data
