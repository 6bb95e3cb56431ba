// Conv2d and Linear as HorNet uses them: PyTorch's parameter names, shapes and
// default initialisation, plus two things LibTorch's own modules cannot do:
//   - skip initialisation when a checkpoint will overwrite every tensor
//     (SkipInitGuard, init.h): a HorNet-B's default init alone takes longer
//     than reading its checkpoint;
//   - run depthwise convolutions on hornet's kernels (ops/depthwise_conv.h)
//     and large linear layers on oneDNN (ops/linear.h).
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace hornet::models {

struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  /// Square kernels only (all HorNet needs).
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, padding) = 0;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = true;
};

/// `weight` [out, in/groups, k, k], `bias` [out]; initialised as torch.nn.Conv2d
/// (kaiming-uniform with a = sqrt(5), bias uniform in +-1/sqrt(fan_in)).
class Conv2dImpl : public torch::nn::Cloneable<Conv2dImpl> {
 public:
  explicit Conv2dImpl(Conv2dOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);
  /// Output length along a spatial axis for input length `size`.
  int64_t output_size(int64_t size) const;

  Conv2dOptions options;
  torch::Tensor weight;
  torch::Tensor bias;
};
TORCH_MODULE(Conv2d);

/// `weight` [out, in], `bias` [out]; initialised as torch.nn.Linear.
class LinearImpl : public torch::nn::Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  int64_t in_features;
  int64_t out_features;
  torch::Tensor weight;
  torch::Tensor bias;
};
TORCH_MODULE(Linear);

}  // namespace hornet::models
