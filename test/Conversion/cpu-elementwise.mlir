// The CPU lowering of norms and elementwise ops: each op one ukernel call
// with its constant sizes and kind, then a barrier.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s
// RUN: ingotc %s --random-weights=1 --numerics=ggml --kv-cache=f32 --emit=llvm --kernel-calls-only -o - | FileCheck %s --check-prefix=GGML

module {
  ingot.weight_decl @emb : tensor<16x8xf32>
  ingot.weight_decl @nw : tensor<8xf32>
  ingot.weight_decl @nb : tensor<8xf32>
  ingot.weight_decl @row : tensor<8xf32>
  ingot.weight_decl @col : tensor<1x4xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x8xf32>
    %nw = ingot.weight @nw : tensor<8xf32>
    %nb = ingot.weight @nb : tensor<8xf32>
    %row = ingot.weight @row : tensor<8xf32>
    %col = ingot.weight @col : tensor<1x4xf32>
    %x = ingot.embedding %e, %ids : tensor<16x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
    %a = ingot.rms_norm %x, %nw {eps = 1.0e-05 : f32} : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %b = ingot.layer_norm %a, %nw, %nb {eps = 1.0e-05 : f32} : tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %s = ingot.silu %a : tensor<?x8xf32>
    %g = ingot.mul %s, %b : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %t = ingot.gelu %g approximate : tensor<?x8xf32>
    %u = ingot.mul %b, %t : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %r = ingot.add %row, %u : tensor<8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %x3 = ingot.reshape %r : tensor<?x8xf32> -> tensor<?x2x4xf32>
    %c = ingot.matmul %x3, %col transpose_b : tensor<?x2x4xf32>, tensor<1x4xf32> -> tensor<?x2x1xf32>
    %d = ingot.div %x3, %c : tensor<?x2x4xf32>, tensor<?x2x1xf32> -> tensor<?x2x4xf32>
    %h = ingot.hadamard %d {seed = 3 : i64} : tensor<?x2x4xf32>
    %n = ingot.neg %h : tensor<?x2x4xf32>
    %cl = ingot.clamp %n [-0.5, 0.5] : tensor<?x2x4xf32>
    %f = ingot.reshape %cl : tensor<?x2x4xf32> -> tensor<?x8xf32>
    %l = ingot.matmul %f, %e transpose_b : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    return %l : tensor<?x16xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK:      call void @ingot_uk_embedding(ptr [[X:%[0-9]+]], ptr %tokens, i64 %n, ptr {{%[0-9]+}}, i64 16, i64 8, i32 0, i32 0, i32 %ith, i32 %nth)
// CHECK-NEXT: call void @ingot_uk_barrier(ptr %sync, i32 %nth)
// rms_norm(y, x, weight, rows, cols, eps)
// CHECK:      call void @ingot_uk_rms_norm(ptr [[A:%[0-9]+]], ptr [[X]], ptr {{%[0-9]+}}, i64 %n, i64 8, float 0x3EE4F8B580000000, i32 %ith, i32 %nth)
// GGML:       call void @ingot_uk_rms_norm_ggml(
// CHECK-NEXT: call void @ingot_uk_barrier
// CHECK:      call void @ingot_uk_layer_norm(ptr [[B:%[0-9]+]], ptr [[A]], ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, i64 %n, i64 8, float 0x3EE4F8B580000000,
// silu(a) * b: one call (INGOT_EW_SILU_MUL = 5; GGML's exp: 8).
// CHECK:      call void @ingot_uk_binary(ptr [[G:%[0-9]+]], ptr [[A]], ptr [[B]], i64 %n, i64 8, i64 %n, i64 8, i32 5, i32 %ith, i32 %nth)
// GGML:       call void @ingot_uk_binary({{.*}}, i32 8, i32 %ith, i32 %nth)
// b * gelu_tanh(g): the activation on the right is the gate (7).
// CHECK:      call void @ingot_uk_binary(ptr [[U:%[0-9]+]], ptr [[G]], ptr [[B]], i64 %n, i64 8, i64 %n, i64 8, i32 7,
// row + u: the constant row on the left is the broadcast operand, one row
// of 8 (INGOT_EW_ADD = 0).
// CHECK:      call void @ingot_uk_binary(ptr [[R:%[0-9]+]], ptr [[U]], ptr {{%[0-9]+}}, i64 %n, i64 8, i64 1, i64 8, i32 0,
// A [?, 2, 4] matmul: 2 rows per token.
// CHECK:      [[M2:%[0-9]+]] = mul i64 %n, 2
// CHECK:      call void @ingot_uk_matmul(ptr [[C:%[0-9]+]], ptr [[R]], ptr {{%[0-9]+}}, ptr null, i64 [[M2]], i64 1, i64 4, i32 0, i32 0,
// x3 / c: a column (1 per row) broadcast (INGOT_EW_DIV = 3).
// CHECK:      call void @ingot_uk_binary(ptr [[D:%[0-9]+]], ptr [[R]], ptr [[C]], i64 {{%[0-9]+}}, i64 4, i64 {{%[0-9]+}}, i64 1, i32 3,
// hadamard(y, x, rows, D, signs, inverse)
// CHECK:      call void @ingot_uk_hadamard(ptr [[H:%[0-9]+]], ptr [[D]], i64 {{%[0-9]+}}, i64 4, ptr @hadamard.signs.{{[0-9]+}}, i32 0,
// neg: rows x 4 elements (INGOT_UN_NEG = 6).
// CHECK:      [[NC:%[0-9]+]] = mul i64 {{%[0-9]+}}, 4
// CHECK-NEXT: call void @ingot_uk_unary(ptr [[N:%[0-9]+]], ptr [[H]], i64 [[NC]], i32 6,
// CHECK:      call void @ingot_uk_clamp(ptr {{%[0-9]+}}, ptr [[N]], i64 {{%[0-9]+}}, float -5.000000e-01, float 5.000000e-01,
// CHECK:      call void @ingot_uk_matmul(ptr %logits,
// CHECK:      ret void
