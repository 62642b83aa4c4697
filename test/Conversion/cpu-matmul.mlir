// The CPU lowering of products by weights. On an AVX2 CPU, Q4_0 matrices
// whose rows come in multiples of 8 are repacked 8 rows interleaved
// (INGOT_W_Q4_0X8 = 15), others stay in rows (INGOT_W_Q4_0 = 4). The
// projections of one input share one ingot_uk_matmul_multi call only when
// their packed formats agree: q alone, then k and v together.
// RUN: ingotc %s --random-weights=1 --cpu=x86-64-v3 --emit=llvm --kernel-calls-only -o - | FileCheck %s
// Without AVX2 nothing is repacked: q, k and v are one call.
// RUN: ingotc %s --random-weights=1 --cpu=x86-64 --emit=llvm --kernel-calls-only -o - | FileCheck %s --check-prefix=BASE

module {
  ingot.weight_decl @emb : tensor<16x32xf32>
  ingot.weight_decl @wq : tensor<32x32xf32, #ingot.block<q4_0>>
  ingot.weight_decl @wk : tensor<4x32xf32, #ingot.block<q4_0>>
  ingot.weight_decl @wv : tensor<4x32xf32, #ingot.block<q4_0>>
  ingot.weight_decl @wg : tensor<8x32xf32>
  ingot.weight_decl @bg : tensor<8xf32>
  ingot.weight_decl @wu : tensor<8x32xf32>
  ingot.weight_decl @wt : tensor<8x32xf32>
  ingot.weight_decl @wo : tensor<32x4xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x32xf32>
    %x = ingot.embedding %e, %ids : tensor<16x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
    %wq = ingot.weight @wq : tensor<32x32xf32, #ingot.block<q4_0>>
    %q = ingot.matmul %x, %wq transpose_b : tensor<?x32xf32>, tensor<32x32xf32, #ingot.block<q4_0>> -> tensor<?x32xf32>
    %wk = ingot.weight @wk : tensor<4x32xf32, #ingot.block<q4_0>>
    %k = ingot.matmul %x, %wk transpose_b : tensor<?x32xf32>, tensor<4x32xf32, #ingot.block<q4_0>> -> tensor<?x4xf32>
    %wv = ingot.weight @wv : tensor<4x32xf32, #ingot.block<q4_0>>
    %v = ingot.matmul %x, %wv transpose_b : tensor<?x32xf32>, tensor<4x32xf32, #ingot.block<q4_0>> -> tensor<?x4xf32>
    %kv = ingot.add %k, %v : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %wg = ingot.weight @wg : tensor<8x32xf32>
    %bg = ingot.weight @bg : tensor<8xf32>
    %g = ingot.matmul %q, %wg transpose_b bias %bg : tensor<?x32xf32>, tensor<8x32xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %wu = ingot.weight @wu : tensor<8x32xf32>
    %u = ingot.matmul %q, %wu transpose_b : tensor<?x32xf32>, tensor<8x32xf32> -> tensor<?x8xf32>
    %h = ingot.mul %g, %u : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %wt = ingot.weight @wt : tensor<8x32xf32>
    %y = ingot.matmul %h, %wt : tensor<?x8xf32>, tensor<8x32xf32> -> tensor<?x32xf32>
    %wo = ingot.weight @wo : tensor<32x4xf32>
    %o = ingot.matmul %kv, %wo transpose_b : tensor<?x4xf32>, tensor<32x4xf32> -> tensor<?x32xf32>
    %yo = ingot.add %y, %o : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
    %l = ingot.matmul %yo, %e transpose_b : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
    return %l : tensor<?x16xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK:      call void @ingot_uk_embedding(ptr [[X:%[0-9]+]], ptr %tokens, i64 %n, ptr {{%[0-9]+}}, i64 16, i64 32, i32 0, i32 0,
// q alone: N = 32, K = 32, Q4_0X8.
// CHECK:      call void @ingot_uk_matmul(ptr [[Q:%[0-9]+]], ptr [[X]], ptr {{%[0-9]+}}, ptr null, i64 %n, i64 32, i64 32, i32 15, i32 0,
// CHECK-NEXT: call void @ingot_uk_barrier
// k and v: 4 outputs each, in rows; the third slot empty.
// CHECK-NOT:  call
// CHECK:      call void @ingot_uk_matmul_multi(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 4, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 4, ptr null, ptr null, ptr null, i64 0, ptr [[X]], i64 %n, i64 32, i32 4, i32 0,
// CHECK-NEXT: call void @ingot_uk_barrier
// BASE:       call void @ingot_uk_matmul_multi({{.*}}, i64 32, {{.*}}, i64 4, {{.*}}, i64 4, ptr {{%[0-9]+}}, i64 %n, i64 32, i32 4, i32 0,
// CHECK:      call void @ingot_uk_binary(
// CHECK-NEXT: call void @ingot_uk_barrier
// gate (with its bias) and up of one input: one call, f32.
// CHECK:      call void @ingot_uk_matmul_multi(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr [[BG:%[0-9]+]], i64 8, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 8, ptr null, ptr null, ptr null, i64 0, ptr [[Q]], i64 %n, i64 32, i32 0, i32 0,
// CHECK:      call void @ingot_uk_binary(
// An untransposed [8, 32] weight is packed transposed: N = 32, K = 8.
// CHECK:      call void @ingot_uk_matmul(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 %n, i64 32, i64 8, i32 0, i32 0,
// CHECK:      call void @ingot_uk_matmul(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 %n, i64 32, i64 4, i32 0, i32 0,
// CHECK:      call void @ingot_uk_binary(
// The tied head reads the embedding table in rows (f32 here).
// CHECK:      call void @ingot_uk_matmul(ptr %logits, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 {{%[0-9]+}}, i64 16, i64 32, i32 0, i32 0,
