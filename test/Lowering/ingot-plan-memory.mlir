// RUN: ingot-opt %s --ingot-plan-memory=max-batch=4 --split-input-file | FileCheck %s
// RUN: not ingot-opt %s --ingot-plan-memory=max-batch=0 --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: max-batch must be >= 1

ingot.weight_decl @w : tensor<16xf32>
ingot.weight_decl @out : tensor<32x16xf32>

// A chain of 4 x 16 floats (256 bytes each): b cannot share a's buffer
// (a is read by b), c reuses a's once a is dead; the reshape is a view that
// keeps b alive until c reads it. The head writes the caller's buffer.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    attributes {ingot.activation_bytes = 512 : i64}
// CHECK:         ingot.weight @w
// CHECK-NOT:     ingot.buffers
// CHECK:         ingot.rms_norm {{.*}}ingot.buffers = [#ingot.buffer<offset = 0, bytes = 256, rows = 4>]
// CHECK:         ingot.silu {{.*}}ingot.buffers = [#ingot.buffer<offset = 256, bytes = 256, rows = 4>]
// CHECK:         ingot.reshape
// CHECK-NOT:     ingot.buffers
// CHECK:         ingot.neg {{.*}}ingot.buffers = [#ingot.buffer<offset = 0, bytes = 256, rows = 4>]
// CHECK:         ingot.matmul {{.*}}ingot.buffers = [#ingot.buffer<offset = -1, bytes = 0, rows = 4>]
func.func @chain(%x: tensor<?x16xf32>) -> tensor<?x32xf32> {
  %w = ingot.weight @w : tensor<16xf32>
  %a = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %b = ingot.silu %a : tensor<?x16xf32>
  %r = ingot.reshape %b : tensor<?x16xf32> -> tensor<?x4x4xf32>
  %c = ingot.neg %r : tensor<?x4x4xf32>
  %c2 = ingot.reshape %c : tensor<?x4x4xf32> -> tensor<?x16xf32>
  %o = ingot.weight @out : tensor<32x16xf32>
  %l = ingot.matmul %c2, %o transpose_b : tensor<?x16xf32>, tensor<32x16xf32> -> tensor<?x32xf32>
  return %l : tensor<?x32xf32>
}

// -----

// Routing: offsets have max-batch + 1 rows; (token, expert) pairs at most
// max-batch times k; sort and gather follow the pairs. Sizes round up to
// 64 bytes. The router weights are never read, so the sort reuses their
// buffer; the gather reuses everything but the token ids it reads. A
// returned value that no matmul computes stays in the arena.
// CHECK-LABEL: func.func @routing
// CHECK-SAME:    ingot.activation_bytes = 320 : i64
// CHECK:         ingot.route {{.*}}ingot.buffers = [#ingot.buffer<offset = 0, bytes = 64, rows = 5>, #ingot.buffer<offset = 64, bytes = 64, rows = 8>, #ingot.buffer<offset = 128, bytes = 64, rows = 8>]
// CHECK:         ingot.moe_sort {{.*}}ingot.buffers = [#ingot.buffer<offset = 128, bytes = 64, rows = 9>, #ingot.buffer<offset = 192, bytes = 64, rows = 8>, #ingot.buffer<offset = 256, bytes = 64, rows = 8>]
// CHECK:         ingot.gather_rows {{.*}}ingot.buffers = [#ingot.buffer<offset = 0, bytes = 256, rows = 8>]
func.func @routing(%logits: tensor<?x8xf32>, %x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %off, %ids, %wts = ingot.route %logits {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
  %g = ingot.gather_rows %x, %toks : tensor<?x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  return %g : tensor<?x8xf32>
}
