#include "hornet/engine/loss.h"

#include <algorithm>

namespace hornet::engine {

torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::sum(-targets * torch::log_softmax(logits, -1), -1).mean();
}

torch::Tensor topk_hits(const torch::Tensor& logits, const torch::Tensor& labels, int64_t k) {
  const int64_t kmax = std::min<int64_t>(k, logits.size(1));
  if (logits.size(0) == 0) return torch::zeros({0, kmax}, torch::kBool);
  const auto top = std::get<1>(logits.topk(kmax, 1));
  return top.eq(labels.view({-1, 1}).to(top.device()));
}

std::vector<int64_t> topk_correct(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const std::vector<int64_t>& ks) {
  std::vector<int64_t> out;
  if (logits.size(0) == 0) return std::vector<int64_t>(ks.size(), 0);
  const auto hit = topk_hits(logits, labels, *std::max_element(ks.begin(), ks.end()));
  for (int64_t k : ks) out.push_back(hit.narrow(1, 0, std::min(k, hit.size(1))).any(1).sum().item<int64_t>());
  return out;
}

}  // namespace hornet::engine
