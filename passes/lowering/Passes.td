//===- Passes.td - Target-independent lowering passes ------*- tablegen -*-===//
//
// The passes between the graph pipeline and a target: they decide what every
// target shares (weights computed at compile time, fusions into target-level
// ops, which logits rows are computed, the memory plan) and record it in the
// IR, so a target's lowering only maps ops to kernels.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_PASSES_LOWERING_PASSES_TD
#define INGOT_PASSES_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def IngotFoldWeightsPass : Pass<"ingot-fold-weights", "::mlir::ModuleOp"> {
  let summary = "computes subgraphs over weights alone at compile time";
  let description = [{
    Graph passes put ops on weights: `--ingot-quantize-kv` with a tq
    encoding folds the value rotation into the value and output projection
    weights as `ingot.transpose`, `ingot.reshape` and `ingot.hadamard` on
    their `ingot.weight` reads. No target should run those per token. This
    pass computes each maximal subgraph of ops whose operands are weights
    and constants alone (other than a plain `ingot.weight` read or an
    `ingot.constant`) and replaces it by a new `ingot.weight_decl` that
    carries the values (`value`, a `dense_resource` blob of f32: not
    uniqued or hashed by the context, however many megabytes) and an
    `ingot.weight` read of it. A weight read only by folded subgraphs loses
    its declaration.

    Values are computed as the reference evaluator computes them (the
    shared numerics library): weights rounded to their element type, each
    result rounded to its element type. The folded ops are `ingot.reshape`,
    `ingot.transpose`, `ingot.hadamard` and `ingot.cast`; any other op
    computed from weights alone is an error naming it, and the module is
    left unchanged.

    The weights' values come from the `WeightSource` the driver gives
    (`ingotc`: the model file, or `--random-weights`). Without one (this
    flag in `ingot-opt`) only declarations with a `value` can be read.

    Before:

    ```mlir
    ingot.weight_decl @wv : tensor<32x64xf32> {source = "blk.0.attn_v.weight"}
    func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      %w = ingot.weight @wv : tensor<32x64xf32>
      %t = ingot.transpose %w [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
      %h = ingot.hadamard %t {seed = 0 : i64} : tensor<64x32xf32>
      %y = ingot.matmul %x, %h : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
      ...
    }
    ```

    After:

    ```mlir
    ingot.weight_decl @wv.folded : tensor<64x32xf32> {value = dense_resource<wv.folded> : tensor<64x32xf32>}
    func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
      %h = ingot.weight @wv.folded : tensor<64x32xf32>
      %y = ingot.matmul %x, %h : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
      ...
    }
    {-# dialect_resources: { builtin: { wv.folded: "0x04000000..." } } #-}
    ```
  }];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotFuseGatedActivationsPass
    : Pass<"ingot-fuse-gated-activations", "::mlir::func::FuncOp"> {
  let summary = "fuses silu(a) * b and gelu(a) * b into ingot.glu";
  let description = [{
    An `ingot.silu` or `ingot.gelu` whose only use is an `ingot.mul` with a
    tensor of the same type becomes one `ingot.glu`: the activation is never
    stored. When both factors are activations, the left one is the gate.

    Before:

    ```mlir
    %a = ingot.silu %gate : tensor<?x128xf32>
    %h = ingot.mul %a, %up : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
    ```

    After:

    ```mlir
    %h = ingot.glu %gate, %up {activation = #ingot<activation silu>} : tensor<?x128xf32>
    ```
  }];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotGroupProjectionsPass
    : Pass<"ingot-group-projections", "::mlir::func::FuncOp"> {
  let summary = "groups consecutive projections of one input into ingot.multi_matmul";
  let description = [{
    Up to `max-group` `ingot.matmul`s in a row (only weight reads, views and
    index constants between them) that multiply the same activation by a
    weight read (`transpose_b`), with weight or no biases, become one
    `ingot.multi_matmul`: the q, k, v projections of attention, the gate
    and up projections of an FFN. A product returned by the function (the
    logits) is never grouped. The weight reads move before the group.

    Before:

    ```mlir
    %wq = ingot.weight @wq : tensor<64x64xf32>
    %q = ingot.matmul %x, %wq transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %wk = ingot.weight @wk : tensor<32x64xf32>
    %k = ingot.matmul %x, %wk transpose_b : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    ```

    After:

    ```mlir
    %wq = ingot.weight @wq : tensor<64x64xf32>
    %wk = ingot.weight @wk : tensor<32x64xf32>
    %q, %k = ingot.multi_matmul %x, %wq, %wk {bias_for = array<i64>}
        : tensor<?x64xf32>, tensor<64x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>, tensor<?x32xf32>
    ```
  }];
  let options = [
    Option<"maxGroup", "max-group", "unsigned", /*default=*/"3",
           "most products in one group">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotLogitsRowsPass
    : Pass<"ingot-logits-rows", "::mlir::func::FuncOp"> {
  let summary = "computes the returned logits for the asked rows only";
  let description = [{
    A step returns the logits of its last token unless the caller asks for
    every row's. The returned logits (the function's first result) get an
    `ingot.logits_rows`: on the input of the matmul that computes them when
    that matmul has no other use (so the other rows are never multiplied by
    the output head, the largest matrix of most models), else on the
    returned value itself.

    Before:

    ```mlir
    %logits = ingot.matmul %h, %w transpose_b : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
    return %logits : tensor<?x256xf32>
    ```

    After:

    ```mlir
    %last = ingot.logits_rows %h : tensor<?x64xf32>
    %logits = ingot.matmul %last, %w transpose_b : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
    return %logits : tensor<?x256xf32>
    ```
  }];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

def IngotPlanMemoryPass : Pass<"ingot-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "assigns every computed tensor a buffer in one arena";
  let description = [{
    Every op that computes tensors (not weight reads, not views:
    `ingot.reshape`, `ingot.logits_rows`; not `ingot.zeros_like`, which is
    only the destination of a scatter) gets `ingot.buffers`, one
    `#ingot.buffer` per result: its size for the most rows it can have
    (`max-batch` tokens; for routing, the tokens times the most experts a
    token uses), and an offset by liveness, first fit over the buffers
    still live, in program order. A matmul whose result is only returned as
    the logits writes the caller's buffer (`offset = -1`). The function
    gets `ingot.activation_bytes`, the plan's peak. Every element is 4
    bytes (f32, i32).

    Before, with `--ingot-plan-memory=max-batch=4`:

    ```mlir
    %a = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    ```

    After:

    ```mlir
    %a = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32, ingot.buffers = [#ingot.buffer<offset = 0, bytes = 1024, rows = 4>]} : ...
    ```
  }];
  let options = [
    Option<"maxBatch", "max-batch", "int64_t", /*default=*/"256",
           "most tokens one step takes">,
  ];
  let dependentDialects = ["::mlir::ingot::IngotDialect"];
}

#endif // INGOT_PASSES_LOWERING_PASSES_TD
