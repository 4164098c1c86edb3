// Weight file format: write → load round trip, the model id, every
// validation error, hostile-input mutation loops (flipped bytes, every
// truncation) and the model search path of ReadModelFile.
#include "model/nn/weight_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "src/byte_order.h"
#include "src/sha256.h"

namespace lmarc::nn {
namespace {

// Field offsets of the fixed header (docs/model.md).
constexpr size_t kVersionOffset = 8;
constexpr size_t kHeaderSizeOffset = 12;
constexpr size_t kFirstReservedOffset = 44;

const ModelHeader kHeader{.vocab_size = 256, .d_model = 8, .n_layers = 1, .n_heads = 2,
                          .context = 16, .ffn_dim = 32};

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(seed + 7 * i);
  return bytes;
}

std::vector<Tensor> SmallTensors() {
  return {
      {"tok_emb", DType::kS8, {4, 8}, {1 << 30, 31}, Pattern(32, 1)},
      {"layer0.ffn.w", DType::kS16, {3, 5}, {12345, 20}, Pattern(30, 2)},
      {"layer0.ffn.bias", DType::kS32, {5}, {0, 0}, Pattern(20, 3)},
  };
}

// File offset of a table field of the tensor called `name`, `after_name`
// bytes past the end of its name (0: dtype, 1: rank, 2: dims, ...).
size_t EntryFieldOffset(const std::vector<uint8_t>& file, const std::string& name,
                        size_t after_name) {
  const std::string text(file.begin(), file.end());
  const size_t at = text.find(name);
  EXPECT_NE(at, std::string::npos);
  return at + name.size() + after_name;
}
size_t DataOffsetField(const std::vector<uint8_t>& file, const Tensor& tensor) {
  return EntryFieldOffset(file, tensor.name, 2 + 4 * tensor.dims.size());
}

void StoreLe32(uint32_t value, uint8_t* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}
void StoreLe64(uint64_t value, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// The load error message of `file`; fails the test if it loads.
std::string LoadError(const std::vector<uint8_t>& file, std::string_view id = "") {
  const auto loaded = LoadWeightFile(file, id);
  EXPECT_FALSE(loaded.ok());
  return loaded.ok() ? "" : loaded.status().message();
}
std::string LoadError(const std::vector<Tensor>& tensors) {
  return LoadError(WriteWeightFile(kHeader, tensors));
}

TEST(WeightFileTest, RoundTripAndModelId) {
  const std::vector<uint8_t> file = WriteWeightFile(kHeader, SmallTensors());
  const std::string id = DigestToHex(Sha256Of(file));
  const auto loaded = LoadWeightFile(file, id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->header, kHeader);
  EXPECT_EQ(loaded->tensors, SmallTensors());
  EXPECT_EQ(loaded->model_id, id);
  ASSERT_NE(loaded->Find("layer0.ffn.w"), nullptr);
  EXPECT_EQ(loaded->Find("layer0.ffn.w")->dims, (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(loaded->Find("missing"), nullptr);
  // Canonical layout: 64-byte aligned data, file ends at the last tensor.
  const uint64_t first = LoadLe64(&file[DataOffsetField(file, SmallTensors()[0])]);
  EXPECT_EQ(first % kTensorAlignment, 0u);
  EXPECT_EQ(file.size() % kTensorAlignment, 20u);
  EXPECT_EQ(WriteWeightFile(loaded->header, loaded->tensors), file);
}

TEST(WeightFileTest, EmptyModelLoads) {
  const auto loaded = LoadWeightFile(WriteWeightFile(kHeader, {}), "");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->tensors.empty());
}

TEST(WeightFileTest, HeaderErrors) {
  const std::vector<uint8_t> good = WriteWeightFile(kHeader, SmallTensors());
  EXPECT_NE(LoadError(std::vector<uint8_t>(good.begin(), good.begin() + 5)).find("weight file truncated: magic"),
            std::string::npos);

  std::vector<uint8_t> file = good;
  file[0] = 'X';
  EXPECT_EQ(LoadError(file), "not an lmarc weight file (wrong magic)");

  file = good;
  StoreLe32(2, &file[kVersionOffset]);
  const auto newer = LoadWeightFile(file, "");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(newer.status().message(), "weight file version 2 is newer than this lmarc reads (1)");

  file = good;
  StoreLe32(LoadLe32(&file[kHeaderSizeOffset]) + 1, &file[kHeaderSizeOffset]);
  EXPECT_NE(LoadError(file).find("header size mismatch"), std::string::npos);

  file = good;
  file[kFirstReservedOffset + 4] = 1;
  EXPECT_EQ(LoadError(file), "reserved field 1 is 1, must be 0");
}

TEST(WeightFileTest, TableEntryErrors) {
  auto with = [](auto mutate) {
    std::vector<Tensor> tensors = SmallTensors();
    mutate(tensors);
    return LoadError(tensors);
  };
  EXPECT_NE(with([](auto& t) { t[0].name = ""; }).find("bad tensor name: length 0"),
            std::string::npos);
  EXPECT_NE(with([](auto& t) { t[0].name = std::string(65, 'a'); })
                .find("bad tensor name: length 65"),
            std::string::npos);
  EXPECT_NE(with([](auto& t) { t[1].name = "a b"; }).find("bad tensor name: byte 1 is 32"),
            std::string::npos);
  EXPECT_NE(with([](auto& t) { t[1].name = "caf\xc3\xa9"; }).find("not printable ASCII"),
            std::string::npos);
  EXPECT_EQ(with([](auto& t) { t[0].dtype = static_cast<DType>(7); }),
            "tensor 'tok_emb': unknown dtype 7");
  EXPECT_EQ(with([](auto& t) { t[0].dims = {}; }), "tensor 'tok_emb': rank 0 is outside [1, 4]");
  EXPECT_EQ(with([](auto& t) { t[0].dims = {1, 1, 2, 2, 8}; }),
            "tensor 'tok_emb': rank 5 is outside [1, 4]");
  EXPECT_EQ(with([](auto& t) { t[0].dims = {4, 0}; }), "tensor 'tok_emb': dimension 1 is 0");
  EXPECT_EQ(with([](auto& t) { t[2].dims = {0xffffffff, 0xffffffff, 0xffffffff}; }),
            "tensor 'layer0.ffn.bias': dims 4294967295x4294967295x4294967295 overflow "
            "64-bit size");
  EXPECT_EQ(with([](auto& t) { t[1].dims = {3, 6}; }),
            "tensor 'layer0.ffn.w': dims 3x6 of s16 need 36 bytes, data size is 30");
  EXPECT_NE(with([](auto& t) { t[1].requantizer = {-1, 3}; }).find("invalid requantiser"),
            std::string::npos);
  EXPECT_NE(with([](auto& t) { t[1].requantizer = {1, 63}; }).find("invalid requantiser"),
            std::string::npos);
  EXPECT_EQ(with([](auto& t) { t[2].name = "tok_emb"; }), "duplicate tensor name 'tok_emb'");
}

TEST(WeightFileTest, DataPlacementErrors) {
  const std::vector<Tensor> tensors = SmallTensors();
  const std::vector<uint8_t> good = WriteWeightFile(kHeader, tensors);
  const size_t first_field = DataOffsetField(good, tensors[0]);
  const size_t second_field = DataOffsetField(good, tensors[1]);
  const uint64_t first_offset = LoadLe64(&good[first_field]);

  std::vector<uint8_t> file = good;
  StoreLe64(0xffffffffffffffc0ull, &file[first_field]);
  EXPECT_NE(LoadError(file).find("tensor 'tok_emb': data [18446744073709551552, +32) is "
                                 "outside the file"),
            std::string::npos);

  file = good;
  StoreLe64(first_offset + 1, &file[first_field]);
  EXPECT_EQ(LoadError(file), "tensor 'tok_emb': data offset " +
                                 std::to_string(first_offset + 1) +
                                 " is not 64-byte aligned");

  file = good;
  StoreLe64(first_offset, &file[second_field]);
  EXPECT_NE(LoadError(file).find("overlaps tensor 'tok_emb'"), std::string::npos);

  file = good;
  StoreLe64(0, &file[first_field]);
  EXPECT_NE(LoadError(file).find("overlaps the header"), std::string::npos);

  file = good;  // not canonical: a 64-byte gap before the last tensor
  const size_t last_field = DataOffsetField(good, tensors[2]);
  const uint64_t last_offset = LoadLe64(&good[last_field]);
  StoreLe64(last_offset + 64, &file[last_field]);
  file.insert(file.begin() + static_cast<std::ptrdiff_t>(last_offset), 64, 0);
  EXPECT_NE(LoadError(file).find("expected " + std::to_string(last_offset)), std::string::npos);

  file = good;
  file[first_offset - 1] = 9;  // padding between the table and the first tensor
  EXPECT_EQ(LoadError(file), "nonzero padding byte at offset " + std::to_string(first_offset - 1));

  file = good;
  file.push_back(0);
  EXPECT_NE(LoadError(file).find("1 trailing bytes"), std::string::npos);
}

TEST(WeightFileTest, ModelIdMismatch) {
  const std::vector<uint8_t> file = WriteWeightFile(kHeader, SmallTensors());
  const std::string wrong(64, '0');
  EXPECT_EQ(LoadError(file, wrong),
            "model id mismatch: expected " + wrong + ", file is " + DigestToHex(Sha256Of(file)));
  const auto malformed = LoadWeightFile(file, "ABC");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.status().code(), StatusCode::kInvalidArgument);
}

// Hostile input: every single-byte change is either rejected or loads as a
// file that the writer reproduces byte for byte; with the id given every
// change is rejected. Every truncation is rejected. Nothing crashes (the
// sanitizer build also checks that nothing reads out of bounds).
TEST(WeightFileTest, MutatedAndTruncatedFilesNeverCrash) {
  const std::vector<uint8_t> good = WriteWeightFile(kHeader, SmallTensors());
  const std::string id = DigestToHex(Sha256Of(good));
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> file = good;
      file[i] ^= flip;
      EXPECT_FALSE(LoadWeightFile(file, id).ok()) << "byte " << i;
      const auto loaded = LoadWeightFile(file, "");
      if (!loaded.ok()) continue;
      EXPECT_EQ(WriteWeightFile(loaded->header, loaded->tensors), file) << "byte " << i;
      EXPECT_EQ(loaded->model_id, DigestToHex(Sha256Of(file)));
    }
  }
  for (size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(LoadWeightFile({good.data(), size}, "").ok()) << "size " << size;
  }
}

// A fresh directory tree under the test temp dir, removed afterwards, with
// LMARC_MODEL_PATH restored.
class ReadModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("lmarc_weight_file_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    for (const char* dir : {"a", "b", "install"}) std::filesystem::create_directories(root_ / dir);
    if (const char* old = std::getenv("LMARC_MODEL_PATH")) saved_path_ = old;
  }
  void TearDown() override {
    if (saved_path_) {
      ::setenv("LMARC_MODEL_PATH", saved_path_->c_str(), 1);
    } else {
      ::unsetenv("LMARC_MODEL_PATH");
    }
    std::filesystem::remove_all(root_);
  }
  std::string Dir(const char* name) const { return (root_ / name).string(); }
  void Put(const char* dir, const std::string& id, const std::string& content) const {
    std::ofstream(root_ / dir / (id + ".lmnn"), std::ios::binary) << content;
  }

  std::filesystem::path root_;
  std::optional<std::string> saved_path_;
};

std::string AsString(const StatusOr<std::vector<uint8_t>>& bytes) {
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : bytes.status().message();
}

TEST_F(ReadModelFileTest, SearchesModelPathInOrderThenInstallDir) {
  const std::string id(64, 'c');
  ::setenv("LMARC_MODEL_PATH", (Dir("a") + "::" + Dir("b") + ":").c_str(), 1);
  Put("install", id, "from install");
  EXPECT_EQ(AsString(ReadModelFile(id, std::vector<std::string>{Dir("install")})), "from install");
  Put("b", id, "from b");
  EXPECT_EQ(AsString(ReadModelFile(id, std::vector<std::string>{Dir("install")})), "from b");
  Put("a", id, "from a");
  EXPECT_EQ(AsString(ReadModelFile(id, std::vector<std::string>{Dir("install")})), "from a");

  const std::string other(64, 'd');
  const auto missing = ReadModelFile(other, std::vector<std::string>{Dir("install")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "model " + other + " not found (searched: " + Dir("a") +
                                            ", " + Dir("b") + ", " + Dir("install") + ")");
}

TEST_F(ReadModelFileTest, WithoutModelPathOnlyInstallDir) {
  ::unsetenv("LMARC_MODEL_PATH");
  const std::string id(64, 'e');
  Put("a", id, "from a");
  EXPECT_EQ(ReadModelFile(id, std::vector<std::string>{Dir("install")}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadModelFile(id, std::vector<std::string>{}).status().message(),
            "model " + id + " not found (searched: no directories)");
  Put("install", id, "from install");
  EXPECT_EQ(AsString(ReadModelFile(id, std::vector<std::string>{Dir("install")})), "from install");
}

TEST_F(ReadModelFileTest, RejectsMalformedId) {
  EXPECT_EQ(ReadModelFile("../../etc/passwd", std::vector<std::string>{Dir("install")}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lmarc::nn
