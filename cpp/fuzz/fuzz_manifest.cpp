// libFuzzer target: manifest text -> pyalign::parse_manifest, on a case directory that holds
// regular files, a subdirectory, a symlink inside it and a symlink that escapes it.
// Accepted manifests must satisfy the reader's promises (file names inside the directory, unique
// (stage, name), shapes whose byte size fits); every rejection must be a pyalign::Error.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include "fuzz_util.hpp"
#include "pyalign/tensor_io.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& case_dir() {
    static const fs::path dir = [] {
        const fs::path d = pyalign_fuzz::scratch_dir() / "case";
        fs::create_directories(d / "sub");
        const std::string data(64, 'x');
        for (const char* name : {"raw_input.bin", "preprocessed.bin", "model_output.output0.bin",
                                 "model_output.output1.bin", "model_output.proto.bin", "postprocessed.bin",
                                 "sub/x.bin", "t.bin"})
            pyalign_fuzz::write_file(d / name, data.data(), data.size());
        pyalign_fuzz::write_file(d / "empty.bin", "", 0);
        pyalign_fuzz::write_file(pyalign_fuzz::scratch_dir() / "outside.bin", data.data(), data.size());
        std::error_code ec;
        fs::create_symlink("raw_input.bin", d / "link.bin", ec);
        fs::create_symlink("../outside.bin", d / "escape.bin", ec);
        fs::create_symlink("..", d / "up", ec);
        return d;
    }();
    return dir;
}

bool has_dotdot(const std::string& file) {
    std::size_t start = 0;
    for (std::size_t k = 0; k <= file.size(); ++k) {
        if (k == file.size() || file[k] == '/' || file[k] == '\\') {
            if (k - start == 2 && file.compare(start, 2, "..") == 0) return true;
            start = k + 1;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string dir = case_dir().string();
    pyalign::Manifest m;
    try {
        m = pyalign::parse_manifest(text, dir);
    } catch (const pyalign::Error&) {
        return 0;
    }
    std::set<std::pair<std::string, std::string>> keys;
    for (const pyalign::TensorInfo& t : m.tensors) {
        PYALIGN_FUZZ_ASSERT(!t.file.empty() && t.file[0] != '/' && t.file[0] != '\\' && !has_dotdot(t.file));
        PYALIGN_FUZZ_ASSERT(t.path == (case_dir() / t.file).string());
        PYALIGN_FUZZ_ASSERT(keys.emplace(t.stage, t.name).second);
        (void)t.nbytes();  // validated: must not throw
        PYALIGN_FUZZ_ASSERT(&m.find(t.stage, t.name) == &t);
        PYALIGN_FUZZ_ASSERT(m.has(t.stage));
        // a symlink out of the directory is refused by the reader
        std::error_code ec;
        const fs::path real = fs::weakly_canonical(fs::path(t.path), ec);
        const fs::path root = fs::weakly_canonical(case_dir(), ec);
        const std::string r = real.string(), base = root.string() + "/";
        PYALIGN_FUZZ_ASSERT(r + "/" == base || r.compare(0, base.size(), base) == 0);
        if (t.nbytes() <= (1u << 20)) {
            try {
                (void)pyalign::load_tensor(t);
            } catch (const pyalign::Error&) {
            }
        }
    }
    return 0;
}
