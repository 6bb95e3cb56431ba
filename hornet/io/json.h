// The little JSON hornet writes (result files, predictions, metrics lines):
// strings quoted and escaped as RFC 8259 requires, numbers that JSON can hold;
// and a reader for what it reads back: metrics lines (flat objects of scalars)
// and safetensors headers (objects of objects, arrays of integers).
#pragma once

#include <cstdint>
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

/// A parsed JSON value; objects keep their members in file order.
struct JsonValue {
  enum class Kind { kString, kNumber, kBool, kNull, kArray, kObject };
  Kind kind = Kind::kNull;
  /// kString: the unescaped string; kNumber: the literal as written (exact
  /// integers beyond 2^53 are read from it, see json_uint64).
  std::string text;
  double number = 0;  ///< kNumber; kBool: 1 or 0
  std::vector<JsonValue> items;                            ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject

  bool is(Kind k) const { return kind == k; }
  /// The member named `key` of an object, or null.
  const JsonValue* find(std::string_view key) const;
};

/// Parses one JSON value (surrounding white space allowed), nested at most
/// `max_depth` arrays or objects deep and holding at most `max_values` values
/// (a bound on memory for untrusted text). Throws std::invalid_argument naming
/// the offset of what is malformed; a key twice in one object is malformed.
JsonValue parse_json(std::string_view text, int max_depth = 64, size_t max_values = SIZE_MAX);

/// Parses one JSON object whose values are all scalars (a metrics line), keys
/// in file order. Throws std::invalid_argument naming the offset of what is
/// malformed (nested objects and arrays included).
std::vector<std::pair<std::string, JsonValue>> parse_flat_json_object(std::string_view text);

/// A number value that is a non-negative integer, exactly (up to 2^64 - 1);
/// throws std::invalid_argument naming `what` otherwise.
uint64_t json_uint64(const JsonValue& v, const std::string& what);

}  // namespace hornet::io
