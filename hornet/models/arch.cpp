// The HorNet arch zoo and arch validation (docs/model.md §2).
#include "hornet/models/arch.h"

#include "hornet/common/suggest.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace hornet::models {

MixerSpec MixerSpec::depthwise(int64_t kernel_size) {
  MixerSpec spec;
  spec.kind = MixerKind::kDepthwise;
  spec.kernel_size = kernel_size;
  return spec;
}

MixerSpec MixerSpec::global_local(int64_t h, int64_t w) {
  MixerSpec spec;
  spec.kind = MixerKind::kGlobalLocal;
  spec.h = h;
  spec.w = w;
  return spec;
}

std::string MixerSpec::str() const {
  if (kind == MixerKind::kDepthwise) return "dw" + std::to_string(kernel_size);
  return "gf" + std::to_string(h) + "x" + std::to_string(w);
}

bool MixerSpec::operator==(const MixerSpec& other) const {
  if (kind != other.kind) return false;
  if (kind == MixerKind::kDepthwise) return kernel_size == other.kernel_size;
  return h == other.h && w == other.w;
}

std::ostream& operator<<(std::ostream& os, const MixerSpec& mixer) { return os << mixer.str(); }

std::vector<int64_t> ArchSpec::stage_dims() const {
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < kNumStages; ++i) dims.push_back(base_dim << i);
  return dims;
}

int64_t ArchSpec::num_blocks() const {
  return std::accumulate(depths.begin(), depths.end(), int64_t{0});
}

std::string ArchSpec::mixers_str() const {
  std::string out;
  for (const auto& m : mixers) out += (out.empty() ? "" : ",") + m.str();
  return out;
}

std::vector<int64_t> gnconv_dims(int64_t dim, int64_t order) {
  if (order < 1) {
    throw std::invalid_argument("gnConv order must be >= 1, got " + std::to_string(order));
  }
  if (order > 62 || dim <= 0 || dim % (int64_t{1} << (order - 1)) != 0) {
    throw std::invalid_argument("gnConv of order " + std::to_string(order) +
                                " needs a channel count divisible by 2^" +
                                std::to_string(order - 1) + ", got " + std::to_string(dim));
  }
  std::vector<int64_t> dims;
  for (int64_t i = order - 1; i >= 0; --i) dims.push_back(dim >> i);
  return dims;
}

namespace {

std::string join(const std::vector<int64_t>& v) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

[[noreturn]] void fail(const ArchSpec& arch, const std::string& what) {
  throw std::invalid_argument("arch '" + arch.name + "': " + what);
}

struct ZooEntry {
  std::vector<std::string> aliases;
  ArchSpec arch;
};

ArchSpec make_arch(std::string name, int64_t base_dim, std::vector<MixerSpec> mixers,
                   int64_t input_size) {
  ArchSpec arch;
  arch.name = std::move(name);
  arch.base_dim = base_dim;
  arch.mixers = std::move(mixers);
  arch.input_size = input_size;
  return arch;
}

const std::vector<ZooEntry>& zoo_table() {
  static const std::vector<ZooEntry> table = [] {
    const auto dw = MixerSpec::depthwise(7);
    const std::vector<MixerSpec> dw_all(4, dw);
    const std::vector<MixerSpec> gf224 = {dw, dw, MixerSpec::global_local(14, 8),
                                          MixerSpec::global_local(7, 4)};
    const std::vector<MixerSpec> gf384 = {dw, dw, MixerSpec::global_local(24, 13),
                                          MixerSpec::global_local(12, 7)};
    return std::vector<ZooEntry>{
        {{"t"}, make_arch("tiny", 64, dw_all, 224)},
        {{"t-gf"}, make_arch("tiny-gf", 64, gf224, 224)},
        {{"s"}, make_arch("small", 96, dw_all, 224)},
        {{"s-gf"}, make_arch("small-gf", 96, gf224, 224)},
        {{"b"}, make_arch("base", 128, dw_all, 224)},
        {{"b-gf"}, make_arch("base-gf", 128, gf224, 224)},
        {{"b-gf384"}, make_arch("base-gf384", 128, gf384, 384)},
        {{"l"}, make_arch("large", 192, dw_all, 224)},
        {{"l-gf"}, make_arch("large-gf", 192, gf224, 224)},
        {{"l-gf384"}, make_arch("large-gf384", 192, gf384, 384)},
    };
  }();
  return table;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

void validate(const ArchSpec& arch) {
  if (arch.base_dim <= 0) fail(arch, "base_dim must be positive, got " + std::to_string(arch.base_dim));
  auto check_len = [&](const char* field, size_t n) {
    if (n != static_cast<size_t>(kNumStages)) {
      fail(arch, std::string(field) + " needs one entry per stage (" + std::to_string(kNumStages) +
                     "), got " + std::to_string(n));
    }
  };
  check_len("depths", arch.depths.size());
  check_len("orders", arch.orders.size());
  check_len("mixers", arch.mixers.size());
  if (arch.input_size < 32) {
    fail(arch, "input_size must be at least 32 (the stem and three downsamplings divide it by 32), got " +
                   std::to_string(arch.input_size));
  }
  const auto dims = arch.stage_dims();
  for (int64_t i = 0; i < kNumStages; ++i) {
    const std::string stage = "stage " + std::to_string(i);
    if (arch.depths[i] < 1) fail(arch, "depths " + join(arch.depths) + ": " + stage + " needs at least one block");
    const int64_t order = arch.orders[i];
    if (order < 1 || order > 16) {
      fail(arch, "orders " + join(arch.orders) + ": " + stage + " order must be in [1, 16]");
    }
    if (dims[i] % (int64_t{1} << (order - 1)) != 0) {
      fail(arch, stage + " has " + std::to_string(dims[i]) + " channels, which a gnConv of order " +
                     std::to_string(order) + " cannot split: the channel count must be divisible by 2^" +
                     std::to_string(order - 1));
    }
    const auto split = gnconv_dims(dims[i], order);
    const int64_t mixed = std::accumulate(split.begin(), split.end(), int64_t{0});
    const auto& mixer = arch.mixers[i];
    if (mixer.kind == MixerKind::kDepthwise) {
      if (mixer.kernel_size < 1 || mixer.kernel_size % 2 == 0) {
        fail(arch, "mixers[" + std::to_string(i) + "] = " + mixer.str() + " (" + stage +
                       "): the depthwise kernel size must be odd and positive");
      }
    } else {
      if (mixer.h < 1 || mixer.w < 1) {
        fail(arch, "mixers[" + std::to_string(i) + "] = " + mixer.str() + " (" + stage +
                       "): the GF filter size (h, w) must be positive");
      }
      if (mixed % 2 != 0) {
        fail(arch, "mixers[" + std::to_string(i) + "] = " + mixer.str() + " (" + stage + "): the stage mixes " +
                       std::to_string(mixed) + " channels, which GF cannot split into equal local and global halves");
      }
    }
  }
}

ArchSpec arch_for_image_size(const ArchSpec& arch, int64_t image_size) {
  if (image_size < 32) {
    throw std::invalid_argument("image size must be at least 32, got " + std::to_string(image_size));
  }
  ArchSpec out = arch;
  out.input_size = image_size;
  for (size_t i = 0; i < out.mixers.size(); ++i) {
    if (out.mixers[i].kind != MixerKind::kGlobalLocal) continue;
    const int64_t side = image_size >> (i + 2);
    out.mixers[i] = MixerSpec::global_local(side, side / 2 + 1);
  }
  return out;
}

const std::vector<ArchSpec>& arch_zoo() {
  static const std::vector<ArchSpec> archs = [] {
    std::vector<ArchSpec> out;
    for (const auto& e : zoo_table()) out.push_back(e.arch);
    return out;
  }();
  return archs;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const auto& e : zoo_table()) {
    names.push_back(e.arch.name);
    names.insert(names.end(), e.aliases.begin(), e.aliases.end());
  }
  return names;
}

const ArchSpec& arch_by_name(const std::string& name) {
  const std::string key = lower(name);
  for (const auto& e : zoo_table()) {
    if (e.arch.name == key) return e.arch;
    for (const auto& alias : e.aliases) {
      if (alias == key) return e.arch;
    }
  }
  std::string valid;
  for (const auto& n : arch_names()) valid += (valid.empty() ? "" : ", ") + n;
  const std::string guess = common::closest_match(key, arch_names());
  throw std::invalid_argument("unknown HorNet arch '" + name + "'" +
                              (guess.empty() ? "" : " (did you mean '" + guess + "'?)") + "; valid archs: " + valid);
}

}  // namespace hornet::models
