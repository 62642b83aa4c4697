// ingot.relu and ingot.clamp on the CPU: relu is the unary kernel's
// INGOT_UN_RELU (8), clamp its own kernel with the bounds as floats, each
// over rows x columns elements.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<32x16xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x32xf32> {
    %e = ingot.weight @emb : tensor<32x16xf32>
    %x = ingot.embedding %e, %ids : tensor<32x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
    %r = ingot.relu %x : tensor<?x16xf32>
    %c = ingot.clamp %r [-0.75, 0.5] : tensor<?x16xf32>
    %logits = ingot.matmul %c, %e transpose_b : tensor<?x16xf32>, tensor<32x16xf32> -> tensor<?x32xf32>
    return %logits : tensor<?x32xf32>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// CHECK: call void @ingot_uk_embedding(
// CHECK: %[[N1:.*]] = mul i64 %{{.*}}, 16
// CHECK: call void @ingot_uk_unary(ptr {{.*}}, ptr {{.*}}, i64 %[[N1]], i32 8, i32 %ith, i32 %nth)
// CHECK: %[[N2:.*]] = mul i64 %{{.*}}, 16
// CHECK: call void @ingot_uk_clamp(ptr {{.*}}, ptr {{.*}}, i64 %[[N2]], float -7.500000e-01, float 5.000000e-01, i32 %ith, i32 %nth)
// CHECK: call void @ingot_uk_matmul(
