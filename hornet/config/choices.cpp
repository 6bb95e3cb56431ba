#include "hornet/config/choices.h"

#include <stdexcept>

namespace hornet::config {

template <>
const std::vector<std::pair<std::string, AmpSetting>>& choices() {
  static const std::vector<std::pair<std::string, AmpSetting>> names{
      {"auto", AmpSetting::kAuto}, {"off", AmpSetting::kOff}, {"bf16", AmpSetting::kBf16}, {"fp16", AmpSetting::kFp16}};
  return names;
}

template <>
const std::vector<std::pair<std::string, ChannelsLast>>& choices() {
  static const std::vector<std::pair<std::string, ChannelsLast>> names{
      {"auto", ChannelsLast::kAuto}, {"true", ChannelsLast::kTrue}, {"false", ChannelsLast::kFalse}};
  return names;
}

template <>
const std::vector<std::pair<std::string, ops::kernels::FusedMode>>& choices() {
  using ops::kernels::FusedMode;
  static const std::vector<std::pair<std::string, FusedMode>> names{
      {"auto", FusedMode::kAuto}, {"off", FusedMode::kOff}, {"always", FusedMode::kAlways}};
  return names;
}

template <>
const std::vector<std::pair<std::string, distributed::Backend>>& choices() {
  using distributed::Backend;
  static const std::vector<std::pair<std::string, Backend>> names{
      {"auto", Backend::kAuto}, {"gloo", Backend::kGloo}, {"nccl", Backend::kNccl}};
  return names;
}

template <>
const std::vector<std::pair<std::string, models::InitScheme>>& choices() {
  using models::InitScheme;
  static const std::vector<std::pair<std::string, InitScheme>> names{{"official", InitScheme::kOfficial},
                                                                     {"mmpretrain", InitScheme::kMmpretrain}};
  return names;
}

template <typename E>
std::string choice_list() {
  const auto& names = choices<E>();
  std::string out;
  for (size_t k = 0; k < names.size(); ++k) {
    out += (k == 0 ? "" : k + 1 == names.size() ? " or " : ", ") + names[k].first;
  }
  return out;
}

template <typename E>
E parse_choice(const std::string& text) {
  for (const auto& [name, value] : choices<E>()) {
    if (name == text) return value;
  }
  throw std::invalid_argument("must be " + choice_list<E>() + ", got '" + text + "'");
}

template <typename E>
std::string choice_name(E value) {
  for (const auto& [name, v] : choices<E>()) {
    if (v == value) return name;
  }
  return "?";
}

#define HORNET_CHOICE(E)                           \
  template std::string choice_list<E>();           \
  template E parse_choice<E>(const std::string&);  \
  template std::string choice_name<E>(E);
HORNET_CHOICE(AmpSetting)
HORNET_CHOICE(ChannelsLast)
HORNET_CHOICE(ops::kernels::FusedMode)
HORNET_CHOICE(distributed::Backend)
HORNET_CHOICE(models::InitScheme)
#undef HORNET_CHOICE

}  // namespace hornet::config
