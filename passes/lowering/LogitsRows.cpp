//===- LogitsRows.cpp - Only the asked logits rows ------------------------===//

#include "passes/lowering/Passes.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTLOGITSROWSPASS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

void mlir::ingot::insertLogitsRows(func::FuncOp fn) {
  if (!fn.getBody().hasOneBlock())
    return;
  Operation *ret = fn.getBody().front().getTerminator();
  if (ret->getNumOperands() == 0)
    return;
  Value logits = ret->getOperand(0);
  auto type = dyn_cast<RankedTensorType>(logits.getType());
  if (!type || type.getRank() < 1 || !type.isDynamicDim(0) ||
      logits.getDefiningOp<LogitsRowsOp>())
    return;
  // The output head's input, when the matmul is only returned.
  auto matmul = logits.getDefiningOp<MatmulOp>();
  if (matmul && !matmul.getTransposeA() &&
      cast<ShapedType>(matmul.getA().getType()).getRank() == 2 &&
      llvm::all_of(matmul->getUsers(),
                   [](Operation *user) { return isa<func::ReturnOp>(user); })) {
    if (matmul.getA().getDefiningOp<LogitsRowsOp>())
      return;
    OpBuilder builder(matmul);
    auto rows = LogitsRowsOp::create(builder, matmul.getLoc(), matmul.getA());
    matmul.getAMutable().assign(rows.getResult());
    return;
  }
  OpBuilder builder(ret);
  auto rows = LogitsRowsOp::create(builder, ret->getLoc(), logits);
  ret->setOperand(0, rows.getResult());
}

namespace {
struct LogitsRows : ingot::impl::IngotLogitsRowsPassBase<LogitsRows> {
  void runOnOperation() override { insertLogitsRows(getOperation()); }
};
} // namespace
