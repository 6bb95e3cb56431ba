// LibTorch's intra-op thread pool, set the same way by every tool and the trainer.
#pragma once

namespace hornet::common {

/// Sets LibTorch's intra-op thread count; 0 means one per hardware core.
/// Returns the count in effect.
int set_threads(int threads);

}  // namespace hornet::common
