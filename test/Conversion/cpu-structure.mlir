// The CPU lowering around the ops: views are free, the logits of a step
// are its last row unless all rows are asked for, and logits that no
// matmul writes in place (a soft-cap after the head) are copied into the
// caller's buffer, only the asked rows.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<16x8xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x8xf32>
    %x = ingot.embedding %e, %ids : tensor<16x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
    %x3 = ingot.reshape %x : tensor<?x8xf32> -> tensor<?x2x4xf32>
    %t = ingot.tanh %x3 : tensor<?x2x4xf32>
    %x2 = ingot.reshape %t : tensor<?x2x4xf32> -> tensor<?x8xf32>
    %l = ingot.matmul %x2, %e transpose_b : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    %c = ingot.tanh %l : tensor<?x16xf32>
    return %c : tensor<?x16xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK:      call void @ingot_uk_embedding(ptr [[X:%[0-9]+]],
// The reshape is the embedding's buffer: tanh reads it (tokens x 2 x 4).
// CHECK:      call void @ingot_uk_unary(ptr [[T:%[0-9]+]], ptr [[X]], i64 {{%[0-9]+}}, i32 4,
// All rows of the head go to the arena (the soft-cap reads them)...
// CHECK:      call void @ingot_uk_matmul(ptr [[L:%[0-9]+]], ptr [[T]], ptr {{%[0-9]+}}, ptr null, i64 %n, i64 16, i64 8,
// CHECK:      call void @ingot_uk_unary(ptr [[C:%[0-9]+]], ptr [[L]], i64 {{%[0-9]+}}, i32 4,
// CHECK-NEXT: call void @ingot_uk_barrier
// ...and the asked rows of the result are copied out: the last one
// (offset (n - 1) x 16 floats, 64 bytes) unless %all_logits.
// CHECK-NEXT: [[ALL:%[0-9]+]] = icmp ne i64 %all_logits, 0
// CHECK-NEXT: [[LAST:%[0-9]+]] = sub i64 %n, 1
// CHECK-NEXT: [[OFF:%[0-9]+]] = mul i64 [[LAST]], 16
// CHECK-NEXT: [[ROW:%[0-9]+]] = getelementptr inbounds float, ptr [[C]], i64 [[OFF]]
// CHECK-NEXT: [[SRC:%[0-9]+]] = select i1 [[ALL]], ptr [[C]], ptr [[ROW]]
// CHECK-NEXT: [[ROWS:%[0-9]+]] = select i1 [[ALL]], i64 %n, i64 1
// CHECK-NEXT: [[BYTES:%[0-9]+]] = mul i64 [[ROWS]], 64
// CHECK-NEXT: call void @ingot_uk_copy(ptr %logits, ptr [[SRC]], i64 [[BYTES]], i32 %ith, i32 %nth)
// CHECK-NEXT: ret void
