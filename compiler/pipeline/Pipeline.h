//===- Pipeline.h - The graph pipeline ingotc runs by default ---*- C++ -*-===//
//
// One place that says which graph passes run, in which order, with which
// options: ingotc builds its pass manager from here, and tests and tools
// that want "what ingotc does" use the same function.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_PIPELINE_PIPELINE_H
#define INGOT_COMPILER_PIPELINE_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace ingot {

/// The user-facing knobs of the graph pipeline, as given on the command line.
struct PipelineOptions {
  /// 0: the imported graph as it is; 1 and 2: the graph passes.
  unsigned optLevel = 2;
  /// `--moe-routing`: replaces the model's expert routing rule when set.
  std::optional<std::string> moeRouting;
  /// `--quantize`: the encoding float weight matrices get (`q8_0`, `q4_0`,
  /// `q4_k`, `int8|int4[-g32|-g64|-g128][-sym|-asym]`); unset keeps them.
  std::optional<std::string> quantize;
  /// `--quantize-skip`: a regex over weight names kept as they are.
  std::string quantizeSkip;
  /// `--requantize`: `quantize` converts weights the model file stores in
  /// another block or group encoding too (dequantized, quantized again).
  bool requantize = false;
  /// `--kv-cache`: `ENC` or `k:ENC,v:ENC` with ENC one of f32, f16, bf16,
  /// q8, q4, tq4, tq3; unset keeps the frontend's caches.
  std::optional<std::string> kvCache;
  /// `--kv-calibration`: per fused attention op with caches (program order),
  /// the mean key per KV head `[kv_heads][head_dim]` of a calibration run,
  /// subtracted from the keys before they are encoded (exact for softmax
  /// attention; see subtractKeyMeans). Empty: keys as they are.
  std::vector<std::vector<float>> kvKeyMeans;
};

/// Checks every option value before anything runs; the error is one line
/// that names the option and the accepted values.
llvm::Error validatePipelineOptions(mlir::MLIRContext *context,
                                    const PipelineOptions &options);

/// Adds the graph pipeline to `pm` (anchored on the module), in this order:
///   1. ingot-set-routing     (only with --moe-routing; any -O)
///   2. canonicalize          (folds the frontend's identities)
///   3. ingot-fuse-attention  (decomposed attention -> ingot.attention)
///   4. ingot-route-moe       (moe_ffn -> sort, gather, grouped matmul,
///                             weighted scatter)
///   5. ingot-quantize        (only with --quantize; any -O)
///   6. subtract key means    (only with kvKeyMeans)
///   7. ingot-quantize-kv     (only with --kv-cache; after 5, because the
///                             V rotation folds into float weights only)
///   8. canonicalize, cse
/// Options must have passed validatePipelineOptions.
void buildGraphPipeline(mlir::OpPassManager &pm,
                        const PipelineOptions &options);

/// Adds the target-independent lowering passes every target runs after the
/// graph pipeline (passes/lowering), anchored on the module, in order:
///   1. ingot-fuse-gated-activations  (silu/gelu(a) * b -> ingot.glu)
///   2. ingot-group-projections       (q/k/v, gate/up -> ingot.multi_matmul)
///   3. ingot-logits-rows             (the asked rows of the logits only)
///   4. ingot-plan-memory             (arena offsets for `maxBatch` tokens)
void buildLoweringPipeline(mlir::OpPassManager &pm, int64_t maxBatch);

} // namespace ingot

#endif // INGOT_COMPILER_PIPELINE_PIPELINE_H
