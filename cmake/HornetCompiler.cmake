# Compiler launcher, warnings and sanitizers shared by every hornet target.

find_program(HORNET_CCACHE ccache)
if(HORNET_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # The precompiled header is only cacheable when ccache may ignore its
  # timestamps and __DATE__/__TIME__ uses.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${HORNET_CCACHE})
endif()

add_library(hornet_warnings INTERFACE)
target_compile_options(hornet_warnings INTERFACE -Wall -Wextra)

add_library(hornet_sanitize INTERFACE)
if(HORNET_SANITIZE OR HORNET_FUZZ)
  target_compile_options(hornet_sanitize INTERFACE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(hornet_sanitize INTERFACE -fsanitize=address,undefined)
endif()
if(HORNET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HORNET_FUZZ needs clang (CXX=clang++); found ${CMAKE_CXX_COMPILER_ID}")
  endif()
  # Coverage feedback for libFuzzer in every hornet translation unit.
  target_compile_options(hornet_sanitize INTERFACE -fsanitize=fuzzer-no-link)
endif()
