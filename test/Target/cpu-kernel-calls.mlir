// The CPU lowering: one ukernel call per op with the model's constant
// shapes, a barrier after each; q/k/v projections of one input share one
// call; the logits matmul writes the caller's buffer, only the last row
// unless all are asked for.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<32x32xf32>
  ingot.weight_decl @wq : tensor<32x32xf32>
  ingot.weight_decl @wk : tensor<16x32xf32>
  ingot.weight_decl @wv : tensor<16x32xf32>
  ingot.weight_decl @norm : tensor<32xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index, %kc: !ingot.kv_cache<64x2x8xf32>, %vc: !ingot.kv_cache<64x2x8xf32>) -> (tensor<?x32xf32>, !ingot.kv_cache<64x2x8xf32>, !ingot.kv_cache<64x2x8xf32>) {
    %e = ingot.weight @emb : tensor<32x32xf32>
    %wq = ingot.weight @wq : tensor<32x32xf32>
    %wk = ingot.weight @wk : tensor<16x32xf32>
    %wv = ingot.weight @wv : tensor<16x32xf32>
    %nw = ingot.weight @norm : tensor<32xf32>
    %x = ingot.embedding %e, %ids : tensor<32x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
    %q = ingot.matmul %x, %wq transpose_b : tensor<?x32xf32>, tensor<32x32xf32> -> tensor<?x32xf32>
    %k = ingot.matmul %x, %wk transpose_b : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
    %v = ingot.matmul %x, %wv transpose_b : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
    %q3 = ingot.reshape %q : tensor<?x32xf32> -> tensor<?x4x8xf32>
    %k3 = ingot.reshape %k : tensor<?x16xf32> -> tensor<?x2x8xf32>
    %v3 = ingot.reshape %v : tensor<?x16xf32> -> tensor<?x2x8xf32>
    %o, %kc2, %vc2 = ingot.attention %q3, %k3, %v3 cache(%kc, %vc) at %start {mask = #ingot<mask_kind causal>, scale = 0.35 : f32} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, !ingot.kv_cache<64x2x8xf32>, !ingot.kv_cache<64x2x8xf32> -> tensor<?x4x8xf32>, !ingot.kv_cache<64x2x8xf32>, !ingot.kv_cache<64x2x8xf32>
    %o2 = ingot.reshape %o : tensor<?x4x8xf32> -> tensor<?x32xf32>
    %h = ingot.add %x, %o2 : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
    %n = ingot.rms_norm %h, %nw {eps = 1.0e-5 : f32} : tensor<?x32xf32>, tensor<32xf32> -> tensor<?x32xf32>
    %logits = ingot.matmul %n, %e transpose_b : tensor<?x32xf32>, tensor<32x32xf32> -> tensor<?x32xf32>
    return %logits, %kc2, %vc2 : tensor<?x32xf32>, !ingot.kv_cache<64x2x8xf32>, !ingot.kv_cache<64x2x8xf32>
  }
}

// The descriptor: ABI version 1, vocabulary 32, context 64, batch 256.
// CHECK-LABEL: @ingot_model_model = constant %struct.ingot_model_desc { i64 2, ptr @ingot.name, ptr @ingot.arch, i64 32, i64 64, i64 256,
// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK-SAME: (ptr noalias align 4 %tokens, i64 %n, i64 %start, ptr noalias align 64 %logits, i64 %all_logits, ptr noalias align 64 %arena, ptr noalias align 64 %kv, i64 %kv_ctx, ptr noalias align 64 %weights, ptr noalias align 64 %sync, i32 %ith, i32 %nth)
// The value cache sits after the key cache: kv + kv_ctx * 64 bytes.
// CHECK: mul i64 %kv_ctx, 64
// CHECK: call void @ingot_uk_embedding(ptr {{.*}}, ptr %tokens, i64 %n, ptr {{.*}}, i64 32, i64 32, i32 0, i32 0, i32 %ith, i32 %nth)
// CHECK-NEXT: call void @ingot_uk_barrier(ptr %sync, i32 %nth)
// q, k and v in one call: N = 32, 16, 16 of K = 32.
// CHECK: call void @ingot_uk_matmul_multi({{.*}}, i64 32, {{.*}}, i64 16, {{.*}}, i64 16, ptr {{.*}}, i64 %n, i64 32, i32 0, i32 0,
// CHECK-NEXT: call void @ingot_uk_barrier
// CHECK: call void @ingot_uk_attention({{.*}}, i64 %n, i64 %start, i64 4, i64 2, i64 8, float {{.*}}, i32 1, i64 0, float 0.000000e+00, i32 0, i32 0, ptr null, ptr null,
// CHECK: call void @ingot_uk_binary({{.*}}, i64 32, {{.*}}, i64 32, i32 0,
// CHECK: call void @ingot_uk_rms_norm(
// The logits: straight into %logits, the last row unless %all_logits.
// CHECK: %[[ALL:.*]] = icmp ne i64 %all_logits, 0
// CHECK: %[[X:.*]] = select i1 %[[ALL]], ptr
// CHECK: %[[M:.*]] = select i1 %[[ALL]], i64 %{{.*}}, i64 1
// CHECK: call void @ingot_uk_matmul(ptr %logits, ptr %[[X]], ptr {{.*}}, ptr null, i64 %[[M]], i64 32, i64 32, i32 0, i32 0,
// CHECK: ret void
