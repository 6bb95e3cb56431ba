// The top-5 classes of each image, from any HorNet checkpoint hornet reads
// (mmpretrain's converted files, the official repository's, hornet's own),
// with the evaluation preprocessing the published accuracies were measured with.
//   classify ARCH CHECKPOINT IMAGE...
#include <hornet/engine/predict.h>
#include <hornet/models/weight_file.h>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: " << argv[0] << " ARCH CHECKPOINT IMAGE...   (ARCH: tiny, tiny-gf, ..., large-gf384)\n";
    return 2;
  }
  try {
    auto loaded = hornet::models::classifier_from_checkpoint(argv[1], argv[2]);
    auto& model = *loaded.model;
    const auto preprocess = hornet::data::eval_options_for_size(static_cast<int>(model.arch().input_size));
    const std::vector<std::string> images(argv + 3, argv + argc);
    const auto result = hornet::engine::predict(model, images, preprocess, /*topk=*/5);
    // Class names travel in hornet's own checkpoints; other files give indices.
    const auto names = hornet::models::checkpoint_class_names(argv[2]);
    std::cout << hornet::engine::format_predictions(result.predictions, names);
    for (const auto& s : result.skipped) std::cerr << "skipped " << s.path << ": " << s.reason << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "classify: " << e.what() << "\n";
    return 1;
  }
}
