// Validation: top-1 / top-5 accuracy (and the plain cross-entropy) of a model
// over a loader's epoch. In a process group each rank evaluates its shard
// (make_val_loader with the rank) and the per-sample results are gathered;
// the samples the distributed sampler repeats to even out the shards are
// counted once, so the figures equal a single process's.
#pragma once

#include "hornet/config/experiment.h"
#include "hornet/data/loader.h"
#include "hornet/io/state_dict.h"
#include "hornet/models/classifier.h"

#include <cmath>
#include <memory>

namespace hornet::distributed {
class ProcessGroup;
}

namespace hornet::engine {

struct EvalResult {
  double top1 = 0.0;  ///< percent
  double top5 = 0.0;
  double loss = 0.0;
  int64_t samples = 0;
  bool ema = false;            ///< the EMA weights were evaluated
  bool file_has_both = false;  ///< the checkpoint also holds the other weights
  std::string weights_source;  ///< where in the file the weights were
  /// Each evaluated sample's label and top-1 class (int64 [samples]), by dataset index.
  torch::Tensor targets;
  torch::Tensor predicted;
  torch::Tensor logits;  ///< [samples, classes] when kept, in loader order
  torch::Tensor labels;
  torch::Tensor indices;  ///< dataset index of each row
  std::vector<std::string> paths;        ///< with the logits: each row's image file
  std::vector<std::string> class_names;  ///< the dataset's
  std::string data;                      ///< the dataset's description
  double seconds = 0.0;                  ///< the evaluation loop's wall time (loading the data included)
  /// ImageNet-ReaL accuracy (percent) over the `real_samples` images that
  /// have ReaL labels; NaN when not asked for.
  double real_top1 = NAN, real_top5 = NAN;
  int64_t real_samples = 0;
};

/// ImageNet-ReaL labels (real.json of "Are we done with ImageNet?", Beyer et
/// al. 2020): entry i lists every class judged right for validation image
/// ILSVRC2012_val_<i+1, 8 digits>; an empty list leaves the image out. Throws
/// std::runtime_error naming the file when it is not such a list.
std::vector<std::vector<int64_t>> read_real_labels(const std::string& path);

/// The entry of `real` that the image at `path` (ILSVRC2012_val_NNNNNNNN.*)
/// is scored by. Throws std::invalid_argument naming the image when its file
/// name is not such a name or its number is past the labels.
const std::vector<int64_t>& real_labels_of(const std::string& path,
                                           const std::vector<std::vector<int64_t>>& real);

/// Sets `result`'s ReaL accuracy from its kept logits and paths: an image
/// counts as right at k when any of its top-k classes is among its ReaL
/// labels (real_labels_of). validate_checkpoint checks every image's name
/// before it evaluates, so a dataset ReaL cannot score fails at once.
void score_real_labels(EvalResult& result, const std::vector<std::vector<int64_t>>& real);

/// Per-class counts of an evaluation: samples and top-1 hits of each true
/// class, and (when `with_confusion`) the confusion matrix, rows the true
/// class and columns the predicted one.
struct ClassBreakdown {
  std::vector<int64_t> samples;
  std::vector<int64_t> correct;
  torch::Tensor confusion;  ///< int64 [classes, classes], undefined unless asked for
};
ClassBreakdown class_breakdown(const EvalResult& result, int64_t num_classes, bool with_confusion);

/// Confusion matrices are written for up to this many classes (ImageNet-1k's
/// is 1M counts; ImageNet-22k's would be 477M).
constexpr int64_t kMaxConfusionClasses = 1000;

/// The JSON report of a validation (`hornet-eval CONFIG --out`): the metrics,
/// per-class samples and accuracy with the dataset's class names, the
/// confusion matrix (rows true, columns predicted; null above
/// kMaxConfusionClasses), `other` (the file's other weights) when given, and
/// `extra` fields as "key": JSON-value pairs.
std::string eval_report_json(const EvalResult& result, int64_t num_classes, const EvalResult* other = nullptr,
                             const std::vector<std::pair<std::string, std::string>>& extra = {});

/// Writes an evaluation's logits to `path` (.npy, float32), their labels to
/// `<stem>.labels.npy` (int64) and their image files to `<stem>.paths.txt`,
/// row for row; returns the three names.
std::vector<std::string> write_logits(const std::string& path, const EvalResult& result);

/// `group`: the ranks whose shards make up the dataset (null: this loader is all of it).
/// `autocast`: the forward's mixed-precision type (Undefined: full precision).
/// `channels_last`: feed the model channels-last images (its convolution
/// weights are, see engine/device_setup.h). `flip`: test-time augmentation,
/// the logits are the mean of the image's and its mirror image's.
EvalResult evaluate(models::ImageClassifierImpl& model, data::DataLoader& loader, bool keep_logits = false,
                    distributed::ProcessGroup* group = nullptr,
                    c10::ScalarType autocast = c10::ScalarType::Undefined, bool channels_last = false,
                    bool flip = false);

/// Opens a dataset as a config describes it (root, split, prefix, class
/// names); an annotation file's labels must lie below `num_classes` (when > 0),
/// else the error names the file, line and class count.
data::Dataset open_dataset(const config::DatasetConfig& dataset, int64_t num_classes = 0);

/// A sequential loader over `dataset` (rank `rank`'s shard of `world_size`)
/// with the config's test pipeline (batch_size 0: the config's).
std::unique_ptr<data::DataLoader> make_val_loader(const config::ExperimentConfig& config, data::Dataset dataset,
                                                  int64_t batch_size = 0, int rank = 0, int world_size = 1);

/// The model of `config` with the weights of `checkpoint` (any format hornet
/// reads; GF filter sizes from the checkpoint), loaded strictly, on the
/// config's device.
models::ImageClassifier load_classifier(const config::ExperimentConfig& config, const std::string& checkpoint,
                                        io::WeightChoice weights, io::FoundWeights* found = nullptr);

/// Validates a checkpoint (any format hornet reads) with the model and test
/// pipeline of `config`, on `options.data` (a folder or annotation file) or
/// the config's validation set. Loading is strict. A dataset whose class count
/// differs from the model's, and a run in which no image could be read, are
/// errors (an accuracy over nothing, or over shifted labels, means nothing).
struct ValidateOptions {
  std::string data;  ///< folder or annotation file; empty: the config's data.val
  io::WeightChoice weights = io::WeightChoice::kDefault;
  int64_t batch_size = 0;  ///< 0: the config's
  bool keep_logits = false;
  config::AmpSetting amp = config::AmpSetting::kOff;  ///< autocast in the forward
  bool flip = false;        ///< horizontal-flip test-time augmentation (see evaluate)
  std::string real_labels;  ///< a real.json to score ImageNet-ReaL accuracy with too
};
EvalResult validate_checkpoint(const config::ExperimentConfig& config, const std::string& checkpoint,
                               const ValidateOptions& options);

}  // namespace hornet::engine
