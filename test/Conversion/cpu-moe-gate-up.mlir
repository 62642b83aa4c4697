// Two grouped products of the same rows and experts (an FFN's gate and
// up) run with no barrier between them: the second quantizes its rows into
// the scratch past the first's, so neither overwrites what the other reads.
// A third on other rows (down) ends with its barrier as usual.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<16x64xf32>
  ingot.weight_decl @router : tensor<4x64xf32>
  ingot.weight_decl @gate : tensor<4x32x64xf32>
  ingot.weight_decl @up : tensor<4x32x64xf32>
  ingot.weight_decl @down : tensor<4x64x32xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x64xf32>
    %x = ingot.embedding %e, %ids : tensor<16x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
    %wr = ingot.weight @router : tensor<4x64xf32>
    %r = ingot.matmul %x, %wr transpose_b : tensor<?x64xf32>, tensor<4x64xf32> -> tensor<?x4xf32>
    %off, %ex, %wts = ingot.route %r {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    %eoff, %pairs, %toks = ingot.moe_sort %off, %ex {num_experts = 4 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<5xi32>, tensor<?xi32>, tensor<?xi32>
    %xs = ingot.gather_rows %x, %toks : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
    %ws = ingot.gather_rows %wts, %pairs : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
    %wg = ingot.weight @gate : tensor<4x32x64xf32>
    %g = ingot.grouped_matmul %xs, %wg, %eoff : tensor<?x64xf32>, tensor<4x32x64xf32>, tensor<5xi32> -> tensor<?x32xf32>
    %wu = ingot.weight @up : tensor<4x32x64xf32>
    %u = ingot.grouped_matmul %xs, %wu, %eoff : tensor<?x64xf32>, tensor<4x32x64xf32>, tensor<5xi32> -> tensor<?x32xf32>
    %h = ingot.mul %g, %u : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
    %wd = ingot.weight @down : tensor<4x64x32xf32>
    %d = ingot.grouped_matmul %h, %wd, %eoff : tensor<?x32xf32>, tensor<4x64x32xf32>, tensor<5xi32> -> tensor<?x64xf32>
    %z = ingot.zeros_like %x : tensor<?x64xf32>
    %y = ingot.scatter_add %d, %toks scale %ws into %z : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
    %l = ingot.matmul %y, %e transpose_b : tensor<?x64xf32>, tensor<16x64xf32> -> tensor<?x16xf32>
    return %l : tensor<?x16xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK:      call void @ingot_uk_grouped_matmul(ptr [[G:%[0-9]+]], ptr [[XS:%[0-9]+]], ptr {{%[0-9]+}}, ptr [[EOFF:%[0-9]+]], i64 4, i64 32, i64 64, i32 0, i32 0, ptr [[SCRATCH:%[0-9a-z_]+]],
// CHECK-NOT:  call void @ingot_uk_barrier
// CHECK:      [[PAST:%[0-9]+]] = getelementptr inbounds i8, ptr [[SCRATCH]], i64 {{[1-9][0-9]*}}
// CHECK-NOT:  call void @ingot_uk_barrier
// CHECK:      call void @ingot_uk_grouped_matmul(ptr [[U:%[0-9]+]], ptr [[XS]], ptr {{%[0-9]+}}, ptr [[EOFF]], i64 4, i64 32, i64 64, i32 0, i32 0, ptr [[PAST]],
// CHECK-NEXT: call void @ingot_uk_barrier
// CHECK:      call void @ingot_uk_binary(ptr [[H:%[0-9]+]], ptr [[G]], ptr [[U]],
// CHECK:      call void @ingot_uk_barrier
// CHECK:      call void @ingot_uk_grouped_matmul(ptr {{%[0-9]+}}, ptr [[H]], ptr {{%[0-9]+}}, ptr [[EOFF]], i64 4, i64 64, i64 32, i32 0, i32 0, ptr [[SCRATCH]],
// CHECK-NEXT: call void @ingot_uk_barrier
