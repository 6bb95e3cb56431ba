// The config's enumerations and their names: each value is spelt once, in the
// table choices.cpp gives its enum, and parsed from text only here (configs,
// --set and the tools' options alike).
#pragma once

#include "hornet/distributed/process_group.h"
#include "hornet/models/hornet.h"
#include "hornet/ops/kernels/fused_ops.h"

#include <string>
#include <utility>
#include <vector>

namespace hornet::config {

/// Mixed precision as configured: auto (bf16 on CUDA devices that have it,
/// else off), off, bf16, or fp16 (CUDA only, with the dynamic loss scaler).
enum class AmpSetting { kAuto, kOff, kBf16, kFp16 };

/// Channels-last activations and convolution weights: auto (on CUDA), true, false.
enum class ChannelsLast { kAuto, kTrue, kFalse };

/// The names of `E`'s values, in the order documentation lists them.
template <typename E>
const std::vector<std::pair<std::string, E>>& choices();
template <>
const std::vector<std::pair<std::string, AmpSetting>>& choices<AmpSetting>();
template <>
const std::vector<std::pair<std::string, ChannelsLast>>& choices<ChannelsLast>();
template <>
const std::vector<std::pair<std::string, ops::kernels::FusedMode>>& choices<ops::kernels::FusedMode>();
template <>
const std::vector<std::pair<std::string, distributed::Backend>>& choices<distributed::Backend>();
template <>
const std::vector<std::pair<std::string, models::InitScheme>>& choices<models::InitScheme>();

/// `text` as a value of `E`; std::invalid_argument "must be a, b or c, got 'x'" otherwise.
template <typename E>
E parse_choice(const std::string& text);

template <typename E>
std::string choice_name(E value);

/// "a, b or c".
template <typename E>
std::string choice_list();

}  // namespace hornet::config
