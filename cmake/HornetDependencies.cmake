# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
# Nothing is downloaded or vendored.

find_package(Torch REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)  # CRC-32 of zip records

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
message(STATUS "hornet: CUDA support ${HORNET_WITH_CUDA}")

if(HORNET_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
  find_package(yaml-cpp REQUIRED)
  # Debian's interpreter, not whatever python3 comes first on PATH: the test
  # fixtures need the python3-torch that matches the LibTorch we link.
  find_program(HORNET_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT HORNET_PYTHON)
    find_program(HORNET_PYTHON NAMES python3 REQUIRED)
  endif()
endif()
