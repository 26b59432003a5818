#include "check.hpp"
#include "pyalign/common.hpp"

namespace pyalign {
const char* version();
}

PA_TEST(version_matches) { PA_CHECK(std::string(pyalign::version()) == pyalign::kVersion); }

PA_TEST(error_is_invalid_argument) {
    bool caught = false;
    try {
        throw pyalign::Error("bad");
    } catch (const std::invalid_argument& e) {
        caught = std::string(e.what()) == "bad";
    }
    PA_CHECK(caught);
}

int main() { return pyalign_test::run_all(); }
