// The order in which an epoch visits a dataset, for one rank.
//
// One sampler covers the three cases: sequential (no shuffle, one rank),
// shuffled per epoch (a permutation seeded by seed + epoch), and distributed
// like PyTorch's DistributedSampler (the epoch's order padded by repeating its
// start to a multiple of the world size, then every world_size-th index from
// `rank`), so all ranks see the same number of samples.
//
// A sharded dataset (WebDataset tar files, whose samples are consecutive
// indices) is visited shard by shard instead, so that files are read in
// order: each epoch deals the shards, in an order seeded by seed + epoch, to
// the rank holding the fewest samples so far (round-robin when shards are
// equal); a rank splits its shards into `streams`, each
// reading its shards front to back through a shuffle buffer of
// `shuffle_buffer` samples (emitting a random one as each new one comes in, as
// webdataset's shuffle does), and the streams' samples are interleaved. Each
// rank is then cut, or padded by repeating its start, to the length the
// unsharded sampler gives. The order depends on the seed, epoch, rank, world
// size, streams and buffer, never on the loader's threads; resuming at a batch
// replays it exactly. Without shuffling (validation) a sharded dataset takes
// the sequential order like any other, which drops nothing: each rank reads
// every world_size-th sample, in file order.
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
  /// Sharded datasets: samples per shard, in index order (empty: not sharded).
  std::vector<int64_t> shard_sizes;
  int64_t shuffle_buffer = 8192;
  int streams = 4;
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
  bool sharded() const { return o_.shuffle && !o_.shard_sizes.empty(); }
  std::vector<int64_t> shard_order(int64_t epoch) const;
  int64_t n_;
  SamplerOptions o_;
  int64_t per_rank_;
};

}  // namespace hornet::data
