// The little JSON hornet writes (result files, predictions, metrics lines):
// strings quoted and escaped as RFC 8259 requires, numbers that JSON can hold.
#pragma once

#include <string>

namespace hornet::io {

/// `s` as a JSON string literal, quotes included (UTF-8 passes through).
std::string json_string(const std::string& s);

/// `v` with `digits` decimals; NaN and infinities (which JSON lacks) as null.
std::string json_number(double v, int digits = 6);

}  // namespace hornet::io
