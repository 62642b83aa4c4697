//===- Lowering.h - The ingot graph as LLVM IR for one CPU ------*- C++ -*-===//
//
// Lowers the optimized graph's `@forward` into an LLVM function that runs one
// step of the model on every thread of a pool (the ABI is
// runtime/include/ingot_abi.h): a straight-line sequence of calls into the
// ukernel library (compiler/ukernels/ukernels.h) with the model's constant
// shapes, formats and arena offsets, separated by barriers. Also emits the
// packed weights, the memory plan's arena size and the model descriptor.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_LOWERING_H
#define INGOT_COMPILER_TARGET_CPU_LOWERING_H

#include "compiler/target/cpu/WeightBlob.h"
#include "compiler/target/cpu/WeightPacker.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace ingot::cpu {

struct CodegenOptions {
  /// The model's name: a C identifier; the descriptor is
  /// `ingot_model_<name>`.
  std::string name = "model";
  /// The most tokens one forward call takes (prefill chunk).
  int64_t maxBatch = 256;
  /// Round norms, rope, SiLU and f16-cache attention as GGML's CPU backend
  /// does (INGOT_NUMERICS_GGML, docs/numerics.md).
  bool ggmlNumerics = false;
  /// Repack Q4_0 (and Q4_1, Q8_0, Q4_K, Q5_K, Q6_K) matmul weights and
  /// embedding tables into the 8-row interleaved formats (Q4_0X8, ...; the
  /// target's kernels read them: the x86 AVX2 and AVX-512 variants).
  bool interleaveQ4_0 = false;
  /// The kernels run on a GPU: constant arrays (rope frequencies,
  /// codebooks, Hadamard signs) go into the weights blob, where the device
  /// reads them, and the arena has no CPU kernel scratch.
  bool gpu = false;
  /// Embed the weights in the output; otherwise they go to `weightsFile`.
  bool embedWeights = true;
  /// Embedded weights are linked from their own object
  /// (WeightBlob::finishObject): the module declares them as
  /// `ingot_weights_<name>` and does not hold them.
  bool weightsObject = false;
  /// External weights: the file name the runtime looks for.
  std::string weightsFile;
  /// Also define `ingot_main_model`, the pointer the CLI main uses.
  bool defineMain = false;
  /// Tokenizer blob (runtime/README.md), chat template text and style.
  std::string tokenizerBlob;
  std::string chatTemplate;
  std::string chatStyle;
};

/// One buffer of the memory plan.
struct PlannedBuffer {
  std::string what; ///< the op that defines it, e.g. `ingot.matmul`
  int64_t offset = 0, bytes = 0;
  int64_t firstOp = 0, lastOp = 0;
};

/// The ukernel call one op of the plan became (for the report).
struct OpKernel {
  int64_t op = 0;      ///< the op's index, as in PlannedBuffer
  std::string graphOp; ///< e.g. `ingot.matmul`, `ingot.matmul x3` (grouped)
  std::string kernel;  ///< e.g. `ingot_uk_matmul_multi`
};

/// What lowering produced, beside the module.
struct LoweredModel {
  std::unique_ptr<llvm::Module> module;
  /// The weights blob (a temporary file until the output is written):
  /// what the output embeds, or the external file's payload.
  WeightBlob weights;
  uint64_t modelId = 0;
  /// ingot_weights_hash of `weights` when they are external, else 0.
  uint64_t weightsHash = 0;
  int64_t vocabSize = 0, maxCtx = 0, maxBatch = 0;
  int64_t arenaBytes = 0, activationBytes = 0, scratchBytes = 0;
  int64_t kvBytesPerToken = 0;
  std::vector<PlannedBuffer> plan;
  /// Ukernel calls by name (for the report).
  std::vector<std::pair<std::string, int64_t>> kernelCalls;
  /// Each ukernel call in program order, and the op it implements.
  std::vector<OpKernel> opKernels;
  /// What the driver should warn about (one line each).
  std::vector<std::string> warnings;
};

/// Lowers `graph` (after the graph pipeline) into `context`. The module has
/// no target triple yet; the ukernels are declared, not defined.
llvm::Expected<LoweredModel> lowerToLLVM(mlir::ModuleOp graph,
                                         WeightPacker &packer,
                                         const CodegenOptions &options,
                                         llvm::LLVMContext &context);

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_LOWERING_H
