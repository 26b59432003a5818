# CMake toolchain file: cross-compile the pyalign C++ core for aarch64 Linux (glibc) with the
# Debian/Ubuntu GNU cross toolchain, and run the tests under qemu user-mode emulation.
#
#   apt-get install g++-aarch64-linux-gnu qemu-user        # (or qemu-user-static)
#   cmake -S cpp -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cpp/cmake/aarch64-linux-gnu.cmake \
#         -DCMAKE_BUILD_TYPE=Release
#   cmake --build build/aarch64 -j2 && ctest --test-dir build/aarch64 --output-on-failure
#
# ctest runs every test program through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 with the
# cross sysroot for the dynamic loader and libstdc++). Override the compiler prefix with
# -DPYALIGN_CROSS_PREFIX=... and the sysroot with -DPYALIGN_CROSS_SYSROOT=... if yours differ.
# The project flags (-ffp-contract=off, no -ffast-math) come from cpp/CMakeLists.txt as on x86-64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(PYALIGN_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Prefix of the cross compiler executables")
set(PYALIGN_CROSS_SYSROOT "/usr/aarch64-linux-gnu" CACHE PATH "Target libraries (dynamic loader, libstdc++)")

set(CMAKE_C_COMPILER "${PYALIGN_CROSS_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${PYALIGN_CROSS_PREFIX}g++")

# Look for libraries and headers in the target sysroot only; programs on the build host.
set(CMAKE_FIND_ROOT_PATH "${PYALIGN_CROSS_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Run target programs (ctest, try_run) under qemu user-mode emulation.
find_program(PYALIGN_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(PYALIGN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${PYALIGN_QEMU_AARCH64};-L;${PYALIGN_CROSS_SYSROOT}")
endif()
