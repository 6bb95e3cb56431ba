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
  torch::Tensor logits;  ///< [samples, classes] when kept, in loader order
  torch::Tensor labels;
  torch::Tensor indices;  ///< dataset index of each row
};

/// `group`: the ranks whose shards make up the dataset (null: this loader is all of it).
EvalResult evaluate(models::ImageClassifierImpl& model, data::DataLoader& loader, bool keep_logits = false,
                    distributed::ProcessGroup* group = nullptr);

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
/// pipeline of `config`, on `data` (a folder or annotation file) or the
/// config's validation set. Loading is strict. A dataset whose class count
/// differs from the model's, and a run in which no image could be read, are
/// errors (an accuracy over nothing, or over shifted labels, means nothing).
EvalResult validate_checkpoint(const config::ExperimentConfig& config, const std::string& checkpoint,
                               const std::string& data, io::WeightChoice weights, int64_t batch_size = 0,
                               bool keep_logits = false);

}  // namespace hornet::engine
