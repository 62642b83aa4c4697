//===- Passes.td - Target-independent lowering passes ------*- tablegen -*-===//
//
// Passes that run after the graph pipeline and before a target: they
// prepare the graph for lowering without knowing the target.
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

#endif // INGOT_PASSES_LOWERING_PASSES_TD
