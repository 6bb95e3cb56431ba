#include "support/fixtures.h"

#include "hornet/io/npy.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace hornet::test {

namespace fs = std::filesystem;

std::string fixture_dir() {
  const char* env = std::getenv("HORNET_FIXTURE_DIR");
  return env ? env : HORNET_FIXTURE_DIR;
}

std::string temp_dir(const std::string& tag) {
  static std::vector<fs::path> created;
  static const struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      for (const auto& p : created) fs::remove_all(p, ec);
    }
  } cleanup;
  std::random_device rd;
  const auto dir = fs::temp_directory_path() / ("hornet-test-" + tag + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  created.push_back(dir);
  return dir.string();
}

io::StateDict read_npy_dir(const std::string& dir) {
  if (!fs::is_directory(dir)) {
    throw std::runtime_error("fixture directory " + dir +
                             " is missing: run the reference_fixtures test (ctest) first");
  }
  io::StateDict out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".npy") continue;
    auto key = fs::relative(entry.path(), dir).replace_extension("").string();
    out[key] = io::read_npy(entry.path().string());
  }
  return out;
}

ModelCase load_model_case(const std::string& name) {
  ModelCase c;
  c.name = name;
  c.dir = fixture_dir() + "/models/" + name;
  const auto json_path = c.dir + "/case.json";
  if (!fs::exists(json_path)) {
    throw std::runtime_error(json_path + " is missing: run the reference_fixtures test (ctest) first");
  }
  const YAML::Node root = YAML::LoadFile(json_path);
  if (root["zoo"] && !root["zoo"].IsNull()) c.zoo = root["zoo"].as<std::string>();
  c.num_classes = root["num_classes"].as<int64_t>();
  c.input_shape = root["input_shape"].as<std::vector<int64_t>>();
  const auto arch = root["arch"];
  c.arch.name = name;
  c.arch.base_dim = arch["base_dim"].as<int64_t>();
  c.arch.depths = arch["depths"].as<std::vector<int64_t>>();
  c.arch.orders = arch["orders"].as<std::vector<int64_t>>();
  c.arch.mixers.clear();
  for (const auto& m : arch["mixers"]) {
    const auto kind = m[0].as<std::string>();
    c.arch.mixers.push_back(kind == "dw" ? models::MixerSpec::depthwise(m[1].as<int64_t>())
                                         : models::MixerSpec::global_local(m[1].as<int64_t>(), m[2].as<int64_t>()));
  }
  c.arch.input_size = c.input_shape.at(2);
  return c;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes()) throw std::runtime_error("max_abs_diff: shapes differ");
  if (a.numel() == 0) return 0.0;
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

int run_python(const std::string& args) {
  const std::string cmd = std::string(HORNET_PYTHON) + " " + args;
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hornet::test
