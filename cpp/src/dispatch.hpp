// Internal: function multi-versioning for the hot kernels (not a public header).
//
// On x86-64 GCC, PYALIGN_HOT_KERNEL adds AVX2 and AVX-512 (x86-64-v4) builds of a function next to
// the portable one and picks one at load time. Every clone compiles from the same source and does
// the same integer / IEEE operations in the same order (no FMA: -ffp-contract=off), so the results
// are identical on every target; scripts/test-aarch64.sh checks it. Off under sanitizers and with
// -DPYALIGN_NO_DISPATCH (the portable build only).
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(PYALIGN_NO_DISPATCH)
#define PYALIGN_HOT_KERNEL __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define PYALIGN_HOT_KERNEL
#endif
