// RUN: ingot-opt %s --split-input-file --verify-diagnostics --allow-unregistered-dialect

// Verifier errors of the ingot operations, one case per message.
// (--allow-unregistered-dialect: only an unregistered parent op reaches
// ingot.weight_decl's own "must be declared at module level".)

//===----------------------------------------------------------------------===//
// ingot.weight_decl, ingot.weight
//===----------------------------------------------------------------------===//

// A weight declared inside a function instead of at module level. The Symbol
// trait rejects it before the op's own "must be declared at module level".
func.func @weight_decl_not_at_module_level() {
  // expected-error @+1 {{'ingot.weight_decl' op symbol's parent must have the SymbolTable trait}}
  ingot.weight_decl @w : tensor<4x4xf32>
  return
}

// -----

// A weight declared in an op that may hold symbols but is not a module.
"test.symbol_container"() ({
  // expected-error @+1 {{'ingot.weight_decl' op must be declared at module level}}
  ingot.weight_decl @w : tensor<4x4xf32>
}) : () -> ()

// -----

// A weight with a dynamic dimension.
// expected-error @+1 {{'ingot.weight_decl' op weight must have a static shape, got 'tensor<?x4xf32>'}}
ingot.weight_decl @w : tensor<?x4xf32>

// -----

// Inline values (a folded weight) of another shape than the declared one.
// expected-error @+1 {{'ingot.weight_decl' op value must be f32 of the declared shape, got 'tensor<4xf32>'}}
ingot.weight_decl @w : tensor<2x2xf32> {value = dense<1.0> : tensor<4xf32>}

// -----

// Inline values that are not f32 (the declared element type is f16: the
// values are f32 rounded to it).
// expected-error @+1 {{'ingot.weight_decl' op value must be f32 of the declared shape, got 'tensor<2x2xf16>'}}
ingot.weight_decl @w : tensor<2x2xf16> {value = dense<1.0> : tensor<2x2xf16>}

// -----

// Inline values as a sparse literal.
// expected-error @+1 {{'ingot.weight_decl' op value must be a dense or dense_resource literal}}
ingot.weight_decl @w : tensor<2x2xf32> {value = sparse<[[0, 0]], [1.0]> : tensor<2x2xf32>}

// -----

// ingot.weight naming a symbol that does not exist.
func.func @weight_missing_symbol() -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.weight' op @missing does not name an ingot.weight_decl}}
  %w = ingot.weight @missing : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// ingot.weight naming a symbol that is not a weight_decl.
func.func @not_a_weight() {
  return
}
func.func @weight_names_a_function() -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.weight' op @not_a_weight does not name an ingot.weight_decl}}
  %w = ingot.weight @not_a_weight : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// ingot.weight with another type than the declared one (encoding dropped).
ingot.weight_decl @w : tensor<64x64xf32, #ingot.block<q8_0>>
func.func @weight_type_mismatch() -> tensor<64x64xf32> {
  // expected-error @+1 {{'ingot.weight' op type 'tensor<64x64xf32>' differs from the declared type 'tensor<64x64xf32, #ingot.block<q8_0>>'}}
  %w = ingot.weight @w : tensor<64x64xf32>
  return %w : tensor<64x64xf32>
}

//===----------------------------------------------------------------------===//
// ODS type constraints
//===----------------------------------------------------------------------===//

// -----

// An integer tensor where a float tensor is required.
func.func @silu_of_integers(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'ingot.silu' op operand #0 must be ranked float tensor without storage encoding, but got 'tensor<4xi32>'}}
  %y = ingot.silu %x : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// Float token ids where an integer tensor is required.
func.func @embedding_float_ids(%t: tensor<100x64xf32>, %ids: tensor<?xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?xf32>'}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<?xf32> -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// -----

// An i64 iota where an i32 vector is required.
func.func @iota_i64(%n: index) -> tensor<?xi64> {
  // expected-error @+1 {{'ingot.iota' op result #0 must be 1D tensor of 32-bit signless integer values, but got 'tensor<?xi64>'}}
  %p = ingot.iota %n : tensor<?xi64>
  return %p : tensor<?xi64>
}

// -----

// ingot.kv_write whose result type is not the cache's.
func.func @kv_write_result_type(%c: !ingot.kv_cache<16x3x64xf16>, %v: tensor<?x3x64xf32>, %p: index) {
  // expected-error @+1 {{'ingot.kv_write' op failed to verify that all of {cache, result} have same type}}
  %r = "ingot.kv_write"(%c, %v, %p) : (!ingot.kv_cache<16x3x64xf16>, tensor<?x3x64xf32>, index) -> !ingot.kv_cache<16x3x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops (verifyBroadcastBinaryOp)
//===----------------------------------------------------------------------===//

// -----

// Operands of different element types.
func.func @add_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.add' op expects operands and result of one element type}}
  %y = ingot.add %a, %b : tensor<4xf32>, tensor<4xf16> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A result of another element type than the operands.
func.func @sub_result_element_type(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'ingot.sub' op expects operands and result of one element type}}
  %y = ingot.sub %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

// A block-quantized operand: elementwise ops read plain tensors only.
func.func @mul_encoded_operand(%a: tensor<4x32xf32, #ingot.block<q8_0>>, %b: tensor<4x32xf32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ingot.mul' op operand #0 must be ranked float tensor without storage encoding}}
  %y = ingot.mul %a, %b : tensor<4x32xf32, #ingot.block<q8_0>>, tensor<4x32xf32> -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// Shapes that do not broadcast: 3 against 5.
func.func @div_no_broadcast(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'ingot.div' op cannot broadcast 'tensor<4x3xf32>' with 'tensor<4x5xf32>'}}
  %y = ingot.div %a, %b : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

// -----

// A result that is not the broadcast shape 4x3.
func.func @maximum_wrong_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'ingot.maximum' op result 'tensor<4x4xf32>' is not the broadcast shape of the operands}}
  %y = ingot.maximum %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

//===----------------------------------------------------------------------===//
// ingot.embedding
//===----------------------------------------------------------------------===//

// -----

// A table of rank 1.
func.func @embedding_table_rank(%t: tensor<64xf32>, %ids: tensor<?xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.embedding' op expects table of rank 2, got rank 1}}
  %h = ingot.embedding %t, %ids : tensor<64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// -----

// Ids of rank 2.
func.func @embedding_ids_rank(%t: tensor<100x64xf32>, %ids: tensor<?x1xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.embedding' op expects ids of rank 1, got rank 2}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<?x1xi32> -> tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// -----

// A result of rank 3.
func.func @embedding_result_rank(%t: tensor<100x64xf32>, %ids: tensor<?xi32>) -> tensor<?x1x64xf32> {
  // expected-error @+1 {{'ingot.embedding' op expects result of rank 2, got rank 3}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<?xi32> -> tensor<?x1x64xf32>
  return %h : tensor<?x1x64xf32>
}

// -----

// One result row per id: 5 rows for 4 ids.
func.func @embedding_result_rows(%t: tensor<100x64xf32>, %ids: tensor<4xi32>) -> tensor<5x64xf32> {
  // expected-error @+1 {{'ingot.embedding' op result dimension 0 is 5, expected 4}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<4xi32> -> tensor<5x64xf32>
  return %h : tensor<5x64xf32>
}

// -----

// Result rows of another width than the table's.
func.func @embedding_result_width(%t: tensor<100x64xf32>, %ids: tensor<?xi32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'ingot.embedding' op result dimension 1 is 32, expected 64}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}

// -----

// An encoded result: only the table may be quantized.
func.func @embedding_encoded_result(%t: tensor<100x64xf32>, %ids: tensor<?xi32>) -> tensor<?x64xf32, #ingot.block<q8_0>> {
  // expected-error @+1 {{'ingot.embedding' op result #0 must be ranked float tensor without storage encoding}}
  %h = ingot.embedding %t, %ids : tensor<100x64xf32>, tensor<?xi32> -> tensor<?x64xf32, #ingot.block<q8_0>>
  return %h : tensor<?x64xf32, #ingot.block<q8_0>>
}

//===----------------------------------------------------------------------===//
// ingot.matmul
//===----------------------------------------------------------------------===//

// -----

// a is a vector.
func.func @matmul_a_rank(%a: tensor<8xf32>, %b: tensor<8x16xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{'ingot.matmul' op expects a of rank >= 2, got 1}}
  %y = ingot.matmul %a, %b : tensor<8xf32>, tensor<8x16xf32> -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

// b is neither a matrix nor batched like a.
func.func @matmul_b_rank(%a: tensor<2x4x8xf32>, %b: tensor<8xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op expects b of rank 2 or 3, got 1}}
  %y = ingot.matmul %a, %b : tensor<2x4x8xf32>, tensor<8xf32> -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// A result of another rank than a.
func.func @matmul_result_rank(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op expects result of rank 2, got rank 3}}
  %y = ingot.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<1x4x16xf32>
  return %y : tensor<1x4x16xf32>
}

// -----

// An encoded a: only the weight b may be quantized.
func.func @matmul_encoded_a(%a: tensor<4x32xf32, #ingot.block<q8_0>>, %b: tensor<32x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op operand #0 must be ranked float tensor without storage encoding}}
  %y = ingot.matmul %a, %b : tensor<4x32xf32, #ingot.block<q8_0>>, tensor<32x16xf32> -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A result of another element type than a.
func.func @matmul_result_element_type(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf16> {
  // expected-error @+1 {{'ingot.matmul' op expects a and result of one element type}}
  %y = ingot.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf16>
  return %y : tensor<4x16xf16>
}

// -----

// Batched b with another batch size than a.
func.func @matmul_b_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x16xf32>) -> tensor<2x4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op b batch dimension 0 is 3, expected 2}}
  %y = ingot.matmul %a, %b : tensor<2x4x8xf32>, tensor<3x8x16xf32> -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// A result with another batch size than a.
func.func @matmul_result_batch(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>) -> tensor<3x4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op result batch dimension 0 is 3, expected 2}}
  %y = ingot.matmul %a, %b : tensor<2x4x8xf32>, tensor<8x16xf32> -> tensor<3x4x16xf32>
  return %y : tensor<3x4x16xf32>
}

// -----

// With transpose_b, b is [out, in]: its 9 inputs differ from a's 8.
func.func @matmul_contraction(%a: tensor<4x8xf32>, %b: tensor<16x9xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op contraction sizes differ: 8 in a, 9 in b}}
  %y = ingot.matmul %a, %b transpose_b : tensor<4x8xf32>, tensor<16x9xf32> -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// With transpose_a, a is [k, m]: the result has 8 rows, not 4.
func.func @matmul_result_rows(%a: tensor<8x4xf32>, %b: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op result rows is 8, expected 4}}
  %y = ingot.matmul %a, %b transpose_a : tensor<8x4xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// A result with 17 columns for a b with 16.
func.func @matmul_result_columns(%a: tensor<?x8xf32>, %b: tensor<8x16xf32>) -> tensor<?x17xf32> {
  // expected-error @+1 {{'ingot.matmul' op result columns is 17, expected 16}}
  %y = ingot.matmul %a, %b : tensor<?x8xf32>, tensor<8x16xf32> -> tensor<?x17xf32>
  return %y : tensor<?x17xf32>
}

// -----

// A bias of the wrong size.
func.func @matmul_bias_size(%a: tensor<?x8xf32>, %b: tensor<16x8xf32>, %bias: tensor<15xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op bias size is 15, expected 16}}
  %y = ingot.matmul %a, %b transpose_b bias %bias : tensor<?x8xf32>, tensor<16x8xf32>, tensor<15xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

//===----------------------------------------------------------------------===//
// ingot.cast
//===----------------------------------------------------------------------===//

// -----

// A cast that changes the shape.
func.func @cast_shape(%x: tensor<4x8xf16>) -> tensor<4x9xf32> {
  // expected-error @+1 {{'ingot.cast' op cannot change the shape: 'tensor<4x8xf16>' to 'tensor<4x9xf32>'}}
  %y = ingot.cast %x : tensor<4x8xf16> to tensor<4x9xf32>
  return %y : tensor<4x9xf32>
}

//===----------------------------------------------------------------------===//
// ingot.reshape
//===----------------------------------------------------------------------===//

// -----

// A reshape that changes the element type.
func.func @reshape_element_type(%x: tensor<4x6xf32>) -> tensor<24xf16> {
  // expected-error @+1 {{'ingot.reshape' op expects operand and result of one element type}}
  %y = ingot.reshape %x : tensor<4x6xf32> -> tensor<24xf16>
  return %y : tensor<24xf16>
}

// -----

// A reshape of a quantized tensor.
func.func @reshape_encoded(%x: tensor<2x64xf32, #ingot.block<q8_0>>) -> tensor<4x32xf32, #ingot.block<q8_0>> {
  // expected-error @+1 {{'ingot.reshape' op operand #0 must be ranked tensor without storage encoding}}
  %y = ingot.reshape %x : tensor<2x64xf32, #ingot.block<q8_0>> -> tensor<4x32xf32, #ingot.block<q8_0>>
  return %y : tensor<4x32xf32, #ingot.block<q8_0>>
}

// -----

// Two dynamic result sizes from a static operand.
func.func @reshape_two_dynamic(%x: tensor<4x6xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.reshape' op cannot infer the dynamic sizes of 'tensor<?x?xf32>' from 'tensor<4x6xf32>'}}
  %y = ingot.reshape %x : tensor<4x6xf32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A static result from a dynamic operand.
func.func @reshape_dynamic_to_static(%x: tensor<?x6xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ingot.reshape' op cannot infer the dynamic sizes of 'tensor<4x6xf32>' from 'tensor<?x6xf32>'}}
  %y = ingot.reshape %x : tensor<?x6xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// -----

// 24 elements reshaped into 25.
func.func @reshape_count(%x: tensor<4x6xf32>) -> tensor<5x5xf32> {
  // expected-error @+1 {{'ingot.reshape' op element count changes: 24 to 25}}
  %y = ingot.reshape %x : tensor<4x6xf32> -> tensor<5x5xf32>
  return %y : tensor<5x5xf32>
}

// -----

// 24 elements into rows of 5.
func.func @reshape_not_multiple(%x: tensor<4x6xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{'ingot.reshape' op element count 24 is not a multiple of 5}}
  %y = ingot.reshape %x : tensor<4x6xf32> -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

//===----------------------------------------------------------------------===//
// ingot.transpose
//===----------------------------------------------------------------------===//

// -----

// A permutation of 2 entries for a rank-3 operand.
func.func @transpose_perm_size(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  // expected-error @+1 {{'ingot.transpose' op permutation has 2 entries for rank 3}}
  %y = ingot.transpose %x [1, 0] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}

// -----

// A permutation naming dimension 0 twice.
func.func @transpose_perm_repeat(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ingot.transpose' op permutation must list each dimension once}}
  %y = ingot.transpose %x [0, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A permutation naming a dimension out of range.
func.func @transpose_perm_range(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'ingot.transpose' op permutation must list each dimension once}}
  %y = ingot.transpose %x [-1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A result of another rank.
func.func @transpose_result_rank(%x: tensor<2x3xf32>) -> tensor<3x2x1xf32> {
  // expected-error @+1 {{'ingot.transpose' op expects result of rank 2, got rank 3}}
  %y = ingot.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2x1xf32>
  return %y : tensor<3x2x1xf32>
}

// -----

// A transpose that changes the element type.
func.func @transpose_element_type(%x: tensor<2x3xf32>) -> tensor<3x2xf16> {
  // expected-error @+1 {{'ingot.transpose' op expects operand and result of one element type}}
  %y = ingot.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf16>
  return %y : tensor<3x2xf16>
}

// -----

// A result that is not permuted.
func.func @transpose_result_dim(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'ingot.transpose' op result dimension 0 is 2, expected 3}}
  %y = ingot.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

//===----------------------------------------------------------------------===//
// ingot.concat
//===----------------------------------------------------------------------===//

// -----

// A concat of nothing.
func.func @concat_no_inputs() -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.concat' op expects at least one input}}
  %y = "ingot.concat"() <{axis = 0 : i64}> : () -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Axis 2 of a rank-2 result.
func.func @concat_axis(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{'ingot.concat' op axis 2 is out of range for rank 2}}
  %y = ingot.concat %a, %b {axis = 2 : i64} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

// An input of rank 1 for a rank-2 result.
func.func @concat_input_rank(%a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'ingot.concat' op expects inputs of the result's rank}}
  %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// An f16 input for an f32 result.
func.func @concat_element_type(%a: tensor<2x4xf32>, %b: tensor<3x4xf16>) -> tensor<5x4xf32> {
  // expected-error @+1 {{'ingot.concat' op expects inputs and result of one element type}}
  %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<3x4xf16> -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

// Inputs that differ off the concatenation axis.
func.func @concat_input_dim(%a: tensor<2x4xf32>, %b: tensor<3x5xf32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{'ingot.concat' op input dimension 1 is 5, expected 4}}
  %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<2x4xf32>, tensor<3x5xf32> -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

// 2 + 3 rows concatenated into 6 (axis -2 is axis 0).
func.func @concat_result_dim(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{'ingot.concat' op result dimension 0 is 6, expected 5}}
  %y = ingot.concat %a, %b {axis = -2 : i64} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}

//===----------------------------------------------------------------------===//
// ingot.slice
//===----------------------------------------------------------------------===//

// -----

// Axis -3 of a rank-2 operand.
func.func @slice_axis(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'ingot.slice' op axis -3 is out of range for rank 2}}
  %y = ingot.slice %x {axis = -3 : i64, start = 0 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A result of another rank.
func.func @slice_result_rank(%x: tensor<4x8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'ingot.slice' op expects result of rank 2, got rank 1}}
  %y = ingot.slice %x {axis = 0 : i64, start = 0 : i64, size = 1 : i64} : tensor<4x8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// A slice that changes the element type.
func.func @slice_element_type(%x: tensor<4x8xf32>) -> tensor<4x2xf16> {
  // expected-error @+1 {{'ingot.slice' op expects operand and result of one element type}}
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf16>
  return %y : tensor<4x2xf16>
}

// -----

// A negative start.
func.func @slice_negative_start(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'ingot.slice' op expects start >= 0 and size >= 1}}
  %y = ingot.slice %x {axis = 1 : i64, start = -1 : i64, size = 2 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// An empty slice.
func.func @slice_empty(%x: tensor<4x8xf32>) -> tensor<4x0xf32> {
  // expected-error @+1 {{'ingot.slice' op expects start >= 0 and size >= 1}}
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 0 : i64} : tensor<4x8xf32> -> tensor<4x0xf32>
  return %y : tensor<4x0xf32>
}

// -----

// Elements 6 and 7 exist, element 8 does not.
func.func @slice_range(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'ingot.slice' op range 6 + 3 exceeds dimension size 8}}
  %y = ingot.slice %x {axis = 1 : i64, start = 6 : i64, size = 3 : i64} : tensor<4x8xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// A result whose sliced dimension is not size.
func.func @slice_result_dim(%x: tensor<?x8xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'ingot.slice' op result dimension 1 is 3, expected 2}}
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 2 : i64} : tensor<?x8xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

//===----------------------------------------------------------------------===//
// ingot.broadcast
//===----------------------------------------------------------------------===//

// -----

// A broadcast that changes the element type.
func.func @broadcast_element_type(%x: tensor<1x4xf32>) -> tensor<3x4xf16> {
  // expected-error @+1 {{'ingot.broadcast' op expects operand and result of one element type}}
  %y = ingot.broadcast %x : tensor<1x4xf32> -> tensor<3x4xf16>
  return %y : tensor<3x4xf16>
}

// -----

// A broadcast that drops a dimension.
func.func @broadcast_lower_rank(%x: tensor<2x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.broadcast' op cannot broadcast to a lower rank}}
  %y = ingot.broadcast %x : tensor<2x4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Size 3 does not stretch to 4.
func.func @broadcast_dim(%x: tensor<2x3xf32>) -> tensor<5x2x4xf32> {
  // expected-error @+1 {{'ingot.broadcast' op cannot broadcast dimension 1 of size 3 to 4}}
  %y = ingot.broadcast %x : tensor<2x3xf32> -> tensor<5x2x4xf32>
  return %y : tensor<5x2x4xf32>
}

// -----

// A dynamic new leading dimension: the op carries no size for it.
func.func @broadcast_dynamic_leading(%x: tensor<3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'ingot.broadcast' op result dimension 0 is dynamic but x has no dynamic size there}}
  %y = ingot.broadcast %x : tensor<3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// A size-1 dimension stretched to a dynamic size.
func.func @broadcast_dynamic_stretch(%x: tensor<4x1xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{'ingot.broadcast' op result dimension 1 is dynamic but x has no dynamic size there}}
  %y = ingot.broadcast %x : tensor<4x1xf32> -> tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

//===----------------------------------------------------------------------===//
// ingot.rms_norm, ingot.layer_norm (verifyNorm)
//===----------------------------------------------------------------------===//

// -----

// A scalar has no feature dimension to normalize.
func.func @rms_norm_scalar(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'ingot.rms_norm' op expects x of rank >= 1}}
  %y = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<f32>, tensor<1xf32> -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// A result of another shape than x.
func.func @rms_norm_result_shape(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<5x64xf32> {
  // expected-error @+1 {{'ingot.rms_norm' op expects a result of the type of x}}
  %y = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<4x64xf32>, tensor<64xf32> -> tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}

// -----

// A result of another element type than x.
func.func @layer_norm_result_element_type(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{'ingot.layer_norm' op expects a result of the type of x}}
  %y = ingot.layer_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// -----

// A weight of 63 features for 64.
func.func @rms_norm_weight_size(%x: tensor<?x64xf32>, %w: tensor<63xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.rms_norm' op weight/bias size is 63, expected 64}}
  %y = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<63xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A bias of 65 features for 64.
func.func @layer_norm_bias_size(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %b: tensor<65xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.layer_norm' op weight/bias size is 65, expected 64}}
  %y = ingot.layer_norm %x, %w, %b {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32>, tensor<65xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// eps = 0.
func.func @rms_norm_eps(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.rms_norm' op expects eps > 0}}
  %y = ingot.rms_norm %x, %w {eps = 0.0 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A negative eps.
func.func @layer_norm_eps(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.layer_norm' op expects eps > 0}}
  %y = ingot.layer_norm %x, %w, %b {eps = -1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

//===----------------------------------------------------------------------===//
// ingot.rope
//===----------------------------------------------------------------------===//

// -----

// x without a heads dimension.
func.func @rope_x_rank(%x: tensor<?x64xf32>, %p: tensor<?xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.rope' op expects x (tokens, heads, head_dim) of rank 3, got rank 2}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Positions of rank 2.
func.func @rope_positions_rank(%x: tensor<?x9x64xf32>, %p: tensor<?x1xi32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.rope' op expects positions of rank 1, got rank 2}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x9x64xf32>, tensor<?x1xi32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// 5 positions for 4 tokens.
func.func @rope_positions_size(%x: tensor<4x9x64xf32>, %p: tensor<5xi32>) -> tensor<4x9x64xf32> {
  // expected-error @+1 {{'ingot.rope' op positions size is 5, expected 4}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<4x9x64xf32>, tensor<5xi32> -> tensor<4x9x64xf32>
  return %y : tensor<4x9x64xf32>
}

// -----

// A result of another type than x.
func.func @rope_result_type(%x: tensor<?x9x64xf32>, %p: tensor<?xi32>) -> tensor<?x9x64xf16> {
  // expected-error @+1 {{'ingot.rope' op expects a result of the type of x}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf16>
  return %y : tensor<?x9x64xf16>
}

// -----

// An odd rotary dimension.
func.func @rope_rotary_odd(%x: tensor<?x9x64xf32>, %p: tensor<?xi32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.rope' op rotary dimension 31 must be even, >= 2 and <= head_dim 64}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, rotary_dim = 31 : i64} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// A rotary dimension larger than the head.
func.func @rope_rotary_too_large(%x: tensor<?x9x64xf32>, %p: tensor<?xi32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.rope' op rotary dimension 128 must be even, >= 2 and <= head_dim 64}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, rotary_dim = 128 : i64} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

// -----

// Without rotary_dim the whole head rotates: an odd head_dim cannot.
func.func @rope_odd_head_dim(%x: tensor<?x9x63xf32>, %p: tensor<?xi32>) -> tensor<?x9x63xf32> {
  // expected-error @+1 {{'ingot.rope' op rotary dimension 63 must be even, >= 2 and <= head_dim 63}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style interleaved>} : tensor<?x9x63xf32>, tensor<?xi32> -> tensor<?x9x63xf32>
  return %y : tensor<?x9x63xf32>
}

// -----

// theta = 1: every angle is the position itself.
func.func @rope_theta(%x: tensor<?x9x64xf32>, %p: tensor<?xi32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.rope' op expects theta > 1}}
  %y = ingot.rope %x, %p {theta = 1.0 : f32, style = #ingot<rope_style neox>} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

//===----------------------------------------------------------------------===//
// ingot.softmax, ingot.reduce, ingot.topk
//===----------------------------------------------------------------------===//

// -----

// Axis 2 of a rank-2 tensor.
func.func @softmax_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ingot.softmax' op axis 2 is out of range for rank 2}}
  %y = ingot.softmax %x {axis = 2 : i64} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A scalar has no axis.
func.func @softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'ingot.softmax' op axis 0 is out of range for rank 0}}
  %y = ingot.softmax %x {axis = 0 : i64} : tensor<f32>
  return %y : tensor<f32>
}

// -----

// Axis -3 of a rank-2 tensor.
func.func @reduce_axis(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{'ingot.reduce' op axis -3 is out of range for rank 2}}
  %y = ingot.reduce sum %x {axis = -3 : i64} : tensor<4x8xf32> -> tensor<4x1xf32>
  return %y : tensor<4x1xf32>
}

// -----

// The reduced dimension dropped instead of kept as size 1.
func.func @reduce_result_rank(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.reduce' op expects result of rank 2, got rank 1}}
  %y = ingot.reduce max %x {axis = -1 : i64} : tensor<4x8xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A reduction that changes the element type.
func.func @reduce_element_type(%x: tensor<4x8xf32>) -> tensor<4x1xf16> {
  // expected-error @+1 {{'ingot.reduce' op expects operand and result of one element type}}
  %y = ingot.reduce mean %x {axis = -1 : i64} : tensor<4x8xf32> -> tensor<4x1xf16>
  return %y : tensor<4x1xf16>
}

// -----

// The reduced dimension not of size 1.
func.func @reduce_result_dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ingot.reduce' op result dimension 1 is 8, expected 1}}
  %y = ingot.reduce sum %x {axis = 1 : i64} : tensor<4x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A kept dimension of the wrong size.
func.func @reduce_kept_dim(%x: tensor<4x8xf32>) -> tensor<5x1xf32> {
  // expected-error @+1 {{'ingot.reduce' op result dimension 0 is 5, expected 4}}
  %y = ingot.reduce sum %x {axis = 1 : i64} : tensor<4x8xf32> -> tensor<5x1xf32>
  return %y : tensor<5x1xf32>
}

// -----

// topk of a scalar.
func.func @topk_scalar(%x: tensor<f32>) -> (tensor<f32>, tensor<i32>) {
  // expected-error @+1 {{'ingot.topk' op expects x of rank >= 1}}
  %v, %i = ingot.topk %x {k = 1 : i64} : tensor<f32> -> tensor<f32>, tensor<i32>
  return %v, %i : tensor<f32>, tensor<i32>
}

// -----

// k larger than the last dimension.
func.func @topk_k_too_large(%x: tensor<?x8xf32>) -> (tensor<?x9xf32>, tensor<?x9xi32>) {
  // expected-error @+1 {{'ingot.topk' op k = 9 must be in [1, 8]}}
  %v, %i = ingot.topk %x {k = 9 : i64} : tensor<?x8xf32> -> tensor<?x9xf32>, tensor<?x9xi32>
  return %v, %i : tensor<?x9xf32>, tensor<?x9xi32>
}

// -----

// k = 0 over a dynamic dimension.
func.func @topk_k_zero(%x: tensor<4x?xf32>) -> (tensor<4x0xf32>, tensor<4x0xi32>) {
  // expected-error @+1 {{'ingot.topk' op k = 0 must be in [1, ?]}}
  %v, %i = ingot.topk %x {k = 0 : i64} : tensor<4x?xf32> -> tensor<4x0xf32>, tensor<4x0xi32>
  return %v, %i : tensor<4x0xf32>, tensor<4x0xi32>
}

// -----

// Indices of rank 1 for a rank-2 x.
func.func @topk_results_rank(%x: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<2xi32>) {
  // expected-error @+1 {{'ingot.topk' op expects results of rank 2, got rank 1}}
  %v, %i = ingot.topk %x {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<2xi32>
  return %v, %i : tensor<?x2xf32>, tensor<2xi32>
}

// -----

// Values with 3 entries per row for k = 2.
func.func @topk_result_dim(%x: tensor<?x8xf32>) -> (tensor<?x3xf32>, tensor<?x2xi32>) {
  // expected-error @+1 {{'ingot.topk' op result dimension 1 is 3, expected 2}}
  %v, %i = ingot.topk %x {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x3xf32>, tensor<?x2xi32>
  return %v, %i : tensor<?x3xf32>, tensor<?x2xi32>
}

// -----

// Values of another element type than x.
func.func @topk_values_element_type(%x: tensor<?x8xf32>) -> (tensor<?x2xf16>, tensor<?x2xi32>) {
  // expected-error @+1 {{'ingot.topk' op expects values of the element type of x}}
  %v, %i = ingot.topk %x {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf16>, tensor<?x2xi32>
  return %v, %i : tensor<?x2xf16>, tensor<?x2xi32>
}

//===----------------------------------------------------------------------===//
// ingot.mask (and verifyWindow)
//===----------------------------------------------------------------------===//

// -----

// Query positions of rank 2.
func.func @mask_query_rank(%q: tensor<?x1xi32>, %k: tensor<?xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op expects query positions of rank 1, got rank 2}}
  %m = ingot.mask causal %q, %k : tensor<?x1xi32>, tensor<?xi32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// Key positions of rank 2.
func.func @mask_key_rank(%q: tensor<?xi32>, %k: tensor<?x1xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op expects key positions of rank 1, got rank 2}}
  %m = ingot.mask causal %q, %k : tensor<?xi32>, tensor<?x1xi32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// A result of rank 3.
func.func @mask_result_rank(%q: tensor<?xi32>, %k: tensor<?xi32>) -> tensor<1x?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op expects result of rank 2, got rank 3}}
  %m = ingot.mask causal %q, %k : tensor<?xi32>, tensor<?xi32> -> tensor<1x?x?xf32>
  return %m : tensor<1x?x?xf32>
}

// -----

// 5 result rows for 4 queries.
func.func @mask_result_rows(%q: tensor<4xi32>, %k: tensor<?xi32>) -> tensor<5x?xf32> {
  // expected-error @+1 {{'ingot.mask' op result dimension 0 is 5, expected 4}}
  %m = ingot.mask none %q, %k : tensor<4xi32>, tensor<?xi32> -> tensor<5x?xf32>
  return %m : tensor<5x?xf32>
}

// -----

// 7 result columns for 8 keys.
func.func @mask_result_columns(%q: tensor<?xi32>, %k: tensor<8xi32>) -> tensor<?x7xf32> {
  // expected-error @+1 {{'ingot.mask' op result dimension 1 is 7, expected 8}}
  %m = ingot.mask causal %q, %k : tensor<?xi32>, tensor<8xi32> -> tensor<?x7xf32>
  return %m : tensor<?x7xf32>
}

// -----

// sliding_window without a window.
func.func @mask_no_window(%q: tensor<?xi32>, %k: tensor<?xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op sliding_window needs a window >= 1}}
  %m = ingot.mask sliding_window %q, %k : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// sliding_window with an empty window.
func.func @mask_zero_window(%q: tensor<?xi32>, %k: tensor<?xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op sliding_window needs a window >= 1}}
  %m = ingot.mask sliding_window %q, %k {window = 0 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

// -----

// A window on a causal mask.
func.func @mask_window_not_sliding(%q: tensor<?xi32>, %k: tensor<?xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ingot.mask' op window is only meaningful for sliding_window}}
  %m = ingot.mask causal %q, %k {window = 4096 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  return %m : tensor<?x?xf32>
}

//===----------------------------------------------------------------------===//
// ingot.kv_read, ingot.kv_write (verifyCacheEntries)
//===----------------------------------------------------------------------===//

// -----

// A read of rank 2.
func.func @kv_read_rank(%c: !ingot.kv_cache<16x3x64xf16>, %n: index) -> tensor<?x192xf32> {
  // expected-error @+1 {{'ingot.kv_read' op expects result of rank 3, got rank 2}}
  %r = ingot.kv_read %c, %n : !ingot.kv_cache<16x3x64xf16> -> tensor<?x192xf32>
  return %r : tensor<?x192xf32>
}

// -----

// A read with 4 heads from a 3-head cache.
func.func @kv_read_heads(%c: !ingot.kv_cache<16x3x64xf16>, %n: index) -> tensor<?x4x64xf32> {
  // expected-error @+1 {{'ingot.kv_read' op result heads is 4, expected 3}}
  %r = ingot.kv_read %c, %n : !ingot.kv_cache<16x3x64xf16> -> tensor<?x4x64xf32>
  return %r : tensor<?x4x64xf32>
}

// -----

// A read with another head_dim than the cache's.
func.func @kv_read_head_dim(%c: !ingot.kv_cache<16x3x64xf16>, %n: index) -> tensor<?x3x32xf32> {
  // expected-error @+1 {{'ingot.kv_read' op result head_dim is 32, expected 64}}
  %r = ingot.kv_read %c, %n : !ingot.kv_cache<16x3x64xf16> -> tensor<?x3x32xf32>
  return %r : tensor<?x3x32xf32>
}

// -----

// A read of 17 positions from a cache of 16.
func.func @kv_read_capacity(%c: !ingot.kv_cache<16x3x64xf16>, %n: index) -> tensor<17x3x64xf32> {
  // expected-error @+1 {{'ingot.kv_read' op result has 17 positions, more than the cache capacity 16}}
  %r = ingot.kv_read %c, %n : !ingot.kv_cache<16x3x64xf16> -> tensor<17x3x64xf32>
  return %r : tensor<17x3x64xf32>
}

// -----

// A write of rank-2 values.
func.func @kv_write_rank(%c: !ingot.kv_cache<16x3x64xf16>, %v: tensor<?x192xf32>, %p: index) -> !ingot.kv_cache<16x3x64xf16> {
  // expected-error @+1 {{'ingot.kv_write' op expects values of rank 3, got rank 2}}
  %r = ingot.kv_write %c, %v, %p : !ingot.kv_cache<16x3x64xf16>, tensor<?x192xf32>
  return %r : !ingot.kv_cache<16x3x64xf16>
}

// -----

// A write of values with 2 heads into a 3-head cache.
func.func @kv_write_heads(%c: !ingot.kv_cache<16x3x64xf16>, %v: tensor<?x2x64xf32>, %p: index) -> !ingot.kv_cache<16x3x64xf16> {
  // expected-error @+1 {{'ingot.kv_write' op values heads is 2, expected 3}}
  %r = ingot.kv_write %c, %v, %p : !ingot.kv_cache<16x3x64xf16>, tensor<?x2x64xf32>
  return %r : !ingot.kv_cache<16x3x64xf16>
}

// -----

// A write of values with another head_dim.
func.func @kv_write_head_dim(%c: !ingot.kv_cache<16x3x64xf16>, %v: tensor<?x3x128xf32>, %p: index) -> !ingot.kv_cache<16x3x64xf16> {
  // expected-error @+1 {{'ingot.kv_write' op values head_dim is 128, expected 64}}
  %r = ingot.kv_write %c, %v, %p : !ingot.kv_cache<16x3x64xf16>, tensor<?x3x128xf32>
  return %r : !ingot.kv_cache<16x3x64xf16>
}

// -----

// A write of more positions than the cache holds.
func.func @kv_write_capacity(%c: !ingot.kv_cache<16x3x64xf16>, %v: tensor<32x3x64xf32>, %p: index) -> !ingot.kv_cache<16x3x64xf16> {
  // expected-error @+1 {{'ingot.kv_write' op values has 32 positions, more than the cache capacity 16}}
  %r = ingot.kv_write %c, %v, %p : !ingot.kv_cache<16x3x64xf16>, tensor<32x3x64xf32>
  return %r : !ingot.kv_cache<16x3x64xf16>
}

//===----------------------------------------------------------------------===//
// ingot.attention
//===----------------------------------------------------------------------===//

// -----

// A query of rank 2.
func.func @attention_query_rank(%q: tensor<?x576xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x576xf32> {
  // expected-error @+1 {{'ingot.attention' op expects query of rank 3, got rank 2}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x576xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x576xf32>
  return %o : tensor<?x576xf32>
}

// -----

// A key of rank 2.
func.func @attention_key_rank(%q: tensor<?x9x64xf32>, %k: tensor<?x192xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects key of rank 3, got rank 2}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x192xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A value of rank 2.
func.func @attention_value_rank(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x192xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects value of rank 3, got rank 2}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x192xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A result of rank 2.
func.func @attention_result_rank(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x576xf32> {
  // expected-error @+1 {{'ingot.attention' op expects result of rank 3, got rank 2}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x576xf32>
  return %o : tensor<?x576xf32>
}

// -----

// Keys with another head_dim than the queries.
func.func @attention_key_head_dim(%q: tensor<?x9x64xf32>, %k: tensor<?x3x32xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op key head_dim is 32, expected 64}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x32xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// 11 values for 10 keys.
func.func @attention_value_length(%q: tensor<?x9x64xf32>, %k: tensor<10x3x64xf32>, %v: tensor<11x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op value length is 11, expected 10}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<10x3x64xf32>, tensor<11x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// Values with another number of heads than the keys.
func.func @attention_value_heads(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x1x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op value heads is 1, expected 3}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x1x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A result with another number of tokens than the query.
func.func @attention_result_tokens(%q: tensor<4x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<5x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op result dimension 0 is 5, expected 4}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<4x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<5x9x64xf32>
  return %o : tensor<5x9x64xf32>
}

// -----

// A result with the key/value heads instead of the query heads.
func.func @attention_result_heads(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x3x64xf32> {
  // expected-error @+1 {{'ingot.attention' op result dimension 1 is 3, expected 9}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x3x64xf32>
  return %o : tensor<?x3x64xf32>
}

// -----

// A result whose head_dim is not the value's.
func.func @attention_result_head_dim(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x128xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op result dimension 2 is 64, expected 128}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x128xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// 9 query heads cannot be grouped over 4 key/value heads.
func.func @attention_gqa(%q: tensor<?x9x64xf32>, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op query heads 9 are not a multiple of key/value heads 4}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A sliding-window mask without a window.
func.func @attention_no_window(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op sliding_window needs a window >= 1}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind sliding_window>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A window with no sliding-window mask.
func.func @attention_window_not_sliding(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op window is only meaningful for sliding_window}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind none>, window = 16 : i64, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// scale = 0.
func.func @attention_scale(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects scale > 0}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.0 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// A negative softcap.
func.func @attention_softcap(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects softcap > 0}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32, softcap = -50.0 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// Caches read but the updated caches not returned.
func.func @attention_cache_without_results(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects key cache, value cache, position and both updated caches together or not at all}}
  %o = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<?x9x64xf32>
  return %o : tensor<?x9x64xf32>
}

// -----

// Updated caches returned though no cache is read.
func.func @attention_results_without_cache(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects key cache, value cache, position and both updated caches together or not at all}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32> -> tensor<?x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<?x9x64xf32>
}

// -----

// Generic form: both caches but no position.
func.func @attention_cache_without_position(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects key cache, value cache, position and both updated caches together or not at all}}
  %o:3 = "ingot.attention"(%q, %k, %v, %kc, %vc) <{mask = #ingot<mask_kind causal>, scale = 0.125 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0>, resultSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>) -> (tensor<?x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>)
  return %o#0 : tensor<?x9x64xf32>
}

// -----

// Generic form: a key cache without a value cache.
func.func @attention_key_cache_only(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects key cache, value cache, position and both updated caches together or not at all}}
  %o:3 = "ingot.attention"(%q, %k, %v, %kc, %pos) <{mask = #ingot<mask_kind causal>, scale = 0.125 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1>, resultSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, index) -> (tensor<?x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>)
  return %o#0 : tensor<?x9x64xf32>
}

// -----

// An updated key cache of another type than the key cache.
func.func @attention_updated_cache_type(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op updated caches must have the caches' types}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<?x9x64xf32>, !ingot.kv_cache<16x3x64xf32>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<?x9x64xf32>
}

// -----

// Keys with 3 heads for a 4-head key cache.
func.func @attention_key_cache_heads(%q: tensor<?x12x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x4x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<?x12x64xf32> {
  // expected-error @+1 {{'ingot.attention' op key heads is 3, expected 4}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x12x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x4x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<?x12x64xf32>, !ingot.kv_cache<16x4x64xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<?x12x64xf32>
}

// -----

// Keys with another head_dim than the key cache.
func.func @attention_key_cache_head_dim(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x128xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op key head_dim is 64, expected 128}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x128xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<?x9x64xf32>, !ingot.kv_cache<16x3x128xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<?x9x64xf32>
}

// -----

// Values with another head_dim than the value cache.
func.func @attention_value_cache_head_dim(%q: tensor<?x9x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x32xf16>, %pos: index) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op value head_dim is 64, expected 32}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x9x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x32xf16> -> tensor<?x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x32xf16>
  return %o : tensor<?x9x64xf32>
}

// -----

// 32 new keys for a cache of 16 positions.
func.func @attention_cache_capacity(%q: tensor<32x9x64xf32>, %k: tensor<32x3x64xf32>, %v: tensor<32x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<32x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op key has 32 positions, more than the cache capacity 16}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<32x9x64xf32>, tensor<32x3x64xf32>, tensor<32x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<32x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<32x9x64xf32>
}

// -----

// Values with 3 heads for a 4-head value cache (the key cache has 3).
func.func @attention_value_cache_heads(%q: tensor<?x12x64xf32>, %k: tensor<?x3x64xf32>, %v: tensor<?x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x4x64xf16>, %pos: index) -> tensor<?x12x64xf32> {
  // expected-error @+1 {{'ingot.attention' op value heads is 3, expected 4}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<?x12x64xf32>, tensor<?x3x64xf32>, tensor<?x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x4x64xf16> -> tensor<?x12x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x4x64xf16>
  return %o : tensor<?x12x64xf32>
}

// -----

// 32 new values for a value cache of 16 positions (the key cache holds 64).
func.func @attention_value_cache_capacity(%q: tensor<32x9x64xf32>, %k: tensor<32x3x64xf32>, %v: tensor<32x3x64xf32>, %kc: !ingot.kv_cache<64x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<32x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op value has 32 positions, more than the cache capacity 16}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<32x9x64xf32>, tensor<32x3x64xf32>, tensor<32x3x64xf32>, !ingot.kv_cache<64x3x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<32x9x64xf32>, !ingot.kv_cache<64x3x64xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<32x9x64xf32>
}

// -----

// With a cache, k and v are the new tokens' entries: one per query.
func.func @attention_cache_new_keys(%q: tensor<5x9x64xf32>, %k: tensor<4x3x64xf32>, %v: tensor<4x3x64xf32>, %kc: !ingot.kv_cache<16x3x64xf16>, %vc: !ingot.kv_cache<16x3x64xf16>, %pos: index) -> tensor<5x9x64xf32> {
  // expected-error @+1 {{'ingot.attention' op with a cache, the number of new keys is 4, expected 5}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<5x9x64xf32>, tensor<4x3x64xf32>, tensor<4x3x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16> -> tensor<5x9x64xf32>, !ingot.kv_cache<16x3x64xf16>, !ingot.kv_cache<16x3x64xf16>
  return %o : tensor<5x9x64xf32>
}

//===----------------------------------------------------------------------===//
// ingot.route
//
// The integers of #ingot.routing are written `2.0`: its parser reads every
// value with parseFloat, which rejects an integer literal such as `k = 2`
// (the form the printer writes).
//===----------------------------------------------------------------------===//

// -----

// Logits of rank 1.
func.func @route_logits_rank(%l: tensor<8xf32>) {
  // expected-error @+1 {{'ingot.route' op expects logits (tokens, experts) of rank 2, got rank 1}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return
}

// -----

// Offsets of 4 entries for 4 tokens (CSR needs tokens + 1).
func.func @route_offsets_size(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{'ingot.route' op offsets size is 4, expected 5}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<4x8xf32> -> tensor<4xi32>, tensor<?xi32>, tensor<?xf32>
  return
}

// -----

// One weight per chosen expert: 7 weights for 8 experts.
func.func @route_weights_size(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{'ingot.route' op weights size is 7, expected 8}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<4x8xf32> -> tensor<5xi32>, tensor<8xi32>, tensor<7xf32>
  return
}

// -----

// top_k asking for 9 of 8 experts.
func.func @route_top_k_too_large(%l: tensor<?x8xf32>) {
  // expected-error @+1 {{'ingot.route' op top_k routing picks 9 experts of only 8}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 9>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return
}

// -----

// Weights of another element type than the logits.
func.func @route_weights_element_type(%l: tensor<?x8xf32>) {
  // expected-error @+1 {{'ingot.route' op expects weights of the element type of logits}}
  %off, %ids, %w = ingot.route %l {rule = #ingot.routing<top_p, p = 0.6, max = 4>, scoring = #ingot<scoring sigmoid>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf16>
  return
}

//===----------------------------------------------------------------------===//
// ingot.moe_ffn
//===----------------------------------------------------------------------===//

// -----

// x of rank 3.
func.func @moe_ffn_x_rank(%x: tensor<?x1x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x1x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op expects x (tokens, hidden) of rank 2, got rank 3}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x1x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x1x64xf32>
  return %y : tensor<?x1x64xf32>
}

// -----

// A gate of rank 2 (one expert's matrix).
func.func @moe_ffn_gate_rank(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op expects gate of rank 3, got rank 2}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// An up projection of rank 2.
func.func @moe_ffn_up_rank(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op expects up of rank 3, got rank 2}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A down projection of rank 2.
func.func @moe_ffn_down_rank(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op expects down of rank 3, got rank 2}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A result of another type than x.
func.func @moe_ffn_result_type(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{'ingot.moe_ffn' op expects a result of the type of x}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// -----

// A gate reading 32 inputs for a hidden size of 64.
func.func @moe_ffn_gate_input(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x32xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op gate input is 32, expected 64}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x32xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// An up projection for 4 experts, the gate for 8.
func.func @moe_ffn_up_experts(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<4x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op up experts is 4, expected 8}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation gelu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<4x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// An up projection with another FFN size than the gate.
func.func @moe_ffn_up_output(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x96x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op up output is 96, expected 128}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation gelu_tanh>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x96x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// An up projection reading 32 inputs for a hidden size of 64.
func.func @moe_ffn_up_input(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x32xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op up input is 32, expected 64}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation relu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x32xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A down projection for 4 experts, the gate for 8.
func.func @moe_ffn_down_experts(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<4x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op down experts is 4, expected 8}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<4x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A down projection that is not transposed: [E, F, H] instead of [E, H, F].
func.func @moe_ffn_down_output(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x128x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op down output is 128, expected 64}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A down projection reading 96 inputs for an FFN size of 128.
func.func @moe_ffn_down_input(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x96xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op down input is 96, expected 128}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x96xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 5 routing weights for 6 routed experts.
func.func @moe_ffn_weights_size(%x: tensor<?x64xf32>, %off: tensor<?xi32>, %ids: tensor<6xi32>, %w: tensor<5xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op routing weights size is 5, expected 6}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<6xi32>, tensor<5xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Offsets of 3 entries for 3 tokens (CSR needs tokens + 1).
func.func @moe_ffn_offsets_size(%x: tensor<3x64xf32>, %off: tensor<3xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<8x128x64xf32>, %u: tensor<8x128x64xf32>, %d: tensor<8x64x128xf32>) -> tensor<3x64xf32> {
  // expected-error @+1 {{'ingot.moe_ffn' op offsets size is 3, expected 4}}
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<3x64xf32>, tensor<3xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x64x128xf32> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

//===----------------------------------------------------------------------===//
// ingot.moe_sort, ingot.gather_rows, ingot.grouped_matmul, ingot.scatter_add
//===----------------------------------------------------------------------===//

// -----

// num_experts = 0.
func.func @moe_sort_no_experts(%off: tensor<?xi32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'ingot.moe_sort' op expects num_experts in [1, 2^31)}}
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 0 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<1xi32>, tensor<?xi32>, tensor<?xi32>
  return
}

// -----

// Expert offsets of 8 entries for 8 experts (prefix sums need 9).
func.func @moe_sort_expert_offsets(%off: tensor<?xi32>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'ingot.moe_sort' op expert_offsets size is 8, expected 9}}
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<8xi32>, tensor<?xi32>, tensor<?xi32>
  return
}

// -----

// 5 sorted pairs for 6 routed pairs.
func.func @moe_sort_pairs(%off: tensor<?xi32>, %ids: tensor<6xi32>) {
  // expected-error @+1 {{'ingot.moe_sort' op pairs size is 5, expected 6}}
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<6xi32> -> tensor<9xi32>, tensor<5xi32>, tensor<?xi32>
  return
}

// -----

// 7 tokens for 6 routed pairs.
func.func @moe_sort_tokens(%off: tensor<?xi32>, %ids: tensor<6xi32>) {
  // expected-error @+1 {{'ingot.moe_sort' op tokens size is 7, expected 6}}
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<6xi32> -> tensor<9xi32>, tensor<6xi32>, tensor<7xi32>
  return
}

// -----

// Gathering rows of a scalar.
func.func @gather_rows_scalar(%x: tensor<f32>, %i: tensor<?xi32>) -> tensor<?xf32> {
  // expected-error @+1 {{'ingot.gather_rows' op expects x of rank >= 1}}
  %y = ingot.gather_rows %x, %i : tensor<f32>, tensor<?xi32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// A result of another rank than x.
func.func @gather_rows_result_rank(%x: tensor<?x64xf32>, %i: tensor<?xi32>) -> tensor<?xf32> {
  // expected-error @+1 {{'ingot.gather_rows' op expects result of rank 2, got rank 1}}
  %y = ingot.gather_rows %x, %i : tensor<?x64xf32>, tensor<?xi32> -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// A gather that changes the element type.
func.func @gather_rows_element_type(%x: tensor<?x64xf32>, %i: tensor<?xi32>) -> tensor<?x64xf16> {
  // expected-error @+1 {{'ingot.gather_rows' op expects operand and result of one element type}}
  %y = ingot.gather_rows %x, %i : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf16>
  return %y : tensor<?x64xf16>
}

// -----

// A gather from a quantized tensor.
func.func @gather_rows_encoded(%x: tensor<?x64xf32, #ingot.block<q8_0>>, %i: tensor<?xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.gather_rows' op operand #0 must be ranked tensor without storage encoding}}
  %y = ingot.gather_rows %x, %i : tensor<?x64xf32, #ingot.block<q8_0>>, tensor<?xi32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// One result row per index: 4 rows for 3 indices.
func.func @gather_rows_result_rows(%x: tensor<?x64xf32>, %i: tensor<3xi32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'ingot.gather_rows' op result dimension 0 is 4, expected 3}}
  %y = ingot.gather_rows %x, %i : tensor<?x64xf32>, tensor<3xi32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// Rows of another width than x's.
func.func @gather_rows_result_width(%x: tensor<?x64xf32>, %i: tensor<?xi32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'ingot.gather_rows' op result dimension 1 is 32, expected 64}}
  %y = ingot.gather_rows %x, %i : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// x of rank 3.
func.func @grouped_matmul_x_rank(%x: tensor<?x1x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<9xi32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op expects x (rows, in) of rank 2, got rank 3}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x1x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// w of rank 2 (one expert's matrix).
func.func @grouped_matmul_w_rank(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %e: tensor<9xi32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op expects w (experts, out, in) of rank 3, got rank 2}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<128x64xf32>, tensor<9xi32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// A result of rank 3.
func.func @grouped_matmul_result_rank(%x: tensor<?x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<9xi32>) -> tensor<?x1x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op expects result of rank 2, got rank 3}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x1x128xf32>
  return %y : tensor<?x1x128xf32>
}

// -----

// w given as [experts, in, out] instead of [experts, out, in].
func.func @grouped_matmul_w_input(%x: tensor<?x64xf32>, %w: tensor<8x64x128xf32>, %e: tensor<9xi32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op w input size is 128, expected 64}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<8x64x128xf32>, tensor<9xi32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// 5 result rows for 4 rows of x.
func.func @grouped_matmul_result_rows(%x: tensor<4x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<9xi32>) -> tensor<5x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op result rows is 5, expected 4}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<4x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<5x128xf32>
  return %y : tensor<5x128xf32>
}

// -----

// 64 result columns for 128 outputs.
func.func @grouped_matmul_result_columns(%x: tensor<?x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<9xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op result columns is 64, expected 128}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A result of another element type than x.
func.func @grouped_matmul_element_type(%x: tensor<?x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<9xi32>) -> tensor<?x128xf16> {
  // expected-error @+1 {{'ingot.grouped_matmul' op expects x and result of one element type}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32> -> tensor<?x128xf16>
  return %y : tensor<?x128xf16>
}

// -----

// Expert offsets of 8 entries for 8 experts (prefix sums need 9).
func.func @grouped_matmul_expert_offsets(%x: tensor<?x64xf32>, %w: tensor<8x128x64xf32>, %e: tensor<8xi32>) -> tensor<?x128xf32> {
  // expected-error @+1 {{'ingot.grouped_matmul' op expert_offsets size is 8, expected 9}}
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<8xi32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// A src of rank 1.
func.func @scatter_add_src_rank(%src: tensor<?xf32>, %i: tensor<?xi32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op expects src of rank 2, got rank 1}}
  %y = ingot.scatter_add %src, %i into %z : tensor<?xf32>, tensor<?xi32> into tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A dest of rank 3.
func.func @scatter_add_dest_rank(%src: tensor<?x64xf32>, %i: tensor<?xi32>, %z: tensor<?x1x64xf32>) -> tensor<?x1x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op expects dest of rank 2, got rank 3}}
  %y = ingot.scatter_add %src, %i into %z : tensor<?x64xf32>, tensor<?xi32> into tensor<?x1x64xf32>
  return %y : tensor<?x1x64xf32>
}

// -----

// Rows of 32 added into rows of 64.
func.func @scatter_add_row_size(%src: tensor<?x32xf32>, %i: tensor<?xi32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op dest row size is 64, expected 32}}
  %y = ingot.scatter_add %src, %i into %z : tensor<?x32xf32>, tensor<?xi32> into tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 5 indices for 6 rows.
func.func @scatter_add_indices_size(%src: tensor<6x64xf32>, %i: tensor<5xi32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op indices size is 5, expected 6}}
  %y = ingot.scatter_add %src, %i into %z : tensor<6x64xf32>, tensor<5xi32> into tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 7 scales for 6 rows.
func.func @scatter_add_scale_size(%src: tensor<6x64xf32>, %i: tensor<6xi32>, %s: tensor<7xf32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op scale size is 7, expected 6}}
  %y = ingot.scatter_add %src, %i scale %s into %z : tensor<6x64xf32>, tensor<6xi32>, tensor<7xf32> into tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// f16 rows added into an f32 destination.
func.func @scatter_add_element_type(%src: tensor<?x64xf16>, %i: tensor<?xi32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'ingot.scatter_add' op expects src and dest of one element type}}
  %y = ingot.scatter_add %src, %i into %z : tensor<?x64xf16>, tensor<?xi32> into tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Zero key/value heads (would divide by zero in the GQA check).
func.func @attention_zero_heads(%q: tensor<4x8x64xf32>, %k: tensor<4x0x64xf32>, %v: tensor<4x0x64xf32>) -> tensor<4x8x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects at least one query and one key/value head}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<4x8x64xf32>, tensor<4x0x64xf32>, tensor<4x0x64xf32> -> tensor<4x8x64xf32>
  return %o : tensor<4x8x64xf32>
}

// -----

// Query, key, value and result must share the element type.
func.func @attention_element_types(%q: tensor<4x8x64xf32>, %k: tensor<4x2x64xf16>, %v: tensor<4x2x64xf16>) -> tensor<4x8x64xf32> {
  // expected-error @+1 {{'ingot.attention' op expects query, key, value and result of one element type}}
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.125 : f32} : tensor<4x8x64xf32>, tensor<4x2x64xf16>, tensor<4x2x64xf16> -> tensor<4x8x64xf32>
  return %o : tensor<4x8x64xf32>
}

// -----

// A start so large that start + size would overflow.
func.func @slice_start_overflow(%x: tensor<4xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{'ingot.slice' op range 9223372036854775807 + 1 exceeds dimension size 4}}
  %y = ingot.slice %x {axis = 0 : i64, start = 9223372036854775807 : i64, size = 1 : i64} : tensor<4xf32> -> tensor<1xf32>
  return %y : tensor<1xf32>
}

// -----

// A bias of another element type than the result.
func.func @matmul_bias_element_type(%x: tensor<?x32xf32>, %w: tensor<16x32xf32>, %b: tensor<16xf16>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op expects bias of the result's element type}}
  %y = ingot.matmul %x, %w transpose_b bias %b : tensor<?x32xf32>, tensor<16x32xf32>, tensor<16xf16> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// With a 2-D a, b must be 2-D (the message does not offer "2 or 2").
func.func @matmul_b_rank_for_2d_a(%x: tensor<4x32xf32>, %w: tensor<2x16x32xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ingot.matmul' op expects b of rank 2, got 3}}
  %y = ingot.matmul %x, %w transpose_b : tensor<4x32xf32>, tensor<2x16x32xf32> -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A dynamic size next to a zero size cannot be inferred.
func.func @reshape_zero_size(%x: tensor<4x0xf32>) -> tensor<?x0xf32> {
  // expected-error @+1 {{'ingot.reshape' op cannot infer a dynamic size next to a zero size}}
  %y = ingot.reshape %x : tensor<4x0xf32> -> tensor<?x0xf32>
  return %y : tensor<?x0xf32>
}

// -----

// Shape ops cannot move a block-quantized tensor: its blocks would be torn.
func.func @transpose_encoded(%w: tensor<64x32xf32, #ingot.block<q8_0>>) -> tensor<32x64xf32> {
  // expected-error @+1 {{'ingot.transpose' op operand #0 must be ranked tensor without storage encoding}}
  %y = ingot.transpose %w [1, 0] : tensor<64x32xf32, #ingot.block<q8_0>> -> tensor<32x64xf32>
  return %y : tensor<32x64xf32>
}

// -----

// A slice result cannot claim an encoding either.
func.func @slice_encoded_result(%x: tensor<4x64xf32>) -> tensor<4x32xf32, #ingot.block<q8_0>> {
  // expected-error @+1 {{'ingot.slice' op result #0 must be ranked tensor without storage encoding}}
  %y = ingot.slice %x {axis = 1 : i64, start = 0 : i64, size = 32 : i64} : tensor<4x64xf32> -> tensor<4x32xf32, #ingot.block<q8_0>>
  return %y : tensor<4x32xf32, #ingot.block<q8_0>>
}

// -----

// Nor can concat and broadcast.
func.func @concat_encoded(%a: tensor<2x32xf32, #ingot.block<q8_0>>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ingot.concat' op operand #0 must be variadic of ranked tensor without storage encoding}}
  %y = ingot.concat %a, %a {axis = 0 : i64} : tensor<2x32xf32, #ingot.block<q8_0>>, tensor<2x32xf32, #ingot.block<q8_0>> -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

func.func @broadcast_encoded(%a: tensor<1x32xf32, #ingot.block<q8_0>>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ingot.broadcast' op operand #0 must be ranked tensor without storage encoding}}
  %y = ingot.broadcast %a : tensor<1x32xf32, #ingot.block<q8_0>> -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// One divisor per rotated pair: 16 features need 8.
func.func @rope_freq_factors_size(%q: tensor<?x4x16xf32>, %pos: tensor<?xi32>, %f: tensor<16xf32>) -> tensor<?x4x16xf32> {
  // expected-error @+1 {{'ingot.rope' op freq_factors size is 16, expected 8}}
  %a = ingot.rope %q, %pos freq_factors %f {theta = 5.0e+05 : f32, style = #ingot<rope_style interleaved>} : tensor<?x4x16xf32>, tensor<?xi32>, tensor<16xf32> -> tensor<?x4x16xf32>
  return %a : tensor<?x4x16xf32>
}

// -----

// select: the values must share the result's element type.
func.func @select_element_type(%m: tensor<?x?xi1>, %a: tensor<2x?x?xf32>, %b: tensor<f16>) -> tensor<2x?x?xf32> {
  // expected-error @+1 {{'ingot.select' op expects values and result of one element type}}
  %y = ingot.select %m, %a, %b : tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f16> -> tensor<2x?x?xf32>
  return %y : tensor<2x?x?xf32>
}

// -----

// select: the condition does not broadcast with the values.
func.func @select_broadcast(%m: tensor<3x5xi1>, %a: tensor<2x4x5xf32>, %b: tensor<f32>) -> tensor<2x4x5xf32> {
  // expected-error @+1 {{'ingot.select' op cannot broadcast 'tensor<3x5xi1>', 'tensor<2x4x5xf32>' and 'tensor<f32>'}}
  %y = ingot.select %m, %a, %b : tensor<3x5xi1>, tensor<2x4x5xf32>, tensor<f32> -> tensor<2x4x5xf32>
  return %y : tensor<2x4x5xf32>
}

// -----

// select: the result is not the broadcast shape.
func.func @select_result_shape(%m: tensor<4x5xi1>, %a: tensor<2x4x5xf32>, %b: tensor<f32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'ingot.select' op result 'tensor<4x5xf32>' is not the broadcast shape of the operands}}
  %y = ingot.select %m, %a, %b : tensor<4x5xi1>, tensor<2x4x5xf32>, tensor<f32> -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

// -----

// select: the condition must be i1.
func.func @select_condition_type(%m: tensor<4x5xf32>, %a: tensor<4x5xf32>, %b: tensor<f32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{'ingot.select' op operand #0 must be ranked i1 tensor without storage encoding, but got 'tensor<4x5xf32>'}}
  %y = ingot.select %m, %a, %b : tensor<4x5xf32>, tensor<4x5xf32>, tensor<f32> -> tensor<4x5xf32>
  return %y : tensor<4x5xf32>
}

// -----

// mask: a result that is neither float nor i1.
func.func @mask_result_type(%q: tensor<?xi32>, %k: tensor<?xi32>) -> tensor<?x?xi32> {
  // expected-error @+1 {{'ingot.mask' op result #0 must be ranked float or i1 tensor without storage encoding, but got 'tensor<?x?xi32>'}}
  %m = ingot.mask causal %q, %k : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi32>
  return %m : tensor<?x?xi32>
}

//===----------------------------------------------------------------------===//
// ingot.hadamard
//===----------------------------------------------------------------------===//

// -----

// The last dimension is not a power of two.
func.func @hadamard_not_power_of_two(%x: tensor<?x3x96xf32>) -> tensor<?x3x96xf32> {
  // expected-error @+1 {{'ingot.hadamard' op expects a static power-of-two last dimension, got 96}}
  %y = ingot.hadamard %x {seed = 1 : i64} : tensor<?x3x96xf32>
  return %y : tensor<?x3x96xf32>
}

// -----

// The last dimension is dynamic.
func.func @hadamard_dynamic(%x: tensor<3x?xf32>) -> tensor<3x?xf32> {
  // expected-error @+1 {{'ingot.hadamard' op expects a static power-of-two last dimension, got ?}}
  %y = ingot.hadamard %x {seed = 1 : i64} : tensor<3x?xf32>
  return %y : tensor<3x?xf32>
}

// -----

// A scalar has no vectors.
func.func @hadamard_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'ingot.hadamard' op expects a tensor of rank >= 1}}
  %y = ingot.hadamard %x {seed = 1 : i64} : tensor<f32>
  return %y : tensor<f32>
}

// -----

// A negative seed.
func.func @hadamard_negative_seed(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ingot.hadamard' op expects a non-negative seed, got -3}}
  %y = ingot.hadamard %x {seed = -3 : i64} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A clamp range must not be empty.
func.func @clamp_empty(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.clamp' op min 1.000000e+00 is above max -1.000000e+00}}
  %y = ingot.clamp %x [1.0, -1.0] : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Clamp bounds are finite numbers.
func.func @clamp_infinite(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ingot.clamp' op expects finite bounds}}
  %y = ingot.clamp %x [0x7F800000, 0x7F800000] : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// ingot.glu has no relu form (no target has a gated relu kernel).
func.func @glu_relu(%g: tensor<?x8xf32>, %u: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'ingot.glu' op expects a silu, gelu or gelu_tanh activation}}
  %y = ingot.glu %g, %u {activation = #ingot<activation relu>} : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Each multi_matmul result has the input's rows and its weight's outputs.
func.func @multi_matmul_result(%x: tensor<?x8xf32>, %a: tensor<4x8xf32>, %b: tensor<2x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'ingot.multi_matmul' op result #1 must have x's leading dimensions and the weight's output size}}
  %r:2 = ingot.multi_matmul %x, %a, %b {bias_for = array<i64>} : tensor<?x8xf32>, tensor<4x8xf32>, tensor<2x8xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
  return %r#0 : tensor<?x4xf32>
}

// -----

// bias_for names each bias's result, in increasing order.
func.func @multi_matmul_bias_for(%x: tensor<?x8xf32>, %a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %c: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'ingot.multi_matmul' op expects bias_for increasing and below the number of weights}}
  %r:2 = ingot.multi_matmul %x, %a, %b biases(%c : tensor<4xf32>) {bias_for = array<i64: 2>} : tensor<?x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>, tensor<?x4xf32>
  return %r#0 : tensor<?x4xf32>
}

// -----

// The logits rows are rows of a step: a dynamic token dimension.
func.func @logits_rows_static(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ingot.logits_rows' op expects a dynamic leading (token) dimension}}
  %y = ingot.logits_rows %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
