//===- CPULowering.cpp - What the CPU patterns share ----------------------===//
//
// Constants, addresses, row counts, result buffers and the checked ukernel
// calls of LowerToCPU.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/ukernels/UKernelABI.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::ingot;

namespace ingot::cpu {

static Type ptrType(MLIRContext *context) {
  return LLVM::LLVMPointerType::get(context);
}

/// The MLIR type of a ukernel argument kind.
static Type getABIType(MLIRContext *context, ukernels::ABIKind kind) {
  switch (kind) {
  case ukernels::ABIKind::Ptr:
    return ptrType(context);
  case ukernels::ABIKind::I64:
    return IntegerType::get(context, 64);
  case ukernels::ABIKind::I32:
    return IntegerType::get(context, 32);
  case ukernels::ABIKind::F32:
    return Float32Type::get(context);
  case ukernels::ABIKind::Void:
    break;
  }
  return NoneType::get(context);
}

//===----------------------------------------------------------------------===//
// Shared state
//===----------------------------------------------------------------------===//

Value CPULowering::i64(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, v, 64);
}
Value CPULowering::i32(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, static_cast<int32_t>(v), 32);
}
Value CPULowering::f32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                        llvm::APFloat(static_cast<float>(v)));
}
Value CPULowering::null(OpBuilder &b, Location loc) {
  return LLVM::ZeroOp::create(b, loc, ptrType(b.getContext()));
}
Value CPULowering::byteOffset(OpBuilder &b, Location loc, Value base,
                              int64_t bytes) {
  return LLVM::GEPOp::create(b, loc, ptrType(b.getContext()), b.getI8Type(),
                             base, ValueRange{i64(b, loc, bytes)},
                             LLVM::GEPNoWrapFlags::inbounds);
}
Value CPULowering::floatOffset(OpBuilder &b, Location loc, Value base,
                               Value index) {
  return LLVM::GEPOp::create(b, loc, ptrType(b.getContext()), b.getF32Type(),
                             base, ValueRange{index},
                             LLVM::GEPNoWrapFlags::inbounds);
}

Value CPULowering::floatArray(OpBuilder &b, Location loc,
                              ArrayRef<float> values, StringRef name) {
  MLIRContext *context = b.getContext();
  if (constantBlob) {
    // In the weights blob, 64-byte aligned, where a GPU reads it.
    // Equal arrays (each layer's rope frequencies) are stored once.
    const auto *bytes = reinterpret_cast<const uint8_t *>(values.data());
    std::string key(reinterpret_cast<const char *>(bytes),
                    values.size() * sizeof(float));
    auto [it, inserted] = constantOffsets.try_emplace(key, 0);
    if (inserted)
      it->second = constantBlob->add(llvm::ArrayRef<uint8_t>(
          bytes, key.size()));
    return byteOffset(b, loc, weights, it->second);
  }
  auto tensor = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      b.getF32Type());
  auto type = LLVM::LLVMArrayType::get(b.getF32Type(), values.size());
  std::string symbol = (name + "." + llvm::Twine(arrays++)).str();
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto global = LLVM::GlobalOp::create(
        b, loc, type, /*isConstant=*/true, LLVM::Linkage::Private, symbol,
        DenseElementsAttr::get(tensor, values), /*alignment=*/64);
    global.setUnnamedAddr(LLVM::UnnamedAddr::Global);
  }
  return LLVM::AddressOfOp::create(b, loc, ptrType(context), symbol);
}

Value CPULowering::weightPtr(OpBuilder &b, Location loc, Operation *op,
                             unsigned index) const {
  return LLVM::GEPOp::create(
      b, loc, ptrType(b.getContext()), b.getI8Type(), weights,
      ValueRange{arith::ConstantIntOp::create(
          b, loc, weightPlace(op, index).offset, 64)},
      LLVM::GEPNoWrapFlags::inbounds);
}

Value CPULowering::vectorOperand(OpBuilder &b, Location loc, Operation *op,
                                 unsigned index, Value converted) {
  if (weightPlaces.count({op, index}))
    return weightPtr(b, loc, op, index);
  if (!converted)
    return null(b, loc);
  return converted;
}

Value CPULowering::rowsOf(OpBuilder &b, Location loc, Value v) {
  auto t = cast<ShapedType>(v.getType());
  if (t.getRank() && !t.isDynamicDim(0))
    return i64(b, loc, t.getDimSize(0));
  for (Value at = v;;) {
    auto it = rows.find(at);
    if (it != rows.end())
      return it->second;
    Operation *def = at.getDefiningOp();
    if (auto reshape = dyn_cast_or_null<ReshapeOp>(def))
      at = reshape.getX();
    else if (auto zeros = dyn_cast_or_null<ZerosLikeOp>(def))
      at = zeros.getX();
    else
      return n;
  }
}

Value CPULowering::flatRows(OpBuilder &b, Location loc, Value v) {
  auto t = cast<ShapedType>(v.getType());
  Value r = rowsOf(b, loc, v);
  if (t.getRank() <= 1)
    return r;
  int64_t inner = 1;
  for (int64_t d : t.getShape().drop_front().drop_back())
    inner *= d;
  return arith::MulIOp::create(b, loc, r, i64(b, loc, inner));
}

Value CPULowering::elementCount(OpBuilder &b, Location loc, Value v) {
  Value r = flatRows(b, loc, v);
  return arith::MulIOp::create(b, loc, r, i64(b, loc, lastDim(v)));
}

SmallVector<Value> CPULowering::beginOp(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  currentOp = op;
  currentName = op->getName().getStringRef().str();
  for (Value operand : op->getOperands()) {
    auto ot = dyn_cast<ShapedType>(operand.getType());
    if (ot && ot.getRank() && ot.isDynamicDim(0) &&
        !isa<KVCacheType>(operand.getType())) {
      Value count = rowsOf(b, loc, operand);
      for (Value result : op->getResults()) {
        auto rt = dyn_cast<ShapedType>(result.getType());
        if (rt && rt.getRank() && rt.isDynamicDim(0))
          rows[result] = count;
      }
      break;
    }
  }
  SmallVector<Value> pointers;
  auto buffers = op->getAttrOfType<ArrayAttr>(kBuffersAttr);
  for (Attribute attr : buffers ? buffers.getValue() : ArrayRef<Attribute>()) {
    auto buffer = cast<BufferAttr>(attr);
    pointers.push_back(buffer.getOffset() < 0
                           ? logits
                           : byteOffset(b, loc, arena, buffer.getOffset()));
  }
  return pointers;
}

void CPULowering::call(OpBuilder &b, Location loc, StringRef name,
                       ValueRange args) {
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    // Declared with the type ukernels.def gives it.
    const ukernels::UKernelSignature *signature = ukernels::lookupUKernel(name);
    if (!signature) {
      if (error.empty())
        error = ("internal error: '" + name + "' is not in ukernels.def").str();
      return;
    }
    SmallVector<Type> params;
    for (const ukernels::UKernelParam &param : signature->params)
      params.push_back(getABIType(b.getContext(), param.kind));
    SmallVector<Type> results;
    if (signature->result != ukernels::ABIKind::Void)
      results.push_back(getABIType(b.getContext(), signature->result));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    callee = func::FuncOp::create(b, loc, name,
                                  b.getFunctionType(params, results));
    callee.setPrivate();
  }
  if (TypeRange(callee.getFunctionType().getInputs()) != TypeRange(args)) {
    if (error.empty())
      error = ("internal error: a call of ukernel '" + name +
               "' does not match its declaration in ukernels.def")
                  .str();
    return;
  }
  func::CallOp::create(b, loc, callee, args);
  if (name == "ingot_uk_barrier")
    return;
  ++kernelCalls[name.str()];
  if (currentOp)
    opKernels.push_back({indexOf.lookup(currentOp), currentName, name.str()});
}

LogicalResult CPULowering::fail(Operation *op, const llvm::Twine &why) {
  if (error.empty())
    error = (op->getName().getStringRef() + ": " + why).str();
  return failure();
}

LogicalResult CPULowering::finish(ConversionPatternRewriter &rewriter,
                                  Operation *op, ValueRange results) {
  barrier(rewriter, op->getLoc());
  rewriter.replaceOp(op, results);
  return success();
}

void CPULowering::barrier(OpBuilder &b, Location loc) {
  call(b, loc, "ingot_uk_barrier", {sync, nth});
}

} // namespace ingot::cpu
