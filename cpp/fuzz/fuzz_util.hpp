// Helpers shared by the libFuzzer targets (cpp/fuzz/): a private scratch directory per process.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace pyalign_fuzz {

/// A directory of its own for this process (fuzzers may run in parallel), removed at exit.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::string tmpl = (std::filesystem::temp_directory_path() / "pyalign-fuzz-XXXXXX").string();
        if (!::mkdtemp(&tmpl[0])) {
            std::perror("mkdtemp");
            std::abort();
        }
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return std::filesystem::path(tmpl);
    }();
    return dir;
}

inline void write_file(const std::filesystem::path& p, const void* data, std::size_t n) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

/// Fails the run (libFuzzer saves the input) when an invariant does not hold.
#define PYALIGN_FUZZ_ASSERT(cond)                                                        \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)

}  // namespace pyalign_fuzz
