// Internal: splitting row ranges across threads (the `threads` option of resize, csc, preprocess).
//
// parallel_rows(threads, n, f) calls f(begin, end) on contiguous, disjoint ranges that cover
// [0, n): the calling thread takes the first, std::threads the others. Each row is computed by
// exactly the code that computes it single-threaded, so the output does not depend on the thread
// count. The first exception thrown by a range is rethrown after every thread has finished.
#pragma once

#include <algorithm>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {
namespace detail {

/// threads >= 1 as given, 0 = one per hardware thread; anything else throws pyalign::Error.
inline int resolve_threads(int threads) {
    if (threads < 0 || threads > kMaxThreads)
        throw Error("threads must be in 0.." + std::to_string(kMaxThreads) + " (0 = one per CPU), got " +
                    std::to_string(threads));
    if (threads == 0) {
        const unsigned hw = std::thread::hardware_concurrency();
        return hw == 0 ? 1 : static_cast<int>(std::min<unsigned>(hw, kMaxThreads));
    }
    return threads;
}

template <class F>
void parallel_rows(int threads, int n, F&& f) {
    const int t = std::max(1, std::min(resolve_threads(threads), n));
    if (t == 1) {
        if (n > 0) f(0, n);
        return;
    }
    auto bound = [&](int i) { return static_cast<int>(static_cast<long long>(n) * i / t); };
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(t));
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(t - 1));
    auto run = [&](int i) {
        try {
            f(bound(i), bound(i + 1));
        } catch (...) {
            errors[static_cast<std::size_t>(i)] = std::current_exception();
        }
    };
    try {
        for (int i = 1; i < t; ++i) pool.emplace_back(run, i);
    } catch (const std::system_error&) {
        // no more threads available: the ranges not started run on this thread
    }
    run(0);
    for (int i = static_cast<int>(pool.size()) + 1; i < t; ++i) run(i);
    for (std::thread& th : pool) th.join();
    for (const std::exception_ptr& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace detail
}  // namespace pyalign
