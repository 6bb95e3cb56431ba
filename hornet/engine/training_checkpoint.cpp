#include "hornet/engine/training_checkpoint.h"

#include "hornet/common/version.h"
#include "hornet/io/state_dict.h"
#include "hornet/io/torch_file.h"
#include "hornet/common/torch_compat.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <ctime>

namespace hornet::engine {

namespace py = io::py;

namespace {

py::Value* tensors_of(py::Document& doc, const io::StateDict& sd, const std::string& prefix = "") {
  auto* dict = doc.make_dict();
  for (const auto& [name, t] : sd) doc.set(dict, prefix + name, doc.make_tensor(t.detach().to(torch::kCPU).clone()));
  return dict;
}

const py::Value& need(const py::Value& dict, const std::string& key, const std::string& path) {
  const py::Value* v = dict.get(key);
  if (!v) throw std::runtime_error(path + ": not a hornet training checkpoint (no '" + key + "')");
  return *v;
}

io::StateDict tensors_from(const io::TorchFile& file, const py::Value& dict, const std::string& strip = "") {
  io::StateDict out;
  for (const auto& [k, v] : dict.entries) {
    if (k->kind != py::Kind::kStr || v->kind != py::Kind::kTensor) continue;
    std::string name = k->s;
    if (!strip.empty()) {
      if (name.rfind(strip, 0) != 0) continue;
      name = name.substr(strip.size());
    }
    out[name] = file.load(*v);
  }
  return out;
}

}  // namespace

void save_training_checkpoint(const std::string& path, const TrainingParts& parts, const TrainState& s,
                              const std::string& resolved_config) {
  py::Document doc;
  auto* root = doc.make_dict();

  auto* meta = doc.make_dict();
  doc.set(meta, "hornet_version", doc.make_str(kVersion));
  doc.set(meta, "epoch", doc.make_int(s.epoch));
  doc.set(meta, "batch", doc.make_int(s.batch));
  doc.set(meta, "step", doc.make_int(s.step));
  doc.set(meta, "iter", doc.make_int(s.iteration));
  doc.set(meta, "seed", doc.make_int(static_cast<int64_t>(s.seed)));
  doc.set(meta, "best_metric", doc.make_float(s.best_metric));
  doc.set(meta, "best_epoch", doc.make_int(s.best_epoch));
  doc.set(meta, "nonfinite_in_a_row", doc.make_int(s.nonfinite_in_a_row));
  doc.set(meta, "nonfinite_total", doc.make_int(s.nonfinite_total));
  doc.set(meta, "world_size", doc.make_int(s.world_size));
  doc.set(meta, "accumulation", doc.make_int(s.accumulation));
  doc.set(meta, "evaluated_weights", doc.make_str(s.evaluated_weights));
  doc.set(meta, "config", doc.make_str(resolved_config));
  if (!s.class_names.empty()) {
    auto* dataset_meta = doc.make_dict();
    auto* classes = doc.make_list();
    for (const auto& name : s.class_names) classes->items.push_back(doc.make_str(name));
    doc.set(dataset_meta, "classes", classes);
    doc.set(meta, "dataset_meta", dataset_meta);
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", std::gmtime(&now));
  doc.set(meta, "time", doc.make_str(stamp));
  doc.set(root, "meta", meta);

  const auto raw = io::state_dict(*parts.model);
  if (parts.ema) {
    doc.set(root, "state_dict", tensors_of(doc, io::state_dict(*parts.ema->module())));
    auto* ema = tensors_of(doc, raw, "module.");
    doc.set(ema, "steps", doc.make_tensor(torch::tensor(s.step, torch::kInt64)));
    doc.set(root, "ema_state_dict", ema);
  } else {
    doc.set(root, "state_dict", tensors_of(doc, raw));
  }

  // PyTorch's optimizer.state_dict(): parameters numbered in group order.
  auto* optimizer = doc.make_dict();
  auto* states = doc.make_dict();
  auto* groups = doc.make_list();
  auto& adamw = *parts.optimizer->adamw;
  int64_t index = 0;
  for (size_t g = 0; g < adamw.param_groups().size(); ++g) {
    const auto& group = adamw.param_groups()[g];
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    auto* info = doc.make_dict();
    doc.set(info, "lr", doc.make_float(o.lr()));
    doc.set(info, "betas", doc.make_tuple({doc.make_float(std::get<0>(o.betas())), doc.make_float(std::get<1>(o.betas()))}));
    doc.set(info, "eps", doc.make_float(o.eps()));
    doc.set(info, "weight_decay", doc.make_float(o.weight_decay()));
    doc.set(info, "amsgrad", doc.make_bool(o.amsgrad()));
    doc.set(info, "lr_scale", doc.make_float(parts.optimizer->groups[g].lr_scale));
    doc.set(info, "name", doc.make_str(parts.optimizer->groups[g].name));
    auto* ids = doc.make_list();
    for (const auto& p : group.params()) {
      ids->items.push_back(doc.make_int(index));
      const auto it = adamw.state().find(common::optimizer_state_key(p));
      if (it != adamw.state().end()) {
        const auto& st = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        auto* entry = doc.make_dict();
        doc.set(entry, "step", doc.make_tensor(torch::tensor(static_cast<double>(st.step()), torch::kFloat32)));
        doc.set(entry, "exp_avg", doc.make_tensor(st.exp_avg().to(torch::kCPU).clone()));
        doc.set(entry, "exp_avg_sq", doc.make_tensor(st.exp_avg_sq().to(torch::kCPU).clone()));
        states->entries.emplace_back(doc.make_int(index), entry);
      }
      ++index;
    }
    doc.set(info, "params", ids);
    groups->items.push_back(info);
  }
  doc.set(optimizer, "state", states);
  doc.set(optimizer, "param_groups", groups);
  doc.set(root, "optimizer", optimizer);

  auto* scaler = doc.make_dict();
  doc.set(scaler, "scale", doc.make_float(parts.scaler ? parts.scaler->current_scale() : 1.0));
  doc.set(scaler, "_growth_tracker", doc.make_int(parts.scaler ? parts.scaler->growth_tracker() : 0));
  doc.set(root, "scaler", scaler);

  auto* rng = doc.make_dict();
  if (s.rank_rng.empty()) {
    doc.set(rng, "torch_cpu", doc.make_tensor(at::detail::getDefaultCPUGenerator().get_state()));
  } else {
    doc.set(rng, "torch_cpu", doc.make_tensor(s.rank_rng.front()));
    auto* ranks = doc.make_list();
    for (const auto& state : s.rank_rng) ranks->items.push_back(doc.make_tensor(state));
    doc.set(rng, "torch_cpu_ranks", ranks);
  }
  doc.set(root, "rng", rng);

  io::save(path, *root);
}

TrainState load_training_checkpoint(const std::string& path, const TrainingParts& parts) {
  io::TorchFile file(path);
  const auto& root = file.root();
  if (root.kind != py::Kind::kDict) throw std::runtime_error(path + ": not a hornet training checkpoint");
  const auto& meta = need(root, "meta", path);
  const auto get_int = [&](const char* key) {
    const py::Value* v = meta.get(key);
    if (!v || v->kind != py::Kind::kInt) throw std::runtime_error(path + ": checkpoint meta lacks '" + key + "'");
    return v->i;
  };
  TrainState s;
  s.epoch = get_int("epoch");
  s.batch = get_int("batch");
  s.step = get_int("step");
  s.iteration = get_int("iter");
  s.seed = static_cast<uint64_t>(get_int("seed"));
  s.best_epoch = get_int("best_epoch");
  s.nonfinite_in_a_row = get_int("nonfinite_in_a_row");
  s.nonfinite_total = get_int("nonfinite_total");
  if (const py::Value* b = meta.get("best_metric"); b && b->kind == py::Kind::kFloat) s.best_metric = b->f;
  // Checkpoints from before distributed training hold neither: one rank, accumulation unknown (0).
  s.accumulation = 0;
  if (const py::Value* w = meta.get("world_size"); w && w->kind == py::Kind::kInt) s.world_size = w->i;
  if (const py::Value* a = meta.get("accumulation"); a && a->kind == py::Kind::kInt) s.accumulation = a->i;
  if (s.world_size < 1 || s.accumulation < 0) {
    throw std::runtime_error(path + ": checkpoint meta has a bad world size or accumulation");
  }

  const bool has_ema = root.get("ema_state_dict") != nullptr;
  if (parts.ema && !has_ema) throw std::runtime_error(path + ": checkpoint has no EMA weights but EMA is enabled");
  const auto& sd = need(root, "state_dict", path);
  try {
    if (parts.ema) {
      io::load_state_dict(*parts.model.ptr(), tensors_from(file, need(root, "ema_state_dict", path), "module."));
      io::load_state_dict(*parts.ema->module(), tensors_from(file, sd));
    } else {
      io::load_state_dict(*parts.model.ptr(), tensors_from(file, has_ema ? need(root, "ema_state_dict", path) : sd,
                                                     has_ema ? "module." : ""));
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }

  // Optimizer state, by parameter index in group order.
  const auto& opt = need(root, "optimizer", path);
  const auto& states = need(opt, "state", path);
  auto& adamw = *parts.optimizer->adamw;
  std::vector<torch::Tensor> params;
  for (const auto& group : adamw.param_groups()) {
    for (const auto& p : group.params()) params.push_back(p);
  }
  const auto& saved_groups = need(opt, "param_groups", path);
  if (saved_groups.items.size() != adamw.param_groups().size()) {
    throw std::runtime_error(path + ": the optimizer has " + std::to_string(adamw.param_groups().size()) +
                             " parameter groups, the checkpoint " + std::to_string(saved_groups.items.size()));
  }
  torch::NoGradGuard no_grad;
  adamw.state().clear();
  for (const auto& [k, v] : states.entries) {
    if (k->kind != py::Kind::kInt || k->i < 0 || k->i >= static_cast<int64_t>(params.size())) {
      throw std::runtime_error(path + ": optimizer state refers to parameter " + std::to_string(k->i) +
                               " of " + std::to_string(params.size()));
    }
    const auto& p = params[static_cast<size_t>(k->i)];
    auto st = std::make_unique<torch::optim::AdamWParamState>();
    st->step(static_cast<int64_t>(file.load(need(*v, "step", path)).item<double>()));
    const auto exp_avg = file.load(need(*v, "exp_avg", path));
    const auto exp_avg_sq = file.load(need(*v, "exp_avg_sq", path));
    if (exp_avg.sizes() != p.sizes()) throw std::runtime_error(path + ": optimizer state shapes do not fit the model");
    st->exp_avg(exp_avg.to(p.device(), p.scalar_type()).contiguous());
    st->exp_avg_sq(exp_avg_sq.to(p.device(), p.scalar_type()).contiguous());
    adamw.state()[common::optimizer_state_key(p)] = std::move(st);
  }
  for (size_t g = 0; g < saved_groups.items.size(); ++g) {
    if (const py::Value* lr = saved_groups.items[g]->get("lr"); lr && lr->kind == py::Kind::kFloat) {
      static_cast<torch::optim::AdamWOptions&>(adamw.param_groups()[g].options()).lr(lr->f);
    }
  }

  if (const py::Value* scaler = root.get("scaler"); scaler && parts.scaler) {
    const py::Value* scale = scaler->get("scale");
    const py::Value* tracker = scaler->get("_growth_tracker");
    if (scale && tracker && scale->kind == py::Kind::kFloat && tracker->kind == py::Kind::kInt) {
      parts.scaler->load(scale->f, tracker->i);
    }
  }
  if (const py::Value* rng = root.get("rng")) {
    if (const py::Value* ranks = rng->get("torch_cpu_ranks"); ranks && ranks->kind == py::Kind::kList) {
      for (const auto* state : ranks->items) s.rank_rng.push_back(file.load(*state));
    } else if (const py::Value* cpu = rng->get("torch_cpu")) {
      s.rank_rng.push_back(file.load(*cpu));
    }
  }
  return s;
}

}  // namespace hornet::engine
