// The training loop (official engine.py / mmengine EpochBasedTrainLoop semantics).
#include "hornet/engine/trainer.h"

#include "hornet/ops/kernels/fused_ops.h"

#include "hornet/common/cuda_device.h"
#include "hornet/common/stop_signal.h"
#include "hornet/common/threads.h"
#include "hornet/data/batch_transforms.h"
#include "hornet/data/device_prefetch.h"
#include "hornet/data/encode.h"
#include "hornet/data/image_tensor.h"
#include "hornet/data/loader.h"
#include "hornet/data/rng.h"
#include "hornet/distributed/gradient_sync.h"
#include "hornet/distributed/process_group.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/evaluate.h"
#include "hornet/engine/metrics_log.h"
#include "hornet/engine/run_dir.h"
#include "hornet/engine/train_step.h"
#include "hornet/io/file_util.h"
#include "hornet/models/summary.h"
#include "hornet/models/weight_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace hornet::engine {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Stream tags: each kind of randomness gets its own generator per rank.
constexpr uint64_t kMixStream = 0x6d6978ULL;
constexpr uint64_t kDropPathStream = 0x64726f70ULL;

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

// Peak memory since the previous call: the CUDA caching allocator's (then
// reset), or on the CPU the process's peak resident size.
double peak_memory_mib(const torch::Device& device) {
  if (device.is_cuda()) {
    const int index = device.has_index() ? device.index() : 0;
    const double mib = static_cast<double>(common::cuda_peak_allocated_bytes(index)) / 1048576.0;
    common::cuda_reset_peak_memory(index);
    return mib;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// The first images of a batch (uint8 [n, 3, H, W]) tiled four wide, as PNG.
struct Picture {
  std::string png;
  int height = 0, width = 0;
};
Picture batch_grid(const torch::Tensor& images, int64_t count = 16) {
  const auto hwc =
      images.narrow(0, 0, std::min(count, images.size(0))).to(torch::kCPU).permute({0, 2, 3, 1}).contiguous();
  std::vector<cv::Mat> tiles;
  for (int64_t k = 0; k < hwc.size(0); ++k) tiles.push_back(data::tensor_to_image(hwc[k]));
  const auto grid = data::make_grid(tiles, 4);
  return {data::encode_png(grid), grid.rows, grid.cols};
}

// `dst` becomes another name for `src` (a hard link, or a copy), atomically.
void link_checkpoint(const std::string& src, const std::string& dst) {
  const std::string tmp = dst + ".tmp-link";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_hard_link(src, tmp, ec);
  if (ec) fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, dst);
}

// Temporaries of writes a killed run left behind never stand under a final name; clear them.
void clear_temporaries(const std::string& work) {
  for (const auto& e : fs::directory_iterator(work)) {
    const std::string name = e.path().filename().string();
    if ((name.front() == '.' && name.find(".tmp.") != std::string::npos) || name.find(".tmp-link") != std::string::npos) {
      fs::remove(e.path());
    }
  }
}

// Seeds this rank's torch CPU generator (drop path) from (seed, rank).
void seed_rank_generator(uint64_t seed, int rank) {
  torch::manual_seed(data::Rng({seed, static_cast<uint64_t>(rank), kDropPathStream}).next_u64() >> 1);
}

// Every rank must run the same recipe: compare the resolved configs.
void check_same_config(distributed::ProcessGroup& group, const std::string& resolved) {
  const auto all = group.allgather_text(resolved);
  std::vector<int> differ;
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) differ.push_back(static_cast<int>(r));
  }
  if (differ.empty()) return;
  std::string ranks;
  for (size_t k = 0; k < differ.size(); ++k) ranks += (k ? ", " : "") + std::to_string(differ[k]);
  throw std::invalid_argument("the ranks were started with different configs: rank(s) " + ranks +
                              " resolved a config that differs from rank 0's; start every rank with the same "
                              "config file and --set options");
}

class Trainer {
 public:
  Trainer(const config::ExperimentConfig& c, const config::Config& resolved, const TrainerOptions& options)
      : c_(c), resolved_(resolved.dump()), options_(options), work_(options.work_dir) {}

  TrainSummary run();

 private:
  void join_group();
  void build_data();
  void build_model();
  void resume_from(const std::string& path);
  void log_header() const;
  // Trains one epoch from state_.batch; false when a stop signal ended it.
  bool train_epoch(int64_t epoch);
  double validate(int64_t epoch);
  void end_epoch(int64_t epoch, double top1);
  std::string save(const std::string& name);
  bool leader() const { return rank_ == 0; }

  const config::ExperimentConfig& c_;
  const std::string resolved_;
  const TrainerOptions& options_;
  const std::string work_;

  distributed::LaunchEnvironment env_;
  std::unique_ptr<distributed::ProcessGroup> group_;
  int rank_ = 0;
  int world_ = 1;
  torch::Device device_{torch::kCPU};

  engine::DeviceSetup setup_;
  std::unique_ptr<data::DataLoader> train_loader_;
  std::unique_ptr<data::DevicePrefetcher> train_batches_;
  std::unique_ptr<data::Normalizer> normalize_;
  std::unique_ptr<data::DataLoader> val_loader_;
  std::string train_description_;
  std::vector<std::string> class_names_;  ///< the training set's, saved in checkpoints
  TrainingPlan plan_;
  models::ImageClassifier model_{nullptr};
  std::unique_ptr<TrainStep> step_;
  std::unique_ptr<MetricsLog> metrics_;
  TrainSummary summary_;
  Clock::time_point run_start_;
  int64_t micro_at_start_ = 0;
  bool batch_pictured_ = false;  ///< the first batch's grid went to TensorBoard
};

void Trainer::join_group() {
  env_ = distributed::detect_environment();
  rank_ = env_.rank;
  world_ = env_.world_size;
  device_ = torch::Device(c_.runtime.device);
  common::check_device_usable(device_, config::keys::kRuntimeDevice);
  if (!env_.distributed()) return;
  if (device_.is_cuda() && !device_.has_index()) {
    device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank));
  }
  // Rank 0 speaks for the run; the others report warnings and errors only.
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [rank " + std::to_string(rank_) + "] [%^%l%$] %v");
  if (!leader()) spdlog::set_level(spdlog::level::warn);
  distributed::GroupOptions o;
  o.backend = c_.distributed.backend;
  o.cuda = device_.is_cuda();
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(c_.distributed.timeout * 1000));
  o.timeout_setting = config::keys::kTimeout;
  group_ = std::make_unique<distributed::ProcessGroup>(env_, o);
  spdlog::info("joined the {} process group: {}", group_->backend(), env_.str());
  check_same_config(*group_, resolved_);
}

void Trainer::build_data() {
  if (c_.train.dataset.root.empty())
    throw std::invalid_argument(std::string("config: ") + config::keys::kTrainRoot + " is not set");
  // A dataset with more classes than the head has labels the model cannot output.
  const auto check_classes = [&](const data::Dataset& set) {
    if (set.num_classes() <= c_.model.num_classes) return;
    throw std::invalid_argument(std::string("config: ") + config::keys::kNumClasses + " is " +
                                std::to_string(c_.model.num_classes) + " but " + set.description() + " has " +
                                std::to_string(set.num_classes()));
  };
  auto train_set = open_dataset(c_.train.dataset, c_.model.num_classes);
  check_classes(train_set);
  if (train_set.num_classes() < c_.model.num_classes) {
    spdlog::warn("{} has {} classes, the model {} outputs ({}): the extra outputs are never a target",
                 train_set.description(), train_set.num_classes(), c_.model.num_classes,
                 config::keys::kNumClasses);
  }
  train_description_ = train_set.description();
  // Names worth keeping: folder names or a class-name file, not "0", "1", ...
  for (size_t k = 0; k < train_set.classes().size(); ++k) {
    if (train_set.classes()[k] != std::to_string(k)) {
      class_names_ = train_set.classes();
      break;
    }
  }
  plan_ = make_training_plan(c_, world_, train_set.size());
  data::LoaderOptions lo;
  lo.batch_size = plan_.micro_batch;
  lo.workers = c_.train.workers;
  lo.prefetch = c_.train.prefetch;
  lo.drop_last = true;
  lo.seed = c_.runtime.seed;
  lo.pin_memory = device_.is_cuda();
  data::SamplerOptions so;
  so.seed = c_.runtime.seed;
  so.shuffle_buffer = c_.train.shuffle_buffer;
  so.streams = c_.train.shard_streams;
  so.rank = rank_;
  so.world_size = world_;
  train_loader_ = std::make_unique<data::DataLoader>(std::move(train_set), data::make_train_transform(c_.train.pipeline),
                                                     so, lo);
  train_batches_ = std::make_unique<data::DevicePrefetcher>(*train_loader_, device_);
  normalize_ = std::make_unique<data::Normalizer>(device_, setup_.channels_last);
  // As the official loop: an epoch is steps_per_epoch whole optimizer steps;
  // batches left over by the accumulation are not used.
  if (train_loader_->batches_per_epoch() / plan_.accumulation != plan_.steps_per_epoch) {
    throw std::logic_error("trainer: the loader's epoch disagrees with the plan");
  }
  if (!c_.val.dataset.root.empty() && c_.runtime.val_interval > 0) {
    auto val_set = open_dataset(c_.val.dataset, c_.model.num_classes);
    check_classes(val_set);
    val_loader_ = make_val_loader(c_, std::move(val_set), 0, rank_, world_);
  }
}

void Trainer::build_model() {
  ops::kernels::set_fused_mode(c_.runtime.fused_kernels);
  torch::manual_seed(c_.runtime.seed);
  model_ = models::ImageClassifier(
      models::ImageClassifierOptions(models::HorNetOptions(c_.model.arch)
                                         .drop_path_rate(c_.model.drop_path_rate)
                                         .layer_scale_init_value(c_.model.layer_scale_init_value)
                                         .init(c_.model.init)
                                         .frozen_stages(c_.model.frozen_stages))
          .num_classes(c_.model.num_classes));
  if (!c_.runtime.load_from.empty()) {
    io::TorchFile file(c_.runtime.load_from);
    models::WeightLoadOptions lo;
    lo.strict = false;
    lo.reinit_mismatched_head = true;
    if (!c_.runtime.class_map.empty()) lo.class_index = models::read_class_index(c_.runtime.class_map);
    // As mmengine's load_from: the weights the file's framework evaluates, unless load_from_ema asks for EMA.
    const auto choice = c_.runtime.load_from_ema ? io::WeightChoice::kEma : io::WeightChoice::kDefault;
    const auto report = models::load_weights(*model_, file, io::find_weights(file.root(), choice), lo);
    // Fine-tuning needs the backbone; a head of another size is expected.
    size_t backbone = 0, absent = 0, misshaped = 0;
    for (const auto& p : model_->named_parameters()) backbone += p.key().rfind("backbone.", 0) == 0;
    for (const auto& k : report.missing) absent += k.rfind("backbone.", 0) == 0;
    for (const auto& m : report.mismatched) misshaped += m.key.rfind("backbone.", 0) == 0;
    if ((absent || misshaped) && c_.runtime.load_strict) {
      throw std::runtime_error(
          fmt::format("{} {} does not fit this model's backbone: {} of its {} backbone parameters missing, "
                      "{} of another shape "
                      "(another arch?); set {}: false to fine-tune from what fits\n{}",
                      config::keys::kLoadFrom, c_.runtime.load_from, absent, backbone, misshaped,
                      config::keys::kLoadStrict, report.str(5)));
    }
    spdlog::info("load_from {}: {}", c_.runtime.load_from, report.str(5));
  }
  place_model(*model_, setup_);
  if (group_) distributed::broadcast_state(*group_, *model_);
  seed_rank_generator(c_.runtime.seed, rank_);
  step_ = std::make_unique<TrainStep>(model_, c_, plan_, setup_.amp, group_.get());
  step_->state().world_size = world_;
  step_->state().accumulation = plan_.accumulation;
  step_->state().evaluated_weights = step_->ema() && c_.ema.evaluate ? "ema" : "raw";
  step_->state().class_names = class_names_;
}

void Trainer::resume_from(const std::string& path) {
  TrainState& state = step_->state();
  state = load_training_checkpoint(path, step_->parts());
  if (state.accumulation == 0) state.accumulation = plan_.accumulation;
  if (state.world_size == world_ && state.accumulation == plan_.accumulation &&
      static_cast<int64_t>(state.rank_rng.size()) == world_) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(state.rank_rng[static_cast<size_t>(rank_)]);
  } else {
    // The epoch's position in optimizer steps carries over; the micro-batch
    // index follows from the new accumulation. Unsharded, the same samples are
    // consumed (every world size reads the epoch's order round by round); shards
    // are dealt to ranks by the world size, so the epoch's order changes.
    const int64_t steps_done = state.batch / state.accumulation;
    const bool order_changes = !train_loader_->dataset().shard_sizes().empty() && state.world_size != world_;
    spdlog::warn(
        "{} was written by {} rank(s) with accumulation {}; continuing on {} rank(s) with accumulation {}: "
        "step {} of epoch {} resumes at micro-batch {}, and the per-rank random streams start afresh "
        "(the run continues, but not bit-identically){}",
        path, state.world_size, state.accumulation, world_, plan_.accumulation, steps_done, state.epoch + 1,
        steps_done * plan_.accumulation,
        order_changes ? "; the shards are dealt anew for the new world size, so the rest of this epoch "
                        "repeats some of its samples and skips others"
                      : "");
    state.batch = steps_done * plan_.accumulation;
    seed_rank_generator(c_.runtime.seed ^ static_cast<uint64_t>(state.step), rank_);
  }
  state.world_size = world_;
  state.accumulation = plan_.accumulation;
  state.evaluated_weights = step_->ema() && c_.ema.evaluate ? "ema" : "raw";
  state.rank_rng.clear();
  state.class_names = class_names_;
  spdlog::info("resumed from {} at epoch {}, batch {} (step {})", path, state.epoch + 1, state.batch, state.step);
}

void Trainer::log_header() const {
  spdlog::info("training {} ({} classes) on {}{}: {}", c_.model.arch.name, c_.model.num_classes, device_.str(),
               group_ ? ", " + std::to_string(world_) + " ranks (" + group_->backend() + ")" : "", setup_.str());
  const auto size = models::summarize(*model_, c_.train.pipeline.size);
  spdlog::info("model: {} ({}), {:.3g}M parameters, {:.3g} GFLOPs at {}x{}", size.arch, size.mixers,
               static_cast<double>(size.params) / 1e6, static_cast<double>(size.flops) / 1e9, size.input_size,
               size.input_size);
  for (const auto& line : plan_.describe()) spdlog::info("plan: {}", line);
  if (plan_.lr_scaled)
    spdlog::warn("the LR is scaled: {} differs from {}", config::keys::kTotalBatch,
                 config::keys::kBaseBatchSize);
  spdlog::info("data: {}{}", train_description_, world_ > 1 ? " (each rank reads its shard)" : "");
}

std::string Trainer::save(const std::string& name) {
  TrainState& state = step_->state();
  const auto own = at::detail::getDefaultCPUGenerator().get_state();
  if (group_) {
    for (const auto& t : group_->allgather(own.to(group_->device()))) state.rank_rng.push_back(t.cpu());
  } else {
    state.rank_rng = {own};
  }
  const std::string path = work_ + "/" + name;
  if (leader()) save_training_checkpoint(path, step_->parts(), state, resolved_);
  state.rank_rng.clear();
  return path;
}

bool Trainer::train_epoch(int64_t epoch) {
  TrainState& state = step_->state();
  const int64_t micro_per_epoch = plan_.micro_batches_per_epoch();
  const int64_t total_micro = c_.schedule.epochs * micro_per_epoch;
  train_batches_->start_epoch(epoch, state.batch);
  step_->start_epoch();
  double wait = 0.0, busy = 0.0, loss_sum = 0.0;
  int64_t images = 0, loss_n = 0;
  auto window = Clock::now();
  while (true) {
    const auto t0 = Clock::now();
    auto batch = train_batches_->next();
    wait += seconds_since(t0);
    if (!batch || batch->index >= micro_per_epoch) break;
    if (metrics_ && c_.runtime.tensorboard && !batch_pictured_) {
      const auto grid = batch_grid(batch->images);
      metrics_->add_image("train/first_batch", grid.png, grid.height, grid.width, state.step);
      batch_pictured_ = true;
    }
    const auto t1 = Clock::now();
    auto input = (*normalize_)(batch->images);
    data::Rng mix_rng({c_.runtime.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(batch->index), kMixStream,
                       static_cast<uint64_t>(rank_)});
    const auto mixed = data::mix_batch(input, batch->labels, c_.model.num_classes, mix_rng, c_.train.mixup);
    const auto r = step_->run(input, mixed.targets, common::StopSignals::requested() != 0);
    busy += seconds_since(t1);
    images += batch->images.size(0) * world_;
    if (r.optimizer_step && std::isfinite(r.step_loss)) {
      loss_sum += r.step_loss;
      ++loss_n;
    }
    state.batch = batch->index + 1;
    if (r.skipped) {
      spdlog::warn("step {}: non-finite loss or gradients, update skipped ({} in a row)", state.step,
                   state.nonfinite_in_a_row);
      if (state.nonfinite_in_a_row >= c_.runtime.max_nonfinite_steps) {
        throw std::runtime_error("stopping: " + std::to_string(state.nonfinite_in_a_row) +
                                 " optimizer steps in a row had a non-finite loss or gradients; the last good "
                                 "checkpoint in " + work_ + " is intact");
      }
    }
    const int64_t it = batch->index + 1;
    if (it % c_.runtime.log_interval == 0 || it == micro_per_epoch) {
      const double elapsed = seconds_since(window);
      const double done = static_cast<double>(epoch * micro_per_epoch + it - micro_at_start_);
      const double eta = seconds_since(run_start_) / std::max(done, 1.0) *
                         static_cast<double>(total_micro - epoch * micro_per_epoch - it);
      const double mean_loss = loss_n ? loss_sum / static_cast<double>(loss_n) : NAN;
      spdlog::info("epoch {}/{} {} {}/{} | loss {:.4f} | lr {:.3e} | {:.1f} img/s | data {:.0f}% | eta {}", epoch + 1,
                   c_.schedule.epochs, bar(it, micro_per_epoch), it, micro_per_epoch, mean_loss, r.lr,
                   static_cast<double>(images) / std::max(elapsed, 1e-9), 100.0 * wait / std::max(wait + busy, 1e-9),
                   duration(eta));
      if (metrics_) {
        MetricsRecord record;
        record.epoch = epoch + 1;
        record.iter = state.iteration;
        record.step = state.step;
        record.loss = mean_loss;
        record.lr = r.lr;
        record.images_per_s = static_cast<double>(images) / std::max(elapsed, 1e-9);
        record.data_wait = wait / std::max(wait + busy, 1e-9);
        record.memory_mib = peak_memory_mib(device_);
        metrics_->append(record);
      }
      window = Clock::now();
      images = 0;
      loss_sum = 0.0;
      loss_n = 0;
      wait = busy = 0.0;
    }
    if (r.stop) {
      summary_.last_checkpoint = save("last.pth");
      if (leader()) {
        spdlog::warn("stopped by a signal after step {} (epoch {}, batch {}): saved {}; continue with --resume auto",
                     state.step, epoch + 1, state.batch, summary_.last_checkpoint);
      }
      summary_.stopped = true;
      return false;
    }
    if (c_.runtime.checkpoint_every_iters > 0 && r.optimizer_step &&
        state.iteration % c_.runtime.checkpoint_every_iters == 0 && it < micro_per_epoch) {
      summary_.last_checkpoint = save("last.pth");
    }
  }
  state.epoch = epoch + 1;
  state.batch = 0;
  const auto stats = train_loader_->stats();
  if (stats.skipped || stats.warnings) spdlog::warn("data: {}", stats.str());
  return true;
}

double Trainer::validate(int64_t epoch) {
  if (!val_loader_ || (epoch + 1) % c_.runtime.val_interval != 0) return -1.0;
  const bool on_ema = step_->ema() && c_.ema.evaluate;
  auto& evaluated = on_ema ? step_->ema()->module() : step_->model();
  const auto result = evaluate(*evaluated, *val_loader_, false, group_.get(), c10::ScalarType::Undefined,
                               setup_.channels_last);
  if (result.samples == 0) {
    spdlog::warn("epoch {}: no validation image could be read ({}); no accuracy this epoch", epoch + 1,
                 val_loader_->stats().str());
    return -1.0;
  }
  summary_.last_top1 = result.top1;
  spdlog::info("epoch {}/{} val ({} weights): top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}  ({} images)", epoch + 1,
               c_.schedule.epochs, on_ema ? "EMA" : "raw", result.top1, result.top5, result.loss, result.samples);
  if (metrics_) {
    MetricsRecord record;
    record.mode = MetricsRecord::Mode::kVal;
    record.epoch = epoch + 1;
    record.step = step_->state().step;
    record.top1 = result.top1;
    record.top5 = result.top5;
    record.loss = result.loss;
    record.weights = on_ema ? "ema" : "raw";
    metrics_->append(record);
  }
  return result.top1;
}

void Trainer::end_epoch(int64_t epoch, double top1) {
  TrainState& state = step_->state();
  const bool improved = top1 >= 0 && top1 > state.best_metric;
  if (improved) {
    state.best_metric = top1;
    state.best_epoch = epoch + 1;
  }
  const bool periodic = (epoch + 1) % c_.runtime.checkpoint_interval == 0 || epoch + 1 == c_.schedule.epochs;
  if (!periodic && !improved) {
    summary_.last_checkpoint = save("last.pth");
    return;
  }
  const std::string path = save("epoch_" + std::to_string(epoch + 1) + ".pth");
  summary_.last_checkpoint = work_ + "/last.pth";
  if (improved) summary_.best_checkpoint = work_ + "/best.pth";
  if (!leader()) return;
  link_checkpoint(path, work_ + "/last.pth");
  if (improved) link_checkpoint(path, work_ + "/best.pth");
  prune_epoch_checkpoints(work_, c_.runtime.keep_checkpoints);
}

TrainSummary Trainer::run() {
  if (work_.empty()) throw std::invalid_argument("train: no work directory");
  const auto contents = inspect_work_dir(work_);
  if (contents.holds_run() && options_.resume.empty() && !options_.resume_requested && !options_.overwrite) {
    throw std::invalid_argument("the work dir " + work_ + " holds a run (" + contents.str() +
                                "): continue it with --resume auto, start elsewhere with --work-dir, or replace it "
                                "with --overwrite");
  }
  join_group();
  // Threads "one per core" share the node's cores between its ranks.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  common::set_threads(c_.runtime.threads > 0 ? c_.runtime.threads : std::max(1, cores / env_.local_world_size));
  setup_ = resolve_device_setup(c_.runtime, device_);
  apply_math_switches(setup_);
  // Everything that can fail on bad input fails here, before the first step.
  build_data();
  build_model();
  if (!options_.resume.empty()) resume_from(options_.resume);
  // Only now, with every input checked, does the work dir change.
  if (leader()) {
    fs::create_directories(work_);
    clear_temporaries(work_);
    if (options_.overwrite && options_.resume.empty() && contents.holds_run()) {
      spdlog::warn("--overwrite: removing the previous run's {} from {}", contents.str(), work_);
      clear_work_dir(work_);
    }
    io::write_file_atomic(work_ + "/config.yaml", resolved_);
    // Lines logged after the checkpoint this run continues from would appear twice.
    truncate_metrics(work_ + "/metrics.jsonl", step_->state().step, step_->state().epoch);
    metrics_ = std::make_unique<MetricsLog>(
        work_ + "/metrics.jsonl", c_.runtime.tensorboard ? work_ + "/tensorboard" : "", step_->state().step);
  }
  log_header();

  const common::StopSignals signals;
  TrainState& state = step_->state();
  run_start_ = Clock::now();
  micro_at_start_ = state.epoch * plan_.micro_batches_per_epoch() + state.batch;
  for (int64_t epoch = state.epoch; epoch < c_.schedule.epochs; ++epoch) {
    if (!train_epoch(epoch)) break;
    end_epoch(epoch, validate(epoch));
  }
  if (group_) group_->barrier();
  summary_.epochs = state.epoch;
  summary_.steps = state.step;
  summary_.best_top1 = state.best_metric;
  summary_.skipped_steps = state.nonfinite_total;
  if (!summary_.stopped) {
    spdlog::info("done: {} epochs, {} steps in {}; best top-1 {:.2f}% (epoch {})", state.epoch, state.step,
                 duration(seconds_since(run_start_)), state.best_metric, state.best_epoch);
  }
  return summary_;
}

}  // namespace

TrainSummary train(const config::ExperimentConfig& c, const config::Config& resolved, const TrainerOptions& options) {
  Trainer trainer(c, resolved, options);
  return trainer.run();
}

}  // namespace hornet::engine
