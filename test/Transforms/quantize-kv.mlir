// Structure of --ingot-quantize-kv on fused attention ops, one RUN per
// encoding choice; each case is a layer's value projection, attention and
// output projection.
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=f16 values=bf16" | FileCheck %s --check-prefix=PLAIN
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=q8 values=q4" | FileCheck %s --check-prefix=BLOCK
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=tq4 values=tq4 seed=7" | FileCheck %s --check-prefix=TQ
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=q8 values=tq3" | FileCheck %s --check-prefix=MIX
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=tq3" | FileCheck %s --check-prefix=KONLY
// No encoding given: nothing changes.
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv | FileCheck %s --check-prefix=NONE

// Float weights: every rotation of V folds into them.

// PLAIN-LABEL: func @plain(
// PLAIN-SAME: !ingot.kv_cache<256x2x16xf16>, %{{.*}}: !ingot.kv_cache<256x2x16xbf16>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf16>, !ingot.kv_cache<256x2x16xbf16>)
// PLAIN-NOT: ingot.hadamard
// PLAIN: ingot.attention {{.*}} -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf16>, !ingot.kv_cache<256x2x16xbf16>
// PLAIN-NOT: ingot.hadamard
// PLAIN: return

// BLOCK-LABEL: func @plain(
// BLOCK-SAME: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<q8>>, %{{.*}}: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<q4>>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<q8>>, !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<q4>>)
// BLOCK-NOT: ingot.hadamard
// BLOCK: ingot.attention
// BLOCK-NOT: ingot.hadamard
// BLOCK: return

// TQ-LABEL: func @plain(
// TQ-SAME: %[[H:[^:]*]]: tensor<?x64xf32>, %[[Q:[^:]*]]: tensor<?x4x16xf32>, %[[K:[^:]*]]: tensor<?x2x16xf32>
// TQ-SAME: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>>, %{{.*}}: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>>, !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq4>>)
// TQ: %[[WV:.*]] = ingot.weight @plain_wv : tensor<32x64xf32>
// TQ: %[[WVT:.*]] = ingot.transpose %[[WV]] [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
// TQ: %[[WV3:.*]] = ingot.reshape %[[WVT]] : tensor<64x32xf32> -> tensor<64x2x16xf32>
// TQ: %[[WVR:.*]] = ingot.hadamard %[[WV3]] {seed = 7 : i64} : tensor<64x2x16xf32>
// TQ: %[[WV2:.*]] = ingot.reshape %[[WVR]] : tensor<64x2x16xf32> -> tensor<64x32xf32>
// TQ: %[[V2:.*]] = ingot.matmul %[[H]], %[[WV2]] : tensor<?x64xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
// TQ: %[[V:.*]] = ingot.reshape %[[V2]]
// TQ: %[[QR:.*]] = ingot.hadamard %[[Q]] {seed = 7 : i64} : tensor<?x4x16xf32>
// TQ: %[[KR:.*]] = ingot.hadamard %[[K]] {seed = 7 : i64} : tensor<?x2x16xf32>
// TQ: %[[O:.*]], %{{.*}}, %{{.*}} = ingot.attention %[[QR]], %[[KR]], %[[V]] cache
// TQ-NOT: inverse
// TQ: %[[O2:.*]] = ingot.reshape %[[O]]
// TQ: %[[WO:.*]] = ingot.weight @plain_wo : tensor<64x64xf32>
// TQ: %[[WO3:.*]] = ingot.reshape %[[WO]] : tensor<64x64xf32> -> tensor<64x4x16xf32>
// TQ: %[[WOR:.*]] = ingot.hadamard %[[WO3]] {seed = 7 : i64} : tensor<64x4x16xf32>
// TQ: %[[WO2:.*]] = ingot.reshape %[[WOR]] : tensor<64x4x16xf32> -> tensor<64x64xf32>
// TQ: ingot.matmul %[[O2]], %[[WO2]] transpose_b
// TQ-NOT: ingot.hadamard
// TQ: return

// V in tq3, K in q8: only V is rotated (folded), queries and keys are not.
// MIX-LABEL: func @plain(
// MIX-SAME: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<q8>>, %{{.*}}: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq3>>)
// MIX: ingot.hadamard %{{.*}} {seed = 0 : i64} : tensor<64x2x16xf32>
// MIX-NOT: ingot.hadamard %{{.*}} : tensor<?x
// MIX: ingot.attention %arg1, %arg2,
// MIX: ingot.hadamard %{{.*}} {seed = 0 : i64} : tensor<64x4x16xf32>

// Keys only: queries and keys rotated, the value cache and V untouched.
// KONLY-LABEL: func @plain(
// KONLY-SAME: !ingot.kv_cache<256x2x16xf32, #ingot.kv_quant<tq3>>, %{{.*}}: !ingot.kv_cache<256x2x16xf32>)
// KONLY-NOT: tensor<64x2x16xf32>
// KONLY: ingot.hadamard %arg1 {seed = 0 : i64} : tensor<?x4x16xf32>
// KONLY: ingot.hadamard %arg2 {seed = 0 : i64} : tensor<?x2x16xf32>
// KONLY-NOT: ingot.hadamard
// KONLY: return

// NONE-LABEL: func @plain(
// NONE-SAME: %{{.*}}: !ingot.kv_cache<256x2x16xf32>, %{{.*}}: !ingot.kv_cache<256x2x16xf32>)
// NONE-NOT: ingot.hadamard
// NONE: return

ingot.weight_decl @plain_wv : tensor<32x64xf32>
ingot.weight_decl @plain_wo : tensor<64x64xf32>

// CHECK-LABEL: func @plain(
func.func @plain(%h: tensor<?x64xf32>, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %pos: index, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %wv = ingot.weight @plain_wv : tensor<32x64xf32>
  %v2 = ingot.matmul %h, %wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %v = ingot.reshape %v2 : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
  %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %wo = ingot.weight @plain_wo : tensor<64x64xf32>
  %y = ingot.matmul %o2, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %y, %kc1, %vc1 : tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}
// -----

// A value projection with a bias: the bias is rotated per head with the
// weight.

// TQ-LABEL: func @bias(
// TQ: %[[BV:.*]] = ingot.weight @bias_bv : tensor<32xf32>
// TQ: ingot.transpose
// TQ: %[[B2:.*]] = ingot.reshape %[[BV]] : tensor<32xf32> -> tensor<2x16xf32>
// TQ: %[[BR:.*]] = ingot.hadamard %[[B2]] {seed = 7 : i64} : tensor<2x16xf32>
// TQ: %[[B:.*]] = ingot.reshape %[[BR]] : tensor<2x16xf32> -> tensor<32xf32>
// TQ: ingot.matmul %{{.*}}, %{{.*}} bias %[[B]] : tensor<?x64xf32>, tensor<64x32xf32>, tensor<32xf32> -> tensor<?x32xf32>

ingot.weight_decl @bias_wv : tensor<32x64xf32>
ingot.weight_decl @bias_wo : tensor<64x64xf32>
ingot.weight_decl @bias_bv : tensor<32xf32>

// CHECK-LABEL: func @bias(
func.func @bias(%h: tensor<?x64xf32>, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %pos: index, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %wv = ingot.weight @bias_wv : tensor<32x64xf32>
  %bv = ingot.weight @bias_bv : tensor<32xf32>
  %v2 = ingot.matmul %h, %wv transpose_b bias %bv : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
  %v = ingot.reshape %v2 : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
  %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %wo = ingot.weight @bias_wo : tensor<64x64xf32>
  %y = ingot.matmul %o2, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %y, %kc1, %vc1 : tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}
// -----

// Quantized (block-encoded) projection weights: folding would re-quantize
// them, so V is rotated at run time before the attention and the output
// rotated back after it; the weights are read as they are.

// TQ-LABEL: func @quantized(
// TQ-NOT: ingot.transpose
// TQ: %[[V:.*]] = ingot.reshape
// TQ: %[[QR:.*]] = ingot.hadamard %arg1 {seed = 7 : i64}
// TQ: %[[KR:.*]] = ingot.hadamard %arg2 {seed = 7 : i64}
// TQ: %[[VR:.*]] = ingot.hadamard %[[V]] {seed = 7 : i64} : tensor<?x2x16xf32>
// TQ: %[[O:.*]], %{{.*}}, %{{.*}} = ingot.attention %[[QR]], %[[KR]], %[[VR]] cache
// TQ: %[[OB:.*]] = ingot.hadamard %[[O]] {inverse, seed = 7 : i64} : tensor<?x4x16xf32>
// TQ: ingot.reshape %[[OB]] : tensor<?x4x16xf32> -> tensor<?x64xf32>
// TQ: ingot.weight @quantized_wo : tensor<64x64xf32, #ingot.block<q8_0>>
// TQ-NOT: ingot.hadamard
// TQ: return

// MIX-LABEL: func @quantized(
// MIX-NOT: ingot.hadamard %arg
// MIX: ingot.hadamard %{{.*}} {seed = 0 : i64} : tensor<?x2x16xf32>
// MIX: ingot.attention %arg1, %arg2,
// MIX: ingot.hadamard %{{.*}} {inverse, seed = 0 : i64} : tensor<?x4x16xf32>

ingot.weight_decl @quantized_wv : tensor<32x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @quantized_wo : tensor<64x64xf32, #ingot.block<q8_0>>

// CHECK-LABEL: func @quantized(
func.func @quantized(%h: tensor<?x64xf32>, %q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %pos: index, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>) -> (tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %wv = ingot.weight @quantized_wv : tensor<32x64xf32, #ingot.block<q8_0>>
  %v2 = ingot.matmul %h, %wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %v = ingot.reshape %v2 : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
  %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %wo = ingot.weight @quantized_wo : tensor<64x64xf32, #ingot.block<q8_0>>
  %y = ingot.matmul %o2, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  return %y, %kc1, %vc1 : tensor<?x64xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}
// -----

// Attention without a cache has nothing to encode: left as it is, without
// rotations.

// TQ-LABEL: func @no_cache(
// TQ-NOT: ingot.hadamard
// TQ: return
func.func @no_cache(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x4x16xf32> {
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  return %o : tensor<?x4x16xf32>
}
