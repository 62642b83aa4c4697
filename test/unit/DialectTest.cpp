//===- DialectTest.cpp - Unit tests of the ingot dialect's C++ API --------===//

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::ingot;

namespace {

class IngotTest : public ::testing::Test {
protected:
  IngotTest() {
    context.loadDialect<IngotDialect, func::FuncDialect>();
    // Collect diagnostics instead of printing them.
    handlerId = context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
      diagnostics.push_back(diag.str());
      return success();
    });
  }
  ~IngotTest() override { context.getDiagEngine().eraseHandler(handlerId); }

  /// Whether some collected diagnostic contains `text`.
  bool diagnosed(StringRef text) const {
    for (const std::string &message : diagnostics)
      if (StringRef(message).contains(text))
        return true;
    return false;
  }

  MLIRContext context;
  std::vector<std::string> diagnostics;
  DiagnosticEngine::HandlerID handlerId;
};

constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// broadcastShapes
//===----------------------------------------------------------------------===//

TEST(BroadcastShapes, NumPyRules) {
  auto shape = broadcastShapes({4, 1, 3}, {5, 1});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{4, 5, 3}));
  shape = broadcastShapes({}, {2, 3});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{2, 3}));
  shape = broadcastShapes({kDyn, 64}, {1, 64});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{kDyn, 64}));
  EXPECT_TRUE(failed(broadcastShapes({2, 3}, {4, 3})));
}

TEST(BroadcastShapes, Scalars) {
  auto shape = broadcastShapes({}, {});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_TRUE(shape->empty());
  shape = broadcastShapes({7}, {});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{7}));
}

TEST(BroadcastShapes, EqualShapes) {
  auto shape = broadcastShapes({2, 9, 64}, {2, 9, 64});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{2, 9, 64}));
}

TEST(BroadcastShapes, IsSymmetric) {
  auto ab = broadcastShapes({8, 1, 6, 1}, {7, 1, 5});
  auto ba = broadcastShapes({7, 1, 5}, {8, 1, 6, 1});
  ASSERT_TRUE(succeeded(ab));
  ASSERT_TRUE(succeeded(ba));
  EXPECT_EQ(*ab, (SmallVector<int64_t>{8, 7, 6, 5}));
  EXPECT_EQ(*ab, *ba);
}

TEST(BroadcastShapes, OnesStretch) {
  auto shape = broadcastShapes({1, 1}, {1, 1});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{1, 1}));
  shape = broadcastShapes({1}, {1, 3, 1});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{1, 3, 1}));
}

TEST(BroadcastShapes, DynamicSizes) {
  // Dynamic against dynamic stays dynamic.
  auto shape = broadcastShapes({kDyn, kDyn}, {kDyn, kDyn});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{kDyn, kDyn}));
  // Dynamic against 1 stays dynamic, from either side.
  shape = broadcastShapes({1, 64}, {kDyn, 64});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{kDyn, 64}));
  // Dynamic against a static size other than 1 takes the static size.
  shape = broadcastShapes({kDyn, 9}, {5, 9});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{5, 9}));
  shape = broadcastShapes({5, 9}, {kDyn, 9});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{5, 9}));
  // A missing leading dimension takes the other side's, dynamic or not.
  shape = broadcastShapes({64}, {kDyn, 9, 64});
  ASSERT_TRUE(succeeded(shape));
  EXPECT_EQ(*shape, (SmallVector<int64_t>{kDyn, 9, 64}));
}

TEST(BroadcastShapes, Mismatches) {
  EXPECT_TRUE(failed(broadcastShapes({3}, {4})));
  EXPECT_TRUE(failed(broadcastShapes({2, 3}, {3, 3})));
  // A mismatch in a leading dimension, behind matching inner ones.
  EXPECT_TRUE(failed(broadcastShapes({2, 1, 64}, {3, 9, 64})));
  // A dynamic size elsewhere does not excuse a static mismatch.
  EXPECT_TRUE(failed(broadcastShapes({kDyn, 3}, {kDyn, 4})));
}

//===----------------------------------------------------------------------===//
// Building IR with the C++ builders
//===----------------------------------------------------------------------===//

/// A module with one weight and one function `layer` whose entry block is
/// the builder's insertion point; the caller adds the body and the return.
struct ModuleBuilder {
  ModuleBuilder(MLIRContext &context, ArrayRef<Type> inputs,
                ArrayRef<Type> results)
      : builder(&context), loc(builder.getUnknownLoc()),
        module(ModuleOp::create(loc)) {
    builder.setInsertionPointToEnd(module->getBody());
    weightType =
        RankedTensorType::get({128, 64}, builder.getF32Type(),
                              BlockQuantAttr::get(&context, BlockFormat::q8_0));
    WeightDeclOp::create(builder, loc, "w", weightType,
                         builder.getStringAttr("blk.0.ffn_up.weight"));
    auto function = func::FuncOp::create(
        builder, loc, "layer", builder.getFunctionType(inputs, results));
    entry = function.addEntryBlock();
    builder.setInsertionPointToStart(entry);
  }

  OpBuilder builder;
  Location loc;
  OwningOpRef<ModuleOp> module;
  RankedTensorType weightType;
  Block *entry;
};

TEST_F(IngotTest, BuildAndVerifyModule) {
  Type f32 = Float32Type::get(&context);
  auto x = RankedTensorType::get({kDyn, 64}, f32);
  auto hidden = RankedTensorType::get({kDyn, 128}, f32);
  auto scalar = RankedTensorType::get({}, f32);
  ModuleBuilder m(context, {x}, {hidden});
  OpBuilder &b = m.builder;
  Value input = m.entry->getArgument(0);

  Value w = WeightOp::create(b, m.loc, m.weightType, "w");
  Value y = MatmulOp::create(b, m.loc, hidden, input, w, /*bias=*/Value(),
                             /*transpose_a=*/false, /*transpose_b=*/true);
  Value s = SiluOp::create(b, m.loc, y);
  auto half = DenseElementsAttr::get(scalar, b.getF32FloatAttr(0.5f));
  Value c = ConstantOp::create(b, m.loc, half);
  Value scaled = MulOp::create(b, m.loc, hidden, s, c);
  Value t =
      TransposeOp::create(b, m.loc, RankedTensorType::get({128, kDyn}, f32),
                          scaled, ArrayRef<int64_t>{1, 0});
  Value back =
      TransposeOp::create(b, m.loc, hidden, t, ArrayRef<int64_t>{1, 0});
  func::ReturnOp::create(b, m.loc, back);

  EXPECT_TRUE(succeeded(verify(*m.module)))
      << "diagnostics: " << diagnostics.size();
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_TRUE(cast<MatmulOp>(y.getDefiningOp()).getTransposeB());
  EXPECT_FALSE(cast<MatmulOp>(y.getDefiningOp()).getTransposeA());
  EXPECT_EQ(s.getType(), hidden);
}

TEST_F(IngotTest, BuildRouteAndVerify) {
  Type f32 = Float32Type::get(&context);
  Type i32 = IntegerType::get(&context, 32);
  auto logits = RankedTensorType::get({kDyn, 8}, f32);
  auto ids = RankedTensorType::get({kDyn}, i32);
  auto weights = RankedTensorType::get({kDyn}, f32);
  ModuleBuilder m(context, {logits}, {weights});
  auto rule = RoutingAttr::get(&context, RoutingKind::top_k, int64_t{2},
                               llvm::APFloat(0.0), int64_t{0});
  auto route = RouteOp::create(m.builder, m.loc, ids, ids, weights,
                               m.entry->getArgument(0), rule,
                               RouterScoring::softmax, /*renormalize=*/true);
  func::ReturnOp::create(m.builder, m.loc, route.getWeights());
  EXPECT_TRUE(succeeded(verify(*m.module)));
  EXPECT_EQ(route.getRule(), rule);
  EXPECT_EQ(route.getScoring(), RouterScoring::softmax);
  EXPECT_TRUE(route.getRenormalize());
}

TEST_F(IngotTest, VerifyRejectsBadBroadcast) {
  Type f32 = Float32Type::get(&context);
  auto a = RankedTensorType::get({2, 3}, f32);
  auto b = RankedTensorType::get({4, 3}, f32);
  ModuleBuilder m(context, {a, b}, {b});
  Value sum = AddOp::create(m.builder, m.loc, b, m.entry->getArgument(0),
                            m.entry->getArgument(1));
  func::ReturnOp::create(m.builder, m.loc, sum);
  EXPECT_TRUE(failed(verify(*m.module)));
  EXPECT_TRUE(diagnosed("'ingot.add' op cannot broadcast"));
}

TEST_F(IngotTest, VerifyRejectsBadPermutation) {
  Type f32 = Float32Type::get(&context);
  auto x = RankedTensorType::get({2, 3}, f32);
  ModuleBuilder m(context, {x}, {x});
  Value t = TransposeOp::create(m.builder, m.loc, x, m.entry->getArgument(0),
                                ArrayRef<int64_t>{0, 0});
  func::ReturnOp::create(m.builder, m.loc, t);
  EXPECT_TRUE(failed(verify(*m.module)));
  EXPECT_TRUE(diagnosed("permutation must list each dimension once"));
}

TEST_F(IngotTest, VerifyRejectsUndeclaredWeight) {
  ModuleBuilder m(context, {}, {});
  WeightOp::create(m.builder, m.loc, m.weightType, "missing");
  func::ReturnOp::create(m.builder, m.loc);
  EXPECT_TRUE(failed(verify(*m.module)));
  EXPECT_TRUE(diagnosed("does not name an ingot.weight_decl"));
}

TEST_F(IngotTest, VerifyRejectsWeightOfAnotherType) {
  ModuleBuilder m(context, {}, {});
  auto plain = RankedTensorType::get({128, 64}, Float32Type::get(&context));
  WeightOp::create(m.builder, m.loc, plain, "w");
  func::ReturnOp::create(m.builder, m.loc);
  EXPECT_TRUE(failed(verify(*m.module)));
  EXPECT_TRUE(diagnosed("differs from the declared type"));
}

TEST_F(IngotTest, EncodingRejectsPartialBlock) {
  // 100 is not a multiple of q4_k's 256-element block.
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  EXPECT_FALSE(RankedTensorType::getChecked(
      emit, {4, 100}, Float32Type::get(&context),
      BlockQuantAttr::get(&context, BlockFormat::q4_k)));
  EXPECT_TRUE(diagnosed("innermost dimension 100 is not a multiple of the "
                        "q4_k block size 256"));
  EXPECT_TRUE(RankedTensorType::getChecked(
      emit, {4, 512}, Float32Type::get(&context),
      BlockQuantAttr::get(&context, BlockFormat::q4_k)));
}

//===----------------------------------------------------------------------===//
// Parsing attributes and types
//===----------------------------------------------------------------------===//

TEST_F(IngotTest, ParseBlockAttr) {
  auto attr = dyn_cast_or_null<BlockQuantAttr>(
      parseAttribute("#ingot.block<q6_k>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getFormat(), BlockFormat::q6_k);
  EXPECT_EQ(attr.getBlockSize(), 256);
  EXPECT_EQ(attr.getBytesPerBlock(), 210);
}

TEST_F(IngotTest, GroupAttrVerifier) {
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  const int64_t four = 4, three = 3, eight = 8, size128 = 128, size96 = 96;
  auto attr = GroupQuantAttr::getChecked(emit, &context, four, size128,
                                         /*symmetric=*/false);
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getBits(), 4);
  EXPECT_EQ(attr.getGroupSize(), 128);
  EXPECT_FALSE(attr.getSymmetric());
  EXPECT_FALSE(
      GroupQuantAttr::getChecked(emit, &context, three, size128, true));
  EXPECT_TRUE(diagnosed("group quantization bits must be 4 or 8, got 3"));
  EXPECT_FALSE(GroupQuantAttr::getChecked(emit, &context, eight, size96, true));
  EXPECT_TRUE(diagnosed("group_size must be a power of two >= 2, got 96"));
}

TEST_F(IngotTest, ParseGroupAttr) {
  auto attr = dyn_cast_or_null<GroupQuantAttr>(parseAttribute(
      "#ingot.group<bits = 4, group_size = 128, symmetric = false>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getBits(), 4);
  EXPECT_EQ(attr.getGroupSize(), 128);
  EXPECT_FALSE(attr.getSymmetric());
}

TEST_F(IngotTest, ParseKVQuantAttr) {
  auto attr = dyn_cast_or_null<KVQuantAttr>(
      parseAttribute("#ingot.kv_quant<tq3>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), KVQuantKind::tq3);
  EXPECT_EQ(attr.getBits(), 3);
  EXPECT_TRUE(attr.isTurbo());
  auto q4 = dyn_cast_or_null<KVQuantAttr>(
      parseAttribute("#ingot.kv_quant<q4>", &context));
  ASSERT_TRUE(q4);
  EXPECT_EQ(q4.getBits(), 4);
  EXPECT_FALSE(q4.isTurbo());
  EXPECT_FALSE(parseAttribute("#ingot.kv_quant<int8>", &context));
  EXPECT_TRUE(diagnosed("expected ::mlir::ingot::KVQuantKind to be one of: "
                        "q8, q4, tq4, tq3"));
}

TEST_F(IngotTest, ParseRopeScalingLinear) {
  auto attr = dyn_cast_or_null<RopeScalingAttr>(
      parseAttribute("#ingot.rope_scaling<linear, factor = 2.0>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RopeScalingKind::linear);
  EXPECT_EQ(attr.getFactor().convertToDouble(), 2.0);
}

TEST_F(IngotTest, ParseRopeScalingLlama3) {
  auto attr = dyn_cast_or_null<RopeScalingAttr>(parseAttribute(
      "#ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, "
      "high_freq_factor = 4.0, original_max_position = 8192>",
      &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RopeScalingKind::llama3);
  EXPECT_EQ(attr.getFactor().convertToDouble(), 8.0);
  EXPECT_EQ(attr.getLowFreqFactor().convertToDouble(), 1.0);
  EXPECT_EQ(attr.getHighFreqFactor().convertToDouble(), 4.0);
  EXPECT_EQ(attr.getOriginalMaxPosition(), 8192);
}

TEST_F(IngotTest, ParseRopeScalingYarn) {
  auto attr = dyn_cast_or_null<RopeScalingAttr>(parseAttribute(
      "#ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768, "
      "beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.25>",
      &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RopeScalingKind::yarn);
  EXPECT_EQ(attr.getFactor().convertToDouble(), 4.0);
  EXPECT_EQ(attr.getOriginalMaxPosition(), 32768);
  EXPECT_EQ(attr.getBetaFast().convertToDouble(), 32.0);
  EXPECT_EQ(attr.getBetaSlow().convertToDouble(), 1.0);
  EXPECT_EQ(attr.getAttnFactor().convertToDouble(), 1.25);
}

TEST_F(IngotTest, ParseRopeScalingKeysInAnyOrder) {
  Attribute ordered = parseAttribute(
      "#ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, "
      "high_freq_factor = 4.0, original_max_position = 8192>",
      &context);
  Attribute shuffled = parseAttribute(
      "#ingot.rope_scaling<llama3, original_max_position = 8192, "
      "high_freq_factor = 4.0, factor = 8.0, low_freq_factor = 1.0>",
      &context);
  ASSERT_TRUE(ordered);
  EXPECT_EQ(ordered, shuffled);
}

TEST_F(IngotTest, ParseRopeScalingRejectsUnknownKind) {
  EXPECT_FALSE(
      parseAttribute("#ingot.rope_scaling<cubic, factor = 2.0>", &context));
  EXPECT_TRUE(diagnosed(
      "unknown rope scaling 'cubic', expected linear, llama3 or yarn"));
}

TEST_F(IngotTest, ParseRopeScalingRejectsForeignKey) {
  // beta_fast belongs to yarn, not to llama3.
  EXPECT_FALSE(parseAttribute(
      "#ingot.rope_scaling<linear, factor = 2.0, beta_fast = 32.0>", &context));
  EXPECT_TRUE(diagnosed("unknown key 'beta_fast' for rope scaling linear"));
}

TEST_F(IngotTest, ParseRopeScalingRejectsNonPositiveFactor) {
  EXPECT_FALSE(
      parseAttribute("#ingot.rope_scaling<linear, factor = 0.0>", &context));
  EXPECT_TRUE(diagnosed("rope scaling factor must be positive"));
}

TEST_F(IngotTest, RopeScalingLlama3Accessors) {
  Location loc = UnknownLoc::get(&context);
  auto emit = [&] { return emitError(loc); };
  auto attr = RopeScalingAttr::getChecked(
      emit, &context, RopeScalingKind::llama3, llvm::APFloat(8.0),
      int64_t{8192}, llvm::APFloat(1.0), llvm::APFloat(4.0),
      llvm::APFloat(32.0), llvm::APFloat(1.0), llvm::APFloat(1.0));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RopeScalingKind::llama3);
  EXPECT_EQ(attr.getFactor().convertToDouble(), 8.0);
  EXPECT_EQ(attr.getLowFreqFactor().convertToDouble(), 1.0);
  EXPECT_EQ(attr.getHighFreqFactor().convertToDouble(), 4.0);
  EXPECT_EQ(attr.getOriginalMaxPosition(), 8192);
  // high_freq_factor must exceed low_freq_factor.
  EXPECT_FALSE(RopeScalingAttr::getChecked(
      emit, &context, RopeScalingKind::llama3, llvm::APFloat(8.0),
      int64_t{8192}, llvm::APFloat(4.0), llvm::APFloat(4.0),
      llvm::APFloat(32.0), llvm::APFloat(1.0), llvm::APFloat(1.0)));
  EXPECT_TRUE(diagnosed("llama3 rope scaling needs high_freq_factor > "
                        "low_freq_factor"));
  // llama3 needs the original context length.
  EXPECT_FALSE(RopeScalingAttr::getChecked(
      emit, &context, RopeScalingKind::llama3, llvm::APFloat(8.0), int64_t{0},
      llvm::APFloat(1.0), llvm::APFloat(4.0), llvm::APFloat(32.0),
      llvm::APFloat(1.0), llvm::APFloat(1.0)));
  EXPECT_TRUE(
      diagnosed("rope scaling llama3 needs a positive original_max_position"));
}

TEST_F(IngotTest, ParseRoutingTopK) {
  auto attr = dyn_cast_or_null<RoutingAttr>(
      parseAttribute("#ingot.routing<top_k, k = 2>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RoutingKind::top_k);
  EXPECT_EQ(attr.getK(), 2);
  EXPECT_EQ(attr.getMaxExpertsPerToken(8), 2);
}

TEST_F(IngotTest, ParseRoutingTopPWithMax) {
  auto attr = dyn_cast_or_null<RoutingAttr>(
      parseAttribute("#ingot.routing<top_p, p = 0.6, max = 4>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RoutingKind::top_p);
  EXPECT_EQ(attr.getValue().convertToDouble(), 0.6);
  EXPECT_EQ(attr.getMaxExperts(), 4);
  EXPECT_EQ(attr.getMaxExpertsPerToken(64), 4);
}

/// Prints `attr` as MLIR text.
std::string print(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  return text;
}

TEST_F(IngotTest, AttributesRoundTrip) {
  for (StringRef text :
       {"#ingot.routing<top_k, k = 2>", "#ingot.routing<top_p, p = 0.6>",
        "#ingot.routing<top_p, p = 0.6, max = 4>",
        "#ingot.routing<threshold, t = 0.1, max = 8>",
        "#ingot.rope_scaling<linear, factor = 2.0>",
        "#ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, "
        "high_freq_factor = 4.0, original_max_position = 8192>",
        "#ingot.rope_scaling<yarn, factor = 4.0, original_max_position = "
        "32768, beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.0>",
        "#ingot.block<q5_1>",
        "#ingot.group<bits = 8, group_size = 32, symmetric = true>",
        "#ingot.kv_quant<q4>"}) {
    SCOPED_TRACE(text.str());
    Attribute attr = parseAttribute(text, &context);
    ASSERT_TRUE(attr);
    std::string printed = print(attr);
    EXPECT_EQ(parseAttribute(printed, &context), attr) << printed;
  }
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(IngotTest, ParseRoutingTopP) {
  auto attr = dyn_cast_or_null<RoutingAttr>(
      parseAttribute("#ingot.routing<top_p, p = 0.6>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RoutingKind::top_p);
  EXPECT_EQ(attr.getValue().convertToDouble(), 0.6);
  EXPECT_EQ(attr.getMaxExperts(), 0);
}

TEST_F(IngotTest, ParseRoutingThreshold) {
  auto attr = dyn_cast_or_null<RoutingAttr>(
      parseAttribute("#ingot.routing<threshold, t = 0.125>", &context));
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getKind(), RoutingKind::threshold);
  EXPECT_EQ(attr.getValue().convertToDouble(), 0.125);
}

TEST_F(IngotTest, ParseRoutingRejectsBadProbability) {
  EXPECT_FALSE(parseAttribute("#ingot.routing<top_p, p = 1.5>", &context));
  EXPECT_TRUE(diagnosed("top_p routing needs 0 < p <= 1, got 1.5"));
}

TEST_F(IngotTest, ParseRoutingRejectsUnknownRule) {
  EXPECT_FALSE(parseAttribute("#ingot.routing<top_q, p = 0.5>", &context));
  EXPECT_TRUE(diagnosed("unknown routing rule 'top_q', expected top_k, "
                        "top_p or threshold"));
}

TEST_F(IngotTest, ParseRoutingRejectsDuplicateKey) {
  EXPECT_FALSE(
      parseAttribute("#ingot.routing<top_p, p = 0.5, p = 0.6>", &context));
  EXPECT_TRUE(diagnosed("duplicate key 'p'"));
}

TEST_F(IngotTest, ParseRoutingRejectsForeignKey) {
  // t is threshold's key.
  EXPECT_FALSE(
      parseAttribute("#ingot.routing<top_p, p = 0.5, t = 0.1>", &context));
  EXPECT_TRUE(diagnosed("unknown key 't' for routing rule top_p"));
}

TEST_F(IngotTest, ParseEncodedTensorType) {
  auto type = dyn_cast_or_null<RankedTensorType>(
      parseType("tensor<4096x4096xf32, #ingot.block<q4_k>>", &context));
  ASSERT_TRUE(type);
  auto block = dyn_cast_or_null<BlockQuantAttr>(type.getEncoding());
  ASSERT_TRUE(block);
  EXPECT_EQ(block.getFormat(), BlockFormat::q4_k);
  FailureOr<int64_t> bytes = getStorageBytes(type);
  ASSERT_TRUE(succeeded(bytes));
  EXPECT_EQ(*bytes, 9437184);
}

TEST_F(IngotTest, ParseKVCacheType) {
  auto type = dyn_cast_or_null<KVCacheType>(parseType(
      "!ingot.kv_cache<4096x8x128xf16, #ingot.kv_quant<tq3>>", &context));
  ASSERT_TRUE(type);
  EXPECT_EQ(type.getCapacity(), 4096);
  EXPECT_EQ(type.getNumHeads(), 8);
  EXPECT_EQ(type.getHeadDim(), 128);
  EXPECT_TRUE(type.getElementType().isF16());
  ASSERT_TRUE(type.getEncoding());
  EXPECT_EQ(type.getEncoding().getKind(), KVQuantKind::tq3);
  // tq codebooks exist for power-of-two head dims.
  EXPECT_FALSE(parseType(
      "!ingot.kv_cache<4096x8x96xf16, #ingot.kv_quant<tq3>>", &context));
  EXPECT_TRUE(diagnosed("tq3 KV cache needs a power-of-two head_dim"));
}

} // namespace
