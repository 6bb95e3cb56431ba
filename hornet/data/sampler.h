// The order in which an epoch visits a dataset, for one rank.
//
// One sampler covers the three cases: sequential (no shuffle, one rank),
// shuffled per epoch (a permutation seeded by seed + epoch), and distributed
// like PyTorch's DistributedSampler (the epoch's order padded by repeating its
// start to a multiple of the world size, then every world_size-th index from
// `rank`), so all ranks see the same number of samples.
#pragma once

#include <cstdint>
#include <vector>

namespace hornet::data {

struct SamplerOptions {
  bool shuffle = true;
  uint64_t seed = 0;
  int rank = 0;
  int world_size = 1;
  /// Drop the tail instead of padding, so ranks get floor(N / world) samples.
  bool drop_last = false;
};

class Sampler {
 public:
  Sampler(int64_t dataset_size, const SamplerOptions& options = {});
  /// Dataset indices this rank visits in `epoch`, in order.
  std::vector<int64_t> indices(int64_t epoch) const;
  /// Samples per epoch for this rank.
  int64_t size() const { return per_rank_; }
  const SamplerOptions& options() const { return o_; }

 private:
  int64_t n_;
  SamplerOptions o_;
  int64_t per_rank_;
};

}  // namespace hornet::data
