# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
# Nothing is downloaded or vendored.

# The CUDA compiler: CMAKE_CUDA_COMPILER or CUDACXX when given, else nvcc on
# PATH, else /usr/local/cuda's (CMake's own search). A CUDA LibTorch's config
# (pip's) looks for the toolkit again with its own FindCUDA, which reads
# neither CUDACXX nor CMAKE_CUDA_COMPILER; told the toolkit of the compiler
# found here, it cannot pick another one.
if(HORNET_CUDA STREQUAL "ON")
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    set(hornet_cudacxx "")
    if(DEFINED ENV{CUDACXX})
      set(hornet_cudacxx " (CUDACXX=$ENV{CUDACXX} is not a working nvcc)")
    endif()
    message(FATAL_ERROR "HORNET_CUDA=ON but no CUDA compiler was found${hornet_cudacxx}: set CUDACXX (or "
                        "-DCMAKE_CUDA_COMPILER) to nvcc, put nvcc on PATH, or install the CUDA toolkit at /usr/local/cuda")
  endif()
endif()
set(hornet_nvcc "${CMAKE_CUDA_COMPILER}")
if(NOT hornet_nvcc AND DEFINED ENV{CUDACXX})
  set(hornet_nvcc "$ENV{CUDACXX}")
endif()
if(NOT HORNET_CUDA STREQUAL "OFF" AND NOT CUDA_TOOLKIT_ROOT_DIR AND IS_ABSOLUTE "${hornet_nvcc}")
  cmake_path(GET hornet_nvcc PARENT_PATH hornet_nvcc_bin)
  cmake_path(GET hornet_nvcc_bin PARENT_PATH CUDA_TOOLKIT_ROOT_DIR)
endif()

find_package(Torch REQUIRED)
# TorchConfig looks for libtorch.so on the system paths before its own folder:
# a prefix of .../torch/share/cmake alone, with Debian's libtorch-dev also
# installed, would mix two LibTorch versions.
cmake_path(IS_PREFIX TORCH_INSTALL_PREFIX "${TORCH_LIBRARY}" NORMALIZE hornet_torch_library_matches)
if(NOT hornet_torch_library_matches)
  message(FATAL_ERROR "LibTorch's CMake config is in ${TORCH_INSTALL_PREFIX} but libtorch.so was found at "
                      "${TORCH_LIBRARY}, another LibTorch. Put the LibTorch folder itself in CMAKE_PREFIX_PATH "
                      "(for pip's torch: python -c 'import os, torch; print(os.path.dirname(torch.__file__))').")
endif()
# LibTorch's headers need C++20 from 2.12 on (Debian's 1.13 and pip's 2.11: C++17).
if(Torch_VERSION VERSION_GREATER_EQUAL 2.12)
  set(CMAKE_CXX_STANDARD 20)
endif()
message(STATUS "hornet: LibTorch ${Torch_VERSION}, C++${CMAKE_CXX_STANDARD}")
# at::parallel_for is a header template whose parallel region exists only in
# code compiled with OpenMP; without it hornet's own CPU kernels (depthwise
# convolution, LayerNorm) run on one thread whatever --threads says. Debian's
# and PyPI's LibTorch run their intra-op pool on GNU OpenMP, which g++ joins
# (one runtime in the process: libgomp.so.1, found through LibTorch's folder
# first). clang would bring LLVM's libomp as a second runtime, so clang builds
# (the sanitizer and fuzzing builds) keep the one-thread fallback.
set(HORNET_OPENMP OFF)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  set(HORNET_OPENMP ON)
endif()
message(STATUS "hornet: OpenMP for at::parallel_for in hornet's kernels: ${HORNET_OPENMP}")
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)  # CRC-32 of zip records, PNG writing
# TurboJPEG, found directly: Debian's libjpeg-turbo CMake config also demands
# the static libjpeg.a, which libturbojpeg0-dev does not install.
find_path(HORNET_TURBOJPEG_INCLUDE_DIR turbojpeg.h REQUIRED)
find_library(HORNET_TURBOJPEG_LIBRARY turbojpeg REQUIRED)
# libpng: PNG decoding whose warnings hornet reports itself (without it PNG
# goes through OpenCV imgcodecs, when that is built).
find_package(PNG)
set(HORNET_WITH_LIBPNG ${PNG_FOUND})
find_package(spdlog REQUIRED)
# PyPI's torch ships its own fmt (12.x) in torch/include, which precedes the
# system include directory on every command line; Debian's spdlog 1.10 is
# built against fmt 9 and does not compile with fmt 11+. A folder holding only
# a link to the system fmt, searched first, gives hornet's sources the fmt that
# spdlog was built with (LibTorch's own fmt symbols live in a versioned inline
# namespace, so the two do not clash).
add_library(hornet_system_fmt INTERFACE)
if(EXISTS "${TORCH_INSTALL_PREFIX}/include/fmt")
  get_target_property(fmt_dirs fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  find_path(HORNET_FMT_INCLUDE_DIR fmt/core.h PATHS ${fmt_dirs} NO_DEFAULT_PATH REQUIRED)
  set(fmt_first "${PROJECT_BINARY_DIR}/fmt-first")
  file(MAKE_DIRECTORY "${fmt_first}")
  file(CREATE_LINK "${HORNET_FMT_INCLUDE_DIR}/fmt" "${fmt_first}/fmt" SYMBOLIC)
  target_include_directories(hornet_system_fmt SYSTEM INTERFACE $<BUILD_INTERFACE:${fmt_first}>)
  message(STATUS "hornet: LibTorch ships fmt; spdlog gets ${HORNET_FMT_INCLUDE_DIR}/fmt first")
endif()
find_package(yaml-cpp REQUIRED)

# OpenCV: core and imgproc are required; imgcodecs (PNG, BMP, WebP, TIFF
# decoding) is optional, so hosts without it (GPU hosts with a carried bundle)
# still build. Debian splits OpenCV into per-module packages without a CMake
# config, so the modules are found directly when OpenCVConfig is absent.
find_package(OpenCV QUIET COMPONENTS core imgproc OPTIONAL_COMPONENTS imgcodecs)
if(OpenCV_FOUND)
  set(HORNET_OPENCV_INCLUDE_DIRS ${OpenCV_INCLUDE_DIRS})
  set(HORNET_OPENCV_CORE_LIBS opencv_core opencv_imgproc)
  set(HORNET_OPENCV_IMGCODECS_LIB opencv_imgcodecs)
  if(NOT TARGET opencv_imgcodecs)
    set(HORNET_OPENCV_IMGCODECS_LIB "")
  endif()
else()
  find_path(HORNET_OPENCV_INCLUDE_DIRS opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  find_library(HORNET_OPENCV_CORE opencv_core REQUIRED)
  find_library(HORNET_OPENCV_IMGPROC opencv_imgproc REQUIRED)
  find_library(HORNET_OPENCV_IMGCODECS opencv_imgcodecs)
  set(HORNET_OPENCV_CORE_LIBS ${HORNET_OPENCV_CORE} ${HORNET_OPENCV_IMGPROC})
  set(HORNET_OPENCV_IMGCODECS_LIB "")
  if(HORNET_OPENCV_IMGCODECS AND EXISTS ${HORNET_OPENCV_INCLUDE_DIRS}/opencv2/imgcodecs.hpp)
    set(HORNET_OPENCV_IMGCODECS_LIB ${HORNET_OPENCV_IMGCODECS})
  endif()
endif()
option(HORNET_WITH_IMGCODECS "Decode PNG, BMP, WebP and TIFF through OpenCV imgcodecs" ON)
if(NOT HORNET_OPENCV_IMGCODECS_LIB)
  set(HORNET_WITH_IMGCODECS OFF)
endif()
message(STATUS "hornet: OpenCV imgcodecs (non-JPEG formats) ${HORNET_WITH_IMGCODECS}")

# CUDA code needs both a CUDA-enabled LibTorch and nvcc; Debian's LibTorch is
# CPU-only, so AUTO resolves to OFF there.
set(HORNET_WITH_CUDA OFF)
if(NOT HORNET_CUDA STREQUAL "OFF")
  if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      set(HORNET_WITH_CUDA ON)
    endif()
  endif()
  if(HORNET_CUDA STREQUAL "ON" AND NOT HORNET_WITH_CUDA)
    message(FATAL_ERROR "HORNET_CUDA=ON needs a CUDA-enabled LibTorch and a CUDA compiler (nvcc)")
  endif()
endif()
if(HORNET_WITH_CUDA)
  # For --version: the toolkit LibTorch's config found, and the GPU architectures built.
  set(HORNET_CUDA_VERSION "${CUDAToolkit_VERSION_MAJOR}.${CUDAToolkit_VERSION_MINOR}")
  message(STATUS "hornet: CUDA support ON (CUDA ${HORNET_CUDA_VERSION}, TORCH_CUDA_ARCH_LIST ${TORCH_CUDA_ARCH_LIST})")
  # c10d's ProcessGroupNCCL.hpp includes nccl.h, which a CUDA toolkit need not
  # hold (NCCL is a package of its own). Pip's torch loads the libnccl of the
  # nvidia wheel beside it, so that wheel's header comes first, then the
  # toolkit's, then the system's.
  cmake_path(GET TORCH_INSTALL_PREFIX PARENT_PATH hornet_site_packages)
  set(hornet_nccl_hints "${hornet_site_packages}/nvidia/nccl/include" "${hornet_site_packages}/nvidia/cu13/include"
                        ${CUDAToolkit_INCLUDE_DIRS})
  find_path(HORNET_NCCL_INCLUDE_DIR nccl.h PATHS ${hornet_nccl_hints} NO_DEFAULT_PATH
            DOC "The folder of nccl.h, for c10d's NCCL process group")
  find_path(HORNET_NCCL_INCLUDE_DIR nccl.h)
  if(NOT HORNET_NCCL_INCLUDE_DIR)
    string(REPLACE ";" ", " hornet_nccl_hints "${hornet_nccl_hints}")
    message(FATAL_ERROR "The CUDA build's NCCL process group needs nccl.h, which is in none of ${hornet_nccl_hints} "
                        "nor the system's include folders: install pip's nvidia-nccl-cu13 beside torch or NCCL's "
                        "headers, or pass -DHORNET_NCCL_INCLUDE_DIR=<the folder of nccl.h>")
  endif()
  include_directories(SYSTEM "${HORNET_NCCL_INCLUDE_DIR}")
  message(STATUS "hornet: nccl.h from ${HORNET_NCCL_INCLUDE_DIR}")
else()
  message(STATUS "hornet: CUDA support OFF")
endif()

if(HORNET_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
  # Debian's interpreter, not whatever python3 comes first on PATH: the test
  # fixtures need the python3-torch that matches the LibTorch we link.
  find_program(HORNET_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT HORNET_PYTHON)
    find_program(HORNET_PYTHON NAMES python3 REQUIRED)
  endif()
  # The Python whose torch checkpoints must interoperate with hornet's files
  # (tests/cli/test_torch_interop.py): the PyPI build passes its venv's.
  set(HORNET_TORCH_PYTHON "${HORNET_PYTHON}" CACHE FILEPATH "Python with the torch that checks checkpoint interop")
endif()
