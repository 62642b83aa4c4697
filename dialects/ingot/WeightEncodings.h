//===- WeightEncodings.h - Which weight encodings can be written -*- C++ -*-===//
//
// The facts about weight encodings (`#ingot.block`, `#ingot.group`) that the
// quantizing graph pass and the weight packers both check: the elements per
// block or group, and which encodings and shapes numerics/Quantize.h can
// quantize to. Here, in the dialect, so that the graph passes need not link
// the packer (compiler/pack).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_DIALECTS_INGOT_WEIGHTENCODINGS_H
#define INGOT_DIALECTS_INGOT_WEIGHTENCODINGS_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::ingot {

/// Elements per block (`#ingot.block`) or group (`#ingot.group`) of
/// `encoding`; 1 for no encoding (null).
int64_t getQuantBlockSize(Attribute encoding);

/// A printable name of a weight encoding: the block format ("q4_k"), or
/// "int<bits>-g<group>[-asym]" for a group encoding; any other attribute as
/// it prints.
std::string describeWeightEncoding(Attribute encoding);

/// Succeeds if a tensor of `shape` can be quantized to `encoding`: a
/// supported encoding (q8_0, q4_0, q4_k, any `#ingot.group`, or null) and a
/// last dimension that is a whole number of blocks or groups. The error
/// names the encoding and the block size.
llvm::Error checkQuantizable(llvm::ArrayRef<int64_t> shape,
                             Attribute encoding);

} // namespace mlir::ingot

#endif // INGOT_DIALECTS_INGOT_WEIGHTENCODINGS_H
