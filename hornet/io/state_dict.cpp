// State-dict extraction and loading with a report.
#include "hornet/io/state_dict.h"

#include <torch/nn/module.h>

#include <sstream>
#include <stdexcept>

namespace hornet::io {

StateDict state_dict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

std::string LoadReport::str(size_t per_list) const {
  std::ostringstream os;
  os << "loaded " << loaded << " tensors";
  const auto more = [&os](size_t shown, size_t total) {
    if (shown < total) os << "\n    ... and " << total - shown << " more";
  };
  const auto section = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    os << "\n  " << title << " (" << keys.size() << "):";
    for (size_t k = 0; k < keys.size() && k < per_list; ++k) os << "\n    " << keys[k];
    more(std::min(per_list, keys.size()), keys.size());
  };
  section("missing in checkpoint", missing);
  section("unexpected in checkpoint", unexpected);
  section("adapted", adapted);
  section("re-initialised", reinitialized);
  if (!mismatched.empty()) {
    os << "\n  shape mismatch (" << mismatched.size() << "):";
    for (size_t k = 0; k < mismatched.size() && k < per_list; ++k) {
      const auto& m = mismatched[k];
      os << "\n    " << m.key << ": model " << c10::IntArrayRef(m.expected) << ", checkpoint "
         << c10::IntArrayRef(m.found);
    }
    more(std::min(per_list, mismatched.size()), mismatched.size());
  }
  return os.str();
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& dict, bool strict) {
  const StateDict own = state_dict(module);
  LoadReport report;
  for (const auto& [key, target] : own) {
    const auto it = dict.find(key);
    if (it == dict.end()) {
      report.missing.push_back(key);
    } else if (it->second.sizes() != target.sizes()) {
      report.mismatched.push_back({key, target.sizes().vec(), it->second.sizes().vec()});
    }
  }
  for (const auto& [key, value] : dict) {
    if (!own.count(key)) report.unexpected.push_back(key);
  }
  if (strict && !report.clean()) {
    throw std::runtime_error("state dict does not match the model: " + report.str());
  }
  torch::NoGradGuard no_grad;
  for (const auto& [key, target] : own) {
    const auto it = dict.find(key);
    if (it == dict.end() || it->second.sizes() != target.sizes()) continue;
    target.copy_(it->second);
    ++report.loaded;
  }
  return report;
}

namespace {

std::string key_list(const py::Value& dict) {
  std::string out;
  size_t n = 0;
  for (const auto& [k, v] : dict.entries) {
    if (n++ == 12) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + (k->kind == py::Kind::kStr ? "'" + k->s + "'" : k->type_name());
  }
  return "[" + out + "]";
}

bool has_tensors(const py::Value* v) {
  if (!v || v->kind != py::Kind::kDict) return false;
  for (const auto& e : v->entries) {
    if (e.second->kind == py::Kind::kTensor) return true;
  }
  return false;
}

FoundWeights collect(const py::Value& dict, std::string source, bool ema_module_names) {
  FoundWeights out;
  out.source = std::move(source);
  for (const auto& [k, v] : dict.entries) {
    if (k->kind != py::Kind::kStr || v->kind != py::Kind::kTensor) continue;
    std::string name = k->s;
    if (ema_module_names) {
      // mmengine's averaged-model wrapper: `module.<name>` plus a `steps` counter.
      if (name.rfind("module.", 0) != 0) continue;
    }
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    out.tensors.emplace_back(std::move(name), v);
  }
  return out;
}

}  // namespace

WeightChoice parse_weight_choice(const std::string& text) {
  if (text == "default") return WeightChoice::kDefault;
  if (text == "raw") return WeightChoice::kRaw;
  if (text == "ema") return WeightChoice::kEma;
  throw std::invalid_argument("weights must be default, raw or ema, got '" + text + "'");
}

FoundWeights find_weights(const py::Value& root, WeightChoice choice) {
  if (choice != WeightChoice::kDefault || root.kind != py::Kind::kDict) {
    return find_weights(root, choice == WeightChoice::kEma);
  }
  if (has_tensors(root.get("state_dict"))) {
    const bool both = has_tensors(root.get("ema_state_dict"));
    // hornet's checkpoints say which weights their log reported (meta.evaluated_weights).
    const py::Value* meta = root.get("meta");
    const py::Value* evaluated = meta && meta->kind == py::Kind::kDict ? meta->get("evaluated_weights") : nullptr;
    const bool raw = both && evaluated && evaluated->kind == py::Kind::kStr && evaluated->s == "raw";
    return find_weights(root, both && !raw);
  }
  if (has_tensors(root.get("model"))) return find_weights(root, false);
  if (has_tensors(root.get("model_ema"))) return find_weights(root, true);
  return find_weights(root, false);
}

std::vector<std::string> checkpoint_class_names(const py::Value& root) {
  const py::Value* meta = root.kind == py::Kind::kDict ? root.get("meta") : nullptr;
  if (!meta || meta->kind != py::Kind::kDict) return {};
  const py::Value* classes = nullptr;
  if (const py::Value* dataset = meta->get("dataset_meta"); dataset && dataset->kind == py::Kind::kDict) {
    classes = dataset->get("classes");
  }
  if (!classes) classes = meta->get("CLASSES");
  if (!classes || (classes->kind != py::Kind::kList && classes->kind != py::Kind::kTuple)) return {};
  std::vector<std::string> names;
  for (const py::Value* item : classes->items) {
    if (item->kind != py::Kind::kStr) return {};
    names.push_back(item->s);
  }
  return names;
}

FoundWeights find_weights(const py::Value& root, bool use_ema) {
  if (root.kind != py::Kind::kDict) {
    throw std::runtime_error("checkpoint holds a " + root.type_name() + ", not a dict of weights");
  }
  const py::Value* state_dict = root.get("state_dict");
  const py::Value* ema_state_dict = root.get("ema_state_dict");
  const py::Value* model = root.get("model");
  const py::Value* model_ema = root.get("model_ema");
  FoundWeights found;
  if (has_tensors(state_dict)) {
    if (has_tensors(ema_state_dict)) {
      found = use_ema ? collect(*state_dict, "state_dict (EMA weights, swapped in by mmengine's EMAHook)", false)
                      : collect(*ema_state_dict, "ema_state_dict (raw weights, swapped out by mmengine's EMAHook)", true);
      found.file_has_both = true;
    } else if (use_ema) {
      throw std::runtime_error("checkpoint has no EMA weights (no 'ema_state_dict' next to 'state_dict')");
    } else {
      found = collect(*state_dict, "state_dict", false);
    }
  } else if (has_tensors(model) || has_tensors(model_ema)) {
    if (use_ema) {
      if (!has_tensors(model_ema)) throw std::runtime_error("checkpoint has no EMA weights (no 'model_ema')");
      found = collect(*model_ema, "model_ema", false);
      found.file_has_both = has_tensors(model);
    } else {
      if (!has_tensors(model)) throw std::runtime_error("checkpoint has only 'model_ema'; pass --use-ema");
      found = collect(*model, "model", false);
      found.file_has_both = has_tensors(model_ema);
    }
  } else if (has_tensors(&root)) {
    if (use_ema) throw std::runtime_error("checkpoint is a plain state dict without EMA weights");
    found = collect(root, "top level", false);
  }
  found.ema = use_ema;
  if (found.tensors.empty()) {
    throw std::runtime_error("no model weights found in the checkpoint; its top-level keys are " + key_list(root) +
                             " (expected a state dict, 'state_dict', 'model' or 'model_ema')");
  }
  return found;
}

}  // namespace hornet::io
