// pyalign — Pillow-exact resize: PIL.Image.resize((w, h), filter) of uint8 L / RGB / RGBA images.
//
// Reproduces Pillow's own algorithm byte for byte (checked against Pillow 9.5 to 13.0 on x86-64):
//   * filters BOX, BILINEAR, HAMMING, BICUBIC (a = -0.5), LANCZOS (3 lobes) are separable
//     convolutions: per output index the filter is evaluated in double on the input pixels within
//     support * max(1, in/out) of the centre (in0 + (i + 0.5) * in/out), the weights are divided by
//     their sum and turned into fixed point with 22 fractional bits (rounded half away from zero);
//     a pixel is (2^21 + sum(p * w)) >> 22 clamped to 0..255;
//   * the two passes go through a uint8 intermediate, the horizontal one first except for the
//     sizes where the Pillow release runs the vertical one first (PilPassOrder); a pass is
//     skipped when its side is unchanged, an unchanged size is a plain copy;
//   * RGBA (4 channels) is premultiplied first (c * a / 255, Pillow's rounding), resized, and
//     divided back (255 * c / a, truncated; alpha 0 and 255 keep the colour as it is), except for
//     NEAREST, which Pillow applies to RGBA as it is;
//   * NEAREST is Pillow's affine scale: source x = int(position), the position starting at s / 2
//     (s = in/out) and advanced by adding s in double pixel by pixel (rows likewise).
// Plain C++17, integer arithmetic after the coefficient tables; the tables are computed in double
// with the same operations in the same order as Pillow (no FMA: -ffp-contract=off).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {

/// Pillow's resampling filters (Image.Resampling.NEAREST ... LANCZOS).
enum class PilFilter { Nearest, Box, Bilinear, Hamming, Bicubic, Lanczos };

/// The pass order of Pillow's resampling, the one thing that differs between the Pillow releases
/// reproduced here (9.0 to 13.0): with both passes needed, the horizontal one runs first except
///   Pillow13   (13.0 and later): when the height shrinks and by more than twice as many pixels as
///              the width does (2 * (src_w - dst_w) < src_h - dst_h);
///   Pillow12_2 (12.2, 12.3): when the image is more than 100 times taller than wide
///              (src_h > 100 * src_w) and its height shrinks;
///   Pillow9    (9.0 to 12.1): never.
enum class PilPassOrder { Pillow13, Pillow12_2, Pillow9 };

/// The order of Pillow release major.minor; throws pyalign::Error before 9.0.
PilPassOrder pil_pass_order(int major, int minor);
/// Whether that release runs the vertical pass first for this resize (both passes needed or not).
bool pil_vertical_first(int src_w, int src_h, int dst_w, int dst_h, PilPassOrder order);

/// "nearest" | "box" | "linear" | "hamming" | "cubic" | "lanczos"; throws pyalign::Error.
PilFilter parse_pil_filter(const std::string& name);
const char* pil_filter_name(PilFilter filter);

/// Image.resize((dst.width, dst.height), filter) with Pillow's defaults (box = whole image,
/// reducing_gap = None) for uint8 images of 1 (mode L), 3 (RGB) or 4 (RGBA) channels, any sizes
/// (1 px included) and strides, as Pillow release `order` computes it. src and dst must not overlap.
/// Throws pyalign::Error.
void resize_pil(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, PilFilter filter,
                PilPassOrder order = PilPassOrder::Pillow13);

namespace detail {

/// Fractional bits of Pillow's 8-bit fixed-point coefficients.
inline constexpr int kPilPrecisionBits = 22;

/// The filter as Pillow evaluates it (Nearest has none and returns 0).
double pil_filter_weight(PilFilter filter, double x);
/// Pillow's support radius of the filter at scale 1 (0.5, 1, 1, 2, 3; 0 for Nearest).
double pil_filter_support(PilFilter filter);

/// Coefficients of one axis. Pillow's own table is (first[i], count[i], the count[i] weights);
/// `coef` holds the same weights, laid out with a uniform `taps` per output starting at `start[i]`
/// (start[i] <= first[i], start[i] + taps <= in_size, zero weights elsewhere), which changes no
/// sum.
struct PilTaps {
    int in_size = 0, out_size = 0, taps = 0;
    std::vector<int32_t> first, count;  // Pillow's xmin and xmax - xmin per output
    std::vector<int32_t> start;         // first source index read per output
    std::vector<int32_t> coef;          // out_size * taps weights with 22 fractional bits
};
PilTaps pil_taps(int in_size, int out_size, PilFilter filter);

/// Source index of every output index for Nearest (-1 when Pillow would leave the pixel 0).
std::vector<int32_t> pil_nearest_index(int in_size, int out_size);

/// resize_pil with the pass order given (it matters when both passes run).
void resize_pil_ordered(const ImageView<const uint8_t>& src, const ImageView<uint8_t>& dst, PilFilter filter,
                        bool vertical_first);

}  // namespace detail
}  // namespace pyalign
