// SHA-256 against the FIPS 180-4 / NIST example vectors, one-shot and fed in
// pieces of every split point (the incremental path must not depend on how
// the input is cut).
#include "src/sha256.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lmarc {
namespace {

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string HexOf(std::string_view text) { return DigestToHex(Sha256Of(AsBytes(text))); }

constexpr std::string_view k448BitMessage =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(Sha256Test, NistVectors) {
  EXPECT_EQ(HexOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(k448BitMessage),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HexOf(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShotAtEverySplit) {
  std::string message;
  for (int i = 0; i < 200; ++i) message.push_back(static_cast<char>(i * 37 + 11));
  const Sha256Digest expected = Sha256Of(AsBytes(message));
  for (size_t split = 0; split <= message.size(); ++split) {
    Sha256 hash;
    hash.Update(AsBytes(std::string_view(message).substr(0, split)));
    hash.Update(AsBytes(std::string_view(message).substr(split)));
    EXPECT_EQ(hash.Digest(), expected) << "split at " << split;
  }
}

TEST(Sha256Test, MillionAInOddPieces) {
  Sha256 hash;
  const std::string piece(997, 'a');
  size_t remaining = 1000000;
  while (remaining > 0) {
    const size_t take = std::min(remaining, piece.size());
    hash.Update(AsBytes(std::string_view(piece).substr(0, take)));
    remaining -= take;
  }
  EXPECT_EQ(DigestToHex(hash.Digest()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PaddingBoundaryLengths) {
  // 55, 56 and 64 bytes straddle the one-block / two-block padding boundary.
  EXPECT_EQ(HexOf(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(HexOf(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(HexOf(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

}  // namespace
}  // namespace lmarc
