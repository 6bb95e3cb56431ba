// What hornet's command-line tools share: running a command body with uniform
// error reporting, and the intra-op thread setting.
#pragma once

#include <functional>
#include <string>

namespace hornet::common {

/// Runs `body`; an exception is printed as "<tool>: error: <message>" (LibTorch
/// errors without their C++ backtrace) and turned into exit status 1. Applies
/// keep_freed_memory() first.
int run_command(const std::string& tool, const std::function<int()>& body);

/// Makes glibc's malloc keep freed memory for reuse instead of handing it back
/// to the kernel: allocations up to 1 GiB come from the heap rather than fresh
/// mmap()s, and the heap is trimmed only when 1 GiB lies free at its top.
/// A training step allocates and frees the same large activations every
/// iteration; with glibc's defaults each becomes an mmap/munmap pair whose pages
/// fault in and are zeroed again, which costs a HorNet-T CPU step ~15%. The
/// price is a resident size that stays near its peak, as with any caching
/// allocator. Without effect when another allocator (ASan's, tcmalloc) is in use.
void keep_freed_memory();

/// Sets LibTorch's intra-op thread count; 0 means one per hardware core.
/// Returns the count in effect.
int set_threads(int threads);

}  // namespace hornet::common
