// HorNet weight files (checkpoints of mmpretrain, the official repository and
// hornet; not training state, see engine/training_checkpoint.h): their key
// layouts, what their tensor shapes say about the model, and loading them into
// an ImageClassifier (docs/model.md §10, §7.3 on filter resizing, §10.6 and
// docs/checkpoints.md on the 22k -> 1k head map).
#pragma once

#include "hornet/io/state_dict.h"
#include "hornet/io/torch_file.h"
#include "hornet/models/classifier.h"

#include <map>
#include <string>
#include <vector>

namespace hornet::models {

/// mmpretrain: `backbone.stages.2.0.gnconv.projs.1.weight`, `head.fc.weight`.
/// Official repository: `stages.2.0.gnconv.pws.1.weight`, `gamma1`, `norm.*`, `head.weight`.
enum class KeyLayout { kMmpretrain, kOfficial };

/// The layout a set of weight names uses (mmpretrain when any starts with `backbone.`).
KeyLayout detect_layout(const std::vector<std::string>& names);
/// Renames an official key to mmpretrain's (the rules of mmpretrain's converter).
std::string official_to_mmpretrain(const std::string& name);
/// Renames an mmpretrain key to the official repository's.
std::string mmpretrain_to_official(const std::string& name);

/// Tensor shapes by mmpretrain name.
using ShapeMap = std::map<std::string, std::vector<int64_t>>;

/// Weight names (mmpretrain layout) and shapes of `weights`, whatever their layout.
ShapeMap weight_shapes(const io::FoundWeights& weights);

/// `arch` with the GF filter sizes the checkpoint's complex weights have. Throws
/// std::invalid_argument when the checkpoint's widths, depths or mixers cannot
/// belong to `arch` (naming the tensor and both shapes).
ArchSpec arch_for_checkpoint(const ArchSpec& arch, const ShapeMap& shapes);

/// The zoo arch a checkpoint's shapes belong to, preferring the one whose GF
/// filter sizes are the checkpoint's (base-gf384 over base-gf for a 384
/// file). Throws std::invalid_argument when none fits.
std::string zoo_arch_for_checkpoint(const ShapeMap& shapes);

/// Classifier outputs in the checkpoint (rows of head.fc.weight), or 0 without a head.
int64_t checkpoint_num_classes(const ShapeMap& shapes);

/// Reads a class index map: a torch.save file holding an int64 tensor [N]
/// (the official `in1k_to_21k_map.pth` selects 1000 of the 22k head's rows).
torch::Tensor read_class_index(const std::string& path);

struct WeightLoadOptions {
  /// Every model tensor must be loaded and every checkpoint tensor used
  /// (evaluation); otherwise problems are reported and skipped (fine-tuning).
  bool strict = true;
  /// When set, head rows are taken from the checkpoint's head at these indices.
  torch::Tensor class_index;
  /// A head of another class count is left freshly initialised (instead of
  /// being a mismatch).
  bool reinit_mismatched_head = false;
  /// GF complex weights of another grid are resized (bilinear, aligned corners).
  bool resize_filters = true;
  /// Tensors taken as they are (CPU parameters of the stored dtype and shape)
  /// alias the mapped file instead of being read into the parameters (see
  /// io::TorchFile::map): no reading up front and no CRC-32 checks. Tensors
  /// the file cannot alias are read as usual.
  bool map_file = false;
};

/// Copies `weights` (from `file`, either layout) into `model`, one tensor in
/// memory at a time. With strict options any missing, unexpected or mismatched
/// tensor throws std::runtime_error carrying the report before anything is copied.
io::LoadReport load_weights(ImageClassifierImpl& model, const io::TorchFile& file,
                            const io::FoundWeights& weights, const WeightLoadOptions& options = {});

struct CheckpointModelOptions {
  /// Classifier outputs; 0 takes the class index's length or the checkpoint head's.
  int64_t num_classes = 0;
  /// Which weights (see io::WeightChoice): by default those the file's framework evaluates.
  io::WeightChoice weights = io::WeightChoice::kDefault;
  /// A class index file (see read_class_index) slicing the checkpoint's head.
  std::string class_map;
  /// When set, GF filters are resized once, while loading, to the grids of
  /// this square input size; otherwise the model keeps the checkpoint's sizes.
  int64_t image_size = 0;
  bool strict = true;
  /// See WeightLoadOptions::map_file.
  bool map_file = false;
};

struct LoadedClassifier {
  ImageClassifier model{nullptr};
  io::LoadReport report;
  std::string source;         ///< where the weights were in the file
  KeyLayout layout = KeyLayout::kMmpretrain;
  double load_seconds = 0.0;  ///< file opened -> model built and filled, ready for a forward pass
  double crc_seconds = 0.0;   ///< thread time of the CRC-32 checks within it (zip files only)
};

/// Builds the zoo arch `arch_name` shaped by the checkpoint (GF filter sizes,
/// class count) and loads its weights.
LoadedClassifier classifier_from_checkpoint(const std::string& arch_name, const std::string& path,
                                            const CheckpointModelOptions& options = {});
/// The same for any arch (a custom one, say).
LoadedClassifier classifier_from_checkpoint(const ArchSpec& arch, const std::string& path,
                                            const CheckpointModelOptions& options = {});

enum class ConvertTarget {
  kMmpretrain,  ///< a flat dict of `backbone.*` / `head.fc.*` tensors, as mmpretrain publishes
  kOfficial,    ///< {'model': {...}} with the official repository's names
  kHornet,      ///< {'meta': {...}, 'state_dict': {...}} with mmpretrain names
  /// mmpretrain names in a safetensors file (any layout is written as safetensors
  /// when the output's name ends in ".safetensors": its names, flat, with the
  /// meta as string metadata).
  kSafetensors,
};

/// Parses "mmpretrain", "official", "hornet" or "safetensors"; throws std::invalid_argument otherwise.
ConvertTarget parse_convert_target(const std::string& name);

/// Reads the weights of `input` (either layout, raw or EMA; torch.save or
/// safetensors) and writes them to `output` in `target`'s layout, as a
/// torch.save zip file or a safetensors file (see ConvertTarget). With
/// `backbone_out_indices`, only the backbone is written, as mmdet and mmseg
/// configs load it (mmpretrain names, `backbone.` prefix, no head), with an
/// output norm `norm{i}` for each index: the file's, or the identity (ones,
/// zeros) where it has none. Returns the number of tensors written.
size_t convert_checkpoint(const std::string& input, const std::string& output, ConvertTarget target,
                          bool use_ema = false, const std::vector<int64_t>& backbone_out_indices = {});

/// A backbone for dense tasks: the normalised maps of `out_indices` (no
/// pooling), of the zoo arch `arch_name` (empty: the one the file's shapes
/// fit, see zoo_arch_for_checkpoint), its weights the `backbone.*` tensors of any HorNet weight file
/// (a classifier's head is left aside). An output norm the file lacks starts
/// with unit weight and zero bias and is reported as reinitialised; any other missing,
/// unexpected or misshaped tensor throws std::runtime_error with the report.
struct LoadedBackbone {
  HorNet model{nullptr};
  io::LoadReport report;
};
LoadedBackbone backbone_from_checkpoint(const std::string& arch_name, const std::string& path,
                                        const std::vector<int64_t>& out_indices,
                                        io::WeightChoice weights = io::WeightChoice::kDefault);

/// Writes a freshly initialised classifier of `arch` (the framework's own
/// initialisation, from `seed`) to `output` in `target`'s layout: a starting
/// point to load elsewhere, or a file to try the tools on. Returns the number
/// of tensors written.
size_t save_initialised_checkpoint(const ArchSpec& arch, int64_t num_classes, uint64_t seed, const std::string& output,
                                   ConvertTarget target);

/// The class names the checkpoint at `path` carries (see
/// io::checkpoint_class_names); empty when it has none.
std::vector<std::string> checkpoint_class_names(const std::string& path);

/// A readable account of a checkpoint: its structure (keys, shapes, dtypes,
/// opaque objects by class name) and, when it holds HorNet weights, where they
/// are, their layout and what the shapes say about the model.
std::string inspect_checkpoint(io::TorchFile& file);

}  // namespace hornet::models
