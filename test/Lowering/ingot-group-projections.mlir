// RUN: ingot-opt %s --ingot-group-projections --split-input-file | FileCheck %s
// RUN: ingot-opt %s --ingot-group-projections=max-group=2 --split-input-file | FileCheck %s --check-prefix=TWO

ingot.weight_decl @wq : tensor<64x64xf32>
ingot.weight_decl @wk : tensor<32x64xf32>
ingot.weight_decl @wv : tensor<32x64xf32>
ingot.weight_decl @bq : tensor<64xf32>
ingot.weight_decl @bv : tensor<32xf32>

// q, k, v of one input with biases on q and v, weight reads in between:
// one multi_matmul, the reads moved before it.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME:    (%[[X:.*]]: tensor<?x64xf32>)
// CHECK-DAG:     %[[WQ:.*]] = ingot.weight @wq
// CHECK-DAG:     %[[BQ:.*]] = ingot.weight @bq
// CHECK-DAG:     %[[WK:.*]] = ingot.weight @wk
// CHECK-DAG:     %[[WV:.*]] = ingot.weight @wv
// CHECK-DAG:     %[[BV:.*]] = ingot.weight @bv
// CHECK:         %[[R:.*]]:3 = ingot.multi_matmul %[[X]], %[[WQ]], %[[WK]], %[[WV]] biases(%[[BQ]], %[[BV]] : tensor<64xf32>, tensor<32xf32>) {bias_for = array<i64: 0, 2>}
// CHECK-NOT:     ingot.matmul
// CHECK-NEXT:    ingot.neg %[[R]]#0
// CHECK-NEXT:    ingot.neg %[[R]]#1
// CHECK-NEXT:    ingot.neg %[[R]]#2
// TWO-LABEL:   func.func @qkv
// TWO:           ingot.multi_matmul {{.*}} : tensor<?x64xf32>, tensor<64x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>, tensor<?x32xf32>
// TWO:           ingot.matmul
func.func @qkv(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %wq = ingot.weight @wq : tensor<64x64xf32>
  %bq = ingot.weight @bq : tensor<64xf32>
  %q = ingot.matmul %x, %wq transpose_b bias %bq : tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %wk = ingot.weight @wk : tensor<32x64xf32>
  %k = ingot.matmul %x, %wk transpose_b : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %wv = ingot.weight @wv : tensor<32x64xf32>
  %bv = ingot.weight @bv : tensor<32xf32>
  %v = ingot.matmul %x, %wv transpose_b bias %bv : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
  %q2 = ingot.neg %q : tensor<?x64xf32>
  %k2 = ingot.neg %k : tensor<?x32xf32>
  %v2 = ingot.neg %v : tensor<?x32xf32>
  return %q2, %k2, %v2 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

ingot.weight_decl @wg : tensor<128x64xf32>
ingot.weight_decl @wu : tensor<128x64xf32>
ingot.weight_decl @wo : tensor<64x64xf32>

// Not grouped: different inputs (g, u); a silu that computes between
// them breaks the run; a returned product (o: the logits) is never
// grouped.
// CHECK-LABEL: func.func @not_grouped
// CHECK-NOT:     ingot.multi_matmul
func.func @not_grouped(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>) {
  %wg = ingot.weight @wg : tensor<128x64xf32>
  %g = ingot.matmul %x, %wg transpose_b : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %wu = ingot.weight @wu : tensor<128x64xf32>
  %u = ingot.matmul %y, %wu transpose_b : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %s = ingot.silu %x : tensor<?x64xf32>
  %wo = ingot.weight @wo : tensor<64x64xf32>
  %o = ingot.matmul %x, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %g2 = ingot.neg %g : tensor<?x128xf32>
  %u2 = ingot.neg %u : tensor<?x128xf32>
  return %g2, %u2, %o : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x64xf32>
}

// -----

ingot.weight_decl @wg : tensor<128x64xf32>
ingot.weight_decl @wu : tensor<128x64xf32>

// Not grouped: a product by an activation (not a weight read), and an
// untransposed weight.
// CHECK-LABEL: func.func @not_projections
// CHECK-NOT:     ingot.multi_matmul
func.func @not_projections(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = ingot.matmul %x, %w transpose_b : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %wu = ingot.weight @wu : tensor<128x64xf32>
  %b = ingot.matmul %x, %wu transpose_b : tensor<?x64xf32>, tensor<128x64xf32> -> tensor<?x128xf32>
  %r = ingot.add %a, %b : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %b2 = ingot.neg %b : tensor<?x128xf32>
  return %r, %b2 : tensor<?x128xf32>, tensor<?x128xf32>
}
