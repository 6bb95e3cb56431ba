// HORNET_CPU_CLONES: compile a hot CPU loop for AVX-512, AVX2 and the
// baseline, and let the loader pick one by the CPU's instruction-set flags.
//
// Feature clones, not "arch=" ones: GCC resolves those by CPU model and falls
// back to the baseline on models newer than itself. GCC only; the clang
// builds are the sanitizer and fuzzing ones, where speed does not matter.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HORNET_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HORNET_CPU_CLONES
#endif
