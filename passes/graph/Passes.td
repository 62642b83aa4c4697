//===- Passes.td - Graph passes on the ingot dialect -------*- tablegen -*-===//

#ifndef INGOT_PASSES_GRAPH_PASSES_TD
#define INGOT_PASSES_GRAPH_PASSES_TD

include "mlir/Pass/PassBase.td"

def IngotSetRoutingPass : Pass<"ingot-set-routing", "::mlir::ModuleOp"> {
  let summary = "replaces the routing rule of every ingot.route";
  let description = [{
    Compiles a mixture-of-experts model with another expert-selection rule
    than the one it was trained with ("mixture of experts on demand"). The
    rule is written as on `ingotc --moe-routing`: `top-k:K`,
    `top-p:P[,max=M]` or `threshold:T[,max=M]`. Every `ingot.route` in the
    module gets the new rule; its scoring and renormalization are kept. A
    rule that asks for more experts than a layer has is an error.

    Before, with `--ingot-set-routing="rule=top-p:0.6,max=4"`:

    ```mlir
    %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>,
        scoring = #ingot<scoring softmax>, renormalize}
        : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    ```

    After:

    ```mlir
    %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.6, max = 4>,
        scoring = #ingot<scoring softmax>, renormalize}
        : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    ```
  }];
  let options = [
    Option<"rule", "rule", "std::string", /*default=*/"",
           "top-k:K | top-p:P[,max=M] | threshold:T[,max=M]">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotRouteMoEPass : Pass<"ingot-route-moe", "::mlir::func::FuncOp"> {
  let summary = "rewrites ingot.moe_ffn into the sparse sort/gather/grouped-matmul form";
  let description = [{
    Replaces each `ingot.moe_ffn` whose routing (offsets and expert ids)
    comes from one `ingot.route` by the sparse-gather form: the
    (token, expert) pairs are counting-sorted by expert (`ingot.moe_sort`),
    the tokens' rows are gathered in that order (`ingot.gather_rows`), each
    expert multiplies its own segment (`ingot.grouped_matmul` for gate, up
    and down), and the results are scaled by the router weights and added
    back into a zero tensor (`ingot.scatter_add`). Only the experts some
    token selects are read: `grouped_matmul` skips empty segments, so
    compute and weight traffic follow the routing, and a variable number of
    experts per token (top-p, threshold) costs no padding.

    The activation becomes `ingot.silu`, `ingot.gelu`, `ingot.gelu
    approximate` (gelu_tanh) or `ingot.relu`. Shared
    experts are separate dense ops and stay untouched. A `moe_ffn` whose
    expert count is dynamic, or whose routing does not come from an
    `ingot.route` over the same number of experts, is left as it is.

    One-token steps (decode) use the same form: at one token the sort, the
    gathers and the scatter move a few rows, and `grouped_matmul` still reads
    only the selected experts' weights. (A decode-only form that applied each
    selected expert to the row directly was measured and removed: on a
    64-expert top-8 model the ops it would save took about 1% of a decode
    step; see docs/architecture.md.)

    Before:

    ```mlir
    %off, %ids, %wts = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>,
        scoring = #ingot<scoring softmax>}
        : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    %y = ingot.moe_ffn %x, %off, %ids, %wts, %gate, %up, %down
        {activation = #ingot<activation silu>}
        : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>,
          tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32>
        -> tensor<?x64xf32>
    ```

    After:

    ```mlir
    %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64}
        : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
    %xs = ingot.gather_rows %x, %toks
        : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
    %g = ingot.grouped_matmul %xs, %gate, %eoff
        : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
    %u = ingot.grouped_matmul %xs, %up, %eoff
        : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
    %a = ingot.silu %g : tensor<?x128xf32>
    %h = ingot.mul %a, %u : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
    %d = ingot.grouped_matmul %h, %down, %eoff
        : tensor<?x128xf32>, tensor<8x64x128xf32>, tensor<9xi32> -> tensor<?x64xf32>
    %ws = ingot.gather_rows %wts, %pairs
        : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
    %z = ingot.zeros_like %x : tensor<?x64xf32>
    %y = ingot.scatter_add %d, %toks scale %ws into %z
        : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
    ```
  }];
  let options = [
    Option<"requireRoute", "require-route", "bool", /*default=*/"true",
           "rewrite only moe_ffn ops whose routing comes from an ingot.route">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotFuseAttentionPass : Pass<"ingot-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "fuses fine-grained attention into one ingot.attention";
  let description = [{
    Matches decomposed attention rooted at the final `transpose [1, 0, 2]`
    of `probs · v` and replaces it with one `ingot.attention`:

    - `q·kᵀ` over the head-swapped q and k (`transpose [1, 0, 2]`);
    - scaling by products or quotients by splat constants (`x / c` is a
      scale of `1/c`), on the scores, on q or on k (before or after the head
      swap); their factors multiply into `scale`;
    - an optional logit softcap `c * tanh(s / c)` (or `c * tanh(s * (1/c))`)
      → `softcap = c`; the two constants must agree;
    - a mask: an additive `ingot.mask` added to the scores, a boolean one
      (`i1` result) applied with `ingot.select %m, %scores, -inf`, or made
      additive with `ingot.select %m, 0, -inf`, or none (`mask = none`);
      `-inf` may also be the lowest finite float;
    - softmax over the last axis, as `ingot.softmax` or max-subtracted
      `exp(x - reduce_max(x)) / reduce_sum(exp(...))`;
    - grouped-query attention: keys and values expanded to the query heads
      by `reshape` → `broadcast` → `reshape`, tokens first (`[S,KV,1,D]`)
      or heads first after the swap (`[KV,1,S,D]`, like `repeat_kv`);
    - the cache append: `concat [kv_read(%c, %start), %new]` on axis 0 with
      `kv_write %c, %new, %start` beside it.

    The chain becomes one `ingot.attention` on the new entries with
    `cache(...) at %start`; its updated caches replace the `kv_write`
    results, and the ops left dead are erased.

    Preconditions (the chain is left as it is otherwise): the mask's query
    positions are `ingot.iota %t offset %start` and its key positions
    `ingot.iota %n` with `%n = arith.addi %start, %t`, where `%start` is
    also the `kv_read` length and the `kv_write` position; the updated
    caches are used only after the fused op. Without a cache (no `kv_read`
    and `concat`), both mask positions must be the same `ingot.iota %t`.
    Without a mask, `%start` is the `kv_read` length. Mask kinds (`causal`,
    `sliding_window` with its window, `none`) carry over unchanged. Near
    misses stay as they are: a mask that is not an `ingot.mask` of the
    step's positions, a softmax or reduction over another axis, a scale
    that is not a constant, a tanh whose constants are not a softcap.

    With `raise-softmax`, decomposed softmaxes outside attention are also
    raised to `ingot.softmax` (`populateRaiseSoftmaxPatterns`).

    Before (one key/value head per query head shown for brevity):

    ```mlir
    %qpos = ingot.iota %t offset %start : tensor<?xi32>
    %kpos = ingot.iota %n : tensor<?xi32>
    %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
    %k = ingot.concat %pk, %knew {axis = 0 : i64} : ...
    %kc1 = ingot.kv_write %kc, %knew, %start : ...
    // likewise %v, %vc1 from %vnew
    %qh = ingot.transpose %q [1, 0, 2] : ...
    %kh = ingot.transpose %k [1, 0, 2] : ...
    %vh = ingot.transpose %v [1, 0, 2] : ...
    %s = ingot.matmul %qh, %kh transpose_b : ...
    %c = ingot.constant dense<2.500000e-01> : tensor<f32>
    %ss = ingot.mul %s, %c : ...
    %m = ingot.mask causal %qpos, %kpos : ...
    %sm = ingot.add %ss, %m : ...
    %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
    %o = ingot.matmul %p, %vh : ...
    %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
    ```

    After:

    ```mlir
    %out, %kc1, %vc1 = ingot.attention %q, %knew, %vnew cache(%kc, %vc) at %start
        {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : ...
    ```

    Before (no cache; divided scores, softcap 30, a boolean mask, the
    decomposed softmax):

    ```mlir
    %s = ingot.matmul %qh, %kh transpose_b : ...
    %ss = ingot.div %s, %c4 : ...                    // %c4 = 4.0
    %t0 = ingot.div %ss, %c30 : ...                  // %c30 = 30.0
    %t1 = ingot.tanh %t0 : ...
    %sc = ingot.mul %t1, %c30 : ...
    %m = ingot.mask causal %pos, %pos : ... -> tensor<?x?xi1>
    %sm = ingot.select %m, %sc, %ninf : ...          // %ninf = -inf
    %mx = ingot.reduce max %sm {axis = -1 : i64} : ...
    %d = ingot.sub %sm, %mx : ...
    %e = ingot.exp %d : ...
    %z = ingot.reduce sum %e {axis = -1 : i64} : ...
    %p = ingot.div %e, %z : ...
    %o = ingot.matmul %p, %vh : ...
    %out = ingot.transpose %o [1, 0, 2] : ...
    ```

    After:

    ```mlir
    %out = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>,
        scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32} : ...
    ```
  }];
  let options = [
    Option<"raiseSoftmax", "raise-softmax", "bool", /*default=*/"false",
           "also raise decomposed softmaxes outside attention to ingot.softmax">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotQuantizePass : Pass<"ingot-quantize", "::mlir::ModuleOp"> {
  let summary = "quantizes float weight matrices by round-to-nearest";
  let description = [{
    Gives float weight matrices a storage encoding: the type of each chosen
    `ingot.weight_decl` and of every `ingot.weight` that reads it gets the
    `encoding`; the logical shape and element type stay. The bytes are
    quantized by round-to-nearest when weights are packed (and by the
    reference evaluator, which reads the model file's floats and applies
    the same quantizer, `ingot::pack::quantizeDequantize`).

    `encoding` is written as on `ingotc --quantize`:

    | option value | encoding |
    | --- | --- |
    | `q8_0`, `q4_0`, `q4_k` | `#ingot.block<...>`, GGUF's block layout |
    | `int8`, `int4` | `#ingot.group<bits = 8/4, group_size = 128, symmetric = true>` |
    | `int4-g32`, `int8-g64`, ... | group size 32, 64 or 128 |
    | `int4-g128-asym` | asymmetric (scale and zero point per group) |

    Groups and blocks run along the last dimension (the input dimension of
    `[out, in]` matrices). The byte layouts and the exact rounding are
    documented in `compiler/pack/Quantize.h`.

    Policy. Kept as they are: weights that already have an encoding (GGUF
    block formats, group encodings of imported GPTQ/AWQ checkpoints; not
    quantized twice unless `requantize`, which dequantizes them and
    quantizes the values again, so both roundings add up; a weight already
    in `encoding` is kept either way), tensors of rank < 2 (norms, biases), norms, and
    weights read by an operand that takes no encoded tensor (only
    `ingot.embedding`'s table, `ingot.matmul`'s `b`, `ingot.moe_ffn`'s
    experts and `ingot.grouped_matmul`'s `w` do). The token embeddings
    (`token_embd`), the output head (`output`) and routers
    (`ffn_gate_inp*`) stay at their precision too, unless `all-matrices`.
    `skip` is a regex over weight symbol names (searched anywhere; anchor
    with `^...$`) whose matches are kept.

    A chosen weight whose last dimension is not a multiple of the block or
    group size fails the pass, before anything changed, with one error
    naming the weight, the encoding and the block size.

    Accuracy, tested by `test/Transforms/quantize-numerics.test` on the
    fixture models (tiny random models, logits up to about 2.5): the
    reference evaluator's logits for a prefill and two decode steps, the
    quantized graph against the float graph, largest absolute difference,
    must stay within 0.1 for 8-bit encodings (`q8_0`, `int8-g32`; measured
    0.036 to 0.066 over the nine fixtures) and within 2.0 for 4-bit ones
    (`q4_0`, `int4-g32`, `int4-g32-asym`; measured 0.59 to 1.57; the gguf
    package's own q4_0 file of the llama fixture is 1.24 away). With
    `all-matrices` and the routers skipped, `q8_0` and `q4_0` give exactly
    the logits of the q8_0/q4_0 GGUF files the gguf package wrote from the
    same weights (the quantizer writes the same bytes).

    Before, with `--ingot-quantize="encoding=q8_0"`:

    ```mlir
    ingot.weight_decl @blk.0.attn_q.weight : tensor<64x64xf32> {source = "blk.0.attn_q.weight"}
    ingot.weight_decl @blk.0.attn_norm.weight : tensor<64xf32> {source = "blk.0.attn_norm.weight"}
    func.func @forward(...) {
      %w = ingot.weight @blk.0.attn_q.weight : tensor<64x64xf32>
      %q = ingot.matmul %x, %w transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```

    After:

    ```mlir
    ingot.weight_decl @blk.0.attn_q.weight : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_q.weight"}
    ingot.weight_decl @blk.0.attn_norm.weight : tensor<64xf32> {source = "blk.0.attn_norm.weight"}
    func.func @forward(...) {
      %w = ingot.weight @blk.0.attn_q.weight : tensor<64x64xf32, #ingot.block<q8_0>>
      %q = ingot.matmul %x, %w transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
    ```

    `ingot::summarizeWeightBytes` (Passes.h) sums storage bytes per weight
    class before and after, for `ingotc inspect`/`--report`.
  }];
  let options = [
    Option<"encoding", "encoding", "std::string", /*default=*/"\"q8_0\"",
           "q8_0 | q4_0 | q4_k | int8|int4[-g32|-g64|-g128][-sym|-asym]">,
    Option<"skip", "skip", "std::string", /*default=*/"",
           "regex over weight symbol names to keep unquantized">,
    Option<"allMatrices", "all-matrices", "bool", /*default=*/"false",
           "also quantize the token embeddings, the output head and routers">,
    Option<"requantize", "requantize", "bool", /*default=*/"false",
           "also convert weights already in another block or group encoding">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotQuantizeKVPass : Pass<"ingot-quantize-kv", "::mlir::func::FuncOp"> {
  let summary = "chooses the KV-cache encodings, rotating head vectors for tq caches";
  let description = [{
    Gives the key caches the encoding `keys` and the value caches the
    encoding `values` (each one of `f32`, `f16`, `bf16`, `q8`, `q4`, `tq4`,
    `tq3`; empty keeps the caches as they are): the function's cache
    arguments and results and the fused `ingot.attention ... cache(...)`
    ops change type. `f32`/`f16`/`bf16` set the cache element type; the
    others set `#ingot.kv_quant` and keep the element type. The syntax of
    `ingotc --kv-cache` (`ENC` or `k:ENC,v:ENC`) is parsed by
    `mlir::ingot::parseKVCacheSpec`. Runs after `--ingot-fuse-attention`:
    a cache used by anything but a fused attention and `func.return` is an
    error.

    tq encodings quantize coordinates of *rotated* head vectors, and the
    rotation (`ingot.hadamard {seed}`, one seed per layer: `seed` plus the
    layer's index among the function's attention ops) is part of the graph:

    - keys: the query and the key (after RoPE) are rotated, so scores are
      computed in the rotated space (rotations preserve dot products) and
      keys are never rotated back;
    - values: the rotation of v is folded into the value projection (its
      weight, transposed and rotated per head, and its bias), and the
      inverse rotation of the attention output into the output projection
      (its weight rotated per head along its input dimension): rotations of
      `ingot.weight` values, constants a backend folds when it packs the
      weights. Where a projection's weight is quantized (an encoded weight
      type) or the chain is not `matmul` → `reshape` → attention →
      `reshape` → `matmul`, v is rotated at run time before the attention
      (`ingot.hadamard`) and the output rotated back after it
      (`ingot.hadamard {inverse}`).

    Before, with `--ingot-quantize-kv="keys=tq4 values=tq4"`:

    ```mlir
    %v2 = ingot.matmul %h, %wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    %v = ingot.reshape %v2 : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {...}
        : ..., !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> ...
    %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
    %y = ingot.matmul %o2, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```

    After:

    ```mlir
    %wvt = ingot.transpose %wv [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
    %wv3 = ingot.reshape %wvt : tensor<64x32xf32> -> tensor<64x2x16xf32>
    %wvr = ingot.hadamard %wv3 {seed = 0 : i64} : tensor<64x2x16xf32>
    %wv2 = ingot.reshape %wvr : tensor<64x2x16xf32> -> tensor<64x32xf32>
    %v2 = ingot.matmul %h, %wv2 : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
    %v = ingot.reshape %v2 : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %qr = ingot.hadamard %q {seed = 0 : i64} : tensor<?x4x16xf32>
    %kr = ingot.hadamard %k {seed = 0 : i64} : tensor<?x2x16xf32>
    %o, %kc1, %vc1 = ingot.attention %qr, %kr, %v cache(%kc, %vc) at %pos {...}
        : ..., !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>>,
          !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>> -> ...
    %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
    %wo3 = ingot.reshape %wo : tensor<64x64xf32> -> tensor<64x4x16xf32>
    %wor = ingot.hadamard %wo3 {seed = 0 : i64} : tensor<64x4x16xf32>
    %wo2 = ingot.reshape %wor : tensor<64x4x16xf32> -> tensor<64x64xf32>
    %y = ingot.matmul %o2, %wo2 transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let options = [
    Option<"keys", "keys", "std::string", /*default=*/"",
           "encoding of the key caches: f32 | f16 | bf16 | q8 | q4 | tq4 | tq3">,
    Option<"values", "values", "std::string", /*default=*/"",
           "encoding of the value caches: f32 | f16 | bf16 | q8 | q4 | tq4 | tq3">,
    Option<"seed", "seed", "int64_t", /*default=*/"0",
           "seed of the first layer's rotation (tq encodings)">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

#endif // INGOT_PASSES_GRAPH_PASSES_TD
