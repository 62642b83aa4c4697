//===- Calibration.h - Key means for --kv-calibration -----------*- C++ -*-===//
//
// The mean key vector of each fused attention op with caches over a
// calibration text, computed with the reference evaluator; the graph
// pipeline subtracts it from the keys before they are encoded
// (PipelineOptions::kvKeyMeans, subtractKeyMeans).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_REFERENCE_CALIBRATION_H
#define INGOT_COMPILER_REFERENCE_CALIBRATION_H

#include "compiler/pipeline/Pipeline.h"
#include "frontends/import/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace ingot::reference {

/// Runs a copy of `module` through the graph pipeline with `options` but
/// without KV encodings, then the first `maxTokens` tokens of the text file
/// `path` (tokenized by `model`'s tokenizer; no more than the KV caches
/// hold) through its `@entry` in steps
/// of `chunk` tokens, and returns each fused attention op's mean key (as
/// PipelineOptions::kvKeyMeans takes them). Errors are one line naming
/// `path`.
llvm::Expected<std::vector<std::vector<float>>>
calibrateKeyMeans(mlir::ModuleOp module, const mlir::ingot::ImportedModel &model,
                  const PipelineOptions &options, llvm::StringRef path,
                  int64_t maxTokens, int64_t chunk,
                  llvm::StringRef entry = "forward");

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_CALIBRATION_H
