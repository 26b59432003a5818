// pyalign — tensor I/O for board programs: raw .bin files and capture sets (format version 1).
//
// A capture set is a directory with one raw little-endian .bin file per tensor and a
// manifest.json (see docs/capture-format.md). This header lets a board-side C++ program
//   * load a capture's tensors by stage name (read_manifest + load_tensor), and
//   * dump its own stages as a capture set that `pyalign compare` reads (CaptureWriter).
//
//   pyalign::Manifest m = pyalign::read_manifest("captures/cat_001");
//   const pyalign::TensorInfo& raw = m.find("raw_input");
//   std::vector<std::uint8_t> img = pyalign::load_tensor(m, raw);   // exact size + sha256 check
//
//   pyalign::CaptureWriter w("board_out/cat_001");
//   w.add("preprocessed", "images", pyalign::DType::f32, {1, 3, 640, 640}, tensor.data(), "NCHW", "RGB");
//   w.add("postprocessed", "detections", pyalign::DType::f32, {n, 6}, dets.data(), "", "", "detections");
//   w.commit();   // .bin files first, manifest.json last, swapped in atomically
//
// Every failure throws pyalign::Error naming the file and what is wrong. Data are
// stored little-endian; the library assumes a little-endian host (x86-64, aarch64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/dtype.hpp"
#include "pyalign/sha256.hpp"

namespace pyalign {

// DType (u8 i8 u16 i16 u32 i32 i64 f16 f32 f64), dtype_from_name(), dtype_name() and
// dtype_size() are the library's one element-type vocabulary, declared in dtype.hpp.

/// The DType of a C++ element type (uint16_t stands for float16 data only if you say so explicitly).
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<std::uint16_t>() { return DType::u16; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::i16; }
template <> constexpr DType dtype_of<std::uint32_t>() { return DType::u32; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }

/// Bytes of a tensor of this shape and dtype; throws Error for a negative entry or an overflow.
std::size_t tensor_nbytes(const std::vector<std::int64_t>& shape, DType dtype);

// Sha256, sha256_hex() and sha256_file() are declared in sha256.hpp (included above).

// ------------------------------------------------------------------------------- raw .bin files

/// Size of a regular file in bytes; throws Error if it is missing or not a regular file.
std::uint64_t file_size(const std::string& path);

/// Throws the Error read_bin_into() would when the file does not hold exactly `nbytes` bytes
/// (missing, not a regular file, truncated, longer): a check before allocating a buffer.
void check_bin_size(const std::string& path, std::size_t nbytes);

/// Read a .bin file that must hold exactly `nbytes` bytes into `dst`.
/// Throws Error ("<path>: truncated: file is X bytes, expected Y" / "longer than expected" / missing).
void read_bin_into(const std::string& path, void* dst, std::size_t nbytes);

/// Read a .bin file that must hold exactly `nbytes` bytes (its size is checked before the
/// buffer is allocated).
std::vector<std::uint8_t> read_bin(const std::string& path, std::size_t nbytes);

/// Read a .bin file of `count` elements of T (exact size check, before allocating).
template <typename T>
std::vector<T> read_bin_as(const std::string& path, std::size_t count) {
    if (count > static_cast<std::size_t>(-1) / sizeof(T))
        throw Error(path + ": " + std::to_string(count) + " elements of " + std::to_string(sizeof(T)) +
                    " bytes overflow a size");
    check_bin_size(path, count * sizeof(T));
    std::vector<T> out(count);
    read_bin_into(path, out.data(), count * sizeof(T));
    return out;
}

/// Write `nbytes` bytes to `path` atomically: a temporary file in the same directory,
/// flushed to disk, then renamed over `path`.
void write_bin(const std::string& path, const void* data, std::size_t nbytes);

// ------------------------------------------------------------------------------- manifests

/// One tensor entry of a manifest.
struct TensorInfo {
    std::string stage;   ///< raw_input | preprocessed | model_output | postprocessed
    std::string name;
    std::string file;    ///< relative to the case directory
    DType dtype = DType::u8;
    std::vector<std::int64_t> shape;
    std::string layout;  ///< empty when absent
    std::string color;
    std::string kind;
    std::string sha256;  ///< lowercase hex, empty when absent
    std::string path;    ///< case directory + "/" + file

    std::size_t nbytes() const { return tensor_nbytes(shape, dtype); }
    std::size_t count() const { return nbytes() / dtype_size(dtype); }
};

/// A capture set's manifest, validated (format, version, stages, dtypes, shapes, file names
/// that stay inside the case directory, no duplicate (stage, name)).
struct Manifest {
    std::string dir;        ///< the case directory
    std::string case_name;  ///< manifest "case"
    int version = 1;
    std::vector<TensorInfo> tensors;

    /// The tensor (stage, name); with an empty name the stage's only tensor. Throws Error otherwise.
    const TensorInfo& find(const std::string& stage, const std::string& name = "") const;
    /// Whether such a tensor exists.
    bool has(const std::string& stage, const std::string& name = "") const;
};

/// The stage names of format version 1, in pipeline order.
const std::vector<std::string>& capture_stages();

/// Parse and validate `<case_dir>/manifest.json`. Throws Error naming the file and the problem.
Manifest read_manifest(const std::string& case_dir);

/// Parse and validate manifest JSON text whose tensors' files live in `case_dir` (read_manifest
/// without reading the file; file names are still checked against the directory).
Manifest parse_manifest(const std::string& json_text, const std::string& case_dir);

/// Load one tensor's bytes with an exact size check (and the sha256 check when the
/// manifest has one and `verify_sha256` is true).
std::vector<std::uint8_t> load_tensor(const TensorInfo& info, bool verify_sha256 = true);

/// Load one tensor as elements of T; throws Error when T does not match its dtype.
template <typename T>
std::vector<T> load_tensor_as(const TensorInfo& info, bool verify_sha256 = true) {
    if (info.dtype != dtype_of<T>())
        throw Error(info.path + ": tensor " + info.stage + "/" + info.name + " is " + dtype_name(info.dtype) +
                    ", not " + dtype_name(dtype_of<T>()));
    std::vector<std::uint8_t> bytes = load_tensor(info, verify_sha256);
    std::vector<T> out(info.count());
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

// ------------------------------------------------------------------------------- writer

/// Writes one capture set atomically, the way pyalign's Python writer does: each tensor
/// goes to a temporary file in a temporary sibling directory as it is added; commit()
/// names the files (`<stage>.bin`, or `<stage>.<name>.bin` when a stage has several),
/// writes manifest.json last and swaps the directory in for the case. Nothing is visible
/// at `dir` before commit() returns; a writer destroyed without commit() removes its files.
class CaptureWriter {
public:
    /// `case_name` defaults to the last component of `dir`. Throws Error if `dir` exists and
    /// is neither a capture set nor an empty directory.
    explicit CaptureWriter(std::string dir, std::string case_name = "");
    ~CaptureWriter();
    CaptureWriter(const CaptureWriter&) = delete;
    CaptureWriter& operator=(const CaptureWriter&) = delete;

    /// Write one tensor of `tensor_nbytes(shape, dtype)` bytes from `data` (little-endian,
    /// C-contiguous). layout/color/kind may be empty. Throws Error for an unknown stage,
    /// an empty or duplicate name, or a layout whose length differs from the shape's.
    void add(const std::string& stage, const std::string& name, DType dtype, const std::vector<std::int64_t>& shape,
             const void* data, const std::string& layout = "", const std::string& color = "",
             const std::string& kind = "");

    /// Store this JSON text verbatim as the manifest's "spec" (must be a JSON object).
    void set_spec_json(const std::string& json_object);

    /// Write the manifest and swap the case in. Returns the written manifest.
    Manifest commit();

    /// Discard everything written so far.
    void abort();

    /// The manifest JSON text commit() would write (for tests and logs).
    std::string manifest_json() const;

private:
    struct Pending {
        TensorInfo info;
        std::string tmp_path;
    };
    void ensure_tmpdir();
    void assign_files();
    std::string dir_;
    std::string case_;
    std::string tmpdir_;
    std::string spec_json_;
    std::string created_utc_;
    std::vector<Pending> pending_;
    bool done_ = false;
};

}  // namespace pyalign
