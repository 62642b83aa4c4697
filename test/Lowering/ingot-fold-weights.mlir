// RUN: ingot-opt %s --ingot-fold-weights --split-input-file --verify-diagnostics | FileCheck %s

// A transpose, a reshape and a rotation over a weight (what --kv-cache=tq4
// puts on the value projection, reshaped back): one folded weight read by
// the matmul. Values: the transpose of [[1, 2], [3, 4]] is [[1, 3], [2, 4]];
// rotated with seed 0 (sign 0 flipped for n = 2) each row [a, b] is
// [(b-a)/sqrt(2), (-a-b)/sqrt(2)]: [sqrt(2), -2 sqrt(2)], [sqrt(2), -3 sqrt(2)].

// The original weight, read by nothing else, is gone (checked up to the
// first label: it would come before the folded one).
// CHECK-NOT: ingot.weight_decl @rotated_v :
// CHECK-LABEL: ingot.weight_decl @rotated_v.folded : tensor<2x2xf32> {value = dense_resource<rotated_v.folded> : tensor<2x2xf32>}
// CHECK-NEXT: func.func @rotated
// CHECK-NEXT: %[[W:.*]] = ingot.weight @rotated_v.folded : tensor<2x2xf32>
// CHECK-NEXT: ingot.matmul %{{.*}}, %[[W]]
// CHECK: rotated_v.folded: "0x04000000F304B53FF30435C0F304B53FB6C387C0"
ingot.weight_decl @rotated_v : tensor<2x2xf32> {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>}
func.func @rotated(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = ingot.weight @rotated_v : tensor<2x2xf32>
  %t = ingot.transpose %w [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %r = ingot.reshape %t : tensor<2x2xf32> -> tensor<2x1x2xf32>
  %h = ingot.hadamard %r {seed = 0 : i64} : tensor<2x1x2xf32>
  %back = ingot.reshape %h : tensor<2x1x2xf32> -> tensor<2x2xf32>
  %y = ingot.matmul %x, %back : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A weight read as it is stays a read of the model's weight, and a literal
// stays a literal; the transposed view of the same weight is folded and the
// original decl, still read, is kept. Values: [[1, 3], [2, 4]].

// CHECK-LABEL: ingot.weight_decl @kept : tensor<2x2xf32> {value = dense<
// CHECK-NEXT: ingot.weight_decl @kept.folded : tensor<2x2xf32> {value = dense_resource<kept.folded> : tensor<2x2xf32>}
// CHECK-NEXT: func.func @plain_and_transposed
// CHECK-NEXT: %[[W:.*]] = ingot.weight @kept : tensor<2x2xf32>
// CHECK-NEXT: %[[C:.*]] = ingot.constant dense<5.000000e-01>
// CHECK-NEXT: %[[F:.*]] = ingot.weight @kept.folded : tensor<2x2xf32>
// CHECK-NEXT: %[[A:.*]] = ingot.matmul %{{.*}}, %[[W]]
// CHECK-NEXT: ingot.matmul %[[A]], %[[F]]
// CHECK-NEXT: ingot.mul %{{.*}}, %[[C]]
// CHECK: kept.folded: "0x040000000000803F000040400000004000008040"
ingot.weight_decl @kept : tensor<2x2xf32> {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>}
func.func @plain_and_transposed(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = ingot.weight @kept : tensor<2x2xf32>
  %c = ingot.constant dense<0.5> : tensor<f32>
  %t = ingot.transpose %w [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %a = ingot.matmul %x, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %b = ingot.matmul %a, %t : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %y = ingot.mul %b, %c : tensor<?x2xf32>, tensor<f32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// An op computed from weights that the pass does not compute: an error
// naming it, the module unchanged.

ingot.weight_decl @w : tensor<2x2xf32> {value = dense<1.0> : tensor<2x2xf32>}
func.func @unsupported(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = ingot.weight @w : tensor<2x2xf32>
  // expected-error @below {{cannot fold 'ingot.add', computed from weights alone: ingot-fold-weights computes ingot.reshape, ingot.transpose, ingot.hadamard and ingot.cast}}
  %s = ingot.add %w, %w : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  %y = ingot.matmul %x, %s : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A weight of the model file, with no weight source to read it from (as in
// ingot-opt): an error naming it.

ingot.weight_decl @wv : tensor<2x2xf32> {source = "blk.0.attn_v.weight"}
func.func @no_source(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @below {{cannot fold a subgraph over @wv: it has no `value` and no weight source was given (ingotc gives the model's weights)}}
  %w = ingot.weight @wv : tensor<2x2xf32>
  %t = ingot.transpose %w [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %y = ingot.matmul %x, %t : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
