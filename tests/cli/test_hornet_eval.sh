#!/usr/bin/env bash
# hornet-eval's summary, forward and error paths, run as a user would.
#   tests/cli/test_hornet_eval.sh build/bin/hornet-eval
set -uo pipefail
eval_bin=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$eval_bin" --summary --arch tiny-gf --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "--summary --arch tiny-gf exited $rc: $out"
grep -Eq '^tiny-gf +dw7,dw7,gf14x8,gf7x4 +224 +1000 +22991848 ' <<<"$out" || fail "tiny-gf row wrong: $out"

out=$("$eval_bin" --summary --arch s --num-classes 10 --image-size 256 --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "--summary --arch s exited $rc"
# small with a 10-class head: 49,528,264 - 990 * 768 - 990 = 48,766,954
grep -Eq '^small .* 256 +10 +48766954 ' <<<"$out" || fail "small/10-class row wrong: $out"

out=$("$eval_bin" --forward --arch t --batch-size 2 --image-size 64 --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "--forward exited $rc: $out"
grep -q 'logits \[2, 1000\].*finite' <<<"$out" || fail "--forward output wrong: $out"

out=$("$eval_bin" --summary --arch nope 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "unknown arch should exit 1, got $rc"
grep -q "hornet-eval: error: unknown HorNet arch 'nope'; valid archs: tiny, t, tiny-gf" <<<"$out" ||
  fail "unknown arch message wrong: $out"

out=$("$eval_bin" --forward --arch tiny --image-size 16 --threads 1 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "too-small input should exit 1, got $rc"
grep -q "at least 32" <<<"$out" || fail "small-input message wrong: $out"

out=$("$eval_bin" 2>&1); rc=$?
[[ $rc -eq 2 ]] || fail "no action should exit 2, got $rc"

out=$("$eval_bin" --summary --bogus 2>&1); rc=$?
[[ $rc -ne 0 ]] || fail "unknown flag should fail"
grep -q -- "--bogus" <<<"$out" || fail "unknown flag message wrong: $out"

((failures == 0)) && echo "hornet-eval CLI: all checks passed"
exit $((failures > 0))
