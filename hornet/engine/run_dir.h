// The work directory of a run, and the rules that keep runs from losing or
// mixing work: a directory that holds a run is continued (--resume) or
// replaced on request (--overwrite), never silently reused; a resume takes the
// run's own config from its checkpoint (the metrics log is cut back to it by
// engine/metrics_log.h).
#pragma once

#include "hornet/config/config.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hornet::engine {

struct WorkDirContents {
  std::vector<std::string> checkpoints;  ///< file names: last.pth, best.pth, epoch_N.pth
  bool metrics = false;                  ///< a non-empty metrics.jsonl
  bool holds_run() const { return !checkpoints.empty() || metrics; }
  /// "last.pth, epoch_3.pth, metrics.jsonl".
  std::string str() const;
};

WorkDirContents inspect_work_dir(const std::string& dir);

/// Keeps the newest `keep` (at least 1) epoch_N.pth files of `dir`; last.pth
/// and best.pth are links of their own and stay.
void prune_epoch_checkpoints(const std::string& dir, int64_t keep);

/// Removes what a run leaves (checkpoints, metrics.jsonl, config.yaml, the
/// TensorBoard event files), for --overwrite.
void clear_work_dir(const std::string& dir);

/// The checkpoint `resume` designates: "auto" gives dir/last.pth, or the
/// newest epoch_N.pth, or "" when the directory holds none; anything else is
/// a path that must exist. A checkpoint that cannot be read is an error that
/// names the newest readable epoch_N.pth to resume from instead.
std::string resolve_resume(const std::string& dir, const std::string& resume);

/// The resolved config a hornet training checkpoint was trained with (its meta.config).
std::string checkpoint_config(const std::string& checkpoint);

/// Changes from `saved` to `requested` that would alter what a resumed run
/// computes (model, data, optimisation, schedule, EMA, seed), as
/// "key: old -> new"; runtime settings (threads, device, logging, workers)
/// may change freely.
std::vector<std::string> meaning_changes(const config::Config& saved, const config::Config& requested);

/// The config a run resumed from `checkpoint` continues with: its saved
/// config with `apply_overrides` (the command line's --set, --device, ...) on
/// top. Overrides that change the run's meaning are refused unless
/// `allow_changes`; values of `named` (the config file given again, from
/// `named_path`) that differ from the saved ones are reported and ignored.
config::Config resumed_config(const std::string& checkpoint, const config::Config& named, const std::string& named_path,
                              const std::function<void(config::Config&)>& apply_overrides, bool allow_changes);


}  // namespace hornet::engine
