#include "hornet/common/allocator.h"

#include <malloc.h>

namespace hornet::common {

void keep_freed_memory() {
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
}

}  // namespace hornet::common
