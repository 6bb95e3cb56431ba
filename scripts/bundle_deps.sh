#!/usr/bin/env bash
# Gathers the C++ libraries hornet builds against that an offline GPU host
# lacks (OpenCV core + imgproc, yaml-cpp, spdlog, fmt, CLI11, TurboJPEG, libpng, zlib,
# Catch2, Gloo headers, and what their shared libraries load) from Debian 12's
# packages into one folder, unpacked (`apt-get download` + `dpkg -x`, no
# installation), small enough to travel with a command (64 MiB in all).
#
#   scripts/bundle_deps.sh [OUT]        default OUT: deps/ (ignored by git)
#
# Use it on the other host with:
#   cmake -DCMAKE_PREFIX_PATH="$TORCH_CMAKE;$PWD/deps/usr" ...
#   export LD_LIBRARY_PATH=$PWD/deps/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH
# (source OUT/env.sh sets both paths, for wherever OUT was unpacked). The script
# makes every symlink in the bundle relative, and fails if one stays absolute or
# dangles, if a library the bundle's libraries load is neither in the bundle nor
# in the base system every Linux host has, or if the bundle grows past 60 MiB.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$repo/deps}")
packages=(
  # headers and CMake configs
  libopencv-core-dev libopencv-imgproc-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libturbojpeg0-dev libpng-dev zlib1g-dev catch2 libgloo-dev
  # the shared libraries they link, and what those load
  libopencv-core406 libopencv-imgproc406 libyaml-cpp0.7 libspdlog1.10 libfmt9 libturbojpeg0 libpng16-16 zlib1g
  libtbb12 libblas3 liblapack3 libgfortran5 libquadmath0
  libglx0 libglvnd0 libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0
)
# Loaded libraries any Linux host provides (glibc, the GCC runtime, zlib).
base='^(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux-x86-64|libz)\.so'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "bundle_deps: downloading ${#packages[@]} Debian packages"
(cd "$work" && apt-get download -q "${packages[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
rm -rf "$out"
mkdir -p "$out"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$out"; done
n_debs=$(ls "$work"/*.deb | wc -l)
if ((n_debs != ${#packages[@]})); then
  echo "bundle_deps: error: got $n_debs of ${#packages[@]} packages" >&2
  exit 1
fi
lib="$out/usr/lib/x86_64-linux-gnu"
# A few packages (zlib1g) still ship /lib; merged into usr/lib as on a
# merged-/usr system, so that one library folder holds every library.
if [[ -d $out/lib ]]; then
  cp -a "$out/lib/." "$out/usr/lib/"
  rm -rf "${out:?}/lib"
fi
# Debian installs BLAS and LAPACK through the alternatives system, which dpkg -x does not run.
ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
# Documentation and static archives are not needed to build (hornet links shared
# libraries; Catch2's static library is the one exception).
rm -rf "$out/usr/share/doc" "$out/usr/share/man"
find "$out" -name '*.a' ! -name 'libCatch2*' -delete
# Only Gloo's headers are needed (LibTorch has Gloo built in); the link to the
# library libgloo-dev expects, and the CMake config naming it, would dangle.
rm -f "$out/usr/lib/libgloo.so"
rm -rf "$out/usr/share/cmake/Gloo"
# The bundle must work wherever it is unpacked: a link to an absolute path
# (zlib1g-dev's libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13) would reach
# into the other host's system, or nowhere. Each becomes relative to the same
# file inside the bundle (under usr/ for the merged /lib).
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [[ $target == /* ]] || continue
  for inside in "$out$target" "$out/usr$target"; do
    if [[ -e $inside ]]; then
      ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$inside")" "$link"
      break
    fi
  done
done < <(find "$out" -type l -print0)
bad_links=()
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  if [[ $target == /* ]]; then
    bad_links+=("${link#"$out"/} -> $target is absolute")
  elif [[ ! -e $link ]]; then
    bad_links+=("${link#"$out"/} -> $target dangles")
  fi
done < <(find "$out" -type l -print0)
if ((${#bad_links[@]})); then
  printf 'bundle_deps: error: symlink %s\n' "${bad_links[@]}" >&2
  exit 1
fi

missing=()
while IFS= read -r so; do
  while IFS= read -r needed; do
    [[ $needed =~ $base ]] && continue
    [[ -e $lib/$needed ]] || missing+=("$(basename "$so") needs $needed")
  done < <(readelf -d "$so" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done < <(find "$lib" -name '*.so*' -type f)
if ((${#missing[@]})); then
  printf 'bundle_deps: error: %s, which the bundle lacks\n' "${missing[@]}" >&2
  exit 1
fi
# env.sh finds its own folder, so the bundle can be unpacked anywhere. The
# library path is needed at build time too: the test binaries run to list
# their cases, and the RUNPATH linked into them serves only their direct
# dependencies, not what OpenCV loads in turn (libtbb, libblas, libGLX...).
cat >"$out/env.sh" <<'ENV'
# Source this (from bash) to build and run hornet against the bundle, wherever it lies.
hornet_deps=$(cd "$(dirname "${BASH_SOURCE[0]:?env.sh needs bash, which tells it where it is}")" && pwd)
case ";${CMAKE_PREFIX_PATH:-};" in
  *";$hornet_deps/usr;"*) ;;
  *) export CMAKE_PREFIX_PATH="$hornet_deps/usr${CMAKE_PREFIX_PATH:+;$CMAKE_PREFIX_PATH}" ;;
esac
case ":${LD_LIBRARY_PATH:-}:" in
  *":$hornet_deps/usr/lib/x86_64-linux-gnu:"*) ;;
  *) export LD_LIBRARY_PATH="$hornet_deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
esac
ENV
size=$(du -sm "$out" | cut -f1)
echo "bundle_deps: $out holds ${#packages[@]} packages, $size MiB (every loaded library present)"
if ((size > 60)); then
  echo "bundle_deps: error: $size MiB is more than a command can carry" >&2
  exit 1
fi
