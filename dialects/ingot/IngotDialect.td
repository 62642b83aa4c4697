//===- IngotDialect.td - The ingot dialect -----------------*- tablegen -*-===//
//
// The `ingot` dialect: decoder-only transformers, dense and mixture-of-experts,
// at two levels. The frontends emit the fine-grained level (matmuls, softmax,
// masks, rope, the router) that mirrors the reference modeling code; the graph
// passes produce the fused level (`ingot.attention`, the sparse MoE form,
// quantized weight encodings).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_DIALECT_TD
#define INGOT_DIALECT_TD

include "mlir/IR/OpBase.td"

def Ingot_Dialect : Dialect {
  let name = "ingot";
  let cppNamespace = "::mlir::ingot";
  let summary = "Transformer language models, dense and mixture-of-experts";
  let description = [{
    Values are ranked tensors without a batch dimension: a graph computes one
    sequence. Activations are `[tokens, features]` or `[tokens, heads,
    head_dim]`; the number of tokens is usually dynamic (`?`). Weights are
    declared once per module with `ingot.weight_decl` and referenced by symbol
    with `ingot.weight`; their bytes never enter the IR. A weight's storage
    format is an encoding attribute on its tensor type (`#ingot.block<q4_k>`,
    `#ingot.group<...>`); the element type stays the logical float type. The
    KV cache is a value of type `!ingot.kv_cache`, updated functionally.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // INGOT_DIALECT_TD
