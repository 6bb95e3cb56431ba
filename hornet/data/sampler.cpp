#include "hornet/data/sampler.h"

#include "hornet/data/rng.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace hornet::data {

Sampler::Sampler(int64_t dataset_size, const SamplerOptions& options) : n_(dataset_size), o_(options) {
  if (dataset_size < 1) throw std::invalid_argument("Sampler: the dataset is empty");
  if (o_.world_size < 1 || o_.rank < 0 || o_.rank >= o_.world_size) {
    throw std::invalid_argument("Sampler: rank " + std::to_string(o_.rank) + " is outside world size " +
                                std::to_string(o_.world_size));
  }
  per_rank_ = o_.drop_last ? n_ / o_.world_size : (n_ + o_.world_size - 1) / o_.world_size;
  if (per_rank_ < 1) throw std::invalid_argument("Sampler: fewer samples than ranks");
  if (sharded()) {
    int64_t total = 0;
    for (int64_t size : o_.shard_sizes) total += size;
    if (total != n_)
      throw std::invalid_argument("Sampler: the shard sizes do not add up to the dataset's size");
    const auto filled =
        std::count_if(o_.shard_sizes.begin(), o_.shard_sizes.end(), [](int64_t s) { return s > 0; });
    if (filled < o_.world_size) {
      throw std::invalid_argument("Sampler: " + std::to_string(filled) + " non-empty shards for " +
                                  std::to_string(o_.world_size) +
                                  " ranks; each rank reads whole shards, so write at least one per rank");
    }
    if (o_.streams < 1 || o_.shuffle_buffer < 1) {
      throw std::invalid_argument("Sampler: streams and the shuffle buffer must be at least 1");
    }
  }
}

std::vector<int64_t> Sampler::shard_order(int64_t epoch) const {
  const auto& sizes = o_.shard_sizes;
  std::vector<int64_t> first(sizes.size(), 0), shards(sizes.size());
  for (size_t k = 1; k < sizes.size(); ++k) first[k] = first[k - 1] + sizes[k - 1];
  std::iota(shards.begin(), shards.end(), 0);
  Rng({o_.seed, static_cast<uint64_t>(epoch), 0x5348415244ULL}).shuffle(shards);  // the same on every rank
  // Each shard in that order goes to the rank holding the fewest samples so far (the
  // lowest on a tie): equal shards go round-robin, and uneven ones (a short last shard,
  // shards of another writer) leave ranks as even as whole shards allow, so that the
  // cut or padding below drops or repeats little. Empty shards go nowhere.
  std::vector<int64_t> load(static_cast<size_t>(o_.world_size), 0);
  std::vector<int64_t> mine;
  for (int64_t shard : shards) {
    const int64_t size = sizes[static_cast<size_t>(shard)];
    if (size == 0) continue;
    const auto lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += size;
    if (lightest == static_cast<size_t>(o_.rank)) mine.push_back(shard);
  }
  const size_t streams = std::min(static_cast<size_t>(o_.streams), mine.size());
  std::vector<std::vector<int64_t>> read(streams);
  for (size_t s = 0; s < streams; ++s) {
    Rng rng({o_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(o_.rank), s, 0x425546ULL});
    std::vector<int64_t> buffer;
    const auto emit_random = [&] {
      const auto r = static_cast<size_t>(rng.randint(0, static_cast<int64_t>(buffer.size()) - 1));
      read[s].push_back(buffer[r]);
      buffer[r] = buffer.back();
      buffer.pop_back();
    };
    for (size_t j = s; j < mine.size(); j += streams) {
      const int64_t shard = mine[j];
      for (int64_t i = 0; i < sizes[static_cast<size_t>(shard)]; ++i) {
        buffer.push_back(first[static_cast<size_t>(shard)] + i);
        if (static_cast<int64_t>(buffer.size()) >= o_.shuffle_buffer) emit_random();
      }
    }
    while (!buffer.empty()) emit_random();
  }
  std::vector<int64_t> order;
  order.reserve(static_cast<size_t>(per_rank_));
  for (size_t k = 0, left = streams; left > 0; ++k) {
    left = 0;
    for (const auto& stream : read) {
      if (k < stream.size()) {
        order.push_back(stream[k]);
        ++left;
      }
    }
  }
  const size_t have = order.size();
  if (have == 0)
    throw std::runtime_error("Sampler: rank " + std::to_string(o_.rank) + "'s shards hold no samples");
  for (size_t k = have; k < static_cast<size_t>(per_rank_); ++k) order.push_back(order[(k - have) % have]);
  order.resize(static_cast<size_t>(per_rank_));
  return order;
}

std::vector<int64_t> Sampler::indices(int64_t epoch) const {
  if (sharded()) return shard_order(epoch);
  std::vector<int64_t> order(static_cast<size_t>(n_));
  std::iota(order.begin(), order.end(), 0);
  if (o_.shuffle) {
    // Fisher-Yates with a generator keyed by (seed, epoch): the same on every rank.
    Rng({o_.seed, static_cast<uint64_t>(epoch), 0x5a4d504c4552ULL}).shuffle(order);
  }
  const int64_t total = per_rank_ * o_.world_size;
  if (total > n_) {
    for (int64_t k = n_; k < total; ++k) order.push_back(order[static_cast<size_t>((k - n_) % n_)]);
  } else {
    order.resize(static_cast<size_t>(total));
  }
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(per_rank_));
  for (int64_t k = o_.rank; k < total; k += o_.world_size) mine.push_back(order[static_cast<size_t>(k)]);
  return mine;
}

}  // namespace hornet::data
