//===- Quantize.h - Weight quantization by encoding -------------*- C++ -*-===//
//
// Quantizes float weights into, and dequantizes them from, the storage
// encoding an `#ingot.block` or `#ingot.group` attribute names. The formats
// and the quantizers themselves are numerics/Quantize.h (RTN quantizers) and
// numerics/Dequantize.h (GGUF block dequantizers); which encodings can be
// quantized to, and for which shapes, is mlir::ingot::checkQuantizable
// (dialects/ingot/WeightEncodings.h).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_PACK_QUANTIZE_H
#define INGOT_COMPILER_PACK_QUANTIZE_H

#include "numerics/Quantize.h"

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace ingot::pack {

/// The storage bytes of `values` (row-major in `shape`) in `encoding`.
llvm::Expected<std::vector<uint8_t>> quantize(llvm::ArrayRef<float> values,
                                              llvm::ArrayRef<int64_t> shape,
                                              mlir::Attribute encoding);

/// The values stored as `bytes` in `encoding` (any `#ingot.block` format
/// numerics/Dequantize.h dequantizes, or `#ingot.group`), row-major in `shape`.
llvm::Expected<std::vector<float>> dequantize(llvm::ArrayRef<uint8_t> bytes,
                                              llvm::ArrayRef<int64_t> shape,
                                              mlir::Attribute encoding);

/// What `values` become once stored in `encoding` and read back:
/// dequantize(quantize(values)). A null encoding returns `values`.
llvm::Expected<std::vector<float>>
quantizeDequantize(llvm::ArrayRef<float> values, llvm::ArrayRef<int64_t> shape,
                   mlir::Attribute encoding);

} // namespace ingot::pack

#endif // INGOT_COMPILER_PACK_QUANTIZE_H
