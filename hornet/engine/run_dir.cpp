#include "hornet/engine/run_dir.h"

#include "hornet/config/experiment.h"
#include "hornet/io/file_util.h"
#include "hornet/io/torch_file.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace hornet::engine {

namespace fs = std::filesystem;
namespace py = io::py;

namespace {

// epoch_N.pth files of `dir`, newest first.
std::vector<std::pair<int64_t, std::string>> epoch_checkpoints(const std::string& dir) {
  static const std::regex name("epoch_([0-9]{1,17})\\.pth");
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string file = e.path().filename().string();
    if (std::regex_match(file, m, name)) found.emplace_back(std::stoll(m[1]), e.path().string());
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}

bool readable(const std::string& path, std::string* why = nullptr) {
  try {
    checkpoint_config(path);
    return true;
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return false;
  }
}

void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      flatten(kv.second, prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>(), out);
    }
    return;
  }
  YAML::Emitter text;
  text << YAML::Flow << node;
  out[prefix] = text.c_str();
}

}  // namespace

std::string WorkDirContents::str() const {
  std::string out;
  for (const auto& c : checkpoints) out += (out.empty() ? "" : ", ") + c;
  if (metrics) out += (out.empty() ? "" : ", ") + std::string("metrics.jsonl");
  return out;
}

WorkDirContents inspect_work_dir(const std::string& dir) {
  WorkDirContents c;
  for (const char* name : {"last.pth", "best.pth"}) {
    if (fs::exists(dir + "/" + name)) c.checkpoints.push_back(name);
  }
  for (const auto& [n, path] : epoch_checkpoints(dir)) c.checkpoints.push_back(fs::path(path).filename().string());
  std::error_code ec;
  c.metrics = fs::exists(dir + "/metrics.jsonl") && fs::file_size(dir + "/metrics.jsonl", ec) > 0;
  return c;
}

void prune_epoch_checkpoints(const std::string& dir, int64_t keep) {
  const auto found = epoch_checkpoints(dir);
  for (size_t k = static_cast<size_t>(std::max<int64_t>(keep, 1)); k < found.size(); ++k) fs::remove(found[k].second);
}

void clear_work_dir(const std::string& dir) {
  for (const auto& name : inspect_work_dir(dir).checkpoints) fs::remove(dir + "/" + name);
  fs::remove(dir + "/metrics.jsonl");
  fs::remove(dir + "/config.yaml");
  // The TensorBoard event files of the run (the folder goes only when nothing else is in it).
  const std::string events = dir + "/tensorboard";
  std::error_code ec;
  if (fs::is_directory(events, ec)) {
    for (const auto& entry : fs::directory_iterator(events, ec)) {
      if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
        fs::remove(entry.path(), ec);
    }
    fs::remove(events, ec);
  }
}

std::string checkpoint_config(const std::string& checkpoint) {
  io::TorchFile file(checkpoint);
  const py::Value* meta = file.root().get("meta");
  const py::Value* config = meta ? meta->get("config") : nullptr;
  if (!config || config->kind != py::Kind::kStr) {
    throw std::runtime_error(checkpoint + ": not a hornet training checkpoint (no meta.config to resume with)");
  }
  return config->s;
}

std::string resolve_resume(const std::string& dir, const std::string& resume) {
  if (resume.empty()) return "";
  std::string path = resume;
  if (resume == "auto") {
    const auto epochs = epoch_checkpoints(dir);
    if (fs::exists(dir + "/last.pth")) {
      path = dir + "/last.pth";
    } else if (!epochs.empty()) {
      path = epochs.front().second;
    } else {
      return "";
    }
  } else if (!fs::exists(resume)) {
    throw std::invalid_argument("--resume " + resume + ": no such checkpoint");
  }
  std::string why;
  if (readable(path, &why)) return path;
  std::string instead;
  for (const auto& [n, candidate] : epoch_checkpoints(dir)) {
    if (candidate != path && readable(candidate)) {
      instead = candidate;
      break;
    }
  }
  throw std::runtime_error("cannot resume from " + path + ": " + why +
                           (instead.empty() ? std::string("; no readable epoch_N.pth in ") + dir
                                            : "; the newest readable checkpoint is " + instead +
                                                  ": resume with --resume " + instead));
}

std::vector<std::string> meaning_changes(const config::Config& saved, const config::Config& requested) {
  std::map<std::string, std::string> a, b;
  flatten(saved.root(), "", a);
  flatten(requested.root(), "", b);
  std::vector<std::string> changes;
  for (const auto& [key, value] : b) {
    const auto it = a.find(key);
    const std::string before = it == a.end() ? "(unset)" : it->second;
    if (before != value && config::key_changes_run(key)) changes.push_back(key + ": " + before + " -> " + value);
  }
  for (const auto& [key, value] : a) {
    if (!b.count(key) && config::key_changes_run(key)) changes.push_back(key + ": " + value + " -> (unset)");
  }
  return changes;
}

config::Config resumed_config(const std::string& checkpoint, const config::Config& named, const std::string& named_path,
                              const std::function<void(config::Config&)>& apply_overrides, bool allow_changes) {
  const std::string saved_text = checkpoint_config(checkpoint);
  const std::string origin = checkpoint + " (the run's saved config)";
  const auto saved = config::Config::from_string(saved_text, origin);
  auto resumed = config::Config::from_string(saved_text, origin);  // YAML nodes copy shallowly
  apply_overrides(resumed);
  const auto changes = meaning_changes(saved, resumed);
  if (!changes.empty() && !allow_changes) {
    std::string list;
    for (const auto& c : changes) list += "\n  " + c;
    throw std::invalid_argument("--resume " + checkpoint + ": these overrides would change the run:" + list +
                                "\nresume without them, or add --allow-config-changes to change it on purpose");
  }
  for (const auto& c : meaning_changes(saved, named)) {
    if (std::find(changes.begin(), changes.end(), c) == changes.end()) {
      spdlog::warn("{} differs from the run's saved config ({}); resuming with the saved value", named_path, c);
    }
  }
  return resumed;
}

}  // namespace hornet::engine
