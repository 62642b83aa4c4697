//===- WeightPacker.h - Weights in the layout the kernels read --*- C++ -*-===//
//
// Turns each declared weight into the bytes a CPU ukernel reads: the file's
// own bytes when they already are in the decl's encoding (GGUF blocks are
// the kernels' layout), GPTQ/AWQ codes re-laid into group records, float
// weights quantized to the encoding the graph passes chose, and f32 values
// for everything that is not a matrix operand (norms, biases, rope factors)
// and for weights folded at compile time (decls with inline values).
//
// Weights come through WeightStorage, which a driver implements over the
// model file: the target opens no files and links no frontend.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H
#define INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H

#include "dialects/ingot/IngotOps.h"
#include "passes/lowering/WeightSource.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ingot::cpu {

/// The bytes of a packed weight: its own, or a view of the model file's
/// (mapped) when the file already stores them as the kernel reads them, so
/// they are copied once, into the blob. Reads as an ArrayRef; assigning a
/// vector (a repacked layout) makes them its own.
class WeightBytes {
public:
  WeightBytes() = default;
  WeightBytes(std::vector<uint8_t> bytes) : owned(std::move(bytes)) {}
  /// `bytes`, not copied: they must outlive this.
  static WeightBytes view(llvm::ArrayRef<uint8_t> bytes) {
    WeightBytes w;
    w.borrowed = bytes;
    w.isView = true;
    return w;
  }
  WeightBytes &operator=(std::vector<uint8_t> bytes) {
    owned = std::move(bytes);
    isView = false;
    return *this;
  }
  llvm::ArrayRef<uint8_t> get() const {
    return isView ? borrowed : llvm::ArrayRef<uint8_t>(owned);
  }
  operator llvm::ArrayRef<uint8_t>() const { return get(); }
  size_t size() const { return get().size(); }
  const uint8_t *data() const { return get().data(); }
  const uint8_t *begin() const { return get().begin(); }
  const uint8_t *end() const { return get().end(); }

private:
  std::vector<uint8_t> owned;
  llvm::ArrayRef<uint8_t> borrowed;
  bool isView = false;
};

/// A weight as a kernel reads it.
struct PackedWeight {
  WeightBytes bytes;
  int32_t format = 0; ///< INGOT_W_* of compiler/ukernels/ukernels.h
  int32_t group = 0;  ///< group size of the INGOT_W_G* formats
};

/// The INGOT_W_* format of a weight of `type` (its encoding and element
/// type) and its group size; an error naming the encoding when no kernel
/// reads it.
llvm::Expected<std::pair<int32_t, int32_t>>
getKernelFormat(mlir::RankedTensorType type);

/// GPTQ/AWQ codes as a model file stores them.
struct GroupCodes {
  int64_t rows = 0, cols = 0, groupSize = 0;
  /// [rows, cols], each in [0, 2^bits).
  std::vector<uint8_t> codes;
  /// [rows, cols / groupSize].
  std::vector<float> scales;
  /// [rows, cols / groupSize], integers (8 everywhere for symmetric int4).
  std::vector<int32_t> zeros;
};

/// Where the packer gets weights: every weight's values (WeightSource) and,
/// where the model file already stores a weight in exactly its decl's type,
/// that stored form, copied or re-laid instead of packed from values.
class WeightStorage : public mlir::ingot::WeightSource {
public:
  /// The file's bytes of the decl's weight when it stores it in the decl's
  /// type (GGUF blocks, the kernels' layout), valid while the storage
  /// lives (a view of the mapped file, not a copy); std::nullopt when it
  /// does not or cannot be read (then the values are packed).
  virtual std::optional<llvm::ArrayRef<uint8_t>>
  readStoredBytes(mlir::ingot::WeightDeclOp decl) {
    return std::nullopt;
  }

  /// A hint that the decl's weight was packed: the storage may give back
  /// the memory its stored bytes occupy (a mapped file's pages).
  virtual void release(mlir::ingot::WeightDeclOp decl) {}

  /// The file's codes of the decl's weight when it stores it with the
  /// decl's #ingot.group encoding (GPTQ/AWQ); std::nullopt otherwise.
  virtual std::optional<GroupCodes>
  readGroupCodes(mlir::ingot::WeightDeclOp decl) {
    return std::nullopt;
  }
};

class WeightPacker {
public:
  /// `storage` gives every weight's values and stored forms; decls with
  /// inline values (folded weights) are read from the IR instead.
  explicit WeightPacker(WeightStorage &storage) : storage(storage) {}

  /// The decl's weight in its encoding (matmul and embedding operands); a
  /// decl with inline values as f32.
  llvm::Expected<PackedWeight> packMatrix(mlir::ingot::WeightDeclOp decl);

  /// The decl's values as f32 (after its encoding's rounding).
  llvm::Expected<std::vector<float>> readValues(mlir::ingot::WeightDeclOp decl);

  /// The decl's weight was written to the blob: its stored bytes may leave
  /// memory (WeightStorage::release).
  void release(mlir::ingot::WeightDeclOp decl) {
    if (!decl.getValueAttr())
      storage.release(decl);
  }

private:
  WeightStorage &storage;
};

/// `values` (row-major, `shape`) stored as `type` says: its encoding, else
/// its float element type.
llvm::Expected<PackedWeight> packValues(llvm::ArrayRef<float> values,
                                        mlir::RankedTensorType type);

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_WEIGHTPACKER_H
