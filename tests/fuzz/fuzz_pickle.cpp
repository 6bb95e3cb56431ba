// libFuzzer target: the pickle decoder and the value printer on arbitrary bytes.
#include "hornet/io/pickle.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hornet::io::py::Document doc(200000);
  try {
    hornet::io::py::decode(std::string_view(reinterpret_cast<const char*>(data), size), doc);
    (void)hornet::io::py::describe(*doc.root);
  } catch (const std::exception&) {
  }
  return 0;
}
