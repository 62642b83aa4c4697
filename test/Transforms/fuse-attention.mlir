// RUN: ingot-opt %s --ingot-fuse-attention --split-input-file | FileCheck %s

// Grouped-query attention (4 query heads over 2 key/value heads) with the
// KV cache, as the frontend emits it: one ingot.attention on the new
// entries, the updated caches returned in place of the kv_write results,
// and the whole chain erased.
// CHECK-LABEL: func.func @gqa_causal
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[VC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[S:.*]]: index
// CHECK-NOT:     ingot.kv_read
// CHECK:         %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[S]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
// CHECK-NOT:     ingot.
// CHECK:         return %[[O]], %[[KC1]], %[[VC1]]
func.func @gqa_causal(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
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
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// A sliding-window mask keeps its kind and window.
// CHECK-LABEL: func.func @sliding_window
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[VC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[S:.*]]: index
// CHECK-NOT:     ingot.kv_read
// CHECK:         %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[S]] {mask = #ingot<mask_kind sliding_window>, scale = 2.500000e-01 : f32, window = 4 : i64} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
// CHECK-NOT:     ingot.
// CHECK:         return %[[O]], %[[KC1]], %[[VC1]]
func.func @sliding_window(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
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
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask sliding_window %qpos, %kpos {window = 4 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// One query head per key/value head: no reshape/broadcast expansion.
// CHECK-LABEL: func.func @mha_no_expand
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x2x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[KC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[VC:.*]]: !ingot.kv_cache<256x2x16xf32>, %[[S:.*]]: index
// CHECK-NOT:     ingot.kv_read
// CHECK:         %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[S]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
// CHECK-NOT:     ingot.
// CHECK:         return %[[O]], %[[KC1]], %[[VC1]]
func.func @mha_no_expand(%q: tensor<?x2x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %n = arith.addi %start, %t : index
  %qpos = ingot.iota %t offset %start : tensor<?xi32>
  %kpos = ingot.iota %n : tensor<?xi32>
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %pk, %knew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<2x?x?xf32>, tensor<?x?xf32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out, %kc1, %vc1 : tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// No cache: queries and keys both at iota(t); the fused op has no cache.
// CHECK-LABEL: func.func @no_cache
// CHECK-SAME:    (%[[Q:.*]]: tensor<?x2x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>)
// CHECK:         %[[O:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
// CHECK-NOT:     ingot.
// CHECK:         return %[[O]]
func.func @no_cache(%q: tensor<?x2x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %pos = ingot.iota %t : tensor<?xi32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask causal %pos, %pos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<2x?x?xf32>, tensor<?x?xf32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out : tensor<?x2x16xf32>
}

// -----

// Negative: the scale is a function argument, not a splat constant, so
// ingot.attention's constant scale cannot express it.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @scale_not_constant(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index, %scale: tensor<f32>) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
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
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %ss = ingot.mul %s, %scale : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: softmax over axis 0 (across heads) is not attention.
// CHECK-LABEL: func.func @softmax_axis_0
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @softmax_axis_0(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
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
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = 0 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: the key cache is written at another position than the one
// the mask and kv_read use, so the fused op's single position is wrong.
// CHECK-LABEL: func.func @write_position_differs
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @write_position_differs(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index, %other: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %n = arith.addi %start, %t : index
  %qpos = ingot.iota %t offset %start : tensor<?xi32>
  %kpos = ingot.iota %n : tensor<?xi32>
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %pk, %knew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %other : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: the concat puts the new keys before the past ones.
// CHECK-LABEL: func.func @concat_reversed
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @concat_reversed(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %n = arith.addi %start, %t : index
  %qpos = ingot.iota %t offset %start : tensor<?xi32>
  %kpos = ingot.iota %n : tensor<?xi32>
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %knew, %pk {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: the updated key cache is read before the attention's root, so
// the fused op, placed at the root, could not define it there.
// CHECK-LABEL: func.func @cache_used_early
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @cache_used_early(%q: tensor<?x2x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index) -> (tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %n = arith.addi %start, %t : index
  %qpos = ingot.iota %t offset %start : tensor<?xi32>
  %kpos = ingot.iota %n : tensor<?xi32>
  %pk = ingot.kv_read %kc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %k = ingot.concat %pk, %knew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %knew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %early = ingot.kv_read %kc1, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %pv = ingot.kv_read %vc, %start : !ingot.kv_cache<256x2x16xf32> -> tensor<?x2x16xf32>
  %v = ingot.concat %pv, %vnew {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %vc1 = ingot.kv_write %vc, %vnew, %start : !ingot.kv_cache<256x2x16xf32>, tensor<?x2x16xf32>
  %qx = ingot.add %q, %early : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %qh = ingot.transpose %qx [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %kh = ingot.transpose %k [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %vh = ingot.transpose %v [1, 0, 2] : tensor<?x2x16xf32> -> tensor<2x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<2x?x16xf32>, tensor<2x?x16xf32> -> tensor<2x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<2x?x?xf32>, tensor<f32> -> tensor<2x?x?xf32>
  %m = ingot.mask causal %qpos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %sm = ingot.add %ss, %m : tensor<2x?x?xf32>, tensor<?x?xf32> -> tensor<2x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<2x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<2x?x?xf32>, tensor<2x?x16xf32> -> tensor<2x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<2x?x16xf32> -> tensor<?x2x16xf32>
  return %out, %kc1, %vc1 : tensor<?x2x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}

// -----

// Negative: the mask is a function argument, not an ingot.mask over the
// step's positions, so its kind is unknown.
// CHECK-LABEL: func.func @mask_argument
// CHECK-NOT:     ingot.attention
// CHECK:         ingot.softmax
// CHECK-NOT:     ingot.attention
// CHECK:         return
func.func @mask_argument(%q: tensor<?x4x16xf32>, %knew: tensor<?x2x16xf32>, %vnew: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<256x2x16xf32>, %vc: !ingot.kv_cache<256x2x16xf32>, %start: index, %m: tensor<?x?xf32>) -> (tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>) {
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
  %k4 = ingot.reshape %k : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %kw = ingot.broadcast %k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ke = ingot.reshape %kw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %v4 = ingot.reshape %v : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %vw = ingot.broadcast %v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %ve = ingot.reshape %vw : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %qh = ingot.transpose %q [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %kh = ingot.transpose %ke [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %vh = ingot.transpose %ve [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %s = ingot.matmul %qh, %kh transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %c = ingot.constant dense<2.500000e-01> : tensor<f32>
  %ss = ingot.mul %s, %c : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %sm = ingot.add %ss, %m : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %o = ingot.matmul %p, %vh : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %out = ingot.transpose %o [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  return %out, %kc1, %vc1 : tensor<?x4x16xf32>, !ingot.kv_cache<256x2x16xf32>, !ingot.kv_cache<256x2x16xf32>
}
