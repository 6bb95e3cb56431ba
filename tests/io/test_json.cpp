// The JSON hornet writes: string escapes as RFC 8259 requires, numbers JSON can hold.
#include "hornet/io/json.h"

#include <catch2/catch.hpp>

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
