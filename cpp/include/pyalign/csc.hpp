// pyalign — colour-space conversion (CSC) between YUV frames and BGR/RGB images.
//
// Frame layouts (all C-contiguous, uint8, exactly as cv2.cvtColor takes them):
//   YUV420SP (NV12): H rows of Y (W bytes), then H/2 rows of interleaved U,V (W bytes)  -> (H*3/2, W)
//   YVU420SP (NV21): the same with V,U interleaved                                      -> (H*3/2, W)
//   YUYV422  (YUY2): H rows of Y0 U Y1 V ... (2W bytes)                                 -> (H, W, 2)
//   UYVY422        : H rows of U Y0 V Y1 ... (2W bytes)                                 -> (H, W, 2)
//   BGR / RGB      : (H, W, 3);  GRAY: (H, W)
// 4:2:x formats need an even width, and 4:2:0 an even height.
//
// YUV -> BGR/RGB modes:
//   OpenCV       : cv2.cvtColor's BT.601 limited-range 20-bit fixed point, byte for byte:
//                  y = max(Y-16, 0)*1220542, u = U-128, v = V-128,
//                  R = sat((y + 2^19 + 1673527 v) >> 20), G = sat((y + 2^19 - 852492 v - 409993 u) >> 20),
//                  B = sat((y + 2^19 + 2116026 u) >> 20); chroma replicated 2x2 (4:2:0) or 2x1 (4:2:2).
//   FullRange    : BT.601 full range (JFIF) in float32, see FloatCsc.
//   LimitedRange : BT.601 limited range in float32 with Pulsar2's documented coefficients.
//   Matrix       : a Pulsar2 `csc_mat` (3x4, row-major; rows R, G, B; columns Y, U, V, bias) where the
//                  bias column is in units of 256:  R = m0*Y + m1*U + m2*V + m3*256 (Y, U, V raw bytes).
// Float modes compute, in float32 with no fused multiply-add, for each output channel k:
//   out_k = ((c_k0 * y + c_k1 * u) + c_k2 * v) + c_k3,  y = Y - y_offset, u = U - uv_offset, v = V - uv_offset
// then clamp to [0, 255] and round half away from zero (values are non-negative after the clamp).
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

#include "pyalign/common.hpp"

namespace pyalign {

enum class PixelFormat { BGR, RGB, GRAY, YUV420SP, YVU420SP, YUYV422, UYVY422 };

/// "BGR", "RGB", "GRAY", "YUV420SP" (alias "NV12"), "YVU420SP" ("NV21"), "YUYV422" ("YUY2"), "UYVY422" ("UYVY").
PixelFormat parse_pixel_format(const std::string& name);  // throws pyalign::Error
const char* pixel_format_name(PixelFormat f);
bool is_yuv(PixelFormat f);
/// Channels of the decoded image: 1 for GRAY, 3 otherwise (YUV formats decode to 3).
int decoded_channels(PixelFormat f);
/// Throws pyalign::Error unless width/height are positive, not too large and even where the format needs it.
void check_frame_size(PixelFormat f, int width, int height);
/// Bytes of one width x height frame in format f (after check_frame_size).
std::size_t frame_bytes(PixelFormat f, int width, int height);

enum class CscMode { OpenCV, FullRange, LimitedRange, Matrix };
/// "opencv", "full_range", "limited_range", "matrix".
CscMode parse_csc_mode(const std::string& name);  // throws pyalign::Error
const char* csc_mode_name(CscMode m);

/// Float definition of a YUV -> RGB conversion: out_k = ((c[k][0]*y + c[k][1]*u) + c[k][2]*v) + c[k][3]
/// with y = Y - y_offset, u = U - uv_offset, v = V - uv_offset (float32), rows k = R, G, B.
struct FloatCsc {
    float c[3][4];
    float y_offset;
    float uv_offset;
};

/// The FloatCsc of a float mode. matrix (12 floats, Pulsar2 csc_mat) is required for Matrix only and
/// must be finite. Throws for OpenCV mode (it is integer) and bad matrices.
FloatCsc float_csc(CscMode mode, const float* matrix);

/// Converts rows of a YUV frame into BGR or RGB rows, on demand (for streaming pipelines).
class YuvRowConverter {
public:
    /// src: YUV420SP, YVU420SP, YUYV422 or UYVY422; matrix only for CscMode::Matrix.
    YuvRowConverter(PixelFormat src, int width, int height, bool to_rgb, CscMode mode = CscMode::OpenCV,
                    const float* matrix = nullptr);

    int width() const { return width_; }
    int height() const { return height_; }

    /// Row y (0 <= y < height) of `frame` (frame_bytes(src, width, height) contiguous bytes)
    /// into out (width*3 bytes). Thread-safe (no shared scratch).
    void convert_row(const uint8_t* frame, int y, uint8_t* out) const;
    /// All rows into dst (height rows of width*3 bytes, `dst_stride` bytes apart).
    void convert(const uint8_t* frame, uint8_t* dst, std::ptrdiff_t dst_stride) const;

private:
    PixelFormat src_;
    int width_, height_;
    bool to_rgb_;
    CscMode mode_;
    FloatCsc fcsc_{};
};

/// Whole-frame YUV -> BGR/RGB (dst: height*width*3 bytes, contiguous).
void yuv_to_rgb(const uint8_t* frame, PixelFormat src, int width, int height, uint8_t* dst, bool to_rgb,
                CscMode mode = CscMode::OpenCV, const float* matrix = nullptr);

/// BGR/RGB (height*width*3 bytes, contiguous; src_is_rgb says which) -> a YUV frame of format dst_fmt
/// (frame_bytes(dst_fmt, width, height) bytes), OpenCV's rules.
void rgb_to_yuv(const uint8_t* src, int width, int height, bool src_is_rgb, PixelFormat dst_fmt, uint8_t* dst);

}  // namespace pyalign
