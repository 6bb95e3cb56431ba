// The CPU launchers: the CUDA kernels' per-element math (layer_norm_math.h,
// gating_math.h, global_filter_math.h) in loops, one iteration per kernel
// thread, per-channel sums in index order as the kernels' blocks sum them.
// float32 and float64 (T is also the accumulation type).
#include "hornet/ops/kernels/gating_math.h"
#include "hornet/ops/kernels/launch.h"

namespace hornet::ops::kernels {

namespace {

template <typename T>
int layer_norm_forward_as(const void* xv, const void* wv, const void* bv, void* yv, void* meanv, void* rstdv,
                          const ChannelLayout& l, double eps) {
  const auto* x = static_cast<const T*>(xv);
  const auto* w = static_cast<const T*>(wv);
  const auto* b = static_cast<const T*>(bv);
  auto* y = static_cast<T*>(yv);
  auto* mean = static_cast<T*>(meanv);
  auto* rstd = static_cast<T*>(rstdv);
  for (int64_t i = 0; i < l.n * l.hw; ++i) {
    const int64_t at = l.offset(i / l.hw, i % l.hw);
    const StridedRow<const T> row{x + at, l.stride_c};
    ln_position_stats<T>(row, l.c, static_cast<T>(eps), mean[i], rstd[i]);
    ln_position_forward<T>(row, w, b, StridedRow<T>{y + at, l.stride_c}, l.c, mean[i], rstd[i]);
  }
  return 0;
}

template <typename T>
int layer_norm_backward_as(const void* xv, const void* dyv, const void* wv, const void* meanv, const void* rstdv,
                           void* dxv, void* dwv, void* dbv, const ChannelLayout& l) {
  const auto* x = static_cast<const T*>(xv);
  const auto* dy = static_cast<const T*>(dyv);
  const auto* w = static_cast<const T*>(wv);
  const auto* mean = static_cast<const T*>(meanv);
  const auto* rstd = static_cast<const T*>(rstdv);
  auto* dx = static_cast<T*>(dxv);
  for (int64_t i = 0; i < l.n * l.hw; ++i) {
    const int64_t at = l.offset(i / l.hw, i % l.hw);
    ln_position_backward<T>(StridedRow<const T>{x + at, l.stride_c}, StridedRow<const T>{dy + at, l.stride_c}, w,
                            StridedRow<T>{dx + at, l.stride_c}, l.c, mean[i], rstd[i]);
  }
  for (int64_t k = 0; k < l.c; ++k) {
    T acc_w = 0, acc_b = 0;
    for (int64_t i = 0; i < l.n * l.hw; ++i) {
      const int64_t at = l.offset(i / l.hw, i % l.hw) + k * l.stride_c;
      ln_param_grad_term<T>(x[at], dy[at], mean[i], rstd[i], acc_w, acc_b);
    }
    static_cast<T*>(dwv)[k] = acc_w;
    static_cast<T*>(dbv)[k] = acc_b;
  }
  return 0;
}

template <typename T>
int gate_forward_as(const void* av, const void* mv, void* yv, const ChannelLayout& l, const ChannelLayout& m,
                    const ChannelLayout& ly, int64_t first, double scale) {
  const auto* a = static_cast<const T*>(av);
  const auto* mixed = static_cast<const T*>(mv);
  auto* y = static_cast<T*>(yv);
  for (int64_t i = 0; i < l.n * l.c * l.hw; ++i) {
    const GateIndex at(i, l, m, first), out(i, ly, m, first);
    y[out.in_a] = gated<T>(a[at.in_a], mixed[at.in_mixed], static_cast<T>(scale));
  }
  return 0;
}

template <typename T>
int gate_backward_as(const void* av, const void* mv, const void* dyv, void* dav, void* dmv, const ChannelLayout& l,
                     const ChannelLayout& m, const ChannelLayout& lg, int64_t first, double scale) {
  const auto* a = static_cast<const T*>(av);
  const auto* mixed = static_cast<const T*>(mv);
  const auto* dy = static_cast<const T*>(dyv);
  auto* da = static_cast<T*>(dav);
  auto* dmixed = static_cast<T*>(dmv);
  for (int64_t i = 0; i < l.n * l.c * l.hw; ++i) {
    const GateIndex at(i, l, m, first), grad(i, lg, m, first);
    gated_backward<T>(a[at.in_a], mixed[at.in_mixed], static_cast<T>(scale), dy[grad.in_a], da[grad.in_a],
                      dmixed[at.in_mixed]);
  }
  return 0;
}

template <typename T>
int spectrum_forward_as(const void* sv, const void* wv, void* ov, const SpectrumShape& sh) {
  const auto* s = static_cast<const T*>(sv);
  const auto* w = static_cast<const T*>(wv);
  auto* out = static_cast<T*>(ov);
  for (int64_t i = 0; i < sh.n * sh.c * sh.f; ++i) {
    const int64_t wi = i % (sh.c * sh.f);
    complex_mul<T>(s[2 * i], s[2 * i + 1], w[2 * wi], w[2 * wi + 1], out[2 * i], out[2 * i + 1]);
  }
  return 0;
}

template <typename T>
int spectrum_backward_as(const void* sv, const void* wv, const void* gv, void* dsv, void* dwv,
                         const SpectrumShape& sh) {
  const auto* s = static_cast<const T*>(sv);
  const auto* w = static_cast<const T*>(wv);
  const auto* g = static_cast<const T*>(gv);
  auto* ds = static_cast<T*>(dsv);
  auto* dw = static_cast<T*>(dwv);
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
  return 0;
}

template <typename T>
InterleavedRow<const T, const T> interleaved(const T* local, const T* global, const ChannelLayout& l,
                                             const ChannelLayout& g, int64_t i) {
  const int64_t n = i / l.hw, pos = i % l.hw;
  return {local + l.offset(n, pos), global + g.offset(n, pos), l.stride_c, g.stride_c};
}

template <typename T>
int norm_forward_as(const void* lv, const void* gv, const void* wv, const void* bv, void* yv, void* meanv,
                    void* rstdv, const ChannelLayout& l, const ChannelLayout& g, const ChannelLayout& ly,
                    double eps) {
  const auto* local = static_cast<const T*>(lv);
  const auto* global = static_cast<const T*>(gv);
  auto* y = static_cast<T*>(yv);
  auto* mean = static_cast<T*>(meanv);
  auto* rstd = static_cast<T*>(rstdv);
  for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
    const auto x = interleaved(local, global, l, g, i);
    ln_position_stats<T>(x, ly.c, static_cast<T>(eps), mean[i], rstd[i]);
    ln_position_forward<T>(x, static_cast<const T*>(wv), static_cast<const T*>(bv),
                           StridedRow<T>{y + ly.offset(i / ly.hw, i % ly.hw), ly.stride_c}, ly.c, mean[i], rstd[i]);
  }
  return 0;
}

template <typename T>
int norm_backward_as(const void* lv, const void* gv, const void* dyv, const void* wv, const void* meanv,
                     const void* rstdv, void* dlv, void* dgv, void* dwv, void* dbv, const ChannelLayout& l,
                     const ChannelLayout& g, const ChannelLayout& ly) {
  const auto* local = static_cast<const T*>(lv);
  const auto* global = static_cast<const T*>(gv);
  const auto* dy = static_cast<const T*>(dyv);
  const auto* mean = static_cast<const T*>(meanv);
  const auto* rstd = static_cast<const T*>(rstdv);
  for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
    const int64_t n = i / ly.hw, pos = i % ly.hw;
    const InterleavedRow<T, T> dx{static_cast<T*>(dlv) + l.offset(n, pos), static_cast<T*>(dgv) + g.offset(n, pos),
                                  l.stride_c, g.stride_c};
    ln_position_backward<T>(interleaved(local, global, l, g, i), StridedRow<const T>{dy + ly.offset(n, pos), ly.stride_c},
                            static_cast<const T*>(wv), dx, ly.c, mean[i], rstd[i]);
  }
  for (int64_t j = 0; j < ly.c; ++j) {
    T acc_w = 0, acc_b = 0;
    for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
      const T d = dy[ly.offset(i / ly.hw, i % ly.hw) + j * ly.stride_c];
      ln_param_grad_term<T>(interleaved(local, global, l, g, i).template load<T>(j), d, mean[i], rstd[i], acc_w,
                            acc_b);
    }
    static_cast<T*>(dwv)[j] = acc_w;
    static_cast<T*>(dbv)[j] = acc_b;
  }
  return 0;
}

// float32 and float64 only: the twin checks the arithmetic, not reduced precision.
int layer_norm_forward_cpu(DType dtype, const void* x, const void* w, const void* b, void* y, void* mean, void* rstd,
                           const ChannelLayout& l, double eps, void*) {
  if (dtype == DType::kFloat32) return layer_norm_forward_as<float>(x, w, b, y, mean, rstd, l, eps);
  if (dtype == DType::kFloat64) return layer_norm_forward_as<double>(x, w, b, y, mean, rstd, l, eps);
  return kUnsupported;
}

int layer_norm_backward_cpu(DType dtype, const void* x, const void* dy, const void* w, const void* mean,
                            const void* rstd, void* dx, void* dw, void* db, const ChannelLayout& l, void*) {
  if (dtype == DType::kFloat32) return layer_norm_backward_as<float>(x, dy, w, mean, rstd, dx, dw, db, l);
  if (dtype == DType::kFloat64) return layer_norm_backward_as<double>(x, dy, w, mean, rstd, dx, dw, db, l);
  return kUnsupported;
}

int gate_forward_cpu(DType dtype, const void* a, const void* mixed, void* y, const ChannelLayout& l,
                     const ChannelLayout& m, const ChannelLayout& ly, int64_t first, double scale, void*) {
  if (dtype == DType::kFloat32) return gate_forward_as<float>(a, mixed, y, l, m, ly, first, scale);
  if (dtype == DType::kFloat64) return gate_forward_as<double>(a, mixed, y, l, m, ly, first, scale);
  return kUnsupported;
}

int gate_backward_cpu(DType dtype, const void* a, const void* mixed, const void* dy, void* da, void* dmixed,
                      const ChannelLayout& l, const ChannelLayout& m, const ChannelLayout& lg, int64_t first,
                      double scale, void*) {
  if (dtype == DType::kFloat32) return gate_backward_as<float>(a, mixed, dy, da, dmixed, l, m, lg, first, scale);
  if (dtype == DType::kFloat64) return gate_backward_as<double>(a, mixed, dy, da, dmixed, l, m, lg, first, scale);
  return kUnsupported;
}

int spectrum_weight_forward_cpu(DType dtype, const void* s, const void* w, void* out, const SpectrumShape& sh, void*) {
  if (dtype == DType::kFloat32) return spectrum_forward_as<float>(s, w, out, sh);
  if (dtype == DType::kFloat64) return spectrum_forward_as<double>(s, w, out, sh);
  return kUnsupported;
}

int spectrum_weight_backward_cpu(DType dtype, const void* s, const void* w, const void* g, void* ds, void* dw,
                                 const SpectrumShape& sh, void*) {
  if (dtype == DType::kFloat32) return spectrum_backward_as<float>(s, w, g, ds, dw, sh);
  if (dtype == DType::kFloat64) return spectrum_backward_as<double>(s, w, g, ds, dw, sh);
  return kUnsupported;
}

int interleaved_norm_forward_cpu(DType dtype, const void* local, const void* global, const void* w, const void* b,
                                 void* y, void* mean, void* rstd, const ChannelLayout& l, const ChannelLayout& g,
                                 const ChannelLayout& ly, double eps, void*) {
  if (dtype == DType::kFloat32) return norm_forward_as<float>(local, global, w, b, y, mean, rstd, l, g, ly, eps);
  if (dtype == DType::kFloat64) return norm_forward_as<double>(local, global, w, b, y, mean, rstd, l, g, ly, eps);
  return kUnsupported;
}

int interleaved_norm_backward_cpu(DType dtype, const void* local, const void* global, const void* dy, const void* w,
                                  const void* mean, const void* rstd, void* dlocal, void* dglobal, void* dw, void* db,
                                  const ChannelLayout& l, const ChannelLayout& g, const ChannelLayout& ly, void*) {
  if (dtype == DType::kFloat32) {
    return norm_backward_as<float>(local, global, dy, w, mean, rstd, dlocal, dglobal, dw, db, l, g, ly);
  }
  if (dtype == DType::kFloat64) {
    return norm_backward_as<double>(local, global, dy, w, mean, rstd, dlocal, dglobal, dw, db, l, g, ly);
  }
  return kUnsupported;
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
