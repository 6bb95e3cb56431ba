# hornet on NVIDIA GPUs: CUDA 13, with LibTorch taken from pip torch 2.11 (its
# headers and CMake config ship inside the wheel). The libraries setup.sh
# installs on Debian come from the base image's Ubuntu packages; the test suite
# is not built (it needs Debian's Catch2 v2 and python3-torch). Build from the
# repository root:
#   docker build -f docker/cuda.Dockerfile -t hornet:cuda .
#   docker run --rm --gpus all hornet:cuda hornet-eval forward --arch tiny-gf
FROM nvidia/cuda:13.0.0-cudnn-devel-ubuntu24.04
ARG TORCH_VERSION=2.11.0
ENV DEBIAN_FRONTEND=noninteractive TORCH_CUDA_ARCH_LIST="8.0;9.0"
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build ccache pkg-config git python3 python3-venv \
      libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libturbojpeg0-dev libpng-dev \
      zlib1g-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir "torch==${TORCH_VERSION}"
WORKDIR /opt/hornet
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHORNET_BUILD_TESTS=OFF \
      -DCMAKE_PREFIX_PATH="$(/opt/venv/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')" \
 && cmake --build build
ENV PATH=/opt/hornet/build/bin:$PATH
CMD ["hornet-eval", "--summary"]
