//===- Kernels.h - The math of the reference evaluator ----------*- C++ -*-===//
//
// One plain-loop function per op family, on RefValues with runtime shapes.
// Each checks what it needs of its operands' runtime shapes and contents
// (sizes agree, indices in range) and returns an error instead of reading
// out of bounds. Arithmetic is done in double from the f32 inputs and each
// result element is rounded to f32 once; rounding to a narrower logical type
// (f16, bf16) is the evaluator's job, except where a kernel stores into a KV
// cache.
//
// Errors are one line, without the op's name (the evaluator adds it).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_REFERENCE_KERNELS_H
#define INGOT_COMPILER_REFERENCE_KERNELS_H

#include "compiler/reference/RefValue.h"

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <optional>
#include <utility>

namespace ingot::reference {

//===----------------------------------------------------------------------===//
// Matmul, elementwise
//===----------------------------------------------------------------------===//

/// `op(a) · op(b) + bias` over the two innermost dimensions; `b` is rank 2
/// (shared by every batch) or has `a`'s batch dimensions. `bias` may be null.
llvm::Expected<RefValue> matmul(const RefValue &a, const RefValue &b,
                                const RefValue *bias, bool transposeA,
                                bool transposeB);

enum class BinaryKind { Add, Sub, Mul, Div, Maximum };

/// Elementwise with NumPy broadcasting. `Maximum` propagates NaN.
llvm::Expected<RefValue> binary(BinaryKind kind, const RefValue &lhs,
                                const RefValue &rhs);

enum class UnaryKind {
  Silu,
  Gelu,     ///< 0.5 x (1 + erf(x / sqrt 2))
  GeluTanh, ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  Sigmoid,
  Tanh,
  Exp,
  Neg,
  Rsqrt,
  Relu,
};

/// One element of a unary function, in double.
/// `ingot.select`: `condition ? trueValue : falseValue` elementwise, all
/// three broadcast; `condition` is an integer tensor (non-zero: true).
llvm::Expected<RefValue> select(const RefValue &condition,
                                const RefValue &trueValue,
                                const RefValue &falseValue);

double applyUnary(UnaryKind kind, double x);

/// Elementwise `kind` over a float tensor.
llvm::Expected<RefValue> unary(UnaryKind kind, const RefValue &x);

/// `ingot.clamp`: each element limited to [lo, hi]; NaN stays NaN.
llvm::Expected<RefValue> clamp(const RefValue &x, double lo, double hi);

//===----------------------------------------------------------------------===//
// Shapes (float and integer tensors alike)
//===----------------------------------------------------------------------===//

/// The same elements in `shape` (whose element count must be x's).
llvm::Expected<RefValue> reshape(const RefValue &x,
                                 llvm::ArrayRef<int64_t> shape);
/// `result.shape[i] = x.shape[permutation[i]]`.
llvm::Expected<RefValue> transpose(const RefValue &x,
                                   llvm::ArrayRef<int64_t> permutation);
/// Concatenation along `axis` (non-negative).
llvm::Expected<RefValue> concat(llvm::ArrayRef<const RefValue *> inputs,
                                int64_t axis);
/// Elements `start .. start+size-1` of dimension `axis` (non-negative).
llvm::Expected<RefValue> slice(const RefValue &x, int64_t axis, int64_t start,
                               int64_t size);
/// General strided slice (tensor.extract_slice): `sizes[d]` elements from
/// `offsets[d]` every `strides[d]` along each dimension.
llvm::Expected<RefValue> stridedSlice(const RefValue &x,
                                      llvm::ArrayRef<int64_t> offsets,
                                      llvm::ArrayRef<int64_t> sizes,
                                      llvm::ArrayRef<int64_t> strides);
/// NumPy broadcasting of `x` to `shape`.
llvm::Expected<RefValue> broadcastTo(const RefValue &x,
                                     llvm::ArrayRef<int64_t> shape);
/// `result[i, ...] = x[indices[i], ...]`.
llvm::Expected<RefValue> gatherRows(const RefValue &x,
                                    const RefValue &indices);

//===----------------------------------------------------------------------===//
// Embedding, norms, rope, softmax, reductions
//===----------------------------------------------------------------------===//

/// `result[i, :] = table[ids[i], :]`; ids must be rows of the table.
llvm::Expected<RefValue> embedding(const RefValue &table, const RefValue &ids);

/// `x / sqrt(mean(x^2) + eps) * weight` over the last dimension.
llvm::Expected<RefValue> rmsNorm(const RefValue &x, const RefValue &weight,
                                 double eps);
/// `(x - mean) / sqrt(var + eps) * weight + bias` over the last dimension,
/// with the biased (population) variance; `bias` may be null.
llvm::Expected<RefValue> layerNorm(const RefValue &x, const RefValue &weight,
                                   const RefValue *bias, double eps);

/// The parameters of `ingot.rope`.
struct RopeParams {
  double theta = 10000.0;
  bool interleaved = false;
  /// Features rotated; 0 means all of head_dim.
  int64_t rotaryDim = 0;
  /// Frequency scaling; null for none.
  mlir::ingot::RopeScalingAttr scaling;
  /// Per-pair divisors of the angles (GGUF's rope_freqs.weight); empty for
  /// none.
  std::vector<float> freqFactors;
};

/// The rotary frequencies and cos/sin factor of a rope (numerics/Numerics.h,
/// with #ingot.rope_scaling's parameters).
using mlir::ingot::getRopeFrequencies;

/// Rotary embedding of `x : [tokens, heads, head_dim]` at `positions`.
llvm::Expected<RefValue> rope(const RefValue &x, const RefValue &positions,
                              const RopeParams &params);

/// Softmax along `axis` (non-negative), max-subtracted.
llvm::Expected<RefValue> softmax(const RefValue &x, int64_t axis);

/// Sum, max (NaN propagates) or mean along `axis`, kept with size 1.
llvm::Expected<RefValue> reduce(mlir::ingot::ReduceKind kind,
                                const RefValue &x, int64_t axis);

/// The `k` largest of the last dimension, descending, ties to the lower
/// index, NaN above everything (like torch.topk). Integer indices.
llvm::Expected<std::pair<RefValue, RefValue>> topk(const RefValue &x,
                                                   int64_t k);

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

/// Whether a query at `queryPos` may see a key at `keyPos` under `kind`.
bool isVisible(mlir::ingot::MaskKind kind, int64_t window, int64_t queryPos,
               int64_t keyPos);

/// The additive mask `[queries, keys]`: 0 where visible, -inf elsewhere;
/// with `boolean`, an integer tensor: 1 where visible, 0 elsewhere.
llvm::Expected<RefValue> mask(mlir::ingot::MaskKind kind, int64_t window,
                              const RefValue &queryPositions,
                              const RefValue &keyPositions,
                              bool boolean = false);

/// The first `length` positions of `cache` as `[length, heads, head_dim]`.
llvm::Expected<RefValue> kvRead(const RefValue &cache, int64_t length);

/// `cache` with `values : [tokens, heads, head_dim]` stored at positions
/// `position ..`: each head vector rounded through `encoding` (when given),
/// then each element rounded to `elementType`.
llvm::Expected<RefValue> kvWrite(const RefValue &cache, const RefValue &values,
                                 int64_t position, mlir::Type elementType,
                                 mlir::ingot::KVQuantAttr encoding = {});

/// Replaces one head vector by what a cache with `encoding` returns after
/// storing it (the dequantized encoded vector), as #ingot.kv_quant
/// specifies: q8/q4 blocks with f16 scales rounded up, tq4/tq3 an f16 norm
/// and the nearest codebook level per coordinate. Computed in double.
void roundTripKVVector(mlir::ingot::KVQuantAttr encoding,
                       llvm::MutableArrayRef<float> vector);

/// `ingot.hadamard`: every vector along the last dimension (a power of two)
/// rotated by `W·D / sqrt(n)`, or by its transpose with `inverse`.
llvm::Expected<RefValue> hadamard(const RefValue &x, uint64_t seed,
                                  bool inverse);

/// The parameters of `ingot.attention`.
struct AttentionParams {
  mlir::ingot::MaskKind mask = mlir::ingot::MaskKind::causal;
  int64_t window = 0;
  double scale = 1.0;
  std::optional<double> softcap;
};

/// `softmax(softcap(scale · q·kᵀ) + mask) · v` per query head, for
/// `q : [tokens, q_heads, d]`, `k : [keys, kv_heads, d]`,
/// `v : [keys, kv_heads, dv]`, with explicit query and key positions for the
/// mask. Query head h reads key/value head `h / (q_heads / kv_heads)`.
llvm::Expected<RefValue> attention(const RefValue &q, const RefValue &k,
                                   const RefValue &v,
                                   llvm::ArrayRef<int64_t> queryPositions,
                                   llvm::ArrayRef<int64_t> keyPositions,
                                   const AttentionParams &params);

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

/// `ingot.route`: offsets, experts, weights. With sigmoid scoring, the
/// "probability" top_p and threshold compare against is the sigmoid score.
llvm::Expected<std::array<RefValue, 3>>
route(const RefValue &logits, mlir::ingot::RoutingAttr rule,
      mlir::ingot::RouterScoring scoring, bool renormalize);

/// Checks a CSR routing: `offsets : [tokens+1]` from 0, non-decreasing, up
/// to the pair count; every expert id in `[0, numExperts)`.
llvm::Error checkRouting(const RefValue &offsets, const RefValue &experts,
                         int64_t tokens, int64_t numExperts);

/// `ingot.moe_ffn` computed densely per token.
llvm::Expected<RefValue> moeFfn(const RefValue &x, const RefValue &offsets,
                                const RefValue &experts,
                                const RefValue &weights, const RefValue &gate,
                                const RefValue &up, const RefValue &down,
                                mlir::ingot::Activation activation);

/// `ingot.moe_sort`: expert_offsets, pairs, tokens.
llvm::Expected<std::array<RefValue, 3>>
moeSort(const RefValue &offsets, const RefValue &experts, int64_t numExperts);

/// `ingot.grouped_matmul`; experts with an empty segment are never read.
llvm::Expected<RefValue> groupedMatmul(const RefValue &x, const RefValue &w,
                                       const RefValue &expertOffsets);

/// `ingot.scatter_add`; `scale` may be null.
llvm::Expected<RefValue> scatterAdd(const RefValue &src,
                                    const RefValue &indices,
                                    const RefValue &dest,
                                    const RefValue *scale);

} // namespace ingot::reference

#endif // INGOT_COMPILER_REFERENCE_KERNELS_H
