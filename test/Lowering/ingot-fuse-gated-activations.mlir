// RUN: ingot-opt %s --ingot-fuse-gated-activations --split-input-file | FileCheck %s

// The SwiGLU of a Llama FFN: silu(gate) * up is one ingot.glu.
// CHECK-LABEL: func.func @swiglu
// CHECK-SAME:    (%[[G:.*]]: tensor<?x128xf32>, %[[U:.*]]: tensor<?x128xf32>)
// CHECK-NOT:     ingot.silu
// CHECK:         %[[H:.*]] = ingot.glu %[[G]], %[[U]] {activation = #ingot<activation silu>} : tensor<?x128xf32>
// CHECK-NEXT:    return %[[H]]
func.func @swiglu(%g: tensor<?x128xf32>, %u: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %a = ingot.silu %g : tensor<?x128xf32>
  %h = ingot.mul %a, %u : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}

// -----

// The activation on the right; GELU with the tanh approximation.
// CHECK-LABEL: func.func @geglu_tanh_rhs
// CHECK-SAME:    (%[[G:.*]]: tensor<?x64xf32>, %[[U:.*]]: tensor<?x64xf32>)
// CHECK:         ingot.glu %[[G]], %[[U]] {activation = #ingot<activation gelu_tanh>}
func.func @geglu_tanh_rhs(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %a = ingot.gelu %g approximate : tensor<?x64xf32>
  %h = ingot.mul %u, %a : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// -----

// Exact GELU; both factors activations: the left one is the gate, the
// right one stays.
// CHECK-LABEL: func.func @both_activations
// CHECK:         %[[B:.*]] = ingot.silu %arg1
// CHECK:         ingot.glu %arg0, %[[B]] {activation = #ingot<activation gelu>}
func.func @both_activations(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %a = ingot.gelu %g : tensor<?x64xf32>
  %b = ingot.silu %u : tensor<?x64xf32>
  %h = ingot.mul %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// -----

// Not fused: the activation has a second use (it must be stored).
// CHECK-LABEL: func.func @activation_used_twice
// CHECK:         ingot.silu
// CHECK:         ingot.mul
// CHECK-NOT:     ingot.glu
func.func @activation_used_twice(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %a = ingot.silu %g : tensor<?x64xf32>
  %h = ingot.mul %a, %u : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %h, %a : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Not fused: a broadcast product (the types differ), and relu (no gated
// kernel form; ingot.glu refuses it).
// CHECK-LABEL: func.func @broadcast_and_relu
// CHECK:         ingot.silu
// CHECK:         ingot.mul
// CHECK:         ingot.relu
// CHECK:         ingot.mul
// CHECK-NOT:     ingot.glu
func.func @broadcast_and_relu(%g: tensor<?x64xf32>, %s: tensor<64xf32>, %u: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %a = ingot.silu %g : tensor<?x64xf32>
  %h = ingot.mul %a, %s : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %r = ingot.relu %u : tensor<?x64xf32>
  %k = ingot.mul %r, %u : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %h, %k : tensor<?x64xf32>, tensor<?x64xf32>
}
