//===- PlanMemory.cpp - One arena for every computed tensor ---------------===//
//
// Sizes: each result for the most rows its leading dimension can have.
// Offsets: by liveness over the ops that compute (program order), first fit
// among the buffers still live. The plan is attributes on the ops
// (`ingot.buffers`) and the function (`ingot.activation_bytes`).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/Passes.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTPLANMEMORYPASS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

static int64_t alignTo64(int64_t n) { return (n + 63) & ~int64_t(63); }

Value mlir::ingot::getStorageRoot(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto reshape = dyn_cast<ReshapeOp>(def))
      value = reshape.getX();
    else if (auto rows = dyn_cast<LogitsRowsOp>(def))
      value = rows.getX();
    else
      break;
  }
  return value;
}

ComputeOrder mlir::ingot::getComputeOrder(Block &block) {
  ComputeOrder order;
  for (Operation &op : block)
    if (!isFreeOp(&op))
      order.ops.push_back(&op);
  // Live ranges over the ops that compute, through views.
  for (auto [i, op] : llvm::enumerate(order.ops))
    for (Value operand : op->getOperands()) {
      Value r = getStorageRoot(operand);
      order.lastUse[r] = std::max<int64_t>(order.lastUse.lookup(r), i);
    }
  // The returned values are read after the last op.
  for (Value v : block.getTerminator()->getOperands())
    order.lastUse[getStorageRoot(v)] = static_cast<int64_t>(order.ops.size());
  return order;
}

namespace {

class Planner {
public:
  Planner(func::FuncOp fn, int64_t maxBatch) : fn(fn), maxBatch(maxBatch) {}
  LogicalResult run();

private:
  int64_t maxRowsOf(Value v) {
    v = getStorageRoot(v);
    if (auto zeros = v.getDefiningOp<ZerosLikeOp>())
      return maxRowsOf(zeros.getX());
    auto it = maxRows.find(v);
    if (it != maxRows.end())
      return it->second;
    auto t = dyn_cast<ShapedType>(v.getType());
    if (t && t.getRank() && !t.isDynamicDim(0))
      return t.getDimSize(0);
    return maxBatch; // the token ids, or a value of the token count
  }
  int64_t resultRows(Operation *op, Value result);

  func::FuncOp fn;
  int64_t maxBatch;
  llvm::DenseMap<Value, int64_t> maxRows;
};

/// The most rows `result` of `op` can have.
int64_t Planner::resultRows(Operation *op, Value result) {
  auto t = cast<ShapedType>(result.getType());
  if (!t.getRank() || !t.isDynamicDim(0))
    return t.getRank() ? t.getDimSize(0) : 1;
  if (auto route = dyn_cast<RouteOp>(op)) {
    int64_t experts =
        cast<ShapedType>(route.getLogits().getType()).getDimSize(1);
    int64_t perToken = route.getRule().getMaxExpertsPerToken(experts);
    return result == route.getOffsets() ? maxBatch + 1 : maxBatch * perToken;
  }
  if (auto sort = dyn_cast<MoeSortOp>(op))
    return maxRowsOf(sort.getExperts());
  if (auto gather = dyn_cast<GatherRowsOp>(op))
    return maxRowsOf(gather.getIndices());
  if (auto scatter = dyn_cast<ScatterAddOp>(op))
    return maxRowsOf(scatter.getDest());
  // The rows of the first operand with a dynamic leading dimension.
  for (Value operand : op->getOperands()) {
    auto ot = dyn_cast<ShapedType>(operand.getType());
    if (ot && ot.getRank() && ot.isDynamicDim(0) &&
        !isa<KVCacheType>(operand.getType()))
      return maxRowsOf(operand);
  }
  return maxBatch;
}

/// Whether `result` is the logits a matmul writes straight into the
/// caller's buffer.
static bool isReturnedProduct(Value result) {
  return isa_and_nonnull<MatmulOp>(result.getDefiningOp()) &&
         !result.use_empty() &&
         llvm::all_of(result.getUses(), [](OpOperand &use) {
           return isa<func::ReturnOp>(use.getOwner()) &&
                  use.getOperandNumber() == 0;
         });
}

LogicalResult Planner::run() {
  auto [order, lastUse] = getComputeOrder(fn.getBody().front());

  // Sizes.
  llvm::DenseMap<Value, int64_t> bytes;
  for (Operation *op : order)
    for (Value result : op->getResults()) {
      auto t = dyn_cast<RankedTensorType>(result.getType());
      if (!t)
        continue;
      if (t.getRank() == 0)
        return op->emitOpError("computes a rank-0 tensor; a step's tensors "
                               "must have at least one dimension");
      int64_t rows = resultRows(op, result);
      maxRows[result] = rows;
      int64_t elements = rows;
      for (int64_t d : t.getShape().drop_front())
        elements *= d;
      bytes[result] = alignTo64(elements * 4);
    }

  struct Live {
    int64_t offset, end, lastOp;
  };
  std::vector<Live> live;
  int64_t peak = 0;
  MLIRContext *context = fn.getContext();
  for (auto [index, op] : llvm::enumerate(order)) {
    int64_t i = static_cast<int64_t>(index);
    llvm::erase_if(live, [&](const Live &l) { return l.lastOp < i; });
    SmallVector<Attribute> buffers;
    for (Value result : op->getResults()) {
      if (!bytes.count(result))
        continue;
      if (isReturnedProduct(result)) {
        buffers.push_back(BufferAttr::get(context, -1, 0, maxRows[result]));
        continue;
      }
      int64_t size = bytes[result];
      llvm::sort(live, [](const Live &x, const Live &y) {
        return x.offset < y.offset;
      });
      int64_t offset = 0;
      for (const Live &l : live) {
        if (offset + size <= l.offset)
          break;
        offset = std::max(offset, l.end);
      }
      live.push_back({offset, offset + size,
                      std::max<int64_t>(lastUse.lookup(result), i)});
      peak = std::max(peak, offset + size);
      buffers.push_back(BufferAttr::get(context, offset, size,
                                        maxRows[result]));
    }
    if (!buffers.empty())
      op->setAttr(kBuffersAttr, ArrayAttr::get(context, buffers));
  }
  fn->setAttr(kActivationBytesAttr,
              IntegerAttr::get(IntegerType::get(context, 64),
                               alignTo64(peak)));
  return success();
}

struct PlanMemory : ingot::impl::IngotPlanMemoryPassBase<PlanMemory> {
  using IngotPlanMemoryPassBase::IngotPlanMemoryPassBase;
  void runOnOperation() override {
    if (!getOperation().getBody().hasOneBlock())
      return;
    if (maxBatch < 1) {
      getOperation().emitError("ingot-plan-memory: max-batch must be >= 1");
      return signalPassFailure();
    }
    if (failed(planMemory(getOperation(), maxBatch)))
      signalPassFailure();
  }
};

} // namespace

LogicalResult mlir::ingot::planMemory(func::FuncOp fn, int64_t maxBatch) {
  return Planner(fn, maxBatch).run();
}
