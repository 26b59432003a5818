// libFuzzer target: spec text -> pyalign::parse_pipeline_spec -> Pipeline, and, when the input
// and output are small, Pipeline::run on a zero input and on a patterned one. Every rejection must
// be a pyalign::Error; a spec the parser accepts must not crash or misbehave in the pipeline.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "pyalign/pipeline.hpp"

namespace {
constexpr std::size_t kMaxRunBytes = 1u << 20;  // input and output run only up to this size
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    pyalign::PipelineSpec spec;
    try {
        spec = pyalign::parse_pipeline_spec(text, "fuzz.json");
    } catch (const pyalign::Error&) {
        return 0;
    }
    try {
        const pyalign::Pipeline pipe(spec);
        const std::size_t in = pipe.input_bytes(), out = pipe.output_bytes();
        PYALIGN_FUZZ_ASSERT(in > 0 && out > 0);
        std::size_t prod = pipe.output_is_float() ? 4 : 1;
        for (std::size_t d : pipe.output_shape()) prod *= d;
        PYALIGN_FUZZ_ASSERT(prod == out);
        if (in > kMaxRunBytes || out > kMaxRunBytes) return 0;
        std::vector<std::uint8_t> raw(in, 0), dst(out);
        pipe.run(raw.data(), dst.data());
        for (std::size_t i = 0; i < in; ++i) raw[i] = static_cast<std::uint8_t>(i * 37u + size);
        pipe.run(raw.data(), dst.data());
    } catch (const pyalign::Error&) {
    }
    return 0;
}
