#include "hornet/engine/metrics_log.h"

#include "hornet/io/event_file.h"
#include "hornet/io/file_util.h"
#include "hornet/io/json.h"

#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>

namespace hornet::engine {

namespace {

using Field = std::pair<std::string, std::string>;

std::string integer(int64_t v) { return std::to_string(v); }
std::string number(double v) { return io::json_number_significant(v, 8); }

class FieldReader {
 public:
  explicit FieldReader(const std::string& line) {
    for (auto& [key, value] : io::parse_flat_json_object(line)) fields_[key] = std::move(value);
  }
  const io::JsonValue& get(const std::string& key, io::JsonValue::Kind kind, bool nullable = false) const {
    const auto it = fields_.find(key);
    if (it == fields_.end()) throw std::invalid_argument("no \"" + key + "\" field");
    if (it->second.kind != kind && !(nullable && it->second.kind == io::JsonValue::Kind::kNull)) {
      throw std::invalid_argument("\"" + key + "\" has the wrong type");
    }
    return it->second;
  }
  int64_t integer(const std::string& key) const {
    const double v = get(key, io::JsonValue::Kind::kNumber).number;
    if (v != std::floor(v) || v < 0) throw std::invalid_argument("\"" + key + "\" is not a count");
    return static_cast<int64_t>(v);
  }
  double optional_number(const std::string& key) const { return fields_.count(key) ? number(key) : NAN; }
  double number(const std::string& key) const {
    const auto& v = get(key, io::JsonValue::Kind::kNumber, true);
    return v.kind == io::JsonValue::Kind::kNull ? NAN : v.number;
  }
  std::string text(const std::string& key) const { return get(key, io::JsonValue::Kind::kString).text; }

 private:
  std::map<std::string, io::JsonValue> fields_;
};

}  // namespace

std::string metrics_line(const MetricsRecord& r) {
  std::vector<Field> fields;
  if (r.mode == MetricsRecord::Mode::kTrain) {
    fields = {{"mode", io::json_string("train")},
              {"epoch", integer(r.epoch)},
              {"iter", integer(r.iter)},
              {"step", integer(r.step)},
              {"loss", number(r.loss)},
              {"lr", number(r.lr)},
              {"images_per_s", number(r.images_per_s)},
              {"data_wait", number(r.data_wait)},
              {"memory_mib", number(r.memory_mib)}};
  } else {
    fields = {{"mode", io::json_string("val")},
              {"epoch", integer(r.epoch)},
              {"step", integer(r.step)},
              {"top1", number(r.top1)},
              {"top5", number(r.top5)},
              {"loss", number(r.loss)},
              {"weights", io::json_string(r.weights)}};
  }
  std::string line = "{";
  for (size_t k = 0; k < fields.size(); ++k)
    line += (k ? ", " : "") + io::json_string(fields[k].first) + ": " + fields[k].second;
  return line + "}";
}

MetricsRecord parse_metrics_line(const std::string& line) {
  const FieldReader f(line);
  MetricsRecord r;
  const std::string mode = f.text("mode");
  if (mode != "train" && mode != "val")
    throw std::invalid_argument("\"mode\" is '" + mode + "', not train or val");
  r.mode = mode == "train" ? MetricsRecord::Mode::kTrain : MetricsRecord::Mode::kVal;
  r.epoch = f.integer("epoch");
  r.step = f.integer("step");
  r.loss = f.number("loss");
  if (r.mode == MetricsRecord::Mode::kTrain) {
    r.iter = f.integer("iter");
    r.lr = f.number("lr");
    r.images_per_s = f.number("images_per_s");
    r.data_wait = f.number("data_wait");
    r.memory_mib = f.optional_number("memory_mib");
  } else {
    r.top1 = f.number("top1");
    r.top5 = f.number("top5");
    r.weights = f.text("weights");
  }
  return r;
}

std::vector<MetricsRecord> read_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the metrics log");
  std::vector<MetricsRecord> records;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    try {
      records.push_back(parse_metrics_line(line));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ":" + std::to_string(n) + ": not a metrics record: " + e.what());
    }
  }
  return records;
}

MetricsLog::MetricsLog(const std::string& path, const std::string& tensorboard_dir, int64_t start_step)
    : out_(path, std::ios::app) {
  if (!out_) throw std::runtime_error(path + ": cannot write the metrics log");
  if (!tensorboard_dir.empty())
    tensorboard_ = std::make_unique<io::EventFileWriter>(tensorboard_dir, start_step);
}

MetricsLog::~MetricsLog() = default;

void MetricsLog::add_image(const std::string& tag, const std::string& png, int height, int width,
                           int64_t step) {
  if (tensorboard_) tensorboard_->add_image(tag, png, height, width, 3, step);
}

void MetricsLog::append(const MetricsRecord& record) {
  out_ << metrics_line(record) << "\n";
  out_.flush();
  if (!tensorboard_) return;
  const std::vector<std::pair<const char*, double>> scalars =
      record.mode == MetricsRecord::Mode::kTrain
          ? std::vector<std::pair<const char*, double>>{{"train/loss", record.loss},
                                                        {"train/lr", record.lr},
                                                        {"train/images_per_s", record.images_per_s},
                                                        {"train/data_wait", record.data_wait},
                                                        {"train/memory_mib", record.memory_mib}}
          : std::vector<std::pair<const char*, double>>{
                {"val/top1", record.top1}, {"val/top5", record.top5}, {"val/loss", record.loss}};
  for (const auto& [tag, value] : scalars) tensorboard_->add_scalar(tag, value, record.step);
}

void truncate_metrics(const std::string& path, int64_t step, int64_t epochs) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  bool dropped = false;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    bool keep = false;
    try {
      const auto r = parse_metrics_line(line);
      keep = r.mode == MetricsRecord::Mode::kTrain ? r.step <= step : r.epoch <= epochs;
    } catch (const std::invalid_argument& e) {
      if (!line.empty()) spdlog::warn("{}:{}: dropped, not a metrics record ({})", path, n, e.what());
    }
    if (keep) {
      kept += line + "\n";
    } else {
      dropped = true;
    }
  }
  if (dropped) io::write_file_atomic(path, kept);
}

}  // namespace hornet::engine
