//===- Kernels.cpp - The math of the reference evaluator ------------------===//
//
// Deliberately naive: index arithmetic spelled out, one output element at a
// time, double accumulators. Speed does not matter here; being obviously
// right does.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Kernels.h"

#include "dialects/ingot/IngotOps.h"
#include "numerics/Numerics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace llvm;
using namespace mlir;
using mlir::ingot::Activation;
using mlir::ingot::MaskKind;
using mlir::ingot::ReduceKind;
using mlir::ingot::RopeScalingAttr;
using mlir::ingot::RopeScalingKind;
using mlir::ingot::RouterScoring;
using mlir::ingot::RoutingAttr;
using mlir::ingot::RoutingKind;

namespace ingot::reference {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static constexpr double kInf = std::numeric_limits<double>::infinity();
static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
static constexpr double kPi = 3.14159265358979323846;

static Error expectFloatTensor(const RefValue &value, StringRef name) {
  if (value.isFloatTensor())
    return Error::success();
  return makeError(name + " must be a float tensor, got a " + value.describe());
}

static Error expectIntTensor(const RefValue &value, StringRef name) {
  if (value.isIntTensor())
    return Error::success();
  return makeError(name + " must be an integer tensor, got a " +
                   value.describe());
}

static Error expectTensor(const RefValue &value, StringRef name) {
  if (value.isTensor())
    return Error::success();
  return makeError(name + " must be a tensor, got a " + value.describe());
}

static Error expectRank(const RefValue &value, int64_t rank, StringRef name) {
  if (value.getRank() == rank)
    return Error::success();
  return makeError(name + " must have rank " + Twine(rank) + ", got " +
                   value.describe());
}

/// Checks `size` (what) equals `want`.
static Error expectSize(int64_t size, int64_t want, const Twine &what) {
  if (size == want)
    return Error::success();
  return makeError(what + " is " + Twine(size) + ", expected " + Twine(want));
}

/// Row-major strides of `shape`.
using ::ingot::numerics::getStrides;

/// The coordinates of row-major element `index` of `shape`.
static void unravel(int64_t index, ArrayRef<int64_t> shape,
                    std::vector<int64_t> &coords) {
  coords.resize(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    coords[d] = shape[d] == 0 ? 0 : index % shape[d];
    index = shape[d] == 0 ? 0 : index / shape[d];
  }
}

/// A tensor of x's kind and `shape` whose element i is x's element
/// `source(i)`.
template <typename Fn>
static RefValue gatherElements(const RefValue &x, std::vector<int64_t> shape,
                               Fn source) {
  int64_t count = getNumElements(shape);
  if (x.isFloatTensor()) {
    std::vector<float> data(count);
    for (int64_t i = 0; i < count; ++i)
      data[i] = x.getFloats()[source(i)];
    return RefValue::getFloatTensor(std::move(shape), std::move(data));
  }
  std::vector<int64_t> data(count);
  for (int64_t i = 0; i < count; ++i)
    data[i] = x.getInts()[source(i)];
  return RefValue::getIntTensor(std::move(shape), std::move(data));
}

/// Sizes of `shape` before `axis`, at it, and after it.
static std::array<int64_t, 3> splitAtAxis(ArrayRef<int64_t> shape,
                                          int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  return {outer, shape[axis], inner};
}

static Error checkAxis(const RefValue &x, int64_t axis) {
  if (axis >= 0 && axis < x.getRank())
    return Error::success();
  return makeError("axis " + Twine(axis) + " is out of range for " +
                   x.describe());
}

//===----------------------------------------------------------------------===//
// Matmul, elementwise
//===----------------------------------------------------------------------===//

Expected<RefValue> matmul(const RefValue &a, const RefValue &b,
                          const RefValue *bias, bool transposeA,
                          bool transposeB) {
  if (Error err = expectFloatTensor(a, "a"))
    return err;
  if (Error err = expectFloatTensor(b, "b"))
    return err;
  int64_t rank = a.getRank();
  if (rank < 2)
    return makeError("a must have rank >= 2, got " + a.describe());
  int64_t bRank = b.getRank();
  if (bRank != 2 && bRank != rank)
    return makeError("b must have rank 2 or " + Twine(rank) + ", got " +
                     b.describe());
  const std::vector<int64_t> &as = a.getShape(), &bs = b.getShape();
  int64_t aRows = as[rank - 2], aCols = as[rank - 1];
  int64_t bRows = bs[bRank - 2], bCols = bs[bRank - 1];
  int64_t m = transposeA ? aCols : aRows;
  int64_t k = transposeA ? aRows : aCols;
  int64_t kb = transposeB ? bCols : bRows;
  int64_t n = transposeB ? bRows : bCols;
  if (k != kb)
    return makeError("contraction sizes differ: " + Twine(k) + " in a (" +
                     a.describe() + "), " + Twine(kb) + " in b (" +
                     b.describe() + ")");
  std::vector<int64_t> shape(as.begin(), as.end() - 2);
  if (bRank == rank)
    for (int64_t d = 0; d + 2 < rank; ++d)
      if (bs[d] != as[d])
        return makeError("batch dimension " + Twine(d) + " differs: " +
                         Twine(as[d]) + " in a, " + Twine(bs[d]) + " in b");
  if (bias) {
    if (Error err = expectFloatTensor(*bias, "bias"))
      return err;
    if (bias->getRank() != 1 || bias->getDimSize(0) != n)
      return makeError("bias must have " + Twine(n) + " elements, got " +
                       bias->describe());
  }
  int64_t batches = getNumElements(shape);
  shape.push_back(m);
  shape.push_back(n);
  std::vector<float> out(batches * m * n);
  const std::vector<float> &av = a.getFloats(), &bv = b.getFloats();
  for (int64_t batch = 0; batch < batches; ++batch) {
    int64_t aBase = batch * aRows * aCols;
    int64_t bBase = bRank == 2 ? 0 : batch * bRows * bCols;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p) {
          double x = av[aBase + (transposeA ? p * aCols + i : i * aCols + p)];
          double y = bv[bBase + (transposeB ? j * bCols + p : p * bCols + j)];
          sum += x * y;
        }
        if (bias)
          sum += bias->getFloats()[j];
        out[(batch * m + i) * n + j] = static_cast<float>(sum);
      }
    }
  }
  return RefValue::getFloatTensor(std::move(shape), std::move(out));
}

/// NumPy's broadcast of two runtime shapes.
static Expected<std::vector<int64_t>> broadcastShape(ArrayRef<int64_t> a,
                                                     ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return makeError("cannot broadcast shapes " + shapeToString(a) + " and " +
                       shapeToString(b));
    shape[i] = x == 1 ? y : x;
  }
  return shape;
}

/// Strides to read `shape` as if broadcast to `outShape`: 0 along stretched
/// and missing leading dimensions.
static std::vector<int64_t> getBroadcastStrides(ArrayRef<int64_t> shape,
                                                ArrayRef<int64_t> outShape) {
  std::vector<int64_t> own = getStrides(shape);
  std::vector<int64_t> strides(outShape.size(), 0);
  size_t offset = outShape.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    strides[d + offset] = shape[d] == 1 ? 0 : own[d];
  return strides;
}

static int64_t dot(ArrayRef<int64_t> coords, ArrayRef<int64_t> strides) {
  int64_t offset = 0;
  for (size_t d = 0; d < coords.size(); ++d)
    offset += coords[d] * strides[d];
  return offset;
}

Expected<RefValue> binary(BinaryKind kind, const RefValue &lhs,
                          const RefValue &rhs) {
  if (Error err = expectFloatTensor(lhs, "lhs"))
    return err;
  if (Error err = expectFloatTensor(rhs, "rhs"))
    return err;
  Expected<std::vector<int64_t>> shape =
      broadcastShape(lhs.getShape(), rhs.getShape());
  if (!shape)
    return shape.takeError();
  std::vector<int64_t> lStrides = getBroadcastStrides(lhs.getShape(), *shape);
  std::vector<int64_t> rStrides = getBroadcastStrides(rhs.getShape(), *shape);
  int64_t count = getNumElements(*shape);
  std::vector<float> out(count);
  std::vector<int64_t> coords;
  for (int64_t i = 0; i < count; ++i) {
    unravel(i, *shape, coords);
    double x = lhs.getFloats()[dot(coords, lStrides)];
    double y = rhs.getFloats()[dot(coords, rStrides)];
    double r = 0.0;
    switch (kind) {
    case BinaryKind::Add:
      r = x + y;
      break;
    case BinaryKind::Sub:
      r = x - y;
      break;
    case BinaryKind::Mul:
      r = x * y;
      break;
    case BinaryKind::Div:
      r = x / y;
      break;
    case BinaryKind::Maximum:
      r = (std::isnan(x) || std::isnan(y)) ? kNaN : std::max(x, y);
      break;
    }
    out[i] = static_cast<float>(r);
  }
  return RefValue::getFloatTensor(std::move(*shape), std::move(out));
}

Expected<RefValue> select(const RefValue &condition, const RefValue &trueValue,
                          const RefValue &falseValue) {
  if (Error err = expectIntTensor(condition, "condition"))
    return err;
  if (Error err = expectFloatTensor(trueValue, "true value"))
    return err;
  if (Error err = expectFloatTensor(falseValue, "false value"))
    return err;
  Expected<std::vector<int64_t>> values =
      broadcastShape(trueValue.getShape(), falseValue.getShape());
  if (!values)
    return values.takeError();
  Expected<std::vector<int64_t>> shape =
      broadcastShape(condition.getShape(), *values);
  if (!shape)
    return shape.takeError();
  std::vector<int64_t> cStrides =
      getBroadcastStrides(condition.getShape(), *shape);
  std::vector<int64_t> tStrides =
      getBroadcastStrides(trueValue.getShape(), *shape);
  std::vector<int64_t> fStrides =
      getBroadcastStrides(falseValue.getShape(), *shape);
  int64_t count = getNumElements(*shape);
  std::vector<float> out(count);
  std::vector<int64_t> coords;
  for (int64_t i = 0; i < count; ++i) {
    unravel(i, *shape, coords);
    out[i] = condition.getInts()[dot(coords, cStrides)]
                 ? trueValue.getFloats()[dot(coords, tStrides)]
                 : falseValue.getFloats()[dot(coords, fStrides)];
  }
  return RefValue::getFloatTensor(std::move(*shape), std::move(out));
}

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double applyUnary(UnaryKind kind, double x) {
  switch (kind) {
  case UnaryKind::Silu:
    return x * sigmoid(x);
  case UnaryKind::Gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case UnaryKind::GeluTanh: {
    const double c = std::sqrt(2.0 / kPi);
    return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
  }
  case UnaryKind::Sigmoid:
    return sigmoid(x);
  case UnaryKind::Tanh:
    return std::tanh(x);
  case UnaryKind::Exp:
    return std::exp(x);
  case UnaryKind::Neg:
    return -x;
  case UnaryKind::Rsqrt:
    return 1.0 / std::sqrt(x);
  case UnaryKind::Relu:
    return std::isnan(x) ? x : std::max(x, 0.0);
  }
  return kNaN;
}

Expected<RefValue> unary(UnaryKind kind, const RefValue &x) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  std::vector<float> out(x.getFloats().size());
  for (auto [i, value] : llvm::enumerate(x.getFloats()))
    out[i] = static_cast<float>(applyUnary(kind, value));
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

Expected<RefValue> clamp(const RefValue &x, double lo, double hi) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  std::vector<float> out(x.getFloats().size());
  for (auto [i, value] : llvm::enumerate(x.getFloats()))
    out[i] = value < lo ? static_cast<float>(lo)
             : value > hi ? static_cast<float>(hi)
                          : value;
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

Expected<RefValue> reshape(const RefValue &x, ArrayRef<int64_t> shape) {
  if (Error err = expectTensor(x, "x"))
    return err;
  for (int64_t size : shape)
    if (size < 0)
      return makeError("cannot reshape " + x.describe() + " to " +
                       shapeToString(shape));
  if (getNumElements(shape) != x.getNumElements())
    return makeError("cannot reshape " + x.describe() + " to " +
                     shapeToString(shape) + ": element counts differ");
  if (x.isFloatTensor())
    return RefValue::getFloatTensor(shape.vec(), x.getFloats());
  return RefValue::getIntTensor(shape.vec(), x.getInts());
}

Expected<RefValue> transpose(const RefValue &x, ArrayRef<int64_t> permutation) {
  if (Error err = expectTensor(x, "x"))
    return err;
  int64_t rank = x.getRank();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return makeError("permutation has " + Twine(permutation.size()) +
                     " entries for " + x.describe());
  std::vector<bool> seen(rank, false);
  for (int64_t p : permutation) {
    if (p < 0 || p >= rank || seen[p])
      return makeError("permutation must list each dimension once");
    seen[p] = true;
  }
  std::vector<int64_t> shape(rank);
  for (int64_t d = 0; d < rank; ++d)
    shape[d] = x.getDimSize(permutation[d]);
  if (x.isFloatTensor())
    return RefValue::getFloatTensor(
        std::move(shape), numerics::transpose<float>(x.getFloats(),
                                                     x.getShape(),
                                                     permutation));
  return RefValue::getIntTensor(
      std::move(shape),
      numerics::transpose<int64_t>(x.getInts(), x.getShape(), permutation));
}

Expected<RefValue> concat(ArrayRef<const RefValue *> inputs, int64_t axis) {
  if (inputs.empty())
    return makeError("needs at least one input");
  const RefValue &first = *inputs.front();
  if (Error err = expectTensor(first, "input 0"))
    return err;
  if (Error err = checkAxis(first, axis))
    return err;
  std::vector<int64_t> shape = first.getShape();
  shape[axis] = 0;
  for (auto [index, input] : llvm::enumerate(inputs)) {
    if (input->getKind() != first.getKind() ||
        input->getRank() != first.getRank())
      return makeError("input " + Twine(index) + " (" + input->describe() +
                       ") does not match input 0 (" + first.describe() + ")");
    for (int64_t d = 0; d < first.getRank(); ++d)
      if (d != axis && input->getDimSize(d) != first.getDimSize(d))
        return makeError("input " + Twine(index) + " (" + input->describe() +
                         ") differs from input 0 (" + first.describe() +
                         ") in dimension " + Twine(d));
    shape[axis] += input->getDimSize(axis);
  }
  // For each output element: which input, and where in it.
  int64_t inner = splitAtAxis(shape, axis)[2];
  std::vector<std::pair<const RefValue *, int64_t>> along;
  for (const RefValue *input : inputs)
    for (int64_t j = 0; j < input->getDimSize(axis); ++j)
      along.push_back({input, j});
  int64_t count = getNumElements(shape);
  auto locate = [&](int64_t i) {
    int64_t in = i % inner;
    int64_t j = (i / inner) % static_cast<int64_t>(along.size());
    int64_t o = i / inner / static_cast<int64_t>(along.size());
    const RefValue *input = along[j].first;
    int64_t size = input->getDimSize(axis);
    return std::make_pair(input, (o * size + along[j].second) * inner + in);
  };
  if (first.isFloatTensor()) {
    std::vector<float> data(count);
    for (int64_t i = 0; i < count; ++i) {
      auto [input, offset] = locate(i);
      data[i] = input->getFloats()[offset];
    }
    return RefValue::getFloatTensor(std::move(shape), std::move(data));
  }
  std::vector<int64_t> data(count);
  for (int64_t i = 0; i < count; ++i) {
    auto [input, offset] = locate(i);
    data[i] = input->getInts()[offset];
  }
  return RefValue::getIntTensor(std::move(shape), std::move(data));
}

Expected<RefValue> stridedSlice(const RefValue &x, ArrayRef<int64_t> offsets,
                                ArrayRef<int64_t> sizes,
                                ArrayRef<int64_t> strides) {
  if (Error err = expectTensor(x, "x"))
    return err;
  int64_t rank = x.getRank();
  if (static_cast<int64_t>(offsets.size()) != rank ||
      static_cast<int64_t>(sizes.size()) != rank ||
      static_cast<int64_t>(strides.size()) != rank)
    return makeError("slice of " + x.describe() + " needs " + Twine(rank) +
                     " offsets, sizes and strides");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = x.getDimSize(d);
    if (offsets[d] < 0 || sizes[d] < 0 || strides[d] < 1 ||
        (sizes[d] > 0 && offsets[d] + (sizes[d] - 1) * strides[d] >= dim))
      return makeError("slice of " + Twine(sizes[d]) + " elements from " +
                       Twine(offsets[d]) + " with stride " + Twine(strides[d]) +
                       " is out of range of dimension " + Twine(d) +
                       " of size " + Twine(dim));
  }
  std::vector<int64_t> inStrides = getStrides(x.getShape());
  std::vector<int64_t> shape = sizes.vec();
  std::vector<int64_t> coords;
  return gatherElements(x, shape, [&](int64_t i) {
    unravel(i, shape, coords);
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += (offsets[d] + coords[d] * strides[d]) * inStrides[d];
    return offset;
  });
}

Expected<RefValue> slice(const RefValue &x, int64_t axis, int64_t start,
                         int64_t size) {
  if (Error err = expectTensor(x, "x"))
    return err;
  if (Error err = checkAxis(x, axis))
    return err;
  int64_t dim = x.getDimSize(axis);
  if (start < 0 || size < 0 || start > dim || size > dim - start)
    return makeError("range " + Twine(start) + " + " + Twine(size) +
                     " exceeds dimension " + Twine(axis) + " of " +
                     x.describe());
  std::vector<int64_t> offsets(x.getRank(), 0), sizes = x.getShape(),
                                                strides(x.getRank(), 1);
  offsets[axis] = start;
  sizes[axis] = size;
  return stridedSlice(x, offsets, sizes, strides);
}

Expected<RefValue> broadcastTo(const RefValue &x, ArrayRef<int64_t> shape) {
  if (Error err = expectTensor(x, "x"))
    return err;
  if (x.getRank() > static_cast<int64_t>(shape.size()))
    return makeError("cannot broadcast " + x.describe() +
                     " to the lower rank " + shapeToString(shape));
  size_t offset = shape.size() - x.getRank();
  for (int64_t d = 0; d < x.getRank(); ++d)
    if (x.getDimSize(d) != 1 && x.getDimSize(d) != shape[d + offset])
      return makeError("cannot broadcast " + x.describe() + " to " +
                       shapeToString(shape));
  std::vector<int64_t> strides = getBroadcastStrides(x.getShape(), shape);
  std::vector<int64_t> outShape = shape.vec();
  std::vector<int64_t> coords;
  return gatherElements(x, outShape, [&](int64_t i) {
    unravel(i, outShape, coords);
    return dot(coords, strides);
  });
}

Expected<RefValue> gatherRows(const RefValue &x, const RefValue &indices) {
  if (Error err = expectTensor(x, "x"))
    return err;
  if (Error err = expectIntTensor(indices, "indices"))
    return err;
  if (x.getRank() < 1)
    return makeError("x must have rank >= 1");
  if (Error err = expectRank(indices, 1, "indices"))
    return err;
  int64_t rows = x.getDimSize(0);
  int64_t rowSize = rows == 0 ? 0 : x.getNumElements() / rows;
  for (auto [i, index] : llvm::enumerate(indices.getInts()))
    if (index < 0 || index >= rows)
      return makeError("index " + Twine(index) + " at position " + Twine(i) +
                       " is out of range of the " + Twine(rows) + " rows of " +
                       x.describe());
  std::vector<int64_t> shape = x.getShape();
  shape[0] = indices.getDimSize(0);
  return gatherElements(x, std::move(shape), [&](int64_t i) {
    int64_t row = rowSize == 0 ? 0 : i / rowSize;
    return indices.getInts()[row] * rowSize + (i - row * rowSize);
  });
}

//===----------------------------------------------------------------------===//
// Embedding, norms, rope, softmax, reductions
//===----------------------------------------------------------------------===//

Expected<RefValue> embedding(const RefValue &table, const RefValue &ids) {
  if (Error err = expectFloatTensor(table, "table"))
    return err;
  if (Error err = expectRank(table, 2, "table"))
    return err;
  if (Error err = expectIntTensor(ids, "ids"))
    return err;
  if (Error err = expectRank(ids, 1, "ids"))
    return err;
  int64_t vocab = table.getDimSize(0);
  for (auto [i, id] : llvm::enumerate(ids.getInts()))
    if (id < 0 || id >= vocab)
      return makeError("token id " + Twine(id) + " at position " + Twine(i) +
                       " is out of range of the " + Twine(vocab) +
                       "-row embedding table");
  return gatherRows(table, ids);
}

/// Checks `weight` is a float vector of `size` elements.
static Error expectVector(const RefValue *weight, int64_t size,
                          StringRef name) {
  if (!weight)
    return Error::success();
  if (Error err = expectFloatTensor(*weight, name))
    return err;
  if (weight->getRank() != 1 || weight->getDimSize(0) != size)
    return makeError(name + " must have " + Twine(size) + " elements, got " +
                     weight->describe());
  return Error::success();
}

/// Shared by the norms: `x` rows of its last dimension.
static Expected<std::pair<int64_t, int64_t>> getRows(const RefValue &x) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (x.getRank() < 1)
    return makeError("x must have rank >= 1");
  int64_t features = x.getShape().back();
  int64_t rows = features == 0 ? 0 : x.getNumElements() / features;
  return std::make_pair(rows, features);
}

Expected<RefValue> rmsNorm(const RefValue &x, const RefValue &weight,
                           double eps) {
  auto rows = getRows(x);
  if (!rows)
    return rows.takeError();
  auto [count, features] = *rows;
  if (Error err = expectVector(&weight, features, "weight"))
    return err;
  std::vector<float> out(x.getFloats().size());
  for (int64_t r = 0; r < count; ++r) {
    const float *row = x.getFloats().data() + r * features;
    double squares = 0.0;
    for (int64_t i = 0; i < features; ++i)
      squares += static_cast<double>(row[i]) * row[i];
    double inv = 1.0 / std::sqrt(squares / features + eps);
    for (int64_t i = 0; i < features; ++i)
      out[r * features + i] =
          static_cast<float>(row[i] * inv * weight.getFloats()[i]);
  }
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

Expected<RefValue> layerNorm(const RefValue &x, const RefValue &weight,
                             const RefValue *bias, double eps) {
  auto rows = getRows(x);
  if (!rows)
    return rows.takeError();
  auto [count, features] = *rows;
  if (Error err = expectVector(&weight, features, "weight"))
    return err;
  if (Error err = expectVector(bias, features, "bias"))
    return err;
  std::vector<float> out(x.getFloats().size());
  for (int64_t r = 0; r < count; ++r) {
    const float *row = x.getFloats().data() + r * features;
    double mean = 0.0;
    for (int64_t i = 0; i < features; ++i)
      mean += row[i];
    mean /= features;
    double var = 0.0;
    for (int64_t i = 0; i < features; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= features;
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < features; ++i) {
      double y = (row[i] - mean) * inv * weight.getFloats()[i];
      if (bias)
        y += bias->getFloats()[i];
      out[r * features + i] = static_cast<float>(y);
    }
  }
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

Expected<RefValue> rope(const RefValue &x, const RefValue &positions,
                        const RopeParams &params) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (Error err = expectRank(x, 3, "x (tokens, heads, head_dim)"))
    return err;
  if (Error err = expectIntTensor(positions, "positions"))
    return err;
  if (Error err = expectRank(positions, 1, "positions"))
    return err;
  int64_t tokens = x.getDimSize(0), heads = x.getDimSize(1),
          headDim = x.getDimSize(2);
  if (Error err = expectSize(positions.getDimSize(0), tokens,
                             "the number of positions"))
    return err;
  int64_t rotary = params.rotaryDim == 0 ? headDim : params.rotaryDim;
  if (rotary < 2 || rotary % 2 != 0 || rotary > headDim)
    return makeError("rotary dimension " + Twine(rotary) +
                     " must be even, >= 2 and <= head_dim " + Twine(headDim));
  auto [inv, attnFactor] =
      getRopeFrequencies(params.theta, rotary, params.scaling);
  int64_t half = rotary / 2;
  if (!params.freqFactors.empty()) {
    if (static_cast<int64_t>(params.freqFactors.size()) != half)
      return makeError("freq_factors has " + Twine(params.freqFactors.size()) +
                       " entries, expected " + Twine(half));
    for (int64_t i = 0; i < half; ++i)
      inv[i] /= params.freqFactors[i];
  }
  std::vector<float> out = x.getFloats();
  for (int64_t t = 0; t < tokens; ++t) {
    double position = static_cast<double>(positions.getInts()[t]);
    for (int64_t h = 0; h < heads; ++h) {
      int64_t base = (t * heads + h) * headDim;
      const float *in = x.getFloats().data() + base;
      for (int64_t i = 0; i < half; ++i) {
        double angle = position * inv[i];
        double c = std::cos(angle) * attnFactor;
        double s = std::sin(angle) * attnFactor;
        int64_t first = params.interleaved ? 2 * i : i;
        int64_t second = params.interleaved ? 2 * i + 1 : i + half;
        double a = in[first], b = in[second];
        out[base + first] = static_cast<float>(a * c - b * s);
        out[base + second] = static_cast<float>(b * c + a * s);
      }
    }
  }
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

Expected<RefValue> softmax(const RefValue &x, int64_t axis) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (Error err = checkAxis(x, axis))
    return err;
  std::array<int64_t, 3> split = splitAtAxis(x.getShape(), axis);
  int64_t outer = split[0], n = split[1], inner = split[2];
  std::vector<float> out(x.getFloats().size());
  const std::vector<float> &in = x.getFloats();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + i; };
      double maximum = -kInf;
      for (int64_t j = 0; j < n; ++j)
        maximum = std::max(maximum, static_cast<double>(in[at(j)]));
      double sum = 0.0;
      for (int64_t j = 0; j < n; ++j)
        sum += std::exp(in[at(j)] - maximum);
      for (int64_t j = 0; j < n; ++j)
        out[at(j)] = static_cast<float>(std::exp(in[at(j)] - maximum) / sum);
    }
  }
  return RefValue::getFloatTensor(x.getShape(), std::move(out));
}

Expected<RefValue> reduce(ReduceKind kind, const RefValue &x, int64_t axis) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (Error err = checkAxis(x, axis))
    return err;
  std::array<int64_t, 3> split = splitAtAxis(x.getShape(), axis);
  int64_t outer = split[0], n = split[1], inner = split[2];
  std::vector<int64_t> shape = x.getShape();
  shape[axis] = 1;
  std::vector<float> out(outer * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double acc = kind == ReduceKind::max ? -kInf : 0.0;
      for (int64_t j = 0; j < n; ++j) {
        double v = x.getFloats()[(o * n + j) * inner + i];
        if (kind == ReduceKind::max)
          acc = (std::isnan(acc) || std::isnan(v)) ? kNaN : std::max(acc, v);
        else
          acc += v;
      }
      if (kind == ReduceKind::mean)
        acc /= n;
      out[o * inner + i] = static_cast<float>(acc);
    }
  }
  return RefValue::getFloatTensor(std::move(shape), std::move(out));
}

/// Whether `a` (at index ia) ranks before `b` (at ib): larger first, NaN
/// above everything, ties to the lower index.
static bool ranksBefore(double a, int64_t ia, double b, int64_t ib) {
  bool aNaN = std::isnan(a), bNaN = std::isnan(b);
  if (aNaN != bNaN)
    return aNaN;
  if (!aNaN && a != b)
    return a > b;
  return ia < ib;
}

/// Indices of `values` from highest to lowest (see ranksBefore).
static std::vector<int64_t> rankDescending(ArrayRef<double> values) {
  std::vector<int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return ranksBefore(values[a], a, values[b], b);
  });
  return order;
}

Expected<std::pair<RefValue, RefValue>> topk(const RefValue &x, int64_t k) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (x.getRank() < 1)
    return makeError("x must have rank >= 1");
  int64_t n = x.getShape().back();
  if (k < 1 || k > n)
    return makeError("k = " + Twine(k) + " must be in [1, " + Twine(n) + "]");
  int64_t rows = n == 0 ? 0 : x.getNumElements() / n;
  std::vector<int64_t> shape = x.getShape();
  shape.back() = k;
  std::vector<float> values(rows * k);
  std::vector<int64_t> indices(rows * k);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(x.getFloats().begin() + r * n,
                            x.getFloats().begin() + (r + 1) * n);
    std::vector<int64_t> order = rankDescending(row);
    for (int64_t j = 0; j < k; ++j) {
      values[r * k + j] = static_cast<float>(row[order[j]]);
      indices[r * k + j] = order[j];
    }
  }
  return std::make_pair(RefValue::getFloatTensor(shape, std::move(values)),
                        RefValue::getIntTensor(shape, std::move(indices)));
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

bool isVisible(MaskKind kind, int64_t window, int64_t queryPos,
               int64_t keyPos) {
  switch (kind) {
  case MaskKind::none:
    return true;
  case MaskKind::causal:
    return keyPos <= queryPos;
  case MaskKind::sliding_window:
    return keyPos <= queryPos && queryPos - keyPos < window;
  }
  return false;
}

Expected<RefValue> mask(MaskKind kind, int64_t window,
                        const RefValue &queryPositions,
                        const RefValue &keyPositions, bool boolean) {
  for (const RefValue *positions : {&queryPositions, &keyPositions}) {
    if (Error err = expectIntTensor(*positions, "positions"))
      return err;
    if (Error err = expectRank(*positions, 1, "positions"))
      return err;
  }
  int64_t queries = queryPositions.getDimSize(0);
  int64_t keys = keyPositions.getDimSize(0);
  if (boolean) {
    std::vector<int64_t> visible(queries * keys);
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        visible[i * keys + j] =
            isVisible(kind, window, queryPositions.getInts()[i],
                      keyPositions.getInts()[j]);
    return RefValue::getIntTensor({queries, keys}, std::move(visible));
  }
  std::vector<float> out(queries * keys);
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      out[i * keys + j] = isVisible(kind, window, queryPositions.getInts()[i],
                                    keyPositions.getInts()[j])
                              ? 0.0f
                              : -std::numeric_limits<float>::infinity();
  return RefValue::getFloatTensor({queries, keys}, std::move(out));
}

static Error expectCache(const RefValue &cache) {
  if (cache.isKVCache())
    return Error::success();
  return makeError("expected a KV cache, got a " + cache.describe());
}

Expected<RefValue> kvRead(const RefValue &cache, int64_t length) {
  if (Error err = expectCache(cache))
    return err;
  if (length < 0 || length > cache.getCapacity())
    return makeError("cannot read " + Twine(length) +
                     " positions of a cache of capacity " +
                     Twine(cache.getCapacity()));
  int64_t row = cache.getNumHeads() * cache.getHeadDim();
  std::vector<float> data(cache.getFloats().begin(),
                          cache.getFloats().begin() + length * row);
  return RefValue::getFloatTensor(
      {length, cache.getNumHeads(), cache.getHeadDim()}, std::move(data));
}

/// `value` rounded to f16 with `mode`, back in double.
static double roundToHalf(double value, APFloat::roundingMode mode) {
  APFloat rounded(value);
  bool losesInfo = false;
  rounded.convert(APFloat::IEEEhalf(), mode, &losesInfo);
  rounded.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
  return rounded.convertToDouble();
}

void roundTripKVVector(mlir::ingot::KVQuantAttr encoding,
                       MutableArrayRef<float> vector) {
  if (!encoding)
    return;
  int64_t d = vector.size();
  if (encoding.isTurbo()) {
    ArrayRef<float> levels =
        mlir::ingot::getTurboCodebook(d, encoding.getBits());
    double sumSquares = 0.0;
    for (float x : vector)
      sumSquares += static_cast<double>(x) * x;
    double norm = std::sqrt(sumSquares);
    double storedNorm = roundToHalf(norm, APFloat::rmNearestTiesToEven);
    for (float &x : vector) {
      if (norm == 0.0 || levels.empty()) {
        x = 0.0f;
        continue;
      }
      double u = x / norm;
      size_t best = 0;
      for (size_t i = 1; i < levels.size(); ++i)
        if (std::fabs(u - levels[i]) < std::fabs(u - levels[best]))
          best = i;
      x = static_cast<float>(storedNorm * levels[best]);
    }
    return;
  }
  double maxLevel = encoding.getBits() == 8 ? 127.0 : 7.0;
  int64_t block = mlir::ingot::getKVBlockSize(d);
  for (int64_t start = 0; start < d; start += block) {
    MutableArrayRef<float> part =
        vector.slice(start, std::min(block, d - start));
    double maxAbs = 0.0;
    for (float x : part)
      maxAbs = std::max(maxAbs, std::fabs(static_cast<double>(x)));
    // The smallest f16 scale with max|x| / scale <= maxLevel.
    double scale = roundToHalf(maxAbs / maxLevel, APFloat::rmTowardPositive);
    for (float &x : part) {
      if (scale == 0.0 || !std::isfinite(scale)) {
        x = 0.0f;
        continue;
      }
      double q = std::clamp(std::nearbyint(x / scale), -maxLevel, maxLevel);
      x = static_cast<float>(q * scale);
    }
  }
}

Expected<RefValue> hadamard(const RefValue &x, uint64_t seed, bool inverse) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (x.getRank() < 1)
    return makeError("x must have rank >= 1, got a " + x.describe());
  int64_t n = x.getDimSize(x.getRank() - 1);
  if (n < 1 || !isPowerOf2_64(n))
    return makeError("the last dimension of " + x.describe() +
                     " is not a power of two");
  RefValue result = x;
  numerics::hadamardRows(result.getFloats(), n, seed, inverse);
  return result;
}

Expected<RefValue> kvWrite(const RefValue &cache, const RefValue &values,
                           int64_t position, Type elementType,
                           mlir::ingot::KVQuantAttr encoding) {
  if (Error err = expectCache(cache))
    return err;
  if (Error err = expectFloatTensor(values, "values"))
    return err;
  if (Error err = expectRank(values, 3, "values"))
    return err;
  if (values.getDimSize(1) != cache.getNumHeads() ||
      values.getDimSize(2) != cache.getHeadDim())
    return makeError("values " + values.describe() +
                     " do not fit the heads of " + cache.describe());
  int64_t tokens = values.getDimSize(0);
  if (position < 0 || position > cache.getCapacity() ||
      tokens > cache.getCapacity() - position)
    return makeError("writing " + Twine(tokens) + " positions at position " +
                     Twine(position) + " overflows the cache capacity " +
                     Twine(cache.getCapacity()));
  RefValue result = cache;
  int64_t headDim = cache.getHeadDim();
  int64_t row = cache.getNumHeads() * headDim;
  std::vector<float> vector(headDim);
  for (int64_t start = 0; start < tokens * row; start += headDim) {
    std::copy_n(values.getFloats().begin() + start, headDim, vector.begin());
    roundTripKVVector(encoding, vector);
    for (int64_t i = 0; i < headDim; ++i)
      result.getFloats()[position * row + start + i] =
          roundToFloatType(vector[i], elementType);
  }
  return result;
}

Expected<RefValue> attention(const RefValue &q, const RefValue &k,
                             const RefValue &v,
                             ArrayRef<int64_t> queryPositions,
                             ArrayRef<int64_t> keyPositions,
                             const AttentionParams &params) {
  for (auto [value, name] :
       {std::make_pair(&q, "query"), std::make_pair(&k, "key"),
        std::make_pair(&v, "value")}) {
    if (Error err = expectFloatTensor(*value, name))
      return err;
    if (Error err = expectRank(*value, 3, name))
      return err;
  }
  int64_t tokens = q.getDimSize(0), qHeads = q.getDimSize(1),
          headDim = q.getDimSize(2);
  int64_t keys = k.getDimSize(0), kvHeads = k.getDimSize(1);
  int64_t valueDim = v.getDimSize(2);
  if (Error err = expectSize(k.getDimSize(2), headDim, "the key head_dim"))
    return err;
  if (Error err = expectSize(v.getDimSize(0), keys, "the number of values"))
    return err;
  if (Error err = expectSize(v.getDimSize(1), kvHeads, "the value heads"))
    return err;
  if (kvHeads < 1 || qHeads % kvHeads != 0)
    return makeError("query heads " + Twine(qHeads) +
                     " are not a multiple of key/value heads " +
                     Twine(kvHeads));
  if (static_cast<int64_t>(queryPositions.size()) != tokens ||
      static_cast<int64_t>(keyPositions.size()) != keys)
    return makeError("positions do not match the query and key counts");
  int64_t group = qHeads / kvHeads;
  std::vector<float> out(tokens * qHeads * valueDim);
  std::vector<double> scores(keys);
  for (int64_t i = 0; i < tokens; ++i) {
    for (int64_t h = 0; h < qHeads; ++h) {
      int64_t kvh = h / group;
      const float *qv = q.getFloats().data() + (i * qHeads + h) * headDim;
      double maximum = -kInf;
      for (int64_t j = 0; j < keys; ++j) {
        const float *kv = k.getFloats().data() + (j * kvHeads + kvh) * headDim;
        double s = 0.0;
        for (int64_t d = 0; d < headDim; ++d)
          s += static_cast<double>(qv[d]) * kv[d];
        s *= params.scale;
        if (params.softcap)
          s = *params.softcap * std::tanh(s / *params.softcap);
        if (!isVisible(params.mask, params.window, queryPositions[i],
                       keyPositions[j]))
          s = -kInf;
        scores[j] = s;
        maximum = std::max(maximum, s);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < keys; ++j) {
        scores[j] = std::exp(scores[j] - maximum);
        sum += scores[j];
      }
      for (int64_t d = 0; d < valueDim; ++d) {
        double acc = 0.0;
        for (int64_t j = 0; j < keys; ++j)
          acc += scores[j] / sum *
                 v.getFloats()[(j * kvHeads + kvh) * valueDim + d];
        out[(i * qHeads + h) * valueDim + d] = static_cast<float>(acc);
      }
    }
  }
  return RefValue::getFloatTensor({tokens, qHeads, valueDim}, std::move(out));
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

Expected<std::array<RefValue, 3>> route(const RefValue &logits,
                                        RoutingAttr rule, RouterScoring scoring,
                                        bool renormalize) {
  if (Error err = expectFloatTensor(logits, "logits"))
    return err;
  if (Error err = expectRank(logits, 2, "logits (tokens, experts)"))
    return err;
  int64_t tokens = logits.getDimSize(0), experts = logits.getDimSize(1);
  if (experts < 1)
    return makeError("routing needs at least one expert");
  if (rule.getKind() == RoutingKind::top_k && rule.getK() > experts)
    return makeError("top_k routing picks " + Twine(rule.getK()) +
                     " experts of only " + Twine(experts));
  double value = rule.getValue().convertToDouble();
  int64_t cap = rule.getMaxExperts();
  std::vector<int64_t> offsets{0}, ids;
  std::vector<float> weights;
  for (int64_t t = 0; t < tokens; ++t) {
    const float *row = logits.getFloats().data() + t * experts;
    std::vector<double> scores(experts);
    if (scoring == RouterScoring::softmax) {
      double maximum = -kInf;
      for (int64_t e = 0; e < experts; ++e)
        maximum = std::max(maximum, static_cast<double>(row[e]));
      double sum = 0.0;
      for (int64_t e = 0; e < experts; ++e)
        sum += (scores[e] = std::exp(row[e] - maximum));
      for (double &s : scores)
        s /= sum;
    } else {
      for (int64_t e = 0; e < experts; ++e)
        scores[e] = sigmoid(row[e]);
    }
    std::vector<int64_t> order = rankDescending(scores);
    int64_t count = 0;
    switch (rule.getKind()) {
    case RoutingKind::top_k:
      count = rule.getK();
      break;
    case RoutingKind::top_p: {
      // The smallest prefix whose mass reaches p; all if it never does.
      double mass = 0.0;
      count = experts;
      for (int64_t n = 0; n < experts; ++n) {
        mass += scores[order[n]];
        if (mass >= value) {
          count = n + 1;
          break;
        }
      }
      break;
    }
    case RoutingKind::threshold:
      while (count < experts && scores[order[count]] >= value)
        ++count;
      break;
    }
    if (rule.getKind() != RoutingKind::top_k && cap > 0)
      count = std::min(count, cap);
    count = std::max<int64_t>(count, 1);
    double total = 0.0;
    for (int64_t n = 0; n < count; ++n)
      total += scores[order[n]];
    for (int64_t n = 0; n < count; ++n) {
      ids.push_back(order[n]);
      double w = scores[order[n]];
      weights.push_back(static_cast<float>(renormalize ? w / total : w));
    }
    offsets.push_back(static_cast<int64_t>(ids.size()));
  }
  int64_t pairs = static_cast<int64_t>(ids.size());
  return std::array<RefValue, 3>{
      RefValue::getIntTensor({tokens + 1}, std::move(offsets)),
      RefValue::getIntTensor({pairs}, std::move(ids)),
      RefValue::getFloatTensor({pairs}, std::move(weights))};
}

Error checkRouting(const RefValue &offsets, const RefValue &experts,
                   int64_t tokens, int64_t numExperts) {
  if (Error err = expectIntTensor(offsets, "offsets"))
    return err;
  if (Error err = expectRank(offsets, 1, "offsets"))
    return err;
  if (Error err = expectIntTensor(experts, "experts"))
    return err;
  if (Error err = expectRank(experts, 1, "experts"))
    return err;
  if (tokens >= 0)
    if (Error err = expectSize(offsets.getDimSize(0), tokens + 1,
                               "the number of offsets"))
      return err;
  const std::vector<int64_t> &off = offsets.getInts();
  int64_t pairs = experts.getDimSize(0);
  if (off.empty() || off.front() != 0 || off.back() != pairs)
    return makeError("offsets must run from 0 to the number of pairs " +
                     Twine(pairs));
  for (size_t t = 0; t + 1 < off.size(); ++t)
    if (off[t] > off[t + 1])
      return makeError("offsets must not decrease (offsets[" + Twine(t) +
                       "] = " + Twine(off[t]) + " > offsets[" + Twine(t + 1) +
                       "] = " + Twine(off[t + 1]) + ")");
  for (auto [p, e] : llvm::enumerate(experts.getInts()))
    if (e < 0 || e >= numExperts)
      return makeError("expert id " + Twine(e) + " of pair " + Twine(p) +
                       " is out of range of " + Twine(numExperts) + " experts");
  return Error::success();
}

Expected<RefValue> moeFfn(const RefValue &x, const RefValue &offsets,
                          const RefValue &experts, const RefValue &weights,
                          const RefValue &gate, const RefValue &up,
                          const RefValue &down, Activation activation) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (Error err = expectRank(x, 2, "x (tokens, hidden)"))
    return err;
  for (auto [value, name] :
       {std::make_pair(&gate, "gate"), std::make_pair(&up, "up"),
        std::make_pair(&down, "down")}) {
    if (Error err = expectFloatTensor(*value, name))
      return err;
    if (Error err = expectRank(*value, 3, name))
      return err;
  }
  int64_t tokens = x.getDimSize(0), hidden = x.getDimSize(1);
  int64_t numExperts = gate.getDimSize(0), ffn = gate.getDimSize(1);
  if (gate.getShape() != std::vector<int64_t>{numExperts, ffn, hidden} ||
      up.getShape() != gate.getShape() ||
      down.getShape() != std::vector<int64_t>{numExperts, hidden, ffn})
    return makeError("expert weights " + gate.describe() + ", " +
                     up.describe() + ", " + down.describe() + " do not fit x " +
                     x.describe());
  if (Error err = checkRouting(offsets, experts, tokens, numExperts))
    return err;
  if (Error err = expectFloatTensor(weights, "weights"))
    return err;
  if (weights.getShape() != experts.getShape())
    return makeError("routing weights " + weights.describe() +
                     " do not match experts " + experts.describe());
  UnaryKind act = UnaryKind::Silu;
  switch (activation) {
  case Activation::silu:
    act = UnaryKind::Silu;
    break;
  case Activation::gelu:
    act = UnaryKind::Gelu;
    break;
  case Activation::gelu_tanh:
    act = UnaryKind::GeluTanh;
    break;
  case Activation::relu:
    act = UnaryKind::Relu;
    break;
  }
  std::vector<float> out(tokens * hidden);
  std::vector<double> inner(ffn), acc(hidden);
  for (int64_t t = 0; t < tokens; ++t) {
    const float *xt = x.getFloats().data() + t * hidden;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t p = offsets.getInts()[t]; p < offsets.getInts()[t + 1]; ++p) {
      int64_t e = experts.getInts()[p];
      double w = weights.getFloats()[p];
      const float *g = gate.getFloats().data() + e * ffn * hidden;
      const float *u = up.getFloats().data() + e * ffn * hidden;
      const float *dn = down.getFloats().data() + e * hidden * ffn;
      for (int64_t f = 0; f < ffn; ++f) {
        double gs = 0.0, us = 0.0;
        for (int64_t i = 0; i < hidden; ++i) {
          gs += static_cast<double>(g[f * hidden + i]) * xt[i];
          us += static_cast<double>(u[f * hidden + i]) * xt[i];
        }
        inner[f] = applyUnary(act, gs) * us;
      }
      for (int64_t o = 0; o < hidden; ++o) {
        double y = 0.0;
        for (int64_t f = 0; f < ffn; ++f)
          y += dn[o * ffn + f] * inner[f];
        acc[o] += w * y;
      }
    }
    for (int64_t o = 0; o < hidden; ++o)
      out[t * hidden + o] = static_cast<float>(acc[o]);
  }
  return RefValue::getFloatTensor({tokens, hidden}, std::move(out));
}

Expected<std::array<RefValue, 3>>
moeSort(const RefValue &offsets, const RefValue &experts, int64_t numExperts) {
  if (numExperts < 1)
    return makeError("num_experts must be >= 1");
  if (Error err = checkRouting(offsets, experts, -1, numExperts))
    return err;
  const std::vector<int64_t> &off = offsets.getInts();
  const std::vector<int64_t> &ids = experts.getInts();
  int64_t pairs = static_cast<int64_t>(ids.size());
  std::vector<int64_t> expertOffsets(numExperts + 1, 0);
  for (int64_t e : ids)
    ++expertOffsets[e + 1];
  for (int64_t e = 0; e < numExperts; ++e)
    expertOffsets[e + 1] += expertOffsets[e];
  std::vector<int64_t> next(expertOffsets.begin(), expertOffsets.end() - 1);
  std::vector<int64_t> sortedPairs(pairs), tokens(pairs);
  for (size_t t = 0; t + 1 < off.size(); ++t) {
    for (int64_t p = off[t]; p < off[t + 1]; ++p) {
      int64_t slot = next[ids[p]]++;
      sortedPairs[slot] = p;
      tokens[slot] = static_cast<int64_t>(t);
    }
  }
  return std::array<RefValue, 3>{
      RefValue::getIntTensor({numExperts + 1}, std::move(expertOffsets)),
      RefValue::getIntTensor({pairs}, std::move(sortedPairs)),
      RefValue::getIntTensor({pairs}, std::move(tokens))};
}

/// `y[o] = sum_i w[o * in + i] * x[i]` for `o < out`, accumulated in double.
static void matvecRow(const float *w, const float *x, int64_t out, int64_t in,
                      float *y) {
  for (int64_t o = 0; o < out; ++o) {
    double sum = 0.0;
    for (int64_t i = 0; i < in; ++i)
      sum += static_cast<double>(w[o * in + i]) * x[i];
    y[o] = static_cast<float>(sum);
  }
}

Expected<RefValue> groupedMatmul(const RefValue &x, const RefValue &w,
                                 const RefValue &expertOffsets) {
  if (Error err = expectFloatTensor(x, "x"))
    return err;
  if (Error err = expectRank(x, 2, "x (rows, in)"))
    return err;
  if (Error err = expectFloatTensor(w, "w"))
    return err;
  if (Error err = expectRank(w, 3, "w (experts, out, in)"))
    return err;
  if (Error err = expectIntTensor(expertOffsets, "expert_offsets"))
    return err;
  if (Error err = expectRank(expertOffsets, 1, "expert_offsets"))
    return err;
  int64_t rows = x.getDimSize(0), in = x.getDimSize(1);
  int64_t numExperts = w.getDimSize(0), outSize = w.getDimSize(1);
  if (Error err = expectSize(w.getDimSize(2), in, "the input size of w"))
    return err;
  if (Error err = expectSize(expertOffsets.getDimSize(0), numExperts + 1,
                             "the number of expert_offsets"))
    return err;
  const std::vector<int64_t> &eo = expertOffsets.getInts();
  if (eo.front() != 0 || eo.back() != rows)
    return makeError("expert_offsets must run from 0 to the number of rows " +
                     Twine(rows));
  for (int64_t e = 0; e < numExperts; ++e)
    if (eo[e] > eo[e + 1])
      return makeError("expert_offsets must not decrease (at expert " +
                       Twine(e) + ")");
  std::vector<float> out(rows * outSize);
  for (int64_t e = 0; e < numExperts; ++e) {
    // An empty segment never touches w[e].
    const float *we = w.getFloats().data() + e * outSize * in;
    for (int64_t r = eo[e]; r < eo[e + 1]; ++r)
      matvecRow(we, x.getFloats().data() + r * in, outSize, in,
                out.data() + r * outSize);
  }
  return RefValue::getFloatTensor({rows, outSize}, std::move(out));
}

Expected<RefValue> scatterAdd(const RefValue &src, const RefValue &indices,
                              const RefValue &dest, const RefValue *scale) {
  if (Error err = expectFloatTensor(src, "src"))
    return err;
  if (Error err = expectRank(src, 2, "src"))
    return err;
  if (Error err = expectFloatTensor(dest, "dest"))
    return err;
  if (Error err = expectRank(dest, 2, "dest"))
    return err;
  if (Error err = expectIntTensor(indices, "indices"))
    return err;
  if (Error err = expectRank(indices, 1, "indices"))
    return err;
  int64_t n = src.getDimSize(0), cols = src.getDimSize(1);
  int64_t rows = dest.getDimSize(0);
  if (Error err = expectSize(dest.getDimSize(1), cols, "the row size of dest"))
    return err;
  if (Error err = expectSize(indices.getDimSize(0), n, "the number of indices"))
    return err;
  if (Error err = expectVector(scale, n, "scale"))
    return err;
  std::vector<double> acc(dest.getFloats().begin(), dest.getFloats().end());
  for (int64_t i = 0; i < n; ++i) {
    int64_t row = indices.getInts()[i];
    if (row < 0 || row >= rows)
      return makeError("index " + Twine(row) + " at position " + Twine(i) +
                       " is out of range of the " + Twine(rows) +
                       " rows of dest");
    double s = scale ? scale->getFloats()[i] : 1.0;
    for (int64_t c = 0; c < cols; ++c)
      acc[row * cols + c] += s * src.getFloats()[i * cols + c];
  }
  std::vector<float> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i)
    out[i] = static_cast<float>(acc[i]);
  return RefValue::getFloatTensor(dest.getShape(), std::move(out));
}

} // namespace ingot::reference
