// libFuzzer target: safetensors headers. The input is a 2-byte little-endian
// data size, then the header text; a header that passes its checks is laid out
// as a file with that much data and every tensor loaded from it.
#include "hornet/io/safetensors.h"
#include "hornet/io/torch_file.h"
#include "memfile.h"

#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t data_size = data[0] | (size_t{data[1]} << 8);
  const std::string header(reinterpret_cast<const char*>(data) + 2, size - 2);
  try {
    (void)hornet::io::parse_safetensors_header(header, data_size);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  std::string bytes(8, '\0');
  for (int k = 0; k < 8; ++k)
    bytes[static_cast<size_t>(k)] = static_cast<char>((header.size() >> (8 * k)) & 0xff);
  bytes += header;
  bytes.append(data_size, '\x5a');
  MemFile file(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!file.ok()) return 0;
  try {
    hornet::io::TorchFile torch_file(file.path());
    torch_file.load_all();
  } catch (const std::exception&) {
  }
  return 0;
}
