// The CPU launchers: the CUDA kernels' per-element math (layer_norm_math.h,
// gating_math.h, global_filter_math.h) in loops, one iteration per kernel
// thread, in every type the kernels take: values stored as T (float, bf16,
// fp16, double), computed in Acc (float, or double for double) and rounded
// once on store, as the kernels do. The LayerNorm parameter gradients go
// through the kernels' two stages, chunks, lanes and tree included.
#include "hornet/ops/kernels/gating_math.h"
#include "hornet/ops/kernels/launch.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

namespace hornet::ops::kernels {

namespace {

/// The storage and accumulation types of one DType.
template <typename Storage, typename Accumulation>
struct Types {
  using T = Storage;
  using Acc = Accumulation;
};

/// Calls f(Types<...>{}) for `dtype`; `reduced` says whether bf16 and fp16 are taken.
template <typename F>
int by_dtype(DType dtype, bool reduced, F&& f) {
  switch (dtype) {
    case DType::kFloat32: return f(Types<float, float>{});
    case DType::kFloat64: return f(Types<double, double>{});
    case DType::kBFloat16: return reduced ? f(Types<c10::BFloat16, float>{}) : kUnsupported;
    case DType::kFloat16: return reduced ? f(Types<c10::Half, float>{}) : kUnsupported;
  }
  return kUnsupported;
}

// Stage 2 of the parameter gradients (layer_norm_math.h): stage 1 per chunk,
// lane and channel into `workspace`, then each channel's chunks in order.
template <typename Acc, typename Source>
void param_grads(const Source& source, const Acc* mean, const Acc* rstd, int64_t positions, int64_t channels,
                 Acc* workspace, Acc* dw, Acc* db) {
  const int64_t chunks = ln_param_chunks(positions);
  Acc* partial_w = workspace;
  Acc* partial_b = workspace + chunks * channels;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    for (int64_t k = 0; k < channels; ++k) {
      Acc lane_w[kParamLanes] = {}, lane_b[kParamLanes] = {};
      for (int64_t lane = 0; lane < kParamLanes; ++lane) {
        ln_param_lane_sum<Acc>(source, mean, rstd, positions, chunk, lane, k, lane_w[lane], lane_b[lane]);
      }
      for (int64_t half = kParamLanes / 2; half > 0; half /= 2) {
        for (int64_t lane = 0; lane < half; ++lane) ln_param_tree_step<Acc>(lane_w, lane_b, lane, half);
      }
      partial_w[chunk * channels + k] = lane_w[0];
      partial_b[chunk * channels + k] = lane_b[0];
    }
  }
  for (int64_t k = 0; k < channels; ++k) {
    Acc acc_w = 0, acc_b = 0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      acc_w += partial_w[chunk * channels + k];
      acc_b += partial_b[chunk * channels + k];
    }
    dw[k] = acc_w;
    db[k] = acc_b;
  }
}

template <typename T, typename Acc>
void layer_norm_forward_as(const T* x, const Acc* w, const Acc* b, T* y, Acc* mean, Acc* rstd, const ChannelLayout& l,
                           double eps) {
  for (int64_t i = 0; i < l.n * l.hw; ++i) {
    const int64_t at = l.offset(i / l.hw, i % l.hw);
    const StridedRow<const T> row{x + at, l.stride_c};
    ln_position_stats<Acc>(row, l.c, static_cast<Acc>(eps), mean[i], rstd[i]);
    ln_position_forward<Acc>(row, w, b, StridedRow<T>{y + at, l.stride_c}, l.c, mean[i], rstd[i]);
  }
}

template <typename T, typename Acc>
void layer_norm_backward_as(const T* x, const T* dy, const Acc* w, const Acc* mean, const Acc* rstd, T* dx, Acc* dw,
                            Acc* db, Acc* workspace, const ChannelLayout& l) {
  for (int64_t i = 0; i < l.n * l.hw; ++i) {
    const int64_t at = l.offset(i / l.hw, i % l.hw);
    ln_position_backward<Acc>(StridedRow<const T>{x + at, l.stride_c}, StridedRow<const T>{dy + at, l.stride_c}, w,
                              StridedRow<T>{dx + at, l.stride_c}, l.c, mean[i], rstd[i]);
  }
  param_grads<Acc>(LayerNormParamSource<T>{x, dy, l}, mean, rstd, l.n * l.hw, l.c, workspace, dw, db);
}

template <typename T, typename Acc>
void gate_forward_as(const T* a, const T* mixed, T* y, const ChannelLayout& l, const ChannelLayout& m,
                     const ChannelLayout& ly, int64_t first, double scale) {
  for (int64_t i = 0; i < l.n * l.c * l.hw; ++i) {
    const GateIndex at(i, l, m, first), out(i, ly, m, first);
    y[out.in_a] = static_cast<T>(gated<Acc>(static_cast<Acc>(a[at.in_a]), static_cast<Acc>(mixed[at.in_mixed]),
                                            static_cast<Acc>(scale)));
  }
}

template <typename T, typename Acc>
void gate_backward_as(const T* a, const T* mixed, const T* dy, T* da, T* dmixed, const ChannelLayout& l,
                      const ChannelLayout& m, const ChannelLayout& lg, int64_t first, double scale) {
  for (int64_t i = 0; i < l.n * l.c * l.hw; ++i) {
    const GateIndex at(i, l, m, first), grad(i, lg, m, first);
    Acc d_a, d_mixed;
    gated_backward<Acc>(static_cast<Acc>(a[at.in_a]), static_cast<Acc>(mixed[at.in_mixed]), static_cast<Acc>(scale),
                        static_cast<Acc>(dy[grad.in_a]), d_a, d_mixed);
    da[grad.in_a] = static_cast<T>(d_a);
    dmixed[at.in_mixed] = static_cast<T>(d_mixed);
  }
}

template <typename T>
void spectrum_forward_as(const T* s, const T* w, T* out, const SpectrumShape& sh) {
  for (int64_t i = 0; i < sh.n * sh.c * sh.f; ++i) {
    const int64_t wi = i % (sh.c * sh.f);
    complex_mul<T>(s[2 * i], s[2 * i + 1], w[2 * wi], w[2 * wi + 1], out[2 * i], out[2 * i + 1]);
  }
}

template <typename T>
void spectrum_backward_as(const T* s, const T* w, const T* g, T* ds, T* dw, const SpectrumShape& sh) {
  for (int64_t i = 0; i < sh.n * sh.c * sh.f; ++i) {
    const int64_t wi = i % (sh.c * sh.f);
    complex_mul_conj<T>(g[2 * i], g[2 * i + 1], w[2 * wi], w[2 * wi + 1], ds[2 * i], ds[2 * i + 1]);
  }
  for (int64_t wi = 0; wi < sh.c * sh.f; ++wi) {
    T acc_r = 0, acc_i = 0;
    for (int64_t n = 0; n < sh.n; ++n) {
      const int64_t i = n * sh.c * sh.f + wi;
      T r, im;
      complex_mul_conj<T>(g[2 * i], g[2 * i + 1], s[2 * i], s[2 * i + 1], r, im);
      acc_r += r;
      acc_i += im;
    }
    dw[2 * wi] = acc_r;
    dw[2 * wi + 1] = acc_i;
  }
}

template <typename T>
InterleavedRow<const T, const T> interleaved(const T* local, const T* global, const ChannelLayout& l,
                                             const ChannelLayout& g, int64_t i) {
  const int64_t n = i / l.hw, pos = i % l.hw;
  return {local + l.offset(n, pos), global + g.offset(n, pos), l.stride_c, g.stride_c};
}

template <typename T, typename Acc>
void norm_forward_as(const T* local, const T* global, const Acc* w, const Acc* b, T* y, Acc* mean, Acc* rstd,
                     const ChannelLayout& l, const ChannelLayout& g, const ChannelLayout& ly, double eps) {
  for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
    const auto x = interleaved(local, global, l, g, i);
    ln_position_stats<Acc>(x, ly.c, static_cast<Acc>(eps), mean[i], rstd[i]);
    ln_position_forward<Acc>(x, w, b, StridedRow<T>{y + ly.offset(i / ly.hw, i % ly.hw), ly.stride_c}, ly.c, mean[i],
                             rstd[i]);
  }
}

template <typename T, typename Acc>
void norm_backward_as(const T* local, const T* global, const T* dy, const Acc* w, const Acc* mean, const Acc* rstd,
                      T* dlocal, T* dglobal, Acc* dw, Acc* db, Acc* workspace, const ChannelLayout& l,
                      const ChannelLayout& g, const ChannelLayout& ly) {
  for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
    const int64_t n = i / ly.hw, pos = i % ly.hw;
    const InterleavedRow<T, T> dx{dlocal + l.offset(n, pos), dglobal + g.offset(n, pos), l.stride_c, g.stride_c};
    ln_position_backward<Acc>(interleaved(local, global, l, g, i),
                              StridedRow<const T>{dy + ly.offset(n, pos), ly.stride_c}, w, dx, ly.c, mean[i], rstd[i]);
  }
  param_grads<Acc>(InterleavedParamSource<T>{local, global, dy, l, g, ly}, mean, rstd, ly.n * ly.hw, ly.c, workspace,
                   dw, db);
}

// The launchers: the activations as T, everything else as Acc (launch.h).

int layer_norm_forward_cpu(DType dtype, const void* x, const void* w, const void* b, void* y, void* mean, void* rstd,
                           const ChannelLayout& l, double eps, void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    using Acc = typename decltype(types)::Acc;
    layer_norm_forward_as<T, Acc>(static_cast<const T*>(x), static_cast<const Acc*>(w), static_cast<const Acc*>(b),
                                  static_cast<T*>(y), static_cast<Acc*>(mean), static_cast<Acc*>(rstd), l, eps);
    return 0;
  });
}

int layer_norm_backward_cpu(DType dtype, const void* x, const void* dy, const void* w, const void* mean,
                            const void* rstd, void* dx, void* dw, void* db, void* workspace, const ChannelLayout& l,
                            void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    using Acc = typename decltype(types)::Acc;
    layer_norm_backward_as<T, Acc>(static_cast<const T*>(x), static_cast<const T*>(dy), static_cast<const Acc*>(w),
                                   static_cast<const Acc*>(mean), static_cast<const Acc*>(rstd), static_cast<T*>(dx),
                                   static_cast<Acc*>(dw), static_cast<Acc*>(db), static_cast<Acc*>(workspace), l);
    return 0;
  });
}

int gate_forward_cpu(DType dtype, const void* a, const void* mixed, void* y, const ChannelLayout& l,
                     const ChannelLayout& m, const ChannelLayout& ly, int64_t first, double scale, void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    gate_forward_as<T, typename decltype(types)::Acc>(static_cast<const T*>(a), static_cast<const T*>(mixed),
                                                      static_cast<T*>(y), l, m, ly, first, scale);
    return 0;
  });
}

int gate_backward_cpu(DType dtype, const void* a, const void* mixed, const void* dy, void* da, void* dmixed,
                      const ChannelLayout& l, const ChannelLayout& m, const ChannelLayout& lg, int64_t first,
                      double scale, void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    gate_backward_as<T, typename decltype(types)::Acc>(static_cast<const T*>(a), static_cast<const T*>(mixed),
                                                       static_cast<const T*>(dy), static_cast<T*>(da),
                                                       static_cast<T*>(dmixed), l, m, lg, first, scale);
    return 0;
  });
}

// Spectra: float and double pairs only, as the FFTs around them.
int spectrum_weight_forward_cpu(DType dtype, const void* s, const void* w, void* out, const SpectrumShape& sh, void*) {
  return by_dtype(dtype, false, [&](auto types) {
    using T = typename decltype(types)::T;
    spectrum_forward_as<T>(static_cast<const T*>(s), static_cast<const T*>(w), static_cast<T*>(out), sh);
    return 0;
  });
}

int spectrum_weight_backward_cpu(DType dtype, const void* s, const void* w, const void* g, void* ds, void* dw,
                                 const SpectrumShape& sh, void*) {
  return by_dtype(dtype, false, [&](auto types) {
    using T = typename decltype(types)::T;
    spectrum_backward_as<T>(static_cast<const T*>(s), static_cast<const T*>(w), static_cast<const T*>(g),
                            static_cast<T*>(ds), static_cast<T*>(dw), sh);
    return 0;
  });
}

int interleaved_norm_forward_cpu(DType dtype, const void* local, const void* global, const void* w, const void* b,
                                 void* y, void* mean, void* rstd, const ChannelLayout& l, const ChannelLayout& g,
                                 const ChannelLayout& ly, double eps, void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    using Acc = typename decltype(types)::Acc;
    norm_forward_as<T, Acc>(static_cast<const T*>(local), static_cast<const T*>(global), static_cast<const Acc*>(w),
                            static_cast<const Acc*>(b), static_cast<T*>(y), static_cast<Acc*>(mean),
                            static_cast<Acc*>(rstd), l, g, ly, eps);
    return 0;
  });
}

int interleaved_norm_backward_cpu(DType dtype, const void* local, const void* global, const void* dy, const void* w,
                                  const void* mean, const void* rstd, void* dlocal, void* dglobal, void* dw, void* db,
                                  void* workspace, const ChannelLayout& l, const ChannelLayout& g,
                                  const ChannelLayout& ly, void*) {
  return by_dtype(dtype, true, [&](auto types) {
    using T = typename decltype(types)::T;
    using Acc = typename decltype(types)::Acc;
    norm_backward_as<T, Acc>(static_cast<const T*>(local), static_cast<const T*>(global), static_cast<const T*>(dy),
                             static_cast<const Acc*>(w), static_cast<const Acc*>(mean), static_cast<const Acc*>(rstd),
                             static_cast<T*>(dlocal), static_cast<T*>(dglobal), static_cast<Acc*>(dw),
                             static_cast<Acc*>(db), static_cast<Acc*>(workspace), l, g, ly);
    return 0;
  });
}

}  // namespace

const Launchers& cpu_launchers() {
  static const Launchers launchers{"CPU",
                                   layer_norm_forward_cpu,
                                   layer_norm_backward_cpu,
                                   gate_forward_cpu,
                                   gate_backward_cpu,
                                   spectrum_weight_forward_cpu,
                                   spectrum_weight_backward_cpu,
                                   interleaved_norm_forward_cpu,
                                   interleaved_norm_backward_cpu};
  return launchers;
}

}  // namespace hornet::ops::kernels
