//===- DialectTest.cpp - Unit tests of the ingot dialect's C++ API --------===//

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ingot;

namespace {

class IngotTest : public ::testing::Test {
protected:
  IngotTest() { context.loadDialect<IngotDialect>(); }
  MLIRContext context;
};

constexpr int64_t kDyn = ShapedType::kDynamic;

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

} // namespace
