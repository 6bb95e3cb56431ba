// HorNet checkpoint layouts and loading (docs/model.md §10.3 key rules).
#include "hornet/models/weight_file.h"

#include "hornet/io/safetensors.h"

#include "hornet/models/global_local_filter.h"
#include "hornet/models/init.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <regex>
#include <set>
#include <sstream>

namespace hornet::models {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << c10::IntArrayRef(shape);
  return os.str();
}

// Runs fn(0..n-1) on as many threads as LibTorch's intra-op setting (the
// tools' --threads); the first exception is rethrown.
void parallel_for_each(size_t n, const std::function<void(size_t)>& fn) {
  const size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, at::get_num_threads())));
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (size_t k = next++; k < n; k = next++) {
      try {
        fn(k);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

std::vector<int64_t> shape_of(const io::py::Value& v) {
  return v.ref ? v.ref->sizes : v.tensor.sizes().vec();
}

}  // namespace

KeyLayout detect_layout(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (starts_with(n, "backbone.")) return KeyLayout::kMmpretrain;
  }
  return KeyLayout::kOfficial;
}

std::string official_to_mmpretrain(const std::string& name) {
  if (starts_with(name, "head.")) return "head.fc." + name.substr(5);
  std::string key = name;
  if (starts_with(key, "norm.")) {
    key = "norm3." + key.substr(5);
  } else if (key.find("gnconv.pws.") != std::string::npos) {
    key = replace_all(key, "gnconv.pws.", "gnconv.projs.");
  } else if (key.size() > 7 && (key.compare(key.size() - 7, 7, ".gamma1") == 0 ||
                                key.compare(key.size() - 7, 7, ".gamma2") == 0)) {
    key += ".weight";
  }
  return "backbone." + key;
}

std::string mmpretrain_to_official(const std::string& name) {
  if (starts_with(name, "head.fc.")) return "head." + name.substr(8);
  std::string key = starts_with(name, "backbone.") ? name.substr(9) : name;
  if (starts_with(key, "norm3.")) return "norm." + key.substr(6);
  key = replace_all(key, "gnconv.projs.", "gnconv.pws.");
  for (const char* g : {".gamma1.weight", ".gamma2.weight"}) {
    const std::string suffix(g);
    if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      key.resize(key.size() - std::string(".weight").size());
    }
  }
  return key;
}

ShapeMap weight_shapes(const io::FoundWeights& weights) {
  std::vector<std::string> names;
  for (const auto& w : weights.tensors) names.push_back(w.first);
  const bool official = detect_layout(names) == KeyLayout::kOfficial;
  ShapeMap out;
  for (const auto& [name, value] : weights.tensors) {
    out[official ? official_to_mmpretrain(name) : name] = shape_of(*value);
  }
  return out;
}

ArchSpec arch_for_checkpoint(const ArchSpec& arch, const ShapeMap& shapes) {
  ArchSpec out = arch;
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("checkpoint does not fit arch '" + arch.name + "': " + what);
  };
  const auto stem = shapes.find("backbone.downsample_layers.0.0.weight");
  if (stem == shapes.end()) fail("it has no backbone.downsample_layers.0.0.weight (not a HorNet checkpoint?)");
  if (stem->second.empty() || stem->second[0] != arch.base_dim) {
    fail("its stem has " + shape_str(stem->second) + ", i.e. base width " +
         (stem->second.empty() ? std::string("?") : std::to_string(stem->second[0])) + ", but the arch has " +
         std::to_string(arch.base_dim));
  }
  const std::regex block(R"(backbone\.stages\.(\d+)\.(\d+)\.)");
  std::vector<int64_t> depths(kNumStages, 0);
  for (const auto& [key, shape] : shapes) {
    std::smatch m;
    if (std::regex_search(key, m, block)) {
      const auto stage = std::stoll(m[1]);
      if (stage >= kNumStages) fail("it has a stage " + std::to_string(stage));
      depths[stage] = std::max<int64_t>(depths[stage], std::stoll(m[2]) + 1);
    }
  }
  for (int64_t i = 0; i < kNumStages; ++i) {
    if (depths[i] != arch.depths[i]) {
      fail("stage " + std::to_string(i) + " has " + std::to_string(depths[i]) + " blocks in the checkpoint, " +
           std::to_string(arch.depths[i]) + " in the arch");
    }
    const std::string prefix = "backbone.stages." + std::to_string(i) + ".0.gnconv.dwconv.";
    const auto gf = shapes.find(prefix + "complex_weight");
    const bool arch_gf = arch.mixers[i].kind == MixerKind::kGlobalLocal;
    if (gf != shapes.end()) {
      if (!arch_gf) fail("stage " + std::to_string(i) + " uses GF in the checkpoint but " + arch.mixers[i].str() + " in the arch");
      if (gf->second.size() != 4) fail(gf->first + " has shape " + shape_str(gf->second));
      out.mixers[i] = MixerSpec::global_local(gf->second[1], gf->second[2]);
    } else if (arch_gf && shapes.count(prefix + "weight")) {
      fail("stage " + std::to_string(i) + " uses a depthwise conv in the checkpoint but GF in the arch");
    }
  }
  return out;
}

std::string zoo_arch_for_checkpoint(const ShapeMap& shapes) {
  std::string fits;
  for (const auto& zoo : arch_zoo()) {
    try {
      if (arch_for_checkpoint(zoo, shapes).mixers_str() == zoo.mixers_str()) return zoo.name;
      if (fits.empty()) fits = zoo.name;
    } catch (const std::invalid_argument&) {
    }
  }
  if (fits.empty()) throw std::invalid_argument("its tensors fit no zoo arch (not a HorNet checkpoint?)");
  return fits;
}

int64_t checkpoint_num_classes(const ShapeMap& shapes) {
  const auto it = shapes.find("head.fc.weight");
  return it == shapes.end() || it->second.size() != 2 ? 0 : it->second[0];
}

torch::Tensor read_class_index(const std::string& path) {
  io::TorchFile file(path);
  if (file.root().kind != io::py::Kind::kTensor) {
    throw std::runtime_error(path + ": expected a class index tensor, found " + file.root().type_name());
  }
  auto index = file.load(file.root());
  if (index.dim() != 1 || index.scalar_type() != torch::kInt64) {
    std::ostringstream os;
    os << path << ": expected a 1-D int64 class index, got " << index.scalar_type() << " " << index.sizes();
    throw std::runtime_error(os.str());
  }
  return index;
}

io::LoadReport load_weights(ImageClassifierImpl& model, const io::TorchFile& file,
                            const io::FoundWeights& weights, const WeightLoadOptions& options) {
  std::vector<std::string> names;
  for (const auto& w : weights.tensors) names.push_back(w.first);
  const bool official = detect_layout(names) == KeyLayout::kOfficial;
  const auto own = io::state_dict(model);

  enum class Action { kCopy, kResize, kSlice, kSkip };
  struct Step {
    const io::py::Value* value;
    torch::Tensor target;
    Action action;
  };
  std::vector<Step> plan;
  io::LoadReport report;
  std::set<std::string> seen;
  const auto& index = options.class_index;
  for (const auto& [name, value] : weights.tensors) {
    const std::string key = official ? official_to_mmpretrain(name) : name;
    const auto it = own.find(key);
    if (it == own.end()) {
      report.unexpected.push_back(key);
      continue;
    }
    seen.insert(key);
    const auto shape = shape_of(*value);
    const auto& target = it->second;
    const auto want = target.sizes().vec();
    const bool head = key == "head.fc.weight" || key == "head.fc.bias";
    if (head && index.defined()) {
      const bool rows_ok = !shape.empty() && index.numel() == want[0] &&
                           std::vector<int64_t>(shape.begin() + 1, shape.end()) ==
                               std::vector<int64_t>(want.begin() + 1, want.end());
      if (!rows_ok || index.min().item<int64_t>() < 0 || index.max().item<int64_t>() >= shape[0]) {
        report.mismatched.push_back({key, want, shape});
        continue;
      }
      plan.push_back({value, target, Action::kSlice});
      report.adapted.push_back(key + ": " + std::to_string(index.numel()) + " of " + std::to_string(shape[0]) +
                               " classes taken through the class index");
    } else if (shape == want) {
      plan.push_back({value, target, Action::kCopy});
    } else if (options.resize_filters && shape.size() == 4 && want.size() == 4 && shape[0] == want[0] &&
               shape[3] == 2 && want[3] == 2 && key.size() > 14 &&
               key.compare(key.size() - 14, 14, "complex_weight") == 0) {
      plan.push_back({value, target, Action::kResize});
      report.adapted.push_back(key + ": filter resized " + shape_str(shape) + " -> " + shape_str(want));
    } else if (head && options.reinit_mismatched_head) {
      report.reinitialized.push_back(key + ": checkpoint " + shape_str(shape) + ", model " + shape_str(want));
    } else {
      report.mismatched.push_back({key, want, shape});
    }
  }
  for (const auto& [key, t] : own) {
    if (!seen.count(key)) report.missing.push_back(key);
  }
  const bool clean = report.missing.empty() && report.unexpected.empty() && report.mismatched.empty();
  if (options.strict && !clean) {
    throw std::runtime_error(file.path() + ": weights (" + weights.source + ") do not match the model: " +
                             report.str());
  }
  torch::NoGradGuard no_grad;
  std::vector<Step*> copies;
  for (auto& step : plan) {
    if (step.action != Action::kCopy) continue;
    if (options.map_file && step.target.device().is_cpu() && step.target.is_contiguous()) {
      const auto mapped = file.map(*step.value);
      if (mapped.defined() && mapped.is_contiguous() && mapped.scalar_type() == step.target.scalar_type()) {
        // The parameter object stays the module's; only its storage changes.
        step.target.set_(mapped);
        ++report.mapped;
        continue;
      }
    }
    copies.push_back(&step);
  }
  // Plain copies are reads from the file straight into the parameters, each
  // record's CRC-32 checked on the bytes just read: spread them over the
  // intra-op threads, since one thread cannot saturate memory bandwidth.
  parallel_for_each(copies.size(), [&](size_t k) { file.load_into(*copies[k]->value, copies[k]->target); });
  report.loaded += copies.size() + report.mapped;

  for (auto& step : plan) {
    switch (step.action) {
      case Action::kCopy:
        continue;
      case Action::kResize: {
        const auto w = file.load(*step.value).to(torch::kFloat32);
        step.target.copy_(resize_complex_weight(w, step.target.size(1), step.target.size(2)));
        break;
      }
      case Action::kSlice:
        step.target.copy_(file.load(*step.value).index_select(0, index));
        break;
      case Action::kSkip:
        continue;
    }
    ++report.loaded;
  }
  return report;
}

LoadedClassifier classifier_from_checkpoint(const std::string& arch_name, const std::string& path,
                                            const CheckpointModelOptions& options) {
  return classifier_from_checkpoint(arch_by_name(arch_name), path, options);
}

LoadedClassifier classifier_from_checkpoint(const ArchSpec& zoo_arch, const std::string& path,
                                            const CheckpointModelOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  io::TorchFile file(path);
  const auto weights = io::find_weights(file.root(), options.weights);
  const auto shapes = weight_shapes(weights);
  ArchSpec arch = arch_for_checkpoint(zoo_arch, shapes);
  if (options.image_size > 0) arch = arch_for_image_size(arch, options.image_size);
  WeightLoadOptions load;
  load.strict = options.strict;
  load.map_file = options.map_file;
  if (!options.class_map.empty()) load.class_index = read_class_index(options.class_map);
  int64_t num_classes = options.num_classes;
  if (num_classes == 0) num_classes = load.class_index.defined() ? load.class_index.numel() : checkpoint_num_classes(shapes);
  if (num_classes == 0) num_classes = 1000;
  if (load.class_index.defined() && load.class_index.numel() != num_classes) {
    throw std::invalid_argument("--num-classes " + std::to_string(num_classes) + " disagrees with the class map's " +
                                std::to_string(load.class_index.numel()) + " entries");
  }

  LoadedClassifier out;
  {
    // A strict load fills every tensor or throws before the model is used, so
    // its random initialisation would only be overwritten.
    std::optional<SkipInitGuard> skip;
    if (options.strict) skip.emplace();
    out.model = ImageClassifier(ImageClassifierOptions(HorNetOptions(arch)).num_classes(num_classes));
  }
  out.report = load_weights(*out.model, file, weights, load);
  const auto done = std::chrono::steady_clock::now();
  out.source = weights.source;
  std::vector<std::string> names;
  for (const auto& w : weights.tensors) names.push_back(w.first);
  out.layout = detect_layout(names);
  out.load_seconds = std::chrono::duration<double>(done - start).count();
  out.crc_seconds = file.crc_seconds();
  return out;
}

ConvertTarget parse_convert_target(const std::string& name) {
  if (name == "mmpretrain") return ConvertTarget::kMmpretrain;
  if (name == "official") return ConvertTarget::kOfficial;
  if (name == "hornet") return ConvertTarget::kHornet;
  if (name == "safetensors") return ConvertTarget::kSafetensors;
  throw std::invalid_argument("unknown checkpoint layout '" + name +
                              "'; valid layouts: mmpretrain, official, hornet, safetensors");
}

namespace {

// Writes mmpretrain-named tensors in `target`'s layout; `meta` goes into the
// hornet layout's meta or the safetensors metadata.
void save_in_layout(const std::string& output,
                    const std::vector<std::pair<std::string, torch::Tensor>>& tensors, ConvertTarget target,
                    std::vector<std::pair<std::string, std::string>> meta) {
  if (target == ConvertTarget::kSafetensors || io::is_safetensors_path(output)) {
    std::vector<std::pair<std::string, torch::Tensor>> named;
    for (const auto& [name, tensor] : tensors) {
      named.emplace_back(target == ConvertTarget::kOfficial ? mmpretrain_to_official(name) : name, tensor);
    }
    // transformers and timm read "format": "pt" as "these are PyTorch tensors".
    meta.insert(meta.begin(), {"format", "pt"});
    io::save_safetensors(output, named, meta);
    return;
  }
  io::py::Document doc;
  auto* state = doc.make_dict();
  for (const auto& [name, tensor] : tensors) {
    doc.set(state, target == ConvertTarget::kOfficial ? mmpretrain_to_official(name) : name, doc.make_tensor(tensor));
  }
  io::py::Value* root = state;
  if (target == ConvertTarget::kOfficial) {
    root = doc.set(doc.make_dict(), "model", state);
  } else if (target == ConvertTarget::kHornet) {
    auto* m = doc.make_dict();
    for (const auto& [key, value] : meta) doc.set(m, key, doc.make_str(value));
    root = doc.set(doc.set(doc.make_dict(), "meta", m), "state_dict", state);
  }
  io::save(output, *root);
}

}  // namespace

size_t convert_checkpoint(const std::string& input, const std::string& output, ConvertTarget target,
                          bool use_ema, const std::vector<int64_t>& backbone_out_indices) {
  const bool backbone_only = !backbone_out_indices.empty();
  if (backbone_only && target != ConvertTarget::kMmpretrain && target != ConvertTarget::kSafetensors) {
    throw std::invalid_argument(
        "a backbone-only file is written in mmpretrain's layout (--to mmpretrain or "
        "safetensors), the `backbone.` names mmdet and mmseg configs load");
  }
  io::TorchFile file(input);
  const auto weights = io::find_weights(file.root(), use_ema);
  std::vector<std::string> names;
  for (const auto& w : weights.tensors) names.push_back(w.first);
  const bool official = detect_layout(names) == KeyLayout::kOfficial;
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, value] : weights.tensors) {
    const std::string key = official ? official_to_mmpretrain(name) : name;
    if (backbone_only && key.rfind("backbone.", 0) != 0) continue;
    tensors.emplace_back(key, file.load(*value));
  }
  std::vector<std::pair<std::string, std::string>> meta = {{"converted_from", input},
                                                           {"source", weights.source}};
  if (backbone_only) {
    const auto shapes = weight_shapes(weights);
    std::string indices;
    for (int64_t i : backbone_out_indices) {
      if (i < 0 || i >= kNumStages) {
        throw std::invalid_argument("out index " + std::to_string(i) + " is not a stage index in [0, 3]");
      }
      indices += (indices.empty() ? "" : ",") + std::to_string(i);
      const std::string norm = "backbone.norm" + std::to_string(i) + ".";
      if (shapes.count(norm + "weight")) continue;
      // The stage's width: its downsampling conv's output channels.
      const auto conv =
          shapes.find("backbone.downsample_layers." + std::to_string(i) + (i == 0 ? ".0" : ".1") + ".weight");
      if (conv == shapes.end() || conv->second.empty()) {
        throw std::runtime_error(input + ": no backbone weights for stage " + std::to_string(i));
      }
      tensors.emplace_back(norm + "weight", torch::ones({conv->second[0]}));
      tensors.emplace_back(norm + "bias", torch::zeros({conv->second[0]}));
    }
    meta.emplace_back("backbone_out_indices", indices);
  }
  save_in_layout(output, tensors, target, meta);
  return tensors.size();
}

LoadedBackbone backbone_from_checkpoint(const std::string& arch_name, const std::string& path,
                                        const std::vector<int64_t>& out_indices, io::WeightChoice choice) {
  io::TorchFile file(path);
  const auto weights = io::find_weights(file.root(), choice);
  const auto shapes = weight_shapes(weights);
  const ArchSpec arch = arch_for_checkpoint(
      arch_by_name(arch_name.empty() ? zoo_arch_for_checkpoint(shapes) : arch_name), shapes);
  LoadedBackbone out;
  out.model = HorNet(HorNetOptions(arch).out_indices(out_indices).gap_before_final_norm(false));
  out.model->eval();
  std::vector<std::string> names;
  for (const auto& w : weights.tensors) names.push_back(w.first);
  const bool official = detect_layout(names) == KeyLayout::kOfficial;
  auto own = io::state_dict(*out.model);
  std::set<std::string> loaded;
  torch::NoGradGuard no_grad;
  for (const auto& [name, value] : weights.tensors) {
    const std::string key = official ? official_to_mmpretrain(name) : name;
    if (key.rfind("backbone.", 0) != 0) continue;  // the head
    const auto it = own.find(key.substr(9));
    if (it == own.end()) {
      // A classifier's norm3 where the dense outputs leave stage 3 out.
      if (key.rfind("backbone.norm", 0) != 0) out.report.unexpected.push_back(key);
      continue;
    }
    if (shape_of(*value) != it->second.sizes().vec()) {
      out.report.mismatched.push_back({key, it->second.sizes().vec(), shape_of(*value)});
      continue;
    }
    file.load_into(*value, it->second);
    loaded.insert(it->first);
  }
  for (const auto& [key, tensor] : own) {
    if (loaded.count(key)) continue;
    (key.rfind("norm", 0) == 0 ? out.report.reinitialized : out.report.missing).push_back("backbone." + key);
  }
  out.report.loaded = loaded.size();
  if (!out.report.clean())
    throw std::runtime_error(path + ": does not fit " + arch.name + "'s backbone: " + out.report.str(5));
  return out;
}

size_t save_initialised_checkpoint(const ArchSpec& arch, int64_t num_classes, uint64_t seed, const std::string& output,
                                   ConvertTarget target) {
  torch::manual_seed(seed);
  ImageClassifier model(ImageClassifierOptions(HorNetOptions(arch)).num_classes(num_classes));
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [name, tensor] : io::state_dict(*model)) tensors.emplace_back(name, tensor.detach());
  save_in_layout(output, tensors, target,
                 {{"initialised", "random, seed " + std::to_string(seed)}, {"arch", arch.name}});
  return tensors.size();
}

std::vector<std::string> checkpoint_class_names(const std::string& path) {
  io::TorchFile file(path);
  return io::checkpoint_class_names(file.root());
}

std::string inspect_checkpoint(io::TorchFile& file) {
  std::ostringstream os;
  os << file.path() << ": " << file.format_name() << " format\n" << io::py::describe(file.root()) << "\n";
  for (const auto& [key, value] : file.metadata()) os << "metadata " << key << ": " << value << "\n";
  for (bool ema : {false, true}) {
    io::FoundWeights weights;
    try {
      weights = io::find_weights(file.root(), ema);
    } catch (const std::exception&) {
      continue;
    }
    const auto shapes = weight_shapes(weights);
    int64_t params = 0;
    for (const auto& [k, shape] : shapes) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      params += n;
    }
    std::vector<std::string> names;
    for (const auto& w : weights.tensors) names.push_back(w.first);
    os << "\n" << (ema ? "EMA weights" : "weights") << ": " << weights.tensors.size() << " tensors, " << params
       << " parameters, from " << weights.source << ", "
       << (detect_layout(names) == KeyLayout::kOfficial ? "official-repository" : "mmpretrain") << " key layout\n";
    const auto stem = shapes.find("backbone.downsample_layers.0.0.weight");
    if (stem != shapes.end() && !stem->second.empty()) {
      os << "  base width " << stem->second[0] << ", classes " << checkpoint_num_classes(shapes) << ", mixers";
      for (int64_t i = 0; i < kNumStages; ++i) {
        const auto gf = shapes.find("backbone.stages." + std::to_string(i) + ".0.gnconv.dwconv.complex_weight");
        const auto dw = shapes.find("backbone.stages." + std::to_string(i) + ".0.gnconv.dwconv.weight");
        if (gf != shapes.end() && gf->second.size() == 4) {
          os << " gf" << gf->second[1] << "x" << gf->second[2];
        } else if (dw != shapes.end() && dw->second.size() == 4) {
          os << " dw" << dw->second[2];
        } else {
          os << " ?";
        }
      }
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace hornet::models
