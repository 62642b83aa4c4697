// The CPU lowering of Q4_K products. On an AVX2 CPU, Q4_K (and Q5_K)
// matrices with rows in multiples of 8 are repacked 8 rows interleaved
// (INGOT_W_Q4_KX8 = 18; Q5_K: INGOT_W_Q5_KX8 = 19, which --random-weights
// cannot make); others stay in rows (INGOT_W_Q4_K = 8), as does everything
// without AVX2.
// RUN: ingotc %s --random-weights=1 --cpu=x86-64-v3 --emit=llvm --kernel-calls-only -o - | FileCheck %s
// RUN: ingotc %s --random-weights=1 --cpu=x86-64 --emit=llvm --kernel-calls-only -o - | FileCheck %s --check-prefix=BASE

module {
  ingot.weight_decl @emb : tensor<16x256xf32>
  ingot.weight_decl @wb : tensor<256x256xf32, #ingot.block<q4_k>>
  ingot.weight_decl @wa : tensor<16x256xf32, #ingot.block<q4_k>>
  ingot.weight_decl @wc : tensor<12x256xf32, #ingot.block<q4_k>>
  ingot.weight_decl @wf : tensor<12x16xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x12xf32> {
    %e = ingot.weight @emb : tensor<16x256xf32>
    %x = ingot.embedding %e, %ids : tensor<16x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    %wb = ingot.weight @wb : tensor<256x256xf32, #ingot.block<q4_k>>
    %b = ingot.matmul %x, %wb transpose_b : tensor<?x256xf32>, tensor<256x256xf32, #ingot.block<q4_k>> -> tensor<?x256xf32>
    %wa = ingot.weight @wa : tensor<16x256xf32, #ingot.block<q4_k>>
    %a = ingot.matmul %b, %wa transpose_b : tensor<?x256xf32>, tensor<16x256xf32, #ingot.block<q4_k>> -> tensor<?x16xf32>
    %wf = ingot.weight @wf : tensor<12x16xf32>
    %f = ingot.matmul %a, %wf transpose_b : tensor<?x16xf32>, tensor<12x16xf32> -> tensor<?x12xf32>
    %wc = ingot.weight @wc : tensor<12x256xf32, #ingot.block<q4_k>>
    %c = ingot.matmul %b, %wc transpose_b : tensor<?x256xf32>, tensor<12x256xf32, #ingot.block<q4_k>> -> tensor<?x12xf32>
    %l = ingot.add %f, %c : tensor<?x12xf32>, tensor<?x12xf32> -> tensor<?x12xf32>
    return %l : tensor<?x12xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// N = 256 and 16, K = 256: Q4_KX8.
// CHECK:      call void @ingot_uk_matmul(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 %n, i64 256, i64 256, i32 18, i32 0,
// CHECK:      call void @ingot_uk_matmul(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 %n, i64 16, i64 256, i32 18, i32 0,
// N = 12: Q4_K in rows.
// CHECK:      call void @ingot_uk_matmul(ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr {{%[0-9]+}}, ptr null, i64 %n, i64 12, i64 256, i32 8, i32 0,
// BASE:       i64 256, i64 256, i32 8, i32 0,
// BASE:       i64 16, i64 256, i32 8, i32 0,
// BASE:       i64 12, i64 256, i32 8, i32 0,
