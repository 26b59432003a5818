// pyalign — tensor I/O: reading and validating a capture set's manifest.json, and loading its
// tensors (see tensor_io.hpp and docs/capture-format.md). Linear in the number of tensors up to
// the O(n log n) duplicate checks; the file system is asked once per directory where it can be.
#include "pyalign/tensor_io.hpp"

#include "json.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <string_view>
#include <system_error>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <dirent.h>
#define PYALIGN_POSIX 1
#endif

namespace fs = std::filesystem;

namespace pyalign {

namespace {

using detail::JsonValue;

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

std::string read_text_file(const std::string& path, std::uint64_t max_bytes) {
    const std::uint64_t size = file_size(path);
    if (size > max_bytes) throw Error(path + ": file is " + std::to_string(size) + " bytes, too large");
    std::string text(static_cast<std::size_t>(size), '\0');
    if (size > 0) read_bin_into(path, &text[0], text.size());
    return text;
}

bool is_integer_text(const std::string& t) {
    if (t.empty()) return false;
    std::size_t k = (t[0] == '-') ? 1 : 0;
    if (k == t.size()) return false;
    for (; k < t.size(); ++k)
        if (t[k] < '0' || t[k] > '9') return false;
    return true;
}

/// What is wrong with a manifest's file name ("" when nothing): it must be a relative path
/// that stays inside the case directory and names a file.
std::string file_name_problem(const std::string& file) {
    if (file.empty()) return "'file' must be a non-empty string";
    if (file.find('\0') != std::string::npos) return "file name contains a NUL byte";
    const bool drive = file.size() >= 2 && file[1] == ':' &&
                       ((file[0] >= 'A' && file[0] <= 'Z') || (file[0] >= 'a' && file[0] <= 'z'));
    if (file[0] == '/' || file[0] == '\\' || drive) return "file name '" + file + "' is an absolute path";
    std::size_t start = 0;
    for (std::size_t k = 0; k <= file.size(); ++k) {
        if (k == file.size() || file[k] == '/' || file[k] == '\\') {
            if (file.compare(start, k - start, "..") == 0 && k - start == 2)
                return "file name '" + file + "' contains '..'";
            start = k + 1;
        }
    }
    if (file == "." || file.back() == '/' || file.back() == '\\') return "file name '" + file + "' is not a file";
    return "";
}

bool path_inside(const fs::path& child, const fs::path& parent) {
    auto c = child.begin();
    for (auto p = parent.begin(); p != parent.end(); ++p, ++c) {
        if (p->empty()) continue;  // a trailing separator
        if (c == child.end() || *c != *p) return false;
    }
    return true;
}

/// The regular files (not symlinks) directly in a directory, as its listing reports them:
/// names sorted by (hash, name) for lookups with few string compares.
class RegularFiles {
public:
    /// Reads at most `limit` entries of `dir`. Empty where the listing gives no file types
    /// (then every file is checked with lstat).
    RegularFiles(const std::string& dir, std::size_t limit) {
#if defined(PYALIGN_POSIX) && defined(DT_REG)
        DIR* d = ::opendir(dir.c_str());
        if (!d) return;
        std::size_t seen = 0;
        while (const dirent* e = ::readdir(d)) {
            if (++seen > limit) break;
            if (e->d_type == DT_REG) names_.emplace_back(hash(e->d_name), e->d_name);
        }
        ::closedir(d);
        std::sort(names_.begin(), names_.end());
#else
        (void)dir;
        (void)limit;
#endif
    }
    bool contains(const std::string& name) const {
        const auto it = std::lower_bound(names_.begin(), names_.end(), std::make_pair(hash(name), name));
        return it != names_.end() && it->second == name;
    }

private:
    static std::size_t hash(std::string_view s) { return std::hash<std::string_view>()(s); }
    std::vector<std::pair<std::size_t, std::string>> names_;
};

/// True when `file` is one path component that names a regular file (per the listing) or, by
/// one lstat, no file or anything but a symlink, in the resolved case directory: it then names
/// dir_real/file, inside the directory. False means "resolve the path" (a symlink, a name with
/// a separator, an error), not "outside".
bool single_component_inside(const fs::path& dir_real, const RegularFiles& regular, const std::string& file) {
    if (dir_real.empty() || file.find_first_of("/\\") != std::string::npos) return false;
    if (regular.contains(file)) return true;
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(dir_real / file, ec);
    if (st.type() == fs::file_type::not_found) return true;
    return !ec && st.type() != fs::file_type::symlink && st.type() != fs::file_type::none &&
           st.type() != fs::file_type::unknown;
}

/// An optional string member: "" when absent or null, else its text; `bad` when not a string.
template <class Fail>
std::string opt_string(const JsonValue& entry, const char* key, Fail fail) {
    const JsonValue* v = entry.get(key);
    if (!v || v->type == JsonValue::Null) return "";
    if (v->type != JsonValue::String) fail(std::string("'") + key + "' must be a string");
    return v->text;
}

/// One tensor entry of a manifest, validated on its own (the caller checks the file's place and
/// the duplicates). `fail(what)` throws with the manifest and tensor named.
template <class Fail>
TensorInfo parse_tensor_entry(const JsonValue& e, Fail fail) {
    if (e.type != JsonValue::Object) fail("must be an object");
    for (const char* key : {"stage", "name", "file", "dtype", "shape"})
        if (!e.get(key)) fail(std::string("missing required key '") + key + "'");
    TensorInfo t;
    const JsonValue* stage = e.get("stage");
    if (stage->type != JsonValue::String || !contains(capture_stages(), stage->text))
        fail("unknown stage" + (stage->type == JsonValue::String ? " '" + stage->text + "'" : std::string()) +
             " (known: " + join(capture_stages()) + ")");
    t.stage = stage->text;
    const JsonValue* name = e.get("name");
    if (name->type != JsonValue::String || name->text.empty()) fail("'name' must be a non-empty string");
    t.name = name->text;
    // From here on the messages name the tensor: tensors[i] (stage/name).
    auto bad = [&](const std::string& what) { fail(" (" + t.stage + "/" + t.name + ")", what); };
    const JsonValue* dtype = e.get("dtype");
    if (dtype->type != JsonValue::String) bad("'dtype' must be a string");
    try {
        t.dtype = dtype_from_name(dtype->text);
    } catch (const Error& err) {
        bad(err.what());
    }
    const JsonValue* shape = e.get("shape");
    if (shape->type != JsonValue::Array) bad("'shape' must be a list of integers");
    if (shape->items.size() > 32) bad("shape has more than 32 dimensions");
    for (const JsonValue& d : shape->items) {
        if (d.type != JsonValue::Number || !is_integer_text(d.text))
            bad("shape entry " + (d.type == JsonValue::Number ? d.text : std::string()) + " is not an integer");
        if (d.text[0] == '-') bad("shape entry " + d.text + " is negative");
        errno = 0;
        char* endp = nullptr;
        const long long v = std::strtoll(d.text.c_str(), &endp, 10);
        if (errno == ERANGE) bad("shape's byte size overflows (entry " + d.text + ")");
        t.shape.push_back(static_cast<std::int64_t>(v));
    }
    try {
        (void)tensor_nbytes(t.shape, t.dtype);
    } catch (const Error& err) {
        bad(err.what());
    }
    const JsonValue* file = e.get("file");
    if (file->type != JsonValue::String) bad("'file' must be a string");
    const std::string problem = file_name_problem(file->text);
    if (!problem.empty()) bad(problem);
    t.file = file->text;
    auto opt = [&](const char* key) { return opt_string(e, key, bad); };
    t.layout = opt("layout");
    // one dimension per character (code point, as Python counts them)
    std::size_t layout_dims = 0;
    for (char c : t.layout) layout_dims += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    const JsonValue* layout = e.get("layout");
    if (layout && layout->is_string() && layout_dims != t.shape.size())
        bad("layout '" + t.layout + "' has " + std::to_string(layout_dims) + " dimensions but the shape has " +
            std::to_string(t.shape.size()));
    t.color = opt("color");
    t.kind = opt("kind");
    t.sha256 = opt("sha256");
    for (char& c : t.sha256)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    const JsonValue* sha = e.get("sha256");
    if (sha && sha->is_string()) {  // present: 64 hex digits ("" is not absent)
        bool ok = t.sha256.size() == 64;
        for (char c : t.sha256) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (!ok) bad("sha256 is not 64 hex digits");
    }
    return t;
}

/// One key of a duplicate check: views into a tensor's strings, their hash, and the tensor's
/// index. Sorted by hash first: equal keys end up next to each other with few string compares.
struct EntryKey {
    std::string_view a, b;
    std::size_t index;
    std::size_t hash;
    EntryKey(std::string_view a_, std::string_view b_, std::size_t i)
        : a(a_), b(b_), index(i),
          hash(std::hash<std::string_view>()(a_) * 31u + std::hash<std::string_view>()(b_)) {}
    bool operator<(const EntryKey& o) const {
        if (hash != o.hash) return hash < o.hash;
        if (a != o.a) return a < o.a;
        if (b != o.b) return b < o.b;
        return index < o.index;
    }
    bool same(const EntryKey& o) const { return hash == o.hash && a == o.a && b == o.b; }
};

/// Sorts `keys`; the first (in index order) key equal to an earlier one, as {its index, the
/// earlier's index}; {npos, npos} when all differ. O(n log n).
std::pair<std::size_t, std::size_t> first_repeat(std::vector<EntryKey>& keys) {
    std::sort(keys.begin(), keys.end());
    std::pair<std::size_t, std::size_t> r(std::string::npos, std::string::npos);
    std::size_t group = 0;  // the first key of the current run of equal keys
    for (std::size_t k = 1; k < keys.size(); ++k) {
        if (!keys[k].same(keys[k - 1])) {
            group = k;
        } else if (keys[k].index < r.first) {
            r = {keys[k].index, keys[group].index};
        }
    }
    return r;
}

}  // namespace

const std::vector<std::string>& capture_stages() {
    static const std::vector<std::string> stages = {"raw_input", "preprocessed", "model_output", "postprocessed"};
    return stages;
}

const TensorInfo& Manifest::find(const std::string& stage, const std::string& name) const {
    const TensorInfo* found = nullptr;
    int count = 0;
    std::string names;
    for (const auto& t : tensors) {
        if (t.stage != stage) continue;
        names += (names.empty() ? "" : ", ") + t.name;
        if (name.empty() || t.name == name) {
            found = &t;
            ++count;
        }
    }
    if (!name.empty() && !found)
        throw Error(dir + ": no tensor " + stage + "/" + name + " (stage " + stage + " has: " +
                    (names.empty() ? "none" : names) + ")");
    if (!found) throw Error(dir + ": no tensor of stage " + stage);
    if (count > 1)
        throw Error(dir + ": stage " + stage + " has " + std::to_string(count) + " tensors (" + names + "); name one");
    return *found;
}

bool Manifest::has(const std::string& stage, const std::string& name) const {
    for (const auto& t : tensors)
        if (t.stage == stage && (name.empty() || t.name == name)) return true;
    return false;
}

Manifest read_manifest(const std::string& case_dir) {
    std::error_code ec;
    if (!fs::exists(case_dir, ec)) throw Error(case_dir + ": no such directory");
    if (!fs::is_directory(case_dir, ec)) throw Error(case_dir + ": not a directory");
    const std::string mpath = (fs::path(case_dir) / "manifest.json").string();
    if (!fs::exists(mpath, ec)) throw Error(case_dir + ": no manifest.json (not a capture set)");
    return parse_manifest(read_text_file(mpath, 64u << 20), case_dir);
}

Manifest parse_manifest(const std::string& text, const std::string& case_dir) {
    std::error_code ec;
    const std::string mpath = (fs::path(case_dir) / "manifest.json").string();
    const JsonValue root = detail::parse_json(text, mpath);
    if (root.type != JsonValue::Object) throw Error(mpath + ": manifest must be a JSON object");

    const JsonValue* fmt = root.get("format");
    if (!fmt || fmt->type != JsonValue::String || fmt->text != "pyalign.capture")
        throw Error(mpath + ": 'format' must be \"pyalign.capture\"");
    const JsonValue* ver = root.get("version");
    if (!ver || ver->type != JsonValue::Number || !is_integer_text(ver->text))
        throw Error(mpath + ": 'version' must be an integer");
    if (ver->text != "1") throw Error(mpath + ": unknown format version " + ver->text + " (this reader reads version 1)");

    Manifest m;
    m.dir = case_dir;
    m.version = 1;
    const JsonValue* cs = root.get("case");
    if (cs && (!cs->is_string() || cs->text.empty())) throw Error(mpath + ": 'case' must be a non-empty string");
    if (cs) m.case_name = cs->text;
    else m.case_name = fs::path(case_dir).lexically_normal().filename().string();
    const JsonValue* spec = root.get("spec");
    if (spec && !spec->is_null() && !spec->is_object()) throw Error(mpath + ": 'spec' must be an object");

    const JsonValue* tensors = root.get("tensors");
    if (!tensors || tensors->type != JsonValue::Array) throw Error(mpath + ": 'tensors' must be a list");

    const std::size_t n = tensors->items.size();
    const fs::path dir_real = fs::weakly_canonical(fs::absolute(case_dir, ec), ec);
    // The directory's regular files, listed once: a tensor file found there needs no lstat. A
    // directory far larger than the manifest is listed only in part (the rest is lstat'ed).
    const RegularFiles regular(dir_real.string(), 4 * n + 4096);
    std::vector<EntryKey> names, files;  // for the duplicate checks, after the loop
    std::deque<std::string> normalised;  // normal forms of file names with a separator
    names.reserve(n);
    files.reserve(n);
    m.tensors.reserve(n);  // no reallocation: the keys point into its strings
    for (std::size_t i = 0; i < n; ++i) {
        auto where = [&](const std::string& tail) { return mpath + ": tensors[" + std::to_string(i) + "]" + tail; };
        struct Fail {
            const decltype(where)& w;
            [[noreturn]] void operator()(const std::string& what) const { throw Error(w("") + ": " + what); }
            [[noreturn]] void operator()(const std::string& tail, const std::string& what) const {
                throw Error(w(tail) + ": " + what);
            }
        };
        m.tensors.push_back(parse_tensor_entry(tensors->items[i], Fail{where}));
        TensorInfo& t = m.tensors.back();
        const fs::path p = fs::path(case_dir) / t.file;
        t.path = p.string();
        if (!single_component_inside(dir_real, regular, t.file)) {
            const fs::path real = fs::weakly_canonical(fs::absolute(p, ec), ec);
            if (ec || !path_inside(real, dir_real))
                throw Error(where(" (" + t.stage + "/" + t.name + ")") + ": file '" + t.file + "' resolves to " +
                            real.string() + ", outside the case directory (symlink escape)");
        }
        names.emplace_back(t.stage, t.name, i);
        if (t.file.find('/') == std::string::npos) {
            files.emplace_back(t.file, std::string_view(), i);
        } else {
            std::string norm = fs::path(t.file).lexically_normal().generic_string();
            if (norm.size() > 1 && norm.back() == '/') norm.pop_back();  // "a/." is "a/": the name "a"
            normalised.push_back(std::move(norm));
            files.emplace_back(normalised.back(), std::string_view(), i);
        }
    }
    // (stage, name) and file are unique: sorted keys, not a scan of the earlier tensors per tensor.
    // The first repeat in manifest order is reported, a (stage, name) before a file at one index.
    const auto name_repeat = first_repeat(names);
    const auto file_repeat = first_repeat(files);
    if (name_repeat.first != std::string::npos && name_repeat.first <= file_repeat.first) {
        const TensorInfo& t = m.tensors[name_repeat.first];
        throw Error(mpath + ": tensors[" + std::to_string(name_repeat.first) + "]: duplicate (stage, name) (" +
                    t.stage + ", " + t.name + "), also tensors[" + std::to_string(name_repeat.second) + "]");
    }
    if (file_repeat.first != std::string::npos) {
        const TensorInfo& t = m.tensors[file_repeat.first];
        throw Error(mpath + ": tensors[" + std::to_string(file_repeat.first) + "] (" + t.stage + "/" + t.name +
                    "): file '" + t.file + "' is also used by tensors[" + std::to_string(file_repeat.second) + "]");
    }
    return m;
}

std::vector<std::uint8_t> load_tensor(const TensorInfo& info, bool verify_sha256) {
    std::vector<std::uint8_t> data = read_bin(info.path, info.nbytes());
    if (verify_sha256 && !info.sha256.empty()) {
        const std::string got = sha256_hex(data.data(), data.size());
        if (got != info.sha256)
            throw Error(info.path + ": sha256 mismatch (tensor " + info.stage + "/" + info.name + "): manifest says " +
                        info.sha256 + ", file has " + got);
    }
    return data;
}

}  // namespace pyalign
