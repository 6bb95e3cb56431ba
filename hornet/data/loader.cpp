// Threaded batch loading into a ring of preallocated buffers.
#include "hornet/data/loader.h"

#include "hornet/data/image_tensor.h"
#include "hornet/io/file_util.h"

#include <spdlog/spdlog.h>
#include <torch/cuda.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace hornet::data {

namespace {
// Individual warnings up to this many skipped samples (and as many decoder
// warnings); the counters go on.
constexpr int64_t kLoggedFailures = 20;

struct Slot {
  torch::Tensor images, labels, indices;
  std::vector<char> ok;
  std::vector<std::string> errors;
  int64_t batch = -1;
  int64_t begin = 0;  // first epoch position of the batch
  int64_t size = 0;
  int64_t pending = 0;
};
}  // namespace

struct DataLoader::State {
  Dataset dataset;
  std::shared_ptr<const SampleTransform> transform;
  Sampler sampler;
  LoaderOptions o;
  std::vector<Slot> slots;
  std::vector<std::thread> threads;

  std::mutex m;
  std::condition_variable work_cv, done_cv;
  bool stop = false;
  int64_t generation = 0;
  int64_t epoch = 0;
  std::vector<int64_t> order;
  int64_t num_batches = 0;
  int64_t end_position = 0;
  int64_t next_position = 0;
  int64_t next_batch = 0;
  int64_t handed_out = -1;  // batch last returned by next(), still in use
  int active = 0;
  std::exception_ptr error;
  LoaderStats stats;
  int64_t consecutive_failures = 0;

  State(Dataset d, std::shared_ptr<const SampleTransform> t, const SamplerOptions& so,
        const LoaderOptions& lo)
      : dataset(std::move(d)),
        transform(std::move(t)),
        sampler(static_cast<int64_t>(dataset.size()), with_shards(so)),
        o(lo) {}

  // A sharded dataset is visited shard by shard (see sampler.h).
  SamplerOptions with_shards(SamplerOptions so) const {
    so.shard_sizes = dataset.shard_sizes();
    return so;
  }

  int64_t batch_count(int64_t samples) const {
    return o.drop_last ? samples / o.batch_size : (samples + o.batch_size - 1) / o.batch_size;
  }

  void assign(Slot& slot, int64_t batch) {
    slot.batch = batch;
    slot.begin = batch * o.batch_size;
    slot.size = std::min(o.batch_size, end_position - slot.begin);
    slot.pending = slot.size;
    std::fill(slot.ok.begin(), slot.ok.end(), 0);
  }

  void worker() {
    const int64_t h = transform->height(), w = transform->width();
    while (true) {
      std::unique_lock<std::mutex> lock(m);
      work_cv.wait(lock, [&] {
        if (stop) return true;
        if (next_position >= end_position || error) return false;
        const int64_t b = next_position / o.batch_size;
        return slots[static_cast<size_t>(b % static_cast<int64_t>(slots.size()))].batch == b;
      });
      if (stop) return;
      const int64_t p = next_position++;
      const int64_t b = p / o.batch_size, s = p % o.batch_size;
      Slot& slot = slots[static_cast<size_t>(b % static_cast<int64_t>(slots.size()))];
      const int64_t index = order[static_cast<size_t>(p)];
      const int64_t gen = generation, ep = epoch;
      ++active;
      lock.unlock();

      const Sample& sample = dataset.samples()[static_cast<size_t>(index)];
      const auto start = std::chrono::steady_clock::now();
      bool ok = false;
      std::string why;
      DecodeInfo info;
      std::exception_ptr fatal;
      try {
        const std::string bytes = read_sample_bytes(sample);
        Rng rng({o.seed, static_cast<uint64_t>(ep), static_cast<uint64_t>(index),
                 static_cast<uint64_t>(sampler.options().rank), static_cast<uint64_t>(p)});
        const cv::Mat img = transform->apply(bytes, rng, &info);
        copy_to_chw(img, slot.images.data_ptr<uint8_t>() + s * 3 * h * w);
        slot.labels.data_ptr<int64_t>()[s] = sample.label;
        slot.indices.data_ptr<int64_t>()[s] = index;
        ok = true;
      } catch (const DecodeError& e) {
        why = e.what();
      } catch (const std::runtime_error& e) {  // unreadable file
        why = e.what();
      } catch (...) {
        fatal = std::current_exception();
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

      lock.lock();
      --active;
      stats.worker_seconds += seconds;
      if (gen == generation) {
        if (fatal && !error) error = fatal;
        slot.ok[static_cast<size_t>(s)] = ok;
        slot.errors[static_cast<size_t>(s)] = why;
        if (ok) {
          stats.warnings += info.had_warnings;
          // Decoder warnings as one hornet line each (libpng's would be stray stderr lines).
          if (info.had_warnings && !info.warning.empty() && stats.warnings <= kLoggedFailures) {
            spdlog::warn("data: {}: decoded with a warning: {}", sample.path, info.warning);
          }
          stats.dct_reduced += info.scale_denom > 1;
        }
        --slot.pending;
      }
      done_cv.notify_all();
    }
  }
};

std::string LoaderStats::str() const {
  return std::to_string(loaded) + " loaded, " + std::to_string(skipped) + " skipped (unreadable), " +
         std::to_string(warnings) + " decoded with warnings, " + std::to_string(dct_reduced) + " DCT-reduced";
}

DataLoader::DataLoader(Dataset dataset, std::shared_ptr<const SampleTransform> transform,
                       const SamplerOptions& sampler, const LoaderOptions& options)
    : s_(std::make_unique<State>(std::move(dataset), std::move(transform), sampler, options)) {
  auto& s = *s_;
  if (!s.transform) throw std::invalid_argument("DataLoader: no sample transform");
  if (options.batch_size < 1 || options.workers < 1 || options.prefetch < 0) {
    throw std::invalid_argument("DataLoader: batch_size and workers must be >= 1, prefetch >= 0");
  }
  const bool pin = options.pin_memory && torch::cuda::is_available();
  const int64_t h = s.transform->height(), w = s.transform->width();
  s.slots.resize(static_cast<size_t>(options.prefetch) + 1);
  for (auto& slot : s.slots) {
    slot.images = torch::empty({options.batch_size, 3, h, w}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(pin));
    slot.labels = torch::empty({options.batch_size}, torch::kInt64);
    slot.indices = torch::empty({options.batch_size}, torch::kInt64);
    slot.ok.assign(static_cast<size_t>(options.batch_size), 0);
    slot.errors.assign(static_cast<size_t>(options.batch_size), "");
  }
  try {
    for (int k = 0; k < options.workers; ++k) s.threads.emplace_back([&s] { s.worker(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(s.m);
      s.stop = true;
    }
    s.work_cv.notify_all();
    for (auto& t : s.threads) t.join();
    throw;
  }
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(s_->m);
    s_->stop = true;
  }
  s_->work_cv.notify_all();
  for (auto& t : s_->threads) t.join();
}

int64_t DataLoader::batches_per_epoch() const { return s_->batch_count(s_->sampler.size()); }
const Dataset& DataLoader::dataset() const { return s_->dataset; }

LoaderStats DataLoader::stats() const {
  std::lock_guard<std::mutex> lock(s_->m);
  return s_->stats;
}

void DataLoader::start_epoch(int64_t epoch, int64_t start_batch) {
  auto& s = *s_;
  // Check the request before touching any state, so a refused call leaves the
  // loader as it was.
  auto order = s.sampler.indices(epoch);
  const int64_t num_batches = s.batch_count(static_cast<int64_t>(order.size()));
  if (start_batch < 0 || start_batch > num_batches) {
    throw std::invalid_argument("DataLoader: start batch " + std::to_string(start_batch) + " is outside the epoch's " +
                                std::to_string(num_batches) + " batches");
  }
  std::unique_lock<std::mutex> lock(s.m);
  // Abandon the previous epoch: nothing new starts, in-flight samples finish.
  ++s.generation;
  s.end_position = 0;
  s.done_cv.wait(lock, [&] { return s.active == 0; });
  s.error = nullptr;
  s.epoch = epoch;
  s.order = std::move(order);
  s.num_batches = num_batches;
  s.end_position = s.o.drop_last ? s.num_batches * s.o.batch_size : static_cast<int64_t>(s.order.size());
  s.next_position = start_batch * s.o.batch_size;
  s.next_batch = start_batch;
  s.handed_out = -1;
  s.consecutive_failures = 0;
  for (size_t k = 0; k < s.slots.size(); ++k) {
    const int64_t b = start_batch + static_cast<int64_t>(k);
    if (b < s.num_batches) {
      s.assign(s.slots[static_cast<size_t>(b % static_cast<int64_t>(s.slots.size()))], b);
    }
  }
  lock.unlock();
  s.work_cv.notify_all();
}

std::optional<Batch> DataLoader::next() {
  while (true) {
    auto batch = next_batch();
    // A batch whose every image failed is skipped (the failures are counted).
    if (!batch || batch->images.size(0) > 0) return batch;
  }
}

std::optional<Batch> DataLoader::next_batch() {
  auto& s = *s_;
  std::unique_lock<std::mutex> lock(s.m);
  const auto ring = static_cast<int64_t>(s.slots.size());
  // The batch handed out last is released: its buffer takes the next batch in line.
  if (s.handed_out >= 0) {
    const int64_t b = s.handed_out + ring;
    if (b < s.num_batches) s.assign(s.slots[static_cast<size_t>(b % ring)], b);
    s.handed_out = -1;
    s.work_cv.notify_all();
  }
  if (s.next_batch >= s.num_batches) return std::nullopt;
  Slot& slot = s.slots[static_cast<size_t>(s.next_batch % ring)];
  s.done_cv.wait(lock, [&] { return s.error || (slot.batch == s.next_batch && slot.pending == 0); });
  if (s.error) std::rethrow_exception(s.error);

  // Leave failed samples out, keeping the others in order.
  const int64_t plane = 3 * s.transform->height() * s.transform->width();
  int64_t kept = 0;
  for (int64_t k = 0; k < slot.size; ++k) {
    if (slot.ok[static_cast<size_t>(k)]) {
      if (kept != k) {
        std::memmove(slot.images.data_ptr<uint8_t>() + kept * plane, slot.images.data_ptr<uint8_t>() + k * plane,
                     static_cast<size_t>(plane));
        slot.labels.data_ptr<int64_t>()[kept] = slot.labels.data_ptr<int64_t>()[k];
        slot.indices.data_ptr<int64_t>()[kept] = slot.indices.data_ptr<int64_t>()[k];
      }
      ++kept;
      s.consecutive_failures = 0;
      continue;
    }
    const auto& path = s.dataset.samples()[static_cast<size_t>(s.order[static_cast<size_t>(slot.begin + k)])].path;
    ++s.stats.skipped;
    ++s.consecutive_failures;
    if (s.stats.skipped <= kLoggedFailures) {
      spdlog::warn("data: skipped {}: {}", path, slot.errors[static_cast<size_t>(k)]);
      if (s.stats.skipped == kLoggedFailures) spdlog::warn("data: further skipped images are only counted");
    }
    if (s.consecutive_failures >= s.o.max_consecutive_failures) {
      throw std::runtime_error("data: " + std::to_string(s.consecutive_failures) +
                               " consecutive images could not be loaded (the last: " + path + ": " +
                               slot.errors[static_cast<size_t>(k)] + "); is the dataset path or format right?");
    }
  }
  s.stats.loaded += kept;
  Batch batch;
  batch.images = slot.images.narrow(0, 0, kept);
  batch.labels = slot.labels.narrow(0, 0, kept);
  batch.indices = slot.indices.narrow(0, 0, kept);
  batch.epoch = s.epoch;
  batch.index = s.next_batch;
  s.handed_out = s.next_batch++;
  return batch;
}

}  // namespace hornet::data
