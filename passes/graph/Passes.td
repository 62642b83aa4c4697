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

#endif // INGOT_PASSES_GRAPH_PASSES_TD
