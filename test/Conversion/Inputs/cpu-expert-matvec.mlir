module {
  ingot.weight_decl @emb : tensor<16x8xf32>
  ingot.weight_decl @up : tensor<4x8x8xf32>
  func.func @forward(%ids: tensor<1xi32>, %start: index) -> tensor<1x16xf32> {
    %e = ingot.weight @emb : tensor<16x8xf32>
    %x = ingot.embedding %e, %ids : tensor<16x8xf32>, tensor<1xi32> -> tensor<1x8xf32>
    %wu = ingot.weight @up : tensor<4x8x8xf32>
    %h = ingot.expert_matvec %x, %wu, %ids : tensor<1x8xf32>, tensor<4x8x8xf32>, tensor<1xi32> -> tensor<1x8xf32>
    %l = ingot.matmul %h, %e transpose_b : tensor<1x8xf32>, tensor<16x8xf32> -> tensor<1x16xf32>
    return %l : tensor<1x16xf32>
  }
}
