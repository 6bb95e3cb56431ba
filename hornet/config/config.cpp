// Config loading, merging, overrides and checked reading.
#include "hornet/config/config.h"

#include "hornet/common/suggest.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>

namespace hornet::config {

namespace fs = std::filesystem;

namespace {

std::string join(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

void set_origins(std::map<std::string, std::string>& origins, const std::string& prefix, const std::string& file) {
  // The whole subtree now comes from `file`.
  for (auto it = origins.lower_bound(prefix); it != origins.end() && it->first.rfind(prefix, 0) == 0;) {
    const bool inside = it->first.size() == prefix.size() || it->first[prefix.size()] == '.';
    it = inside ? origins.erase(it) : std::next(it);
  }
  origins[prefix] = file;
}

void merge(YAML::Node dst, const YAML::Node& src, const std::string& prefix, const std::string& file,
           std::map<std::string, std::string>& origins) {
  for (const auto& kv : src) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = join(prefix, key);
    const YAML::Node& value = kv.second;
    if (value.IsMap()) {
      const bool replace = value["_delete_"] && value["_delete_"].IsScalar() && value["_delete_"].as<std::string>() == "true";
      YAML::Node clean = YAML::Clone(value);
      clean.remove("_delete_");
      const YAML::Node existing = dst[key];
      if (!replace && existing && existing.IsMap()) {
        merge(dst[key], clean, path, file, origins);
        continue;
      }
      dst[key] = clean;
      set_origins(origins, path, file);
    } else {
      dst[key] = YAML::Clone(value);
      set_origins(origins, path, file);
    }
  }
}

YAML::Node load_yaml(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read the config file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

void load_into(const std::string& path, YAML::Node& root, std::map<std::string, std::string>& origins,
               std::vector<std::string>& chain) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    throw ConfigError(path + ": _base_ files include each other in a cycle");
  }
  chain.push_back(canonical);
  const YAML::Node node = load_yaml(path);
  if (!node.IsMap() && !node.IsNull()) throw ConfigError(path + ": a config must be a map of keys");
  const YAML::Node bases = node["_base_"];
  if (bases) {
    std::vector<std::string> files;
    if (bases.IsScalar()) {
      files.push_back(bases.as<std::string>());
    } else if (bases.IsSequence()) {
      for (const auto& b : bases) files.push_back(b.as<std::string>());
    } else {
      throw ConfigError(path + ": _base_ must be a file name or a list of them");
    }
    for (const auto& f : files) {
      const fs::path base = fs::path(f).is_absolute() ? fs::path(f) : fs::path(path).parent_path() / f;
      if (!fs::exists(base)) throw ConfigError(path + ": _base_ file " + base.string() + " does not exist");
      load_into(base.string(), root, origins, chain);
    }
  }
  if (node.IsMap()) {
    YAML::Node own = YAML::Clone(node);
    own.remove("_base_");
    merge(root, own, "", path, origins);
  }
  chain.pop_back();
}

}  // namespace

Config Config::load(const std::string& path) {
  Config c;
  c.path_ = path;
  c.root_ = YAML::Node(YAML::NodeType::Map);
  std::vector<std::string> chain;
  load_into(path, c.root_, c.origins_, chain);
  return c;
}

Config Config::from_string(const std::string& yaml, const std::string& origin) {
  Config c;
  c.root_ = YAML::Node(YAML::NodeType::Map);
  YAML::Node node;
  try {
    node = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (node.IsMap()) merge(c.root_, node, "", origin, c.origins_);
  return c;
}

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  }
  const std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception&) {
    value = YAML::Node(text);
  }
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + key + "'");
    parts.push_back(p);
  }
  // Walk with a list of nodes: yaml-cpp nodes are handles, so assignment through
  // a copied handle would rebind it instead of writing into the tree.
  std::vector<YAML::Node> nodes{root_};
  for (size_t k = 0; k + 1 < parts.size(); ++k) {
    YAML::Node next = nodes.back()[parts[k]];
    if (!next.IsMap()) {
      nodes.back()[parts[k]] = YAML::Node(YAML::NodeType::Map);
      next = nodes.back()[parts[k]];
    }
    nodes.push_back(next);
  }
  nodes.back()[parts.back()] = value;
  set_origins(origins_, key, "--set");
}

std::string Config::origin(const std::string& key_path) const {
  std::string p = key_path;
  while (true) {
    const auto it = origins_.find(p);
    if (it != origins_.end()) return it->second;
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p = p.substr(0, dot);
  }
  return path_.empty() ? "<config>" : path_;
}

std::string Config::dump() const {
  YAML::Emitter out;
  out << root_;
  return std::string(out.c_str()) + "\n";
}

// ----- Section -----------------------------------------------------------------

Section::Section(const Config& config, YAML::Node node, std::string path)
    : config_(config), node_(std::move(node)), path_(std::move(path)) {
  if (node_ && !node_.IsMap() && !node_.IsNull()) {
    throw ConfigError(config_.origin(path_) + ": config key '" + path_ + "' must be a map of keys");
  }
}

std::string Section::path_of(const std::string& key) const { return join(path_, key); }

std::string Section::where(const std::string& key) const {
  return config_.origin(path_of(key)) + ": config key '" + path_of(key) + "'";
}

bool Section::has(const std::string& key) const {
  const YAML::Node& n = node_;
  return n.IsMap() && n[key] && !n[key].IsNull();
}

YAML::Node Section::node(const std::string& key) {
  read_.push_back(key);
  const YAML::Node& n = node_;
  return n.IsMap() ? YAML::Node(n[key]) : YAML::Node();
}

Section Section::section(const std::string& key) {
  read_.push_back(key);
  const YAML::Node& n = node_;
  return Section(config_, n.IsMap() && n[key] ? YAML::Node(n[key]) : YAML::Node(YAML::NodeType::Map), path_of(key));
}

void Section::type_error(const std::string& key, const YAML::Node& value, const char* expected) const {
  YAML::Emitter e;
  e << YAML::Flow << value;
  throw ConfigError(config_.origin(path_of(key)) + ": config key '" + path_of(key) + "' must be " + expected +
                    ", got " + e.c_str());
}

namespace {
template <typename T>
struct TypeName;
template <> struct TypeName<bool> { static constexpr const char* value = "true or false"; };
template <> struct TypeName<int> { static constexpr const char* value = "an integer"; };
template <> struct TypeName<int64_t> { static constexpr const char* value = "an integer"; };
template <> struct TypeName<uint64_t> { static constexpr const char* value = "a non-negative integer"; };
template <> struct TypeName<double> { static constexpr const char* value = "a number"; };
template <> struct TypeName<std::string> { static constexpr const char* value = "a string"; };
template <> struct TypeName<std::vector<int64_t>> { static constexpr const char* value = "a list of integers"; };
template <> struct TypeName<std::vector<double>> { static constexpr const char* value = "a list of numbers"; };
template <> struct TypeName<std::vector<std::string>> { static constexpr const char* value = "a list of strings"; };
}  // namespace

template <typename T>
T Section::convert(const std::string& key, const YAML::Node& value) {
  try {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!value.IsScalar()) type_error(key, value, TypeName<T>::value);
    }
    return value.as<T>();
  } catch (const YAML::Exception&) {
    type_error(key, value, TypeName<T>::value);
  }
}

template <typename T>
T Section::get(const std::string& key, const T& fallback) {
  read_.push_back(key);
  if (!has(key)) return fallback;
  const YAML::Node& n = node_;
  return convert<T>(key, n[key]);
}

template <typename T>
T Section::require(const std::string& key) {
  read_.push_back(key);
  if (!has(key)) throw ConfigError(config_.origin(path_) + ": config key '" + path_of(key) + "' is required");
  const YAML::Node& n = node_;
  return convert<T>(key, n[key]);
}

void Section::finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(read_.begin(), read_.end(), key) != read_.end()) continue;
    std::string best;
    best = common::closest_match(key, std::vector<std::string>(read_.begin(), read_.end()));
    std::string msg = config_.origin(path_of(key)) + ": unknown config key '" + path_of(key) + "'";
    if (!best.empty()) {
      msg += " (did you mean '" + path_of(best) + "'?)";
    } else if (!read_.empty()) {
      std::vector<std::string> valid(read_.begin(), read_.end());
      std::sort(valid.begin(), valid.end());
      valid.erase(std::unique(valid.begin(), valid.end()), valid.end());
      msg += "; valid keys here: ";
      for (size_t i = 0; i < valid.size(); ++i) msg += (i ? ", " : "") + valid[i];
    }
    throw ConfigError(msg);
  }
}

template bool Section::get<bool>(const std::string&, const bool&);
template int Section::get<int>(const std::string&, const int&);
template int64_t Section::get<int64_t>(const std::string&, const int64_t&);
template uint64_t Section::get<uint64_t>(const std::string&, const uint64_t&);
template double Section::get<double>(const std::string&, const double&);
template std::string Section::get<std::string>(const std::string&, const std::string&);
template std::vector<int64_t> Section::get<std::vector<int64_t>>(const std::string&, const std::vector<int64_t>&);
template std::vector<double> Section::get<std::vector<double>>(const std::string&, const std::vector<double>&);
template std::vector<std::string> Section::get<std::vector<std::string>>(const std::string&,
                                                                         const std::vector<std::string>&);
template int64_t Section::require<int64_t>(const std::string&);
template double Section::require<double>(const std::string&);
template std::string Section::require<std::string>(const std::string&);

}  // namespace hornet::config
