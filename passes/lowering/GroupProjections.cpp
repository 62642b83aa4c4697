//===- GroupProjections.cpp - Projections of one input as one op ----------===//

#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTGROUPPROJECTIONSPASS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

bool mlir::ingot::isFreeOp(Operation *op) {
  if (isa<WeightOp, ReshapeOp, LogitsRowsOp, func::ReturnOp>(op))
    return true;
  if (isa<arith::ConstantOp, tensor::DimOp>(op))
    return op->getResult(0).getType().isIndex();
  if (auto zeros = dyn_cast<ZerosLikeOp>(op))
    return llvm::all_of(zeros->getUsers(), [&](Operation *user) {
      auto scatter = dyn_cast<ScatterAddOp>(user);
      return scatter && scatter.getDest() == zeros.getResult();
    });
  return false;
}

/// A product by a weight read, `nn.Linear`-style, with a weight or no bias,
/// that is not returned.
static bool isProjection(Operation *op) {
  auto matmul = dyn_cast<MatmulOp>(op);
  if (!matmul || !matmul.getTransposeB() || matmul.getTransposeA() ||
      !matmul.getB().getDefiningOp<WeightOp>() ||
      cast<ShapedType>(matmul.getB().getType()).getRank() != 2)
    return false;
  if (Value bias = matmul.getBias(); bias && !bias.getDefiningOp<WeightOp>())
    return false;
  return llvm::none_of(matmul->getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
}

void mlir::ingot::groupProjections(func::FuncOp fn, unsigned maxGroup) {
  if (maxGroup < 2)
    return;
  // The ops that compute, in program order.
  SmallVector<Operation *> order;
  for (Operation &op : fn.getBody().front())
    if (!isFreeOp(&op))
      order.push_back(&op);
  for (size_t i = 0; i < order.size();) {
    SmallVector<MatmulOp> group;
    Value input;
    for (size_t j = i; j < order.size() && group.size() < maxGroup; ++j) {
      if (!isProjection(order[j]))
        break;
      auto matmul = cast<MatmulOp>(order[j]);
      if (input && matmul.getA() != input)
        break;
      input = matmul.getA();
      group.push_back(matmul);
    }
    if (group.size() < 2) {
      ++i;
      continue;
    }
    i += group.size();
    // The weight and bias reads move before the first product.
    MatmulOp first = group.front();
    SmallVector<Value> weights, biases;
    SmallVector<int64_t> biasFor;
    SmallVector<Type> types;
    for (auto [index, matmul] : llvm::enumerate(group)) {
      matmul.getB().getDefiningOp()->moveBefore(first);
      weights.push_back(matmul.getB());
      if (Value bias = matmul.getBias()) {
        bias.getDefiningOp()->moveBefore(first);
        biases.push_back(bias);
        biasFor.push_back(static_cast<int64_t>(index));
      }
      types.push_back(matmul.getType());
    }
    OpBuilder builder(first);
    auto multi = MultiMatmulOp::create(
        builder, first.getLoc(), types, input, weights, biases,
        builder.getDenseI64ArrayAttr(biasFor));
    for (auto [index, matmul] : llvm::enumerate(group)) {
      matmul.getResult().replaceAllUsesWith(multi.getResult(index));
      matmul.erase();
    }
  }
}

namespace {
struct GroupProjections
    : ingot::impl::IngotGroupProjectionsPassBase<GroupProjections> {
  using IngotGroupProjectionsPassBase::IngotGroupProjectionsPassBase;
  void runOnOperation() override {
    if (getOperation().getBody().hasOneBlock())
      groupProjections(getOperation(), maxGroup);
  }
};
} // namespace
