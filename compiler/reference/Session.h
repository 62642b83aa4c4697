//===- Session.h - One sequence through an @forward entry -------*- C++ -*-===//

#ifndef INGOT_COMPILER_REFERENCE_SESSION_H
#define INGOT_COMPILER_REFERENCE_SESSION_H

#include "compiler/reference/Evaluator.h"

#include <vector>

namespace ingot::reference {

/// Runs an entry point of the `@forward(ids, start, caches...) -> (logits,
/// caches...)` convention step by step: each step's tokens sit at the next
/// positions, and the KV caches are threaded from one step to the next.
class Session {
public:
  Session(Evaluator &evaluator, mlir::func::FuncOp fn)
      : evaluator(evaluator), fn(fn) {}

  /// Empty caches of the types `fn` takes after `ids` and `start`.
  llvm::Error init();

  /// Runs `ids` at the next positions; returns their logits, row by row.
  llvm::Expected<std::vector<std::vector<float>>>
  step(llvm::ArrayRef<int64_t> ids);

  int64_t getPosition() const { return position; }

private:
  Evaluator &evaluator;
  mlir::func::FuncOp fn;
  std::vector<RefValue> caches;
  int64_t position = 0;
};

/// Runs `ids` through `fn` (an entry of the convention above whose fused
/// attention ops store keys unencoded) in steps of `chunk` tokens and
/// returns, for each fused attention op with caches in program order, the
/// mean of the keys it stored, `[kv_heads * head_dim]`: the vectors
/// PipelineOptions::kvKeyMeans (--kv-calibration) takes.
llvm::Expected<std::vector<std::vector<float>>>
computeKeyMeans(WeightReader &weights, mlir::func::FuncOp fn,
                llvm::ArrayRef<int64_t> ids, int64_t chunk);

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_SESSION_H
