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
    approximate` (gelu_tanh) or `ingot.maximum` with zeros (relu). Shared
    experts are separate dense ops and stay untouched. A `moe_ffn` whose
    expert count is dynamic, or whose routing does not come from an
    `ingot.route` over the same number of experts, is left as it is.

    This general form serves prefill and decode alike; a form specialized
    for decode (a handful of tokens, where a per-pair matrix-vector product
    beats the sort) is a later step.

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

#endif // INGOT_PASSES_GRAPH_PASSES_TD
