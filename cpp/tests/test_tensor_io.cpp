// Tests of the tensor I/O: SHA-256 known vectors, exact-size .bin reads, manifest validation,
// and the capture writer's round trip.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "pyalign/tensor_io.hpp"

namespace fs = std::filesystem;
using pyalign::DType;

namespace {

const fs::path& run_root() {
    static const fs::path root = [] {
        std::random_device rd;
        return fs::temp_directory_path() / ("pyalign_tensor_io_" + std::to_string(rd()));
    }();
    return root;
}

fs::path scratch(const std::string& name) {
    const fs::path p = run_root() / name;
    std::error_code ec;
    fs::remove_all(p, ec);
    fs::create_directories(p.parent_path());
    return p;
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const pyalign::Error& e) {
        return e.what();
    }
    return "<no error>";
}

void str_eq(const std::string& a, const std::string& b, const char* file, int line) {
    if (a != b) pyalign_test::fail(file, line, "'" + a + "' != '" + b + "'");
}
#define STR_EQ(a, b) str_eq((a), (b), __FILE__, __LINE__)

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A case written by the writer with three tensors (two in one stage).
fs::path make_case(const std::string& name) {
    const fs::path dir = scratch(name);
    std::vector<std::uint8_t> img(2 * 4 * 3);
    for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<std::uint8_t>(i * 7);
    std::vector<float> out0 = {1.5f, -2.0f, 3.25f};
    std::vector<std::int32_t> out1 = {7, 8};
    pyalign::CaptureWriter w(dir.string());
    w.add("raw_input", "image", DType::u8, {2, 4, 3}, img.data(), "HWC", "BGR", "image");
    w.add("model_output", "output0", DType::f32, {1, 3}, out0.data());
    w.add("model_output", "output1", DType::i32, {2}, out1.data());
    w.commit();
    return dir;
}

/// Replace the first occurrence of `from` in the case's manifest by `to`.
void edit_manifest(const fs::path& dir, const std::string& from, const std::string& to) {
    std::string text = read_text(dir / "manifest.json");
    const std::size_t at = text.find(from);
    PA_CHECK(at != std::string::npos);
    if (at != std::string::npos) text.replace(at, from.size(), to);
    write_text(dir / "manifest.json", text);
}

}  // namespace

PA_TEST(sha256_known_vectors) {
    // FIPS 180-4 / NIST examples.
    STR_EQ(pyalign::sha256_hex("", 0), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    STR_EQ(pyalign::sha256_hex("abc", 3),
                std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    STR_EQ(pyalign::sha256_hex(two.data(), two.size()),
                std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    const std::string four =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    STR_EQ(pyalign::sha256_hex(four.data(), four.size()),
                std::string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
    // One million 'a', fed in uneven chunks.
    const std::string a(1000000, 'a');
    pyalign::Sha256 h;
    std::size_t off = 0, step = 1;
    while (off < a.size()) {
        const std::size_t n = std::min(step, a.size() - off);
        h.update(a.data() + off, n);
        off += n;
        step = step * 3 + 1;
        if (step > 5000) step = 1;
    }
    STR_EQ(h.hex_digest(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

PA_TEST(sha256_padding_boundaries) {
    // Lengths around the 55/56/64-byte padding boundaries: one-shot equals byte-by-byte.
    for (std::size_t n : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
        std::vector<std::uint8_t> d(n);
        for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>(i * 31 + 7);
        pyalign::Sha256 h;
        for (std::size_t i = 0; i < n; ++i) h.update(&d[i], 1);
        STR_EQ(h.hex_digest(), pyalign::sha256_hex(d.data(), n));
    }
    // 64 x 'a' (exactly one block of data, padding in a second block).
    const std::string a(64, 'a');
    STR_EQ(pyalign::sha256_hex(a.data(), a.size()),
                std::string("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
}

PA_TEST(dtypes_and_sizes) {
    PA_CHECK_EQ(pyalign::dtype_size(DType::f16), std::size_t(2));
    STR_EQ(std::string(pyalign::dtype_name(DType::i64)), std::string("int64"));
    PA_CHECK(pyalign::dtype_from_name("float32") == DType::f32);
    PA_CHECK_THROWS(pyalign::dtype_from_name("float8"));
    PA_CHECK_EQ(pyalign::tensor_nbytes({1, 3, 640, 640}, DType::f32), std::size_t(4915200));
    PA_CHECK_EQ(pyalign::tensor_nbytes({}, DType::f64), std::size_t(8));
    PA_CHECK_EQ(pyalign::tensor_nbytes({5, 0, 1ll << 62}, DType::f64), std::size_t(0));
    PA_CHECK(has(error_of([] { pyalign::tensor_nbytes({2, -1}, DType::u8); }), "negative"));
    PA_CHECK(has(error_of([] { pyalign::tensor_nbytes({1ll << 40, 1ll << 40}, DType::u8); }), "overflows"));
    PA_CHECK(has(error_of([] { pyalign::tensor_nbytes({1ll << 62, 4}, DType::u8); }), "overflows"));
}

PA_TEST(bin_exact_size) {
    const fs::path dir = scratch("bin");
    fs::create_directories(dir);
    const std::string path = (dir / "x.bin").string();
    const std::vector<float> v = {1.f, 2.f, 3.f};
    pyalign::write_bin(path, v.data(), v.size() * sizeof(float));
    PA_CHECK_EQ(pyalign::file_size(path), std::uint64_t(12));
    const std::vector<float> back = pyalign::read_bin_as<float>(path, 3);
    PA_CHECK(back == v);
    const std::string trunc = error_of([&] { pyalign::read_bin(path, 16); });
    STR_EQ(trunc, path + ": truncated: file is 12 bytes, expected 16");
    const std::string longer = error_of([&] { pyalign::read_bin(path, 8); });
    STR_EQ(longer, path + ": longer than expected: file is 12 bytes, expected 8");
    const std::string missing = error_of([&] { pyalign::read_bin((dir / "nope.bin").string(), 8); });
    STR_EQ(missing, (dir / "nope.bin").string() + ": missing file");
    PA_CHECK(has(error_of([&] { pyalign::read_bin(dir.string(), 8); }), "not a regular file"));
    // write_bin leaves no temporary files behind
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) files += e.path().filename().string()[0] == '.' ? 100 : 1;
    PA_CHECK_EQ(files, 1);
    // empty files round trip
    pyalign::write_bin((dir / "empty.bin").string(), nullptr, 0);
    PA_CHECK(pyalign::read_bin((dir / "empty.bin").string(), 0).empty());
}

PA_TEST(bin_size_checked_before_allocating) {
    // A byte count far beyond the file (a hostile manifest's shape) is an Error, not an allocation.
    const fs::path p = scratch("alloc") / "x.bin";
    fs::create_directories(p.parent_path());
    write_text(p, "abcd");
    const std::size_t huge = std::size_t(1) << 60;
    PA_CHECK(has(error_of([&] { pyalign::read_bin(p.string(), huge); }), "truncated: file is 4 bytes"));
    PA_CHECK(has(error_of([&] { pyalign::read_bin_as<double>(p.string(), huge); }), "truncated: file is 4 bytes"));
    PA_CHECK(has(error_of([&] { pyalign::read_bin_as<double>(p.string(), ~std::size_t(0)); }), "overflow"));
    PA_CHECK(has(error_of([&] { pyalign::check_bin_size(p.string(), 3); }), "longer than expected"));
    pyalign::check_bin_size(p.string(), 4);
    PA_CHECK_EQ(pyalign::read_bin_as<std::uint16_t>(p.string(), 2).size(), std::size_t(2));
}

PA_TEST(writer_round_trip) {
    const fs::path dir = make_case("round_trip");
    const pyalign::Manifest m = pyalign::read_manifest(dir.string());
    STR_EQ(m.case_name, std::string("round_trip"));
    PA_CHECK_EQ(m.tensors.size(), std::size_t(3));
    const pyalign::TensorInfo& raw = m.find("raw_input");
    STR_EQ(raw.file, std::string("raw_input.bin"));
    STR_EQ(raw.layout, std::string("HWC"));
    STR_EQ(raw.color, std::string("BGR"));
    STR_EQ(raw.kind, std::string("image"));
    PA_CHECK(raw.shape == (std::vector<std::int64_t>{2, 4, 3}));
    const std::vector<std::uint8_t> img = pyalign::load_tensor(raw);
    PA_CHECK_EQ(img.size(), std::size_t(24));
    PA_CHECK_EQ(int(img[5]), 35);
    STR_EQ(m.find("model_output", "output0").file, std::string("model_output.output0.bin"));
    const std::vector<float> out0 = pyalign::load_tensor_as<float>(m.find("model_output", "output0"));
    PA_CHECK(out0 == (std::vector<float>{1.5f, -2.0f, 3.25f}));
    PA_CHECK_THROWS(pyalign::load_tensor_as<float>(m.find("model_output", "output1")));
    PA_CHECK(has(error_of([&] { m.find("model_output"); }), "has 2 tensors"));
    PA_CHECK(has(error_of([&] { m.find("postprocessed"); }), "no tensor of stage postprocessed"));
    PA_CHECK(m.has("model_output", "output1") && !m.has("preprocessed"));
    // sha256 in the manifest equals a recomputation of the file
    STR_EQ(raw.sha256, pyalign::sha256_file(raw.path));
    const std::string text = read_text(dir / "manifest.json");
    PA_CHECK(has(text, "\"writer\": \"pyalign-cpp\""));
    PA_CHECK(has(text, "\"format\": \"pyalign.capture\""));
}

PA_TEST(writer_replaces_whole_and_aborts_cleanly) {
    const fs::path dir = make_case("replace");
    {
        pyalign::CaptureWriter w(dir.string(), "other");
        const float x = 1.f;
        w.add("postprocessed", "detections", DType::f32, {0, 6}, nullptr, "", "", "detections");
        w.add("preprocessed", "t", DType::f32, {1}, &x);
        w.set_spec_json("{\"input\": {\"format\": \"BGR\"}}");
        w.commit();
    }
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    PA_CHECK(names == (std::vector<std::string>{"manifest.json", "postprocessed.bin", "preprocessed.bin"}));
    const pyalign::Manifest m = pyalign::read_manifest(dir.string());
    STR_EQ(m.case_name, std::string("other"));
    PA_CHECK(has(read_text(dir / "manifest.json"), "\"spec\": {\"input\""));
    // a writer destroyed without commit leaves the case and no temporary directory
    {
        pyalign::CaptureWriter w(dir.string());
        const float x = 2.f;
        w.add("preprocessed", "t", DType::f32, {1}, &x);
    }
    STR_EQ(pyalign::read_manifest(dir.string()).case_name, std::string("other"));
    int hidden = 0;
    for (const auto& e : fs::directory_iterator(dir.parent_path()))
        hidden += e.path().filename().string().rfind(".pyalign-", 0) == 0 ? 1 : 0;
    PA_CHECK_EQ(hidden, 0);
}

PA_TEST(writer_rejects_bad_arguments) {
    const fs::path dir = scratch("bad_args");
    pyalign::CaptureWriter w(dir.string());
    const float x = 0.f;
    PA_CHECK(has(error_of([&] { w.add("inference", "t", DType::f32, {1}, &x); }), "unknown stage 'inference'"));
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "", DType::f32, {1}, &x); }), "non-empty"));
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "t", DType::f32, {1}, &x, "NCHW"); }), "layout NCHW"));
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "t", DType::f32, {1}, &x, "X"); }), "unknown layout"));
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "t", DType::f32, {-1}, &x); }), "negative"));
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "t", DType::f32, {1}, nullptr); }), "null data"));
    w.add("preprocessed", "t", DType::f32, {1}, &x);
    PA_CHECK(has(error_of([&] { w.add("preprocessed", "t", DType::f32, {1}, &x); }), "duplicate tensor"));
    PA_CHECK_THROWS(w.set_spec_json("[1, 2]"));
    PA_CHECK_THROWS(w.set_spec_json("{\"a\": }"));
    PA_CHECK_THROWS(w.set_spec_json("{\"a\": -Inf}"));
    PA_CHECK_THROWS(w.set_spec_json("{\"a\": [1 2]}"));
    PA_CHECK_THROWS(w.set_spec_json("{\"a\" 1}"));
    // Python's json writes NaN, Infinity and -Infinity for non-finite floats.
    w.set_spec_json("{\"a\": [NaN, Infinity, -Infinity, -1.5e-3], \"b\": {}}");
    w.abort();
    PA_CHECK(!fs::exists(dir));
    // refuses to replace a directory that is not a capture set
    const fs::path keep = scratch("keep");
    fs::create_directories(keep);
    write_text(keep / "precious.txt", "x");
    PA_CHECK(has(error_of([&] { pyalign::CaptureWriter w2(keep.string()); }), "is not a capture set"));
}

PA_TEST(manifest_validation_errors) {
    struct Bad {
        std::string from, to, expect;
    };
    const std::vector<Bad> bad = {
        {"\"dtype\": \"uint8\"", "\"dtype\": \"float8\"", "unknown dtype 'float8'"},
        {"\"shape\": [2, 4, 3]", "\"shape\": [2, -4, 3]", "shape entry -4 is negative"},
        {"\"shape\": [2, 4, 3]", "\"shape\": [2, 4.0, 3]", "shape entry 4.0 is not an integer"},
        {"\"shape\": [2, 4, 3]", "\"shape\": [1099511627776, 1099511627776, 3]", "overflows"},
        {"\"shape\": [2, 4, 3]", "\"shape\": [2, 99999999999999999999999, 3]", "overflows"},
        {"\"file\": \"raw_input.bin\"", "\"file\": \"../raw_input.bin\"", "contains '..'"},
        {"\"file\": \"raw_input.bin\"", "\"file\": \"/etc/passwd\"", "is an absolute path"},
        {"\"version\": 1", "\"version\": 2", "unknown format version 2"},
        {"\"stage\": \"raw_input\"", "\"stage\": \"inference\"", "unknown stage 'inference'"},
        {"\"name\": \"output1\"", "\"name\": \"output0\"", "duplicate (stage, name) (model_output, output0)"},
        {"\"tensors\": [", "\"tensors\": [}", "malformed JSON"},
        {"\"format\": \"pyalign.capture\"", "\"format\": \"other\"", "'format' must be"},
        {"\"layout\": \"HWC\"", "\"layout\": \"NCHW\"", "layout 'NCHW' has 4 dimensions"},
        {"\"shape\": [2, 4, 3]", "\"shape\": [2, 4, 3], \"shape\": [1]", "malformed JSON: duplicate key \"shape\" at line"},
        {"\"version\": 1", "\"version\": 1, \"version\": 1", "malformed JSON: duplicate key \"version\" at line 3"},
        {"\"case\": \"bad\"", "\"case\": \"b\xff\"", "malformed JSON: invalid UTF-8 in string"},
        {"\"case\": \"bad\"", "\"case\": \"\"", "'case' must be a non-empty string"},
        {"\"case\": \"bad\"", "\"case\": \"bad\", \"spec\": [1]", "'spec' must be an object"},
        {"\"sha256\": \"", "\"sha256\": \"\", \"x\": \"", "sha256 is not 64 hex digits"},
        {"\"layout\": \"HWC\"", "\"layout\": \"\"", "layout '' has 0 dimensions but the shape has 3"},
    };
    const fs::path dir = make_case("bad");
    const std::string good = read_text(dir / "manifest.json");
    for (std::size_t i = 0; i < bad.size(); ++i) {
        write_text(dir / "manifest.json", good);
        edit_manifest(dir, bad[i].from, bad[i].to);
        const std::string err = error_of([&] { pyalign::read_manifest(dir.string()); });
        if (!has(err, bad[i].expect) || !has(err, "manifest.json")) {
            pyalign_test::fail(__FILE__, __LINE__, "case " + std::to_string(i) + ": got '" + err + "'");
        }
    }
    // a layout's dimensions are its characters, not its bytes; a null spec is no spec
    write_text(dir / "manifest.json", good);
    edit_manifest(dir, "\"layout\": \"HWC\"", "\"layout\": \"H\u00e9C\"");
    edit_manifest(dir, "\"case\": \"bad\"", "\"case\": \"bad\", \"spec\": null");
    STR_EQ(pyalign::read_manifest(dir.string()).tensors.at(0).layout, "H\xc3\xa9" "C");
    // no manifest
    const fs::path empty = scratch("no_manifest");
    fs::create_directories(empty);
    PA_CHECK(has(error_of([&] { pyalign::read_manifest(empty.string()); }), "no manifest.json"));
}

PA_TEST(tensor_file_errors) {
    const fs::path dir = make_case("file_errors");
    const pyalign::Manifest m = pyalign::read_manifest(dir.string());
    const pyalign::TensorInfo& raw = m.find("raw_input");
    // flip one byte: same size, sha256 mismatch
    std::string data = read_text(raw.path);
    data[0] = static_cast<char>(data[0] ^ 1);
    write_text(raw.path, data);
    PA_CHECK(has(error_of([&] { pyalign::load_tensor(raw); }), "sha256 mismatch"));
    PA_CHECK_EQ(pyalign::load_tensor(raw, false).size(), std::size_t(24));
    write_text(raw.path, data.substr(0, 20));
    PA_CHECK(has(error_of([&] { pyalign::load_tensor(raw); }), "truncated: file is 20 bytes, expected 24"));
    fs::remove(raw.path);
    PA_CHECK(has(error_of([&] { pyalign::load_tensor(raw); }), "missing file"));
    // a symlink to a file outside the case directory
    const fs::path outside = dir.parent_path() / "outside.bin";
    write_text(outside, std::string(24, 'x'));
    fs::create_symlink(outside, raw.path);
    PA_CHECK(has(error_of([&] { pyalign::read_manifest(dir.string()); }), "symlink escape"));
}

PA_TEST(manifest_reader_survives_mutations) {
    // Random byte edits, insertions and truncations of a valid manifest: the reader either accepts
    // the text or throws pyalign::Error; never anything else (and nothing for ASan/UBSan to see).
    const fs::path dir = make_case("fuzz");
    const std::string good = read_text(dir / "manifest.json");
    std::mt19937 rng(12345);
    const std::string alphabet = "{}[]\":,.-+eE0123456789 \\/untfalsrNIy\x01\xff";
    int accepted = 0, rejected = 0;
    for (int iter = 0; iter < 2000; ++iter) {
        std::string text = good;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits && !text.empty(); ++k) {
            const std::size_t at = rng() % text.size();
            switch (rng() % 4) {
                case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
                case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
                case 2: text.erase(at, 1 + rng() % 8); break;
                default: text.resize(at); break;
            }
        }
        try {
            const pyalign::Manifest m = pyalign::parse_manifest(text, dir.string());
            for (const auto& t : m.tensors) (void)t.nbytes();
            ++accepted;
        } catch (const pyalign::Error&) {
            ++rejected;
        }
    }
    PA_CHECK(rejected > 1000);
    PA_CHECK(accepted > 0);  // edits inside a sha256 or a name leave a valid manifest
}

PA_TEST(manifest_with_many_tensors) {
    // 50,000 tensors: the reader is O(n log n) (sorted duplicate checks, one directory listing
    // instead of resolving every path); this runs in a fraction of a second, also under ASan.
    const fs::path dir = scratch("many");
    fs::create_directories(dir);
    auto manifest = [&](std::size_t n, const std::string& last) {
        std::string text = "{\"format\": \"pyalign.capture\", \"version\": 1, \"case\": \"many\", \"tensors\": [\n";
        for (std::size_t i = 0; i < n; ++i) {
            const std::string name = "out" + std::to_string(i);
            text += "{\"stage\": \"model_output\", \"name\": \"" + name + "\", \"file\": \"model_output." + name +
                    ".bin\", \"dtype\": \"float32\", \"shape\": [1, 0, 4], \"layout\": \"CHW\", \"kind\": \"tensor\"},\n";
        }
        return text + last + "]}";
    };
    // a few of the files exist (regular files and a symlink inside the directory)
    write_text(dir / "model_output.out0.bin", "");
    write_text(dir / "model_output.out1.bin", "");
    fs::create_symlink("model_output.out1.bin", dir / "model_output.out2.bin");
    const std::string last = "{\"stage\": \"raw_input\", \"name\": \"image\", \"file\": \"sub/./raw.bin\", "
                             "\"dtype\": \"uint8\", \"shape\": [2]}";
    const std::size_t n = 50000;
    const pyalign::Manifest m = pyalign::parse_manifest(manifest(n, last), dir.string());
    PA_CHECK_EQ(m.tensors.size(), n + 1);
    STR_EQ(m.tensors[12345].name, "out12345");
    STR_EQ(m.find("model_output", "out49999").file, "model_output.out49999.bin");
    STR_EQ(m.find("raw_input").file, "sub/./raw.bin");
    // a repeat at the end names both entries (a shorter list is enough here)
    const std::string dup_name = "{\"stage\": \"model_output\", \"name\": \"out7\", \"file\": \"x.bin\", "
                                 "\"dtype\": \"uint8\", \"shape\": [2]}";
    STR_EQ(error_of([&] { pyalign::parse_manifest(manifest(1000, dup_name), dir.string()); }),
           (dir / "manifest.json").string() +
               ": tensors[1000]: duplicate (stage, name) (model_output, out7), also tensors[7]");
    const std::string dup_file = "{\"stage\": \"raw_input\", \"name\": \"image\", \"file\": \"./model_output.out9.bin\", "
                                 "\"dtype\": \"uint8\", \"shape\": [2]}";
    STR_EQ(error_of([&] { pyalign::parse_manifest(manifest(1000, dup_file), dir.string()); }),
           (dir / "manifest.json").string() +
               ": tensors[1000] (raw_input/image): file './model_output.out9.bin' is also used by tensors[9]");
}

PA_TEST(manifest_file_names) {
    const fs::path dir = make_case("file_names");
    const std::string good = read_text(dir / "manifest.json");
    struct Bad {
        std::string file, expect;
    };
    const std::vector<Bad> bad = {
        {"raw_input.bin/", "file name 'raw_input.bin/' is not a file"},
        {".", "file name '.' is not a file"},
        {"a/../raw_input.bin", "contains '..'"},
        {"C:x.bin", "is an absolute path"},
        {"\\\\\\\\server\\\\x.bin", "file name '\\\\server\\x.bin' is an absolute path"},
        {"model_output.output0.bin",
         "tensors[1] (model_output/output0): file 'model_output.output0.bin' is also used by tensors[0]"},
        {"./model_output.output1.bin",
         "tensors[2] (model_output/output1): file 'model_output.output1.bin' is also used by tensors[0]"},
    };
    for (std::size_t i = 0; i < bad.size(); ++i) {
        std::string text = good;
        const std::string from = "\"file\": \"raw_input.bin\"";
        text.replace(text.find(from), from.size(), "\"file\": \"" + bad[i].file + "\"");
        // raw_input is tensors[0]: a file used twice is reported at the later entry
        const std::string err = error_of([&] { pyalign::parse_manifest(text, dir.string()); });
        if (!has(err, bad[i].expect)) pyalign_test::fail(__FILE__, __LINE__, bad[i].file + ": got '" + err + "'");
    }
}

PA_TEST(json_strings_and_escapes) {
    // A name with quotes, backslashes, control and non-ASCII characters survives the writer and reader.
    const fs::path dir = scratch("escapes");
    const std::string name = "out\"put\\0\t\x01 caf\xc3\xa9";
    const std::uint8_t b = 1;
    pyalign::CaptureWriter w(dir.string(), "case \"q\"");
    w.add("model_output", name, DType::u8, {1}, &b);
    w.commit();
    const pyalign::Manifest m = pyalign::read_manifest(dir.string());
    STR_EQ(m.tensors.at(0).name, name);
    STR_EQ(m.case_name, std::string("case \"q\""));
    // \u escapes, including a surrogate pair, decode to UTF-8
    edit_manifest(dir, "\"case\": \"case \\\"q\\\"\"", "\"case\": \"\\u00e9\\ud83d\\ude00\"");
    STR_EQ(pyalign::read_manifest(dir.string()).case_name, std::string("\xc3\xa9\xf0\x9f\x98\x80"));
}

int main() {
    const int rc = pyalign_test::run_all();
    std::error_code ec;
    fs::remove_all(run_root(), ec);
    return rc;
}
