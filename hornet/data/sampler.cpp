#include "hornet/data/sampler.h"

#include "hornet/data/rng.h"

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
}

std::vector<int64_t> Sampler::indices(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(n_));
  std::iota(order.begin(), order.end(), 0);
  if (o_.shuffle) {
    // Fisher-Yates with a generator keyed by (seed, epoch): the same on every rank.
    Rng rng({o_.seed, static_cast<uint64_t>(epoch), 0x5a4d504c4552ULL});
    for (int64_t i = n_ - 1; i > 0; --i) std::swap(order[i], order[rng.randint(0, i)]);
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
