// Shared pieces of the golden program (test_golden.cpp): portable pseudo-random inputs and the
// digest record. Included inside test_golden.cpp's anonymous namespace, after `using namespace pyalign`.
#pragma once

// ------------------------------------------------------------------------------ portable inputs

/// splitmix64 (Steele, Lea, Flood 2014): a fixed sequence of 64-bit integers on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform integer in [0, n) (n small; the modulo bias does not matter here).
    int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
    int range(int lo, int hi) { return lo + below(hi - lo + 1); }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }
    /// Exact float in [0, 1): a 24-bit integer times 2^-24.
    float unit_f() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
    /// lo + (hi - lo) * u in float32 (two IEEE operations, no FMA: -ffp-contract=off).
    float uniform_f(float lo, float hi) {
        const float span = hi - lo;
        const float scaled = span * unit_f();
        return lo + scaled;
    }
    /// Exact double in [0, 1): a 53-bit integer times 2^-53.
    double unit_d() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform_d(double lo, double hi) {
        const double span = hi - lo;
        const double scaled = span * unit_d();
        return lo + scaled;
    }

private:
    std::uint64_t s_;
};

std::vector<std::uint8_t> bytes(Rng& r, std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) b = r.byte();
    return v;
}

std::vector<float> floats(Rng& r, std::size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (auto& x : v) x = r.uniform_f(lo, hi);
    return v;
}

/// A smooth-ish uint8 image (gradients + noise), closer to real pictures than pure noise.
std::vector<std::uint8_t> image(Rng& r, int w, int h, int cn) {
    std::vector<std::uint8_t> v(static_cast<std::size_t>(w) * h * cn);
    std::size_t i = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < cn; ++c) {
                const int base = (x * (3 + c) + y * (5 - c) + 40 * c) & 255;
                const int noise = r.below(33) - 16;
                v[i++] = static_cast<std::uint8_t>(std::min(255, std::max(0, base + noise)));
            }
    return v;
}

// ------------------------------------------------------------------------------ digest record

/// Appends PODs to a byte buffer (little-endian hosts only, as the library assumes).
struct Bytes {
    std::vector<std::uint8_t> b;
    template <typename T>
    Bytes& put(const T& v) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
        return *this;
    }
    template <typename T>
    Bytes& put_all(const std::vector<T>& v) {
        put(static_cast<std::uint64_t>(v.size()));
        const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
        b.insert(b.end(), p, p + v.size() * sizeof(T));
        return *this;
    }
    Bytes& put_str(const std::string& s) {
        put(static_cast<std::uint64_t>(s.size()));
        b.insert(b.end(), s.begin(), s.end());
        return *this;
    }
};

struct Entry {
    std::string name;
    std::size_t size;
    std::string sha;
};

class Golden {
public:
    void add(const std::string& name, const void* data, std::size_t size) {
        entries_.push_back({name, size, sha256_hex(data, size)});
    }
    template <typename T>
    void add(const std::string& name, const std::vector<T>& v) {
        add(name, v.data(), v.size() * sizeof(T));
    }
    void add(const std::string& name, const Bytes& b) { add(name, b.b.data(), b.b.size()); }
    const std::vector<Entry>& entries() const { return entries_; }
    std::string overall() const {
        Sha256 h;
        for (const Entry& e : entries_) {
            h.update(e.name.data(), e.name.size());
            h.update(e.sha.data(), e.sha.size());
        }
        return h.hex_digest();
    }

private:
    std::vector<Entry> entries_;
};

template <typename T>
ImageView<T> view(std::vector<std::remove_const_t<T>>& buf, int w, int h, int cn, int pad_bytes = 0) {
    ImageView<T> v;
    v.data = buf.data();
    v.width = w;
    v.height = h;
    v.channels = cn;
    v.stride = static_cast<std::ptrdiff_t>(w) * cn * static_cast<std::ptrdiff_t>(sizeof(T)) + pad_bytes;
    return v;
}

std::string dims(int sw, int sh, int dw, int dh, int cn) {
    return std::to_string(sw) + "x" + std::to_string(sh) + "->" + std::to_string(dw) + "x" + std::to_string(dh) +
           "c" + std::to_string(cn);
}

Bytes& put_geometry(Bytes& b, const LetterboxGeometry& g) {
    b.put(g.scale_x).put(g.scale_y).put(g.pad_left).put(g.pad_top).put(g.pad_right).put(g.pad_bottom);
    b.put(g.resized_width).put(g.resized_height).put(g.src_width).put(g.src_height).put(g.dst_width).put(g.dst_height);
    return b;
}
