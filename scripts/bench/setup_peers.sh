#!/usr/bin/env bash
# Installs the benchmarks' peers from PyPI, pinned: torch 2.11.0 (the build
# hornet's HORNET_TORCH=pypi links against), timm, torchvision and Pillow, in
# the venv of scripts/torch_env.sh. Nothing of theirs enters the repository.
#   scripts/bench/setup_peers.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HORNET_TORCH=pypi
source "$repo/scripts/torch_env.sh"
hornet_install_pypi_torch
"$HORNET_TORCH_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
  timm==1.0.31 torchvision==0.26.0 pillow==12.1.1
"$HORNET_TORCH_VENV/bin/python" -c \
  'import torch, timm, torchvision, PIL; print("peers: torch", torch.__version__, "timm", timm.__version__, "torchvision", torchvision.__version__, "Pillow", PIL.__version__)'
