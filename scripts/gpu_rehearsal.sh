#!/usr/bin/env bash
# Rehearses the offline GPU host on a machine without a GPU: a clean Debian 13
# root (debootstrap) holding only what that host has (Python + venv with PyPI's
# torch, g++, CMake, Ninja, git; no hornet -dev package), the dependency bundle
# unpacked at another path than where it was made, the sources copied to
# another path, the CUDA toolkit bind-mounted read-only; then
# scripts/gpu_check.sh inside it (chroot), and an audit that the bundle is
# relocatable and that every library the binaries load comes from the bundle,
# the torch wheel, the toolkit or the base system. A bundle or CMake problem
# that would cost a GPU run shows up here instead.
#
#   scripts/gpu_rehearsal.sh [--dir DIR] [--fresh] [--prepare | --build-only] [STAGE...]
#
#   --dir DIR   where the root, the wheels and the bundle live
#               (default $HORNET_REHEARSAL_DIR or /tmp/hornet-rehearsal); the
#               root and the venv are reused between runs
#   --fresh     rebuild the root and the venv from scratch
#   --prepare   only make the root, the venv and the bundle
#   --build-only  stop after the build and the audit
#   STAGE...    gpu_check.sh stages to run after `facts build` (default: cuda
#               toy bench; without a GPU they say "no GPU", the toy's CPU side runs)
# Environment: HORNET_REHEARSAL_MIRROR (default http://deb.debian.org/debian),
# HORNET_REHEARSAL_CUDA (the toolkit, default /usr/local/cuda),
# TORCH_CUDA_ARCH_LIST (passed on, default 9.0).
#
# Needs root (debootstrap, chroot, mount), the network (Debian's mirror, PyPI;
# cached after the first run) and about 10 GB under DIR.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

dir=${HORNET_REHEARSAL_DIR:-/tmp/hornet-rehearsal}
mirror=${HORNET_REHEARSAL_MIRROR:-http://deb.debian.org/debian}
cuda=${HORNET_REHEARSAL_CUDA:-/usr/local/cuda}
suite=trixie
fresh=0 prepare=0 build_only=0
stages=()
while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    --fresh) fresh=1; shift ;;
    --prepare) prepare=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu_rehearsal: unknown option $1 (--help)" >&2; exit 2 ;;
    *) stages+=("$1"); shift ;;
  esac
done
dir=$(realpath -m "$dir")
root=$dir/root
made=$dir/bundle # where bundle_deps.sh writes the bundle on this machine

# Paths inside the root. None of them exists on this machine, so anything that
# still points at where the bundle or the sources were made fails there.
venv=/opt/torch/.venv
python=$venv/bin/python3
deps_in=/srv/elsewhere/deps
src_in=/srv/src/hornet
work_in=/srv/gpu-work
out_in=/srv/out
wheels_in=/srv/wheels
# What the GPU host has, and what pip needs to fetch over TLS: nothing else.
root_packages=python3,python3-venv,g++,cmake,ninja-build,git,ca-certificates

# shellcheck source=scripts/torch_env.sh
source "$repo/scripts/torch_env.sh"

say() { echo "gpu_rehearsal: $*"; }
die() {
  echo "gpu_rehearsal: error: $*" >&2
  exit 1
}

# --- timing: each step's wall time, printed at the end even after a failure
step_names=() step_seconds=()
t_start=$(date +%s.%N)
run_step() {
  local name=$1 t0
  shift
  t0=$(date +%s.%N)
  echo
  say "== $name"
  "$@"
  step_names+=("$name")
  step_seconds+=("$(elapsed "$t0")")
  say "$name: done in ${step_seconds[-1]} s"
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# The user+system CPU seconds of this shell's finished children, from the
# `times` builtin (its second line). A builtin with a redirection runs in this
# shell, so the figure includes everything the chroot ran and waited for.
# Called as `children_cpu VAR`, not in $(...), whose subshell has no children.
children_cpu() {
  local file=$dir/.times
  times >"$file"
  printf -v "$1" '%s' "$(sed -n 2p "$file" | awk '{
    s = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
    printf "%.1f", s
  }')"
}

# --- mounts: recorded in order, undone in reverse on any exit
mounts=()
mounted_under() { awk -v r="$1/" '{ gsub(/\\040/, " ", $2) } index($2 "/", r) == 1 { print $2 }' /proc/self/mounts; }
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -R "${mounts[i]}" 2>/dev/null || umount -R -l "${mounts[i]}" ||
      echo "gpu_rehearsal: warning: could not unmount ${mounts[i]}" >&2
  done
  mounts=()
  local left
  left=$(mounted_under "$root")
  [[ -z $left ]] || printf 'gpu_rehearsal: warning: still mounted: %s\n' $left >&2
}
bind() { # bind SRC DEST [ro]
  mkdir -p "$2"
  mount --rbind "$1" "$2"
  mounts+=("$2")
  mount --make-rslave "$2"
  [[ ${3:-} != ro ]] || mount -o remount,bind,ro "$2"
}
mount_all() {
  mount -t proc proc "$root/proc"
  mounts+=("$root/proc")
  bind /sys "$root/sys"
  bind /dev "$root/dev"
  bind "$cuda_dir" "$root/usr/local/cuda" ro
  mkdir -p "$dir/wheels"
  bind "$dir/wheels" "$root$wheels_in"
}

summary() {
  local rc=$?
  trap - EXIT INT TERM
  unmount_all
  echo
  say "== times"
  local i
  for i in "${!step_names[@]}"; do printf '  %-34s %8s s\n' "${step_names[i]}" "${step_seconds[i]}"; done
  printf '  %-34s %8s s\n' total "$(elapsed "$t_start")"
  [[ -z ${build_report:-} ]] || echo "$build_report"
  [[ -z ${audit_report:-} ]] || echo "$audit_report"
  [[ -z ${check_report:-} ]] || echo "$check_report"
  if ((rc)); then say "FAILED (exit $rc)"; else say "done"; fi
  exit "$rc"
}

# Runs a command inside the root with the GPU host's plain environment (no
# CUDA on PATH: CMake has to find nvcc itself).
in_root() {
  env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$@"
}

# --- steps ------------------------------------------------------------------

preflight() {
  ((EUID == 0)) || die "run as root: debootstrap, chroot and mount need it"
  [[ -x $cuda/bin/nvcc ]] ||
    die "no CUDA toolkit at $cuda (no $cuda/bin/nvcc): install it or set HORNET_REHEARSAL_CUDA"
  cuda_dir=$(realpath "$cuda")
  command -v chroot >/dev/null || die "chroot is missing (coreutils)"
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    apt-get install -y -q debootstrap >/dev/null || die "could not install debootstrap with apt-get"
  fi
  local url
  for url in "$mirror/dists/$suite/Release" https://pypi.org/simple/torch/; do
    curl -fsS -o /dev/null --max-time 20 --head "$url" ||
      die "no network: cannot reach $url (needed for the root, the venv and the bundle)"
  done
  mkdir -p "$dir"
  # An earlier run killed outright (SIGKILL) leaves its mounts behind.
  local left m
  left=$(mounted_under "$root" | sort -r)
  if [[ -n $left ]]; then
    say "unmounting what an earlier run left mounted under $root"
    for m in $left; do umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || true; done
    left=$(mounted_under "$root")
    [[ -z $left ]] || die "still mounted under $root: $left"
  fi
  say "root $root (Debian $suite), toolkit $cuda_dir ($("$cuda/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
}

make_root() {
  local marker=$root/.hornet-rehearsal want="$suite $root_packages"
  if ((!fresh)) && [[ -f $marker && $(cat "$marker") == "$want" ]]; then
    say "reusing the root ($want)"
    return
  fi
  # --one-file-system: never follow a mount left behind into the host.
  rm -rf --one-file-system "$root" "$root.partial"
  say "debootstrap $suite (minbase + $root_packages) from $mirror"
  debootstrap --variant=minbase --include="$root_packages" "$suite" "$root.partial" "$mirror" \
    >"$dir/debootstrap.log" 2>&1 || {
    tail -n 20 "$dir/debootstrap.log" >&2
    die "debootstrap failed (log: $dir/debootstrap.log)"
  }
  mv "$root.partial" "$root"
  echo "$want" >"$marker"
}

make_venv() {
  local want="torch $HORNET_PYPI_TORCH_VERSION, numpy $HORNET_PYPI_NUMPY_VERSION" have
  have=$(in_root chroot "$root" "$python" -c \
    'import numpy, torch; print("torch", torch.__version__.split("+")[0] + ", numpy", numpy.__version__)' \
    2>/dev/null || true)
  if ((!fresh)) && [[ $have == "$want" ]]; then
    say "reusing $venv ($have)"
    return
  fi
  say "installing $want into $venv (wheels kept in $dir/wheels)"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # This machine's trusted certificates (a TLS-inspecting proxy's among them,
  # where there is one) for pip only; the root's own store stays Debian's.
  local ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}}
  cp "$ca" "$root/etc/ssl/rehearsal-host-ca.crt"
  rm -rf "${root:?}$venv"
  in_root chroot "$root" python3 -m venv "$venv"
  # The wheels are kept in a folder of their own rather than pip's cache:
  # an HTTP proxy that drops the caching headers leaves that cache empty.
  local pins=("torch==$HORNET_PYPI_TORCH_VERSION" "numpy==$HORNET_PYPI_NUMPY_VERSION")
  local pip=(in_root PIP_CERT=/etc/ssl/rehearsal-host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1
             chroot "$root" "$python" -m pip)
  if ! "${pip[@]}" install -q --no-index --find-links "$wheels_in" "${pins[@]}" 2>/dev/null; then
    say "downloading the wheels from PyPI (about 2.6 GB)"
    "${pip[@]}" download -q --progress-bar off --dest "$wheels_in" "${pins[@]}"
    "${pip[@]}" install -q --no-index --find-links "$wheels_in" "${pins[@]}"
  fi
  in_root chroot "$root" "$python" -c 'import sys, torch; print("venv: Python", sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda)'
}

make_bundle() {
  "$repo/scripts/bundle_deps.sh" "$made"
  # Carried as a command carries it: the files, at another path.
  rm -rf "${root:?}$deps_in"
  mkdir -p "$root$deps_in"
  cp -a "$made/." "$root$deps_in/"
  say "bundle made in $made, unpacked at $deps_in inside the root ($(du -sm "$root$deps_in" | cut -f1) MiB)"
}

copy_sources() {
  # The working tree as the device tool carries it: tracked files and untracked
  # ones git does not ignore, no .git, no build folders.
  rm -rf "${root:?}$src_in" "${root:?}$work_in" "${root:?}$out_in"
  mkdir -p "$root$src_in" "$root$work_in" "$root$out_in"
  (cd "$repo" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
    [[ -e $f || -L $f ]] && printf '%s\0' "$f"
  done | tar --null -T - -cf -) | tar -C "$root$src_in" -xf -
  say "sources copied to $src_in ($(find "$root$src_in" -type f | wc -l) files)"
}

# gpu_check.sh inside the root with the GPU host's variables. The time limits
# are for a 16-core host; on this machine's few cores the build needs longer,
# so the rehearsal lifts them (both the old and the new variable names).
gpu_check() {
  local out=$1
  shift
  in_root OUT="$out" HORNET_DEPS="$deps_in" PYTHON="$python" GPU_WORK="$work_in" \
    GPU_BUILD_DIR="$work_in/build-gpu" TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" \
    GPU_CHECK_SECONDS=21600 GPU_CHECK_LIMITS="build=10800 cuda=3600 toy=3600 bench=3600 suite=10800" \
    chroot "$root" bash -c 'cd "$0" && exec scripts/gpu_check.sh "$@"' "$src_in" "$@"
}

build() {
  local cpu0 cpu1 t0 rc=0 wall cpu
  children_cpu cpu0
  t0=$(date +%s.%N)
  gpu_check "$out_in/build" "${build_stages[@]}" || rc=$?
  wall=$(elapsed "$t0")
  children_cpu cpu1
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
  build_report=$(
    say "build (gpu_check.sh ${build_stages[*]}, configure included) on $(nproc) cores: wall $wall s, CPU $cpu s (user+sys)"
    awk -v c="$cpu" 'BEGIN { printf "gpu_rehearsal: estimated build on 16 cores: %.0f s (CPU time / 16)\n", c / 16 }'
  )
  echo "$build_report"
  ((rc == 0)) || die "gpu_check.sh ${build_stages[*]} failed (exit $rc; logs: $root$out_in/build)"
}

check_stages() {
  local rc=0
  gpu_check "$out_in/stages" "${stages[@]}" || rc=$?
  check_report=$(
    say "gpu_check.sh ${stages[*]}: exit $rc; summaries:"
    cat "$root$out_in/build/summary.txt" "$root$out_in/stages/summary.txt" 2>/dev/null | sed 's/^/  /'
  )
  ((rc == 0)) || die "gpu_check.sh ${stages[*]} failed (exit $rc; logs: $root$out_in/stages)"
}

# Which origin a loaded library comes from, or nothing when none may hold it.
origin_of() {
  case $1 in
    "$deps_in"/*) echo bundle ;;
    "$venv"/lib/python3*/site-packages/torch/* | "$venv"/lib/python3*/site-packages/nvidia/*) echo "torch wheel" ;;
    /usr/local/cuda/*) echo "CUDA toolkit" ;;
    "$work_in"/*) echo "hornet build" ;;
    /lib/* | /lib64/* | /usr/lib/* | /usr/lib64/*) echo "base system" ;;
  esac
}

audit() {
  local bad=() link target
  # 1. The bundle's symlinks must be relative and resolve where it was unpacked.
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    [[ $target != /* ]] || bad+=("absolute symlink ${link#"$root"} -> $target")
    [[ -e $link ]] || bad+=("dangling symlink ${link#"$root"} -> $target")
  done < <(find "$root$deps_in" -type l -print0)
  local n_links
  n_links=$(find "$root$deps_in" -type l | wc -l)

  # 2. Every library the binaries load, as the loader reports it (LD_DEBUG=libs),
  # with env.sh sourced as gpu_check.sh does.
  local bin=$work_in/build-gpu/bin ld=$out_in/ld-debug
  rm -rf "${root:?}$ld"
  mkdir -p "$root$ld"
  # gpu_check.sh builds the targets its checks run; hornet-tests only for the suite.
  local runs=("hornet-train --version" "hornet-eval --version" "hornet-data --help"
              "hornet-cuda-tests --list-tests" "hornet-tests --list-tests")
  local r exe ran=()
  for r in "${runs[@]}"; do
    exe=${r%% *}
    if [[ ! -x $root$bin/$exe ]]; then
      [[ $exe == hornet-tests ]] || bad+=("$bin/$exe was not built")
      continue
    fi
    ran+=("$exe")
    # Catch2 2's --list-tests exits with the number of tests, so only a
    # failure to load counts here (127, or the loader's message).
    local rc=0
    in_root chroot "$root" bash -c 'source "$1/env.sh" && cd "$2" && LD_DEBUG=libs,files LD_DEBUG_OUTPUT="$3/$4" $5' \
      _ "$deps_in" "$bin" "$ld" "$exe" "./$r" >"$root$ld/$exe.out" 2>&1 || rc=$?
    if ((rc == 127)) || grep -q 'error while loading shared libraries' "$root$ld/$exe.out"; then
      bad+=("$bin/$r did not load: $(grep -m1 'error while loading' "$root$ld/$exe.out" || echo "exit $rc")")
    fi
  done
  # A library found by a search is the last file tried before the loader
  # maps it ("generating link map"; a failed search, such as libcuda.so.1
  # without a driver, maps nothing); one opened by path is named there itself;
  # every one with a constructor is named again by "calling init".
  local loaded
  loaded=$(cat "$root$ld"/*.[0-9]* 2>/dev/null | awk '
    /find library=/ { last = "" }
    /trying file=/ { sub(/.*trying file=/, ""); last = $0 }
    /generating link map/ {
      name = $0; sub(/.*file=/, "", name); sub(/ \[.*/, "", name)
      if (name ~ /\//) print name; else if (last != "") print last
      last = ""
    }
    /calling init:/ { sub(/.*calling init: /, ""); print }' | sort -u)
  declare -A count=()
  local path norm o
  while IFS= read -r path; do
    [[ -n $path ]] || continue
    norm=$(realpath -m -s "$path")
    o=$(origin_of "$norm")
    if [[ -z $o ]]; then
      bad+=("loaded from outside the allowed places: $norm")
    else
      count[$o]=$((${count[$o]:-0} + 1))
      echo "$o: $norm" >>"$root$ld/loaded.txt"
    fi
  done <<<"$loaded"
  # Which of the toolkit's libraries the binaries take (linked through
  # LibTorch's CUDA targets) rather than the wheel's copies: the GPU host's
  # toolkit serves them there.
  local from_toolkit
  from_toolkit=$(sed -n 's|^CUDA toolkit: .*/||p' "$root$ld/loaded.txt" 2>/dev/null | sort -u | paste -sd ' ')
  local summary="" k
  for k in "${!count[@]}"; do summary+="${summary:+, }$k ${count[$k]}"; done

  audit_report=$(
    say "audit: bundle at $deps_in: $n_links symlinks, all relative and resolving: $( ((${#bad[@]})) && echo see below || echo yes)"
    say "audit: libraries loaded by ${ran[*]} (LD_DEBUG=libs, list in $root$ld/loaded.txt): ${summary:-none}"
    [[ -z $from_toolkit ]] || say "audit: from the CUDA toolkit: $from_toolkit"
    if ((${#bad[@]})); then
      printf 'gpu_rehearsal: audit FAILED: %s\n' "${bad[@]}"
    else
      say "audit passed: no absolute or dangling symlink; every library from the bundle, the torch wheel, the toolkit, the build or the base system"
    fi
  )
  echo "$audit_report"
  ((${#bad[@]} == 0)) || die "the audit failed"
}

# --- main -------------------------------------------------------------------

trap summary EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
run_step "preflight" preflight
run_step "root (debootstrap)" make_root
mount_all
run_step "venv (torch $HORNET_PYPI_TORCH_VERSION)" make_venv
run_step "bundle (bundle_deps.sh, relocated)" make_bundle
((prepare)) && exit 0
run_step "sources (copied)" copy_sources
# The build runs as a gpu_check.sh command of its own, so that its CPU time is
# measured alone; the facts stage (where gpu_check.sh has one) goes first, as
# it does on the GPU host.
build_stages=(build)
grep -q '^stage_facts()' "$repo/scripts/gpu_check.sh" && build_stages=(facts build)
((${#stages[@]})) || stages=(cuda toy bench)
run_step "gpu_check.sh ${build_stages[*]}" build
run_step "audit" audit
((build_only)) && exit 0
run_step "gpu_check.sh ${stages[*]}" check_stages
