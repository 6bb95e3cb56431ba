// ImageFolder, annotation-file and ImageNet datasets.
#include "hornet/data/dataset.h"

#include "hornet/io/file_util.h"
#include "hornet/io/tar.h"
#include "hornet/io/zip.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

namespace hornet::data {

namespace fs = std::filesystem;

bool has_image_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kExt[] = {".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"};
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* e) { return ext == e; });
}

std::vector<std::string> list_image_files(const std::string& folder) {
  std::vector<std::string> files;
  auto it = fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink);
  for (auto end = fs::recursive_directory_iterator(); it != end; ++it) {
    if (it->path().filename().string().front() == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && has_image_extension(it->path().string())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {
std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}
}  // namespace

std::vector<std::string> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the class-names file");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) throw std::runtime_error(path + ": the class-names file is empty");
  return names;
}

Dataset Dataset::image_folder(const std::string& root) {
  if (!fs::is_directory(root)) throw std::runtime_error(root + ": dataset folder does not exist");
  Dataset d;
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(root)) {
    // Hidden folders (.ipynb_checkpoints, .git) are not classes, as in torchvision's find_classes.
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.front() != '.') classes.push_back(name);
  }
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) throw std::runtime_error(root + ": no class subfolders (expected <root>/<class>/<image>)");
  for (size_t label = 0; label < classes.size(); ++label) {
    auto files = list_image_files((fs::path(root) / classes[label]).string());
    if (files.empty()) {
      throw std::runtime_error(root + ": class folder '" + classes[label] + "' holds no image files");
    }
    for (auto& f : files) d.samples_.push_back({std::move(f), static_cast<int64_t>(label)});
  }
  d.classes_ = std::move(classes);
  d.description_ = root + " (ImageFolder: " + std::to_string(d.samples_.size()) + " images, " +
                   std::to_string(d.classes_.size()) + " classes)";
  return d;
}

Dataset Dataset::annotation_file(const std::string& ann_file, const std::string& data_prefix, int64_t num_classes) {
  std::ifstream in(ann_file);
  if (!in) throw std::runtime_error(ann_file + ": cannot read the annotation file");
  if (!data_prefix.empty() && !fs::is_directory(data_prefix)) {
    throw std::runtime_error(data_prefix + ": data prefix folder does not exist");
  }
  Dataset d;
  std::unordered_set<std::string> seen;
  int64_t max_label = -1;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trim(line);
    if (line.empty()) continue;
    const auto space = line.find_last_of(" \t");
    const std::string where = ann_file + ":" + std::to_string(line_no);
    if (space == std::string::npos) throw std::runtime_error(where + ": expected '<path> <label>', got '" + line + "'");
    const std::string rel = trim(line.substr(0, space)), label_text = line.substr(space + 1);
    int64_t label = 0;
    try {
      size_t used = 0;
      label = std::stoll(label_text, &used);
      if (used != label_text.size()) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
      throw std::runtime_error(where + ": label '" + label_text + "' is not an integer");
    }
    if (label < 0) throw std::runtime_error(where + ": negative label " + label_text);
    if (num_classes > 0 && label >= num_classes) {
      throw std::runtime_error(where + ": label " + label_text + " is out of range for " +
                               std::to_string(num_classes) + " classes");
    }
    if (!seen.insert(rel).second) throw std::runtime_error(where + ": duplicate entry '" + rel + "'");
    max_label = std::max(max_label, label);
    d.samples_.push_back({(fs::path(data_prefix) / rel).string(), label});
  }
  if (d.samples_.empty()) throw std::runtime_error(ann_file + ": the annotation file lists no images");
  const int64_t classes = num_classes > 0 ? num_classes : max_label + 1;
  for (int64_t c = 0; c < classes; ++c) d.classes_.push_back(std::to_string(c));
  d.description_ = ann_file + " (annotations: " + std::to_string(d.samples_.size()) + " images, " +
                   std::to_string(classes) + " classes)";
  return d;
}

bool Dataset::is_shards(const std::string& path) {
  if (fs::is_regular_file(path)) return fs::path(path).extension() == ".tar";
  if (!fs::is_directory(path)) return false;
  bool tar = false;
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.is_directory()) return false;
    tar = tar || e.path().extension() == ".tar";
  }
  return tar;
}

Dataset Dataset::shards(const std::string& path, int64_t num_classes) {
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.is_regular_file() && e.path().extension() == ".tar") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  if (files.empty()) throw std::runtime_error(path + ": no .tar shards");
  Dataset d;
  int64_t max_label = -1;
  for (const auto& file : files) {
    const auto members = io::list_tar(file);
    const size_t before = d.samples_.size();
    io::RandomAccessFile reader(file);
    // Members of one sample are consecutive and share the key before the first dot of their base name.
    for (size_t k = 0; k < members.size();) {
      const auto key_of = [](const std::string& name) {
        const size_t slash = name.rfind('/');
        const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
        return dot == std::string::npos ? name : name.substr(0, dot);
      };
      const std::string key = key_of(members[k].name);
      Sample s{file, -1, true, 0, 0};
      for (; k < members.size() && key_of(members[k].name) == key; ++k) {
        const auto& m = members[k];
        const std::string ext = m.name.substr(key.size());
        if (ext == ".cls") {
          if (m.size > 32) throw std::runtime_error(file + ": " + m.name + " is not a class index");
          const std::string text = trim(reader.read(m.offset, static_cast<size_t>(m.size)));
          char* end = nullptr;
          s.label = std::strtoll(text.c_str(), &end, 10);
          if (text.empty() || *end != '\0' || s.label < 0 || (num_classes > 0 && s.label >= num_classes)) {
            throw std::runtime_error(file + ": " + m.name + " holds '" + text + "', not a class index" +
                                     (num_classes > 0 ? " below " + std::to_string(num_classes) : ""));
          }
        } else if (has_image_extension(m.name)) {
          s.offset = m.offset;
          s.size = m.size;
        }
      }
      if (s.size == 0 || s.label < 0) {
        throw std::runtime_error(file + ": sample '" + key + "' has " +
                                 (s.size == 0 ? "no image" : "no .cls label"));
      }
      max_label = std::max(max_label, s.label);
      d.samples_.push_back(std::move(s));
    }
    d.shard_sizes_.push_back(static_cast<int64_t>(d.samples_.size() - before));
  }
  if (d.samples_.empty()) throw std::runtime_error(path + ": the shards hold no samples");
  const auto names =
      fs::path(fs::is_directory(path) ? path : fs::path(path).parent_path().string()) / "classes.txt";
  const int64_t classes = num_classes > 0 ? num_classes : max_label + 1;
  for (int64_t c = 0; c < classes; ++c) d.classes_.push_back(std::to_string(c));
  if (fs::is_regular_file(names)) d.set_class_names(names.string());
  d.description_ = path + " (WebDataset: " + std::to_string(files.size()) + " shards, " +
                   std::to_string(d.samples_.size()) + " images, " + std::to_string(d.classes_.size()) +
                   " classes)";
  return d;
}

std::string read_sample_bytes(const Sample& sample) {
  if (!sample.in_shard) return io::read_file(sample.path);
  return io::RandomAccessFile(sample.path).read(sample.offset, static_cast<size_t>(sample.size));
}

Dataset Dataset::open(const std::string& path, const std::string& split, const std::string& data_prefix,
                      int64_t num_classes) {
  if (split.empty() && is_shards(path)) return shards(path, num_classes);
  if (fs::is_regular_file(path)) {
    const std::string prefix = data_prefix.empty() ? fs::path(path).parent_path().string() : data_prefix;
    return annotation_file(path, prefix, num_classes);
  }
  if (!fs::is_directory(path)) throw std::runtime_error(path + ": no such dataset folder or annotation file");
  if (!split.empty()) {
    const auto ann = fs::path(path) / "meta" / (split + ".txt");
    const auto prefix = fs::path(path) / split;
    if (fs::is_regular_file(ann)) return annotation_file(ann.string(), prefix.string(), num_classes);
    if (fs::is_directory(prefix)) return image_folder(prefix.string());
    throw std::runtime_error(path + ": neither " + ann.string() + " nor the folder " + prefix.string() + " exists");
  }
  return image_folder(path);
}

void Dataset::set_class_names(const std::string& path) {
  auto names = read_class_names(path);
  int64_t max_label = -1;
  for (const auto& s : samples_) max_label = std::max(max_label, s.label);
  if (static_cast<int64_t>(names.size()) <= max_label) {
    throw std::runtime_error(path + ": " + std::to_string(names.size()) + " class names do not cover label " +
                             std::to_string(max_label));
  }
  classes_ = std::move(names);
}

}  // namespace hornet::data
