// Parameter and FLOP counting, and the model-zoo table.
#include "hornet/models/summary.h"

#include "hornet/models/classifier.h"
#include "hornet/models/init.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace hornet::models {

int64_t conv2d_macs(const Conv2dImpl& conv, int64_t height, int64_t width) {
  const auto& o = conv.options;
  const int64_t kernel = o.kernel_size() * o.kernel_size();
  return conv.output_size(height) * conv.output_size(width) * o.out_channels() * (o.in_channels() / o.groups()) *
         kernel;
}

int64_t linear_macs(const LinearImpl& linear, int64_t tokens) {
  return tokens * linear.in_features * linear.out_features;
}

int64_t layer_norm_flops(int64_t elements) { return 5 * elements; }

int64_t fft_flops(int64_t channels, int64_t height, int64_t width) {
  const int64_t n = channels * height;
  int64_t log2_ceil = 0;
  while ((int64_t{1} << log2_ceil) < n) ++log2_ceil;
  return n * width * log2_ceil;
}

FlopConvention parse_flop_convention(const std::string& name) {
  if (name == "mmpretrain") return FlopConvention::kMmpretrain;
  if (name == "official") return FlopConvention::kOfficial;
  throw std::invalid_argument("unknown FLOPs convention '" + name + "'; valid: mmpretrain, official");
}

namespace {

ImageClassifier build(const ArchSpec& arch, int64_t num_classes) {
  return ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(num_classes));
}

int64_t param_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

// Rows are filled per layer; per stage, each layer adds to its stage's row.
class RowSink {
 public:
  explicit RowSink(bool per_layer) : per_layer_(per_layer) {}
  void add(const std::string& stage, const std::string& layer, const torch::nn::Module& module, int64_t flops,
           std::vector<int64_t> shape) {
    const std::string& name = per_layer_ ? layer : stage;
    if (rows_.empty() || rows_.back().name != name) rows_.push_back({name, 0, 0, {}});
    rows_.back().params += param_count(module);
    rows_.back().flops += flops;
    rows_.back().output_shape = std::move(shape);
  }
  std::vector<FlopRow> take() { return std::move(rows_); }

 private:
  bool per_layer_;
  std::vector<FlopRow> rows_;
};

}  // namespace

std::vector<FlopRow> count_flops(const ImageClassifierImpl& model, int64_t input_size,
                                 FlopConvention convention, bool per_layer) {
  RowSink sink(per_layer);
  const auto& backbone = *model.backbone;
  int64_t h = input_size, w = input_size;
  for (int64_t i = 0; i < kNumStages; ++i) {
    const std::string stage = "stage " + std::to_string(i), prefix = "backbone.";
    const auto& down = backbone.downsample_layers->at<torch::nn::SequentialImpl>(i);
    const auto& conv = *down.ptr<Conv2dImpl>(i == 0 ? 0 : 1);
    const int64_t down_flops = conv2d_macs(conv, h, w);
    h = conv.output_size(h);
    w = conv.output_size(w);
    const int64_t dim = backbone.stage_dims()[static_cast<size_t>(i)];
    sink.add(stage, prefix + "downsample_layers." + std::to_string(i), down, down_flops, {dim, h, w});
    const auto& blocks = backbone.stages->at<torch::nn::SequentialImpl>(i);
    for (size_t j = 0; j < blocks.size(); ++j) {
      const auto& block = *blocks.ptr<HorNetBlockImpl>(j);
      sink.add(stage, prefix + "stages." + std::to_string(i) + "." + std::to_string(j), block,
               block.flops(h, w, convention), {dim, h, w});
    }
  }
  // The classifier's final norm acts on the pooled vector; the official model's is an nn.LayerNorm.
  const int64_t width = backbone.stage_dims().back();
  const auto& norm = *backbone.norms.back();
  sink.add("head", "backbone.norm3", norm,
           convention == FlopConvention::kOfficial ? layer_norm_flops(width) : 0, {width});
  sink.add("head", "head.fc", *model.head->fc, linear_macs(*model.head->fc, 1), {model.num_classes()});
  return sink.take();
}

ModelSummary summarize(const ArchSpec& arch, int64_t num_classes, int64_t input_size,
                       FlopConvention convention, bool per_layer) {
  // Counting needs shapes only, not values.
  const SkipInitGuard no_init;
  return summarize(*build(arch, num_classes), input_size, convention, per_layer);
}

ModelSummary summarize(const ImageClassifierImpl& model, int64_t input_size, FlopConvention convention,
                       bool per_layer) {
  const int64_t size = input_size > 0 ? input_size : model.arch().input_size;
  ModelSummary s;
  s.arch = model.arch().name;
  s.mixers = model.arch().mixers_str();
  s.input_size = size;
  s.num_classes = model.num_classes();
  s.params = param_count(model);
  s.convention = convention;
  s.rows = count_flops(model, size, convention, per_layer);
  for (const auto& row : s.rows) s.flops += row.flops;
  return s;
}

std::string format_summary_table(const std::vector<ModelSummary>& rows) {
  std::ostringstream os;
  char line[256];
  const bool official = !rows.empty() && rows.front().convention == FlopConvention::kOfficial;
  std::snprintf(line, sizeof line, "%-14s %-24s %6s %8s %14s %9s %15s %8s\n", "arch", "mixers", "input",
                "classes", "params", "params(M)", official ? "FLOPs(official)" : "FLOPs(MACs)", "GFLOPs");
  os << line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%-14s %-24s %6lld %8lld %14lld %9.2f %15lld %8.2f\n", r.arch.c_str(),
                  r.mixers.c_str(), static_cast<long long>(r.input_size),
                  static_cast<long long>(r.num_classes), static_cast<long long>(r.params), r.params / 1e6,
                  static_cast<long long>(r.flops), r.flops / 1e9);
    os << line;
  }
  return os.str();
}

std::string format_flop_breakdown(const ModelSummary& summary) {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %-16s %12s %15s %7s\n", "part", "output", "params", "FLOPs",
                "share");
  os << line;
  for (const auto& r : summary.rows) {
    std::snprintf(line, sizeof line, "%-26s %-16s %12lld %15lld %6.2f%%\n", r.name.c_str(),
                  c10::str(c10::IntArrayRef(r.output_shape)).c_str(), static_cast<long long>(r.params),
                  static_cast<long long>(r.flops), summary.flops ? 100.0 * r.flops / summary.flops : 0.0);
    os << line;
  }
  return os.str();
}

ForwardCheck run_forward_check(const ArchSpec& arch, int64_t batch_size, int64_t input_size,
                               int64_t num_classes) {
  const int64_t size = input_size > 0 ? input_size : arch.input_size;
  auto model = build(arch, num_classes);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto input = torch::randn({batch_size, 3, size, size});
  const auto start = std::chrono::steady_clock::now();
  const auto logits = model->forward(input);
  const auto stop = std::chrono::steady_clock::now();
  ForwardCheck out;
  out.arch = arch.name;
  out.input_shape = input.sizes().vec();
  out.output_shape = logits.sizes().vec();
  out.seconds = std::chrono::duration<double>(stop - start).count();
  out.finite = torch::isfinite(logits).all().item<bool>();
  return out;
}

}  // namespace hornet::models
