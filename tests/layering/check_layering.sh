#!/usr/bin/env bash
# The build enforces hornet's layers: a file compiled as part of the io layer
# builds when it includes io's and common's headers and fails when it includes
# engine's, because that layer's include view has no hornet/engine/.
#   tests/layering/check_layering.sh BUILD_DIR
set -uo pipefail
build=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$(cmake --build "$build" --target layering_probe_allowed 2>&1) ||
  fail "an include of a lower layer did not build: $out"
out=$(cmake --build "$build" --target layering_probe_upward 2>&1) && fail "an upward include built: $out"
grep -qE "hornet/engine/trainer.h.*(No such file or directory|file not found)" <<<"$out" ||
  fail "the upward include failed for another reason than the missing header: $out"

((failures == 0)) && echo "layering: a lower layer's header builds, an upper layer's is not found"
exit $((failures > 0))
