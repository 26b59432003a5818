// libFuzzer target: the .bin loader. One input holds a manifest and the bytes of the tensor
// files it may name:
//   [2 bytes: manifest length L, little-endian][L bytes: manifest text][rest: file data]
// The rest is written as t.bin (and its first half as h.bin) in a case directory; then
// parse_manifest + load_tensor / load_tensor_as, and read_bin / read_bin_into with byte
// counts taken from the input. Every failure must be a pyalign::Error, never a crash, a huge
// allocation or a read past a buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "pyalign/tensor_io.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& case_dir() {
    static const fs::path dir = [] {
        const fs::path d = pyalign_fuzz::scratch_dir() / "bin";
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

template <typename T>
void load_as(const pyalign::TensorInfo& t) {
    try {
        const std::vector<T> v = pyalign::load_tensor_as<T>(t);
        PYALIGN_FUZZ_ASSERT(v.size() == t.count());
    } catch (const pyalign::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t len = std::min<std::size_t>(size - 2, data[0] | (std::size_t(data[1]) << 8));
    const std::string text(reinterpret_cast<const char*>(data + 2), len);
    const std::uint8_t* file = data + 2 + len;
    const std::size_t file_size = size - 2 - len;
    const fs::path dir = case_dir();
    pyalign_fuzz::write_file(dir / "t.bin", file, file_size);
    pyalign_fuzz::write_file(dir / "h.bin", file, file_size / 2);

    // raw reads with byte counts from the input: the size check comes before any allocation
    for (std::size_t n : {file_size, file_size / 2, file_size + 1, std::size_t(len) << 40, ~std::size_t(0)}) {
        try {
            const std::vector<std::uint8_t> got = pyalign::read_bin((dir / "t.bin").string(), n);
            PYALIGN_FUZZ_ASSERT(got.size() == file_size && n == file_size &&
                                (n == 0 || std::memcmp(got.data(), file, n) == 0));
        } catch (const pyalign::Error&) {
        }
    }

    pyalign::Manifest m;
    try {
        m = pyalign::parse_manifest(text, dir.string());
    } catch (const pyalign::Error&) {
        return 0;
    }
    for (const pyalign::TensorInfo& t : m.tensors) {
        try {
            const std::vector<std::uint8_t> bytes = pyalign::load_tensor(t);
            PYALIGN_FUZZ_ASSERT(bytes.size() == t.nbytes());
        } catch (const pyalign::Error&) {
        }
        switch (t.dtype) {
            case pyalign::DType::f32: load_as<float>(t); break;
            case pyalign::DType::i64: load_as<std::int64_t>(t); break;
            case pyalign::DType::u8: load_as<std::uint8_t>(t); break;
            default: load_as<std::int16_t>(t); break;  // a mismatch unless int16: an Error
        }
    }
    return 0;
}
