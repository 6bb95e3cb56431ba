# Sourced by the set-up, test and demo scripts: which LibTorch hornet builds
# against, and where that build lives.
#   HORNET_TORCH        debian (default: Debian's libtorch-dev 1.13, CPU) or
#                       pypi (PyPI's torch 2.11.0, the CUDA 13.0 build, in a venv)
#   HORNET_TORCH_VENV   the venv for pypi (default ~/.cache/hornet/torch-2.11.0,
#                       shared by every checkout)
#   BUILD_DIR           the build directory (default build/ or build-pypi/)
#   HORNET_ECOSYSTEM_VENV  the venv of the ecosystem tests' Python packages
#                       (tests/ecosystem/requirements.txt; default ~/.cache/hornet/ecosystem)

HORNET_TORCH=${HORNET_TORCH:-debian}
HORNET_PYPI_TORCH_VERSION=2.11.0
# The venv's numpy: the torch 2.11 interoperability test reads and writes .npy.
HORNET_PYPI_NUMPY_VERSION=2.3.5
case $HORNET_TORCH in
  debian) HORNET_BUILD_DIR=${BUILD_DIR:-$repo/build} ;;
  pypi) HORNET_BUILD_DIR=${BUILD_DIR:-$repo/build-pypi} ;;
  *)
    echo "HORNET_TORCH must be 'debian' or 'pypi', got '$HORNET_TORCH'" >&2
    exit 2
    ;;
esac
HORNET_TORCH_VENV=${HORNET_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hornet/torch-$HORNET_PYPI_TORCH_VERSION}
HORNET_ECOSYSTEM_VENV=${HORNET_ECOSYSTEM_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hornet/ecosystem}

# Bytes received on every network interface but loopback since boot.
hornet_bytes_received() {
  awk 'NR > 2 { sub(/:/, " "); if ($1 != "lo") sum += $2 } END { printf "%.0f\n", sum }' /proc/net/dev
}

# The folder of the venv's torch package: its include/, lib/ and share/cmake/
# are a complete LibTorch. Passed as CMAKE_PREFIX_PATH (not share/cmake alone,
# which would let find_library pick a system libtorch.so first).
hornet_pypi_torch_dir() {
  "$HORNET_TORCH_VENV/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null
}

hornet_install_pypi_torch() {
  local python=$HORNET_TORCH_VENV/bin/python
  local want="torch $HORNET_PYPI_TORCH_VERSION, numpy $HORNET_PYPI_NUMPY_VERSION"
  local have
  have=$("$python" -c 'import numpy, torch; print("torch", torch.__version__.split("+")[0] + ", numpy", numpy.__version__)' \
           2>/dev/null || true)
  if [[ $have == "$want" ]]; then
    echo "setup: $want present in $HORNET_TORCH_VENV"
    return
  fi
  echo "setup: installing $want from PyPI into $HORNET_TORCH_VENV (a 2.6 GB download with its CUDA libraries, 4.1 GB installed)"
  [[ -x $python ]] || /usr/bin/python3 -m venv "$HORNET_TORCH_VENV"
  "$python" -m pip install --disable-pip-version-check --progress-bar off -q \
    "torch==$HORNET_PYPI_TORCH_VERSION" "numpy==$HORNET_PYPI_NUMPY_VERSION"
}

# The tools hornet's files must work with (safetensors, TensorBoard, webdataset,
# mmpretrain's backbone), pinned, in a venv that sees Debian's torch and numpy.
hornet_install_ecosystem() {
  local requirements=$repo/tests/ecosystem/requirements.txt
  local stamp=$HORNET_ECOSYSTEM_VENV/requirements.txt
  if cmp -s "$requirements" "$stamp"; then
    echo "setup: ecosystem test packages present in $HORNET_ECOSYSTEM_VENV"
    return
  fi
  echo "setup: installing the ecosystem test packages (tests/ecosystem/requirements.txt) into $HORNET_ECOSYSTEM_VENV"
  [[ -x $HORNET_ECOSYSTEM_VENV/bin/python ]] || /usr/bin/python3 -m venv --system-site-packages "$HORNET_ECOSYSTEM_VENV"
  "$HORNET_ECOSYSTEM_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
    -r "$requirements"
  cp "$requirements" "$stamp"
}
