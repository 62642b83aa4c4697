// A one-token (static shapes, as a decode step has) MoE model for route-moe-numerics.test:
// embedding, a router over 6 experts, one moe_ffn with silu, an output
// head. ingot-run gives it pseudo-random weights (--weights-random) and runs
// it one token per step; --moe-routing swaps the rule.
ingot.weight_decl @embed : tensor<40x24xf32>
ingot.weight_decl @router : tensor<6x24xf32>
ingot.weight_decl @gate : tensor<6x32x24xf32>
ingot.weight_decl @up : tensor<6x32x24xf32>
ingot.weight_decl @down : tensor<6x24x32xf32>
ingot.weight_decl @head : tensor<40x24xf32>
func.func @forward(%ids: tensor<1xi32>, %start: index) -> tensor<1x40xf32> {
  %table = ingot.weight @embed : tensor<40x24xf32>
  %x = ingot.embedding %table, %ids : tensor<40x24xf32>, tensor<1xi32> -> tensor<1x24xf32>
  %wr = ingot.weight @router : tensor<6x24xf32>
  %logits = ingot.matmul %x, %wr transpose_b : tensor<1x24xf32>, tensor<6x24xf32> -> tensor<1x6xf32>
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<1x6xf32> -> tensor<2xi32>, tensor<?xi32>, tensor<?xf32>
  %g = ingot.weight @gate : tensor<6x32x24xf32>
  %u = ingot.weight @up : tensor<6x32x24xf32>
  %d = ingot.weight @down : tensor<6x24x32xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<1x24xf32>, tensor<2xi32>, tensor<?xi32>, tensor<?xf32>, tensor<6x32x24xf32>, tensor<6x32x24xf32>, tensor<6x24x32xf32> -> tensor<1x24xf32>
  %h = ingot.add %x, %y : tensor<1x24xf32>, tensor<1x24xf32> -> tensor<1x24xf32>
  %wh = ingot.weight @head : tensor<40x24xf32>
  %out = ingot.matmul %h, %wh transpose_b : tensor<1x24xf32>, tensor<40x24xf32> -> tensor<1x40xf32>
  return %out : tensor<1x40xf32>
}
