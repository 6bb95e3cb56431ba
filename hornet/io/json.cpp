#include "hornet/io/json.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <unordered_set>

namespace hornet::io {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double v, int digits) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string json_number_significant(double v, int significant) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", significant, v);
  return buf;
}

namespace {

class JsonParser {
 public:
  JsonParser(std::string_view text, int max_depth, size_t max_values, bool flat)
      : text_(text), max_depth_(max_depth), max_values_(max_values), flat_(flat) {}

  JsonValue run() {
    JsonValue v = value(0);
    skip_space();
    if (pos_ != text_.size())
      fail(v.is(JsonValue::Kind::kObject) ? "text after the object" : "text after the value");
    return v;
  }

 private:
  JsonValue value(int depth) {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value");
    // Each value costs about a hundred bytes in memory against one or two in the text.
    if (++values_ > max_values_) fail("more than " + std::to_string(max_values_) + " values");
    const char c = text_[pos_];
    if (c != '{' && c != '[') return scalar();
    if (depth >= max_depth_) {
      fail(flat_ ? "nested values are not read here"
                 : "nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    JsonValue v;
    ++pos_;
    if (c == '{') {
      v.kind = JsonValue::Kind::kObject;
      if (!consume('}')) {
        // Readers disagree on which of two equal keys wins, so a file holding both means two things.
        std::unordered_set<std::string> keys;
        do {
          skip_space();
          std::string key = string();
          if (!keys.insert(key).second) fail("key '" + key + "' appears twice in one object");
          expect(':');
          v.members.emplace_back(std::move(key), value(depth + 1));
        } while (consume(','));
        expect('}');
      }
    } else {
      v.kind = JsonValue::Kind::kArray;
      if (!consume(']')) {
        do {
          v.items.push_back(value(depth + 1));
        } while (consume(','));
        expect(']');
      }
    }
    return v;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("malformed JSON at offset " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(std::string("expected '") + c + "'");
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }
  std::string string() {
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string");
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const char c = text_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned code = hex4();
          // A character beyond the BMP comes as a UTF-16 pair; a lone half is not text.
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") fail("a high surrogate \\u escape without its low half");
            pos_ += 2;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("a high surrogate \\u escape without its low half");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            fail("a low surrogate \\u escape without its high half");
          }
          append_utf8(out, code);
          break;
        }
        default:
          fail(std::string("unknown escape \\") + e);
      }
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }
  unsigned hex4() {
    if (pos_ + 4 > text_.size()) fail("short \\u escape");
    unsigned code = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9')
        code |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        code |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        code |= static_cast<unsigned>(h - 'A' + 10);
      else
        fail("bad \\u escape");
    }
    return code;
  }
  // JSON's number grammar, which strtod alone would widen (inf, nan, hex, 01, 1.).
  static bool json_number_syntax(std::string_view n) {
    size_t i = 0;
    const auto digits = [&] {
      const size_t from = i;
      while (i < n.size() && n[i] >= '0' && n[i] <= '9') ++i;
      return i > from;
    };
    if (i < n.size() && n[i] == '-') ++i;
    if (i < n.size() && n[i] == '0') {
      ++i;
    } else if (!digits()) {
      return false;
    }
    if (i < n.size() && n[i] == '.' && (++i, !digits())) return false;
    if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
      ++i;
      if (i < n.size() && (n[i] == '+' || n[i] == '-')) ++i;
      if (!digits()) return false;
    }
    return i == n.size();
  }
  JsonValue scalar() {
    JsonValue v;
    if (pos_ >= text_.size()) fail("expected a value");
    const char c = text_[pos_];
    if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      v.text = string();
    } else if (literal("null")) {
      v.kind = JsonValue::Kind::kNull;
    } else if (literal("true")) {
      v.kind = JsonValue::Kind::kBool;
      v.number = 1;
    } else if (literal("false")) {
      v.kind = JsonValue::Kind::kBool;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::string number(text_.substr(pos_, text_.find_first_of(",}] \t\r\n", pos_) - pos_));
      if (!json_number_syntax(number)) fail("malformed number '" + number + "'");
      v.kind = JsonValue::Kind::kNumber;
      v.number = std::strtod(number.c_str(), nullptr);
      v.text = number;
      pos_ += number.size();
    } else {
      fail("expected a value");
    }
    return v;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int max_depth_;
  size_t max_values_;
  size_t values_ = 0;
  bool flat_;
};

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

JsonValue parse_json(std::string_view text, int max_depth, size_t max_values) {
  return JsonParser(text, max_depth, max_values, false).run();
}

std::vector<std::pair<std::string, JsonValue>> parse_flat_json_object(std::string_view text) {
  JsonParser parser(text, 1, SIZE_MAX, true);
  JsonValue v = parser.run();
  if (!v.is(JsonValue::Kind::kObject))
    throw std::invalid_argument("malformed JSON at offset 0: expected '{'");
  return std::move(v.members);
}

uint64_t json_uint64(const JsonValue& v, const std::string& what) {
  const std::string& t = v.text;
  const bool digits = v.is(JsonValue::Kind::kNumber) && !t.empty() && t.size() <= 20 &&
                      t.find_first_not_of("0123456789") == std::string::npos && (t == "0" || t[0] != '0');
  if (digits) {
    errno = 0;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(t.c_str(), &end, 10);
    if (errno == 0 && end == t.c_str() + t.size()) return static_cast<uint64_t>(n);
  }
  throw std::invalid_argument(what + " is not a non-negative integer below 2^64" +
                              (v.is(JsonValue::Kind::kNumber) ? " (" + t + ")" : ""));
}

}  // namespace hornet::io
