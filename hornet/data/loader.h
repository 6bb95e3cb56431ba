// The data loader: worker threads decode and transform samples straight into
// preallocated uint8 batch buffers (pinned when CUDA is available), a few
// batches ahead of the consumer.
//
// Every random choice about a sample comes from an Rng keyed by (seed, epoch,
// dataset index, rank, position in the epoch), so a batch's content does not
// depend on the number of workers or their timing. Samples that cannot be read
// or decoded are left out of their batch with a warning and counted; a run of
// `max_consecutive_failures` of them stops the loader with an error.
#pragma once

#include "hornet/data/batch.h"
#include "hornet/data/dataset.h"
#include "hornet/data/pipeline.h"
#include "hornet/data/sampler.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace hornet::data {

struct LoaderOptions {
  int64_t batch_size = 64;
  int workers = 4;
  /// Batches prepared ahead of the one being consumed.
  int prefetch = 2;
  /// Drop the epoch's last, incomplete batch.
  bool drop_last = false;
  uint64_t seed = 0;
  /// Allocate batch buffers in pinned memory (when CUDA is available).
  bool pin_memory = false;
  int max_consecutive_failures = 32;
};

struct LoaderStats {
  int64_t loaded = 0;        ///< samples delivered
  int64_t skipped = 0;       ///< unreadable or undecodable samples left out
  int64_t warnings = 0;      ///< samples decoded despite corrupt data (e.g. truncated JPEGs)
  int64_t dct_reduced = 0;   ///< JPEGs decoded at 1/2, 1/4 or 1/8 size
  double worker_seconds = 0; ///< time the workers spent reading and transforming
  /// "N loaded, N skipped (unreadable), N decoded with warnings, N DCT-reduced".
  std::string str() const;
};

class DataLoader {
 public:
  DataLoader(Dataset dataset, std::shared_ptr<const SampleTransform> transform, const SamplerOptions& sampler,
             const LoaderOptions& options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  /// Starts `epoch` at batch `start_batch` (to resume inside an epoch),
  /// abandoning whatever the previous epoch had in flight.
  void start_epoch(int64_t epoch, int64_t start_batch = 0);
  /// The epoch's next batch, or nullopt at its end. Its tensors stay valid
  /// until the following call (clone them to keep them longer). Batches whose
  /// every image failed are skipped, so a returned batch is never empty.
  std::optional<Batch> next();

  int64_t batches_per_epoch() const;
  const Dataset& dataset() const;
  LoaderStats stats() const;

 private:
  std::optional<Batch> next_batch();
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace hornet::data
