// RUN: ingot-opt %s --ingot-logits-rows --split-input-file | FileCheck %s

ingot.weight_decl @out : tensor<256x64xf32>

// The output head's input gets the rows: the other rows are never
// multiplied by the head.
// CHECK-LABEL: func.func @head
// CHECK-SAME:    (%[[H:.*]]: tensor<?x64xf32>)
// CHECK:         %[[L:.*]] = ingot.logits_rows %[[H]] : tensor<?x64xf32>
// CHECK-NEXT:    %[[Y:.*]] = ingot.matmul %[[L]], %{{.*}} transpose_b
// CHECK-NEXT:    return %[[Y]]
func.func @head(%h: tensor<?x64xf32>) -> tensor<?x256xf32> {
  %w = ingot.weight @out : tensor<256x64xf32>
  %y = ingot.matmul %h, %w transpose_b : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  return %y : tensor<?x256xf32>
}

// -----

ingot.weight_decl @out : tensor<256x64xf32>

// A soft-cap after the head: the returned value gets the rows.
// CHECK-LABEL: func.func @softcap
// CHECK:         %[[Y:.*]] = ingot.matmul %arg0,
// CHECK:         %[[T:.*]] = ingot.tanh %[[Y]]
// CHECK-NEXT:    %[[L:.*]] = ingot.logits_rows %[[T]] : tensor<?x256xf32>
// CHECK-NEXT:    return %[[L]], %arg1
func.func @softcap(%h: tensor<?x64xf32>, %c: !ingot.kv_cache<16x2x8xf32>) -> (tensor<?x256xf32>, !ingot.kv_cache<16x2x8xf32>) {
  %w = ingot.weight @out : tensor<256x64xf32>
  %y = ingot.matmul %h, %w transpose_b : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %t = ingot.tanh %y : tensor<?x256xf32>
  return %t, %c : tensor<?x256xf32>, !ingot.kv_cache<16x2x8xf32>
}

// -----

// Nothing to do: a static row count (not a step over tokens).
// CHECK-LABEL: func.func @static_rows
// CHECK-NOT:     ingot.logits_rows
func.func @static_rows(%h: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %t = ingot.tanh %h : tensor<1x64xf32>
  return %t : tensor<1x64xf32>
}
