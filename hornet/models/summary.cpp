// Parameter and MAC counting, and the model-zoo table.
#include "hornet/models/summary.h"

#include "hornet/models/classifier.h"
#include "hornet/models/init.h"

#include <chrono>
#include <cstdio>
#include <sstream>

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

namespace {
ImageClassifier build(const ArchSpec& arch, int64_t num_classes) {
  return ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(num_classes));
}
}  // namespace

ModelSummary summarize(const ArchSpec& arch, int64_t num_classes, int64_t input_size) {
  // Counting needs shapes only, not values.
  const SkipInitGuard no_init;
  return summarize(*build(arch, num_classes), input_size);
}

ModelSummary summarize(const ImageClassifierImpl& model, int64_t input_size) {
  const int64_t size = input_size > 0 ? input_size : model.arch().input_size;
  ModelSummary s;
  s.arch = model.arch().name;
  s.mixers = model.arch().mixers_str();
  s.input_size = size;
  s.num_classes = model.num_classes();
  for (const auto& p : model.parameters()) s.params += p.numel();
  s.macs = model.macs(size, size);
  return s;
}

std::string format_summary_table(const std::vector<ModelSummary>& rows) {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-24s %6s %8s %14s %9s %15s %8s\n", "arch", "mixers",
                "input", "classes", "params", "params(M)", "FLOPs(MACs)", "GFLOPs");
  os << line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%-14s %-24s %6lld %8lld %14lld %9.2f %15lld %8.2f\n",
                  r.arch.c_str(), r.mixers.c_str(), static_cast<long long>(r.input_size),
                  static_cast<long long>(r.num_classes), static_cast<long long>(r.params),
                  r.params / 1e6, static_cast<long long>(r.macs), r.macs / 1e9);
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
