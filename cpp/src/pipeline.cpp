// pyalign — the fused preprocessing pipeline (see pipeline.hpp).
#include "pyalign/pipeline.hpp"

#include "enum_names.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

namespace pyalign {

namespace {

constexpr int kMaxSide = 1 << 20;

// cv::saturate_cast<uchar>(double): cvRound (half to even), then saturate.
uint8_t pad_to_u8(double v) {
    const double r = std::nearbyint(v);
    return static_cast<uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
}

void check_side(int v, const char* what) {
    if (v <= 0 || v > kMaxSide)
        throw Error(std::string("pipeline: ") + what + " must be in [1, " + std::to_string(kMaxSide) + "], got " +
                    std::to_string(v));
}

// Source rows a linear resize reads only with a zero weight. OpenCV's row rule is
// fy = (float)((dy + 0.5) * (1 / (dst_h / src_h)) - 0.5), sy = floor(fy), weights (1 - f, f) with
// f = fy - sy: when f is exactly 0 the second tap (row sy + 1) gets weight 0, so its content cannot
// change the result and the (costly) YUV conversion of that row can be skipped. Conservative: any
// row whose use is not provably weight-0 is marked needed.
std::vector<char> rows_needed(const LinearResizeU8& rz) {
    const int sh = rz.src_height(), dh = rz.dst_height();
    std::vector<char> needed(static_cast<std::size_t>(sh), 0);
    const double scale = 1.0 / (static_cast<double>(dh) / sh);
    for (int dy = 0; dy < dh; ++dy) {
        const int y0 = rz.row_y0(dy), y1 = rz.row_y1(dy);
        const float fy = static_cast<float>((dy + 0.5) * scale - 0.5);
        const int sy = static_cast<int>(std::floor(fy));
        const bool zero_second = (fy - static_cast<float>(sy)) == 0.0f && sy == y0 && y1 == y0 + 1;
        needed[static_cast<std::size_t>(y0)] = 1;
        if (!zero_second) needed[static_cast<std::size_t>(y1)] = 1;
    }
    return needed;
}

const detail::EnumName<Interpolation> kInterpolationNames[] = {
    {"linear", Interpolation::Linear, false},
    {"nearest", Interpolation::Nearest, false},
};

}  // namespace

Interpolation parse_interpolation(const std::string& name) {
    return detail::parse_enum(kInterpolationNames, name, "interpolation");
}

Pipeline::Pipeline(const PipelineSpec& spec) : spec_(spec) {
    const PixelFormat f = spec.input_format;
    check_side(spec.width, "input width");
    check_side(spec.height, "input height");
    check_frame_size(f, spec.width, spec.height);
    if (is_yuv(f) && !spec.csc)
        throw Error(std::string("pipeline: input format ") + pixel_format_name(f) + " needs a csc op first");
    if (!is_yuv(f) && spec.csc)
        throw Error(std::string("pipeline: csc converts a YUV input, but the input format is ") + pixel_format_name(f));
    if (spec.csc)  // validates the conversion (mode, matrix)
        conv_ = std::make_shared<const YuvRowConverter>(f, spec.width, spec.height, spec.csc_to_rgb, spec.csc_mode,
                                                        spec.csc_mode == CscMode::Matrix ? spec.csc_matrix : nullptr);
    channels_ = decoded_channels(f);
    out_w_ = spec.width;
    out_h_ = spec.height;
    geom_.op = spec.geometry;
    LetterboxGeometry& g = geom_.g;
    g.src_width = spec.width;
    g.src_height = spec.height;
    if (spec.geometry != GeometryOp::None) {
        check_side(spec.dst_width, "output width");
        check_side(spec.dst_height, "output height");
        out_w_ = spec.dst_width;
        out_h_ = spec.dst_height;
    }
    if (spec.geometry == GeometryOp::Letterbox) {
        g = letterbox_geometry(spec.width, spec.height, spec.dst_width, spec.dst_height, spec.letterbox_style);
        for (int c = 0; c < channels_; ++c) {
            const double p = spec.pad_value[c];
            if (!(p >= 0.0 && p <= 255.0))
                throw Error("pipeline: letterbox pad_value[" + std::to_string(c) + "] must be in [0, 255]");
            pad_[c] = pad_to_u8(p);
        }
        if (g.resized_width < 1 || g.resized_height < 1 || g.pad_left < 0 || g.pad_top < 0 ||
            g.pad_left + g.resized_width > out_w_ || g.pad_top + g.resized_height > out_h_)
            throw Error("pipeline: inconsistent letterbox geometry");
    } else {  // resize, or no geometry op (the output is the input size: scale 1)
        g.scale_x = static_cast<double>(out_w_) / spec.width;
        g.scale_y = static_cast<double>(out_h_) / spec.height;
        g.resized_width = g.dst_width = out_w_;
        g.resized_height = g.dst_height = out_h_;
    }
    nspec_.channels = channels_;
    nspec_.swap_rb = spec.swap_rb;
    nspec_.normalize = spec.normalize;
    nspec_.to_float = spec.normalize;
    for (int c = 0; c < 4; ++c) {
        nspec_.mean[c] = spec.mean[c];
        nspec_.stdv[c] = spec.stdv[c];
    }
    nspec_.layout = spec.has_layout ? spec.layout : (channels_ == 1 ? Layout::HW : Layout::HWC);
    if (nspec_.layout == Layout::HW && channels_ != 1)
        throw Error("pipeline: layout HW is only for GRAY images");
    validate_normalize(nspec_);
    const std::size_t H = static_cast<std::size_t>(out_h_), W = static_cast<std::size_t>(out_w_),
                      C = static_cast<std::size_t>(channels_);
    switch (nspec_.layout) {
        case Layout::HW: shape_ = {H, W}; break;
        case Layout::HWC: shape_ = {H, W, C}; break;
        case Layout::CHW: shape_ = {C, H, W}; break;
        case Layout::NHWC: shape_ = {1, H, W, C}; break;
        case Layout::NCHW: shape_ = {1, C, H, W}; break;
    }
    // The same cap as resize: a spec from an untrusted source must not make the run allocate tens of GiB.
    if (output_bytes() > kMaxPipelineOutputBytes)
        throw Error("pipeline: the output tensor " + std::to_string(out_w_) + "x" + std::to_string(out_h_) + "x" +
                    std::to_string(channels_) + " would exceed 16 GiB");
    // Everything run() needs besides the input: the row writer, the converter, the resize tables.
    writer_ = std::make_shared<const RowWriter>(nspec_, out_h_, out_w_);
    const bool linear_resize = spec.geometry == GeometryOp::Resize && spec.interpolation == Interpolation::Linear;
    const bool letterbox_resize = spec.geometry == GeometryOp::Letterbox &&
                                  (g.resized_width != spec.width || g.resized_height != spec.height);
    if (linear_resize || letterbox_resize) {
        auto rz = std::make_shared<LinearResizeU8>(spec.width, spec.height, g.resized_width, g.resized_height, channels_);
        if (conv_) {
            // A linear resize of converted rows converts only the rows and columns it reads with a
            // non-zero weight; columns when that is at most 40% of them (picking columns one by one
            // costs about 2.5x a contiguous conversion per pixel, docs/preprocessing.md).
            needed_ = rows_needed(*rz);
            cols_ = rz->compact_columns(static_cast<int>(static_cast<long long>(spec.width) * 2 / 5));
            area2_csc_ = 2 * g.resized_width == spec.width && 2 * g.resized_height == spec.height;
        }
        rz_ = rz;
    }
}

std::size_t Pipeline::output_elements() const {
    return static_cast<std::size_t>(out_w_) * static_cast<std::size_t>(out_h_) * static_cast<std::size_t>(channels_);
}

void Pipeline::run(const uint8_t* raw, void* dst, int threads) const {
    const PipelineSpec& s = spec_;
    const int C = channels_;
    const std::size_t src_row = static_cast<std::size_t>(s.width) * static_cast<std::size_t>(C);
    detail::resolve_threads(threads);
    const RowWriter& writer = *writer_;
    const YuvRowConverter* conv = conv_.get();
    const std::vector<char>& needed = needed_;
    const std::vector<int32_t>& cols = cols_;
    // The source rows of one thread: a YUV row is converted into the thread's own buffer.
    auto get_row = [&](std::vector<uint8_t>& rowbuf, int y) -> const uint8_t* {
        if (conv) {
            if (rowbuf.empty()) rowbuf.resize(src_row);
            if (needed.empty() || needed[static_cast<std::size_t>(y)]) {
                if (cols.empty())
                    conv->convert_row(raw, y, rowbuf.data());
                else
                    conv->convert_columns(raw, y, cols.data(), static_cast<int>(cols.size()), rowbuf.data());
            }
            return rowbuf.data();  // a skipped row keeps the previous content: it is only weighted by 0
        }
        return raw + static_cast<std::size_t>(y) * src_row;
    };
    // Resized rows [d0, d1) to put(dy, row): a YUV frame halved in both axes goes through the fused
    // conversion + 2x2 mean (convert_area2_row, the same bytes as converting, then resizing);
    // otherwise the resizer pulls its source rows through get_row.
    auto resized_rows = [&](int d0, int d1, std::vector<uint8_t>& rowbuf, auto&& put) {
        if (area2_csc_) {
            std::vector<uint8_t> row(static_cast<std::size_t>(rz_->dst_width()) * static_cast<std::size_t>(C));
            for (int dy = d0; dy < d1; ++dy) {
                conv->convert_area2_row(raw, dy, row.data());
                put(dy, static_cast<const uint8_t*>(row.data()));
            }
        } else {
            rz_->run_rows(d0, d1, [&](int y) { return get_row(rowbuf, y); }, put);
        }
    };
    // Every thread writes its own range of output rows; each row is computed as single-threaded.
    auto split = [&](auto&& rows_fn) { detail::parallel_rows(threads, out_h_, rows_fn); };

    if (s.geometry == GeometryOp::None) {
        if (conv && !nspec_.to_float && !nspec_.swap_rb && !layout_is_planar(nspec_.layout)) {
            // the tensor is the converted image itself: convert straight into it
            conv->convert(raw, static_cast<uint8_t*>(dst), static_cast<std::ptrdiff_t>(src_row), threads);
            return;
        }
        split([&](int y0, int y1) {
            std::vector<uint8_t> rowbuf;
            for (int y = y0; y < y1; ++y) writer.write_row(y, get_row(rowbuf, y), dst);
        });
        return;
    }

    if (s.geometry == GeometryOp::Resize) {
        if (s.interpolation == Interpolation::Linear) {
            split([&](int d0, int d1) {
                std::vector<uint8_t> rowbuf;
                resized_rows(d0, d1, rowbuf, [&](int dy, const uint8_t* row) { writer.write_row(dy, row, dst); });
            });
            return;
        }
        // INTER_NEAREST, OpenCV's mapping: sx = min(floor(dx * (1 / (dst_w / src_w))), src_w - 1), same for y.
        const double ifx = 1.0 / (static_cast<double>(out_w_) / s.width);
        const double ify = 1.0 / (static_cast<double>(out_h_) / s.height);
        std::vector<int32_t> xofs(static_cast<std::size_t>(out_w_));
        for (int x = 0; x < out_w_; ++x) {
            int sx = static_cast<int>(std::floor(x * ifx));
            xofs[static_cast<std::size_t>(x)] = std::min(sx, s.width - 1) * C;
        }
        std::vector<int32_t> sel;  // YUV input: the source column of each output pixel
        if (conv)
            for (int x = 0; x < out_w_; ++x) sel.push_back(xofs[static_cast<std::size_t>(x)] / C);
        split([&](int d0, int d1) {
            std::vector<uint8_t> out(static_cast<std::size_t>(out_w_) * static_cast<std::size_t>(C)), rowbuf;
            int last = -1;
            for (int dy = d0; dy < d1; ++dy) {
                const int sy = std::min(static_cast<int>(std::floor(dy * ify)), s.height - 1);
                if (sy != last && conv) {
                    // YUV input: convert just the selected pixels, in output order
                    conv->convert_columns(raw, sy, sel.data(), out_w_, out.data());
                    last = sy;
                } else if (sy != last) {
                    const uint8_t* src = get_row(rowbuf, sy);
                    for (int x = 0; x < out_w_; ++x) {
                        const uint8_t* p = src + xofs[static_cast<std::size_t>(x)];
                        for (int c = 0; c < C; ++c) out[static_cast<std::size_t>(x) * C + c] = p[c];
                    }
                    last = sy;
                }
                writer.write_row(dy, out.data(), dst);
            }
        });
        return;
    }

    // Letterbox: top padding, the resized rows framed by left/right padding, bottom padding.
    const LetterboxGeometry& g = geom_.g;
    const std::size_t mid_bytes = static_cast<std::size_t>(g.resized_width) * C;
    const LinearResizeU8* rz = rz_.get();  // null: the content is the input itself
    split([&](int o0, int o1) {
        // output rows [o0, o1): padding rows, and the content rows [r0, r1) that fall in the range
        const int r0 = std::min(std::max(o0 - g.pad_top, 0), g.resized_height);
        const int r1 = std::min(std::max(o1 - g.pad_top, 0), g.resized_height);
        for (int y = o0; y < std::min(o1, g.pad_top); ++y) writer.fill_pixels(y, 0, out_w_, pad_, dst);
        std::vector<uint8_t> full(static_cast<std::size_t>(out_w_) * static_cast<std::size_t>(C)), rowbuf;
        for (int x = 0; x < out_w_; ++x)
            for (int c = 0; c < C; ++c) full[static_cast<std::size_t>(x) * C + c] = pad_[c];
        uint8_t* middle = full.data() + static_cast<std::size_t>(g.pad_left) * C;
        auto put = [&](int dy, const uint8_t* row) {
            std::memcpy(middle, row, mid_bytes);
            writer.write_row(g.pad_top + dy, full.data(), dst);
        };
        if (rz == nullptr) {
            for (int y = r0; y < r1; ++y) put(y, get_row(rowbuf, y));
        } else if (r0 < r1) {
            resized_rows(r0, r1, rowbuf, put);
        }
        for (int y = std::max(o0, g.pad_top + g.resized_height); y < o1; ++y) writer.fill_pixels(y, 0, out_w_, pad_, dst);
    });
}

}  // namespace pyalign
