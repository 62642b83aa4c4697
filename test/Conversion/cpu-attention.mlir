// The CPU lowering of rotary embeddings and fused attention: positions by
// ingot_uk_iota, each rope's inverse frequencies a constant array, the
// attention call with the caches' encodings (INGOT_KV_Q8 = 3,
// INGOT_KV_TQ4 = 5 with its codebook), the sliding-window mask
// (INGOT_MASK_SLIDING_WINDOW = 2), window 3 and soft-cap 30.
// RUN: ingotc %s --random-weights=1 --emit=llvm --kernel-calls-only -o - | FileCheck %s

module {
  ingot.weight_decl @emb : tensor<16x32xf32>
  ingot.weight_decl @wk : tensor<16x32xf32>
  func.func @forward(%ids: tensor<?xi32>, %start: index, %kc: !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<q8>>, %vc: !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<tq4>>) -> (tensor<?x16xf32>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<q8>>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<tq4>>) {
    %c0 = arith.constant 0 : index
    %t = tensor.dim %ids, %c0 : tensor<?xi32>
    %pos = ingot.iota %t offset %start : tensor<?xi32>
    %e = ingot.weight @emb : tensor<16x32xf32>
    %x = ingot.embedding %e, %ids : tensor<16x32xf32>, tensor<?xi32> -> tensor<?x32xf32>
    %wk = ingot.weight @wk : tensor<16x32xf32>
    %k = ingot.matmul %x, %wk transpose_b : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
    %q3 = ingot.reshape %x : tensor<?x32xf32> -> tensor<?x4x8xf32>
    %k3 = ingot.reshape %k : tensor<?x16xf32> -> tensor<?x2x8xf32>
    %qr = ingot.rope %q3, %pos {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<?x4x8xf32>, tensor<?xi32> -> tensor<?x4x8xf32>
    %kr = ingot.rope %k3, %pos {theta = 5.0e+05 : f32, style = #ingot<rope_style interleaved>, rotary_dim = 4 : i64} : tensor<?x2x8xf32>, tensor<?xi32> -> tensor<?x2x8xf32>
    %o, %kc2, %vc2 = ingot.attention %qr, %kr, %k3 cache(%kc, %vc) at %start {mask = #ingot<mask_kind sliding_window>, scale = 0.35 : f32, softcap = 30.0 : f32, window = 3 : i64} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<q8>>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<tq4>> -> tensor<?x4x8xf32>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<q8>>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<tq4>>
    %o2 = ingot.reshape %o : tensor<?x4x8xf32> -> tensor<?x32xf32>
    %l = ingot.matmul %o2, %e transpose_b : tensor<?x32xf32>, tensor<16x32xf32> -> tensor<?x16xf32>
    return %l, %kc2, %vc2 : tensor<?x16xf32>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<q8>>, !ingot.kv_cache<64x2x8xf32, #ingot.kv_quant<tq4>>
  }
}

// CHECK-LABEL: define internal void @ingot_forward_model
// The key cache at the start of the KV arena, the value cache after the
// keys: kv_ctx tokens of 2 heads x (an f16 scale + 8 int8) = 20 bytes.
// CHECK:      [[KC:%[0-9]+]] = getelementptr inbounds i8, ptr %kv, i64 0
// CHECK-NEXT: [[VOFF:%[0-9]+]] = mul i64 %kv_ctx, 20
// CHECK-NEXT: [[VC:%[0-9]+]] = getelementptr inbounds i8, ptr %kv, i64 [[VOFF]]
// Positions start + i.
// CHECK:      call void @ingot_uk_iota(ptr [[POS:%[0-9]+]], i64 %n, i64 %start, i32 %ith, i32 %nth)
// CHECK-NEXT: call void @ingot_uk_barrier
// rope(y, x, positions, tokens, heads, head_dim, rotary_dim, inv_freq,
//      mscale, style): neox over all 8, interleaved over 4.
// CHECK:      call void @ingot_uk_rope(ptr [[QR:%[0-9]+]], ptr {{%[0-9]+}}, ptr [[POS]], i64 %n, i64 4, i64 8, i64 8, ptr @rope.inv_freq.{{[0-9]+}}, float 1.000000e+00, i32 0,
// CHECK:      call void @ingot_uk_rope(ptr [[KR:%[0-9]+]], ptr [[K:%[0-9]+]], ptr [[POS]], i64 %n, i64 2, i64 8, i64 4, ptr @rope.inv_freq.{{[0-9]+}}, float 1.000000e+00, i32 1,
// attention(out, q, k, v, kcache, vcache, tokens, start, heads, kv_heads,
//   head_dim, scale, mask, window, softcap, kfmt, vfmt, kbook, vbook, numerics)
// CHECK:      call void @ingot_uk_attention(ptr {{%[0-9]+}}, ptr [[QR]], ptr [[KR]], ptr [[K]], ptr [[KC]], ptr [[VC]], i64 %n, i64 %start, i64 4, i64 2, i64 8, float 0x3FD6666660000000, i32 2, i64 3, float 3.000000e+01, i32 3, i32 5, ptr null, ptr @kv.codebook.{{[0-9]+}}, i32 0,
// CHECK:      call void @ingot_uk_matmul(ptr %logits,
