//===- StorageTest.cpp - Unit tests of getStorageBytes --------------------===//
//
// Block sizes are GGUF's (ggml's type traits): 32-element blocks of 18, 20,
// 22, 24 and 34 bytes for q4_0, q4_1, q5_0, q5_1, q8_0; 256-element super
// blocks of 84, 110, 144, 176 and 210 bytes for q2_k .. q6_k,
// and 18, 136 for iq4_nl, iq4_xs.
//
//===----------------------------------------------------------------------===//

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ingot;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class StorageTest : public ::testing::Test {
protected:
  StorageTest() { context.loadDialect<IngotDialect>(); }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type element,
                          Attribute encoding = {}) {
    return RankedTensorType::get(shape, element, encoding);
  }
  RankedTensorType blockTensor(ArrayRef<int64_t> shape, BlockFormat format) {
    return tensor(shape, Float32Type::get(&context),
                  BlockQuantAttr::get(&context, format));
  }
  RankedTensorType groupTensor(ArrayRef<int64_t> shape, int64_t bits,
                               int64_t groupSize, bool symmetric) {
    return tensor(shape, Float16Type::get(&context),
                  GroupQuantAttr::get(&context, bits, groupSize, symmetric));
  }

  MLIRContext context;
};

/// One GGUF block format with its layout and the bytes of a 4096x4096
/// matrix and of an 8x128x256 expert stack, computed from the spec.
struct BlockCase {
  BlockFormat format;
  int64_t blockSize;
  int64_t bytesPerBlock;
  int64_t bytes4096x4096;
  int64_t bytes8x128x256;
};

constexpr BlockCase kBlockCases[] = {
    {BlockFormat::q4_0, 32, 18, 9437184, 147456},
    {BlockFormat::q4_1, 32, 20, 10485760, 163840},
    {BlockFormat::q5_0, 32, 22, 11534336, 180224},
    {BlockFormat::q5_1, 32, 24, 12582912, 196608},
    {BlockFormat::q8_0, 32, 34, 17825792, 278528},
    {BlockFormat::q2_k, 256, 84, 5505024, 86016},
    {BlockFormat::q3_k, 256, 110, 7208960, 112640},
    {BlockFormat::q4_k, 256, 144, 9437184, 147456},
    {BlockFormat::q5_k, 256, 176, 11534336, 180224},
    {BlockFormat::q6_k, 256, 210, 13762560, 215040},
    {BlockFormat::iq4_nl, 32, 18, 9437184, 147456},
    {BlockFormat::iq4_xs, 256, 136, 8912896, 139264},
};

TEST_F(StorageTest, BlockLayouts) {
  for (const BlockCase &c : kBlockCases) {
    SCOPED_TRACE(stringifyBlockFormat(c.format).str());
    auto attr = BlockQuantAttr::get(&context, c.format);
    EXPECT_EQ(attr.getBlockSize(), c.blockSize);
    EXPECT_EQ(attr.getBytesPerBlock(), c.bytesPerBlock);
  }
}

TEST_F(StorageTest, BlockFormatsSquareMatrix) {
  for (const BlockCase &c : kBlockCases) {
    SCOPED_TRACE(stringifyBlockFormat(c.format).str());
    FailureOr<int64_t> bytes =
        getStorageBytes(blockTensor({4096, 4096}, c.format));
    ASSERT_TRUE(succeeded(bytes));
    EXPECT_EQ(*bytes, c.bytes4096x4096);
  }
}

TEST_F(StorageTest, BlockFormatsExpertStack) {
  for (const BlockCase &c : kBlockCases) {
    SCOPED_TRACE(stringifyBlockFormat(c.format).str());
    FailureOr<int64_t> bytes =
        getStorageBytes(blockTensor({8, 128, 256}, c.format));
    ASSERT_TRUE(succeeded(bytes));
    EXPECT_EQ(*bytes, c.bytes8x128x256);
  }
}

TEST_F(StorageTest, OneBlock) {
  for (const BlockCase &c : kBlockCases) {
    SCOPED_TRACE(stringifyBlockFormat(c.format).str());
    FailureOr<int64_t> bytes =
        getStorageBytes(blockTensor({c.blockSize}, c.format));
    ASSERT_TRUE(succeeded(bytes));
    EXPECT_EQ(*bytes, c.bytesPerBlock);
  }
}

TEST_F(StorageTest, BlockFormatIgnoresLogicalElementType) {
  // The element type is the dequantized type; storage is the block format's.
  auto f16 = tensor({4096, 4096}, Float16Type::get(&context),
                    BlockQuantAttr::get(&context, BlockFormat::q4_k));
  FailureOr<int64_t> bytes = getStorageBytes(f16);
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 9437184);
}

TEST_F(StorageTest, PlainTensors) {
  struct Case {
    Type element;
    int64_t bytes;
  } cases[] = {
      {Float32Type::get(&context), 67108864},
      {Float16Type::get(&context), 33554432},
      {BFloat16Type::get(&context), 33554432},
      {Float64Type::get(&context), 134217728},
      {Float8E4M3FNType::get(&context), 16777216},
      {IntegerType::get(&context, 32), 67108864},
      {IntegerType::get(&context, 8), 16777216},
  };
  for (const Case &c : cases) {
    FailureOr<int64_t> bytes = getStorageBytes(tensor({4096, 4096}, c.element));
    ASSERT_TRUE(succeeded(bytes));
    EXPECT_EQ(*bytes, c.bytes);
  }
}

TEST_F(StorageTest, PlainSmallAndEmpty) {
  Type f32 = Float32Type::get(&context);
  FailureOr<int64_t> bytes = getStorageBytes(tensor({}, f32));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 4);
  bytes = getStorageBytes(tensor({576}, BFloat16Type::get(&context)));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 1152);
  bytes = getStorageBytes(tensor({0, 64}, f32));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 0);
}

TEST_F(StorageTest, SubByteElementsRoundUp) {
  // 10 one-bit values take two bytes.
  FailureOr<int64_t> bytes =
      getStorageBytes(tensor({10}, IntegerType::get(&context, 1)));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 2);
}

TEST_F(StorageTest, GroupQuant) {
  // int4, groups of 128, one f16 scale per group.
  FailureOr<int64_t> bytes =
      getStorageBytes(groupTensor({4096, 4096}, 4, 128, /*symmetric=*/true));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 4096 * 4096 / 2 + 4096 * 4096 / 128 * 2);
  EXPECT_EQ(*bytes, 8650752);
  // Asymmetric: an f16 zero point per group too.
  bytes = getStorageBytes(groupTensor({4096, 4096}, 4, 128, false));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 8912896);
  // int8, groups of 32.
  bytes = getStorageBytes(groupTensor({4096, 4096}, 8, 32, true));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 16777216 + 524288 * 2);
  bytes = getStorageBytes(groupTensor({64}, 8, 64, false));
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 64 + 4);
}

TEST_F(StorageTest, DynamicShapesFail) {
  Type f32 = Float32Type::get(&context);
  EXPECT_TRUE(failed(getStorageBytes(tensor({kDyn, 576}, f32))));
  EXPECT_TRUE(failed(getStorageBytes(tensor({576, kDyn}, f32))));
  EXPECT_TRUE(
      failed(getStorageBytes(blockTensor({kDyn, 4096}, BlockFormat::q4_k))));
  EXPECT_TRUE(
      failed(getStorageBytes(blockTensor({4096, kDyn}, BlockFormat::q8_0))));
  EXPECT_TRUE(failed(getStorageBytes(groupTensor({kDyn, 4096}, 4, 128, true))));
}

TEST_F(StorageTest, UnknownEncodingFails) {
  auto type = tensor({4, 4}, Float32Type::get(&context),
                     StringAttr::get(&context, "sparse"));
  EXPECT_TRUE(failed(getStorageBytes(type)));
}

} // namespace
