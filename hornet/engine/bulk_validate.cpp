#include "hornet/engine/bulk_validate.h"

#include "hornet/io/torch_file.h"
#include "hornet/models/published.h"
#include "hornet/models/summary.h"
#include "hornet/models/weight_file.h"

#include <spdlog/spdlog.h>

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace hornet::engine {

namespace fs = std::filesystem;

namespace {

bool is_weight_file(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".pth" || ext == ".pt" || ext == ".safetensors";
}

std::vector<std::string> glob_paths(const std::string& pattern) {
  glob_t found{};
  std::vector<std::string> out;
  if (glob(pattern.c_str(), 0, nullptr, &found) == 0) {
    for (size_t k = 0; k < found.gl_pathc; ++k) out.emplace_back(found.gl_pathv[k]);
  }
  globfree(&found);
  std::sort(out.begin(), out.end());
  return out;
}

std::string number(double v, int decimals) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The columns of both tables, as text.
std::vector<std::pair<std::string, std::string>> columns(const BulkRow& r) {
  const bool real = std::isfinite(r.result.real_top1);
  std::vector<std::pair<std::string, std::string>> c = {
      {"arch", r.arch},
      {"file", r.file},
      {"weights", r.weights},
      {"image_size", std::to_string(r.image_size)},
      {"images", std::to_string(r.result.samples)},
      {"top1", number(r.result.top1, 3)},
      {"top5", number(r.result.top5, 3)},
      {"real_top1", real ? number(r.result.real_top1, 3) : ""},
      {"real_top5", real ? number(r.result.real_top5, 3) : ""},
      {"published_top1", number(r.published_top1, 2)},
      {"top1_delta", number(r.result.top1 - r.published_top1, 3)},
      {"params_m", number(static_cast<double>(r.params) / 1e6, 2)},
      {"gflops", number(static_cast<double>(r.flops) / 1e9, 2)},
      {"images_per_s", number(r.images_per_s, 1)},
  };
  return c;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

std::vector<std::string> expand_checkpoints(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (item.find_first_of("*?[") != std::string::npos) {
      const auto matched = glob_paths(item);
      if (matched.empty()) throw std::invalid_argument(item + ": no file matches this pattern");
      out.insert(out.end(), matched.begin(), matched.end());
    } else if (fs::is_directory(item)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(item)) {
        if (e.is_regular_file() && is_weight_file(e.path())) files.push_back(e.path().string());
      }
      if (files.empty())
        throw std::invalid_argument(item + ": a folder without .pth, .pt or .safetensors files");
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else if (fs::exists(item)) {
      out.push_back(item);
    } else {
      throw std::invalid_argument(item + ": no such checkpoint, folder or pattern");
    }
  }
  return out;
}

std::vector<std::string> zoo_files_in(const std::string& dir) {
  if (!fs::is_directory(dir)) throw std::invalid_argument(dir + ": not a folder");
  std::vector<std::string> out;
  for (const auto& entry : models::published_checkpoints()) {
    const auto path = (fs::path(dir) / entry.file).string();
    if (fs::exists(path)) out.push_back(path);
  }
  if (out.empty())
    throw std::invalid_argument(dir + ": holds none of the published checkpoints (hornet-eval zoo)");
  return out;
}

BulkRow validate_row(const std::string& checkpoint, const config::ExperimentConfig* config,
                     const BulkOptions& o) {
  models::ShapeMap shapes;
  {
    io::TorchFile file(checkpoint);
    shapes = models::weight_shapes(io::find_weights(file.root(), o.validate.weights));
  }
  config::ExperimentConfig c;
  if (config) {
    c = *config;
  } else {
    c.model.arch = models::arch_by_name(models::zoo_arch_for_checkpoint(shapes));
    c.model.num_classes = models::checkpoint_num_classes(shapes);
    if (c.model.num_classes == 0)
      throw std::invalid_argument(checkpoint + ": no classifier head to validate");
    c.val.pipeline = data::eval_options_for_size(static_cast<int>(c.model.arch.input_size));
    c.runtime.device = o.device;
    c.val.workers = o.workers;
  }
  if (o.image_size > 0) c.val.pipeline = data::eval_options_for_size(static_cast<int>(o.image_size));
  if (o.crop_pct > 0) {
    c.val.pipeline.square_resize = false;
    c.val.pipeline.resize = static_cast<int>(std::floor(c.val.pipeline.crop / o.crop_pct));
  }
  BulkRow row;
  row.file = checkpoint;
  row.result = validate_checkpoint(c, checkpoint, o.validate);
  row.arch = c.model.arch.name;
  row.weights = std::string(row.result.ema ? "EMA" : "raw") + " (" + row.result.weights_source + ")";
  row.image_size = c.val.pipeline.crop;
  const auto size = models::summarize(models::arch_for_checkpoint(c.model.arch, shapes), c.model.num_classes,
                                      row.image_size);
  row.params = size.params;
  row.flops = size.flops;
  row.images_per_s =
      row.result.seconds > 0 ? static_cast<double>(row.result.samples) / row.result.seconds : 0.0;
  if (const auto published = models::compare_with_published(checkpoint)) {
    if (!published->hash_ok) spdlog::warn("{}", published->hash_message);
    if (published->entry.top1 >= 0) row.published_top1 = published->entry.top1;
  }
  return row;
}

std::string bulk_csv(const std::vector<BulkRow>& rows) {
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto c = columns(rows[k]);
    if (k == 0) {
      for (size_t j = 0; j < c.size(); ++j) out += (j ? "," : "") + c[j].first;
      out += "\n";
    }
    for (size_t j = 0; j < c.size(); ++j) out += (j ? "," : "") + csv_field(c[j].second);
    out += "\n";
  }
  return out;
}

std::string bulk_markdown(const std::vector<BulkRow>& rows) {
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto c = columns(rows[k]);
    if (k == 0) {
      std::string rule = "|";
      out += "|";
      for (const auto& [name, value] : c) {
        out += " " + name + " |";
        rule += " --- |";
      }
      out += "\n" + rule + "\n";
    }
    out += "|";
    for (const auto& [name, value] : c) {
      std::string cell = value;
      std::replace(cell.begin(), cell.end(), '|', '/');
      out += " " + cell + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace hornet::engine
