// RUN: ingot-opt %s --ingot-fuse-attention --split-input-file | FileCheck %s
// RUN: ingot-opt %s --ingot-fuse-attention="raise-softmax=true" --split-input-file | FileCheck %s --check-prefix=RAISE

// The variants of decomposed attention --ingot-fuse-attention recognizes
// beyond the frontend's own form (fuse-attention.mlir), and their near
// misses. Numerics: fuse-attention-variants-numerics.test.
// Scores divided by 4 (a scale of 1/4), a boolean causal mask applied with
// select(mask, scores, -inf), the max-subtracted softmax: one attention.
// CHECK-LABEL: func.func @div_scores_boolean_mask
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x2x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>)
// CHECK:         %[[O:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
// CHECK-NOT:     = ingot.
// CHECK:         return %[[O]]
func.func @div_scores_boolean_mask(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<4.000000e+00> : tensor<f32>
  %ss = ingot.div %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask causal %pos, %pos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
  %ninf = ingot.constant dense<0xFF800000> : tensor<f32>
  %sm = ingot.select %m, %ss, %ninf : tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %mx = ingot.reduce max %sm {axis = -1 : i64} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %d = ingot.sub %sm, %mx : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  %e = ingot.exp %d : tensor<2x?x?xf32>
  %z = ingot.reduce sum %e {axis = -1 : i64} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %p = ingot.div %e, %z : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// The scale on q before the head swap, a softcap 30 * tanh(s / 30), an
// additive sliding-window mask.
// CHECK-LABEL: func.func @scale_q_softcap_window
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x2x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>)
// CHECK:         %[[O:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] {mask = #ingot<mask_kind sliding_window>, scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32, window = 3 : i64}
// CHECK-NOT:     = ingot.
// CHECK:         return %[[O]]
func.func @scale_q_softcap_window(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %qs = ingot.mul %q, %c : tensor<?x2x16xf32>, tensor<f32> -> tensor<?x2x16xf32>
  %qh = ingot.transpose %qs [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %cap = ingot.constant dense<3.000000e+01> : tensor<f32>
  %t0 = ingot.div %s, %cap : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %t1 = ingot.tanh %t0 : tensor<2x?x?xf32>
  %sc = ingot.mul %t1, %cap : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask sliding_window %pos, %pos {window = 3 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %m, %sc : tensor<?x?xf32>, tensor<2x?x?xf32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// The scale split: q times 0.5 after the head swap, k divided by 2 after
// it; no mask at all (mask none).
// CHECK-LABEL: func.func @split_scale_no_mask
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x2x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>)
// CHECK:         %[[O:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] {mask = #ingot<mask_kind none>, scale = 2.500000e-01 : f32}
// CHECK-NOT:     = ingot.
// CHECK:         return %[[O]]
func.func @split_scale_no_mask(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %half = ingot.constant dense<5.000000e-01> : tensor<f32>
  %two = ingot.constant dense<2.000000e+00> : tensor<f32>
  %qh0 = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %qh = ingot.mul %half, %qh0 : tensor<f32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %kh0 = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.div %kh0, %two : tensor<2x?x16xf32>, tensor<f32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %s {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// GQA expanded heads first, after the head swap (like repeat_kv), the
// softcap as 50 * tanh(s * 0.02), a boolean mask made additive with
// select(mask, 0, -inf), with the KV cache.
// CHECK-LABEL: func.func @heads_first_gqa_softcap_bool_additive
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[VC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[S:.*]]: index
// CHECK-NOT:     ingot.kv_read
// CHECK:         %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[S]] {mask = #ingot<mask_kind causal>, scale = 1.250000e-01 : f32, softcap = 5.000000e+01 : f32}
// CHECK-NOT:     = ingot.
// CHECK:         return %[[O]], %[[KC1]], %[[VC1]]
func.func @heads_first_gqa_softcap_bool_additive(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %n = arith.addi %start, %t : index
  %qpos = ingot.iota %t offset %start : tensor<?xi32>
  %kpos = ingot.iota %n : tensor<?xi32>
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %pk, %knew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh2 = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %k4 = ingot.reshape %kh2 : tensor<2x?x16xf32> -> tensor<2x1x?x16xf32>
  %kw = ingot.broadcast %k4 : tensor<2x1x?x16xf32> -> tensor<2x2x?x16xf32>
  %kh = ingot.reshape %kw : tensor<2x2x?x16xf32> -> tensor<4x?x16xf32>
  %vh2 = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %v4 = ingot.reshape %vh2 : tensor<2x?x16xf32> -> tensor<2x1x?x16xf32>
  %vw = ingot.broadcast %v4 : tensor<2x1x?x16xf32> -> tensor<2x2x?x16xf32>
  %vh = ingot.reshape %vw : tensor<2x2x?x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<1.250000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %inv = ingot.constant dense<2.000000e-02> : tensor<f32>
  %cap = ingot.constant dense<5.000000e+01> : tensor<f32>
  %t0 = ingot.mul %inv, %ss : tensor<f32>, tensor<4x?x?xf32> -> tensor<4x?x?xf32>
  %t1 = ingot.tanh %t0 : tensor<4x?x?xf32>
  %sc = ingot.mul %cap, %t1 : tensor<f32>, tensor<4x?x?xf32> -> tensor<4x?x?xf32>
  %mb = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
  %zero = ingot.constant dense<0.000000e+00> : tensor<f32>
  %ninf = ingot.constant dense<0xFF800000> : tensor<f32>
  %m = ingot.select %mb, %zero, %ninf : tensor<?x?xi1>, tensor<f32>, tensor<f32> -> tensor<?x?xf32>
  %sm = ingot.add %sc, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// With the cache but no mask (every cached key visible: mask none, the
// position from kv_read), k divided by 4 before the head swap, GQA tokens
// first, the decomposed softmax (axis 2 and -1 both the last axis).
// CHECK-LABEL: func.func @cache_no_mask_decomposed
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[VC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[S:.*]]: index
// CHECK-NOT:     ingot.kv_read
// CHECK:         %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[S]] {mask = #ingot<mask_kind none>, scale = 2.500000e-01 : f32}
// CHECK-NOT:     = ingot.
// CHECK:         return %[[O]], %[[KC1]], %[[VC1]]
func.func @cache_no_mask_decomposed(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %n = arith.addi %start, %t : index
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %pk, %knew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %c4 = ingot.constant dense<4.000000e+00> : tensor<f32>
  %ks = ingot.div %k, %c4 : tensor<?x2x16xf32>, tensor<f32> -> tensor<?x2x16xf32>
  %ks4 = ingot.reshape %ks : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %ksw = ingot.broadcast %ks4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %kse = ingot.reshape %ksw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %kh = ingot.transpose %kse [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %mx = ingot.reduce max %s {axis = 2 : i64} : tensor<4x?x?xf32> -> tensor<4x?x1xf32>
  %d = ingot.sub %s, %mx : tensor<4x?x?xf32>, tensor<4x?x1xf32> -> tensor<4x?x?xf32>
  %e = ingot.exp %d : tensor<4x?x?xf32>
  %z = ingot.reduce sum %e {axis = -1 : i64} : tensor<4x?x?xf32> -> tensor<4x?x1xf32>
  %p = ingot.div %e, %z : tensor<4x?x?xf32>, tensor<4x?x1xf32> -> tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: select with a boolean mask that is a function argument, not an
// ingot.mask of positions: the op cannot express it.
// CHECK-LABEL: func.func @boolean_mask_argument
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.select
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @boolean_mask_argument(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %mask: tensor<?x?xi1>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %ninf = ingot.constant dense<0xFF800000> : tensor<f32>
  %sm = ingot.select %mask, %ss, %ninf : tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: the boolean mask replaces hidden scores by 0, not -inf: hidden
// keys keep a weight, so this is not a causal mask.
// CHECK-LABEL: func.func @select_not_masked_out
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.select
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @select_not_masked_out(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask causal %pos, %pos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xi1>
  %zero = ingot.constant dense<0.000000e+00> : tensor<f32>
  %sm = ingot.select %m, %ss, %zero : tensor<?x?xi1>, tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: tanh(s / 30) * 20 is not a softcap (the constants differ).
// CHECK-LABEL: func.func @softcap_mismatch
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.tanh
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @softcap_mismatch(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c30 = ingot.constant dense<3.000000e+01> : tensor<f32>
  %c20 = ingot.constant dense<2.000000e+01> : tensor<f32>
  %t0 = ingot.div %s, %c30 : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %t1 = ingot.tanh %t0 : tensor<2x?x?xf32>
  %sc = ingot.mul %t1, %c20 : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sc {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: a scale applied after the softcap, 0.5 * (30 * tanh(s / 30)),
// is not softcap(scale * s).
// CHECK-LABEL: func.func @scale_after_softcap
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.tanh
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @scale_after_softcap(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %cap = ingot.constant dense<3.000000e+01> : tensor<f32>
  %half = ingot.constant dense<5.000000e-01> : tensor<f32>
  %t0 = ingot.div %s, %cap : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %t1 = ingot.tanh %t0 : tensor<2x?x?xf32>
  %sc = ingot.mul %t1, %cap : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %ss = ingot.mul %sc, %half : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %ss {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: the scores divided by a function argument, not a constant.
// (q divided by an argument would fuse: q is then that quotient.)
// CHECK-LABEL: func.func @divide_scores_by_argument
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @divide_scores_by_argument(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %scale: tensor<f32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %ss = ingot.div %s, %scale : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %ss {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: the decomposed softmax sums over the query axis (1), not the
// keys: neither raised to ingot.softmax nor fused.
// CHECK-LABEL: func.func @decomposed_sum_wrong_axis
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.reduce sum %{{.*}} {axis = 1 : i64}
// CHECK-NOT:     ingot.attention
// CHECK-NOT:     ingot.softmax
// CHECK:         return
// RAISE-LABEL: func.func @decomposed_sum_wrong_axis
// RAISE-NOT:     ingot.softmax
// RAISE:         return
func.func @decomposed_sum_wrong_axis(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %mx = ingot.reduce max %s {axis = -1 : i64} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %d = ingot.sub %s, %mx : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  %e = ingot.exp %d : tensor<2x?x?xf32>
  %z = ingot.reduce sum %e {axis = 1 : i64} : tensor<2x?x?xf32> -> tensor<2x1x?xf32>
  %p = ingot.div %e, %z : tensor<2x?x?xf32>, tensor<2x1x?xf32> -> tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: the max subtracted is over axis 0 (across heads): not the
// max-subtracted softmax of the last axis.
// CHECK-LABEL: func.func @decomposed_max_wrong_axis
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.reduce max %{{.*}} {axis = 0 : i64}
// CHECK-NOT:     ingot.attention
// CHECK-NOT:     ingot.softmax
// CHECK:         return
func.func @decomposed_max_wrong_axis(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %mx = ingot.reduce max %s {axis = 0 : i64} : tensor<2x?x?xf32> -> tensor<1x?x?xf32>
  %d = ingot.sub %s, %mx : tensor<2x?x?xf32>, tensor<1x?x?xf32> -> tensor<2x?x?xf32>
  %e = ingot.exp %d : tensor<2x?x?xf32>
  %z = ingot.reduce sum %e {axis = -1 : i64} : tensor<2x?x?xf32> -> tensor<2x?x1xf32>
  %p = ingot.div %e, %z : tensor<2x?x?xf32>, tensor<2x?x1xf32> -> tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// A decomposed softmax outside attention: untouched by default, raised to
// ingot.softmax with raise-softmax=true.
// CHECK-LABEL: func.func @standalone_softmax
// CHECK-NOT:     ingot.softmax
// CHECK:         ingot.exp
// RAISE-LABEL: func.func @standalone_softmax
// RAISE-SAME:    (%[[X:.*]]: tensor<3x?xf32>)
// RAISE:         %[[P:.*]] = ingot.softmax %[[X]] {axis = -1 : i64} : tensor<3x?xf32>
// RAISE:         return %[[P]]
func.func @standalone_softmax(%x: tensor<3x?xf32>) -> tensor<3x?xf32> {
  %mx = ingot.reduce max %x {axis = 1 : i64} : tensor<3x?xf32> -> tensor<3x1xf32>
  %d = ingot.sub %x, %mx : tensor<3x?xf32>, tensor<3x1xf32> -> tensor<3x?xf32>
  %e = ingot.exp %d : tensor<3x?xf32>
  %z = ingot.reduce sum %e {axis = -1 : i64} : tensor<3x?xf32> -> tensor<3x1xf32>
  %p = ingot.div %e, %z : tensor<3x?xf32>, tensor<3x1xf32> -> tensor<3x?xf32>
  return %p : tensor<3x?xf32>
}
