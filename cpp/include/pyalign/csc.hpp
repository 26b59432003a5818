// pyalign — colour-space conversion (CSC) between YUV frames and BGR/RGB images.
//
// Pixel formats: one table, kPixelFormats below (name, alias, family, channels, bits per pixel,
// chroma subsampling, byte offsets of Y/U/V), read by every function that needs a fact about a
// format. Frames are C-contiguous uint8, exactly as cv2.cvtColor takes them (frame_shape), e.g.
//   YUV420SP (NV12): H rows of Y (W bytes), then H/2 rows of interleaved U,V (W bytes)  -> (H*3/2, W)
//   YUYV422  (YUY2): H rows of Y0 U Y1 V ... (2W bytes)                                 -> (H, W, 2)
//   BGR / RGB      : (H, W, 3);  GRAY: (H, W)
// The width must be a multiple of the horizontal chroma subsampling, the height of the vertical one.
//
// YUV -> BGR/RGB modes:
//   OpenCV       : cv2.cvtColor's BT.601 limited-range 20-bit fixed point, byte for byte:
//                  y = max(Y-16, 0)*1220542, u = U-128, v = V-128,
//                  R = sat((y + 2^19 + 1673527 v) >> 20), G = sat((y + 2^19 - 852492 v - 409993 u) >> 20),
//                  B = sat((y + 2^19 + 2116026 u) >> 20); chroma replicated 2x2 (4:2:0) or 2x1 (4:2:2).
//   Matrix       : a Pulsar2 `csc_mat` (3x4, row-major; rows R, G, B; columns Y, U, V, bias) whose bias
//                  column is in units of 256, applied to the raw samples in float64 (no FMA):
//                    x_k = ((m[k][0]*Y + m[k][1]*U) + m[k][2]*V) + m[k][3]*256
//                  then rounded half away from zero as floor(x + 0.5) (the sum x + 0.5 rounded to double
//                  first) and saturated to 0..255 -- exactly numpy's
//                  clip(sign(x)*floor(abs(x)+0.5), 0, 255) in float64. Entries must be finite, |m| <= 1000.
//   FullRange    : Matrix with BT.601 full range (JFIF): R = Y + 1.402 (V-128),
//                  G = Y - 0.344136 (U-128) - 0.714136 (V-128), B = Y + 1.772 (U-128), biases folded into
//                  column 4 (e.g. -1.402*128/256), see full_range_matrix().
//   LimitedRange : Matrix with BT.601 limited range, Pulsar2's documented coefficients:
//                  R = 1.164 (Y-16) + 1.596 (V-128), G = 1.164 (Y-16) - 0.392 (U-128) - 0.813 (V-128),
//                  B = 1.164 (Y-16) + 2.017 (U-128) (biases folded: -(1.164*16 + 1.596*128)/256, ...).
//
// BGR/RGB -> YUV (mode OpenCV only), OpenCV's integer rules:
//   4:2:0 (COLOR_BGR2YUV_I420 with U,V interleaved): Y = (269484 R + 528482 G + 102760 B + 2^19 + 16*2^20) >> 20,
//     U = (-155188 R - 305135 G + 460324 B + 2^19 + 128*2^20) >> 20,
//     V = (460324 R - 385875 G - 74448 B + 2^19 + 128*2^20) >> 20, U,V from the top-left pixel of each 2x2 block.
//   4:2:2 (COLOR_BGR2YUV_YUY2 / _UYVY), 14-bit: Y = (4211 R + 8258 G + 1606 B + 16*2^14 + 2^13) >> 14,
//     with sums of the pixel pair sR, sG, sB: U = sat((-1212 sR - 2384 sG + 3596 sB + 2^13*256 + 2^13) >> 14),
//     V = sat((3596 sR - 3015 sG - 582 sB + 2^13*256 + 2^13) >> 14)  (arithmetic shifts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {

enum class PixelFormat { BGR, RGB, GRAY, YUV420SP, YVU420SP, YUYV422, UYVY422 };

/// How the bytes of a frame are arranged.
enum class PixelFamily {
    PackedRgb,      ///< one B,G,R (or R,G,B) triple per pixel
    Gray,           ///< one luma byte per pixel
    SemiPlanarYuv,  ///< a Y plane, then one plane of interleaved U/V pairs
    PackedYuv,      ///< macro-pixels of luma and chroma bytes (Y0 U Y1 V, ...)
};

/// One row of the pixel-format table (the model is libyuv's FourCC table). pyalign/formats.py holds
/// the same table for Python; tests/test_formats.py checks that the two agree.
struct PixelFormatInfo {
    PixelFormat format;
    const char* name;    ///< canonical name (specs, manifests, messages)
    const char* alias;   ///< the FourCC / OpenCV name also accepted when parsing, "" when none
    PixelFamily family;
    int channels;        ///< channels of the decoded image: 1 for GRAY, 3 otherwise
    int bits_per_pixel;  ///< a frame has width * height * bits_per_pixel / 8 bytes
    int sub_x, sub_y;    ///< chroma subsampling: width % sub_x == 0 and height % sub_y == 0
    /// Byte positions of Y, U, V: in a packed YUV macro-pixel (Y0 U Y1 V = 0, 1, 3; the second luma
    /// byte is 2 after the first), in a semi-planar chroma pair (U, V; Y 0); -1 without chroma.
    int y_offset, u_offset, v_offset;
};

/// The table, one row per PixelFormat, in enum order.
inline constexpr PixelFormatInfo kPixelFormats[] = {
    // format                name        alias   family                      ch bpp sub   Y   U   V
    {PixelFormat::BGR,      "BGR",      "",     PixelFamily::PackedRgb,     3, 24, 1, 1, -1, -1, -1},
    {PixelFormat::RGB,      "RGB",      "",     PixelFamily::PackedRgb,     3, 24, 1, 1, -1, -1, -1},
    {PixelFormat::GRAY,     "GRAY",     "",     PixelFamily::Gray,          1, 8,  1, 1, -1, -1, -1},
    {PixelFormat::YUV420SP, "YUV420SP", "NV12", PixelFamily::SemiPlanarYuv, 3, 12, 2, 2, 0,  0,  1},
    {PixelFormat::YVU420SP, "YVU420SP", "NV21", PixelFamily::SemiPlanarYuv, 3, 12, 2, 2, 0,  1,  0},
    {PixelFormat::YUYV422,  "YUYV422",  "YUY2", PixelFamily::PackedYuv,     3, 16, 2, 1, 0,  1,  3},
    {PixelFormat::UYVY422,  "UYVY422",  "UYVY", PixelFamily::PackedYuv,     3, 16, 2, 1, 1,  0,  2},
};

/// The table row of f.
const PixelFormatInfo& pixel_format_info(PixelFormat f);
/// A canonical name of the table, or its alias ("NV12" for "YUV420SP").
PixelFormat parse_pixel_format(const std::string& name);  // throws pyalign::Error
const char* pixel_format_name(PixelFormat f);
/// The canonical names in table order (the colours a capture manifest may give a tensor).
std::vector<std::string> pixel_format_names();
bool is_yuv(PixelFormat f);
/// Channels of the decoded image: 1 for GRAY, 3 otherwise (YUV formats decode to 3).
int decoded_channels(PixelFormat f);
/// Throws pyalign::Error unless width/height are positive, not too large and multiples of the
/// format's chroma subsampling ("YUV420SP needs an even width, got 7").
void check_frame_size(PixelFormat f, int width, int height);
/// Bytes of one width x height frame in format f (after check_frame_size).
std::size_t frame_bytes(PixelFormat f, int width, int height);
/// The array shape of a frame as cv2.cvtColor takes it: (H, W, 3), (H, W), (H*3/2, W), (H, W, 2).
std::vector<std::size_t> frame_shape(PixelFormat f, int width, int height);

enum class CscMode { OpenCV, FullRange, LimitedRange, Matrix };
/// "opencv", "full_range", "limited_range", "matrix".
CscMode parse_csc_mode(const std::string& name);  // throws pyalign::Error
const char* csc_mode_name(CscMode m);

/// A 3x4 Pulsar2 csc_mat (rows R, G, B; columns Y, U, V, bias in units of 256), float64.
struct CscMatrix {
    double m[3][4];
};

/// The matrix of a non-OpenCV mode. `matrix` (12 numbers, row-major) is required for Matrix only and
/// must be finite with |entry| <= 1000. Throws pyalign::Error for OpenCV mode and bad matrices.
CscMatrix csc_matrix(CscMode mode, const double* matrix = nullptr);

/// Converts rows of a YUV frame into BGR or RGB rows, on demand (for streaming pipelines).
class YuvRowConverter {
public:
    /// src: YUV420SP, YVU420SP, YUYV422 or UYVY422; matrix only for CscMode::Matrix.
    YuvRowConverter(PixelFormat src, int width, int height, bool to_rgb, CscMode mode = CscMode::OpenCV,
                    const double* matrix = nullptr);

    int width() const { return width_; }
    int height() const { return height_; }

    /// Row y (0 <= y < height) of `frame` (frame_bytes(src, width, height) contiguous bytes)
    /// into out (width*3 bytes). Thread-safe (no shared scratch).
    void convert_row(const uint8_t* frame, int y, uint8_t* out) const;
    /// Only the columns cols[0..n) (each in [0, width), any order) of row y into out (n*3 bytes):
    /// out pixel i equals pixel cols[i] of convert_row's result (e.g. the columns a downscale reads).
    void convert_columns(const uint8_t* frame, int y, const int32_t* cols, int n, uint8_t* out) const;
    /// Row dy (0 <= dy < height/2) of the exact 2x downscale of the converted image into out
    /// (width/2*3 bytes): per channel (a + b + c + d + 2) >> 2 of the 2x2 block of convert_row's
    /// pixels, i.e. cv::resize INTER_LINEAR (= INTER_AREA at exact 2x) of the converted image.
    /// Needs an even height (4:2:0 has one).
    void convert_area2_row(const uint8_t* frame, int dy, uint8_t* out) const;
    /// All rows into dst (height rows of width*3 bytes, `dst_stride` bytes apart). `threads` splits
    /// the rows across that many threads (0: one per CPU); the result does not depend on it.
    void convert(const uint8_t* frame, uint8_t* dst, std::ptrdiff_t dst_stride, int threads = 1) const;

private:
    // convert_row with the kernels of a SIMD level (nullptr: portable), chosen once per call.
    void convert_row_using(const uint8_t* frame, int y, uint8_t* out, const void* kernels) const;
    // Pixels [x, x + n) of row y (x, n even) with the portable loops.
    void convert_span(const uint8_t* frame, int y, int x, int n, uint8_t* out) const;

    PixelFormat src_;
    int width_, height_;
    bool to_rgb_;
    CscMode mode_;
    CscMatrix mat_{};
};

/// Whole-frame YUV -> BGR/RGB (dst: height*width*3 bytes, contiguous), rows split across `threads`.
void yuv_to_rgb(const uint8_t* frame, PixelFormat src, int width, int height, uint8_t* dst, bool to_rgb,
                CscMode mode = CscMode::OpenCV, const double* matrix = nullptr, int threads = 1);

/// BGR/RGB (height*width*3 bytes, contiguous; src_is_rgb says which) -> a YUV frame of format dst_fmt
/// (frame_bytes(dst_fmt, width, height) bytes), OpenCV's rules.
void rgb_to_yuv(const uint8_t* src, int width, int height, bool src_is_rgb, PixelFormat dst_fmt, uint8_t* dst,
                int threads = 1);

}  // namespace pyalign
