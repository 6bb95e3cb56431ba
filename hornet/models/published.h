// The published HorNet checkpoints hornet knows: mmpretrain's converted files
// (configs/hornet/metafile.yml) and the official repository's (its README),
// with the accuracy each publisher reports, so that a validation can be set
// beside it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hornet::models {

struct PublishedCheckpoint {
  std::string file;        ///< the published file name
  std::string publisher;   ///< "mmpretrain" or "official"
  std::string config;      ///< hornet's recipe for it (configs/hornet/...)
  std::string arch;        ///< hornet's arch name
  int64_t classes = 0;     ///< head outputs; 0: ImageNet-22k, read from the file's head
  int64_t resolution = 224;
  double top1 = -1.0;      ///< published ImageNet-1k validation accuracy, percent; < 0: none published
  double top5 = -1.0;
  std::string sha256_prefix;  ///< the hash digits in the file name ("" when the name carries none)
};

/// Every published checkpoint, mmpretrain's first.
const std::vector<PublishedCheckpoint>& published_checkpoints();

/// The entry whose file name equals the last component of `path`.
std::optional<PublishedCheckpoint> find_published(const std::string& path);

/// The table `hornet-eval --zoo` prints.
std::string format_published_table();

/// What a validation of `path` against its published entry says: whether the
/// file's SHA-256 starts with the digits in its name (a mismatch is a warning
/// naming both), and the measured accuracy beside the published one.
struct PublishedComparison {
  PublishedCheckpoint entry;
  std::string sha256;     ///< the file's, when the entry carries a prefix
  bool hash_ok = true;
  std::string hash_message;  ///< the warning when !hash_ok
};
/// Hashes the file when its entry names a prefix; nullopt when `path` is not a published file.
std::optional<PublishedComparison> compare_with_published(const std::string& path);

/// "published (PUBLISHER, FILE): top-1 T%  top-5 T%; measured - published: top-1 +D, top-5 +D", for a
/// measured top-1 and top-5 (percent).
std::string describe_against_published(const PublishedComparison& comparison, double top1, double top5);

/// The same as the `published` JSON object of a result file (differences, hash and whether it matches the name).
std::string published_json(const PublishedComparison& comparison, double top1, double top5);

}  // namespace hornet::models
