// LinearClsHead and ImageClassifier (docs/model.md §8-§9).
#include "hornet/models/classifier.h"

#include "hornet/models/init.h"
#include "hornet/models/summary.h"

#include <algorithm>

namespace hornet::models {

LinearClsHeadImpl::LinearClsHeadImpl(LinearClsHeadOptions options_) : options(std::move(options_)) {
  reset();
}

void LinearClsHeadImpl::reset() {
  if (options.in_channels() < 1 || options.num_classes() < 1) {
    throw std::invalid_argument("LinearClsHead: in_channels and num_classes must be positive, got " +
                                std::to_string(options.in_channels()) + " and " +
                                std::to_string(options.num_classes()));
  }
  fc = register_module("fc", Linear(options.in_channels(), options.num_classes()));
  reset_parameters();
}

void LinearClsHeadImpl::reset_parameters() { init_conv_linear_trunc_normal(*this, 0.02); }

void LinearClsHeadImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::LinearClsHead(in_channels=" << options.in_channels()
         << ", num_classes=" << options.num_classes() << ")";
}

torch::Tensor LinearClsHeadImpl::forward(const torch::Tensor& features) {
  check_input(features, "LinearClsHead", 2, 1, options.in_channels());
  return fc(features);
}

ImageClassifierImpl::ImageClassifierImpl(ImageClassifierOptions options_)
    : options(std::move(options_)) {
  reset();
}

void ImageClassifierImpl::reset() {
  const auto& bb = options.backbone();
  const auto& idx = bb.out_indices();
  const bool has_last = std::any_of(idx.begin(), idx.end(), [](int64_t i) { return i == 3 || i == -1; });
  if (!bb.gap_before_final_norm() || !has_last) {
    throw std::invalid_argument(
        "ImageClassifier: the backbone must pool before its final norm and output the last stage "
        "(gap_before_final_norm=true, out_indices containing 3)");
  }
  backbone = register_module("backbone", HorNet(bb));
  head = register_module("head", LinearClsHead(LinearClsHeadOptions(backbone->stage_dims().back(),
                                                                    options.num_classes())));
}

void ImageClassifierImpl::pretty_print(std::ostream& stream) const {
  stream << "hornet::ImageClassifier(arch=" << arch().name << ", num_classes=" << num_classes() << ")";
}

torch::Tensor ImageClassifierImpl::forward_features(const torch::Tensor& images) {
  return backbone(images).back();
}

torch::Tensor ImageClassifierImpl::forward_head(const torch::Tensor& features, bool pre_logits) {
  return pre_logits ? features : head(features);
}

torch::Tensor ImageClassifierImpl::forward(const torch::Tensor& images) {
  return forward_head(forward_features(images));
}

void ImageClassifierImpl::reset_classifier(int64_t num_classes) {
  options.num_classes(num_classes);
  head = replace_module("head", LinearClsHead(LinearClsHeadOptions(backbone->stage_dims().back(),
                                                                   num_classes)));
  // The new head lives where the rest of the model does.
  const torch::Tensor reference = backbone->parameters().front();
  head->to(reference.device(), reference.scalar_type());
}

ImageClassifier make_classifier(const std::string& arch_name, int64_t num_classes,
                                double drop_path_rate) {
  return ImageClassifier(
      ImageClassifierOptions(HorNetOptions(arch_by_name(arch_name)).drop_path_rate(drop_path_rate))
          .num_classes(num_classes));
}

}  // namespace hornet::models
