// libFuzzer target: tar shards (headers, pax and GNU name records, sizes) as a
// WebDataset shard set opens them, every sample's image bytes then read.
#include "hornet/data/dataset.h"
#include "hornet/io/tar.h"
#include "memfile.h"

#include <cstdlib>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile file(data, size);
  if (!file.ok()) return 0;
  try {
    for (const auto& member : hornet::io::list_tar(file.path())) {
      // list_tar promises members inside the file; a sanitizer would not see a breach
      // that read_sample_bytes later turns into a short read.
      if (member.offset > size || member.size > size - member.offset) std::abort();
    }
    const auto shards = hornet::data::Dataset::shards(file.path());
    for (const auto& sample : shards.samples()) (void)hornet::data::read_sample_bytes(sample);
  } catch (const std::exception&) {
  }
  return 0;
}
