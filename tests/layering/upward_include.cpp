// Compiled as part of the io layer, this must not build: io sits below engine.
#include "hornet/engine/trainer.h"
