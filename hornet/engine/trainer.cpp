// The training loop (official engine.py / mmengine EpochBasedTrainLoop semantics).
#include "hornet/engine/trainer.h"

#include "hornet/common/cli.h"
#include "hornet/data/batch.h"
#include "hornet/data/loader.h"
#include "hornet/engine/evaluate.h"
#include "hornet/engine/train_step.h"
#include "hornet/io/file_util.h"
#include "hornet/models/checkpoint.h"

#include <spdlog/spdlog.h>
#include <torch/cuda.h>


#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace hornet::engine {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string duration(double s) {
  char buf[32];
  const auto t = static_cast<int64_t>(s);
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(t / 3600),
                static_cast<long long>(t / 60 % 60), static_cast<long long>(t % 60));
  return buf;
}

std::string bar(int64_t done, int64_t total, int width = 20) {
  const int filled = total > 0 ? static_cast<int>(width * done / total) : width;
  return "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.') + "]";
}

// Appends one JSON object per line to work_dir/metrics.jsonl.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path) : out_(path, std::ios::app) {
    if (!out_) throw std::runtime_error(path + ": cannot write the metrics log");
  }
  void write(const std::vector<std::pair<std::string, std::string>>& fields) {
    out_ << "{";
    for (size_t k = 0; k < fields.size(); ++k) out_ << (k ? ", " : "") << '"' << fields[k].first << "\": " << fields[k].second;
    out_ << "}\n";
    out_.flush();
  }
  static std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.8g", v);
    return buf;
  }
  static std::string str(const std::string& s) { return "\"" + s + "\""; }

 private:
  std::ofstream out_;
};

// `dst` becomes another name for `src` (a hard link, or a copy), atomically.
void link_checkpoint(const std::string& src, const std::string& dst) {
  const std::string tmp = dst + ".tmp-link";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_hard_link(src, tmp, ec);
  if (ec) fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, dst);
}

}  // namespace

TrainSummary train(const config::ExperimentConfig& c, const config::Config& resolved, const TrainerOptions& options) {
  if (options.work_dir.empty()) throw std::invalid_argument("train: no work directory");
  fs::create_directories(options.work_dir);
  const std::string work = options.work_dir;
  // Temporaries of writes a killed run left behind never stand under a final name; clear them.
  for (const auto& e : fs::directory_iterator(work)) {
    const std::string name = e.path().filename().string();
    if ((name.front() == '.' && name.find(".tmp.") != std::string::npos) || name.find(".tmp-link") != std::string::npos) {
      fs::remove(e.path());
    }
  }
  io::write_file_atomic(work + "/config.yaml", resolved.dump());
  common::set_threads(c.runtime.threads);
  const torch::Device device(c.runtime.device);
  if (device.is_cuda() && !torch::cuda::is_available()) {
    throw std::invalid_argument("runtime.device is " + c.runtime.device + " but CUDA is not available");
  }
  const AmpMode amp = parse_amp(c.runtime.amp);
  torch::manual_seed(c.runtime.seed);

  // Everything that can fail on bad input fails here, before the first step.
  if (c.train.dataset.root.empty()) throw std::invalid_argument("config: data.train.root is not set");
  auto train_set = open_dataset(c.train.dataset);
  if (train_set.num_classes() > c.model.num_classes) {
    throw std::invalid_argument("config: model.num_classes is " + std::to_string(c.model.num_classes) + " but " +
                                train_set.description() + " has " + std::to_string(train_set.num_classes()));
  }
  data::LoaderOptions train_lo;
  train_lo.batch_size = c.train.batch_size;
  train_lo.workers = c.train.workers;
  train_lo.prefetch = c.train.prefetch;
  train_lo.drop_last = true;
  train_lo.seed = c.runtime.seed;
  train_lo.pin_memory = device.is_cuda();
  data::SamplerOptions train_so;
  train_so.seed = c.runtime.seed;
  data::DataLoader train_loader(train_set, data::make_train_transform(c.train.pipeline), train_so, train_lo);
  // As the official loop: an epoch is steps_per_epoch whole optimizer steps;
  // batches left over by the accumulation are not used.
  const int64_t steps_per_epoch = train_loader.batches_per_epoch() / c.optim.accumulation;
  const int64_t micro_per_epoch = steps_per_epoch * c.optim.accumulation;
  if (steps_per_epoch < 1) {
    throw std::invalid_argument(train_set.description() + " holds fewer than batch_size x accumulation images");
  }
  std::unique_ptr<data::DataLoader> val_loader;
  if (!c.val.dataset.root.empty() && c.runtime.val_interval > 0) {
    val_loader = make_val_loader(c, open_dataset(c.val.dataset));
  }

  models::ImageClassifier model(models::ImageClassifierOptions(models::HorNetOptions(c.model.arch)
                                                                   .drop_path_rate(c.model.drop_path_rate)
                                                                   .layer_scale_init_value(c.model.layer_scale_init_value)
                                                                   .init(c.model.init))
                                    .num_classes(c.model.num_classes));
  if (!c.runtime.load_from.empty()) {
    io::TorchFile file(c.runtime.load_from);
    models::WeightLoadOptions lo;
    lo.strict = false;
    lo.reinit_mismatched_head = true;
    if (!c.runtime.class_map.empty()) lo.class_index = models::read_class_index(c.runtime.class_map);
    const auto report = models::load_weights(*model, file, io::find_weights(file.root(), c.runtime.load_from_ema), lo);
    spdlog::info("load_from {}: {}", c.runtime.load_from, report.str());
  }
  model->to(device);

  const int64_t global_batch = c.train.batch_size * c.optim.accumulation;
  TrainStep step(model, c, steps_per_epoch, global_batch, amp);
  TrainState& state = step.state();

  std::string resume = options.resume;
  if (resume == "auto") resume = fs::exists(work + "/last.pth") ? work + "/last.pth" : "";
  if (!resume.empty()) {
    state = load_training_checkpoint(resume, step.parts());
    spdlog::info("resumed from {} at epoch {}, batch {} (step {})", resume, state.epoch + 1, state.batch, state.step);
  }

  MetricsLog metrics(work + "/metrics.jsonl");
  spdlog::info("training {} ({} classes) on {}: {} epochs x {} steps, global batch {}, lr {:.3g}, amp {}",
               c.model.arch.name, c.model.num_classes, c.runtime.device, c.schedule.epochs, steps_per_epoch,
               global_batch, scaled_lr(c.optim, global_batch), c.runtime.amp);
  spdlog::info("data: {}", train_set.description());

  TrainSummary summary;
  const auto save = [&](const std::string& name) {
    const std::string path = work + "/" + name;
    save_training_checkpoint(path, step.parts(), state, resolved.dump());
    return path;
  };
  const auto run_start = Clock::now();
  const int64_t total_micro = c.schedule.epochs * micro_per_epoch;
  const int64_t micro_at_start = state.epoch * micro_per_epoch + state.batch;

  for (int64_t epoch = state.epoch; epoch < c.schedule.epochs; ++epoch) {
    train_loader.start_epoch(epoch, state.batch);
    step.start_epoch();
    double wait = 0.0, busy = 0.0, loss_sum = 0.0;
    int64_t images = 0, loss_n = 0;
    auto window = Clock::now();
    while (true) {
      const auto t0 = Clock::now();
      auto batch = train_loader.next();
      wait += seconds_since(t0);
      if (!batch || batch->index >= micro_per_epoch) break;
      const auto t1 = Clock::now();
      auto input = data::normalize(batch->images.to(device, /*non_blocking=*/true));
      data::Rng mix_rng({c.runtime.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(batch->index), 0x6d6978ULL});
      const auto mixed = data::mix_batch(input, batch->labels.to(device), c.model.num_classes, mix_rng, c.train.mixup);
      const auto r = step.run(input, mixed.targets);
      busy += seconds_since(t1);
      images += batch->images.size(0);
      if (std::isfinite(r.loss)) {
        loss_sum += r.loss;
        ++loss_n;
      }
      state.batch = batch->index + 1;
      if (r.skipped) {
        spdlog::warn("step {}: non-finite loss or gradients, update skipped ({} in a row)", state.step,
                     state.nonfinite_in_a_row);
        if (state.nonfinite_in_a_row >= c.runtime.max_nonfinite_steps) {
          throw std::runtime_error("stopping: " + std::to_string(state.nonfinite_in_a_row) +
                                   " optimizer steps in a row had a non-finite loss or gradients; the last good "
                                   "checkpoint in " + work + " is intact");
        }
      }
      const int64_t it = batch->index + 1;
      if (it % c.runtime.log_interval == 0 || it == micro_per_epoch) {
        const double elapsed = seconds_since(window);
        const double done = static_cast<double>(epoch * micro_per_epoch + it - micro_at_start);
        const double eta = seconds_since(run_start) / std::max(done, 1.0) * static_cast<double>(total_micro - epoch * micro_per_epoch - it);
        const double mean_loss = loss_n ? loss_sum / loss_n : NAN;
        spdlog::info("epoch {}/{} {} {}/{} | loss {:.4f} | lr {:.3e} | {:.1f} img/s | data {:.0f}% | eta {}",
                     epoch + 1, c.schedule.epochs, bar(it, micro_per_epoch), it, micro_per_epoch, mean_loss, r.lr,
                     images / std::max(elapsed, 1e-9), 100.0 * wait / std::max(wait + busy, 1e-9), duration(eta));
        metrics.write({{"mode", MetricsLog::str("train")}, {"epoch", std::to_string(epoch + 1)},
                       {"iter", std::to_string(state.iteration)}, {"step", std::to_string(state.step)},
                       {"loss", MetricsLog::num(mean_loss)}, {"lr", MetricsLog::num(r.lr)},
                       {"images_per_s", MetricsLog::num(images / std::max(elapsed, 1e-9))},
                       {"data_wait", MetricsLog::num(wait / std::max(wait + busy, 1e-9))}});
        window = Clock::now();
        images = 0;
        loss_sum = 0.0;
        loss_n = 0;
        wait = busy = 0.0;
      }
      if (c.runtime.checkpoint_every_iters > 0 && r.optimizer_step &&
          state.iteration % c.runtime.checkpoint_every_iters == 0 && it < micro_per_epoch) {
        summary.last_checkpoint = save("last.pth");
      }
    }
    state.epoch = epoch + 1;
    state.batch = 0;
    const auto stats = train_loader.stats();
    if (stats.skipped || stats.warnings) spdlog::warn("data: {}", stats.str());

    double top1 = -1.0;
    if (val_loader && (epoch + 1) % c.runtime.val_interval == 0) {
      const bool on_ema = step.ema() && c.ema.evaluate;
      auto& evaluated = on_ema ? step.ema()->module() : step.model();
      const auto result = evaluate(*evaluated, *val_loader);
      top1 = result.top1;
      summary.last_top1 = top1;
      spdlog::info("epoch {}/{} val ({} weights): top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}  ({} images)", epoch + 1,
                   c.schedule.epochs, on_ema ? "EMA" : "raw", result.top1, result.top5, result.loss, result.samples);
      metrics.write({{"mode", MetricsLog::str("val")}, {"epoch", std::to_string(epoch + 1)},
                     {"step", std::to_string(state.step)}, {"top1", MetricsLog::num(result.top1)},
                     {"top5", MetricsLog::num(result.top5)}, {"loss", MetricsLog::num(result.loss)},
                     {"weights", MetricsLog::str(on_ema ? "ema" : "raw")}});
    }
    const bool improved = top1 >= 0 && top1 > state.best_metric;
    if (improved) {
      state.best_metric = top1;
      state.best_epoch = epoch + 1;
    }
    const bool periodic = (epoch + 1) % c.runtime.checkpoint_interval == 0 || epoch + 1 == c.schedule.epochs;
    if (periodic || improved) {
      const std::string path = save("epoch_" + std::to_string(epoch + 1) + ".pth");
      link_checkpoint(path, work + "/last.pth");
      summary.last_checkpoint = work + "/last.pth";
      if (improved) {
        link_checkpoint(path, work + "/best.pth");
        summary.best_checkpoint = work + "/best.pth";
      }
      // Keep the newest epoch checkpoints (last and best are their own links).
      std::vector<int64_t> kept;
      for (const auto& e : fs::directory_iterator(work)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("epoch_", 0) == 0 && name.size() > 10 && name.compare(name.size() - 4, 4, ".pth") == 0) {
          const std::string number = name.substr(6, name.size() - 10);
          if (std::all_of(number.begin(), number.end(), ::isdigit) && number.size() < 18) {
            kept.push_back(std::stoll(number));
          }
        }
      }
      std::sort(kept.rbegin(), kept.rend());
      for (size_t k = static_cast<size_t>(std::max<int64_t>(c.runtime.keep_checkpoints, 1)); k < kept.size(); ++k) {
        fs::remove(work + "/epoch_" + std::to_string(kept[k]) + ".pth");
      }
    } else {
      summary.last_checkpoint = save("last.pth");
    }
  }
  summary.epochs = state.epoch;
  summary.steps = state.step;
  summary.best_top1 = state.best_metric;
  summary.skipped_steps = state.nonfinite_total;
  spdlog::info("done: {} epochs, {} steps in {}; best top-1 {:.2f}% (epoch {})", state.epoch, state.step,
               duration(seconds_since(run_start)), state.best_metric, state.best_epoch);
  return summary;
}

}  // namespace hornet::engine
