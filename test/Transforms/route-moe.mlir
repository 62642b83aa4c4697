// RUN: ingot-opt %s --ingot-route-moe --split-input-file | FileCheck %s
// RUN: ingot-opt %s --ingot-route-moe="require-route=false" --split-input-file | FileCheck %s --check-prefix=ANY

// Top-k routing, silu, a dynamic token count: the full sparse form.
// CHECK-LABEL: func.func @top_k_silu
// CHECK-SAME:    (%[[X:.*]]: tensor<?x64xf32>, %[[L:.*]]: tensor<?x8xf32>, %[[G:.*]]: tensor<8x128x64xf32>, %[[U:.*]]: tensor<8x128x64xf32>, %[[D:.*]]: tensor<8x64x128xf32>)
// CHECK:         %[[O:.*]], %[[E:.*]], %[[W:.*]] = ingot.route %[[L]]
// CHECK:         %[[EOFF:.*]], %[[PAIRS:.*]], %[[TOKS:.*]] = ingot.moe_sort %[[O]], %[[E]] {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
// CHECK:         %[[XS:.*]] = ingot.gather_rows %[[X]], %[[TOKS]] : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
// CHECK:         %[[GM:.*]] = ingot.grouped_matmul %[[XS]], %[[G]], %[[EOFF]] : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
// CHECK:         %[[UM:.*]] = ingot.grouped_matmul %[[XS]], %[[U]], %[[EOFF]] : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
// CHECK:         %[[A:.*]] = ingot.silu %[[GM]] : tensor<?x128xf32>
// CHECK:         %[[H:.*]] = ingot.mul %[[A]], %[[UM]] : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
// CHECK:         %[[DM:.*]] = ingot.grouped_matmul %[[H]], %[[D]], %[[EOFF]] : tensor<?x128xf32>, tensor<8x64x128xf32>, tensor<9xi32> -> tensor<?x64xf32>
// CHECK:         %[[WS:.*]] = ingot.gather_rows %[[W]], %[[PAIRS]] : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
// CHECK:         %[[Z:.*]] = ingot.zeros_like %[[X]] : tensor<?x64xf32>
// CHECK:         %[[Y:.*]] = ingot.scatter_add %[[DM]], %[[TOKS]] scale %[[WS]] into %[[Z]] : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
// CHECK-NOT:     ingot.moe_ffn
// CHECK:         return %[[Y]]
func.func @top_k_silu(%x: tensor<?x64xf32>, %logits: tensor<?x8xf32>, %gate: tensor<8x128x64xf32>, %up: tensor<8x128x64xf32>, %down: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Top-p routing (a variable number of experts per token), gelu_tanh, a
// static token count: the pair count stays dynamic, the activation is
// `gelu approximate`, the result keeps the static type.
// CHECK-LABEL: func.func @top_p_gelu_tanh_static
// CHECK-SAME:    (%[[X:.*]]: tensor<5x32xf32>
// CHECK:         %[[O:.*]], %[[E:.*]], %[[W:.*]] = ingot.route
// CHECK:         %[[EOFF:.*]], %[[PAIRS:.*]], %[[TOKS:.*]] = ingot.moe_sort %[[O]], %[[E]] {num_experts = 4 : i64} : tensor<6xi32>, tensor<?xi32> -> tensor<5xi32>, tensor<?xi32>, tensor<?xi32>
// CHECK:         %[[XS:.*]] = ingot.gather_rows %[[X]], %[[TOKS]] : tensor<5x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
// CHECK:         %[[GM:.*]] = ingot.grouped_matmul %[[XS]], %{{.*}}, %[[EOFF]] : tensor<?x32xf32>, tensor<4x16x32xf32>, tensor<5xi32> -> tensor<?x16xf32>
// CHECK:         %[[UM:.*]] = ingot.grouped_matmul %[[XS]]
// CHECK:         %[[A:.*]] = ingot.gelu %[[GM]] approximate : tensor<?x16xf32>
// CHECK:         %[[H:.*]] = ingot.mul %[[A]], %[[UM]]
// CHECK:         %[[DM:.*]] = ingot.grouped_matmul %[[H]], %{{.*}}, %[[EOFF]] : tensor<?x16xf32>, tensor<4x32x16xf32>, tensor<5xi32> -> tensor<?x32xf32>
// CHECK:         %[[WS:.*]] = ingot.gather_rows %[[W]], %[[PAIRS]]
// CHECK:         %[[Z:.*]] = ingot.zeros_like %[[X]] : tensor<5x32xf32>
// CHECK:         %[[Y:.*]] = ingot.scatter_add %[[DM]], %[[TOKS]] scale %[[WS]] into %[[Z]] : tensor<?x32xf32>, tensor<?xi32>, tensor<?xf32> into tensor<5x32xf32>
// CHECK:         return %[[Y]]
func.func @top_p_gelu_tanh_static(%x: tensor<5x32xf32>, %logits: tensor<5x4xf32>, %gate: tensor<4x16x32xf32>, %up: tensor<4x16x32xf32>, %down: tensor<4x32x16xf32>) -> tensor<5x32xf32> {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_p, p = 0.6, max = 3>, scoring = #ingot<scoring softmax>} : tensor<5x4xf32> -> tensor<6xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation gelu_tanh>} : tensor<5x32xf32>, tensor<6xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x32x16xf32> -> tensor<5x32xf32>
  return %y : tensor<5x32xf32>
}

// -----

// Exact gelu and relu: `gelu` without approximate, `relu`.
// CHECK-LABEL: func.func @gelu_and_relu
// CHECK:         %[[G1:.*]] = ingot.grouped_matmul
// CHECK:         ingot.grouped_matmul
// CHECK:         ingot.gelu %[[G1]] : tensor<?x16xf32>
// CHECK:         ingot.scatter_add
// CHECK:         %[[G2:.*]] = ingot.grouped_matmul
// CHECK:         ingot.grouped_matmul
// CHECK:         ingot.relu %[[G2]] : tensor<?x16xf32>
// CHECK:         ingot.scatter_add
func.func @gelu_and_relu(%x: tensor<?x32xf32>, %logits: tensor<?x4xf32>, %gate: tensor<4x16x32xf32>, %up: tensor<4x16x32xf32>, %down: tensor<4x32x16xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 1>, scoring = #ingot<scoring sigmoid>} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y1 = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation gelu>} : tensor<?x32xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x32x16xf32> -> tensor<?x32xf32>
  %y2 = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation relu>} : tensor<?x32xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x16x32xf32>, tensor<4x16x32xf32>, tensor<4x32x16xf32> -> tensor<?x32xf32>
  return %y1, %y2 : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// Two MoE layers in one function, each with its own route: both are
// rewritten, each sorts its own routing.
// CHECK-LABEL: func.func @two_layers
// CHECK:         %[[O1:.*]], %[[E1:.*]], %{{.*}} = ingot.route
// CHECK:         ingot.moe_sort %[[O1]], %[[E1]]
// CHECK:         %[[Y1:.*]] = ingot.scatter_add
// CHECK:         %[[O2:.*]], %[[E2:.*]], %{{.*}} = ingot.route
// CHECK:         ingot.moe_sort %[[O2]], %[[E2]]
// CHECK:         %[[Y2:.*]] = ingot.scatter_add
// CHECK-NOT:     ingot.moe_ffn
// CHECK:         return %[[Y2]]
func.func @two_layers(%x: tensor<?x64xf32>, %r1: tensor<64x8xf32>, %r2: tensor<64x8xf32>, %gate: tensor<8x128x64xf32>, %up: tensor<8x128x64xf32>, %down: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  %l1 = ingot.matmul %x, %r1 : tensor<?x64xf32>, tensor<64x8xf32> -> tensor<?x8xf32>
  %o1, %e1, %w1 = ingot.route %l1 {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y1 = ingot.moe_ffn %x, %o1, %e1, %w1, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  %l2 = ingot.matmul %y1, %r2 : tensor<?x64xf32>, tensor<64x8xf32> -> tensor<?x8xf32>
  %o2, %e2, %w2 = ingot.route %l2 {rule = #ingot.routing<threshold, t = 0.1, max = 4>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y2 = ingot.moe_ffn %y1, %o2, %e2, %w2, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y2 : tensor<?x64xf32>
}

// -----

// Negative: a function without MoE (a dense gated FFN, as a shared expert
// is) is unchanged.
// CHECK-LABEL: func.func @no_moe
// CHECK-NOT:     ingot.moe_sort
// CHECK-NOT:     ingot.grouped_matmul
// CHECK:         %[[S:.*]] = ingot.silu
// CHECK:         %[[H:.*]] = ingot.mul %[[S]]
// CHECK:         return %[[H]]
func.func @no_moe(%x: tensor<?x128xf32>, %u: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %s = ingot.silu %x : tensor<?x128xf32>
  %h = ingot.mul %s, %u : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}

// -----

// Negative: the routing does not come from an ingot.route (its expert ids
// are not known to index the weights), so moe_ffn stays.
// CHECK-LABEL: func.func @routing_from_arguments
// CHECK-NOT:     ingot.moe_sort
// CHECK:         ingot.moe_ffn
// With require-route=false the caller vouches for the routing: rewritten.
// ANY-LABEL: func.func @routing_from_arguments
// ANY-SAME:    (%{{.*}}: tensor<?x64xf32>, %[[O:.*]]: tensor<?xi32>, %[[E:.*]]: tensor<?xi32>,
// ANY:         ingot.moe_sort %[[O]], %[[E]] {num_experts = 8 : i64}
// ANY-NOT:     ingot.moe_ffn
// ANY:         ingot.scatter_add
func.func @routing_from_arguments(%x: tensor<?x64xf32>, %o: tensor<?xi32>, %e: tensor<?xi32>, %w: tensor<?xf32>, %gate: tensor<8x128x64xf32>, %up: tensor<8x128x64xf32>, %down: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  %y = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Negative: a dynamic number of experts gives moe_sort no num_experts, so
// moe_ffn stays.
// CHECK-LABEL: func.func @dynamic_experts
// CHECK-NOT:     ingot.moe_sort
// CHECK:         ingot.moe_ffn
func.func @dynamic_experts(%x: tensor<?x64xf32>, %logits: tensor<?x?xf32>, %gate: tensor<?x128x64xf32>, %up: tensor<?x128x64xf32>, %down: tensor<?x64x128xf32>) -> tensor<?x64xf32> {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x?xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<?x128x64xf32>, tensor<?x128x64xf32>, tensor<?x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// One token (a static token count of 1, as a decode step has): the same
// sparse form, static where the types allow.
// CHECK-LABEL: func.func @one_token_top_k_silu
// CHECK-SAME:    (%[[X:.*]]: tensor<1x64xf32>
// CHECK:         %[[O:.*]], %[[E:.*]], %[[W:.*]] = ingot.route
// CHECK:         %[[EOFF:.*]], %[[PAIRS:.*]], %[[TOKS:.*]] = ingot.moe_sort %[[O]], %[[E]] {num_experts = 8 : i64} : tensor<2xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
// CHECK:         %[[XS:.*]] = ingot.gather_rows %[[X]], %[[TOKS]] : tensor<1x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
// CHECK:         %[[GM:.*]] = ingot.grouped_matmul %[[XS]], %{{.*}}, %[[EOFF]]
// CHECK:         %[[UM:.*]] = ingot.grouped_matmul %[[XS]], %{{.*}}, %[[EOFF]]
// CHECK:         %[[A:.*]] = ingot.silu %[[GM]] : tensor<?x128xf32>
// CHECK:         %[[H:.*]] = ingot.mul %[[A]], %[[UM]]
// CHECK:         %[[DM:.*]] = ingot.grouped_matmul %[[H]], %{{.*}}, %[[EOFF]]
// CHECK:         %[[WS:.*]] = ingot.gather_rows %[[W]], %[[PAIRS]]
// CHECK:         %[[Z:.*]] = ingot.zeros_like %[[X]] : tensor<1x64xf32>
// CHECK:         %[[Y:.*]] = ingot.scatter_add %[[DM]], %[[TOKS]] scale %[[WS]] into %[[Z]] : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<1x64xf32>
// CHECK-NOT:     ingot.moe_ffn
// CHECK:         return %[[Y]]
func.func @one_token_top_k_silu(%x: tensor<1x64xf32>, %logits: tensor<1x8xf32>, %gate: tensor<8x128x64xf32>, %up: tensor<8x128x64xf32>, %down: tensor<8x64x128xf32>) -> tensor<1x64xf32> {
  %o, %e, %w = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<1x8xf32> -> tensor<2xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %o, %e, %w, %gate, %up, %down {activation = #ingot<activation silu>} : tensor<1x64xf32>, tensor<2xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
