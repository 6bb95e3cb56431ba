// Precompiled header for hornet's translation units: the heavy LibTorch headers.
// Public headers never include this file; they include narrow torch headers.
#pragma once
#include <torch/torch.h>
