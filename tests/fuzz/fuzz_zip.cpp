// libFuzzer target: the zip reader (directory parsing and entry reads).
#include "hornet/io/zip.h"
#include "memfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile file(data, size);
  if (!file.ok()) return 0;
  try {
    hornet::io::ZipReader zip(std::make_shared<hornet::io::RandomAccessFile>(file.path()));
    for (const auto& entry : zip.entries()) {
      if (entry.size <= 1 << 20) (void)zip.read(entry);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
