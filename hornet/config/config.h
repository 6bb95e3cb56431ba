// YAML configs with `_base_` inheritance, `--set` overrides and key checking.
//
// A config file may name one or several base files in `_base_` (paths relative
// to the file). Bases are merged in order, then the file on top: maps merge
// key by key, lists and scalars replace. A map holding `_delete_: true`
// replaces the base's map at that place instead of merging into it (mmengine's
// convention). `--set a.b.c=value` overrides parse the value as YAML.
//
// Every value remembers the file (or override) that set it, so errors can say
// where a bad key came from.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hornet::config {

/// A malformed config: unreadable file, bad YAML, unknown key, wrong type.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  /// Loads `path` and its bases. Throws ConfigError naming the file.
  static Config load(const std::string& path);
  /// A config from YAML text (no bases), for tests and embedded defaults.
  static Config from_string(const std::string& yaml, const std::string& origin = "<string>");

  /// Applies "a.b.c=value" (value parsed as YAML; maps created as needed).
  void set(const std::string& assignment);

  const YAML::Node& root() const { return root_; }
  /// Where the value at dotted `key_path` was set: a file path or "--set".
  std::string origin(const std::string& key_path) const;
  /// The resolved config as YAML text.
  std::string dump() const;
  /// The file it was loaded from ("" for strings).
  const std::string& path() const { return path_; }

 private:
  YAML::Node root_;
  std::string path_;
  std::map<std::string, std::string> origins_;
};

/// Walks one map of a config, reading typed values and remembering which keys
/// were read, so that finish() can reject the others as unknown (naming the
/// file, the key path and the closest valid key).
class Section {
 public:
  Section(const Config& config, YAML::Node node, std::string path);

  bool has(const std::string& key) const;
  template <typename T>
  T get(const std::string& key, const T& fallback);
  template <typename T>
  T require(const std::string& key);
  /// A nested map; absent keys give an empty section.
  Section section(const std::string& key);
  /// The raw node of `key` (marked as read).
  YAML::Node node(const std::string& key);
  /// Throws ConfigError for keys that were never read.
  void finish();
  /// Dotted path of `key` in the config ("optim.lr").
  std::string path_of(const std::string& key) const;
  /// "<file that set it>: config key '<path>'", the start of an error about `key`.
  std::string where(const std::string& key) const;

 private:
  template <typename T>
  T convert(const std::string& key, const YAML::Node& value);
  [[noreturn]] void type_error(const std::string& key, const YAML::Node& value, const char* expected) const;

  const Config& config_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> read_;
};

}  // namespace hornet::config
