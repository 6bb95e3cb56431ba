// State-dict extraction and loading with a report.
#include "hornet/io/state_dict.h"

#include <torch/nn/module.h>

#include <sstream>
#include <stdexcept>

namespace hornet::io {

StateDict state_dict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

std::string LoadReport::str() const {
  std::ostringstream os;
  os << "loaded " << loaded << " tensors";
  if (!missing.empty()) {
    os << "\n  missing in checkpoint (" << missing.size() << "):";
    for (const auto& k : missing) os << "\n    " << k;
  }
  if (!unexpected.empty()) {
    os << "\n  unexpected in checkpoint (" << unexpected.size() << "):";
    for (const auto& k : unexpected) os << "\n    " << k;
  }
  if (!mismatched.empty()) {
    os << "\n  shape mismatch (" << mismatched.size() << "):";
    for (const auto& m : mismatched) {
      os << "\n    " << m.key << ": model " << c10::IntArrayRef(m.expected) << ", checkpoint "
         << c10::IntArrayRef(m.found);
    }
  }
  return os.str();
}

LoadReport load_state_dict(torch::nn::Module& module, const StateDict& dict, bool strict) {
  const StateDict own = state_dict(module);
  LoadReport report;
  for (const auto& [key, target] : own) {
    const auto it = dict.find(key);
    if (it == dict.end()) {
      report.missing.push_back(key);
    } else if (it->second.sizes() != target.sizes()) {
      report.mismatched.push_back({key, target.sizes().vec(), it->second.sizes().vec()});
    }
  }
  for (const auto& [key, value] : dict) {
    if (!own.count(key)) report.unexpected.push_back(key);
  }
  if (strict && !report.clean()) {
    throw std::runtime_error("state dict does not match the model: " + report.str());
  }
  torch::NoGradGuard no_grad;
  for (const auto& [key, target] : own) {
    const auto it = dict.find(key);
    if (it == dict.end() || it->second.sizes() != target.sizes()) continue;
    target.copy_(it->second);
    ++report.loaded;
  }
  return report;
}

}  // namespace hornet::io
