// Process-wide malloc behaviour for the loops that run model steps.
#pragma once

namespace hornet::common {

/// Makes glibc's malloc keep freed memory for reuse instead of handing it back
/// to the kernel: allocations up to 1 GiB come from the heap rather than fresh
/// mmap()s, and the heap is trimmed only when 1 GiB lies free at its top.
///
/// A training or evaluation step allocates and frees the same large
/// activations every iteration; with glibc's defaults each becomes an
/// mmap/munmap pair whose pages fault in and are zeroed again, which cost a
/// HorNet-T CPU training step about 15%. The price is a resident size that
/// stays near its peak, as with any caching allocator, so it is applied when a
/// step loop starts (after the model is built and loaded), not to loading
/// alone. Affects later allocations only; no effect under another allocator
/// (ASan's, tcmalloc).
void keep_freed_memory();

}  // namespace hornet::common
