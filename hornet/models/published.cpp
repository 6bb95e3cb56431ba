#include "hornet/models/published.h"

#include "hornet/io/json.h"
#include "hornet/io/sha256.h"

#include <filesystem>
#include <fmt/format.h>

namespace hornet::models {

const std::vector<PublishedCheckpoint>& published_checkpoints() {
  // mmpretrain: configs/hornet/metafile.yml (download.openmmlab.com/mmclassification/v0/hornet/<file>);
  // official: the README's table (cloud.tsinghua.edu.cn links; the L models are ImageNet-22k
  // pre-trained with no ImageNet-1k accuracy published beside them).
  static const std::vector<PublishedCheckpoint> table{
      {"hornet-tiny_3rdparty_in1k_20220915-0e8eedff.pth", "mmpretrain", "configs/hornet/hornet-tiny_8xb128_in1k.yaml",
       "tiny", 1000, 224, 82.84, 96.24, "0e8eedff"},
      {"hornet-tiny-gf_3rdparty_in1k_20220915-4c35a66b.pth", "mmpretrain",
       "configs/hornet/hornet-tiny-gf_8xb128_in1k.yaml", "tiny-gf", 1000, 224, 82.98, 96.38, "4c35a66b"},
      {"hornet-small_3rdparty_in1k_20220915-5935f60f.pth", "mmpretrain", "configs/hornet/hornet-small_8xb64_in1k.yaml",
       "small", 1000, 224, 83.79, 96.75, "5935f60f"},
      {"hornet-small-gf_3rdparty_in1k_20220915-649ca492.pth", "mmpretrain",
       "configs/hornet/hornet-small-gf_8xb64_in1k.yaml", "small-gf", 1000, 224, 83.98, 96.77, "649ca492"},
      {"hornet-base_3rdparty_in1k_20220915-a06176bb.pth", "mmpretrain", "configs/hornet/hornet-base_8xb64_in1k.yaml",
       "base", 1000, 224, 84.24, 96.94, "a06176bb"},
      {"hornet-base-gf_3rdparty_in1k_20220915-82c06fa7.pth", "mmpretrain",
       "configs/hornet/hornet-base-gf_8xb64_in1k.yaml", "base-gf", 1000, 224, 84.32, 96.95, "82c06fa7"},
      {"hornet_tiny_7x7.pth", "official", "configs/hornet/hornet-tiny_8xb128_in1k.yaml", "tiny", 1000, 224, 82.8, -1,
       ""},
      {"hornet_tiny_gf.pth", "official", "configs/hornet/hornet-tiny-gf_8xb128_in1k.yaml", "tiny-gf", 1000, 224, 83.0,
       -1, ""},
      {"hornet_small_7x7.pth", "official", "configs/hornet/hornet-small_8xb64_in1k.yaml", "small", 1000, 224, 83.8, -1,
       ""},
      {"hornet_small_gf.pth", "official", "configs/hornet/hornet-small-gf_8xb64_in1k.yaml", "small-gf", 1000, 224, 84.0,
       -1, ""},
      {"hornet_base_7x7.pth", "official", "configs/hornet/hornet-base_8xb64_in1k.yaml", "base", 1000, 224, 84.2, -1,
       ""},
      {"hornet_base_gf.pth", "official", "configs/hornet/hornet-base-gf_8xb64_in1k.yaml", "base-gf", 1000, 224, 84.3,
       -1, ""},
      {"hornet_large_7x7_22k.pth", "official", "configs/hornet/hornet-large_64xb32_in22k.yaml", "large", 0, 224, -1,
       -1, ""},
      {"hornet_large_gf_22k.pth", "official", "configs/hornet/hornet-large-gf_64xb32_in22k.yaml", "large-gf", 0, 224,
       -1, -1, ""},
      {"hornet_large_gf_img384_22k.pth", "official", "configs/hornet/hornet-large-gf_32xb16_in22k-pre_384px_in1k.yaml",
       "large-gf384", 0, 384, -1, -1, ""},
  };
  return table;
}

std::optional<PublishedCheckpoint> find_published(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  for (const auto& entry : published_checkpoints()) {
    if (entry.file == name) return entry;
  }
  return std::nullopt;
}

std::string format_published_table() {
  const auto figure = [](double v) { return v < 0 ? std::string("-") : fmt::format("{:.2f}", v); };
  std::string out = fmt::format("{:<52} {:<10} {:<12} {:>7} {:>4} {:>6} {:>6} {:<8} {}\n", "file", "publisher", "arch",
                                "classes", "res", "top-1", "top-5", "sha256", "config");
  for (const auto& e : published_checkpoints()) {
    out += fmt::format("{:<52} {:<10} {:<12} {:>7} {:>4} {:>6} {:>6} {:<8} {}\n", e.file, e.publisher, e.arch,
                       e.classes > 0 ? std::to_string(e.classes) : "22k", e.resolution, figure(e.top1), figure(e.top5),
                       e.sha256_prefix.empty() ? "-" : e.sha256_prefix, e.config);
  }
  out +=
      "mmpretrain files: https://download.openmmlab.com/mmclassification/v0/hornet/<file>; the official files are "
      "linked from the HorNet repository's README (their names carry no hash; 22k: classes from the file's head).\n";
  return out;
}

std::optional<PublishedComparison> compare_with_published(const std::string& path) {
  const auto entry = find_published(path);
  if (!entry) return std::nullopt;
  PublishedComparison c;
  c.entry = *entry;
  if (!entry->sha256_prefix.empty()) {
    c.sha256 = io::sha256_file(path);
    c.hash_ok = c.sha256.compare(0, entry->sha256_prefix.size(), entry->sha256_prefix) == 0;
    if (!c.hash_ok) {
      c.hash_message = fmt::format(
          "{} is named as a published file whose SHA-256 starts with {}, but its SHA-256 is {}: it is not that file "
          "(modified, re-saved or truncated), so the published accuracy may not apply",
          path, entry->sha256_prefix, c.sha256);
    }
  }
  return c;
}

std::string describe_against_published(const PublishedComparison& c, double top1, double top5) {
  const auto& p = c.entry;
  const auto figure = [](double v) { return v < 0 ? std::string("-") : fmt::format("{:.2f}%", v); };
  const auto difference = [](double measured, double reference) {
    return reference < 0 ? std::string("none published") : fmt::format("{:+.2f}", measured - reference);
  };
  return fmt::format("published ({}, {}): top-1 {}  top-5 {}; measured - published: top-1 {}, top-5 {}{}", p.publisher,
                     p.file, figure(p.top1), figure(p.top5), difference(top1, p.top1), difference(top5, p.top5),
                     c.hash_ok ? "" : " (the file's hash does not match its name; see the warning)");
}

std::string published_json(const PublishedComparison& c, double top1, double top5) {
  const auto& p = c.entry;
  const auto number_or_null = [](double v) { return v < 0 ? std::string("null") : io::json_number(v); };
  return "{\"file\": " + io::json_string(p.file) + ", \"publisher\": " + io::json_string(p.publisher) +
         ", \"top1\": " + number_or_null(p.top1) + ", \"top5\": " + number_or_null(p.top5) +
         ", \"top1_difference\": " + (p.top1 < 0 ? "null" : io::json_number(top1 - p.top1)) +
         ", \"top5_difference\": " + (p.top5 < 0 ? "null" : io::json_number(top5 - p.top5)) +
         ", \"sha256\": " + (c.sha256.empty() ? "null" : io::json_string(c.sha256)) +
         ", \"sha256_matches_name\": " + (p.sha256_prefix.empty() ? "null" : c.hash_ok ? "true" : "false") + "}";
}

}  // namespace hornet::models
