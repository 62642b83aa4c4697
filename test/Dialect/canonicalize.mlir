// RUN: ingot-opt %s --canonicalize --split-input-file | FileCheck %s

// Equal constants fold to one (ConstantOp::fold lets the folder deduplicate).
// CHECK-LABEL: func.func @constant_dedup
// CHECK:         %[[C:.*]] = ingot.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NOT:     ingot.constant
// CHECK:         return %[[C]], %[[C]]
func.func @constant_dedup() -> (tensor<4xf32>, tensor<4xf32>) {
  %a = ingot.constant dense<1.0> : tensor<4xf32>
  %b = ingot.constant dense<1.0> : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// Negative: constants with different values stay apart.
// CHECK-LABEL: func.func @constant_distinct
// CHECK-DAG:     %[[A:.*]] = ingot.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG:     %[[B:.*]] = ingot.constant dense<2.000000e+00> : tensor<4xf32>
// CHECK:         return %[[A]], %[[B]]
func.func @constant_distinct() -> (tensor<4xf32>, tensor<4xf32>) {
  %a = ingot.constant dense<1.0> : tensor<4xf32>
  %b = ingot.constant dense<2.0> : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// Negative: equal values of different types are different constants.
// CHECK-LABEL: func.func @constant_distinct_types
// CHECK-DAG:     %[[A:.*]] = ingot.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG:     %[[B:.*]] = ingot.constant dense<1.000000e+00> : tensor<2x2xf32>
// CHECK:         return %[[A]], %[[B]]
func.func @constant_distinct_types() -> (tensor<4xf32>, tensor<2x2xf32>) {
  %a = ingot.constant dense<1.0> : tensor<4xf32>
  %b = ingot.constant dense<1.0> : tensor<2x2xf32>
  return %a, %b : tensor<4xf32>, tensor<2x2xf32>
}

// -----

// Negative: ingot.weight is constant-like but has no folder; two weights of
// one type are different values and must not be merged.
// CHECK-LABEL: func.func @weights_distinct
// CHECK:         %[[A:.*]] = ingot.weight @a : tensor<4xf32>
// CHECK:         %[[B:.*]] = ingot.weight @b : tensor<4xf32>
// CHECK:         return %[[A]], %[[B]]
ingot.weight_decl @a : tensor<4xf32>
ingot.weight_decl @b : tensor<4xf32>
func.func @weights_distinct() -> (tensor<4xf32>, tensor<4xf32>) {
  %a = ingot.weight @a : tensor<4xf32>
  %b = ingot.weight @b : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// An unused constant is erased.
// CHECK-LABEL: func.func @constant_dead
// CHECK-NOT:     ingot.constant
// CHECK:         return
func.func @constant_dead() {
  %a = ingot.constant dense<1.0> : tensor<4xf32>
  return
}

// -----

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NOT:     ingot.add
// CHECK:         return %[[X]]
func.func @add_zero(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %z = ingot.constant dense<0.0> : tensor<f32>
  %y = ingot.add %x, %z : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// 0 + x folds too: add is commutative, so the constant moves to the right.
// CHECK-LABEL: func.func @zero_add
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT:     ingot.add
// CHECK:         return %[[X]]
func.func @zero_add(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = ingot.constant dense<0.0> : tensor<1xf32>
  %y = ingot.add %z, %x : tensor<1xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: the zero broadcasts x to a larger shape, so the result type is
// not x's type and x cannot replace the add.
// CHECK-LABEL: func.func @add_zero_broadcasts
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[Z:.*]] = ingot.constant
// CHECK:         %[[Y:.*]] = ingot.add %[[X]], %[[Z]] : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
// CHECK:         return %[[Y]]
func.func @add_zero_broadcasts(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %z = ingot.constant dense<0.0> : tensor<2x4xf32>
  %y = ingot.add %x, %z : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Negative: a constant that is not a splat is not the additive identity,
// even where some of its elements are zero.
// CHECK-LABEL: func.func @add_non_splat
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<[0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00]>
// CHECK:         %[[Y:.*]] = ingot.add %[[X]], %[[C]]
// CHECK:         return %[[Y]]
func.func @add_non_splat(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ingot.constant dense<[0.0, 1.0, 0.0, 0.0]> : tensor<4xf32>
  %y = ingot.add %x, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: adding a non-zero splat is not an identity.
// CHECK-LABEL: func.func @add_one
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<1.000000e+00>
// CHECK:         %[[Y:.*]] = ingot.add %[[X]], %[[C]]
// CHECK:         return %[[Y]]
func.func @add_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ingot.constant dense<1.0> : tensor<f32>
  %y = ingot.add %x, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME:    (%[[X:.*]]: tensor<2x4xf16>)
// CHECK-NOT:     ingot.mul
// CHECK:         return %[[X]]
func.func @mul_one(%x: tensor<2x4xf16>) -> tensor<2x4xf16> {
  %c = ingot.constant dense<1.0> : tensor<4xf16>
  %y = ingot.mul %x, %c : tensor<2x4xf16>, tensor<4xf16> -> tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

// -----

// Negative: x * 2 is not x.
// CHECK-LABEL: func.func @mul_two
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<2.000000e+00>
// CHECK:         %[[Y:.*]] = ingot.mul %[[X]], %[[C]]
// CHECK:         return %[[Y]]
func.func @mul_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ingot.constant dense<2.0> : tensor<f32>
  %y = ingot.mul %x, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: multiplying by ones that broadcast x to a higher rank changes
// the type.
// CHECK-LABEL: func.func @mul_one_broadcasts
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK:         %[[Y:.*]] = ingot.mul %[[X]], %[[C]]
// CHECK:         return %[[Y]]
func.func @mul_one_broadcasts(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %c = ingot.constant dense<1.0> : tensor<3x4xf32>
  %y = ingot.mul %x, %c : tensor<4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @div_one
// CHECK-SAME:    (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NOT:     ingot.div
// CHECK:         return %[[X]]
func.func @div_one(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c = ingot.constant dense<1.0> : tensor<f32>
  %y = ingot.div %x, %c : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Negative: 1 / x is a reciprocal; div is not commutative.
// CHECK-LABEL: func.func @one_div
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<1.000000e+00>
// CHECK:         %[[Y:.*]] = ingot.div %[[C]], %[[X]]
// CHECK:         return %[[Y]]
func.func @one_div(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ingot.constant dense<1.0> : tensor<4xf32>
  %y = ingot.div %c, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: x / 2 is not x.
// CHECK-LABEL: func.func @div_two
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[C:.*]] = ingot.constant dense<2.000000e+00>
// CHECK:         %[[Y:.*]] = ingot.div %[[X]], %[[C]]
// CHECK:         return %[[Y]]
func.func @div_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = ingot.constant dense<2.0> : tensor<f32>
  %y = ingot.div %x, %c : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @neg_neg
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NOT:     ingot.neg
// CHECK:         return %[[X]]
func.func @neg_neg(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %a = ingot.neg %x : tensor<?x4xf32>
  %b = ingot.neg %a : tensor<?x4xf32>
  return %b : tensor<?x4xf32>
}

// -----

// Negative: a single negation stays.
// CHECK-LABEL: func.func @neg_once
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[Y:.*]] = ingot.neg %[[X]]
// CHECK:         return %[[Y]]
func.func @neg_once(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = ingot.neg %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Three negations are one.
// CHECK-LABEL: func.func @neg_neg_neg
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK:         %[[Y:.*]] = ingot.neg %[[X]]
// CHECK-NOT:     ingot.neg
// CHECK:         return %[[Y]]
func.func @neg_neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = ingot.neg %x : tensor<4xf32>
  %b = ingot.neg %a : tensor<4xf32>
  %c = ingot.neg %b : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<?x576xbf16>)
// CHECK-NOT:     ingot.cast
// CHECK:         return %[[X]]
func.func @cast_same_type(%x: tensor<?x576xbf16>) -> tensor<?x576xbf16> {
  %y = ingot.cast %x : tensor<?x576xbf16> to tensor<?x576xbf16>
  return %y : tensor<?x576xbf16>
}

// -----

// Negative: a cast that changes the element type converts values.
// CHECK-LABEL: func.func @cast_f16_to_f32
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf16>)
// CHECK:         %[[Y:.*]] = ingot.cast %[[X]] : tensor<4xf16> to tensor<4xf32>
// CHECK:         return %[[Y]]
func.func @cast_f16_to_f32(%x: tensor<4xf16>) -> tensor<4xf32> {
  %y = ingot.cast %x : tensor<4xf16> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: a cast that only refines the shape still changes the type.
// CHECK-LABEL: func.func @cast_refines_shape
// CHECK-SAME:    (%[[X:.*]]: tensor<?xf32>)
// CHECK:         %[[Y:.*]] = ingot.cast %[[X]] : tensor<?xf32> to tensor<4xf32>
// CHECK:         return %[[Y]]
func.func @cast_refines_shape(%x: tensor<?xf32>) -> tensor<4xf32> {
  %y = ingot.cast %x : tensor<?xf32> to tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<?x9x64xf32>)
// CHECK-NOT:     ingot.reshape
// CHECK:         return %[[X]]
func.func @reshape_identity(%x: tensor<?x9x64xf32>) -> tensor<?x9x64xf32> {
  %y = ingot.reshape %x : tensor<?x9x64xf32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// reshape(reshape(y)) is one reshape of y.
// CHECK-LABEL: func.func @reshape_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<2x6xf32>)
// CHECK:         %[[Y:.*]] = ingot.reshape %[[X]] : tensor<2x6xf32> -> tensor<3x4xf32>
// CHECK-NOT:     ingot.reshape
// CHECK:         return %[[Y]]
func.func @reshape_reshape(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  %a = ingot.reshape %x : tensor<2x6xf32> -> tensor<12xf32>
  %b = ingot.reshape %a : tensor<12xf32> -> tensor<3x4xf32>
  return %b : tensor<3x4xf32>
}

// -----

// A reshape back to the original shape disappears.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME:    (%[[X:.*]]: tensor<?x576xf32>)
// CHECK-NOT:     ingot.reshape
// CHECK:         return %[[X]]
func.func @reshape_round_trip(%x: tensor<?x576xf32>) -> tensor<?x576xf32> {
  %a = ingot.reshape %x : tensor<?x576xf32> -> tensor<?x9x64xf32>
  %b = ingot.reshape %a : tensor<?x9x64xf32> -> tensor<?x576xf32>
  return %b : tensor<?x576xf32>
}

// -----

// A reshape of a dense constant is a constant of the new shape.
// CHECK-LABEL: func.func @reshape_constant
// CHECK:         %[[C:.*]] = ingot.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-NOT:     ingot.reshape
// CHECK:         return %[[C]]
func.func @reshape_constant() -> tensor<4xf32> {
  %c = ingot.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = ingot.reshape %c : tensor<2x2xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Negative: a reshape to a dynamic shape has no static constant to fold to.
// CHECK-LABEL: func.func @reshape_constant_dynamic
// CHECK:         %[[C:.*]] = ingot.constant
// CHECK:         %[[Y:.*]] = ingot.reshape %[[C]] : tensor<2x2xf32> -> tensor<?xf32>
// CHECK:         return %[[Y]]
func.func @reshape_constant_dynamic() -> tensor<?xf32> {
  %c = ingot.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = ingot.reshape %c : tensor<2x2xf32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Negative: a reshape of a non-constant to another shape stays.
// CHECK-LABEL: func.func @reshape_real
// CHECK-SAME:    (%[[X:.*]]: tensor<?x576xf32>)
// CHECK:         %[[Y:.*]] = ingot.reshape %[[X]] : tensor<?x576xf32> -> tensor<?x9x64xf32>
// CHECK:         return %[[Y]]
func.func @reshape_real(%x: tensor<?x576xf32>) -> tensor<?x9x64xf32> {
  %y = ingot.reshape %x : tensor<?x576xf32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<?x9x64xf32>)
// CHECK-NOT:     ingot.transpose
// CHECK:         return %[[X]]
func.func @transpose_identity(%x: tensor<?x9x64xf32>) -> tensor<?x9x64xf32> {
  %y = ingot.transpose %x [0, 1, 2] : tensor<?x9x64xf32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// Negative: swapping two equal dimensions keeps the type but moves
// elements.
// CHECK-LABEL: func.func @transpose_square
// CHECK-SAME:    (%[[X:.*]]: tensor<4x4xf32>)
// CHECK:         %[[Y:.*]] = ingot.transpose %[[X]] [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
// CHECK:         return %[[Y]]
func.func @transpose_square(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %y = ingot.transpose %x [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// transpose(transpose(x, p), q) is transpose(x, [p[q[0]], p[q[1]], ...]).
// CHECK-LABEL: func.func @transpose_transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK:         %[[Y:.*]] = ingot.transpose %[[X]] [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NOT:     ingot.transpose
// CHECK:         return %[[Y]]
func.func @transpose_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %a = ingot.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %b = ingot.transpose %a [1, 0, 2] : tensor<3x4x2xf32> -> tensor<4x3x2xf32>
  return %b : tensor<4x3x2xf32>
}

// -----

// A transpose followed by its inverse disappears.
// CHECK-LABEL: func.func @transpose_inverse
// CHECK-SAME:    (%[[X:.*]]: tensor<?x9x64xf32>)
// CHECK-NOT:     ingot.transpose
// CHECK:         return %[[X]]
func.func @transpose_inverse(%x: tensor<?x9x64xf32>) -> tensor<?x9x64xf32> {
  %a = ingot.transpose %x [1, 2, 0] : tensor<?x9x64xf32> -> tensor<9x64x?xf32>
  %b = ingot.transpose %a [2, 0, 1] : tensor<9x64x?xf32> -> tensor<?x9x64xf32>
  return %b : tensor<?x9x64xf32>
}

// -----

// Negative: the inner transpose has another use; it stays for that use
// while the outer one is rewritten to read x directly.
// CHECK-LABEL: func.func @transpose_transpose_shared
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK:         %[[A:.*]] = ingot.transpose %[[X]] [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NOT:     ingot.transpose
// CHECK:         return %[[A]], %[[X]]
func.func @transpose_transpose_shared(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<2x3xf32>) {
  %a = ingot.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %b = ingot.transpose %a [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  return %a, %b : tensor<3x2xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @concat_single
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x64xf32>)
// CHECK-NOT:     ingot.concat
// CHECK:         return %[[X]]
func.func @concat_single(%x: tensor<?x3x64xf32>) -> tensor<?x3x64xf32> {
  %y = ingot.concat %x {axis = 0 : i64} : tensor<?x3x64xf32> -> tensor<?x3x64xf32>
  return %y : tensor<?x3x64xf32>
}

// -----

// Negative: two inputs are a real concatenation.
// CHECK-LABEL: func.func @concat_two
// CHECK-SAME:    (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<3x4xf32>)
// CHECK:         %[[Y:.*]] = ingot.concat %[[A]], %[[B]] {axis = 0 : i64}
// CHECK:         return %[[Y]]
func.func @concat_two(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) -> tensor<5x4xf32> {
  %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

// Negative: a single input whose type differs from the result's (here the
// result refines a dynamic size) cannot replace the concat.
// CHECK-LABEL: func.func @concat_single_refines
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK:         %[[Y:.*]] = ingot.concat %[[X]] {axis = 0 : i64} : tensor<?x4xf32> -> tensor<3x4xf32>
// CHECK:         return %[[Y]]
func.func @concat_single_refines(%x: tensor<?x4xf32>) -> tensor<3x4xf32> {
  %y = ingot.concat %x {axis = 0 : i64} : tensor<?x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @slice_full
// CHECK-SAME:    (%[[X:.*]]: tensor<4x960xf32>)
// CHECK-NOT:     ingot.slice
// CHECK:         return %[[X]]
func.func @slice_full(%x: tensor<4x960xf32>) -> tensor<4x960xf32> {
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 960 : i64} : tensor<4x960xf32> -> tensor<4x960xf32>
  return %y : tensor<4x960xf32>
}

// -----

// Negative: a partial slice keeps only some columns.
// CHECK-LABEL: func.func @slice_partial
// CHECK-SAME:    (%[[X:.*]]: tensor<?x960xf32>)
// CHECK:         %[[Y:.*]] = ingot.slice %[[X]] {axis = 1 : i64, size = 576 : i64, start = 0 : i64} : tensor<?x960xf32> -> tensor<?x576xf32>
// CHECK:         return %[[Y]]
func.func @slice_partial(%x: tensor<?x960xf32>) -> tensor<?x576xf32> {
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 576 : i64} : tensor<?x960xf32> -> tensor<?x576xf32>
  return %y : tensor<?x576xf32>
}

// -----

// Negative: a slice that does not start at 0 is not the whole dimension.
// CHECK-LABEL: func.func @slice_offset
// CHECK-SAME:    (%[[X:.*]]: tensor<?x960xf32>)
// CHECK:         %[[Y:.*]] = ingot.slice %[[X]] {axis = 1 : i64, size = 192 : i64, start = 768 : i64}
// CHECK:         return %[[Y]]
func.func @slice_offset(%x: tensor<?x960xf32>) -> tensor<?x192xf32> {
  %y = ingot.slice %x {axis = 1 : i64, start = 768 : i64, size = 192 : i64} : tensor<?x960xf32> -> tensor<?x192xf32>
  return %y : tensor<?x192xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_same_type
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x64xf32>)
// CHECK-NOT:     ingot.broadcast
// CHECK:         return %[[X]]
func.func @broadcast_same_type(%x: tensor<?x3x64xf32>) -> tensor<?x3x64xf32> {
  %y = ingot.broadcast %x : tensor<?x3x64xf32> -> tensor<?x3x64xf32>
  return %y : tensor<?x3x64xf32>
}

// -----

// Negative: stretching a size-1 dimension is a real broadcast.
// CHECK-LABEL: func.func @broadcast_expands
// CHECK-SAME:    (%[[X:.*]]: tensor<?x3x1x64xf32>)
// CHECK:         %[[Y:.*]] = ingot.broadcast %[[X]] : tensor<?x3x1x64xf32> -> tensor<?x3x3x64xf32>
// CHECK:         return %[[Y]]
func.func @broadcast_expands(%x: tensor<?x3x1x64xf32>) -> tensor<?x3x3x64xf32> {
  %y = ingot.broadcast %x : tensor<?x3x1x64xf32> -> tensor<?x3x3x64xf32>
  return %y : tensor<?x3x3x64xf32>
}

// -----

// Negative: adding leading dimensions is a real broadcast.
// CHECK-LABEL: func.func @broadcast_rank
// CHECK-SAME:    (%[[X:.*]]: tensor<64xf32>)
// CHECK:         %[[Y:.*]] = ingot.broadcast %[[X]] : tensor<64xf32> -> tensor<2x64xf32>
// CHECK:         return %[[Y]]
func.func @broadcast_rank(%x: tensor<64xf32>) -> tensor<2x64xf32> {
  %y = ingot.broadcast %x : tensor<64xf32> -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// Negative: the zero constant could stretch a dynamic dimension of size 1,
// so x + 0 is not x.
// CHECK-LABEL: func @add_zero_may_stretch_dynamic(
// CHECK: %[[R:.*]] = ingot.add
// CHECK: return %[[R]]
func.func @add_zero_may_stretch_dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %z = ingot.constant dense<0.0> : tensor<3xf32>
  %y = ingot.add %x, %z : tensor<?xf32>, tensor<3xf32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Negative: a slice from 0 of a dynamic dimension is not the whole of it.
// CHECK-LABEL: func @slice_prefix_of_dynamic(
// CHECK: %[[R:.*]] = ingot.slice
// CHECK: return %[[R]]
func.func @slice_prefix_of_dynamic(%x: tensor<?x4xf32>) -> tensor<2x4xf32> {
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 4 : i64} : tensor<?x4xf32> -> tensor<?x4xf32>
  %z = ingot.slice %y {axis = 0 : i64, start = 0 : i64, size = 2 : i64} : tensor<?x4xf32> -> tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

// -----

// Reads of different weights stay apart; two reads of the same weight (same
// type) become one.
ingot.weight_decl @wa : tensor<4x4xf32> {source = "a"}
ingot.weight_decl @wb : tensor<4x4xf32> {source = "b"}
// CHECK-LABEL: func.func @weights_distinct
// CHECK-DAG:     %[[A:.*]] = ingot.weight @wa
// CHECK-DAG:     %[[B:.*]] = ingot.weight @wb
// CHECK-NOT:     ingot.weight
// CHECK:         %[[S:.*]] = ingot.add %[[A]], %[[B]]
// CHECK:         ingot.add %[[S]], %[[A]]
func.func @weights_distinct() -> tensor<4x4xf32> {
  %a = ingot.weight @wa : tensor<4x4xf32>
  %b = ingot.weight @wb : tensor<4x4xf32>
  %a2 = ingot.weight @wa : tensor<4x4xf32>
  %s = ingot.add %a, %b : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %t = ingot.add %s, %a2 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}
