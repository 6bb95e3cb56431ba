// The GF filter's frequency-domain weighting, per complex element, as both
// the CUDA kernels (global_filter.cu) and their CPU twin compute it. Spectra
// and weights are stored as (real, imaginary) float pairs, as
// torch.view_as_real lays them out:
//   out = s * w,  ds = dout * conj(w),  dw = sum over the batch of dout * conj(s)
// (PyTorch's convention for complex gradients). The interleave and post-norm
// that follow the filter use layer_norm_math.h's InterleavedRow.
#pragma once

#include "hornet/ops/kernels/host_device.h"

#include <cstdint>

namespace hornet::ops::kernels {

template <typename Acc>
HORNET_HD void complex_mul(Acc ar, Acc ai, Acc br, Acc bi, Acc& cr, Acc& ci) {
  cr = ar * br - ai * bi;
  ci = ar * bi + ai * br;
}

/// a * conj(b)
template <typename Acc>
HORNET_HD void complex_mul_conj(Acc ar, Acc ai, Acc br, Acc bi, Acc& cr, Acc& ci) {
  cr = ar * br + ai * bi;
  ci = ai * br - ar * bi;
}

/// Spectrum [N, C, F] complex (F = Hf * Wf frequencies), weight [C, F].
struct SpectrumShape {
  int64_t n = 0, c = 0, f = 0;
};

}  // namespace hornet::ops::kernels
