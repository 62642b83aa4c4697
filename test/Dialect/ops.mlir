// RUN: ingot-opt %s --split-input-file | ingot-opt --split-input-file | FileCheck %s
// RUN: ingot-opt %s --split-input-file --mlir-print-op-generic | ingot-opt --split-input-file | FileCheck %s

// Round trip of every op of the ingot dialect, in the custom and the generic
// form. Attribute and type syntax is covered by attrs.mlir.

// Weights: a declaration with a source name and a storage encoding, one
// without, and the `ingot.weight` ops that read them.

// CHECK: ingot.weight_decl @tok_embd : tensor<256x64xf32, #ingot.block<q8_0>> {source = "token_embd.weight"}
// CHECK: ingot.weight_decl @norm : tensor<64xf32>{{$}}
ingot.weight_decl @tok_embd : tensor<256x64xf32, #ingot.block<q8_0>> {source = "token_embd.weight"}
ingot.weight_decl @norm : tensor<64xf32>

// CHECK-LABEL: func @weights(
func.func @weights() -> (tensor<256x64xf32, #ingot.block<q8_0>>, tensor<64xf32>) {
  // CHECK: %[[E:.*]] = ingot.weight @tok_embd : tensor<256x64xf32, #ingot.block<q8_0>>
  // CHECK: %[[N:.*]] = ingot.weight @norm : tensor<64xf32>
  // CHECK: return %[[E]], %[[N]]
  %e = ingot.weight @tok_embd : tensor<256x64xf32, #ingot.block<q8_0>>
  %n = ingot.weight @norm : tensor<64xf32>
  return %e, %n : tensor<256x64xf32, #ingot.block<q8_0>>, tensor<64xf32>
}

// -----

// Constants: a scalar splat, a small vector, a non-f32 element type.

// CHECK-LABEL: func @constant(
func.func @constant() -> (tensor<f32>, tensor<3xf32>, tensor<2x2xf16>) {
  // CHECK: %[[S:.*]] = ingot.constant dense<2.500000e-01> : tensor<f32>
  // CHECK: %[[V:.*]] = ingot.constant dense<[1.000000e+00, 2.000000e+00, 4.000000e+00]> : tensor<3xf32>
  // CHECK: %[[H:.*]] = ingot.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf16>
  // CHECK: return %[[S]], %[[V]], %[[H]]
  %s = ingot.constant dense<0.25> : tensor<f32>
  %v = ingot.constant dense<[1.0, 2.0, 4.0]> : tensor<3xf32>
  %h = ingot.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf16>
  return %s, %v, %h : tensor<f32>, tensor<3xf32>, tensor<2x2xf16>
}

// -----

// iota (dynamic and static length, with an offset) and zeros_like.

// CHECK-LABEL: func @iota_zeros_like(
// CHECK-SAME: %[[N:.*]]: index, %[[X:.*]]: tensor<?x64xf32>)
func.func @iota_zeros_like(%n: index, %x: tensor<?x64xf32>)
    -> (tensor<?xi32>, tensor<8xi32>, tensor<?x64xf32>) {
  // CHECK: %[[I:.*]] = ingot.iota %[[N]] : tensor<?xi32>
  // CHECK: %[[J:.*]] = ingot.iota %[[N]] : tensor<8xi32>
  // CHECK: %[[K:.*]] = ingot.iota %[[N]] offset %[[N]] : tensor<?xi32>
  // CHECK: %[[Z:.*]] = ingot.zeros_like %[[X]] : tensor<?x64xf32>
  // CHECK: return %[[I]], %[[J]], %[[Z]]
  %i = ingot.iota %n : tensor<?xi32>
  %j = ingot.iota %n : tensor<8xi32>
  %k = ingot.iota %n offset %n : tensor<?xi32>
  %z = ingot.zeros_like %x : tensor<?x64xf32>
  return %i, %j, %z : tensor<?xi32>, tensor<8xi32>, tensor<?x64xf32>
}

// -----

// embedding: a block-quantized table with i32 ids, a plain one with i64 ids.

// CHECK-LABEL: func @embedding(
// CHECK-SAME: %[[T:.*]]: tensor<256x64xf32, #ingot.block<q8_0>>, %[[IDS:.*]]: tensor<?xi32>, %[[U:.*]]: tensor<256x64xf16>, %[[IDS64:.*]]: tensor<7xi64>)
func.func @embedding(%t: tensor<256x64xf32, #ingot.block<q8_0>>,
                     %ids: tensor<?xi32>, %u: tensor<256x64xf16>,
                     %ids64: tensor<7xi64>)
    -> (tensor<?x64xf32>, tensor<7x64xf16>) {
  // CHECK: %[[A:.*]] = ingot.embedding %[[T]], %[[IDS]] : tensor<256x64xf32, #ingot.block<q8_0>>, tensor<?xi32> -> tensor<?x64xf32>
  // CHECK: %[[B:.*]] = ingot.embedding %[[U]], %[[IDS64]] : tensor<256x64xf16>, tensor<7xi64> -> tensor<7x64xf16>
  // CHECK: return %[[A]], %[[B]]
  %a = ingot.embedding %t, %ids : tensor<256x64xf32, #ingot.block<q8_0>>, tensor<?xi32> -> tensor<?x64xf32>
  %b = ingot.embedding %u, %ids64 : tensor<256x64xf16>, tensor<7xi64> -> tensor<7x64xf16>
  return %a, %b : tensor<?x64xf32>, tensor<7x64xf16>
}

// -----

// matmul without transposes.

// CHECK-LABEL: func @matmul_plain(
// CHECK-SAME: %[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<64x128xf32>)
func.func @matmul_plain(%a: tensor<?x64xf32>, %b: tensor<64x128xf32>)
    -> tensor<?x128xf32> {
  // CHECK: %[[Y:.*]] = ingot.matmul %[[A]], %[[B]] : tensor<?x64xf32>, tensor<64x128xf32> -> tensor<?x128xf32>
  // CHECK: return %[[Y]]
  %y = ingot.matmul %a, %b : tensor<?x64xf32>, tensor<64x128xf32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// matmul as a linear layer: transpose_b with a block-quantized [out, in]
// weight, then with a bias.

// CHECK-LABEL: func @matmul_linear(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<128x64xf32, #ingot.block<q4_0>>, %[[V:.*]]: tensor<32x64xf32>, %[[BIAS:.*]]: tensor<32xf32>)
func.func @matmul_linear(%x: tensor<?x64xf32>,
                         %w: tensor<128x64xf32, #ingot.block<q4_0>>,
                         %v: tensor<32x64xf32>, %bias: tensor<32xf32>)
    -> (tensor<?x128xf32>, tensor<?x32xf32>) {
  // CHECK: %[[Y:.*]] = ingot.matmul %[[X]], %[[W]] transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  // CHECK: %[[Z:.*]] = ingot.matmul %[[X]], %[[V]] transpose_b bias %[[BIAS]] : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
  // CHECK: return %[[Y]], %[[Z]]
  %y = ingot.matmul %x, %w transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %z = ingot.matmul %x, %v transpose_b bias %bias : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
  return %y, %z : tensor<?x128xf32>, tensor<?x32xf32>
}

// -----

// matmul with transpose_a, alone and together with transpose_b.

// CHECK-LABEL: func @matmul_transpose_a(
// CHECK-SAME: %[[A:.*]]: tensor<64x?xf32>, %[[B:.*]]: tensor<64x32xf32>, %[[C:.*]]: tensor<32x64xf32>)
func.func @matmul_transpose_a(%a: tensor<64x?xf32>, %b: tensor<64x32xf32>,
                              %c: tensor<32x64xf32>)
    -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  // CHECK: %[[Y:.*]] = ingot.matmul %[[A]], %[[B]] transpose_a : tensor<64x?xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  // CHECK: %[[Z:.*]] = ingot.matmul %[[A]], %[[C]] transpose_a transpose_b : tensor<64x?xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  // CHECK: return %[[Y]], %[[Z]]
  %y = ingot.matmul %a, %b transpose_a : tensor<64x?xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  %z = ingot.matmul %a, %c transpose_a transpose_b : tensor<64x?xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %y, %z : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// Batched matmul: per-head Q·Kᵀ and P·V with 3-D operands, and a 3-D
// activation against a 2-D weight shared by every batch.

// CHECK-LABEL: func @matmul_batched(
// CHECK-SAME: %[[Q:.*]]: tensor<4x?x16xf32>, %[[K:.*]]: tensor<4x?x16xf32>, %[[H:.*]]: tensor<?x4x16xf32>, %[[W:.*]]: tensor<32x16xf32>)
func.func @matmul_batched(%q: tensor<4x?x16xf32>, %k: tensor<4x?x16xf32>,
                          %h: tensor<?x4x16xf32>, %w: tensor<32x16xf32>)
    -> (tensor<4x?x16xf32>, tensor<?x4x32xf32>) {
  // CHECK: %[[S:.*]] = ingot.matmul %[[Q]], %[[K]] transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  // CHECK: %[[O:.*]] = ingot.matmul %[[S]], %[[K]] : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  // CHECK: %[[P:.*]] = ingot.matmul %[[H]], %[[W]] transpose_b : tensor<?x4x16xf32>, tensor<32x16xf32> -> tensor<?x4x32xf32>
  // CHECK: return %[[O]], %[[P]]
  %s = ingot.matmul %q, %k transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %o = ingot.matmul %s, %k : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %p = ingot.matmul %h, %w transpose_b : tensor<?x4x16xf32>, tensor<32x16xf32> -> tensor<?x4x32xf32>
  return %o, %p : tensor<4x?x16xf32>, tensor<?x4x32xf32>
}

// -----

// The binary elementwise ops, with NumPy broadcasting: same shape, a scalar,
// a row vector, a [tokens, 1] column and a mask added to per-head scores.

// CHECK-LABEL: func @binary(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[Y:.*]]: tensor<?x64xf32>, %[[S:.*]]: tensor<f32>, %[[R:.*]]: tensor<64xf32>, %[[C:.*]]: tensor<?x1xf32>, %[[SC:.*]]: tensor<4x?x?xf32>, %[[M:.*]]: tensor<?x?xf32>)
func.func @binary(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %s: tensor<f32>,
                  %r: tensor<64xf32>, %c: tensor<?x1xf32>,
                  %sc: tensor<4x?x?xf32>, %m: tensor<?x?xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>,
        tensor<?x64xf32>, tensor<?x64xf32>, tensor<4x?x?xf32>) {
  // CHECK: %[[ADD:.*]] = ingot.add %[[X]], %[[Y]] : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  // CHECK: %[[SUB:.*]] = ingot.sub %[[X]], %[[S]] : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf32>
  // CHECK: %[[MUL:.*]] = ingot.mul %[[X]], %[[R]] : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: %[[DIV:.*]] = ingot.div %[[X]], %[[C]] : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  // CHECK: %[[MAX:.*]] = ingot.maximum %[[S]], %[[Y]] : tensor<f32>, tensor<?x64xf32> -> tensor<?x64xf32>
  // CHECK: %[[MSK:.*]] = ingot.add %[[SC]], %[[M]] : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  // CHECK: return %[[ADD]], %[[SUB]], %[[MUL]], %[[DIV]], %[[MAX]], %[[MSK]]
  %add = ingot.add %x, %y : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %sub = ingot.sub %x, %s : tensor<?x64xf32>, tensor<f32> -> tensor<?x64xf32>
  %mul = ingot.mul %x, %r : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %div = ingot.div %x, %c : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  %max = ingot.maximum %s, %y : tensor<f32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %msk = ingot.add %sc, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  return %add, %sub, %mul, %div, %max, %msk : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<4x?x?xf32>
}

// -----

// The unary elementwise ops, gelu with and without `approximate`, clamp.

// CHECK-LABEL: func @unary(
// CHECK-SAME: %[[X:.*]]: tensor<?x128xf32>)
func.func @unary(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  // CHECK: %[[A:.*]] = ingot.silu %[[X]] : tensor<?x128xf32>
  // CHECK: %[[B:.*]] = ingot.gelu %[[A]] : tensor<?x128xf32>
  // CHECK: %[[C:.*]] = ingot.gelu %[[B]] approximate : tensor<?x128xf32>
  // CHECK: %[[D:.*]] = ingot.sigmoid %[[C]] : tensor<?x128xf32>
  // CHECK: %[[E:.*]] = ingot.tanh %[[D]] : tensor<?x128xf32>
  // CHECK: %[[F:.*]] = ingot.exp %[[E]] : tensor<?x128xf32>
  // CHECK: %[[G:.*]] = ingot.neg %[[F]] : tensor<?x128xf32>
  // CHECK: %[[H:.*]] = ingot.rsqrt %[[G]] : tensor<?x128xf32>
  // CHECK: %[[I:.*]] = ingot.relu %[[H]] : tensor<?x128xf32>
  // CHECK: %[[J:.*]] = ingot.clamp %[[I]][-7.500000e-01, 7.500000e-01] : tensor<?x128xf32>
  // CHECK: return %[[J]]
  %a = ingot.silu %x : tensor<?x128xf32>
  %b = ingot.gelu %a : tensor<?x128xf32>
  %c = ingot.gelu %b approximate : tensor<?x128xf32>
  %d = ingot.sigmoid %c : tensor<?x128xf32>
  %e = ingot.tanh %d : tensor<?x128xf32>
  %f = ingot.exp %e : tensor<?x128xf32>
  %g = ingot.neg %f : tensor<?x128xf32>
  %h = ingot.rsqrt %g : tensor<?x128xf32>
  %i = ingot.relu %h : tensor<?x128xf32>
  %j = ingot.clamp %i [-0.75, 0.75] : tensor<?x128xf32>
  return %j : tensor<?x128xf32>
}

// -----

// cast between float types, widening and narrowing.

// CHECK-LABEL: func @cast(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf16>)
func.func @cast(%x: tensor<?x64xf16>) -> tensor<?x64xbf16> {
  // CHECK: %[[A:.*]] = ingot.cast %[[X]] : tensor<?x64xf16> to tensor<?x64xf32>
  // CHECK: %[[B:.*]] = ingot.cast %[[A]] : tensor<?x64xf32> to tensor<?x64xbf16>
  // CHECK: return %[[B]]
  %a = ingot.cast %x : tensor<?x64xf16> to tensor<?x64xf32>
  %b = ingot.cast %a : tensor<?x64xf32> to tensor<?x64xbf16>
  return %b : tensor<?x64xbf16>
}

// -----

// reshape to and from [tokens, heads, head_dim], a static reshape, and the
// [tokens, heads, dim] <-> [heads, tokens, dim] transposes.

// CHECK-LABEL: func @reshape_transpose(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[C:.*]]: tensor<2x3x4xf32>)
func.func @reshape_transpose(%x: tensor<?x64xf32>, %c: tensor<2x3x4xf32>)
    -> (tensor<?x64xf32>, tensor<6x4xf32>) {
  // CHECK: %[[R:.*]] = ingot.reshape %[[X]] : tensor<?x64xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[T:.*]] = ingot.transpose %[[R]] [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  // CHECK: %[[U:.*]] = ingot.transpose %[[T]] [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[F:.*]] = ingot.reshape %[[U]] : tensor<?x4x16xf32> -> tensor<?x64xf32>
  // CHECK: %[[S:.*]] = ingot.reshape %[[C]] : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: return %[[F]], %[[S]]
  %r = ingot.reshape %x : tensor<?x64xf32> -> tensor<?x4x16xf32>
  %t = ingot.transpose %r [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %u = ingot.transpose %t [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  %f = ingot.reshape %u : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %s = ingot.reshape %c : tensor<2x3x4xf32> -> tensor<6x4xf32>
  return %f, %s : tensor<?x64xf32>, tensor<6x4xf32>
}

// -----

// concat along a dynamic and a static axis (three inputs), and slice of a
// fused QKV projection, with a positive and a negative axis.

// CHECK-LABEL: func @concat_slice(
// CHECK-SAME: %[[PAST:.*]]: tensor<?x2x16xf32>, %[[NEW:.*]]: tensor<?x2x16xf32>, %[[A:.*]]: tensor<3x8xf32>, %[[B:.*]]: tensor<3x4xf32>, %[[QKV:.*]]: tensor<?x128xf32>)
func.func @concat_slice(%past: tensor<?x2x16xf32>, %new: tensor<?x2x16xf32>,
                        %a: tensor<3x8xf32>, %b: tensor<3x4xf32>,
                        %qkv: tensor<?x128xf32>)
    -> (tensor<?x2x16xf32>, tensor<3x20xf32>, tensor<?x64xf32>,
        tensor<?x32xf32>) {
  // CHECK: %[[ALL:.*]] = ingot.concat %[[PAST]], %[[NEW]] {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  // CHECK: %[[W:.*]] = ingot.concat %[[A]], %[[B]], %[[A]] {axis = 1 : i64} : tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x8xf32> -> tensor<3x20xf32>
  // CHECK: %[[Q:.*]] = ingot.slice %[[QKV]] {axis = 1 : i64, size = 64 : i64, start = 0 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  // CHECK: %[[V:.*]] = ingot.slice %[[QKV]] {axis = -1 : i64, size = 32 : i64, start = 96 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  // CHECK: return %[[ALL]], %[[W]], %[[Q]], %[[V]]
  %all = ingot.concat %past, %new {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %w = ingot.concat %a, %b, %a {axis = 1 : i64} : tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x8xf32> -> tensor<3x20xf32>
  %q = ingot.slice %qkv {axis = 1 : i64, start = 0 : i64, size = 64 : i64} : tensor<?x128xf32> -> tensor<?x64xf32>
  %v = ingot.slice %qkv {axis = -1 : i64, start = 96 : i64, size = 32 : i64} : tensor<?x128xf32> -> tensor<?x32xf32>
  return %all, %w, %q, %v : tensor<?x2x16xf32>, tensor<3x20xf32>, tensor<?x64xf32>, tensor<?x32xf32>
}

// -----

// broadcast: the GQA head repeat (a size-1 dimension stretches) and a
// missing leading dimension.

// CHECK-LABEL: func @broadcast(
// CHECK-SAME: %[[K:.*]]: tensor<?x2x1x16xf32>, %[[B:.*]]: tensor<16xf32>)
func.func @broadcast(%k: tensor<?x2x1x16xf32>, %b: tensor<16xf32>)
    -> (tensor<?x2x2x16xf32>, tensor<4x16xf32>) {
  // CHECK: %[[R:.*]] = ingot.broadcast %[[K]] : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  // CHECK: %[[S:.*]] = ingot.broadcast %[[B]] : tensor<16xf32> -> tensor<4x16xf32>
  // CHECK: return %[[R]], %[[S]]
  %r = ingot.broadcast %k : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %s = ingot.broadcast %b : tensor<16xf32> -> tensor<4x16xf32>
  return %r, %s : tensor<?x2x2x16xf32>, tensor<4x16xf32>
}

// -----

// rms_norm, and layer_norm with and without a bias.

// CHECK-LABEL: func @norms(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
func.func @norms(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  // CHECK: %[[R:.*]] = ingot.rms_norm %[[X]], %[[W]] {eps = 9.99999997E-7 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: %[[L:.*]] = ingot.layer_norm %[[X]], %[[W]], %[[B]] {eps = 9.99999974E-6 : f32} : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: %[[N:.*]] = ingot.layer_norm %[[X]], %[[W]] {eps = 9.99999974E-6 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: return %[[R]], %[[L]], %[[N]]
  %r = ingot.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l = ingot.layer_norm %x, %w, %b {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %n = ingot.layer_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return %r, %l, %n : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// rope: neox and interleaved layouts, partial rotation with rotary_dim, i64
// positions.

// CHECK-LABEL: func @rope(
// CHECK-SAME: %[[Q:.*]]: tensor<?x4x16xf32>, %[[POS:.*]]: tensor<?xi32>, %[[POS64:.*]]: tensor<?xi64>)
func.func @rope(%q: tensor<?x4x16xf32>, %pos: tensor<?xi32>,
                %pos64: tensor<?xi64>)
    -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  // CHECK: %[[A:.*]] = ingot.rope %[[Q]], %[[POS]] {style = #ingot<rope_style neox>, theta = 1.000000e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  // CHECK: %[[B:.*]] = ingot.rope %[[Q]], %[[POS]] {style = #ingot<rope_style interleaved>, theta = 5.000000e+05 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  // CHECK: %[[C:.*]] = ingot.rope %[[Q]], %[[POS64]] {rotary_dim = 8 : i64, style = #ingot<rope_style neox>, theta = 1.000000e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi64> -> tensor<?x4x16xf32>
  // CHECK: return %[[A]], %[[B]], %[[C]]
  %a = ingot.rope %q, %pos {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %b = ingot.rope %q, %pos {theta = 5.0e+05 : f32, style = #ingot<rope_style interleaved>} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %c = ingot.rope %q, %pos64 {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, rotary_dim = 8 : i64} : tensor<?x4x16xf32>, tensor<?xi64> -> tensor<?x4x16xf32>
  return %a, %b, %c : tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// rope with linear frequency scaling. (llama3 and yarn scaling are left out:
// see the note at the top of the file.)

// CHECK-LABEL: func @rope_scaling(
// CHECK-SAME: %[[Q:.*]]: tensor<?x4x16xf32>, %[[POS:.*]]: tensor<?xi32>)
func.func @rope_scaling(%q: tensor<?x4x16xf32>, %pos: tensor<?xi32>)
    -> tensor<?x4x16xf32> {
  // CHECK: %[[A:.*]] = ingot.rope %[[Q]], %[[POS]] {scaling = #ingot.rope_scaling<linear, factor = 4.000000e+00>, style = #ingot<rope_style neox>, theta = 1.000000e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  // CHECK: return %[[A]]
  %a = ingot.rope %q, %pos {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<linear, factor = 4.0>} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  return %a : tensor<?x4x16xf32>
}

// -----

// softmax, and reduce with each kind (the reduced dimension is kept as 1).

// CHECK-LABEL: func @softmax_reduce(
// CHECK-SAME: %[[S:.*]]: tensor<4x?x?xf32>, %[[X:.*]]: tensor<?x64xf32>)
func.func @softmax_reduce(%s: tensor<4x?x?xf32>, %x: tensor<?x64xf32>)
    -> (tensor<4x?x?xf32>, tensor<4x?x1xf32>, tensor<?x1xf32>,
        tensor<1x64xf32>) {
  // CHECK: %[[P:.*]] = ingot.softmax %[[S]] {axis = -1 : i64} : tensor<4x?x?xf32>
  // CHECK: %[[M:.*]] = ingot.reduce max %[[S]] {axis = -1 : i64} : tensor<4x?x?xf32> -> tensor<4x?x1xf32>
  // CHECK: %[[A:.*]] = ingot.reduce sum %[[X]] {axis = 1 : i64} : tensor<?x64xf32> -> tensor<?x1xf32>
  // CHECK: %[[B:.*]] = ingot.reduce mean %[[X]] {axis = 0 : i64} : tensor<?x64xf32> -> tensor<1x64xf32>
  // CHECK: return %[[P]], %[[M]], %[[A]], %[[B]]
  %p = ingot.softmax %s {axis = -1 : i64} : tensor<4x?x?xf32>
  %m = ingot.reduce max %s {axis = -1 : i64} : tensor<4x?x?xf32> -> tensor<4x?x1xf32>
  %a = ingot.reduce sum %x {axis = 1 : i64} : tensor<?x64xf32> -> tensor<?x1xf32>
  %b = ingot.reduce mean %x {axis = 0 : i64} : tensor<?x64xf32> -> tensor<1x64xf32>
  return %p, %m, %a, %b : tensor<4x?x?xf32>, tensor<4x?x1xf32>, tensor<?x1xf32>, tensor<1x64xf32>
}

// -----

// topk over router probabilities, i32 and i64 indices.

// CHECK-LABEL: func @topk(
// CHECK-SAME: %[[P:.*]]: tensor<?x8xf32>)
func.func @topk(%p: tensor<?x8xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>, tensor<?x8xi64>) {
  // CHECK: %[[V:.*]], %[[I:.*]] = ingot.topk %[[P]] {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  // CHECK: %[[W:.*]], %[[J:.*]] = ingot.topk %[[P]] {k = 8 : i64} : tensor<?x8xf32> -> tensor<?x8xf32>, tensor<?x8xi64>
  // CHECK: return %[[V]], %[[I]], %[[W]], %[[J]]
  %v, %i = ingot.topk %p {k = 2 : i64} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w, %j = ingot.topk %p {k = 8 : i64} : tensor<?x8xf32> -> tensor<?x8xf32>, tensor<?x8xi64>
  return %v, %i, %w, %j : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>, tensor<?x8xi64>
}

// -----

// mask of each kind; key positions from iota.

// CHECK-LABEL: func @mask(
// CHECK-SAME: %[[QPOS:.*]]: tensor<?xi32>, %[[N:.*]]: index)
func.func @mask(%qpos: tensor<?xi32>, %n: index)
    -> (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  // CHECK: %[[KPOS:.*]] = ingot.iota %[[N]] : tensor<?xi32>
  // CHECK: %[[A:.*]] = ingot.mask none %[[QPOS]], %[[KPOS]] : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  // CHECK: %[[B:.*]] = ingot.mask causal %[[QPOS]], %[[KPOS]] : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  // CHECK: %[[C:.*]] = ingot.mask sliding_window %[[QPOS]], %[[KPOS]] {window = 4096 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  // CHECK: return %[[A]], %[[B]], %[[C]]
  %kpos = ingot.iota %n : tensor<?xi32>
  %a = ingot.mask none %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %b = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %c = ingot.mask sliding_window %qpos, %kpos {window = 4096 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  return %a, %b, %c : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// kv_read and kv_write on a plain f16 cache and on a q8-encoded one.

// CHECK-LABEL: func @kv_cache(
// CHECK-SAME: %[[C:.*]]: !ingot.kv_cache<128x2x16xf16>, %[[D:.*]]: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>, %[[LEN:.*]]: index, %[[K:.*]]: tensor<?x2x16xf32>)
func.func @kv_cache(%c: !ingot.kv_cache<128x2x16xf16>,
                    %d: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>,
                    %len: index, %k: tensor<?x2x16xf32>)
    -> (tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>,
        tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>) {
  // CHECK: %[[PAST:.*]] = ingot.kv_read %[[C]], %[[LEN]] : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  // CHECK: %[[C1:.*]] = ingot.kv_write %[[C]], %[[K]], %[[LEN]] : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  // CHECK: %[[QPAST:.*]] = ingot.kv_read %[[D]], %[[LEN]] : !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>> -> tensor<?x2x16xf32>
  // CHECK: %[[D1:.*]] = ingot.kv_write %[[D]], %[[K]], %[[LEN]] : !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>, tensor<?x2x16xf32>
  // CHECK: return %[[PAST]], %[[C1]], %[[QPAST]], %[[D1]]
  %past = ingot.kv_read %c, %len : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  %c1 = ingot.kv_write %c, %k, %len : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  %qpast = ingot.kv_read %d, %len : !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>> -> tensor<?x2x16xf32>
  %d1 = ingot.kv_write %d, %k, %len : !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>, tensor<?x2x16xf32>
  return %past, %c1, %qpast, %d1 : tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q8>>
}

// -----

// attention without a cache: multi-head causal, grouped-query (4 query heads
// over 2 key/value heads), with a softcap, and with a sliding window.

// CHECK-LABEL: func @attention(
// CHECK-SAME: %[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x4x16xf32>, %[[V:.*]]: tensor<?x4x16xf32>, %[[GK:.*]]: tensor<?x2x16xf32>, %[[GV:.*]]: tensor<?x2x16xf32>)
func.func @attention(%q: tensor<?x4x16xf32>, %k: tensor<?x4x16xf32>,
                     %v: tensor<?x4x16xf32>, %gk: tensor<?x2x16xf32>,
                     %gv: tensor<?x2x16xf32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>,
        tensor<?x4x16xf32>) {
  // CHECK: %[[A:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[B:.*]] = ingot.attention %[[Q]], %[[GK]], %[[GV]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[C:.*]] = ingot.attention %[[Q]], %[[GK]], %[[GV]] {mask = #ingot<mask_kind none>, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[D:.*]] = ingot.attention %[[Q]], %[[GK]], %[[GV]] {mask = #ingot<mask_kind sliding_window>, scale = 2.500000e-01 : f32, window = 512 : i64} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  // CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
  %a = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.25 : f32} : tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32> -> tensor<?x4x16xf32>
  %b = ingot.attention %q, %gk, %gv {mask = #ingot<mask_kind causal>, scale = 0.25 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  %c = ingot.attention %q, %gk, %gv {mask = #ingot<mask_kind none>, scale = 0.25 : f32, softcap = 50.0 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  %d = ingot.attention %q, %gk, %gv {mask = #ingot<mask_kind sliding_window>, window = 512 : i64, scale = 0.25 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  return %a, %b, %c, %d : tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// attention with a KV cache (GQA, causal), and with a quantized cache, a
// sliding window and a softcap together.

// CHECK-LABEL: func @attention_cache(
// CHECK-SAME: %[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<128x2x16xf16>, %[[VC:.*]]: !ingot.kv_cache<128x2x16xf16>, %[[QKC:.*]]: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, %[[QVC:.*]]: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>>, %[[POS:.*]]: index)
func.func @attention_cache(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>,
    %v: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<128x2x16xf16>,
    %vc: !ingot.kv_cache<128x2x16xf16>,
    %qkc: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>,
    %qvc: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>>,
    %pos: index)
    -> (tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>,
        !ingot.kv_cache<128x2x16xf16>, tensor<?x4x16xf32>) {
  // CHECK: %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[POS]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
  // CHECK: %[[P:.*]], %{{.*}}, %{{.*}} = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[QKC]], %[[QVC]]) at %[[POS]] {mask = #ingot<mask_kind sliding_window>, scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32, window = 64 : i64} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>>
  // CHECK: return %[[O]], %[[KC1]], %[[VC1]], %[[P]]
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.25 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
  %p, %qkc1, %qvc1 = ingot.attention %q, %k, %v cache(%qkc, %qvc) at %pos {mask = #ingot<mask_kind sliding_window>, window = 64 : i64, scale = 0.25 : f32, softcap = 30.0 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<q4>>
  return %o, %kc1, %vc1, %p : tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, tensor<?x4x16xf32>
}

// -----

// moe_ffn over a CSR routing (given as arguments: `ingot.route` is left out,
// see the note at the top of the file), with each activation kind.

// CHECK-LABEL: func @moe_ffn(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[OFF:.*]]: tensor<?xi32>, %[[IDS:.*]]: tensor<?xi32>, %[[WTS:.*]]: tensor<?xf32>, %[[G:.*]]: tensor<8x32x64xf32>, %[[U:.*]]: tensor<8x32x64xf32>, %[[D:.*]]: tensor<8x64x32xf32, #ingot.block<q8_0>>)
func.func @moe_ffn(%x: tensor<?x64xf32>, %off: tensor<?xi32>,
                   %ids: tensor<?xi32>, %wts: tensor<?xf32>,
                   %g: tensor<8x32x64xf32>, %u: tensor<8x32x64xf32>,
                   %d: tensor<8x64x32xf32, #ingot.block<q8_0>>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>,
        tensor<?x64xf32>) {
  // CHECK: %[[A:.*]] = ingot.moe_ffn %[[X]], %[[OFF]], %[[IDS]], %[[WTS]], %[[G]], %[[U]], %[[D]] {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // CHECK: %[[B:.*]] = ingot.moe_ffn {{.*}} {activation = #ingot<activation gelu>}
  // CHECK: %[[C:.*]] = ingot.moe_ffn {{.*}} {activation = #ingot<activation gelu_tanh>}
  // CHECK: %[[R:.*]] = ingot.moe_ffn {{.*}} {activation = #ingot<activation relu>}
  // CHECK: return %[[A]], %[[B]], %[[C]], %[[R]]
  %a = ingot.moe_ffn %x, %off, %ids, %wts, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %b = ingot.moe_ffn %x, %off, %ids, %wts, %g, %u, %d {activation = #ingot<activation gelu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %c = ingot.moe_ffn %x, %off, %ids, %wts, %g, %u, %d {activation = #ingot<activation gelu_tanh>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %r = ingot.moe_ffn %x, %off, %ids, %wts, %g, %u, %d {activation = #ingot<activation relu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  return %a, %b, %c, %r : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// moe_sort of a CSR routing, gather_rows of activations (2-D) and of router
// weights (1-D), and grouped_matmul over the sorted rows.

// CHECK-LABEL: func @moe_sort_gather_grouped(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[OFF:.*]]: tensor<?xi32>, %[[IDS:.*]]: tensor<?xi32>, %[[WTS:.*]]: tensor<?xf32>, %[[G:.*]]: tensor<8x32x64xf32>)
func.func @moe_sort_gather_grouped(%x: tensor<?x64xf32>, %off: tensor<?xi32>,
                                   %ids: tensor<?xi32>, %wts: tensor<?xf32>,
                                   %g: tensor<8x32x64xf32>)
    -> (tensor<?x32xf32>, tensor<?xf32>) {
  // CHECK: %[[EOFF:.*]], %[[PAIRS:.*]], %[[TOKS:.*]] = ingot.moe_sort %[[OFF]], %[[IDS]] {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
  // CHECK: %[[XS:.*]] = ingot.gather_rows %[[X]], %[[TOKS]] : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  // CHECK: %[[WS:.*]] = ingot.gather_rows %[[WTS]], %[[PAIRS]] : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
  // CHECK: %[[H:.*]] = ingot.grouped_matmul %[[XS]], %[[G]], %[[EOFF]] : tensor<?x64xf32>, tensor<8x32x64xf32>, tensor<9xi32> -> tensor<?x32xf32>
  // CHECK: return %[[H]], %[[WS]]
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
  %xs = ingot.gather_rows %x, %toks : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  %ws = ingot.gather_rows %wts, %pairs : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
  %h = ingot.grouped_matmul %xs, %g, %eoff : tensor<?x64xf32>, tensor<8x32x64xf32>, tensor<9xi32> -> tensor<?x32xf32>
  return %h, %ws : tensor<?x32xf32>, tensor<?xf32>
}

// -----

// scatter_add with a per-row scale and without one.

// CHECK-LABEL: func @scatter_add(
// CHECK-SAME: %[[SRC:.*]]: tensor<?x64xf32>, %[[TOKS:.*]]: tensor<?xi32>, %[[W:.*]]: tensor<?xf32>, %[[DEST:.*]]: tensor<?x64xf32>)
func.func @scatter_add(%src: tensor<?x64xf32>, %toks: tensor<?xi32>,
                       %w: tensor<?xf32>, %dest: tensor<?x64xf32>)
    -> tensor<?x64xf32> {
  // CHECK: %[[A:.*]] = ingot.scatter_add %[[SRC]], %[[TOKS]] scale %[[W]] into %[[DEST]] : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
  // CHECK: %[[B:.*]] = ingot.scatter_add %[[SRC]], %[[TOKS]] into %[[A]] : tensor<?x64xf32>, tensor<?xi32> into tensor<?x64xf32>
  // CHECK: return %[[B]]
  %a = ingot.scatter_add %src, %toks scale %w into %dest : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
  %b = ingot.scatter_add %src, %toks into %a : tensor<?x64xf32>, tensor<?xi32> into tensor<?x64xf32>
  return %b : tensor<?x64xf32>
}

// -----

// ingot.route: each rule kind, softmax and sigmoid scoring, renormalize on
// and off, static token counts.

// CHECK-LABEL: func @route(
// CHECK-SAME: %[[L:.*]]: tensor<?x8xf32>, %[[S:.*]]: tensor<4x8xf32>
func.func @route(%l: tensor<?x8xf32>, %s: tensor<4x8xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = ingot.route %[[L]] {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %o0, %e0, %w0 = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = ingot.route %[[L]] {rule = #ingot.routing<top_p, p = 6.000000e-01, max = 4>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %o1, %e1, %w1 = ingot.route %l {rule = #ingot.routing<top_p, p = 0.6, max = 4>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = ingot.route %[[S]] {renormalize, rule = #ingot.routing<threshold, t = 1.000000e-01, max = 0>, scoring = #ingot<scoring sigmoid>} : tensor<4x8xf32> -> tensor<5xi32>, tensor<?xi32>, tensor<?xf32>
  %o2, %e2, %w2 = ingot.route %s {rule = #ingot.routing<threshold, t = 0.1>, scoring = #ingot<scoring sigmoid>, renormalize} : tensor<4x8xf32> -> tensor<5xi32>, tensor<?xi32>, tensor<?xf32>
  return
}

// -----

// rope with Llama 3 and YaRN frequency scaling.

// CHECK-LABEL: func @rope_scaled(
func.func @rope_scaled(%q: tensor<?x4x16xf32>, %pos: tensor<?xi32>)
    -> (tensor<?x4x16xf32>, tensor<?x4x16xf32>) {
  // CHECK: ingot.rope %{{.*}}, %{{.*}} {scaling = #ingot.rope_scaling<llama3, factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_position = 8192>, style = #ingot<rope_style neox>, theta = 5.000000e+05 : f32}
  // CHECK: ingot.rope %{{.*}}, %{{.*}} {rotary_dim = 8 : i64, scaling = #ingot.rope_scaling<yarn, factor = 4.000000e+00, original_max_position = 32768, beta_fast = 3.200000e+01, beta_slow = 1.000000e+00, attn_factor = 1.000000e+00>, style = #ingot<rope_style interleaved>, theta = 1.000000e+06 : f32}
  %a = ingot.rope %q, %pos {theta = 5.0e+05 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %b = ingot.rope %q, %pos {theta = 1.0e+06 : f32, style = #ingot<rope_style interleaved>, rotary_dim = 8 : i64, scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768>} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  return %a, %b : tensor<?x4x16xf32>, tensor<?x4x16xf32>
}

// -----

// rope with per-frequency divisors (GGUF's rope_freqs.weight).

// CHECK-LABEL: func @rope_freq_factors(
// CHECK-SAME: %[[Q:.*]]: tensor<?x4x16xf32>, %[[POS:.*]]: tensor<?xi32>, %[[F:.*]]: tensor<8xf32>
func.func @rope_freq_factors(%q: tensor<?x4x16xf32>, %pos: tensor<?xi32>, %f: tensor<8xf32>) -> tensor<?x4x16xf32> {
  // CHECK: ingot.rope %[[Q]], %[[POS]] freq_factors %[[F]] {style = #ingot<rope_style interleaved>, theta = 5.000000e+05 : f32} : tensor<?x4x16xf32>, tensor<?xi32>, tensor<8xf32> -> tensor<?x4x16xf32>
  %a = ingot.rope %q, %pos freq_factors %f {theta = 5.0e+05 : f32, style = #ingot<rope_style interleaved>} : tensor<?x4x16xf32>, tensor<?xi32>, tensor<8xf32> -> tensor<?x4x16xf32>
  return %a : tensor<?x4x16xf32>
}

// -----

// A boolean mask (i1 result) and select, with broadcasting.

// CHECK-LABEL: func @boolean_mask_select(
// CHECK-SAME: %[[QP:.*]]: tensor<?xi32>, %[[KP:.*]]: tensor<?xi32>, %[[S:.*]]: tensor<4x?x?xf32>, %[[NINF:.*]]: tensor<f32>)
func.func @boolean_mask_select(%qpos: tensor<?xi32>, %kpos: tensor<?xi32>, %s: tensor<4x?x?xf32>, %ninf: tensor<f32>) -> tensor<4x?x?xf32> {
  // CHECK: %[[M:.*]] = ingot.mask sliding_window %[[QP]], %[[KP]] {window = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
  // CHECK: %[[Y:.*]] = ingot.select %[[M]], %[[S]], %[[NINF]] : tensor<?x?xi1>, tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  // CHECK: return %[[Y]]
  %m = ingot.mask sliding_window %qpos, %kpos {window = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
  %y = ingot.select %m, %s, %ninf : tensor<?x?xi1>, tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  return %y : tensor<4x?x?xf32>
}

// -----

// ingot.hadamard: forward and inverse, on activations and on a weight matrix
// (the rotation of a weight is a compile-time constant).

// CHECK-LABEL: func @hadamard(
func.func @hadamard(%x: tensor<?x3x64xf32>, %w: tensor<576x2x64xf16>) -> (tensor<?x3x64xf32>, tensor<576x2x64xf16>) {
  // CHECK: %[[R:.*]] = ingot.hadamard %{{.*}} {seed = 42 : i64} : tensor<?x3x64xf32>
  // CHECK: ingot.hadamard %[[R]] {inverse, seed = 42 : i64} : tensor<?x3x64xf32>
  // CHECK: ingot.hadamard %{{.*}} {seed = 0 : i64} : tensor<576x2x64xf16>
  %r = ingot.hadamard %x {seed = 42 : i64} : tensor<?x3x64xf32>
  %y = ingot.hadamard %r {seed = 42 : i64, inverse} : tensor<?x3x64xf32>
  %v = ingot.hadamard %w {seed = 0 : i64} : tensor<576x2x64xf16>
  return %y, %v : tensor<?x3x64xf32>, tensor<576x2x64xf16>
}

// -----

// A weight folded at compile time carries its values: a dense_resource blob
// (printed once, in the resource section) or a dense literal, f32 whatever
// the declared element type.
// CHECK: ingot.weight_decl @v.folded : tensor<2xf16> {value = dense_resource<v.folded> : tensor<2xf32>}
// CHECK: ingot.weight_decl @small : tensor<2xf32> {value = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}
// CHECK: v.folded: "0x040000000000803F00000040"
ingot.weight_decl @v.folded : tensor<2xf16> {value = dense_resource<v.folded> : tensor<2xf32>}
ingot.weight_decl @small : tensor<2xf32> {value = dense<[1.0, 2.0]> : tensor<2xf32>}
{-#
  dialect_resources: {
    builtin: {
      v.folded: "0x040000000000803F00000040"
    }
  }
#-}
