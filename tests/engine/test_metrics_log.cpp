// metrics.jsonl: the line format the header documents, read back as written,
// and cut back to a checkpoint when a run resumes.
#include "hornet/engine/metrics_log.h"

#include "hornet/io/file_util.h"
#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <cmath>

#include <fstream>

using namespace hornet;
using engine::MetricsRecord;
using Catch::Matchers::Contains;

namespace {
MetricsRecord train_record(int64_t step) {
  MetricsRecord r;
  r.epoch = 1;
  r.iter = 4 * step;
  r.step = step;
  r.loss = 6.25;
  r.lr = 1.25e-7;
  r.images_per_s = 812.5;
  r.data_wait = 0.125;
  r.memory_mib = 1536.5;
  return r;
}
MetricsRecord val_record(int64_t epoch) {
  MetricsRecord r;
  r.mode = MetricsRecord::Mode::kVal;
  r.epoch = epoch;
  r.step = 10 * epoch;
  r.top1 = 81.25;
  r.top5 = 95.5;
  r.loss = NAN;
  r.weights = "ema";
  return r;
}
}  // namespace

TEST_CASE("metrics log: the lines are the documented JSON objects", "[engine][metrics]") {
  CHECK(engine::metrics_line(train_record(3)) ==
        "{\"mode\": \"train\", \"epoch\": 1, \"iter\": 12, \"step\": 3, \"loss\": 6.25, \"lr\": 1.25e-07, "
        "\"images_per_s\": 812.5, \"data_wait\": 0.125, \"memory_mib\": 1536.5}");
  // A line written before memory_mib existed still reads, without it.
  const auto old = engine::parse_metrics_line(
      "{\"mode\": \"train\", \"epoch\": 1, \"iter\": 12, \"step\": 3, \"loss\": 6.25, \"lr\": 1.25e-07, "
      "\"images_per_s\": 812.5, \"data_wait\": 0.125}");
  CHECK((old.step == 3 && old.data_wait == 0.125 && std::isnan(old.memory_mib)));
  CHECK(engine::metrics_line(val_record(2)) ==
        "{\"mode\": \"val\", \"epoch\": 2, \"step\": 20, \"top1\": 81.25, \"top5\": 95.5, \"loss\": null, "
        "\"weights\": \"ema\"}");
}

TEST_CASE("metrics log: what the writer appends the reader gives back", "[engine][metrics]") {
  const std::string path = test::temp_dir("metrics") + "/metrics.jsonl";
  {
    engine::MetricsLog log(path);
    log.append(train_record(1));
    log.append(val_record(1));
  }
  engine::MetricsLog(path).append(train_record(2));  // a resumed run appends
  const auto records = engine::read_metrics(path);
  REQUIRE(records.size() == 3);
  CHECK(records[0].mode == MetricsRecord::Mode::kTrain);
  CHECK((records[0].iter == 4 && records[0].step == 1 && records[0].lr == 1.25e-7 && records[0].data_wait == 0.125));
  CHECK(records[1].mode == MetricsRecord::Mode::kVal);
  CHECK((records[1].top1 == 81.25 && records[1].top5 == 95.5 && std::isnan(records[1].loss)));
  CHECK(records[1].weights == "ema");
  CHECK(records[2].step == 2);

  CHECK_THROWS_WITH(engine::parse_metrics_line("{\"mode\": \"val\", \"epoch\": 1}"), Contains("no \"step\" field"));
  CHECK_THROWS_WITH(engine::parse_metrics_line("{\"mode\": \"test\", \"epoch\": 1, \"step\": 1}"),
                    Contains("not train or val"));
  CHECK_THROWS_WITH(engine::parse_metrics_line("{\"mode\": \"train\", \"epoch\": \"1\", \"step\": 1}"),
                    Contains("\"epoch\" has the wrong type"));
  std::ofstream(path, std::ios::app) << "{\"mode\": \"tra\n";
  CHECK_THROWS_WITH(engine::read_metrics(path), Contains("metrics.jsonl:4: not a metrics record"));
}

TEST_CASE("metrics log: a resume keeps what its checkpoint covers and drops a line cut short", "[engine][metrics]") {
  const std::string path = test::temp_dir("metrics_cut") + "/metrics.jsonl";
  std::string text;
  for (int64_t step = 1; step <= 4; ++step) text += engine::metrics_line(train_record(step)) + "\n";
  for (int64_t epoch = 1; epoch <= 2; ++epoch) text += engine::metrics_line(val_record(epoch)) + "\n";
  text += "{\"mode\": \"train\", \"epo";  // the process was killed mid-write
  io::write_file_atomic(path, text);
  engine::truncate_metrics(path, 2, 1);
  const auto kept = engine::read_metrics(path);
  REQUIRE(kept.size() == 3);
  CHECK((kept[0].step == 1 && kept[1].step == 2));
  CHECK((kept[2].mode == MetricsRecord::Mode::kVal && kept[2].epoch == 1));
}
