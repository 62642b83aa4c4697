//===- RouteMoETest.cpp - The sparse MoE form never reads idle experts ----===//
//
// --ingot-route-moe rewrites moe_ffn into moe_sort / gather_rows /
// grouped_matmul / scatter_add, in which an expert no token selects is never
// read. Poison such an expert's weights with NaN: the sparse graph's output
// must have no NaN and equal the dense graph's output with that expert's
// weights set to zeros.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"
#include "compiler/reference/RefValue.h"
#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace mlir;
using namespace ::ingot::reference;

namespace {

constexpr int64_t kExperts = 4, kFfn = 6, kHidden = 8, kTokens = 5;
constexpr int64_t kIdle = 3; // the expert the router logits never select

/// One MoE layer per routing rule; 4 experts, hidden 8, ffn 6.
constexpr const char *kModule = R"mlir(
ingot.weight_decl @gate : tensor<4x6x8xf32>
ingot.weight_decl @up : tensor<4x6x8xf32>
ingot.weight_decl @down : tensor<4x8x6xf32>
func.func @top_k(%x: tensor<?x8xf32>, %logits: tensor<?x4xf32>) -> tensor<?x8xf32> {
  %g = ingot.weight @gate : tensor<4x6x8xf32>
  %u = ingot.weight @up : tensor<4x6x8xf32>
  %d = ingot.weight @down : tensor<4x8x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x8xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x6x8xf32>, tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func @top_p(%x: tensor<?x8xf32>, %logits: tensor<?x4xf32>) -> tensor<?x8xf32> {
  %g = ingot.weight @gate : tensor<4x6x8xf32>
  %u = ingot.weight @up : tensor<4x6x8xf32>
  %d = ingot.weight @down : tensor<4x8x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.7, max = 3>, scoring = #ingot<scoring softmax>} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation gelu_tanh>} : tensor<?x8xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x6x8xf32>, tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
)mlir";

/// The same layer on one token (static shapes, as a decode step has), which
/// --ingot-route-moe rewrites into the same sparse form.
constexpr const char *kDecodeModule = R"mlir(
ingot.weight_decl @gate : tensor<4x6x8xf32>
ingot.weight_decl @up : tensor<4x6x8xf32>
ingot.weight_decl @down : tensor<4x8x6xf32>
func.func @top_k(%x: tensor<1x8xf32>, %logits: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %g = ingot.weight @gate : tensor<4x6x8xf32>
  %u = ingot.weight @up : tensor<4x6x8xf32>
  %d = ingot.weight @down : tensor<4x8x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<1x4xf32> -> tensor<2xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<1x8xf32>, tensor<2xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x6x8xf32>, tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
func.func @top_p(%x: tensor<1x8xf32>, %logits: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %g = ingot.weight @gate : tensor<4x6x8xf32>
  %u = ingot.weight @up : tensor<4x6x8xf32>
  %d = ingot.weight @down : tensor<4x8x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.7, max = 3>, scoring = #ingot<scoring softmax>} : tensor<1x4xf32> -> tensor<2xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation gelu_tanh>} : tensor<1x8xf32>, tensor<2xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x6x8xf32>, tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
func.func @threshold(%x: tensor<1x8xf32>, %logits: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %g = ingot.weight @gate : tensor<4x6x8xf32>
  %u = ingot.weight @up : tensor<4x6x8xf32>
  %d = ingot.weight @down : tensor<4x8x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<threshold, t = 0.2, max = 0>, scoring = #ingot<scoring softmax>} : tensor<1x4xf32> -> tensor<2xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation relu>} : tensor<1x8xf32>, tensor<2xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x6x8xf32>, tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
)mlir";

/// Deterministic values in [-1, 1).
std::vector<float> pattern(int64_t n, int64_t seed) {
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i)
    values[i] = float(((i * 37 + seed * 101) % 97) - 48) / 48.0f;
  return values;
}

/// `values` of a stacked [experts, rows, cols] weight with expert `e` set to
/// `fill`.
std::vector<float> withExpert(std::vector<float> values, int64_t e,
                              float fill) {
  int64_t perExpert = int64_t(values.size()) / kExperts;
  for (int64_t i = 0; i < perExpert; ++i)
    values[e * perExpert + i] = fill;
  return values;
}

void setWeights(InMemoryWeightReader &reader, float idleFill) {
  reader.set("gate", withExpert(pattern(kExperts * kFfn * kHidden, 1), kIdle,
                                idleFill));
  reader.set(
      "up", withExpert(pattern(kExperts * kFfn * kHidden, 2), kIdle, idleFill));
  reader.set("down", withExpert(pattern(kExperts * kHidden * kFfn, 3), kIdle,
                                idleFill));
}

class RouteMoETest : public ::testing::Test {
protected:
  RouteMoETest() {
    context.loadDialect<mlir::ingot::IngotDialect, func::FuncDialect>();
  }

  /// Runs @name on all kTokens tokens at once, or (`oneByOne`, for the
  /// one-token functions) on each token in turn; the rows concatenated.
  std::vector<float> run(ModuleOp module, StringRef name,
                         InMemoryWeightReader &weights,
                         bool oneByOne = false) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    EXPECT_TRUE(fn) << name.str();
    if (!fn)
      return {};
    std::vector<float> logits(kTokens * kExperts);
    for (int64_t t = 0; t < kTokens; ++t)
      for (int64_t e = 0; e < kExperts; ++e)
        logits[t * kExperts + e] =
            e == kIdle ? -30.0f : float((t + 2 * e) % 5) * 0.4f - 0.5f;
    std::vector<float> xs = pattern(kTokens * kHidden, 7);
    if (!oneByOne) {
      RefValue x = RefValue::getFloatTensor({kTokens, kHidden}, xs);
      RefValue l = RefValue::getFloatTensor({kTokens, kExperts}, logits);
      auto results = evaluate(fn, {x, l}, weights);
      EXPECT_TRUE(bool(results)) << llvm::toString(results.takeError());
      if (!results)
        return {};
      return (*results)[0].getFloats();
    }
    std::vector<float> rows;
    for (int64_t t = 0; t < kTokens; ++t) {
      RefValue x = RefValue::getFloatTensor(
          {1, kHidden}, std::vector<float>(xs.begin() + t * kHidden,
                                           xs.begin() + (t + 1) * kHidden));
      RefValue l = RefValue::getFloatTensor(
          {1, kExperts},
          std::vector<float>(logits.begin() + t * kExperts,
                             logits.begin() + (t + 1) * kExperts));
      auto results = evaluate(fn, {x, l}, weights);
      EXPECT_TRUE(bool(results)) << llvm::toString(results.takeError());
      if (!results)
        return {};
      const std::vector<float> &row = (*results)[0].getFloats();
      rows.insert(rows.end(), row.begin(), row.end());
    }
    return rows;
  }

  MLIRContext context;
};

TEST_F(RouteMoETest, IdleExpertIsNeverRead) {
  OwningOpRef<ModuleOp> dense = parseSourceString<ModuleOp>(kModule, &context);
  ASSERT_TRUE(dense);
  OwningOpRef<ModuleOp> sparse = dense->clone();
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(mlir::ingot::createIngotRouteMoEPass());
  ASSERT_TRUE(succeeded(pm.run(*sparse)));

  // The rewrite happened: no moe_ffn left, grouped_matmul present.
  int moeFfn = 0, groupedMatmul = 0;
  sparse->walk([&](Operation *op) {
    moeFfn += isa<mlir::ingot::MoeFfnOp>(op);
    groupedMatmul += isa<mlir::ingot::GroupedMatmulOp>(op);
  });
  EXPECT_EQ(moeFfn, 0);
  EXPECT_EQ(groupedMatmul, 6);

  for (StringRef name : {"top_k", "top_p"}) {
    SCOPED_TRACE(name.str());
    InMemoryWeightReader zeros, poisoned;
    setWeights(zeros, 0.0f);
    setWeights(poisoned, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> expected = run(*dense, name, zeros);
    std::vector<float> actual = run(*sparse, name, poisoned);
    ASSERT_EQ(expected.size(), size_t(kTokens * kHidden));
    ASSERT_EQ(actual.size(), expected.size());
    bool anyNonZero = false;
    for (size_t i = 0; i < actual.size(); ++i) {
      ASSERT_FALSE(std::isnan(actual[i])) << "element " << i;
      EXPECT_NEAR(actual[i], expected[i], 1e-6f) << "element " << i;
      anyNonZero |= expected[i] != 0.0f;
    }
    EXPECT_TRUE(anyNonZero);
  }
}

TEST_F(RouteMoETest, OneTokenNeverReadsIdleExpert) {
  // The sparse form one token at a time against the dense moe_ffn on all
  // tokens at once: the same rows, and the idle expert's NaN never read.
  OwningOpRef<ModuleOp> dense = parseSourceString<ModuleOp>(kModule, &context);
  OwningOpRef<ModuleOp> decode =
      parseSourceString<ModuleOp>(kDecodeModule, &context);
  ASSERT_TRUE(dense && decode);
  OwningOpRef<ModuleOp> sparse = decode->clone();
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(mlir::ingot::createIngotRouteMoEPass());
  ASSERT_TRUE(succeeded(pm.run(*sparse)));

  // The sparse form in each of the three functions: one sort, two gathers
  // (rows and router weights), three grouped matmuls and one scatter.
  int moeFfn = 0, groupedMatmul = 0, sortGatherScatter = 0;
  sparse->walk([&](Operation *op) {
    moeFfn += isa<mlir::ingot::MoeFfnOp>(op);
    groupedMatmul += isa<mlir::ingot::GroupedMatmulOp>(op);
    sortGatherScatter += isa<mlir::ingot::MoeSortOp, mlir::ingot::GatherRowsOp,
                             mlir::ingot::ScatterAddOp>(op);
  });
  EXPECT_EQ(moeFfn, 0);
  EXPECT_EQ(groupedMatmul, 9);
  EXPECT_EQ(sortGatherScatter, 12);

  for (StringRef name : {"top_k", "top_p", "threshold"}) {
    SCOPED_TRACE(name.str());
    InMemoryWeightReader zeros, poisoned;
    setWeights(zeros, 0.0f);
    setWeights(poisoned, std::numeric_limits<float>::quiet_NaN());
    // The dense reference: the one-token dense function (top_k and top_p
    // also as the many-token dense function of kModule).
    std::vector<float> expected = run(*decode, name, zeros, true);
    std::vector<float> actual = run(*sparse, name, poisoned, true);
    ASSERT_EQ(expected.size(), size_t(kTokens * kHidden));
    ASSERT_EQ(actual.size(), expected.size());
    if (name != "threshold") {
      std::vector<float> batched = run(*dense, name, zeros);
      ASSERT_EQ(batched.size(), expected.size());
      for (size_t i = 0; i < batched.size(); ++i)
        EXPECT_NEAR(batched[i], expected[i], 1e-6f) << "element " << i;
    }
    bool anyNonZero = false;
    for (size_t i = 0; i < actual.size(); ++i) {
      ASSERT_FALSE(std::isnan(actual[i])) << "element " << i;
      EXPECT_NEAR(actual[i], expected[i], 1e-6f) << "element " << i;
      anyNonZero |= expected[i] != 0.0f;
    }
    EXPECT_TRUE(anyNonZero);
  }
}

} // namespace
