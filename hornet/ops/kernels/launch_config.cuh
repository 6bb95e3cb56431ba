// What the .cu files share: the block size, the grid for a count of threads,
// and the two-stage parameter-gradient reduction of the LayerNorm kernels
// (layer_norm_math.h describes its fixed order; the CPU twin runs the same).
#pragma once

#include "hornet/ops/kernels/layer_norm_math.h"

#include <cuda_runtime.h>

#include <cstdint>

namespace hornet::ops::kernels {

constexpr int kThreads = 256;

inline unsigned blocks_for(int64_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

static_assert(kParamLanes * kParamChannels == kThreads, "a stage-1 block is kParamLanes x kParamChannels threads");

// Stage 1: block (chunk, tile) sums its chunk's positions for kParamChannels channels. On a
// channels-last tensor a warp's 32 threads take 32 neighbouring channels of one position (one
// coalesced read); on NCHW each warp takes 8 neighbouring positions of 4 channels.
template <typename Source>
__global__ void param_partial_kernel(Source source, const float* mean, const float* rstd, int64_t positions,
                                     int64_t channels, bool channels_last, float* partial_w, float* partial_b) {
  __shared__ float lane_w[kParamChannels][kParamLanes], lane_b[kParamChannels][kParamLanes];
  const int t = static_cast<int>(threadIdx.x);
  const int channel = channels_last ? t % kParamChannels : t / kParamLanes;
  const int lane = channels_last ? t / kParamChannels : t % kParamLanes;
  const int64_t chunk = blockIdx.x, k = static_cast<int64_t>(blockIdx.y) * kParamChannels + channel;
  float w = 0.0f, b = 0.0f;
  if (k < channels) ln_param_lane_sum<float>(source, mean, rstd, positions, chunk, lane, k, w, b);
  lane_w[channel][lane] = w;
  lane_b[channel][lane] = b;
  __syncthreads();
  for (int half = kParamLanes / 2; half > 0; half /= 2) {
    if (lane < half) ln_param_tree_step<float>(lane_w[channel], lane_b[channel], lane, half);
    __syncthreads();
  }
  if (lane == 0 && k < channels) {
    partial_w[chunk * channels + k] = lane_w[channel][0];
    partial_b[chunk * channels + k] = lane_b[channel][0];
  }
}

// Stage 2: thread k adds channel k's chunk partials in chunk order (neighbouring threads, neighbouring reads).
// A template so that each .cu file that launches it compiles its own copy.
template <typename Acc>
__global__ void param_final_kernel(const Acc* partial_w, const Acc* partial_b, int64_t chunks, int64_t channels,
                                   Acc* dw, Acc* db) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= channels) return;
  Acc acc_w = 0, acc_b = 0;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    acc_w += partial_w[chunk * channels + k];
    acc_b += partial_b[chunk * channels + k];
  }
  dw[k] = acc_w;
  db[k] = acc_b;
}

/// Both stages on `stream`; workspace holds ln_param_workspace_size(positions, channels) floats.
template <typename Source>
cudaError_t launch_param_grads(const Source& source, const float* mean, const float* rstd, int64_t positions,
                               int64_t channels, bool channels_last, float* workspace, float* dw, float* db,
                               cudaStream_t stream) {
  const int64_t chunks = ln_param_chunks(positions);
  float* partial_w = workspace;
  float* partial_b = workspace + chunks * channels;
  const dim3 grid(static_cast<unsigned>(chunks),
                  static_cast<unsigned>((channels + kParamChannels - 1) / kParamChannels));
  param_partial_kernel<Source><<<grid, kThreads, 0, stream>>>(source, mean, rstd, positions, channels, channels_last,
                                                              partial_w, partial_b);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  param_final_kernel<float>
      <<<blocks_for(channels), kThreads, 0, stream>>>(partial_w, partial_b, chunks, channels, dw, db);
  return cudaGetLastError();
}

}  // namespace hornet::ops::kernels
