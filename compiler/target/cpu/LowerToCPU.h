//===- LowerToCPU.h - The ingot ops as ukernel calls (internal) -*- C++ -*-===//
//
// The CPU lowering is an MLIR dialect conversion over `@forward` after the
// lowering passes (passes/lowering): planned tensors become pointers into
// the arena, the weights blob, the caller's buffers or a KV cache; every op
// becomes a call of its ukernel (a `func.call` of the kernel's declaration,
// typed from compiler/ukernels/ukernels.def) and a barrier. The patterns of
// one op family live in one file (Convert*.cpp) and share this state: the
// step function's arguments, each value's run-time row count, and where each
// weight operand was packed. Upstream convert-to-llvm finishes the job.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_LOWERTOCPU_H
#define INGOT_COMPILER_TARGET_CPU_LOWERTOCPU_H

#include "compiler/target/cpu/Lowering.h"
#include "compiler/target/cpu/WeightBlob.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <map>
#include <string>

namespace ingot::cpu {

/// Where a packed weight operand lives in the blob.
struct WeightPlace {
  int64_t offset = 0;
  int32_t format = 0, group = 0; ///< INGOT_W_* and its group size
};

/// What every CPU pattern reads and writes.
class CPULowering {
public:
  CPULowering(const CodegenOptions &options, mlir::ModuleOp module)
      : options(options), module(module) {}

  const CodegenOptions &options;
  mlir::ModuleOp module;

  // The step function's arguments (runtime/include/ingot_abi.h) and the
  // scratch area after the activations.
  mlir::Value tokens, n, start, logits, allLogits, arena, kv, kvCtx, weights,
      sync, ith, nth, scratch;
  int64_t maxCtx = 0;
  /// Weight operands, packed before the conversion: (op, operand index).
  llvm::DenseMap<std::pair<mlir::Operation *, unsigned>, WeightPlace>
      weightPlaces;
  /// Run-time row counts along dynamic leading dimensions, by the value of
  /// the graph they count (before conversion).
  llvm::DenseMap<mlir::Value, mlir::Value> rows;
  /// Ukernel calls by name, and each call in program order with its op.
  std::map<std::string, int64_t> kernelCalls;
  std::vector<OpKernel> opKernels;
  /// Rope divisors (freq_factors) read at compile time, by rope op.
  llvm::DenseMap<mlir::Operation *, std::vector<float>> ropeDivisors;
  /// Where constant arrays go when not in the module (a GPU target).
  WeightBlob *constantBlob = nullptr;
  /// The first error of a pattern, "op: why" (one line).
  std::string error;
  /// Records `why` for `op` (the first error wins) and fails.
  mlir::LogicalResult fail(mlir::Operation *op, const llvm::Twine &why);

  // Builders of constants and addresses.
  mlir::Value i64(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
  mlir::Value i32(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
  mlir::Value f32(mlir::OpBuilder &b, mlir::Location loc, double v);
  mlir::Value null(mlir::OpBuilder &b, mlir::Location loc);
  /// `base` + `bytes` (a constant or an i64 value).
  mlir::Value byteOffset(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value base, int64_t bytes);
  /// `base` + `index` f32 elements.
  mlir::Value floatOffset(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value base, mlir::Value index);
  /// A private constant array of f32 and its address; in the weights blob
  /// (`constantBlob`) when the code runs on a device.
  mlir::Value floatArray(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<float> values, llvm::StringRef name);

  /// The pointer of weight operand `index` of `op`.
  mlir::Value weightPtr(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Operation *op, unsigned index) const;
  const WeightPlace &weightPlace(mlir::Operation *op, unsigned index) const {
    return weightPlaces.find({op, index})->second;
  }
  /// A vector the kernels read as f32 (norm weights, biases, broadcast
  /// operands): its packed weight, a null pointer when absent, else the
  /// converted operand.
  mlir::Value vectorOperand(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Operation *op, unsigned index,
                            mlir::Value converted);

  /// The row count of graph value `v`: its static leading dimension, or
  /// the run-time count recorded for it (through views), or the tokens.
  mlir::Value rowsOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
  /// Rows of `v` counting all but the last dimension.
  mlir::Value flatRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);
  /// The number of elements of `v`: its flat rows times its last dimension.
  mlir::Value elementCount(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v);

  /// The pointers of `op`'s results: their arena buffers (ingot.buffers),
  /// or the caller's logits buffer. Also gives every result with a dynamic
  /// leading dimension the rows of the first such operand (patterns of ops
  /// that change the row count set theirs after).
  llvm::SmallVector<mlir::Value> beginOp(mlir::OpBuilder &b,
                                         mlir::Operation *op);

  /// Calls ukernel `name` (checked against its ABI declaration) and counts
  /// it for the report; `barrier()` after each op's calls.
  void call(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
            mlir::ValueRange args);
  void barrier(mlir::OpBuilder &b, mlir::Location loc);
  /// Ends `op`'s calls with a barrier and replaces it by `results`.
  mlir::LogicalResult finish(mlir::ConversionPatternRewriter &rewriter,
                             mlir::Operation *op, mlir::ValueRange results);

  /// The grouped_matmul pairs (groupedPartner) of the graph: the first
  /// ends with no barrier, the second's scratch starts past the first's.
  llvm::DenseSet<mlir::Operation *> groupedFirsts, groupedSeconds;
  /// Each computing op's index in program order (the report's numbering).
  llvm::DenseMap<mlir::Operation *, int64_t> indexOf;
  mlir::Operation *currentOp = nullptr;
  /// What the report calls the op whose calls are being emitted.
  std::string currentName;

private:
  unsigned arrays = 0;
  std::map<std::string, int64_t> constantOffsets;
};

/// The grouped_matmul right after `op` when both multiply the same rows by
/// the same experts (an FFN's gate and up): the two run with no barrier
/// between them, the second quantizing its rows into the scratch past the
/// first's (groupedScratchBytes), so neither waits for the other. Null
/// otherwise.
mlir::ingot::GroupedMatmulOp groupedPartner(mlir::ingot::GroupedMatmulOp op);
/// The scratch bytes of one ingot_uk_grouped_matmul of `op` (64-aligned).
int64_t groupedScratchBytes(mlir::ingot::GroupedMatmulOp op,
                            int64_t maxBatch);

/// The size of `v`'s last dimension.
inline int64_t lastDim(mlir::Value v) {
  auto t = mlir::cast<mlir::ShapedType>(v.getType());
  return t.getDimSize(t.getRank() - 1);
}

/// Whether `v` is read from the weights blob: a weight or a literal.
inline bool isConstantRead(mlir::Value v) {
  return v && (v.getDefiningOp<mlir::ingot::WeightOp>() ||
               v.getDefiningOp<mlir::ingot::ConstantOp>());
}

inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message);
}

/// Adds the model descriptor `ingot_model_<name>` (and `ingot_main_model`)
/// to the translated module (runtime/include/ingot_abi.h). Embedded
/// weights are `blob` in the module, or the declared `ingot_weights_<name>`
/// (CodegenOptions::weightsObject). `gpuCode` is the `ingot_gpu_code` of a
/// GPU model, null for a CPU one.
void emitDescriptor(llvm::Module &module, llvm::Function *forward,
                    const LoweredModel &lowered, const CodegenOptions &options,
                    llvm::StringRef architecture, llvm::ArrayRef<uint8_t> blob,
                    llvm::Constant *gpuCode = nullptr);

/// The conversion patterns, one family per file.
void populateMatmulPatterns(mlir::TypeConverter &converter,
                            mlir::RewritePatternSet &patterns,
                            CPULowering &state);
void populateAttentionPatterns(mlir::TypeConverter &converter,
                               mlir::RewritePatternSet &patterns,
                               CPULowering &state);
void populateMoEPatterns(mlir::TypeConverter &converter,
                         mlir::RewritePatternSet &patterns,
                         CPULowering &state);
void populateElementwisePatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns,
                                 CPULowering &state);
void populateStructurePatterns(mlir::TypeConverter &converter,
                               mlir::RewritePatternSet &patterns,
                               CPULowering &state);

/// A pattern of the CPU lowering: an OpConversionPattern with the state,
/// which gives `lower` the op's result buffers (CPULowering::beginOp).
template <typename OpTy>
struct CPUPattern : mlir::OpConversionPattern<OpTy> {
  using OpAdaptor = typename mlir::OpConversionPattern<OpTy>::OpAdaptor;
  CPUPattern(mlir::TypeConverter &converter, mlir::MLIRContext *context,
             CPULowering &state)
      : mlir::OpConversionPattern<OpTy>(converter, context), state(state) {}
  /// Emits `op`'s ukernel calls and replaces it; `out` are the pointers of
  /// its results.
  virtual mlir::LogicalResult
  lower(OpTy op, OpAdaptor adaptor, mlir::ConversionPatternRewriter &rewriter,
        llvm::ArrayRef<mlir::Value> out) const = 0;
  mlir::LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  mlir::ConversionPatternRewriter &rewriter) const final {
    llvm::SmallVector<mlir::Value> out = state.beginOp(rewriter, op);
    return lower(op, adaptor, rewriter, out);
  }
  CPULowering &state;
};

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_LOWERTOCPU_H
