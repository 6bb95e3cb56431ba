// The JSON hornet writes: string escapes as RFC 8259 requires, numbers JSON can hold.
#include "hornet/io/json.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace hornet;

TEST_CASE("json: strings are quoted with quotes, backslashes and control characters escaped", "[json]") {
  CHECK(io::json_string("plain/path.jpg") == "\"plain/path.jpg\"");
  CHECK(io::json_string("a \"b\" \\c") == "\"a \\\"b\\\" \\\\c\"");
  CHECK(io::json_string("line\nnext\ttab") == "\"line\\nnext\\ttab\"");
  CHECK(io::json_string(std::string("\x01", 1)) == "\"\\u0001\"");
  CHECK(io::json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");  // UTF-8 passes through
}

TEST_CASE("json: numbers with fixed decimals, NaN and infinity as null", "[json]") {
  CHECK(io::json_number(82.84, 2) == "82.84");
  CHECK(io::json_number(-0.5) == "-0.500000");
  CHECK(io::json_number(std::nan("")) == "null");
  CHECK(io::json_number(1.0 / 0.0) == "null");
}

TEST_CASE("json: significant digits keep small learning rates", "[json]") {
  CHECK(io::json_number_significant(4e-3) == "0.004");
  CHECK(io::json_number_significant(1.25e-7) == "1.25e-07");
  CHECK(io::json_number_significant(1234.5678901) == "1234.5679");
  CHECK(io::json_number_significant(-std::nan("")) == "null");
}

TEST_CASE("json: a flat object reads back keys in order, strings unescaped, numbers, booleans and null", "[json]") {
  const auto fields = io::parse_flat_json_object(
      " {\"a\": \"x \\\"q\\\" \\\\ \\/ \\n\\t\\u00e9\", \"n\": -1.5e-3 ,\"t\":true, \"f\": false, \"z\": null}\n");
  REQUIRE(fields.size() == 5);
  CHECK(fields[0].first == "a");
  CHECK(fields[0].second.kind == io::JsonValue::Kind::kString);
  CHECK(fields[0].second.text == "x \"q\" \\ / \n\t\xc3\xa9");
  CHECK(fields[1].first == "n");
  CHECK(fields[1].second.kind == io::JsonValue::Kind::kNumber);
  CHECK(fields[1].second.number == -1.5e-3);
  CHECK((fields[2].second.kind == io::JsonValue::Kind::kBool && fields[2].second.number == 1));
  CHECK((fields[3].second.kind == io::JsonValue::Kind::kBool && fields[3].second.number == 0));
  CHECK(fields[4].second.kind == io::JsonValue::Kind::kNull);
  CHECK(io::parse_flat_json_object("{}").empty());
  // What json_string writes reads back as the same bytes.
  const std::string tricky = std::string("\x01 \"q\" \\ caf\xc3\xa9\r", 15);
  CHECK(io::parse_flat_json_object("{\"k\": " + io::json_string(tricky) + "}")[0].second.text == tricky);
}

TEST_CASE("json: a malformed flat object is an error naming the offset", "[json]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": 1"), Contains("offset 7: expected '}'"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": [1]}"), Contains("nested values are not read here"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": \"open"), Contains("unterminated string"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": 1x}"), Contains("malformed number '1x'"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": 1} x"), Contains("text after the object"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{a: 1}"), Contains("expected a string"));
  CHECK_THROWS_WITH(io::parse_flat_json_object("{\"a\": \"\\q\"}"), Contains("unknown escape"));
}

TEST_CASE("json: parse_json joins UTF-16 pairs and refuses what RFC 8259 does not allow", "[json]") {
  using Catch::Matchers::Contains;
  // U+1F600 is F0 9F 98 80 in UTF-8; U+00E9 is C3 A9.
  CHECK(io::parse_json(R"("\ud83d\ude00 \u00e9")").text == "\xf0\x9f\x98\x80 \xc3\xa9");
  CHECK_THROWS_WITH(io::parse_json(R"("\ud83d")"), Contains("without its low half"));
  CHECK_THROWS_WITH(io::parse_json(R"("\ud83d\u0041")"), Contains("without its low half"));
  CHECK_THROWS_WITH(io::parse_json(R"("\ude00")"), Contains("without its high half"));
  for (const char* number : {"0", "-0", "12", "1.5", "-1.5e-3", "2E+10", "0.25e3"}) {
    INFO(number);
    CHECK(io::parse_json(number).number == std::strtod(number, nullptr));
  }
  for (const char* number : {"01", "1.", ".5", "-", "1e", "0x10", "-inf", "nan", "+1", "1.5e+"}) {
    INFO(number);
    CHECK_THROWS_WITH(io::parse_json(number), Contains("expected a value") || Contains("malformed number"));
  }
  CHECK_THROWS_WITH(io::parse_json(R"({"a": 1, "b": {"a": 2}, "a": 3})"), Contains("key 'a' appears twice"));
  CHECK(io::parse_json(R"({"a": {"a": 2}})").find("a")->find("a")->number == 2);
  CHECK(io::parse_json("[1, 2, [3]]", 4, 5).items.size() == 3);
  CHECK_THROWS_WITH(io::parse_json("[1, 2, [3, 4]]", 4, 5), Contains("more than 5 values"));
}
