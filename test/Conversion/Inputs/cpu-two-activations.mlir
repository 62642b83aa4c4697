module {
  ingot.weight_decl @emb : tensor<16x8xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index) -> tensor<?x16xf32> {
    %e = ingot.weight @emb : tensor<16x8xf32>
    %x = ingot.embedding %e, %ids : tensor<16x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
    %t = ingot.tanh %x : tensor<?x8xf32>
    %s = ingot.matmul %x, %t transpose_b : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x?xf32>
    %m = ingot.matmul %s, %x : tensor<?x?xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %z = ingot.add %x, %m : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
    %l = ingot.matmul %z, %e transpose_b : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    return %l : tensor<?x16xf32>
  }
}
