#!/usr/bin/env bash
# hornet-eval's summary, forward and error paths, run as a user would.
#   tests/cli/test_hornet_eval.sh build/bin/hornet-eval
set -uo pipefail
eval_bin=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$eval_bin" summary --arch tiny-gf --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "summary --arch tiny-gf exited $rc: $out"
grep -Eq '^tiny-gf +dw7,dw7,gf14x8,gf7x4 +224 +1000 +22991848 ' <<<"$out" || fail "tiny-gf row wrong: $out"

out=$("$eval_bin" summary --arch s --num-classes 10 --image-size 256 --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "summary --arch s exited $rc"
# small with a 10-class head: 49,528,264 - 990 * 768 - 990 = 48,766,954
grep -Eq '^small .* 256 +10 +48766954 ' <<<"$out" || fail "small/10-class row wrong: $out"

out=$("$eval_bin" forward --arch t --batch-size 2 --image-size 64 --threads 1 2>&1); rc=$?
[[ $rc -eq 0 ]] || fail "forward exited $rc: $out"
grep -q 'logits \[2, 1000\].*finite' <<<"$out" || fail "forward output wrong: $out"

out=$("$eval_bin" summary --arch nope 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "unknown arch should exit 1, got $rc"
grep -q "hornet-eval: error: unknown HorNet arch 'nope'; valid archs: tiny, t, tiny-gf" <<<"$out" ||
  fail "unknown arch message wrong: $out"

out=$("$eval_bin" forward --arch tiny --image-size 16 --threads 1 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "too-small input should exit 1, got $rc"
grep -q "at least 32" <<<"$out" || fail "small-input message wrong: $out"

out=$("$eval_bin" 2>&1); rc=$?
[[ $rc -eq 2 ]] || fail "no subcommand should exit 2, got $rc"
grep -qF "give one of: validate, predict, load, inspect, summary, forward, benchmark, zoo" <<<"$out" ||
  fail "no subcommand: the message does not list them: $out"

out=$("$eval_bin" summary --bogus 2>&1); rc=$?
[[ $rc -ne 0 ]] || fail "unknown flag should fail"
grep -q -- "--bogus" <<<"$out" || fail "unknown flag message wrong: $out"

# Each subcommand refuses an option of another, and says whose it is.
refuses() {  # subcommand, foreign option, the subcommands it belongs to, arguments...
  local command=$1 option=$2 owners=$3
  shift 3
  out=$("$eval_bin" "$command" "$@" "$option" 2>&1); rc=$?
  [[ $rc -eq 2 ]] || fail "$command $option should exit 2, got $rc: $out"
  grep -qF -- "hornet-eval $command: $option is not an option of $command; it belongs to: $owners" <<<"$out" ||
    fail "$command $option: message wrong: $out"
}
refuses validate --arch "predict, load, summary, forward, benchmark" cfg.yaml --checkpoint x.pth
refuses predict --data "validate" x.jpg --arch tiny --checkpoint x.pth
refuses load --topk "predict" --arch tiny --checkpoint x.pth
refuses inspect --mmap "predict, load" --checkpoint x.pth
refuses summary --steps "benchmark" --arch tiny
refuses forward --checkpoint "validate, predict, load, inspect" --arch tiny
refuses benchmark --input-npy "load" --arch tiny
refuses zoo --threads "validate, predict, load, summary, forward, benchmark"

# The spellings from before the subcommands still run, with the new one on stderr.
out=$("$eval_bin" --summary --arch tiny-gf --threads 1 2>/dev/null); rc=$?
[[ $rc -eq 0 ]] && grep -Eq '^tiny-gf +dw7,dw7,gf14x8,gf7x4 ' <<<"$out" || fail "--summary (old spelling) exited $rc: $out"
err=$("$eval_bin" --summary --arch tiny-gf --threads 1 2>&1 >/dev/null)
grep -qF "now spelt: hornet-eval summary --arch tiny-gf --threads 1" <<<"$err" || fail "old spelling note: $err"

((failures == 0)) && echo "hornet-eval CLI: all checks passed"
exit $((failures > 0))
