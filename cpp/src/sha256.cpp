// pyalign — SHA-256 (FIPS 180-4), see sha256.hpp.
#include "pyalign/sha256.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace pyalign {

namespace {
constexpr std::uint32_t kSha256K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

inline std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace

Sha256::Sha256()
    : h_{0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u},
      buf_{} {}

void Sha256::block(const std::uint8_t* p) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (std::uint32_t(p[4 * i]) << 24) | (std::uint32_t(p[4 * i + 1]) << 16) |
               (std::uint32_t(p[4 * i + 2]) << 8) | std::uint32_t(p[4 * i + 3]);
    for (int i = 16; i < 64; ++i) {
        const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    // Eight rounds per iteration with the working variables renamed instead of shifted.
    auto round = [&w](std::uint32_t a_, std::uint32_t b_, std::uint32_t c_, std::uint32_t& d_, std::uint32_t e_,
                      std::uint32_t f_, std::uint32_t g_, std::uint32_t& h_r, int i) {
        const std::uint32_t t1 = h_r + (rotr(e_, 6) ^ rotr(e_, 11) ^ rotr(e_, 25)) + ((e_ & f_) ^ (~e_ & g_)) +
                                 kSha256K[i] + w[i];
        const std::uint32_t t2 = (rotr(a_, 2) ^ rotr(a_, 13) ^ rotr(a_, 22)) + ((a_ & b_) ^ (a_ & c_) ^ (b_ & c_));
        d_ += t1;
        h_r = t1 + t2;
    };
    for (int i = 0; i < 64; i += 8) {
        round(a, b, c, d, e, f, g, h, i);
        round(h, a, b, c, d, e, f, g, i + 1);
        round(g, h, a, b, c, d, e, f, i + 2);
        round(f, g, h, a, b, c, d, e, i + 3);
        round(e, f, g, h, a, b, c, d, i + 4);
        round(d, e, f, g, h, a, b, c, i + 5);
        round(c, d, e, f, g, h, a, b, i + 6);
        round(b, c, d, e, f, g, h, a, i + 7);
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
}

void Sha256::update(const void* data, std::size_t size) {
    if (finished_) throw Error("Sha256::update after digest");
    const std::uint8_t* p = static_cast<const std::uint8_t*>(data);
    total_ += size;
    if (buf_len_ > 0) {
        const std::size_t take = std::min(size, sizeof(buf_) - buf_len_);
        std::memcpy(buf_ + buf_len_, p, take);
        buf_len_ += take;
        p += take;
        size -= take;
        if (buf_len_ < sizeof(buf_)) return;
        block(buf_);
        buf_len_ = 0;
    }
    while (size >= 64) {
        block(p);
        p += 64;
        size -= 64;
    }
    if (size > 0) {
        std::memcpy(buf_, p, size);
        buf_len_ = size;
    }
}

std::vector<std::uint8_t> Sha256::digest() {
    if (!finished_) {
        const std::uint64_t bits = total_ * 8u;
        const std::uint8_t pad = 0x80;
        const std::uint8_t zero[64] = {};
        update(&pad, 1);
        const std::size_t zeros = (buf_len_ <= 56) ? 56 - buf_len_ : 120 - buf_len_;
        update(zero, zeros);
        std::uint8_t len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
        update(len, 8);
        finished_ = true;
    }
    std::vector<std::uint8_t> out(32);
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * j));
    return out;
}

std::string Sha256::hex_digest() {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (std::uint8_t b : digest()) {
        s += hex[b >> 4];
        s += hex[b & 15];
    }
    return s;
}

std::string sha256_hex(const void* data, std::size_t size) {
    Sha256 h;
    h.update(data, size);
    return h.hex_digest();
}

namespace {
struct File {
    std::FILE* f = nullptr;
    File(const std::string& path, const char* mode) : f(std::fopen(path.c_str(), mode)) {}
    ~File() {
        if (f) std::fclose(f);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }
}  // namespace

std::string sha256_file(const std::string& path) {
    File in(path, "rb");
    if (!in.f) throw Error(path + ": cannot open: " + errno_text(errno));
    Sha256 h;
    std::vector<std::uint8_t> buf(1 << 16);
    for (;;) {
        const std::size_t n = std::fread(buf.data(), 1, buf.size(), in.f);
        if (n > 0) h.update(buf.data(), n);
        if (n < buf.size()) {
            if (std::ferror(in.f)) throw Error(path + ": read error");
            break;
        }
    }
    return h.hex_digest();
}

}  // namespace pyalign
