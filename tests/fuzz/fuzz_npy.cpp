// libFuzzer target: the .npy reader.
#include "hornet/io/npy.h"
#include "memfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile file(data, size);
  if (!file.ok()) return 0;
  try {
    (void)hornet::io::read_npy(file.path());
  } catch (const std::exception&) {
  }
  return 0;
}
