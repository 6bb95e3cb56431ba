// hornet-eval: summarise, run and inspect HorNet models and checkpoints.
//
//   hornet-eval --summary [--arch A] | CONFIG --summary   parameter/FLOPs table
//   hornet-eval --forward [--arch A]                 one forward pass per arch
//   hornet-eval --arch A --benchmark-train|--benchmark-eval [--batch-size B] [--steps N] [--device D]
//               [--amp T] [--channels-last auto|true|false] [--activation-checkpointing]
//                                                    time the training step (or the forward) on synthetic data
//   hornet-eval --zoo                                the published checkpoints and their accuracy
//   hornet-eval --checkpoint F --inspect             what a checkpoint holds
//   hornet-eval --arch A --checkpoint F [--weights W] [--num-classes N] [--class-map M] [--mmap]
//               [--input-npy X.npy --dump-logits Y.npy] [--device D] [--amp T]
//                                                    load (and run) a checkpoint
//   hornet-eval --arch A --checkpoint F --predict IMAGE_OR_FOLDER... [--topk K] [--class-names FILE]
//               [--out predictions.json] [--dump-logits Y.npy]   classify images
//   hornet-eval CONFIG --checkpoint F [--data DIR_OR_ANN] [--weights W] [--batch-size B] [--device D] [--amp T]
//               [--out result.json] [--dump-logits Y.npy] validate: top-1 / top-5, per class
//   hornet-eval CONFIG --checkpoint F --predict IMAGE_OR_FOLDER... [...]
//                                                    classify with the config's model and test pipeline
#include "hornet/common/cli.h"
#include "hornet/common/cuda_device.h"
#include "hornet/common/version.h"
#include "hornet/distributed/environment.h"
#include "hornet/distributed/process_group.h"
#include "hornet/config/experiment.h"
#include "hornet/engine/benchmark.h"
#include "hornet/engine/device_setup.h"
#include "hornet/engine/evaluate.h"
#include "hornet/data/dataset.h"
#include "hornet/engine/predict.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"
#include "hornet/io/npy.h"
#include "hornet/ops/autocast.h"
#include "hornet/models/arch.h"
#include "hornet/models/checkpoint.h"
#include "hornet/models/published.h"
#include "hornet/models/summary.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

namespace models = hornet::models;

int main(int argc, char** argv) {
  CLI::App app{"hornet-eval: summarise, run and inspect HorNet models and checkpoints"};
  std::string config_path, data_path, out_json;
  std::vector<std::string> overrides;
  std::string arch, checkpoint, input_npy, dump_logits, class_map, class_names, device, amp = "off";
  std::vector<std::string> predict;
  int topk = 5;
  bool summary = false, forward = false, inspect = false, use_ema = false, bench_train = false, zoo = false;
  bool bench_eval = false, checkpointing = false;
  std::string channels_last = "auto";
  int bench_steps = 10;
  int64_t num_classes = 0, image_size = 0, batch_size = 0;
  int threads = 0;
  app.add_option("config", config_path, "A recipe (YAML): validate --checkpoint on --data with its model and test pipeline")
      ->check(CLI::ExistingFile);
  app.add_option("--data", data_path, "Validation data: ImageFolder root or annotation file (default: the config's data.val)");
  app.add_option("--out", out_json,
                 "Write the results as JSON: validation metrics with per-class accuracy and the confusion matrix "
                 "(scripts/plot_confusion.py draws it), or --predict's predictions");
  app.add_option("--set", overrides, "Override a config value: key.path=value");
  app.add_option("--arch", arch, "Zoo arch or alias (tiny, tiny-gf, small, ..., large-gf384)");
  app.add_flag("--zoo", zoo, "List the published checkpoints hornet knows, with their published accuracy");
  app.add_flag("--summary", summary, "Print parameter counts and FLOPs (conv + linear multiply-accumulates)");
  app.add_flag("--forward", forward, "Run one forward pass on random input and report shape and time");
  app.add_flag("--benchmark-train", bench_train,
               "Time training steps (forward, loss, backward, AdamW) of --arch on synthetic data");
  app.add_flag("--benchmark-eval", bench_eval, "Time the forward pass without gradients on synthetic data");
  app.add_option("--steps", bench_steps, "Timed steps of --benchmark-train/--benchmark-eval")->check(CLI::Range(1, 100000));
  app.add_option("--channels-last", channels_last,
                 "Benchmarks: channels-last activations and conv weights (auto: on CUDA)")
      ->check(CLI::IsMember({"auto", "true", "false"}));
  app.add_flag("--activation-checkpointing", checkpointing,
               "--benchmark-train: recompute each block in the backward pass instead of storing its activations");
  app.add_option("--checkpoint", checkpoint, "A torch.save file (mmpretrain, official repository or hornet)")
      ->check(CLI::ExistingFile);
  bool map_file = false;
  app.add_flag("--mmap", map_file,
               "With --arch: parameters map the checkpoint's pages (copy-on-write) instead of reading them: a "
               "near-instant load, pages read when first used; zip records' CRC-32s are not checked (torch.load "
               "does not check them either)");
  app.add_flag("--inspect", inspect, "Print the checkpoint's structure and what its weights are");
  std::string weights_text = "default";
  auto* weights_option = app.add_option("--weights", weights_text,
                                        "Which weights of the checkpoint: default (those its framework evaluates: "
                                        "mmengine's state_dict, the official model, the ones hornet's log reported), "
                                        "raw or ema")
                             ->check(CLI::IsMember({"default", "raw", "ema"}));
  app.add_flag("--use-ema", use_ema, "The same as --weights ema");
  app.add_option("--class-map", class_map, "torch.save file of an int64 index selecting head rows (22k -> 1k)")
      ->check(CLI::ExistingFile);
  app.add_option("--input-npy", input_npy, "Float32 NCHW batch (.npy) to run through the checkpoint")
      ->check(CLI::ExistingFile);
  app.add_option("--dump-logits", dump_logits,
                 "Write the float32 logits of the validation, --input-npy or --predict here (.npy); a validation also "
                 "writes <stem>.labels.npy and <stem>.paths.txt, row for row");
  app.add_option("--predict", predict,
                 "Image files or folders (searched recursively) to classify with the evaluation preprocessing");
  app.add_option("--topk", topk, "Classes to print per image with --predict")->check(CLI::Range(1, 100000));
  app.add_option("--class-names", class_names,
                 "Text file with one class name per line, for --predict (default: the config's, or those the "
                 "checkpoint carries)")
      ->check(CLI::ExistingFile);
  app.add_option("--num-classes", num_classes,
                 "Classifier outputs (default: 1000, or what the checkpoint or class map says)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app.add_option("--image-size", image_size,
                 "Square input size: --summary/--forward default to the arch's own (224 or 384); with "
                 "--checkpoint, GF filters are resized once to this size's grids")
      ->check(CLI::Range(int64_t{0}, int64_t{8192}));
  app.add_option("--batch-size", batch_size,
                 "Batch size of validation (default: the config's), --predict (32), --forward and --benchmark-train "
                 "(1, 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app.add_option("--device", device, "cpu or cuda[:N] (with a config: runtime.device)");
  app.add_option("--amp", amp,
                 "Mixed precision: off (default), auto (bf16 on GPUs that have it), bf16 or fp16 (CUDA only)")
      ->check(CLI::IsMember({"auto", "off", "bf16", "fp16"}));
  app.add_option("--threads", threads, "Intra-op threads (0: one per core)")->check(CLI::Range(0, 4096));
  app.set_version_flag("--version", hornet::version_text());
  CLI11_PARSE(app, argc, argv);

  return hornet::common::run_command("hornet-eval", [&]() -> int {
    hornet::common::set_threads(threads);
    if (use_ema && weights_text != "default" && weights_text != "ema") {
      throw std::invalid_argument("--use-ema means --weights ema; it contradicts --weights " + weights_text);
    }
    const auto weights = use_ema ? hornet::io::WeightChoice::kEma : hornet::io::parse_weight_choice(weights_text);
    const bool weights_given = use_ema || weights_option->count() > 0;
    // Every option given must belong to the mode the command selects.
    const auto given = hornet::common::given_options(app);
    const std::vector<std::string> always{"--threads", "--help", "--version"};
    const auto allow = [&](std::vector<std::string> names, const std::string& mode) {
      names.insert(names.end(), always.begin(), always.end());
      hornet::common::check_mode_options(given, names, mode);
    };
    const std::vector<std::string> predict_options{"--predict", "--topk", "--class-names", "--out", "--dump-logits",
                                                   "--batch-size", "--device", "--amp", "--weights", "--use-ema",
                                                   "--checkpoint"};
    const auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
      a.insert(a.end(), b.begin(), b.end());
      return a;
    };
    if (zoo) {
      allow({"--zoo"}, "--zoo");
    } else if (!config_path.empty() && !predict.empty()) {
      allow(with({"config", "--set"}, predict_options), "prediction with a config (CONFIG --checkpoint F --predict ...)");
    } else if (!config_path.empty() && summary) {
      allow({"config", "--set", "--summary", "--image-size"}, "the summary of a config's model (CONFIG --summary)");
    } else if (!config_path.empty()) {
      allow({"config", "--checkpoint", "--data", "--out", "--set", "--weights", "--use-ema", "--batch-size",
             "--dump-logits", "--device", "--amp"},
            "validation of a config (CONFIG --checkpoint F [--data D])");
    } else if (inspect) {
      allow({"--checkpoint", "--inspect"}, "--inspect");
    } else if (!checkpoint.empty() && !predict.empty()) {
      allow(with({"--arch", "--num-classes", "--class-map", "--image-size", "--mmap"}, predict_options),
            "prediction with a checkpoint (--arch A --checkpoint F --predict ...)");
    } else if (!checkpoint.empty()) {
      allow({"--arch", "--checkpoint", "--weights", "--use-ema", "--num-classes", "--class-map", "--image-size",
             "--mmap", "--input-npy", "--dump-logits", "--device", "--amp"},
            "a checkpoint without a config (--arch A --checkpoint F)");
    } else if (bench_train || bench_eval) {
      if (bench_train && bench_eval) throw std::invalid_argument("--benchmark-train and --benchmark-eval: give one");
      std::vector<std::string> options{"--arch", "--steps", "--batch-size", "--image-size", "--num-classes",
                                       "--device", "--amp", "--channels-last"};
      options.push_back(bench_train ? "--benchmark-train" : "--benchmark-eval");
      if (bench_train) options.push_back("--activation-checkpointing");
      allow(options, bench_train ? "--benchmark-train" : "--benchmark-eval");
    } else {
      allow({"--arch", "--summary", "--forward", "--num-classes", "--image-size", "--batch-size"},
            "--summary/--forward");
    }
    if (zoo) {
      std::cout << models::format_published_table() << std::flush;
      return 0;
    }
    // What --predict prints or writes, whichever model made the predictions.
    const auto report_predictions = [&](const hornet::engine::PredictResult& result,
                                        const std::vector<std::string>& names) {
      std::cout << hornet::engine::format_predictions(result.predictions, names) << std::flush;
      for (const auto& skip : result.skipped) spdlog::warn("skipped {}: {}", skip.path, skip.reason);
      if (!out_json.empty()) {
        hornet::io::write_file_atomic(out_json, hornet::engine::predictions_json(result, names));
        std::printf("wrote %zu predictions to %s\n", result.predictions.size(), out_json.c_str());
      }
      if (!dump_logits.empty()) hornet::io::write_npy(dump_logits, result.logits);
      if (!result.skipped.empty()) {
        std::fprintf(stderr, "hornet-eval: %zu of %zu images could not be read and were skipped\n",
                     result.skipped.size(), result.skipped.size() + result.predictions.size());
      }
    };
    const int64_t predict_batch = batch_size > 0 ? batch_size : 32;
    // --device without a config (with one it sets runtime.device).
    const auto device_option = [&] {
      const torch::Device target(device.empty() ? "cpu" : device);
      hornet::common::check_device_usable(target, "--device");
      return target;
    };
    if (!config_path.empty()) {
      auto config = hornet::config::Config::load(config_path);
      for (const auto& o : overrides) config.set(o);
      if (!device.empty()) config.set("runtime.device=" + device);
      const auto e = hornet::config::parse_experiment(config);
      if (summary) {
        std::cout << models::format_summary_table({models::summarize(e.model.arch, e.model.num_classes, image_size)})
                  << std::flush;
        return 0;
      }
      if (checkpoint.empty()) throw std::invalid_argument("validating a config needs --checkpoint");
      if (!predict.empty()) {
        const auto paths = hornet::engine::expand_image_paths(predict);
        auto model = hornet::engine::load_classifier(e, checkpoint, weights);
        std::vector<std::string> fallback;
        if (!e.val.dataset.class_names.empty()) {
          fallback = hornet::data::read_class_names(e.val.dataset.class_names);
        } else {
          fallback = models::checkpoint_class_names(checkpoint);
        }
        const auto names = hornet::engine::choose_class_names(class_names, model->num_classes(), fallback);
        const auto autocast =
            hornet::engine::autocast_type(hornet::engine::resolve_amp(amp, model->parameters().front().device()));
        report_predictions(hornet::engine::predict(*model, paths, e.val.pipeline, topk, predict_batch, autocast), names);
        return 0;
      }
      const auto published = models::compare_with_published(checkpoint);
      if (published && !published->hash_ok) spdlog::warn("{}", published->hash_message);
      hornet::engine::ValidateOptions vo;
      vo.data = data_path;
      vo.weights = weights;
      vo.batch_size = batch_size;
      vo.keep_logits = !dump_logits.empty();
      vo.amp = amp;
      const auto result = hornet::engine::validate_checkpoint(e, checkpoint, vo);
      const auto line = [&](const hornet::engine::EvalResult& r) {
        std::printf("%s: top-1 %.2f%%  top-5 %.2f%%  (%lld images, %s weights from %s)\n", checkpoint.c_str(), r.top1,
                    r.top5, static_cast<long long>(r.samples), r.ema ? "EMA" : "raw", r.weights_source.c_str());
      };
      line(result);
      // Both weights, as the official --model_ema_eval reports them, unless one was asked for.
      std::optional<hornet::engine::EvalResult> other;
      if (result.file_has_both && !weights_given) {
        vo.weights = result.ema ? hornet::io::WeightChoice::kRaw : hornet::io::WeightChoice::kEma;
        vo.keep_logits = false;
        other = hornet::engine::validate_checkpoint(e, checkpoint, vo);
        line(*other);
      }
      std::vector<std::pair<std::string, std::string>> extra{{"checkpoint", hornet::io::json_string(checkpoint)}};
      if (published) {
        std::printf("%s\n", models::describe_against_published(*published, result.top1, result.top5).c_str());
        extra.emplace_back("published", models::published_json(*published, result.top1, result.top5));
      }
      if (!out_json.empty()) {
        hornet::io::write_file_atomic(out_json, hornet::engine::eval_report_json(result, e.model.num_classes,
                                                                                 other ? &*other : nullptr, extra));
        std::printf("wrote the metrics, per-class accuracy and confusion matrix to %s\n", out_json.c_str());
      }
      if (!dump_logits.empty()) {
        const auto files = hornet::engine::write_logits(dump_logits, result);
        std::printf("wrote the logits to %s, labels to %s, image paths to %s\n", files[0].c_str(), files[1].c_str(),
                    files[2].c_str());
      }
      return 0;
    }
    if (!checkpoint.empty()) {
      if (inspect) {
        hornet::io::TorchFile file(checkpoint);
        std::cout << models::inspect_checkpoint(file) << std::flush;
        return 0;
      }
      if (arch.empty()) throw std::invalid_argument("--checkpoint needs --arch (or --inspect)");
      if (!dump_logits.empty() && input_npy.empty() && predict.empty()) {
        throw std::invalid_argument("--dump-logits needs --input-npy or --predict");
      }
      const auto target = device_option();
      const auto autocast = hornet::engine::autocast_type(hornet::engine::resolve_amp(amp, target));
      const auto paths = predict.empty() ? std::vector<std::string>{} : hornet::engine::expand_image_paths(predict);
      models::CheckpointModelOptions options;
      options.num_classes = num_classes;
      options.weights = weights;
      options.class_map = class_map;
      options.image_size = image_size;
      options.map_file = map_file;
      auto loaded = models::classifier_from_checkpoint(arch, checkpoint, options);
      loaded.model->to(target);
      std::printf("loaded %zu tensors (%zu mapped) from %s (%s layout) in %.3f s into %s, %lld classes (CRC-32 "
                  "checks: %.3f s of thread time)\n",
                  loaded.report.loaded, loaded.report.mapped, loaded.source.c_str(),
                  loaded.layout == models::KeyLayout::kOfficial ? "official" : "mmpretrain", loaded.load_seconds,
                  loaded.model->arch().mixers_str().c_str(), static_cast<long long>(loaded.model->num_classes()),
                  loaded.crc_seconds);
      if (!loaded.report.adapted.empty()) std::printf("%s\n", loaded.report.str().c_str());
      if (!paths.empty()) {
        const int64_t size = image_size > 0 ? image_size : loaded.model->arch().input_size;
        const auto names = hornet::engine::choose_class_names(class_names, loaded.model->num_classes(),
                                                              models::checkpoint_class_names(checkpoint));
        report_predictions(hornet::engine::predict(*loaded.model, paths,
                                                   hornet::data::eval_options_for_size(static_cast<int>(size)), topk,
                                                   predict_batch, autocast),
                           names);
      }
      if (!input_npy.empty()) {
        const auto input = hornet::io::read_npy(input_npy);
        if (input.scalar_type() != torch::kFloat32 || input.dim() != 4) {
          std::ostringstream os;
          os << input_npy << ": expected a float32 NCHW batch, got " << input.scalar_type() << " " << input.sizes();
          throw std::invalid_argument(os.str());
        }
        if (image_size > 0 && (input.size(2) != image_size || input.size(3) != image_size)) {
          std::ostringstream os;
          os << input_npy << ": input is " << input.size(2) << "x" << input.size(3) << ", but --image-size is "
             << image_size;
          throw std::invalid_argument(os.str());
        }
        loaded.model->eval();
        torch::NoGradGuard no_grad;
        torch::Tensor logits;
        {
          std::optional<hornet::ops::AutocastGuard> guard;
          if (autocast != c10::ScalarType::Undefined) guard.emplace(target.type(), autocast);
          logits = loaded.model->forward(input.to(target)).to(torch::kCPU, torch::kFloat32);
        }
        if (!dump_logits.empty()) hornet::io::write_npy(dump_logits, logits);
        std::printf("logits %s for input %s%s\n", c10::str(logits.sizes()).c_str(), c10::str(input.sizes()).c_str(),
                    dump_logits.empty() ? "" : (" written to " + dump_logits).c_str());
      }
      return 0;
    }
    if (inspect) throw std::invalid_argument("--inspect needs --checkpoint");
    if (bench_train || bench_eval) {
      if (arch.empty()) throw std::invalid_argument(std::string(bench_train ? "--benchmark-train" : "--benchmark-eval") +
                                                    " needs --arch");
      hornet::engine::BenchmarkOptions bo;
      bo.arch = models::arch_by_name(arch);
      bo.image_size = image_size > 0 ? image_size : bo.arch.input_size;
      bo.batch_size = batch_size > 0 ? batch_size : 16;
      bo.steps = bench_steps;
      bo.num_classes = num_classes ? num_classes : 1000;
      hornet::config::RuntimeConfig runtime;
      runtime.amp = amp;
      runtime.channels_last = channels_last;
      runtime.activation_checkpointing = checkpointing;
      const auto target = device_option();
      bo.setup = hornet::engine::resolve_device_setup(runtime, target);
      const auto memory = [](const hornet::engine::StepTiming& t) {
        return t.peak_memory < 0 ? std::string()
                                 : ", peak memory " + std::to_string(t.peak_memory / (1 << 20)) + " MiB";
      };
      if (bench_eval) {
        const auto t = hornet::engine::benchmark_inference(bo);
        std::printf("eval forward %s batch %lld at %lld on %s (%s): median %.4f s, %.2f images/s%s (%d steps, %d "
                    "threads)\n",
                    bo.arch.name.c_str(), static_cast<long long>(bo.batch_size), static_cast<long long>(bo.image_size),
                    target.str().c_str(), bo.setup.str().c_str(), t.median, t.images_per_second, memory(t).c_str(),
                    bench_steps, at::get_num_threads());
        return 0;
      }
      // Started by a launcher (torchrun's variables): every rank times its step in one process group.
      const auto env = hornet::distributed::detect_environment();
      std::unique_ptr<hornet::distributed::ProcessGroup> group;
      if (env.distributed()) {
        hornet::distributed::GroupOptions o;
        o.timeout = std::chrono::minutes(5);
        o.cuda = target.is_cuda();
        group = std::make_unique<hornet::distributed::ProcessGroup>(env, o);
      }
      const auto t = hornet::engine::benchmark_train_step(bo, group.get());
      if (env.rank != 0) return 0;
      std::printf("train step %s batch %lld at %lld on %s (%s): median %.4f s, %.2f images/s%s (%d steps, %d threads, "
                  "%d rank(s))\n",
                  bo.arch.name.c_str(), static_cast<long long>(bo.batch_size), static_cast<long long>(bo.image_size),
                  target.str().c_str(), bo.setup.str().c_str(), t.median, t.images_per_second, memory(t).c_str(),
                  bench_steps, at::get_num_threads(), env.world_size);
      if (group) {
        std::printf("all-reduce: %lld buckets, %.1f MB: %.4f s alone, %.4f s exposed after backward, %.0f%% of the "
                    "buckets launched during backward\n",
                    static_cast<long long>(t.buckets), static_cast<double>(t.bucket_bytes) / 1e6, t.allreduce_seconds,
                    t.exposed_seconds, 100.0 * t.launched_in_backward);
      }
      return 0;
    }
    if (!summary && !forward) {
      std::cerr << app.help() << "\nhornet-eval: nothing to do: give --summary, --forward or --checkpoint\n";
      return 2;
    }
    std::vector<models::ArchSpec> archs;
    if (arch.empty()) {
      archs = models::arch_zoo();
    } else {
      archs.push_back(models::arch_by_name(arch));
    }
    const int64_t classes = num_classes ? num_classes : 1000;
    if (summary) {
      std::vector<models::ModelSummary> rows;
      for (const auto& a : archs) rows.push_back(models::summarize(a, classes, image_size));
      std::cout << models::format_summary_table(rows) << std::flush;
    }
    if (forward) {
      int failures = 0;
      for (const auto& a : archs) {
        const auto r = models::run_forward_check(a, batch_size > 0 ? batch_size : 1, image_size, classes);
        std::printf("forward %-12s input %-18s -> logits %-12s %7.2f s %s\n", r.arch.c_str(),
                    c10::str(c10::IntArrayRef(r.input_shape)).c_str(),
                    c10::str(c10::IntArrayRef(r.output_shape)).c_str(), r.seconds,
                    r.finite ? "finite" : "NON-FINITE");
        std::fflush(stdout);
        failures += r.finite ? 0 : 1;
      }
      if (failures) throw std::runtime_error(std::to_string(failures) + " forward passes produced non-finite logits");
    }
    return 0;
  });
}
