//===- RefValue.h - Runtime values of the reference evaluator ---*- C++ -*-===//
//
// A RefValue is what an SSA value of an ingot graph holds while the reference
// evaluator runs it: a float tensor, an integer tensor, an integer or index
// scalar, or a KV cache. Everything is plain host memory in row-major order;
// float data is always `float`, whatever the logical element type (the
// evaluator rounds values to that type where the graph stores them).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_REFERENCE_REFVALUE_H
#define INGOT_COMPILER_REFERENCE_REFVALUE_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ingot::reference {

/// What a RefValue holds.
enum class RefKind {
  /// A ranked tensor of a float element type: shape and `float` data.
  FloatTensor,
  /// A ranked tensor of an integer (or index) element type: shape and
  /// `int64_t` data, each value sign-extended from the element width.
  IntTensor,
  /// An `index` or integer scalar (`arith`, `tensor.dim`, `tensor.extract`).
  Scalar,
  /// One layer's key or value cache: `capacity x heads x head_dim` floats,
  /// each already rounded to the cache's element type.
  KVCache,
};

/// A runtime value of the reference evaluator. Copyable; no sharing.
class RefValue {
public:
  /// The index scalar 0.
  RefValue() = default;

  static RefValue getFloatTensor(std::vector<int64_t> shape,
                                 std::vector<float> data);
  static RefValue getIntTensor(std::vector<int64_t> shape,
                               std::vector<int64_t> data);
  static RefValue getScalar(int64_t value);
  /// A cache of `capacity` positions; `data` empty means all zeros.
  static RefValue getKVCache(int64_t capacity, int64_t numHeads,
                             int64_t headDim, std::vector<float> data = {});

  RefKind getKind() const { return kind; }
  bool isFloatTensor() const { return kind == RefKind::FloatTensor; }
  bool isIntTensor() const { return kind == RefKind::IntTensor; }
  bool isTensor() const { return isFloatTensor() || isIntTensor(); }
  bool isScalar() const { return kind == RefKind::Scalar; }
  bool isKVCache() const { return kind == RefKind::KVCache; }

  /// The tensor's shape; a KV cache's is `{capacity, heads, head_dim}`; a
  /// scalar's is empty.
  const std::vector<int64_t> &getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getDimSize(int64_t dim) const { return shape[dim]; }
  /// Product of the shape (1 for a scalar).
  int64_t getNumElements() const;

  /// Float data of a float tensor or KV cache.
  const std::vector<float> &getFloats() const { return floats; }
  std::vector<float> &getFloats() { return floats; }
  /// Integer data of an integer tensor.
  const std::vector<int64_t> &getInts() const { return ints; }
  std::vector<int64_t> &getInts() { return ints; }
  /// The value of a scalar.
  int64_t getScalar() const { return scalar; }

  /// KV caches: capacity, heads, head_dim.
  int64_t getCapacity() const { return shape[0]; }
  int64_t getNumHeads() const { return shape[1]; }
  int64_t getHeadDim() const { return shape[2]; }

  /// A short description for error messages: "float tensor 3x4",
  /// "integer tensor 5", "scalar 7", "KV cache 128x2x16".
  std::string describe() const;

private:
  RefKind kind = RefKind::Scalar;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  int64_t scalar = 0;
};

/// `shape` as `3x?x4` text (dynamic sizes as `?`).
std::string shapeToString(llvm::ArrayRef<int64_t> shape);

/// Product of the sizes of `shape`.
int64_t getNumElements(llvm::ArrayRef<int64_t> shape);

/// `value` rounded to the nearest value of the float type `type`, ties to
/// even (f16, bf16, the f8 types). f32 and wider types leave it unchanged.
float roundToFloatType(float value, mlir::Type type);

/// Rounds every element of `data` to `type` (see roundToFloatType).
void roundToFloatType(std::vector<float> &data, mlir::Type type);

/// Checks that `value` is a valid value of `type`: the kind matches (float
/// tensor for float element types, integer tensor for integer/index ones,
/// scalar for `index`/integers, KV cache for `!ingot.kv_cache`), the rank and
/// every static size match, the data has as many elements as the shape, and
/// integers fit the element width. `what` names the value in the error.
llvm::Error checkValueOfType(const RefValue &value, mlir::Type type,
                             const llvm::Twine &what);

/// A value of `type` full of zeros: a zero tensor (static shapes only), the
/// scalar 0, or an empty KV cache.
llvm::Expected<RefValue> getZeroValue(mlir::Type type);

/// An error with a formatted message (inconvertibleErrorCode).
llvm::Error makeError(const llvm::Twine &message);

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_REFVALUE_H
