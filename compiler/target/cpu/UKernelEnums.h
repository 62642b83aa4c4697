//===- UKernelEnums.h - Dialect enums as ukernel constants ------*- C++ -*-===//
//
// The one place where a dialect enum (dialects/ingot/IngotAttrs.td) whose
// value a ukernel reads becomes the ukernel's constant (ukernels.h). The
// kernels' C does not see the dialect, so the values are never passed
// through as they are: each enum is mapped case by case, and a case added
// to the dialect without a mapping here is a -Wswitch warning (and
// unreachable at run time).
//
// Mapped elsewhere, by the code that packs their data: BlockFormat ->
// INGOT_W_* (WeightPacker.cpp), KVQuantKind -> INGOT_KV_*
// (ConvertAttention.cpp's cache formats).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_UKERNELENUMS_H
#define INGOT_COMPILER_TARGET_CPU_UKERNELENUMS_H

#include "compiler/ukernels/ukernels.h"
#include "dialects/ingot/IngotAttrs.h"

#include "llvm/Support/ErrorHandling.h"

#include <cstdint>

namespace ingot::cpu {

/// ingot.attention's mask: ingot_uk_attention's `mask`.
inline int32_t getUKernelMask(mlir::ingot::MaskKind kind) {
  switch (kind) {
  case mlir::ingot::MaskKind::none:
    return INGOT_MASK_NONE;
  case mlir::ingot::MaskKind::causal:
    return INGOT_MASK_CAUSAL;
  case mlir::ingot::MaskKind::sliding_window:
    return INGOT_MASK_SLIDING_WINDOW;
  }
  llvm_unreachable("unknown MaskKind");
}

/// ingot.rope's style: ingot_uk_rope's and ingot_uk_rope_ggml's `style`.
inline int32_t getUKernelRopeStyle(mlir::ingot::RopeStyle style) {
  switch (style) {
  case mlir::ingot::RopeStyle::neox:
    return INGOT_ROPE_NEOX;
  case mlir::ingot::RopeStyle::interleaved:
    return INGOT_ROPE_INTERLEAVED;
  }
  llvm_unreachable("unknown RopeStyle");
}

/// ingot.route's rule kind: ingot_uk_route's `rule`.
inline int32_t getUKernelRouting(mlir::ingot::RoutingKind kind) {
  switch (kind) {
  case mlir::ingot::RoutingKind::top_k:
    return INGOT_ROUTE_TOP_K;
  case mlir::ingot::RoutingKind::top_p:
    return INGOT_ROUTE_TOP_P;
  case mlir::ingot::RoutingKind::threshold:
    return INGOT_ROUTE_THRESHOLD;
  }
  llvm_unreachable("unknown RoutingKind");
}

/// ingot.route's scoring: ingot_uk_route's `scoring`.
inline int32_t getUKernelScoring(mlir::ingot::RouterScoring scoring) {
  switch (scoring) {
  case mlir::ingot::RouterScoring::softmax:
    return INGOT_SCORE_SOFTMAX;
  case mlir::ingot::RouterScoring::sigmoid:
    return INGOT_SCORE_SIGMOID;
  }
  llvm_unreachable("unknown RouterScoring");
}

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_UKERNELENUMS_H
