// Deterministic random numbers for the data pipeline.
//
// Every random choice about a sample draws from a generator seeded by (seed,
// epoch, sample index, rank), so a batch is the same whichever worker thread
// made it and however many there are. The generator is xoshiro256** seeded
// through SplitMix64; distributions are computed here (not by <random>, whose
// distributions differ between standard libraries).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace hornet::data {

class Rng {
 public:
  /// Seeds from any number of integers, mixed so that nearby tuples give
  /// unrelated streams.
  explicit Rng(std::initializer_list<uint64_t> keys);
  Rng() : Rng({0}) {}

  uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi] (inclusive), unbiased.
  int64_t randint(int64_t lo, int64_t hi);
  bool bernoulli(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller with a cached second value).
  double normal();
  double normal(double mean, double std) { return mean + std * normal(); }
  /// Gamma(shape, 1) by Marsaglia and Tsang's method.
  double gamma(double shape);
  /// Beta(a, b) from two gammas.
  double beta(double a, double b);
  /// Puts `v` in a uniformly random order (Fisher-Yates, from the back).
  void shuffle(std::vector<int64_t>& v);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace hornet::data
