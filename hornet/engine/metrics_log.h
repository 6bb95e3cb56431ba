// metrics.jsonl, a run's metrics log: one JSON object per line, appended by
// the trainer, cut back here when a run resumes, and plotted by
// scripts/plot_log.py; the same numbers go to TensorBoard when asked. Its lines:
//
//   {"mode": "train", "epoch": E, "iter": I, "step": S, "loss": L, "lr": R, "images_per_s": X, "data_wait":
//   W,
//    "memory_mib": M}
//   {"mode": "val", "epoch": E, "step": S, "top1": T1, "top5": T5, "loss": L, "weights": "ema"|"raw"}
//
// epoch counts from 1; iter is micro-batches and step optimizer steps since the
// run began; data_wait is the share of the window spent waiting for data;
// memory_mib the peak memory (CUDA: the caching allocator's peak since the
// last line; CPU: the process's peak resident size); top1/top5 are
// percentages. A number that is not finite is null; a line without
// memory_mib (written before it existed) reads as NaN.
//
// TensorBoard tags: train/loss, train/lr, train/images_per_s, train/data_wait,
// train/memory_mib, val/top1, val/top5, val/loss, all at the optimizer step.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace hornet::io {
class EventFileWriter;
}

namespace hornet::engine {

struct MetricsRecord {
  enum class Mode { kTrain, kVal };
  Mode mode = Mode::kTrain;
  int64_t epoch = 0;
  int64_t step = 0;
  int64_t iter = 0;  ///< train lines only
  double loss = NAN;
  double lr = NAN, images_per_s = NAN, data_wait = NAN, memory_mib = NAN;  ///< train lines
  double top1 = NAN, top5 = NAN;                         ///< val lines
  std::string weights;                                   ///< val lines: "ema" or "raw"
};

/// The record as one line of metrics.jsonl, without its newline.
std::string metrics_line(const MetricsRecord& record);

/// One line back into a record; std::invalid_argument when it is not one.
MetricsRecord parse_metrics_line(const std::string& line);

/// Every line of the log at `path`; std::runtime_error naming path:line for a
/// line that is not a record.
std::vector<MetricsRecord> read_metrics(const std::string& path);

/// Appends records to the log at `path`, each flushed as it is written, and,
/// given a `tensorboard_dir`, to a new TensorBoard event file there, which
/// starts at optimizer step `start_step` (see io::EventFileWriter).
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path, const std::string& tensorboard_dir = "",
                      int64_t start_step = 0);
  ~MetricsLog();
  void append(const MetricsRecord& record);
  /// An RGB image (PNG bytes) for TensorBoard only; nothing without it.
  void add_image(const std::string& tag, const std::string& png, int height, int width, int64_t step);

 private:
  std::ofstream out_;
  std::unique_ptr<io::EventFileWriter> tensorboard_;
};

/// Keeps the lines a checkpoint covers: training lines up to optimizer step
/// `step`, validation lines up to epoch `epochs`; drops a line that is not a
/// record (one cut short when a run was killed). Atomic.
void truncate_metrics(const std::string& path, int64_t step, int64_t epochs);

}  // namespace hornet::engine
