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
# (source OUT/env.sh sets both paths). The script checks that every library the
# bundle's libraries load is in the bundle or in the base system every Linux
# host has, and fails if the bundle grows past 60 MiB.
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
# Debian installs BLAS and LAPACK through the alternatives system, which dpkg -x does not run.
ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
# Documentation and static archives are not needed to build (hornet links shared
# libraries; Catch2's static library is the one exception).
rm -rf "$out/usr/share/doc" "$out/usr/share/man"
find "$out" -name '*.a' ! -name 'libCatch2*' -delete

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
cat >"$out/env.sh" <<ENV
# Source this to build and run hornet against the bundle.
export CMAKE_PREFIX_PATH="$out/usr\${CMAKE_PREFIX_PATH:+;\$CMAKE_PREFIX_PATH}"
export LD_LIBRARY_PATH="$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
ENV
size=$(du -sm "$out" | cut -f1)
echo "bundle_deps: $out holds ${#packages[@]} packages, $size MiB (every loaded library present)"
if ((size > 60)); then
  echo "bundle_deps: error: $size MiB is more than a command can carry" >&2
  exit 1
fi
