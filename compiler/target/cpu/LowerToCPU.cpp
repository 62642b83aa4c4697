//===- LowerToCPU.cpp - The CPU lowering's driver and shared state --------===//
//
// 1. Pack every weight operand (PackWeights.cpp): a weight read may be
//    packed differently per use (rows for an embedding, 8-row interleaved
//    blocks for a matmul, f32 for a norm).
// 2. Build the step function `ingot_forward_<name>` (the ABI of
//    runtime/include/ingot_abi.h) and move @forward's body into it.
// 3. Convert the ingot ops with the patterns of Convert*.cpp.
// 4. convert-to-llvm, reconcile casts, translate to LLVM IR, and add the
//    model descriptor (Descriptor.cpp).
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "compiler/target/cpu/PackWeights.h"

#include "compiler/ukernels/UKernelABI.h"
#include "compiler/ukernels/ukernels.h"
#include "passes/lowering/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace mlir::ingot;
using llvm::Expected;

namespace ingot::cpu {

static Type ptrType(MLIRContext *context) {
  return LLVM::LLVMPointerType::get(context);
}

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

namespace {

/// Every tensor and KV cache is a pointer; an index is an i64.
class CPUTypeConverter : public TypeConverter {
public:
  CPUTypeConverter(MLIRContext *context) {
    addConversion([](Type type) { return type; });
    addConversion([context](RankedTensorType) { return ptrType(context); });
    addConversion([context](KVCacheType) { return ptrType(context); });
    addConversion(
        [context](IndexType) { return IntegerType::get(context, 64); });
  }
};

int64_t alignTo64(int64_t n) { return (n + 63) & ~int64_t(63); }

/// The most rows value `v` can have: its buffer's, through views.
int64_t maxRowsOf(Value v, int64_t maxBatch) {
  v = getStorageRoot(v);
  if (auto zeros = v.getDefiningOp<ZerosLikeOp>())
    return maxRowsOf(zeros.getX(), maxBatch);
  if (Operation *def = v.getDefiningOp())
    if (auto buffers = def->getAttrOfType<ArrayAttr>(kBuffersAttr)) {
      unsigned i = cast<OpResult>(v).getResultNumber();
      if (i < buffers.size())
        return cast<BufferAttr>(buffers[i]).getRows();
    }
  auto t = cast<ShapedType>(v.getType());
  return t.getRank() && !t.isDynamicDim(0) ? t.getDimSize(0) : maxBatch;
}

} // namespace

GroupedMatmulOp groupedPartner(GroupedMatmulOp op) {
  Operation *after = op->getNextNode();
  while (isa_and_nonnull<WeightOp>(after))
    after = after->getNextNode();
  auto next = dyn_cast_or_null<GroupedMatmulOp>(after);
  if (!next || next.getX() != op.getX() ||
      next.getExpertOffsets() != op.getExpertOffsets())
    return nullptr;
  return next;
}

int64_t groupedScratchBytes(GroupedMatmulOp op, int64_t maxBatch) {
  return alignTo64(INGOT_UK_GROUPED_MATMUL_SCRATCH(
      maxRowsOf(op.getX(), maxBatch), lastDim(op.getX())));
}

namespace {

/// The scratch one op at a time may use (the kernels' own sizes).
int64_t scratchBytes(func::FuncOp fn, int64_t maxBatch, int64_t maxCtx) {
  int64_t scratch = 0;
  auto type = [](Value v) { return cast<ShapedType>(v.getType()); };
  auto matmulScratch = [&](Value a) {
    auto t = type(a);
    int64_t k = t.getDimSize(t.getRank() - 1);
    int64_t inner = 1;
    for (int64_t d : t.getShape().drop_front().drop_back())
      inner *= d;
    int64_t m = maxRowsOf(a, maxBatch) * (t.getRank() > 1 ? inner : 1);
    return INGOT_UK_MATMUL_SCRATCH(m, k);
  };
  for (Operation &op : fn.getBody().front()) {
    if (auto matmul = dyn_cast<MatmulOp>(op)) {
      scratch = std::max(scratch, matmulScratch(matmul.getA()));
    } else if (auto multi = dyn_cast<MultiMatmulOp>(op)) {
      scratch = std::max(scratch, matmulScratch(multi.getX()));
    } else if (auto grouped = dyn_cast<GroupedMatmulOp>(op)) {
      // Two in a row (groupedPartner) use two areas.
      scratch = std::max(scratch, groupedScratchBytes(grouped, maxBatch) *
                                      (groupedPartner(grouped) ? 2 : 1));
    } else if (auto attention = dyn_cast<AttentionOp>(op)) {
      auto q = type(attention.getQuery());
      int64_t floats = INGOT_UK_ATTENTION_SCRATCH_FLOATS(
          std::max<int64_t>(maxCtx, 1), q.getDimSize(2));
      scratch =
          std::max(scratch, INGOT_UK_MAX_THREADS * alignTo64(floats * 4));
    }
  }
  return alignTo64(scratch);
}

/// Erases the ops of `region` nothing reads that have no effects (the
/// weight reads, index arithmetic and casts the conversion left behind).
void eraseDeadOps(Region &region) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (Block &block : region)
      for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
        if (isOpTriviallyDead(&op)) {
          op.erase();
          changed = true;
        }
  }
}

/// The memory plan as the report lists it: each buffer with the ops
/// (program order) from its definition to its last read.
void recordPlan(func::FuncOp fn, CPULowering &state, LoweredModel &lowered) {
  auto [order, lastUse] = getComputeOrder(fn.getBody().front());
  for (auto [i, op] : llvm::enumerate(order)) {
    state.indexOf[op] = static_cast<int64_t>(i);
    if (auto buffers = op->getAttrOfType<ArrayAttr>(kBuffersAttr))
      for (auto [r, attr] : llvm::enumerate(buffers)) {
        auto buffer = cast<BufferAttr>(attr);
        if (buffer.getOffset() < 0)
          continue;
        int64_t index = static_cast<int64_t>(i);
        lowered.plan.push_back(
            {op->getName().getStringRef().str(), buffer.getOffset(),
             buffer.getBytes(), index,
             std::max(index, lastUse.lookup(op->getResult(r)))});
      }
  }
}

/// The step function `ingot_forward_<name>` with @forward's body moved in:
/// its arguments become the ABI's (the ids, the start position, each
/// cache at its offset in the KV arena), through casts the conversion
/// folds away.
LLVM::LLVMFuncOp buildStepFunction(func::FuncOp fn, CPULowering &state,
                                   const LoweredModel &lowered,
                                   ArrayRef<int64_t> cacheOffsets) {
  MLIRContext *context = fn.getContext();
  OpBuilder b(context);
  b.setInsertionPointToEnd(state.module.getBody());
  Location loc = fn.getLoc();
  Type ptr = ptrType(context), i64 = b.getI64Type(), i32 = b.getI32Type();
  auto stepType = LLVM::LLVMFunctionType::get(
      LLVM::LLVMVoidType::get(context),
      {ptr, i64, i64, ptr, i64, ptr, ptr, i64, ptr, ptr, i32, i32});
  auto step = LLVM::LLVMFuncOp::create(
      b, loc, "ingot_forward_" + state.options.name, stepType,
      LLVM::Linkage::Internal);
  for (unsigned i : {0u, 3u, 5u, 6u, 8u, 9u}) {
    step.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                    b.getUnitAttr());
    step.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                    b.getI64IntegerAttr(i ? 64 : 4));
  }
  Block *entry = step.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value *args[] = {&state.tokens, &state.n,     &state.start, &state.logits,
                   &state.allLogits, &state.arena, &state.kv, &state.kvCtx,
                   &state.weights, &state.sync, &state.ith, &state.nth};
  for (unsigned i = 0; i < 12; ++i)
    *args[i] = entry->getArgument(i);
  state.scratch =
      state.byteOffset(b, loc, state.arena, lowered.activationBytes);
  Block &body = fn.getBody().front();
  auto cast = [&](Value from, Type to) {
    return UnrealizedConversionCastOp::create(b, loc, to, from).getResult(0);
  };
  body.getArgument(0).replaceAllUsesWith(
      cast(state.tokens, body.getArgument(0).getType()));
  body.getArgument(1).replaceAllUsesWith(
      cast(state.start, body.getArgument(1).getType()));
  for (unsigned i = 2; i < fn.getNumArguments(); ++i) {
    Value offset = arith::MulIOp::create(
        b, loc, state.kvCtx, state.i64(b, loc, cacheOffsets[i - 2]));
    Value at = LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), state.kv,
                                   ValueRange{offset},
                                   LLVM::GEPNoWrapFlags::inbounds);
    body.getArgument(i).replaceAllUsesWith(
        cast(at, body.getArgument(i).getType()));
  }
  entry->getOperations().splice(entry->end(), body.getOperations());
  fn.erase();
  return step;
}

/// Converts the step function's ingot ops into ukernel calls; the errors
/// are one line.
llvm::Error convertOps(LLVM::LLVMFuncOp step, CPULowering &state) {
  MLIRContext *context = step.getContext();
  CPUTypeConverter converter(context);
  RewritePatternSet patterns(context);
  populateMatmulPatterns(converter, patterns, state);
  populateAttentionPatterns(converter, patterns, state);
  populateMoEPatterns(converter, patterns, state);
  populateElementwisePatterns(converter, patterns, state);
  populateStructurePatterns(converter, patterns, state);
  ConversionTarget target(*context);
  target.addLegalDialect<LLVM::LLVMDialect, arith::ArithDialect,
                         func::FuncDialect>();
  target.addLegalOp<UnrealizedConversionCastOp, tensor::DimOp>();
  target.addIllegalDialect<IngotDialect>();
  // Weight reads were packed before: nothing reads them after.
  target.addLegalOp<WeightOp, WeightDeclOp, ConstantOp>();
  target.addIllegalOp<func::ReturnOp>();
  std::string failure;
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    if (failure.empty() && diag.getSeverity() == DiagnosticSeverity::Error)
      failure = diag.str();
    return success();
  });
  if (failed(applyPartialConversion(step, target, std::move(patterns))) ||
      !state.error.empty())
    return makeError(!state.error.empty() ? state.error
                     : failure.empty()
                         ? "internal error: the CPU lowering failed"
                         : failure);
  eraseDeadOps(step.getBody());
  for (Operation &op : llvm::make_early_inc_range(*state.module.getBody()))
    if (isa<WeightDeclOp>(op))
      op.erase();
  for (NamedAttribute attr :
       llvm::to_vector(state.module->getDiscardableAttrs()))
    state.module->removeDiscardableAttr(attr.getName());
  return llvm::Error::success();
}

/// convert-to-llvm, then the translation to LLVM IR.
Expected<std::unique_ptr<llvm::Module>>
translateToLLVM(ModuleOp module, const CodegenOptions &options,
                llvm::LLVMContext &llvmContext) {
  MLIRContext *context = module.getContext();
  PassManager pm(context);
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      if (diagnostics.empty())
        diagnostics = diag.str();
      return success();
    });
    if (failed(pm.run(module)))
      return makeError("internal error: convert-to-llvm failed: " +
                       diagnostics);
  }
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "ingot." + options.name);
  if (!llvmModule)
    return makeError("internal error: the CPU lowering's LLVM dialect does "
                     "not translate to LLVM IR");
  llvm::Function *forward =
      llvmModule->getFunction("ingot_forward_" + options.name);
  const char *names[] = {"tokens", "n",      "start", "logits",
                         "all_logits", "arena", "kv",  "kv_ctx",
                         "weights", "sync",   "ith",  "nth"};
  for (unsigned i = 0; i < 12; ++i)
    forward->getArg(i)->setName(names[i]);
  return llvmModule;
}

void loadDialects(MLIRContext *context) {
  DialectRegistry registry;
  registerConvertFuncToLLVMInterface(registry);
  arith::registerConvertArithToLLVMInterface(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  context->appendDialectRegistry(registry);
  context->loadDialect<LLVM::LLVMDialect, arith::ArithDialect,
                       func::FuncDialect>();
}

} // namespace

Expected<LoweredModel> lowerToLLVM(ModuleOp graph, WeightPacker &packer,
                                   const CodegenOptions &options,
                                   llvm::LLVMContext &llvmContext) {
  loadDialects(graph.getContext());
  OwningOpRef<ModuleOp> owned(cast<ModuleOp>(graph->clone()));
  ModuleOp module = *owned;
  auto fn = module.lookupSymbol<func::FuncOp>("forward");
  if (!fn || fn.getBody().getBlocks().size() != 1)
    return makeError("the graph has no single-block @forward function");
  auto results = fn.getFunctionType().getResults();
  if (results.empty() || !isa<RankedTensorType>(results[0]))
    return makeError("@forward must return the logits first");
  if (fn.getNumArguments() < 2)
    return makeError("@forward must take (ids, start, caches...)");
  auto activationAttr = fn->getAttrOfType<IntegerAttr>(kActivationBytesAttr);
  if (!activationAttr)
    return makeError("internal error: @forward has no memory plan "
                     "(ingot-plan-memory)");

  LoweredModel lowered;
  lowered.vocabSize = cast<RankedTensorType>(results[0]).getShape().back();
  lowered.maxBatch = options.maxBatch;
  lowered.activationBytes = activationAttr.getInt();
  CPULowering state(options, module);
  // The caches: bytes per token before each.
  std::vector<int64_t> cacheOffsets;
  for (unsigned i = 2; i < fn.getNumArguments(); ++i) {
    auto cache = dyn_cast<KVCacheType>(fn.getArgument(i).getType());
    if (!cache)
      return makeError("@forward argument " + llvm::Twine(i) +
                       " is not a KV cache");
    cacheOffsets.push_back(lowered.kvBytesPerToken);
    lowered.kvBytesPerToken +=
        cache.getNumHeads() * getKVBytesPerTokenHead(cache);
    state.maxCtx = std::max(state.maxCtx, cache.getCapacity());
  }
  lowered.maxCtx = state.maxCtx;
  lowered.scratchBytes =
      options.gpu ? 0 : scratchBytes(fn, options.maxBatch, state.maxCtx);
  for (Operation &op : fn.getBody().front())
    if (auto grouped = dyn_cast<GroupedMatmulOp>(op))
      if (GroupedMatmulOp next = groupedPartner(grouped)) {
        state.groupedFirsts.insert(grouped);
        state.groupedSeconds.insert(next);
      }
  lowered.arenaBytes = lowered.activationBytes + lowered.scratchBytes;

  auto blob = WeightBlob::create();
  if (!blob)
    return blob.takeError();
  lowered.weights = std::move(*blob);
  WeightPacking packing(packer, options, lowered.weights);
  if (llvm::Error err = packing.run(fn, state))
    return err;
  lowered.warnings = packing.takeWarnings();
  if (options.gpu)
    state.constantBlob = &lowered.weights;
  recordPlan(fn, state, lowered);
  LLVM::LLVMFuncOp step = buildStepFunction(fn, state, lowered, cacheOffsets);
  if (llvm::Error err = convertOps(step, state))
    return err;
  auto llvmModule = translateToLLVM(module, options, llvmContext);
  if (!llvmModule)
    return llvmModule.takeError();
  llvm::Function *forward =
      (*llvmModule)->getFunction("ingot_forward_" + options.name);

  // Identity of the compiled model: its weights and its code.
  std::string ir;
  {
    llvm::raw_string_ostream os(ir);
    forward->print(os);
  }
  uint64_t blobHash = lowered.weights.hash();
  lowered.modelId = blobHash ^ (llvm::xxh3_64bits(ir) * 31);
  // External weights are checked at open against this hash of their bytes.
  if (!options.embedWeights)
    lowered.weightsHash = blobHash;
  // A module that holds the weights reads them back from the blob's file.
  std::unique_ptr<llvm::MemoryBuffer> held;
  if (options.embedWeights && !options.weightsObject) {
    auto read = lowered.weights.read();
    if (!read)
      return read.takeError();
    held = std::move(*read);
  }
  auto archAttr = graph->getAttrOfType<StringAttr>("ingot.architecture");
  emitDescriptor(**llvmModule, forward, lowered, options,
                 archAttr ? archAttr.getValue() : "",
                 held ? llvm::arrayRefFromStringRef(held->getBuffer())
                      : llvm::ArrayRef<uint8_t>());
  held.reset();
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (llvm::verifyModule(**llvmModule, &errorStream))
    return makeError("internal error: generated LLVM IR is invalid: " +
                     llvm::StringRef(error).trim());
  lowered.module = std::move(*llvmModule);
  lowered.kernelCalls.assign(state.kernelCalls.begin(),
                             state.kernelCalls.end());
  lowered.opKernels = std::move(state.opKernels);
  return lowered;
}

} // namespace ingot::cpu
