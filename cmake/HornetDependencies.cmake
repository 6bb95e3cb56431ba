# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
# Nothing is downloaded or vendored.

find_package(Torch REQUIRED)
find_package(CLI11 REQUIRED)

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
