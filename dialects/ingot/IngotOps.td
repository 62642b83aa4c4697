//===- IngotOps.td - Operations of the ingot dialect -------*- tablegen -*-===//

#ifndef INGOT_OPS_TD
#define INGOT_OPS_TD

include "dialects/ingot/IngotTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Ingot_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ingot_Dialect, mnemonic, traits>;

// Only ops that read weights accept a tensor with a storage encoding
// (`Ingot_WeightTensor`); every other operand is a plain tensor.
def Ingot_NoEncodingPred
    : CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">;
def Ingot_Tensor : Type<And<[AnyRankedTensor.predicate, Ingot_NoEncodingPred]>,
    "ranked tensor without storage encoding", "::mlir::RankedTensorType">;
def Ingot_FloatTensor
    : Type<And<[RankedTensorOf<[AnyFloat]>.predicate, Ingot_NoEncodingPred]>,
    "ranked float tensor without storage encoding",
    "::mlir::RankedTensorType">;
def Ingot_BoolTensor
    : Type<And<[RankedTensorOf<[I1]>.predicate, Ingot_NoEncodingPred]>,
    "ranked i1 tensor without storage encoding", "::mlir::RankedTensorType">;
def Ingot_MaskTensor
    : Type<And<[RankedTensorOf<[AnyFloat, I1]>.predicate, Ingot_NoEncodingPred]>,
    "ranked float or i1 tensor without storage encoding",
    "::mlir::RankedTensorType">;
def Ingot_WeightTensor : RankedTensorOf<[AnyFloat]>;
def Ingot_IndexTensor : RankedTensorOf<[I32, I64]>;
def Ingot_I32Vector : 1DTensorOf<[I32]>;
def Ingot_FloatVector : 1DTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Weights and constants
//===----------------------------------------------------------------------===//

def Ingot_WeightDeclOp : Ingot_Op<"weight_decl", [Symbol]> {
  let summary = "declares a model weight";
  let description = [{
    Declares a weight of the model at module level. The bytes stay in the
    model file; `source` names the tensor there. The type's encoding, if any,
    is the weight's storage format.

    A weight computed at compile time (`--ingot-fold-weights` replaces a
    subgraph over weights by one) carries its values instead: `value`, f32
    elements of the declared shape, already rounded to the declared element
    type. They are the weight's logical values; a target stores them as it
    stores computed constants (the CPU target: f32), whatever the type's
    encoding. `value` is a `dense_resource` blob for weights of any size (not
    uniqued, not hashed, printed once in the file's resource section) or, in
    small hand-written graphs, a `dense` literal.

    ```mlir
    ingot.weight_decl @blk.0.attn_q : tensor<576x576xf32, #ingot.block<q8_0>> {source = "blk.0.attn_q.weight"}
    ingot.weight_decl @folded.0 : tensor<64x2x16xf32> {value = dense_resource<folded.0> : tensor<64x2x16xf32>}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<AnyRankedTensor>:$type,
                       OptionalAttr<StrAttr>:$source,
                       OptionalAttr<ElementsAttr>:$value);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
  let builders = [
    // A weight of the model file (no inline values).
    OpBuilder<(ins "::llvm::StringRef":$symName,
                   "::mlir::RankedTensorType":$type,
                   "::mlir::StringAttr":$source), [{
      build($_builder, $_state, symName, type, source, ::mlir::ElementsAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The f32 values of `value` (which must be set), row-major; failure
    /// when a `dense_resource` blob is missing (elided).
    ::mlir::FailureOr<std::vector<float>> getInlineValues();
  }];
}

def Ingot_WeightOp : Ingot_Op<"weight",
    [ConstantLike, Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a declared weight";
  let description = [{
    The value of the weight declared by `ingot.weight_decl @name`. Its type is
    the declared one, encoding included.

    ```mlir
    %w = ingot.weight @blk.0.attn_q : tensor<576x576xf32, #ingot.block<q8_0>>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  // Folds to its symbol: ConstantLike ops must fold, and the folder then
  // treats two reads of the same weight (and type) as one constant.
  let hasFolder = 1;
}

def Ingot_ConstantOp : Ingot_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a small constant tensor";
  let description = [{
    A constant given inline (scales, epsilons, small tables). Weights are
    never constants: they are `ingot.weight`.

    ```mlir
    %c = ingot.constant dense<0.125> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Ingot_IotaOp : Ingot_Op<"iota", [Pure]> {
  let summary = "offset, offset+1, ..., offset+n-1";
  let description = [{
    A vector of `n` consecutive integers from `offset` (0 when absent), e.g.
    the positions of the tokens of a step that starts at `offset`.

    ```mlir
    %kpos = ingot.iota %n : tensor<?xi32>
    %qpos = ingot.iota %t offset %start : tensor<?xi32>
    ```
  }];
  let arguments = (ins Index:$n, Optional<Index>:$offset);
  let results = (outs Ingot_I32Vector:$result);
  let assemblyFormat = "$n (`offset` $offset^)? attr-dict `:` type($result)";
}

def Ingot_ZerosLikeOp : Ingot_Op<"zeros_like", [Pure, SameOperandsAndResultType]> {
  let summary = "a zero tensor shaped like its operand";
  let description = [{
    ```mlir
    %z = ingot.zeros_like %x : tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

//===----------------------------------------------------------------------===//
// Embedding and matmul
//===----------------------------------------------------------------------===//

def Ingot_EmbeddingOp : Ingot_Op<"embedding", [Pure]> {
  let summary = "looks up token embeddings";
  let description = [{
    `result[i, :] = table[ids[i], :]`, dequantized to the result's element
    type when the table has an encoding.

    ```mlir
    %h = ingot.embedding %table, %ids : tensor<49152x576xf32, #ingot.block<q8_0>>, tensor<?xi32> -> tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_WeightTensor:$table, Ingot_IndexTensor:$ids);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $table `,` $ids attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_MatmulOp : Ingot_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with optional transposes and bias";
  let description = [{
    `result = op(a) · op(b) + bias` over the two innermost dimensions, where
    `op` transposes when `transpose_a`/`transpose_b` is set. Leading (batch)
    dimensions of `a` and `b` must be equal, or `b` is a 2-D matrix shared by
    every batch (a weight). A linear layer with PyTorch's `[out, in]` weight
    is `transpose_b`. `bias` has the size of the result's last dimension.

    ```mlir
    %y = ingot.matmul %x, %w transpose_b : tensor<?x576xf32>, tensor<1536x576xf32, #ingot.block<q8_0>> -> tensor<?x1536xf32>
    %s = ingot.matmul %q, %k transpose_b : tensor<9x?x64xf32>, tensor<9x?x64xf32> -> tensor<9x?x?xf32>
    %z = ingot.matmul %x, %w transpose_b bias %b : tensor<?x896xf32>, tensor<128x896xf32>, tensor<128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$a, Ingot_WeightTensor:$b,
                       Optional<Ingot_FloatVector>:$bias,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`transpose_a` $transpose_a^)? (`transpose_b` $transpose_b^)?
    (`bias` $bias^)? attr-dict `:` type($a) `,` type($b) (`,` type($bias)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Ingot_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Ingot_Op<mnemonic, !listconcat([Pure], traits)> {
  let description = [{
    Elementwise with NumPy broadcasting: shapes are aligned at the innermost
    dimension and a dimension of size 1 stretches. Operands and result share
    the element type; the result has the broadcast shape.

    ```mlir
    %y = ingot.}] # mnemonic # [{ %a, %b : tensor<?x9x64xf32>, tensor<f32> -> tensor<?x9x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$lhs, Ingot_FloatTensor:$rhs);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::ingot::verifyBroadcastBinaryOp(getOperation());
    }
  }];
}

def Ingot_AddOp : Ingot_BinaryOp<"add", [Commutative]> {
  let summary = "elementwise addition";
  let hasFolder = 1;
}
def Ingot_SubOp : Ingot_BinaryOp<"sub"> {
  let summary = "elementwise subtraction";
}
def Ingot_MulOp : Ingot_BinaryOp<"mul", [Commutative]> {
  let summary = "elementwise multiplication";
  let hasFolder = 1;
}
def Ingot_DivOp : Ingot_BinaryOp<"div"> {
  let summary = "elementwise division";
  let hasFolder = 1;
}
def Ingot_MaximumOp : Ingot_BinaryOp<"maximum", [Commutative]> {
  let summary = "elementwise maximum";
}

def Ingot_SelectOp : Ingot_Op<"select", [Pure]> {
  let summary = "elementwise choice by a boolean condition";
  let description = [{
    `result = condition ? true_value : false_value` elementwise, with NumPy
    broadcasting of all three operands (like the binary ops). The values and
    the result share one float element type. With a boolean `ingot.mask` as
    the condition it applies an attention mask to scores
    (`select(mask, scores, -inf)`) or turns it into an additive one
    (`select(mask, 0, -inf)`).

    ```mlir
    %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
    %s = ingot.select %m, %scores, %neginf : tensor<?x?xi1>, tensor<9x?x?xf32>, tensor<f32> -> tensor<9x?x?xf32>
    ```
  }];
  let arguments = (ins Ingot_BoolTensor:$condition,
                       Ingot_FloatTensor:$true_value,
                       Ingot_FloatTensor:$false_value);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    type($condition) `,` type($true_value) `,` type($false_value) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

class Ingot_UnaryOp<string mnemonic, string formula>
    : Ingot_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let description = "Elementwise `" # formula # "`.\n\n```mlir\n%y = ingot." #
      mnemonic # " %x : tensor<?x1536xf32>\n```";
  let arguments = (ins Ingot_FloatTensor:$x);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

def Ingot_SiluOp : Ingot_UnaryOp<"silu", "x * sigmoid(x)"> {
  let summary = "SiLU (swish) activation";
}
def Ingot_GeluOp : Ingot_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU activation";
  let description = [{
    `0.5 x (1 + erf(x / sqrt 2))`, or with `approximate` the tanh form
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.

    ```mlir
    %y = ingot.gelu %x approximate : tensor<?x1536xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, UnitAttr:$approximate);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x (`approximate` $approximate^)? attr-dict `:` type($x)";
}
def Ingot_SigmoidOp : Ingot_UnaryOp<"sigmoid", "1 / (1 + exp(-x))"> {
  let summary = "logistic sigmoid";
}
def Ingot_TanhOp : Ingot_UnaryOp<"tanh", "tanh(x)"> {
  let summary = "hyperbolic tangent";
}
def Ingot_ExpOp : Ingot_UnaryOp<"exp", "exp(x)"> {
  let summary = "exponential";
}
def Ingot_NegOp : Ingot_UnaryOp<"neg", "-x"> {
  let summary = "negation";
  let hasFolder = 1;
}
def Ingot_RsqrtOp : Ingot_UnaryOp<"rsqrt", "1 / sqrt(x)"> {
  let summary = "reciprocal square root";
}
def Ingot_ReluOp : Ingot_UnaryOp<"relu", "max(x, 0)"> {
  let summary = "rectified linear unit";
}
def Ingot_ClampOp : Ingot_Op<"clamp", [Pure, SameOperandsAndResultType]> {
  let summary = "elementwise clamp to a range";
  let description = [{
    `min(max(x, min), max)` elementwise, NaN kept (like `torch.clamp`);
    `min <= max`, both finite. OLMoE clamps its q/k/v projections so
    (`clip_qkv`).

    ```mlir
    %y = ingot.clamp %x [-8.0, 8.0] : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, F32Attr:$min, F32Attr:$max);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x `[` $min `,` $max `]` attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def Ingot_CastOp : Ingot_Op<"cast", [Pure]> {
  let summary = "converts the element type";
  let description = [{
    Rounds each element to the result's float type; shapes are equal.

    ```mlir
    %y = ingot.cast %x : tensor<?x576xf16> to tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

def Ingot_ReshapeOp : Ingot_Op<"reshape", [Pure]> {
  let summary = "reinterprets the shape, row-major order kept";
  let description = [{
    The element count is kept. At most one dimension of the result may be
    dynamic beyond those of the operand.

    ```mlir
    %y = ingot.reshape %x : tensor<?x576xf32> -> tensor<?x9x64xf32>
    ```
  }];
  let arguments = (ins Ingot_Tensor:$x);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ingot_TransposeOp : Ingot_Op<"transpose", [Pure]> {
  let summary = "permutes dimensions";
  let description = [{
    `result.shape[i] = x.shape[permutation[i]]`.

    ```mlir
    %y = ingot.transpose %x [1, 0, 2] : tensor<?x9x64xf32> -> tensor<9x?x64xf32>
    ```
  }];
  let arguments = (ins Ingot_Tensor:$x, DenseI64ArrayAttr:$permutation);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = [{
    $x $permutation attr-dict `:` type($x) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ingot_ConcatOp : Ingot_Op<"concat", [Pure]> {
  let summary = "concatenates along one dimension";
  let description = [{
    ```mlir
    %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x3x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Ingot_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ingot_SliceOp : Ingot_Op<"slice", [Pure]> {
  let summary = "a contiguous range of one dimension";
  let description = [{
    Elements `start .. start+size-1` of dimension `axis`; the other
    dimensions are kept whole.

    ```mlir
    %q = ingot.slice %qkv {axis = 1 : i64, start = 0 : i64, size = 576 : i64} : tensor<?x960xf32> -> tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_Tensor:$x, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ingot_BroadcastOp : Ingot_Op<"broadcast", [Pure]> {
  let summary = "expands size-1 and leading dimensions";
  let description = [{
    NumPy broadcasting of `x` to the result's shape (PyTorch's `expand`):
    shapes are aligned at the innermost dimension; a dimension of size 1 and
    any missing leading dimension stretch to a static size. The op carries
    no sizes, so a dynamic result dimension must be a dynamic dimension of
    `x`. With a reshape it expresses how grouped-query attention repeats
    key/value heads.

    ```mlir
    %y = ingot.broadcast %k : tensor<?x3x1x64xf32> -> tensor<?x3x3x64xf32>
    ```
  }];
  let arguments = (ins Ingot_Tensor:$x);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Normalization, rotary embedding, softmax, reductions
//===----------------------------------------------------------------------===//

def Ingot_RmsNormOp : Ingot_Op<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    `x / sqrt(mean(x^2) + eps) * weight`, over the last dimension.

    ```mlir
    %y = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x576xf32>, tensor<576xf32> -> tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, Ingot_FloatVector:$weight,
                       F32Attr:$eps);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight attr-dict `:` type($x) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_LayerNormOp : Ingot_Op<"layer_norm", [Pure]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `(x - mean(x)) / sqrt(var(x) + eps) * weight + bias`, over the last
    dimension; `bias` is optional.

    ```mlir
    %y = ingot.layer_norm %x, %w, %b {eps = 1.0e-05 : f32} : tensor<?x576xf32>, tensor<576xf32>, tensor<576xf32> -> tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, Ingot_FloatVector:$weight,
                       Optional<Ingot_FloatVector>:$bias, F32Attr:$eps);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $weight (`,` $bias^)? attr-dict `:` type($x) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_RopeOp : Ingot_Op<"rope", [Pure]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates the first `rotary_dim` features (all of them when absent) of each
    head vector of `x : [tokens, heads, head_dim]` by angles
    `position · theta^(-2i/rotary_dim)`, after `scaling`. `neox` pairs
    feature `i` with `i + rotary_dim/2` (Hugging Face's `rotate_half`);
    `interleaved` pairs `2i` with `2i+1` (GPT-J, Meta's original Llama).
    With `freq_factors` (a vector of `rotary_dim/2` divisors, GGUF's
    `rope_freqs.weight`), pair `i`'s angle is divided by `freq_factors[i]`:
    how GGUF files carry Llama 3 frequency scaling.

    ```mlir
    %y = ingot.rope %q, %pos {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, Ingot_IndexTensor:$positions,
                       Optional<Ingot_FloatVector>:$freq_factors,
                       F32Attr:$theta, Ingot_RopeStyleAttr:$style,
                       OptionalAttr<I64Attr>:$rotary_dim,
                       OptionalAttr<Ingot_RopeScalingAttr>:$scaling);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $positions (`freq_factors` $freq_factors^)? attr-dict `:` type($x)
    `,` type($positions) (`,` type($freq_factors)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_HadamardOp : Ingot_Op<"hadamard",
    [Pure, SameOperandsAndResultType]> {
  let summary = "seeded randomized Walsh-Hadamard rotation of each vector";
  let description = [{
    Rotates every vector along the last dimension (`n` elements, a power of
    two) by the orthonormal matrix `R = W·D / sqrt(n)`, where `W` is the
    Sylvester Hadamard matrix (`W[i][j] = (-1)^popcount(i & j)`, applied by
    the fast Walsh-Hadamard transform in `n·log2(n)` additions) and `D` the
    diagonal of random signs drawn from `seed`: `D[i] = -1` where the top
    bit of `splitmix64(seed + (i + 1) · 0x9E3779B97F4A7C15)` is set
    (`mlir::ingot::isHadamardSignNegative`). With `inverse`, applies
    `Rᵀ = D·W / sqrt(n)`, so a rotation followed by its inverse is the
    identity, and both preserve norms and dot products.

    `--ingot-quantize-kv` inserts it to rotate attention head vectors before
    a tq cache encoding; applied to weights (`ingot.weight` values), it is a
    compile-time constant a backend folds when packing them.

    ```mlir
    %r = ingot.hadamard %k {seed = 42 : i64} : tensor<?x3x64xf32>
    %x = ingot.hadamard %r {seed = 42 : i64, inverse} : tensor<?x3x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, I64Attr:$seed,
                       UnitAttr:$inverse);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def Ingot_SoftmaxOp : Ingot_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one dimension";
  let description = [{
    ```mlir
    %p = ingot.softmax %s {axis = -1 : i64} : tensor<9x?x?xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, I64Attr:$axis);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def Ingot_ReduceOp : Ingot_Op<"reduce", [Pure]> {
  let summary = "sum, max or mean along one dimension, kept as size 1";
  let description = [{
    The reduced dimension stays in the result with size 1, so the result
    broadcasts against the operand.

    ```mlir
    %m = ingot.reduce max %s {axis = -1 : i64} : tensor<9x?x?xf32> -> tensor<9x?x1xf32>
    ```
  }];
  let arguments = (ins Ingot_ReduceKindAttr:$kind, Ingot_FloatTensor:$x,
                       I64Attr:$axis);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $x attr-dict `:` type($x) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_TopKOp : Ingot_Op<"topk", [Pure]> {
  let summary = "the k largest entries of the last dimension";
  let description = [{
    Values in descending order and their indices; ties go to the lower index.

    ```mlir
    %v, %i = ingot.topk %p {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, I64Attr:$k);
  let results = (outs Ingot_FloatTensor:$values, Ingot_IndexTensor:$indices);
  let assemblyFormat = [{
    $x attr-dict `:` type($x) `->` type($values) `,` type($indices)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention and the KV cache
//===----------------------------------------------------------------------===//

def Ingot_MaskOp : Ingot_Op<"mask", [Pure]> {
  let summary = "an additive or boolean attention mask from positions";
  let description = [{
    `result[i, j] = 0` where query position `q[i]` may see key position
    `k[j]`, `-inf` elsewhere. `causal`: `k[j] <= q[i]`; `sliding_window`:
    also `q[i] - k[j] < window`; `none`: everywhere. With an `i1` result the
    mask is boolean: `true` where visible, `false` elsewhere (for
    `ingot.select`).

    ```mlir
    %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
    %w = ingot.mask sliding_window %qpos, %kpos {window = 4096 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
    %b = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Ingot_MaskKindAttr:$kind, Ingot_IndexTensor:$query_positions,
                       Ingot_IndexTensor:$key_positions,
                       OptionalAttr<I64Attr>:$window);
  let results = (outs Ingot_MaskTensor:$result);
  let assemblyFormat = [{
    $kind $query_positions `,` $key_positions attr-dict `:`
    type($query_positions) `,` type($key_positions) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_KVReadOp : Ingot_Op<"kv_read", [Pure]> {
  let summary = "the first `length` positions of a KV cache";
  let description = [{
    ```mlir
    %past = ingot.kv_read %cache, %len : !ingot.kv_cache<2048x3x64xf16> -> tensor<?x3x64xf32>
    ```
  }];
  let arguments = (ins Ingot_KVCacheType:$cache, Index:$length);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $cache `,` $length attr-dict `:` qualified(type($cache)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_KVWriteOp : Ingot_Op<"kv_write", [Pure,
    AllTypesMatch<["cache", "result"]>]> {
  let summary = "stores new entries in a KV cache";
  let description = [{
    The cache with `values` stored at positions `position ..
    position + tokens - 1`, encoded with the cache's encoding.

    ```mlir
    %c1 = ingot.kv_write %c0, %k, %pos : !ingot.kv_cache<2048x3x64xf16>, tensor<?x3x64xf32>
    ```
  }];
  let arguments = (ins Ingot_KVCacheType:$cache, Ingot_FloatTensor:$values,
                       Index:$position);
  let results = (outs Ingot_KVCacheType:$result);
  let assemblyFormat = [{
    $cache `,` $values `,` $position attr-dict `:` qualified(type($cache)) `,`
    type($values)
  }];
  let hasVerifier = 1;
}

def Ingot_AttentionOp : Ingot_Op<"attention", [Pure, AttrSizedOperandSegments,
    AttrSizedResultSegments]> {
  let summary = "fused scaled dot-product attention";
  let description = [{
    `softmax(softcap(scale · q·kᵀ) + mask) · v` per query head, for
    `q : [tokens, q_heads, head_dim]` and `k, v : [keys, kv_heads, head_dim]`.
    Grouped-query attention: query head `h` reads key/value head
    `h / (q_heads / kv_heads)`. `softcap`, when present, is
    `softcap · tanh(x / softcap)`.

    Without a cache, query `i` sits at position `keys - tokens + i` and key
    `j` at position `j`. With `cache(%kc, %vc) at %pos`, `k` and `v` are the
    new tokens' entries: they are written to the caches at `pos ..`, the keys
    are cache positions `0 .. pos + tokens - 1`, query `i` sits at `pos + i`,
    and the updated caches are returned.

    ```mlir
    %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
    %o2, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind sliding_window>, window = 4096 : i64, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<2048x3x64xf16>, !ingot.kv_cache<2048x3x64xf16> -> tensor<?x9x64xf32>, !ingot.kv_cache<2048x3x64xf16>, !ingot.kv_cache<2048x3x64xf16>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$query, Ingot_FloatTensor:$key,
                       Ingot_FloatTensor:$value,
                       Optional<Ingot_KVCacheType>:$key_cache,
                       Optional<Ingot_KVCacheType>:$value_cache,
                       Optional<Index>:$position,
                       Ingot_MaskKindAttr:$mask, OptionalAttr<I64Attr>:$window,
                       F32Attr:$scale, OptionalAttr<F32Attr>:$softcap);
  let results = (outs Ingot_FloatTensor:$result,
                      Optional<Ingot_KVCacheType>:$new_key_cache,
                      Optional<Ingot_KVCacheType>:$new_value_cache);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`cache` `(` $key_cache^ `,` $value_cache `)` `at` $position)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    (`,` qualified(type($key_cache))^ `,` qualified(type($value_cache)))?
    `->` type($result)
    (`,` qualified(type($new_key_cache))^ `,` qualified(type($new_value_cache)))?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Mixture of experts: routing and the dense-level expert op
//===----------------------------------------------------------------------===//

def Ingot_RouteOp : Ingot_Op<"route", [Pure]> {
  let summary = "chooses experts per token (CSR-shaped)";
  let description = [{
    Scores router `logits : [tokens, experts]` with `scoring` (softmax or
    sigmoid), selects experts per token with `rule`, and returns the choice
    in compressed-row form: token `t` uses experts
    `experts[offsets[t] .. offsets[t+1]-1]` with weights `weights[...]`,
    highest score first. With `renormalize`, each token's weights are divided
    by their sum. The number of experts per token may vary (top-p,
    threshold); it is at least one.

    ```mlir
    %off, %ids, %wts = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.6, max = 4>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$logits, Ingot_RoutingAttr:$rule,
                       Ingot_RouterScoringAttr:$scoring, UnitAttr:$renormalize);
  let results = (outs Ingot_I32Vector:$offsets, Ingot_I32Vector:$experts,
                      Ingot_FloatVector:$weights);
  let assemblyFormat = [{
    $logits attr-dict `:` type($logits) `->` type($offsets) `,` type($experts)
    `,` type($weights)
  }];
  let hasVerifier = 1;
}

def Ingot_MoeFfnOp : Ingot_Op<"moe_ffn", [Pure]> {
  let summary = "the routed experts' gated feed-forward, weighted and summed";
  let description = [{
    For each token `t` and each (expert `e`, weight `w`) of its routing:
    `w · down[e] · (act(gate[e] · x[t]) * (up[e] · x[t]))`, summed over the
    token's experts. Weights are `[experts, out, in]` like PyTorch's
    `nn.Linear`: `gate, up : [E, F, H]`, `down : [E, H, F]`. The routing is
    the CSR triple of `ingot.route`.

    ```mlir
    %y = ingot.moe_ffn %x, %off, %ids, %wts, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, Ingot_I32Vector:$offsets,
                       Ingot_I32Vector:$experts, Ingot_FloatVector:$weights,
                       Ingot_WeightTensor:$gate, Ingot_WeightTensor:$up,
                       Ingot_WeightTensor:$down,
                       Ingot_ActivationAttr:$activation);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $offsets `,` $experts `,` $weights `,` $gate `,` $up `,` $down
    attr-dict `:` type($x) `,` type($offsets) `,` type($experts) `,`
    type($weights) `,` type($gate) `,` type($up) `,` type($down) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Mixture of experts: the sparse-gather form produced by --ingot-route-moe
//===----------------------------------------------------------------------===//

def Ingot_MoeSortOp : Ingot_Op<"moe_sort", [Pure]> {
  let summary = "counting sort of (token, expert) pairs by expert";
  let description = [{
    From a CSR routing (`offsets : [tokens+1]`, `experts : [pairs]`), counts
    pairs per expert and returns `expert_offsets : [num_experts+1]` (prefix
    sums: expert `e`'s pairs are `expert_offsets[e] ..
    expert_offsets[e+1]-1` of the sorted order), `pairs : [pairs]` (the index
    of each sorted pair in the CSR arrays) and `tokens : [pairs]` (the token of
    each sorted pair). The sort is stable: within an expert, tokens ascend.

    ```mlir
    %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
    ```
  }];
  let arguments = (ins Ingot_I32Vector:$offsets, Ingot_I32Vector:$experts,
                       I64Attr:$num_experts);
  let results = (outs Ingot_I32Vector:$expert_offsets, Ingot_I32Vector:$pairs,
                      Ingot_I32Vector:$tokens);
  let assemblyFormat = [{
    $offsets `,` $experts attr-dict `:` type($offsets) `,` type($experts) `->`
    type($expert_offsets) `,` type($pairs) `,` type($tokens)
  }];
  let hasVerifier = 1;
}

def Ingot_GatherRowsOp : Ingot_Op<"gather_rows", [Pure]> {
  let summary = "rows picked by index";
  let description = [{
    `result[i, ...] = x[indices[i], ...]` (a plain row gather; also gathers
    router weights with a 1-D `x`).

    ```mlir
    %xs = ingot.gather_rows %x, %toks : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Ingot_Tensor:$x, Ingot_I32Vector:$indices);
  let results = (outs Ingot_Tensor:$result);
  let assemblyFormat = [{
    $x `,` $indices attr-dict `:` type($x) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_GroupedMatmulOp : Ingot_Op<"grouped_matmul", [Pure]> {
  let summary = "one matmul per expert over its segment of rows";
  let description = [{
    Rows `expert_offsets[e] .. expert_offsets[e+1]-1` of `x : [rows, in]`
    are multiplied by expert `e`'s matrix of `w : [experts, out, in]`
    (transposed, like `nn.Linear`); an expert with an empty segment is never
    read.

    ```mlir
    %h = ingot.grouped_matmul %xs, %gate, %eoff : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x, Ingot_WeightTensor:$w,
                       Ingot_I32Vector:$expert_offsets);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $w `,` $expert_offsets attr-dict `:` type($x) `,` type($w) `,`
    type($expert_offsets) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ingot_ScatterAddOp : Ingot_Op<"scatter_add", [Pure,
    AllTypesMatch<["dest", "result"]>]> {
  let summary = "weighted rows added into a destination";
  let description = [{
    `result = dest`, then for each row `i` of `src`:
    `result[indices[i], :] += scale[i] · src[i, :]` (scale 1 when absent).

    ```mlir
    %y = ingot.scatter_add %src, %toks scale %w into %z : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$src, Ingot_I32Vector:$indices,
                       Ingot_FloatTensor:$dest,
                       Optional<Ingot_FloatVector>:$scale);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = [{
    $src `,` $indices (`scale` $scale^)? `into` $dest attr-dict `:` type($src)
    `,` type($indices) (`,` type($scale)^)? `into` type($dest)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Lowering forms: produced by the lowering passes (passes/lowering), read by
// every target; the graph passes and the frontends never create them.
//===----------------------------------------------------------------------===//

def Ingot_GluOp : Ingot_Op<"glu", [Pure, SameOperandsAndResultType]> {
  let summary = "gated activation: act(gate) * up";
  let description = [{
    `result = act(gate) * up`, elementwise, with `act` one of `silu`,
    `gelu` or `gelu_tanh`. `--ingot-fuse-gated-activations` forms it from
    an activation whose only use is a product with a tensor of its type, so
    the activation's result is never stored.

    ```mlir
    %h = ingot.glu %gate, %up {activation = #ingot<activation silu>} : tensor<?x1536xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$gate, Ingot_FloatTensor:$up,
                       Ingot_ActivationAttr:$activation);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ingot_MultiMatmulOp : Ingot_Op<"multi_matmul", [Pure,
    AttrSizedOperandSegments]> {
  let summary = "matmuls of one input by several weights";
  let description = [{
    `result#i = x · weights#iᵀ (+ bias)`: each weight is `[out_i, in]`
    (`nn.Linear`'s layout, `transpose_b`), every product reads the same
    `x`. `bias_for` lists, in order, the results that have a bias; `biases`
    are those biases. `--ingot-group-projections` forms it from the q/k/v
    (or gate/up) projections of one activation, so that a target can read
    and prepare the activation once for all of them. A target may still
    compute the products one by one (weights of different formats).

    ```mlir
    %q, %k, %v = ingot.multi_matmul %x, %wq, %wk, %wv
        biases(%bq, %bk, %bv : tensor<64xf32>, tensor<32xf32>, tensor<32xf32>) {bias_for = array<i64: 0, 1, 2>}
        : tensor<?x64xf32>, tensor<64x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>
        -> tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x,
                       Variadic<Ingot_WeightTensor>:$weights,
                       Variadic<Ingot_FloatVector>:$biases,
                       DenseI64ArrayAttr:$bias_for);
  let results = (outs Variadic<Ingot_FloatTensor>:$results);
  let assemblyFormat = [{
    $x `,` $weights (`biases` `(` $biases^ `:` type($biases) `)`)? attr-dict
    `:` type($x) `,` type($weights) `->` type($results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The bias of result `i`, or null.
    ::mlir::Value getBiasOf(unsigned i);
  }];
}

def Ingot_LogitsRowsOp : Ingot_Op<"logits_rows", [Pure,
    SameOperandsAndResultType]> {
  let summary = "the rows of the logits a step returns";
  let description = [{
    The rows of `x` that the caller of a step asked for: every row when it
    asks for all rows' logits (perplexity, speculative checks), else only
    the last row. The type is unchanged (a dynamic leading dimension); the
    reference evaluator returns every row. `--ingot-logits-rows` puts it on
    the returned logits, before the product that computes them when that is
    a matmul, so the other rows are not computed at all.

    ```mlir
    %last = ingot.logits_rows %h : tensor<?x576xf32>
    %logits = ingot.matmul %last, %w transpose_b : tensor<?x576xf32>, tensor<49152x576xf32> -> tensor<?x49152xf32>
    ```
  }];
  let arguments = (ins Ingot_FloatTensor:$x);
  let results = (outs Ingot_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}

#endif // INGOT_OPS_TD
