// Compiled as part of the io layer, this builds: a layer sees its own headers
// and those below it.
#include "hornet/common/version.h"
#include "hornet/io/json.h"

std::string layering_probe() { return hornet::io::json_string(hornet::kVersion); }
