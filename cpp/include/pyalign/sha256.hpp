// pyalign — SHA-256 (FIPS 180-4), plain portable code: the same bits on every host, no
// intrinsics, no third-party dependency. tensor_io.hpp includes this header.
//
//   pyalign::Sha256 h;
//   h.update(data, size);
//   std::string hex = h.hex_digest();          // 64 lowercase hex digits
//   std::string file_hex = pyalign::sha256_file("raw_input.bin");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pyalign/common.hpp"

namespace pyalign {

/// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    /// Finish and return the 32-byte digest; the object must not be updated afterwards.
    std::vector<std::uint8_t> digest();
    /// Finish and return the digest as 64 lowercase hex digits.
    std::string hex_digest();

private:
    void block(const std::uint8_t* p);
    std::uint32_t h_[8];
    std::uint8_t buf_[64];
    std::size_t buf_len_ = 0;
    std::uint64_t total_ = 0;
    bool finished_ = false;
};

/// Hex SHA-256 of a buffer.
std::string sha256_hex(const void* data, std::size_t size);
/// Hex SHA-256 of a file; throws Error if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace pyalign
