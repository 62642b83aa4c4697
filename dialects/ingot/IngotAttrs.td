//===- IngotAttrs.td - Attributes of the ingot dialect -----*- tablegen -*-===//

#ifndef INGOT_ATTRS_TD
#define INGOT_ATTRS_TD

include "dialects/ingot/IngotDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/TensorEncoding.td"

class Ingot_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Ingot_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Ingot_BlockFormat : I32EnumAttr<"BlockFormat",
    "GGUF block quantization format", [
      I32EnumAttrCase<"q4_0", 0>, I32EnumAttrCase<"q4_1", 1>,
      I32EnumAttrCase<"q5_0", 2>, I32EnumAttrCase<"q5_1", 3>,
      I32EnumAttrCase<"q8_0", 4>, I32EnumAttrCase<"q2_k", 5>,
      I32EnumAttrCase<"q3_k", 6>, I32EnumAttrCase<"q4_k", 7>,
      I32EnumAttrCase<"q5_k", 8>, I32EnumAttrCase<"q6_k", 9>,
      I32EnumAttrCase<"iq4_nl", 10>, I32EnumAttrCase<"iq4_xs", 11>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}

def Ingot_MaskKind : I32EnumAttr<"MaskKind", "attention mask", [
      I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"causal", 1>,
      I32EnumAttrCase<"sliding_window", 2>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}
def Ingot_MaskKindAttr : EnumAttr<Ingot_Dialect, Ingot_MaskKind, "mask_kind">;

def Ingot_RopeStyle : I32EnumAttr<"RopeStyle", "rotary embedding layout", [
      I32EnumAttrCase<"neox", 0>, I32EnumAttrCase<"interleaved", 1>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}
def Ingot_RopeStyleAttr : EnumAttr<Ingot_Dialect, Ingot_RopeStyle, "rope_style">;

def Ingot_RopeScalingKind : I32EnumAttr<"RopeScalingKind",
    "rotary frequency scaling", [
      I32EnumAttrCase<"linear", 0>, I32EnumAttrCase<"llama3", 1>,
      I32EnumAttrCase<"yarn", 2>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}

def Ingot_RoutingKind : I32EnumAttr<"RoutingKind", "expert selection rule", [
      I32EnumAttrCase<"top_k", 0>, I32EnumAttrCase<"top_p", 1>,
      I32EnumAttrCase<"threshold", 2>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}

def Ingot_RouterScoring : I32EnumAttr<"RouterScoring",
    "router score function", [
      I32EnumAttrCase<"softmax", 0>, I32EnumAttrCase<"sigmoid", 1>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}
def Ingot_RouterScoringAttr
    : EnumAttr<Ingot_Dialect, Ingot_RouterScoring, "scoring">;

def Ingot_Activation : I32EnumAttr<"Activation", "FFN activation", [
      I32EnumAttrCase<"silu", 0>, I32EnumAttrCase<"gelu", 1>,
      I32EnumAttrCase<"gelu_tanh", 2>, I32EnumAttrCase<"relu", 3>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}
def Ingot_ActivationAttr
    : EnumAttr<Ingot_Dialect, Ingot_Activation, "activation">;

def Ingot_ReduceKind : I32EnumAttr<"ReduceKind", "reduction", [
      I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"max", 1>,
      I32EnumAttrCase<"mean", 2>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}
def Ingot_ReduceKindAttr : EnumAttr<Ingot_Dialect, Ingot_ReduceKind, "reduce">;

def Ingot_KVQuantKind : I32EnumAttr<"KVQuantKind", "KV-cache encoding", [
      I32EnumAttrCase<"q8", 0>, I32EnumAttrCase<"q4", 1>,
      I32EnumAttrCase<"tq4", 2>, I32EnumAttrCase<"tq3", 3>]> {
  let cppNamespace = "::mlir::ingot";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Weight encodings
//===----------------------------------------------------------------------===//

def Ingot_BlockQuantAttr : Ingot_Attr<"BlockQuant", "block",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "GGUF block-quantized storage of a weight tensor";
  let description = [{
    The tensor is stored in one of GGUF's block formats, imported as it is:
    each run of `blockSize()` consecutive elements along the innermost
    dimension is one block of `bytesPerBlock()` bytes. The tensor's element
    type is the logical (dequantized) type.

    ```mlir
    tensor<576x1536xf32, #ingot.block<q4_k>>   // 256-element blocks, 144 bytes
    ```
  }];
  let parameters = (ins EnumParameter<Ingot_BlockFormat>:$format);
  let assemblyFormat = "`<` $format `>`";
  let extraClassDeclaration = [{
    /// Elements per block along the innermost dimension.
    int64_t getBlockSize() const;
    /// Bytes one block occupies.
    int64_t getBytesPerBlock() const;
  }];
}

def Ingot_GroupQuantAttr : Ingot_Attr<"GroupQuant", "group",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "group-wise int4/int8 storage of a weight tensor";
  let description = [{
    Each run of `group_size` elements along the innermost dimension shares a
    scale (and, when not symmetric, a zero point). This is the encoding of
    `--quantize=int4|int8` and of imported GPTQ/AWQ checkpoints. The element
    type is the logical (dequantized) type.

    Storage, group after group in row-major order, each one record
    `[f16 scale][f16 zero, asymmetric only][codes]`: unsigned codes `u`, one
    byte each for 8 bits, two per byte for 4 bits (element 2i in the low
    nibble). An element is `scale * (u - zero)`, where `zero` is
    `2^(bits-1)` when symmetric and the stored f16 (in code units, as GPTQ
    zero points) otherwise. `compiler/pack/Quantize.h` writes and reads it.

    ```mlir
    tensor<4096x4096xf16, #ingot.group<bits = 4, group_size = 128, symmetric = false>>
    ```
  }];
  let parameters = (ins "int64_t":$bits, "int64_t":$group_size,
                        "bool":$symmetric);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// KV-cache encoding
//===----------------------------------------------------------------------===//

def Ingot_KVQuantAttr : Ingot_Attr<"KVQuant", "kv_quant"> {
  let summary = "quantized storage of the KV cache";
  let description = [{
    How a cache stores each head vector (`head_dim` elements of one token
    and one head); without this attribute, entries are stored in the
    cache's element type (`f32`, `f16`, `bf16`). With it, the element type
    is the type entries are dequantized to when read.

    - `q8`, `q4`: symmetric, per-token and per-head blocks of
      `min(32, head_dim)` elements along `head_dim`, each with one f16 scale
      `s >= max|x| / 127` (q8) or `max|x| / 7` (q4), the smallest such f16;
      elements are `round(x / s)` in `[-127, 127]` (8 bits) or `[-7, 7]`
      (4 bits, two a byte). Error per element at most `s / 2`.
    - `tq4`, `tq3` (in the spirit of TurboQuant, arXiv 2504.19874): the
      vector's norm as f16, and per coordinate of `x / |x|` the 4- or 3-bit
      index of the nearest level of a Lloyd-Max codebook for one coordinate
      of a uniformly random unit vector in `R^head_dim`
      (`dialects/ingot/KVCodebooks.cpp`, generated by
      `scripts/gen-kv-codebooks.py`). The codebook is optimal only for
      rotated vectors: the rotation is not part of the encoding but of the
      graph (`--ingot-quantize-kv` inserts `ingot.hadamard`).

    Bytes per token and head (`d = head_dim`, `B = min(32, d)`): q8
    `d + 2·d/B`, q4 `d/2 + 2·d/B`, tq4 `d/2 + 2`, tq3 `ceil(3·d/8) + 2`.

    ```mlir
    !ingot.kv_cache<4096x8x128xf16, #ingot.kv_quant<tq3>>
    ```
  }];
  let parameters = (ins EnumParameter<Ingot_KVQuantKind>:$kind);
  let assemblyFormat = "`<` $kind `>`";
  let extraClassDeclaration = [{
    /// Bits per stored element (8, 4 or 3).
    int64_t getBits() const;
    /// Whether this is a codebook (TurboQuant-style) encoding.
    bool isTurbo() const;
  }];
}

//===----------------------------------------------------------------------===//
// Rope scaling and routing rules
//===----------------------------------------------------------------------===//

def Ingot_RopeScalingAttr : Ingot_Attr<"RopeScaling", "rope_scaling"> {
  let summary = "rotary frequency scaling (linear, Llama 3, YaRN)";
  let description = [{
    How rotary frequencies are stretched beyond the training context.
    `linear` divides positions by `factor`. `llama3` keeps high frequencies,
    divides low ones by `factor` and blends in between, using
    `low_freq_factor`, `high_freq_factor` and `original_max_position`. `yarn`
    interpolates per dimension between `beta_fast` and `beta_slow` rotations
    and scales attention by `attn_factor`.

    ```mlir
    #ingot.rope_scaling<linear, factor = 2.0>
    #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>
    #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768, beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.0>
    ```
  }];
  let parameters = (ins EnumParameter<Ingot_RopeScalingKind>:$kind,
                        APFloatParameter<"">:$factor,
                        "int64_t":$originalMaxPosition,
                        APFloatParameter<"">:$lowFreqFactor,
                        APFloatParameter<"">:$highFreqFactor,
                        APFloatParameter<"">:$betaFast,
                        APFloatParameter<"">:$betaSlow,
                        APFloatParameter<"">:$attnFactor);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Ingot_RoutingAttr : Ingot_Attr<"Routing", "routing"> {
  let summary = "which experts a token uses";
  let description = [{
    `top_k`: the `k` highest-scoring experts. `top_p`: the smallest set of
    highest-scoring experts whose probability mass reaches `p`, at most `max`.
    `threshold`: every expert whose probability is at least `t`, at most
    `max`. A token always uses at least one expert. `max = 0` means no cap.

    ```mlir
    #ingot.routing<top_k, k = 2>
    #ingot.routing<top_p, p = 0.6, max = 4>
    #ingot.routing<threshold, t = 0.1, max = 8>
    ```
  }];
  let parameters = (ins EnumParameter<Ingot_RoutingKind>:$kind,
                        "int64_t":$k, APFloatParameter<"">:$value,
                        "int64_t":$maxExperts);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The most experts one token can use, given the layer's expert count.
    int64_t getMaxExpertsPerToken(int64_t numExperts) const;
  }];
}

def Ingot_BufferAttr : Ingot_Attr<"Buffer", "buffer"> {
  let summary = "where a value lives in the activation arena";
  let description = [{
    The memory plan of one op result (`--ingot-plan-memory`): `bytes` at
    byte `offset` of the activation arena, enough for `rows` rows along a
    dynamic leading dimension (its largest count). Results that are
    returned to the caller in its own buffer have `offset = -1` and
    `bytes = 0`.

    ```mlir
    #ingot.buffer<offset = 4096, bytes = 147456, rows = 256>
    ```
  }];
  let parameters = (ins "int64_t":$offset, "int64_t":$bytes, "int64_t":$rows);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // INGOT_ATTRS_TD
