// Measuring the data pipeline: images per second through the loader, and the
// plain JPEG decoding rate of the same files (the ceiling for any pipeline).
#pragma once

#include "hornet/data/dataset.h"
#include "hornet/data/loader.h"

#include <cstdint>

namespace hornet::data {

struct Throughput {
  int64_t images = 0;
  LoaderStats stats;  ///< the loader's counters (loader runs only)
  double seconds = 0.0;
  int workers = 0;
  double images_per_second() const { return seconds > 0 ? images / seconds : 0.0; }
  double per_worker() const { return workers > 0 ? images_per_second() / workers : 0.0; }
};

/// Runs epoch 0 of `loader` (after one warm-up batch) for up to `max_batches`.
Throughput measure_loader(DataLoader& loader, int workers, int64_t max_batches);

/// Reads every sample once, then full-size decodes them with `workers` threads
/// (file reading not timed).
Throughput measure_decode(const Dataset& dataset, int workers, int64_t max_images);

}  // namespace hornet::data
