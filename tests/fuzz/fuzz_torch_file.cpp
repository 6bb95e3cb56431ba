// libFuzzer target: torch.save files (zip and legacy) end to end: decoding,
// finding weights, loading every tensor, printing.
#include "hornet/io/state_dict.h"
#include "hornet/io/torch_file.h"
#include "memfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MemFile file(data, size);
  if (!file.ok()) return 0;
  try {
    hornet::io::TorchFile torch_file(file.path());
    (void)hornet::io::py::describe(torch_file.root());
    try {
      (void)hornet::io::find_weights(torch_file.root(), false);
    } catch (const std::exception&) {
    }
    torch_file.load_all();
  } catch (const std::exception&) {
  }
  return 0;
}
