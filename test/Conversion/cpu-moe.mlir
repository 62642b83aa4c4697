// The CPU lowering of routed experts (the sparse form of
// --ingot-route-moe): the route kernel and the counting sort (both on
// thread 0) with one barrier after them, then the number of (token,
// expert) pairs read back from offsets[n]; the gather, the grouped
// products over each expert's segment, and the weighted scatter into the
// tokens' rows.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<16x8xf32>
  ingot.weight_decl @router : tensor<4x8xf32>
  ingot.weight_decl @up : tensor<4x12x8xf32>
  ingot.weight_decl @down : tensor<4x8x12xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x8xf32>
    %x = ingot.embedding %e, %ids : tensor<16x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
    %wr = ingot.weight @router : tensor<4x8xf32>
    %r = ingot.matmul %x, %wr transpose_b : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
    %off, %ex, %wts = ingot.route %r {rule = #ingot.routing<top_p, p = 0.6, max = 3>, scoring = #ingot<scoring sigmoid>, renormalize} : tensor<?x4xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
    %eoff, %pairs, %toks = ingot.moe_sort %off, %ex {num_experts = 4 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<5xi32>, tensor<?xi32>, tensor<?xi32>
    %xs = ingot.gather_rows %x, %toks : tensor<?x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
    %ws = ingot.gather_rows %wts, %pairs : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
    %wu = ingot.weight @up : tensor<4x12x8xf32>
    %h = ingot.grouped_matmul %xs, %wu, %eoff : tensor<?x8xf32>, tensor<4x12x8xf32>, tensor<5xi32> -> tensor<?x12xf32>
    %a = ingot.relu %h : tensor<?x12xf32>
    %wd = ingot.weight @down : tensor<4x8x12xf32>
    %d = ingot.grouped_matmul %a, %wd, %eoff : tensor<?x12xf32>, tensor<4x8x12xf32>, tensor<5xi32> -> tensor<?x8xf32>
    %z = ingot.zeros_like %x : tensor<?x8xf32>
    %y = ingot.scatter_add %d, %toks scale %ws into %z : tensor<?x8xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x8xf32>
    %l = ingot.matmul %y, %e transpose_b : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    return %l : tensor<?x16xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK:      call void @ingot_uk_matmul(ptr [[R:%[0-9]+]], ptr [[X:%[0-9]+]], ptr {{%[0-9]+}}, ptr null, i64 %n, i64 4, i64 8,
// route(offsets, experts, weights, logits, tokens, experts, rule, k, value,
//       max, scoring, renormalize): top-p (1) 0.6, at most 3, sigmoid (1).
// CHECK:      call void @ingot_uk_route(ptr [[OFF:%[0-9]+]], ptr [[EX:%[0-9]+]], ptr [[W:%[0-9]+]], ptr [[R]], i64 %n, i64 4, i32 1, i32 0, float 0x3FE3333340000000, i32 3, i32 1, i32 1,
// No barrier between the route and the sort.
// CHECK-NOT:  call void @ingot_uk_barrier
// CHECK:      [[N:%[0-9]+]] = add i64 %n, 1
// moe_sort(expert_offsets, pairs, tokens, offsets, experts, n, experts)
// CHECK:      [[N2:%[0-9]+]] = sub i64 [[N]], 1
// CHECK-NEXT: call void @ingot_uk_moe_sort(ptr [[EOFF:%[0-9]+]], ptr [[PI:%[0-9]+]], ptr [[TOK:%[0-9]+]], ptr [[OFF]], ptr [[EX]], i64 [[N2]], i64 4,
// CHECK-NEXT: call void @ingot_uk_barrier
// CHECK-NEXT: [[AT:%[0-9]+]] = getelementptr inbounds i32, ptr [[OFF]], i64 [[N2]]
// CHECK-NEXT: [[P32:%[0-9]+]] = load i32, ptr [[AT]]
// CHECK-NEXT: [[PAIRS:%[0-9]+]] = sext i32 [[P32]] to i64
// No second barrier after the sort.
// CHECK-NOT:  call void @ingot_uk_barrier
// gather_rows(out, x, indices, count, row elements)
// CHECK:      call void @ingot_uk_gather_rows(ptr [[XS:%[0-9]+]], ptr [[X]], ptr [[TOK]], i64 [[PAIRS]], i64 8,
// CHECK:      call void @ingot_uk_gather_rows(ptr [[WS:%[0-9]+]], ptr [[W]], ptr [[PI]], i64 [[PAIRS]], i64 1,
// grouped_matmul(y, x, w, expert_offsets, experts, N, K, format, group)
// CHECK:      call void @ingot_uk_grouped_matmul(ptr [[H:%[0-9]+]], ptr [[XS]], ptr {{%[0-9]+}}, ptr [[EOFF]], i64 4, i64 12, i64 8, i32 0, i32 0,
// CHECK:      call void @ingot_uk_unary(ptr [[A:%[0-9]+]], ptr [[H]], i64 {{%[0-9]+}}, i32 8,
// CHECK:      call void @ingot_uk_grouped_matmul(ptr [[D:%[0-9]+]], ptr [[A]], ptr {{%[0-9]+}}, ptr [[EOFF]], i64 4, i64 8, i64 12, i32 0, i32 0,
// scatter_add(y, src, indices, scale, pairs, tokens, row size)
// CHECK:      call void @ingot_uk_scatter_add(ptr {{%[0-9]+}}, ptr [[D]], ptr [[TOK]], ptr [[WS]], i64 [[PAIRS]], i64 %n, i64 8,
// CHECK:      call void @ingot_uk_matmul(ptr %logits,
