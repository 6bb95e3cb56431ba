// The little JSON hornet writes (result files, predictions, metrics lines):
// strings quoted and escaped as RFC 8259 requires, numbers that JSON can hold;
// and the one shape it reads back, a flat object of scalars (a metrics line).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hornet::io {

/// `s` as a JSON string literal, quotes included (UTF-8 passes through).
std::string json_string(const std::string& s);

/// `v` with `digits` decimals; NaN and infinities (which JSON lacks) as null.
std::string json_number(double v, int digits = 6);

/// `v` with `significant` significant digits (%g); NaN and infinities as null.
std::string json_number_significant(double v, int significant = 8);

/// A scalar of a flat JSON object: a string, a number, true/false or null.
struct JsonScalar {
  enum class Kind { kString, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  std::string text;   ///< kString: the unescaped string
  double number = 0;  ///< kNumber; kBool: 1 or 0
};

/// Parses one JSON object whose values are all scalars, keys in file order.
/// Throws std::invalid_argument naming the offset of what is malformed
/// (nested objects and arrays included).
std::vector<std::pair<std::string, JsonScalar>> parse_flat_json_object(std::string_view text);

}  // namespace hornet::io
