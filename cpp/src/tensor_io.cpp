// pyalign — tensor I/O: raw .bin files and the atomic capture writer (manifest reading in
// manifest.cpp, SHA-256 in sha256.cpp, the JSON reader in json.cpp).
#include "pyalign/tensor_io.hpp"
#include "pyalign/csc.hpp"

#include "json.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <limits>
#include <random>
#include <system_error>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define PYALIGN_POSIX 1
#if defined(__linux__) && __has_include(<sys/syscall.h>)
#include <sys/syscall.h>
#endif
#endif

namespace fs = std::filesystem;

namespace pyalign {

// =============================================================================== dtypes

std::size_t tensor_nbytes(const std::vector<std::int64_t>& shape, DType dtype) {
    const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max());
    std::uint64_t n = dtype_size(dtype);
    bool overflow = false;
    for (std::int64_t d : shape) {
        if (d < 0) throw Error("shape entry " + std::to_string(d) + " is negative");
        if (d == 0) return 0;
        const std::uint64_t ud = static_cast<std::uint64_t>(d);
        if (n > limit / ud) overflow = true;
        else n *= ud;
    }
    if (overflow || n > limit) throw Error("shape's byte size overflows (more than fits in memory)");
    return static_cast<std::size_t>(n);
}

namespace {
struct File {
    std::FILE* f = nullptr;
    File(const std::string& path, const char* mode) : f(std::fopen(path.c_str(), mode)) {}
    ~File() {
        if (f) std::fclose(f);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }
}  // namespace

// =============================================================================== raw .bin files

std::uint64_t file_size(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) throw Error(path + ": missing file");
    if (!fs::is_regular_file(st)) throw Error(path + ": not a regular file");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) throw Error(path + ": cannot stat: " + ec.message());
    return static_cast<std::uint64_t>(size);
}

void check_bin_size(const std::string& path, std::size_t nbytes) {
    const std::uint64_t size = file_size(path);
    if (size != nbytes) {
        throw Error(path + ": " + (size < nbytes ? "truncated" : "longer than expected") + ": file is " +
                    std::to_string(size) + " bytes, expected " + std::to_string(nbytes));
    }
}

void read_bin_into(const std::string& path, void* dst, std::size_t nbytes) {
    check_bin_size(path, nbytes);
    if (nbytes == 0) return;
    File in(path, "rb");
    if (!in.f) throw Error(path + ": cannot open: " + errno_text(errno));
    const std::size_t got = std::fread(dst, 1, nbytes, in.f);
    if (got != nbytes) throw Error(path + ": read " + std::to_string(got) + " of " + std::to_string(nbytes) + " bytes");
}

std::vector<std::uint8_t> read_bin(const std::string& path, std::size_t nbytes) {
    // The size first: a wrong or hostile byte count (a manifest's shape) must not cost memory.
    check_bin_size(path, nbytes);
    std::vector<std::uint8_t> out(nbytes);
    read_bin_into(path, out.data(), nbytes);
    return out;
}

namespace {
std::string random_suffix() {
    static thread_local std::mt19937_64 rng([] {
        std::random_device rd;
        const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ t;
    }());
    static const char* hex = "0123456789abcdef";
    std::uint64_t v = rng();
    std::string s;
    for (int i = 0; i < 12; ++i, v >>= 4) s += hex[v & 15];
    return s;
}

void fsync_file(std::FILE* f) {
    std::fflush(f);
#ifdef PYALIGN_POSIX
    ::fsync(::fileno(f));
#endif
}

void fsync_dir(const std::string& dir) {
#ifdef PYALIGN_POSIX
    const int fd = ::open(dir.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    (void)dir;
#endif
}

void write_file_plain(const std::string& path, const void* data, std::size_t nbytes) {
    File out(path, "wb");
    if (!out.f) throw Error(path + ": cannot create: " + errno_text(errno));
    if (nbytes > 0 && std::fwrite(data, 1, nbytes, out.f) != nbytes)
        throw Error(path + ": write failed: " + errno_text(errno));
    fsync_file(out.f);
    if (std::ferror(out.f)) throw Error(path + ": write failed");
}

void rename_or_throw(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) throw Error(to + ": cannot rename " + from + " to it: " + ec.message());
}
}  // namespace

void write_bin(const std::string& path, const void* data, std::size_t nbytes) {
    const fs::path p(path);
    const std::string tmp = (p.parent_path() / (".pyalign-tmp-" + p.filename().string() + "." + random_suffix())).string();
    try {
        write_file_plain(tmp, data, nbytes);
        rename_or_throw(tmp, path);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
}

// =============================================================================== writer

namespace {

const std::vector<std::string> kLayouts = {"NCHW", "NHWC", "HWC", "CHW", "HW"};
const std::vector<std::string> kColors = pixel_format_names();
const std::vector<std::string> kKinds = {"image", "tensor", "detections", "classes", "mask"};

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}


const char* platform_tag() {
#if defined(__x86_64__) || defined(_M_X64)
#define PYALIGN_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#define PYALIGN_ARCH "aarch64"
#elif defined(__arm__)
#define PYALIGN_ARCH "arm"
#elif defined(__riscv)
#define PYALIGN_ARCH "riscv64"
#elif defined(__i386__)
#define PYALIGN_ARCH "i686"
#else
#define PYALIGN_ARCH "unknown"
#endif
#if defined(__linux__)
#define PYALIGN_OS "linux"
#elif defined(__APPLE__)
#define PYALIGN_OS "darwin"
#elif defined(_WIN32)
#define PYALIGN_OS "windows"
#else
#define PYALIGN_OS "unknown"
#endif
    return PYALIGN_ARCH "-" PYALIGN_OS;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
#if defined(_WIN32)
    gmtime_s(&tm, &t);
#else
    gmtime_r(&t, &tm);
#endif
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string safe_name(const std::string& name) {
    std::string s;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '-';
        s += ok ? c : '_';
    }
    const std::size_t b = s.find_first_not_of('.');
    const std::size_t e = s.find_last_not_of('.');
    s = (b == std::string::npos) ? std::string() : s.substr(b, e - b + 1);
    return s.empty() ? "tensor" : s;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

void check_target(const std::string& dir) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(dir, ec);
    if (!fs::exists(st)) return;
    if (!fs::is_directory(st))
        throw Error(dir + ": exists and is not a directory; will not replace it with a capture set");
    if (!fs::exists(fs::path(dir) / "manifest.json", ec) && !fs::is_empty(dir, ec))
        throw Error(dir + ": exists, is not empty and is not a capture set (no manifest.json); will not replace it");
}

/// Atomically exchange two paths where the kernel can (Linux renameat2); false otherwise.
bool exchange_paths(const std::string& a, const std::string& b) {
#if defined(__linux__) && defined(SYS_renameat2)
    return ::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), 2u /* RENAME_EXCHANGE */) == 0;
#else
    (void)a;
    (void)b;
    return false;
#endif
}

std::string last_component(const std::string& dir) {
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
}

}  // namespace

CaptureWriter::CaptureWriter(std::string dir, std::string case_name) : dir_(std::move(dir)), case_(std::move(case_name)) {
    const std::string base = last_component(dir_);
    if (base.empty() || base == "." || base == "..") throw Error(dir_ + ": a case path must name a directory");
    {
        fs::path p = fs::path(dir_).lexically_normal();
        if (p.filename().empty()) p = p.parent_path();
        dir_ = p.string();
    }
    if (case_.empty()) case_ = base;
    if (!detail::valid_utf8(case_)) throw Error(dir_ + ": case name is not valid UTF-8");
    check_target(dir_);
}

CaptureWriter::~CaptureWriter() {
    if (!done_) {
        try {
            abort();
        } catch (...) {
        }
    }
}

void CaptureWriter::ensure_tmpdir() {
    if (done_) throw Error(dir_ + ": writer already committed or aborted");
    if (!tmpdir_.empty()) return;
    std::error_code ec;
    const fs::path target(dir_);
    const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
    fs::create_directories(parent, ec);
    if (ec) throw Error(parent.string() + ": cannot create directory: " + ec.message());
    for (int attempt = 0; attempt < 16; ++attempt) {
        const fs::path tmp = parent / (".pyalign-tmp-" + target.filename().string() + "." + random_suffix());
        if (fs::create_directory(tmp, ec)) {
            tmpdir_ = tmp.string();
            return;
        }
        if (ec) throw Error(tmp.string() + ": cannot create directory: " + ec.message());
    }
    throw Error(dir_ + ": cannot create a temporary directory next to it");
}

void CaptureWriter::add(const std::string& stage, const std::string& name, DType dtype,
                        const std::vector<std::int64_t>& shape, const void* data, const std::string& layout,
                        const std::string& color, const std::string& kind) {
    if (!contains(capture_stages(), stage))
        throw Error("unknown stage '" + stage + "' (known: " + join(capture_stages()) + ")");
    if (name.empty()) throw Error("tensor name must be a non-empty string");
    if (!detail::valid_utf8(name)) throw Error("tensor name of stage " + stage + " is not valid UTF-8");
    for (const auto& p : pending_)
        if (p.info.stage == stage && p.info.name == name) throw Error("duplicate tensor " + stage + "/" + name);
    if (shape.size() > 32) throw Error("tensor " + stage + "/" + name + ": more than 32 dimensions");
    if (!layout.empty() && !contains(kLayouts, layout))
        throw Error("unknown layout '" + layout + "' (known: " + join(kLayouts) + ")");
    if (!color.empty() && !contains(kColors, color))
        throw Error("unknown color '" + color + "' (known: " + join(kColors) + ")");
    if (!kind.empty() && !contains(kKinds, kind)) throw Error("unknown kind '" + kind + "' (known: " + join(kKinds) + ")");
    if (!layout.empty() && layout.size() != shape.size())
        throw Error("tensor " + stage + "/" + name + ": layout " + layout + " has " + std::to_string(layout.size()) +
                    " dimensions, the shape " + std::to_string(shape.size()));
    std::size_t nbytes = 0;
    try {
        nbytes = tensor_nbytes(shape, dtype);
    } catch (const Error& e) {
        throw Error("tensor " + stage + "/" + name + ": " + e.what());
    }
    if (nbytes > 0 && data == nullptr) throw Error("tensor " + stage + "/" + name + ": null data");
    ensure_tmpdir();
    Pending p;
    p.info.stage = stage;
    p.info.name = name;
    p.info.dtype = dtype;
    p.info.shape = shape;
    p.info.layout = layout;
    p.info.color = color;
    p.info.kind = kind;
    p.info.sha256 = sha256_hex(data, nbytes);
    p.tmp_path = (fs::path(tmpdir_) / (".pyalign-tmp-" + std::to_string(pending_.size()) + ".bin")).string();
    write_file_plain(p.tmp_path, data, nbytes);
    pending_.push_back(std::move(p));
    assign_files();
}

void CaptureWriter::set_spec_json(const std::string& json_object) {
    const detail::JsonValue v = detail::parse_json(json_object, "spec");
    if (!v.is_object()) throw Error("spec: must be a JSON object");
    spec_json_ = json_object;
}

void CaptureWriter::assign_files() {
    std::vector<std::string> used;
    for (auto& p : pending_) {
        int count = 0;
        for (const auto& q : pending_) count += q.info.stage == p.info.stage ? 1 : 0;
        const std::string stem = count == 1 ? p.info.stage : p.info.stage + "." + safe_name(p.info.name);
        std::string file = stem + ".bin";
        for (int k = 2; contains(used, lower(file)); ++k) file = stem + "-" + std::to_string(k) + ".bin";
        used.push_back(lower(file));
        p.info.file = file;
        p.info.path = (fs::path(dir_) / file).string();
    }
}

std::string CaptureWriter::manifest_json() const {
    std::string s = "{\n";
    s += "  \"format\": \"pyalign.capture\",\n";
    s += "  \"version\": 1,\n";
    s += "  \"case\": " + detail::json_quote(case_) + ",\n";
    s += "  \"created_utc\": " + detail::json_quote(created_utc_.empty() ? utc_now() : created_utc_) + ",\n";
    s += "  \"provenance\": {\"pyalign\": " + detail::json_quote(kVersion) + ", \"platform\": " + detail::json_quote(platform_tag()) +
         ", \"writer\": \"pyalign-cpp\"},\n";
    if (!spec_json_.empty()) s += "  \"spec\": " + spec_json_ + ",\n";
    s += "  \"tensors\": [";
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        const TensorInfo& t = pending_[i].info;
        s += (i == 0 ? "\n    " : ",\n    ");
        s += "{\"stage\": " + detail::json_quote(t.stage) + ", \"name\": " + detail::json_quote(t.name) +
             ", \"file\": " + detail::json_quote(t.file) + ", \"dtype\": " + detail::json_quote(dtype_name(t.dtype)) + ", \"shape\": [";
        for (std::size_t k = 0; k < t.shape.size(); ++k) s += (k ? ", " : "") + std::to_string(t.shape[k]);
        s += "]";
        if (!t.layout.empty()) s += ", \"layout\": " + detail::json_quote(t.layout);
        if (!t.color.empty()) s += ", \"color\": " + detail::json_quote(t.color);
        if (!t.kind.empty()) s += ", \"kind\": " + detail::json_quote(t.kind);
        s += ", \"sha256\": " + detail::json_quote(t.sha256) + "}";
    }
    s += pending_.empty() ? "]\n" : "\n  ]\n";
    s += "}\n";
    return s;
}

Manifest CaptureWriter::commit() {
    ensure_tmpdir();
    try {
        check_target(dir_);
        assign_files();
        for (const auto& p : pending_) rename_or_throw(p.tmp_path, (fs::path(tmpdir_) / p.info.file).string());
        created_utc_ = utc_now();
        const std::string text = manifest_json();
        write_bin((fs::path(tmpdir_) / "manifest.json").string(), text.data(), text.size());
        fsync_dir(tmpdir_);
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(dir_, ec))) {
            rename_or_throw(tmpdir_, dir_);
        } else if (exchange_paths(tmpdir_, dir_)) {
            fs::remove_all(tmpdir_, ec);  // now holds the old case
        } else {
            // No atomic exchange: move the old case aside, the new one in, then delete the old.
            const std::string old =
                (fs::path(dir_).parent_path() / (".pyalign-old-" + fs::path(dir_).filename().string() + "." +
                                                 random_suffix())).string();
            rename_or_throw(dir_, old);
            rename_or_throw(tmpdir_, dir_);
            fs::remove_all(old, ec);
        }
        const fs::path parent = fs::path(dir_).has_parent_path() ? fs::path(dir_).parent_path() : fs::path(".");
        fsync_dir(parent.string());
    } catch (...) {
        abort();
        throw;
    }
    done_ = true;
    tmpdir_.clear();
    Manifest m;
    m.dir = dir_;
    m.case_name = case_;
    for (const auto& p : pending_) m.tensors.push_back(p.info);
    return m;
}

void CaptureWriter::abort() {
    if (!tmpdir_.empty()) {
        std::error_code ec;
        fs::remove_all(tmpdir_, ec);
        tmpdir_.clear();
    }
    done_ = true;
}

}  // namespace pyalign
