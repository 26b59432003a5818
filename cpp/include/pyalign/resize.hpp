// pyalign — image resize (OpenCV-exact INTER_LINEAR / INTER_NEAREST) and letterbox.
//
// uint8 linear resize reproduces cv::resize(..., INTER_LINEAR) byte for byte:
//   * coordinates: fx = (float)((dx + 0.5) * scale - 0.5), sx = floor(fx), fx -= sx, with
//     scale = src / dst computed as 1 / (dst / src) in double; columns are clamped (weight 1 on the
//     edge pixel), rows keep their weights and only the row index is clamped;
//   * weights are 11-bit fixed point: a0 = round_half_even((1 - fx) * 2048), a1 = round(fx * 2048);
//   * horizontal pass h = S[x0]*a0 + S[x1]*a1 (int32), vertical pass
//     dst = (((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2, saturated to 0..255;
//   * an exact 2x downscale (both axes) is OpenCV's INTER_AREA path: (a+b+c+d+2) >> 2, which the
//     formula above gives for free, except for 2 channels where OpenCV rounds the mean half to even.
// float32 linear resize reproduces OpenCV's own float algorithm (what cv2 computes with
// cv2.ipp.setUseIPP(False)); the x86 wheels' default float path goes through Intel IPP instead.
// The plain C++ loops are the reference: identical results on x86-64 and aarch64. On x86-64 the
// integer row kernels are additionally compiled for AVX2 (function multi-versioning, same source and
// same bits; define PYALIGN_NO_CLONES to build only the portable version), and the horizontal and
// vertical passes of 1, 3 and 4 channels have explicit SSE4.1 / AVX2 / NEON kernels chosen at run
// time (pyalign/simd.hpp), which give the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "pyalign/common.hpp"
#include "pyalign/resize_pil.hpp"  // Pillow-exact resize (resize_pil)

namespace pyalign {

/// Largest width/height (each) accepted by the resize functions; keeps every index in int32.
inline constexpr int kMaxResizeSide = 1 << 20;

namespace detail {
// Row kernels of LinearResizeU8 (defined in resize.cpp); not a stable API.
// Column tables of a LinearResizeU8 (per destination pixel: element offsets of the two taps; per
// destination element: the two 11-bit weights). wide_w: leading pixels whose taps can be read with
// wide copies (4 bytes per tap for 3 channels, 2 bytes for both taps of 1 channel) without
// leaving the source row.
struct LinearTablesU8 {
    int dst_w, channels, wide_w;
    const int32_t* xofs0;
    const int32_t* xofs1;
    const int16_t* alpha0;
    const int16_t* alpha1;
};
// Horizontal pass of one source row into `out` (dst_w*channels int16 values of h >> 4).
// g0, g1: scratch of dst_w*channels + 4 bytes each, adjacent (1 channel uses g0 for 2*dst_w bytes).
void linear_u8_hpass(const uint8_t* src, int16_t* out, const LinearTablesU8& t, uint8_t* g0, uint8_t* g1);
// Vertical pass: dst[i] = sat_u8((((b0*h0[i]) >> 16) + ((b1*h1[i]) >> 16) + 2) >> 2).
void linear_u8_vpass(const int16_t* h0, const int16_t* h1, int16_t b0, int16_t b1, uint8_t* dst, int n);
// Exact 2x downscale in both axes: horizontal pair sums, then (sum + 2) >> 2 (or the mean rounded
// half to even for 2 channels, as OpenCV's INTER_AREA path gives there).
void linear_u8_hpass_area2(const uint8_t* src, int16_t* out, int dst_w, int channels);
void linear_u8_vpass_area2(const int16_t* h0, const int16_t* h1, uint8_t* dst, int n, bool half_even);
// Horizontal pass when destination element i is source element i with weights (2048, 0):
// out[i] = (src[i] * 2048) >> 4 = src[i] << 7.
void linear_u8_hpass_identity(const uint8_t* src, int16_t* out, int n);
// Pure selection with columns picked by xofs0 (all weights (2048, 0)): dst pixel dx = src pixel at
// element offset xofs0[dx]. wide_w: as in LinearTablesU8 (3 channels copy 4 bytes there).
void linear_u8_select(const uint8_t* src, uint8_t* dst, const int32_t* xofs0, int dst_w, int channels, int wide_w);
}  // namespace detail

/// Streaming OpenCV-exact INTER_LINEAR resize of interleaved uint8 images (1..4 channels).
///
/// The resizer pulls source rows through a callback and pushes destination rows through another, so a
/// caller can produce source rows lazily (e.g. converting YUV rows on demand into a small ring) and
/// consume destination rows directly (e.g. normalising them into a CHW float tensor).
///
///   get_row(int y) -> const uint8_t*  : source row y (src_w*channels bytes). Called with y in
///       non-decreasing order, each y at most once per run() (rows may be skipped). The pointer only
///       has to stay valid until the next get_row call (the row is consumed immediately).
///   put_row(int dy, const uint8_t* row): destination row dy (dst_w*channels bytes), dy = 0, 1, ...,
///       dst_h - 1 in order. The pointer is valid only during the call.
///
/// run() may be called several times (one image each). run_rows() computes a range of destination
/// rows with its own scratch, so several threads may run disjoint ranges of one resizer at once
/// (compact_columns() must not run concurrently with them); every row is the same whichever range
/// or thread computes it. The row kernels use the SIMD level in effect when a run starts
/// (pyalign/simd.hpp); every level gives the same bytes.
class LinearResizeU8 {
public:
    LinearResizeU8(int src_w, int src_h, int dst_w, int dst_h, int channels);  // throws pyalign::Error

    int src_width() const { return src_w_; }
    int src_height() const { return src_h_; }
    int dst_width() const { return dst_w_; }
    int dst_height() const { return dst_h_; }
    int channels() const { return cn_; }

    /// Source rows (y0, y1, both already clamped to [0, src_h-1]) and weights of destination row dy.
    int row_y0(int dy) const { return yofs0_[static_cast<std::size_t>(dy)]; }
    int row_y1(int dy) const { return yofs1_[static_cast<std::size_t>(dy)]; }

    /// Restricts the source columns this resizer reads to those that carry a non-zero weight (for a
    /// downscale most columns are never read) and returns them, sorted (source column indices).
    /// After a call that returns a non-empty list, get_row(y) must return a COMPACT row: only those
    /// columns, in that order (list.size() * channels bytes). The results are unchanged: the taps
    /// skipped have weight 0 in OpenCV's formula. Returns an empty list (and changes nothing) when
    /// every column is needed, when more than `max_columns` would be kept, or for the exact-2x path.
    /// Call it before run().
    std::vector<int32_t> compact_columns(int max_columns = kMaxResizeSide);

    /// Bytes of one source row as get_row must deliver it (src_w*channels, or compact).
    std::size_t source_row_bytes() const { return static_cast<std::size_t>(src_row_px_) * static_cast<std::size_t>(cn_); }

    template <class GetRow, class PutRow>
    void run(GetRow&& get_row, PutRow&& put_row) const {
        run_rows(0, dst_h_, get_row, put_row);
    }

    /// Like run(), but destination row dy is written straight to dst_row(dy) (a uint8_t* to
    /// dst_w*channels writable bytes), saving a copy.
    template <class GetRow, class DstRow>
    void run_into(GetRow&& get_row, DstRow&& dst_row) const {
        run_rows_into(0, dst_h_, get_row, dst_row);
    }

    /// run() / run_into() restricted to destination rows [dy0, dy1) (0 <= dy0 <= dy1 <= dst_h):
    /// get_row is called for the source rows those need (non-decreasing), put_row / dst_row for
    /// dy0 .. dy1-1 in order.
    template <class GetRow, class PutRow>
    void run_rows(int dy0, int dy1, GetRow&& get_row, PutRow&& put_row) const;
    template <class GetRow, class DstRow>
    void run_rows_into(int dy0, int dy1, GetRow&& get_row, DstRow&& dst_row) const;

private:
    // Per-run buffers (one set per thread) and the row kernels chosen for the run.
    struct Scratch {
        std::vector<int16_t> hbuf;  // 2 rows of horizontal results (each with kernel slack)
        std::vector<uint8_t> gbuf;  // gathered taps of one row (2 planes)
        std::vector<uint8_t> obuf;  // one destination row
        const void* kernels = nullptr;
        std::size_t slot = 0;       // elements between the two rows of hbuf
    };
    Scratch make_scratch() const;
    void hpass(const uint8_t* src, int16_t* out, Scratch& s) const;
    void vpass(const int16_t* h0, const int16_t* h1, int dy, uint8_t* out, const Scratch& s) const;

    // select(dy, row): pure-selection case, destination row dy equals source row `row`.
    template <class GetRow, class DstRow, class Done, class Select>
    void run_impl(int dy0, int dy1, GetRow& get_row, DstRow& dst_row, Done& done, Select& select, Scratch& s) const;

    void update_fast_paths();  // wide_w_, unit_cols_, identity_cols_, select_rows_, SIMD tables
    void update_simd_tables();

    int src_w_, src_h_, dst_w_, dst_h_, cn_;
    std::vector<int32_t> xofs0_, xofs1_;  // per destination pixel: element offset of the two taps
    std::vector<int16_t> alpha0_, alpha1_;  // per destination element: a0, a1
    int wide_w_ = 0;
    std::vector<int32_t> yofs0_, yofs1_;  // per destination row: clamped source rows
    std::vector<int16_t> beta_;           // per destination row: b0, b1
    std::vector<uint8_t> whi_, wlo_;      // SIMD kernels: weights split 64 * hi + lo, as byte pairs
    int simd_w_ = 0;                      // leading destination pixels the SIMD kernels may compute
    bool area2_ = false;                  // exact 2x downscale in both axes (fast path)
    int src_row_px_ = 0;                  // pixels of a source row as get_row delivers it
    bool unit_cols_ = false;              // every column weight pair is (2048, 0)
    bool identity_cols_ = false;          // unit_cols_ and (compact) row element i is destination element i
    bool select_rows_ = false;            // every destination row is one source row with weights (2048, 0),
                                          // source rows strictly increasing
};

template <class GetRow, class DstRow, class Done, class Select>
void LinearResizeU8::run_impl(int dy0, int dy1, GetRow& get_row, DstRow& dst_row, Done& done, Select& select,
                              Scratch& s) const {
    if (dy0 < 0 || dy1 > dst_h_ || dy0 > dy1) throw Error("LinearResizeU8: destination rows out of range");
    // Two slots hold the horizontal results of the last two source rows fetched. Destination row dy
    // needs rows y0 <= y1 <= y0 + 1, non-decreasing in dy, so both are always among those two.
    int16_t* slot[2] = {s.hbuf.data(), s.hbuf.data() + s.slot};
    int held[2] = {-1, -1};
    int newest = 0;   // slot holding the most recently fetched row
    int last = -1;    // most recently fetched source row
    if (unit_cols_ && select_rows_) {
        // Pure selection: with weights (2048, 0) on both axes OpenCV's formula gives
        // ((((2048 * (s << 7)) >> 16) + 0 + 2) >> 2) = s: destination pixel (dx, dy) is source pixel
        // (x0, y0); with identity columns the destination row is source row y0 itself.
        for (int dy = dy0; dy < dy1; ++dy) {
            const uint8_t* row = get_row(yofs0_[static_cast<std::size_t>(dy)]);
            if (identity_cols_) {
                select(dy, row);
            } else {
                detail::linear_u8_select(row, dst_row(dy), xofs0_.data(), dst_w_, cn_, wide_w_);
                done(dy);
            }
        }
        return;
    }
    for (int dy = dy0; dy < dy1; ++dy) {
        const int y0 = yofs0_[static_cast<std::size_t>(dy)];
        const int y1 = yofs1_[static_cast<std::size_t>(dy)];
        for (int y : {y0, y1}) {
            if (y > last) {
                const uint8_t* src = get_row(y);
                newest ^= 1;
                hpass(src, slot[newest], s);
                held[newest] = y;
                last = y;
            }
        }
        const int16_t* h0 = held[newest] == y0 ? slot[newest] : slot[newest ^ 1];
        const int16_t* h1 = held[newest] == y1 ? slot[newest] : slot[newest ^ 1];
        vpass(h0, h1, dy, dst_row(dy), s);
        done(dy);
    }
}

template <class GetRow, class DstRow>
void LinearResizeU8::run_rows_into(int dy0, int dy1, GetRow&& get_row, DstRow&& dst_row) const {
    Scratch s = make_scratch();
    auto done = [](int) {};
    const std::size_t n = static_cast<std::size_t>(dst_w_) * static_cast<std::size_t>(cn_);
    auto select = [&](int dy, const uint8_t* row) { std::memcpy(dst_row(dy), row, n); };
    run_impl(dy0, dy1, get_row, dst_row, done, select, s);
}

template <class GetRow, class PutRow>
void LinearResizeU8::run_rows(int dy0, int dy1, GetRow&& get_row, PutRow&& put_row) const {
    Scratch s = make_scratch();
    uint8_t* obuf = s.obuf.data();
    auto dst_row = [obuf](int) { return obuf; };
    auto done = [&](int dy) { put_row(dy, static_cast<const uint8_t*>(obuf)); };
    // pure selection: the source row itself is handed on (no copy)
    auto select = [&](int dy, const uint8_t* row) { put_row(dy, row); };
    run_impl(dy0, dy1, get_row, dst_row, done, select, s);
}

/// cv::resize(src, dst, dst.size(), 0, 0, INTER_LINEAR) for uint8, 1..4 channels (any stride).
/// dst must have the same channel count; sizes given by the views. Throws pyalign::Error.
/// `threads` splits the destination rows across that many threads (0: one per CPU); the result
/// is the same for every thread count. The same holds for the other whole-image functions below.
void resize_linear(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, int threads = 1);
/// OpenCV's own float INTER_LINEAR (what cv2 does with IPP disabled), 1..4 channels.
void resize_linear(const ImageView<const float>& src, const ImageView<float>& dst, int threads = 1);
/// cv::resize(..., INTER_NEAREST): sx = min(floor(dx * (src_w / dst_w)), src_w - 1), 1..4 channels.
void resize_nearest(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, int threads = 1);
void resize_nearest(const ImageView<const float>& src, const ImageView<float>& dst, int threads = 1);
/// Where the resized image sits inside a letterboxed destination, and the gains to map boxes back:
/// x_original = (x - pad_left) / scale_x, y_original = (y - pad_top) / scale_y.
struct LetterboxGeometry {
    double scale_x = 1.0, scale_y = 1.0;
    int pad_left = 0, pad_top = 0, pad_right = 0, pad_bottom = 0;
    int resized_width = 0, resized_height = 0;
    int src_width = 0, src_height = 0;
    int dst_width = 0, dst_height = 0;
};

/// Ultralytics: r = min(dst_h/src_h, dst_w/src_w); resized = round(src*r) (half to even);
///   d = (dst - resized) / 2; top/left = round(d - 0.1), bottom/right = round(d + 0.1).
/// Center (Axera ax-samples get_input_data_letterbox): the ratio stored in a float, resized =
///   int(ratio_f32 * side) computed in float32 (truncated; a limiting side can be one pixel short);
///   top/left = d / 2, bottom/right = d - top. scale_x = scale_y = r (double) for both styles.
/// A content size that rounds/truncates to 0 pixels throws pyalign::Error (cv::resize would fail).
enum class LetterboxStyle { Ultralytics, Center };

LetterboxStyle parse_letterbox_style(const std::string& name);  // "ultralytics" | "center"; throws pyalign::Error

LetterboxGeometry letterbox_geometry(int src_w, int src_h, int dst_w, int dst_h, LetterboxStyle style);

/// Letterbox an interleaved uint8 image (1..4 channels) into dst (dst size = target size):
/// INTER_LINEAR resize (skipped when the size is unchanged) placed at (pad_left, pad_top), the border
/// filled with pad[c] per channel. `out` receives the geometry when not null.
void letterbox(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, const uint8_t* pad,
               LetterboxStyle style, LetterboxGeometry* out = nullptr, int threads = 1);

}  // namespace pyalign
