// pyalign — channel swap, per-channel normalisation and tensor layout (the last preprocessing steps).
//
// For an H x W image with C interleaved channels (HWC), output channel c reads input channel
//   src_c = swap_rb && c <= 2 ? 2 - c : c
// and, when normalising, computes in float32 exactly what numpy computes for
//   (x.astype(np.float32) - np.float32(mean[c])) / np.float32(std[c])
// i.e. one float32 subtraction then one IEEE float32 division (never a multiplication by 1/std, never
// an FMA). mean/std index the OUTPUT channels (after the swap), like a spec's swap_rb-then-normalize.
// Layouts: HW (1 channel only, no channel axis), HWC, CHW, NHWC, NCHW (the N forms add a batch of 1).
// Without normalisation the values pass through (uint8 stays uint8, or is converted to float32 exactly).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {

enum class Layout { HW, HWC, CHW, NHWC, NCHW };

/// "HW", "HWC", "CHW", "NHWC", "NCHW".
Layout parse_layout(const std::string& name);  // throws pyalign::Error
const char* layout_name(Layout l);
/// True for CHW and NCHW (one plane per channel).
inline bool layout_is_planar(Layout l) { return l == Layout::CHW || l == Layout::NCHW; }

struct NormalizeSpec {
    int channels = 3;        ///< 1..4
    bool swap_rb = false;    ///< swap channels 0 and 2 (needs 3 or 4 channels)
    bool normalize = false;  ///< apply (x - mean[c]) / std[c] in float32
    float mean[4] = {0.f, 0.f, 0.f, 0.f};
    float stdv[4] = {1.f, 1.f, 1.f, 1.f};
    bool to_float = false;   ///< float32 output (required when normalize)
    Layout layout = Layout::HWC;
};

/// Throws pyalign::Error when the spec is inconsistent (channels, swap on 1/2 channels, HW with C != 1,
/// std 0 or non-finite mean/std, normalize with uint8 output).
void validate_normalize(const NormalizeSpec& spec);

/// Number of elements of the output tensor for an H x W image.
std::size_t normalized_elements(const NormalizeSpec& spec, int height, int width);

/// Writes rows of an H x W x C uint8 image into the final tensor (float32 or uint8, per spec), one row
/// at a time in any order: the building block of the fused pipeline.
class RowWriter {
public:
    RowWriter(const NormalizeSpec& spec, int height, int width);  // throws pyalign::Error

    int height() const { return h_; }
    int width() const { return w_; }
    const NormalizeSpec& spec() const { return spec_; }

    /// Row y (width*channels uint8, interleaved) into dst, the tensor's first element
    /// (float* when spec.to_float, else uint8_t*).
    void write_row(int y, const uint8_t* row, void* dst) const;
    /// Pixels [x0, x0 + n) of row y, all set to the value `pixel` (channels uint8, interleaved).
    void fill_pixels(int y, int x0, int n, const uint8_t* pixel, void* dst) const;

private:
    NormalizeSpec spec_;
    int h_, w_;
    int src_ch_[4];
    std::vector<float> mrow_, srow_;  // mean/std repeated over one tile of interleaved elements
    std::vector<float> rrow_;         // 1 / std, likewise
    float recip_[4] = {1.f, 1.f, 1.f, 1.f};
    bool fast_div_ = false;  // the SIMD kernels' corrected reciprocal equals the division for every uint8
};

/// The whole image: src is H x W x C uint8 (contiguous), dst holds normalized_elements() values.
void normalize_u8(const uint8_t* src, int height, int width, const NormalizeSpec& spec, void* dst);
/// The same for a float32 image (spec.to_float must be true).
void normalize_f32(const float* src, int height, int width, const NormalizeSpec& spec, float* dst);

}  // namespace pyalign
