//===- WeightBytesTest.cpp - Weight bytes per class, --quantize syntax ----===//
//
// summarizeWeightBytes against sizes computed here by hand from the formats'
// definitions (f32: 4 bytes; q8_0: 34 bytes per 32; q4_0: 18 per 32; int4
// groups of 32: 16 bytes of codes + f16 scale (+ f16 zero)), before and
// after quantizeWeights; and the encoding syntax of --ingot-quantize.
//
//===----------------------------------------------------------------------===//

#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ingot;

namespace {

constexpr const char *kModule = R"mlir(
ingot.weight_decl @token_embd.weight : tensor<320x64xf32>
ingot.weight_decl @blk.0.attn_norm.weight : tensor<64xf32>
ingot.weight_decl @blk.0.attn_q.weight : tensor<64x64xf32>
ingot.weight_decl @blk.0.attn_q.bias : tensor<64xf32>
ingot.weight_decl @blk.0.attn_k.weight : tensor<32x64xf32, #ingot.block<q4_0>>
ingot.weight_decl @blk.0.ffn_gate_inp.weight : tensor<8x64xf32>
ingot.weight_decl @blk.0.ffn_up_exps.weight : tensor<8x32x64xf32>
ingot.weight_decl @blk.0.ffn_down_shexp.weight : tensor<64x64xf16>
ingot.weight_decl @output_norm.weight : tensor<64xf32>
ingot.weight_decl @output.weight : tensor<320x64xf32>
)mlir";

class WeightBytesTest : public ::testing::Test {
protected:
  WeightBytesTest() {
    context.loadDialect<IngotDialect, func::FuncDialect>();
    module = parseSourceString<ModuleOp>(kModule, &context);
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;

  const WeightClassBytes &get(const WeightBytesSummary &s, WeightClass cls) {
    return s.classes[static_cast<unsigned>(cls)];
  }
};

TEST_F(WeightBytesTest, SumsPerClassBeforeAndAfter) {
  ASSERT_TRUE(module);
  FailureOr<WeightBytesSummary> before = summarizeWeightBytes(*module);
  ASSERT_TRUE(succeeded(before));
  EXPECT_EQ(get(*before, WeightClass::Embedding).bytes, 320 * 64 * 4);
  // attn_q f32, attn_q.bias f32, attn_k already q4_0.
  EXPECT_EQ(get(*before, WeightClass::Attention).bytes,
            64 * 64 * 4 + 64 * 4 + 32 * 64 / 32 * 18);
  EXPECT_EQ(get(*before, WeightClass::Attention).tensors, 3);
  EXPECT_EQ(get(*before, WeightClass::Router).bytes, 8 * 64 * 4);
  EXPECT_EQ(get(*before, WeightClass::Experts).bytes, 8 * 32 * 64 * 4);
  EXPECT_EQ(get(*before, WeightClass::FFN).bytes, 64 * 64 * 2);
  EXPECT_EQ(get(*before, WeightClass::Norm).bytes, 2 * 64 * 4);
  EXPECT_EQ(get(*before, WeightClass::Norm).tensors, 2);
  EXPECT_EQ(get(*before, WeightClass::Output).bytes, 320 * 64 * 4);
  int64_t total = 0;
  for (const WeightClassBytes &c : before->classes)
    total += c.bytes;
  EXPECT_EQ(before->total.bytes, total);
  EXPECT_EQ(before->total.tensors, 10);

  QuantizeOptions options;
  auto parsed = parseWeightEncoding(&context, "int4-g32-asym");
  ASSERT_TRUE(bool(parsed));
  options.encoding = *parsed;
  ASSERT_TRUE(succeeded(quantizeWeights(*module, options)));
  FailureOr<WeightBytesSummary> after = summarizeWeightBytes(*module);
  ASSERT_TRUE(succeeded(after));
  // int4, groups of 32, asymmetric: 16 bytes of codes + 2 + 2 per group.
  auto int4 = [](int64_t n) { return n / 2 + n / 32 * 4; };
  EXPECT_EQ(get(*after, WeightClass::Embedding).bytes, 320 * 64 * 4);
  EXPECT_EQ(get(*after, WeightClass::Attention).bytes,
            int4(64 * 64) + 64 * 4 + 32 * 64 / 32 * 18);
  EXPECT_EQ(get(*after, WeightClass::Router).bytes, 8 * 64 * 4);
  EXPECT_EQ(get(*after, WeightClass::Experts).bytes, int4(8 * 32 * 64));
  EXPECT_EQ(get(*after, WeightClass::FFN).bytes, int4(64 * 64));
  EXPECT_EQ(get(*after, WeightClass::Norm).bytes, 2 * 64 * 4);
  EXPECT_EQ(get(*after, WeightClass::Output).bytes, 320 * 64 * 4);

  std::string table;
  llvm::raw_string_ostream os(table);
  printWeightBytes(os, *before, *after);
  EXPECT_NE(table.find("experts"), std::string::npos);
  EXPECT_NE(table.find(std::to_string(8 * 32 * 64 * 4)), std::string::npos);
  EXPECT_NE(table.find(std::to_string(int4(8 * 32 * 64))), std::string::npos);
}

TEST(WeightClassTest, ClassifiesCanonicalNames) {
  EXPECT_EQ(classifyWeight("token_embd.weight"), WeightClass::Embedding);
  EXPECT_EQ(classifyWeight("blk.3.attn_output.weight"), WeightClass::Attention);
  EXPECT_EQ(classifyWeight("blk.3.attn_k.bias"), WeightClass::Attention);
  EXPECT_EQ(classifyWeight("blk.3.attn_q_norm.weight"), WeightClass::Norm);
  EXPECT_EQ(classifyWeight("blk.3.ffn_gate.weight"), WeightClass::FFN);
  EXPECT_EQ(classifyWeight("blk.3.ffn_up_shexp.weight"), WeightClass::FFN);
  EXPECT_EQ(classifyWeight("blk.3.ffn_down_exps.weight"), WeightClass::Experts);
  EXPECT_EQ(classifyWeight("blk.3.ffn_gate_inp.weight"), WeightClass::Router);
  EXPECT_EQ(classifyWeight("blk.3.ffn_gate_inp_shexp.weight"),
            WeightClass::Router);
  EXPECT_EQ(classifyWeight("output_norm.weight"), WeightClass::Norm);
  EXPECT_EQ(classifyWeight("output.weight"), WeightClass::Output);
  EXPECT_EQ(classifyWeight("rope_freqs.weight"), WeightClass::Other);
}

TEST(WeightEncodingTest, ParsesAndFormats) {
  MLIRContext context;
  context.loadDialect<IngotDialect>();
  struct Case {
    const char *text;
    const char *canonical;
  } cases[] = {{"q8_0", "q8_0"},           {"q4_0", "q4_0"},
               {"q4_k", "q4_k"},           {"int8", "int8-g128"},
               {"int4-g32", "int4-g32"},   {"int4-g64-asym", "int4-g64-asym"},
               {"int8-asym", "int8-g128-asym"}, {"int4-g128-sym", "int4-g128"}};
  for (const Case &c : cases) {
    auto parsed = parseWeightEncoding(&context, c.text);
    ASSERT_TRUE(bool(parsed)) << c.text << ": "
                              << llvm::toString(parsed.takeError());
    EXPECT_EQ(formatWeightEncoding(*parsed), c.canonical);
  }
  auto group = parseWeightEncoding(&context, "int4-g64-asym");
  ASSERT_TRUE(bool(group));
  EXPECT_EQ(*group, GroupQuantAttr::get(&context, 4, 64, false));
  for (const char *bad : {"", "int4-g16", "int2", "q6_k", "int4-asym-g32",
                          "int8-sym-sym", "Q8_0"}) {
    auto parsed = parseWeightEncoding(&context, bad);
    EXPECT_FALSE(bool(parsed)) << bad;
    if (!parsed)
      llvm::consumeError(parsed.takeError());
  }
}

} // namespace
