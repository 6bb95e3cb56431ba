// Image classification datasets: which files, which labels, which class names.
//
//   ImageFolder: one subfolder per class, sorted names -> labels 0..C-1, image
//     files below each (recursively), as torchvision's ImageFolder;
//   annotation file: mmpretrain's `relative/path label` lines under a data prefix
//     (ImageNet's val split: `ILSVRC2012_val_00000001.JPEG 65`);
//   ImageNet layouts: <root>/meta/<split>.txt + <root>/<split>/ when the
//     annotation exists, else <root>/<split>/ as an ImageFolder;
//   WebDataset shards: tar files whose members sharing a key (the name up to
//     its first dot) make one sample, an image (`key.jpg`, `.png`, ...) and its
//     label (`key.cls`, the class index as text), as webdataset's ShardWriter
//     and `hornet-data shard` write them; a folder of them (sorted), or one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hornet::data {

struct Sample {
  std::string path;  ///< the image file, or the shard holding it
  int64_t label = 0;
  /// In a shard: the image's bytes lie at `offset`, `size` long, in `path`.
  bool in_shard = false;
  uint64_t offset = 0, size = 0;
};

/// The encoded bytes of a sample's image; std::runtime_error naming the file when unreadable.
std::string read_sample_bytes(const Sample& sample);

class Dataset {
 public:
  /// Throws std::runtime_error for a missing root, a class folder without
  /// images, or no classes at all.
  static Dataset image_folder(const std::string& root);
  /// Throws std::runtime_error for a missing file or prefix, malformed lines,
  /// negative labels, labels >= num_classes (when given), duplicate paths.
  static Dataset annotation_file(const std::string& ann_file, const std::string& data_prefix,
                                 int64_t num_classes = 0);
  /// `path` is a folder (ImageFolder, or an ImageNet root with `split`) or an
  /// annotation file (with `data_prefix`, default: the file's folder; labels
  /// must lie below `num_classes` when it is given).
  static Dataset open(const std::string& path, const std::string& split = "", const std::string& data_prefix = "",
                      int64_t num_classes = 0);
  /// WebDataset shards: `path` is a .tar file or a folder of them (read in
  /// name order, with class names from a classes.txt beside them when there
  /// is one). Throws std::runtime_error naming the shard and key of a sample
  /// without an image or a label, or with a label that is not a class index.
  static Dataset shards(const std::string& path, int64_t num_classes = 0);
  /// Whether `path` is a .tar file or a folder holding .tar files and no subfolders.
  static bool is_shards(const std::string& path);

  const std::vector<Sample>& samples() const { return samples_; }
  size_t size() const { return samples_.size(); }
  /// Class names: folder names, names set from a file, or "0", "1", ...
  const std::vector<std::string>& classes() const { return classes_; }
  int64_t num_classes() const { return static_cast<int64_t>(classes_.size()); }
  /// Replaces the class names (one per line in `path`); their count must
  /// cover every label.
  void set_class_names(const std::string& path);
  /// A short description: root, sample and class counts.
  const std::string& description() const { return description_; }
  /// Samples per shard, in order (their samples are consecutive); empty unless sharded.
  const std::vector<int64_t>& shard_sizes() const { return shard_sizes_; }

 private:
  std::vector<Sample> samples_;
  std::vector<int64_t> shard_sizes_;
  std::vector<std::string> classes_;
  std::string description_;
};

/// Reads one class name per line (blank lines skipped, surrounding spaces trimmed).
std::vector<std::string> read_class_names(const std::string& path);

/// The image files below `folder` (recursively, symlinked folders followed),
/// sorted; hidden files and folders (a leading '.') are left out.
std::vector<std::string> list_image_files(const std::string& folder);

/// Whether `path` has an image file extension (torchvision's IMG_EXTENSIONS, any case).
bool has_image_extension(const std::string& path);

}  // namespace hornet::data
