// RUN: ingot-opt %s --split-input-file | ingot-opt --split-input-file | FileCheck %s
// RUN: ingot-opt %s --split-input-file --mlir-print-op-generic | ingot-opt --split-input-file | FileCheck %s

// A decoder layer of examples/tiny-moe.mlir at the fused level the graph
// passes produce (hidden 64, 4 query heads over 2 key/value heads of 16, 8
// experts of 32, a shared expert of 128): attention as one `ingot.attention`
// that reads and updates the KV caches, and the mixture of experts in its
// sparse form.
//
// The router's `ingot.route` is left out: its `#ingot.routing` rule does not
// round-trip yet (see the note in ops.mlir), so the MoE case takes the
// routing (the CSR triple `ingot.route` returns) as arguments.

// Attention half of a layer during prefill: rms_norm, q/k/v projections,
// rope, then fused causal GQA attention over the cached and the new keys,
// output projection and residual.

ingot.weight_decl @blk.0.attn_norm : tensor<64xf32>
ingot.weight_decl @blk.0.attn_q : tensor<64x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.attn_k : tensor<32x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.attn_v : tensor<32x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.attn_output : tensor<64x64xf32, #ingot.block<q8_0>>

// CHECK-LABEL: func @attention_block(
// CHECK-SAME: %[[H:.*]]: tensor<?x64xf32>, %[[POS:.*]]: tensor<?xi32>, %[[START:.*]]: index, %[[KC:.*]]: !ingot.kv_cache<128x2x16xf16>, %[[VC:.*]]: !ingot.kv_cache<128x2x16xf16>)
func.func @attention_block(%h: tensor<?x64xf32>, %pos: tensor<?xi32>,
                           %start: index,
                           %kc: !ingot.kv_cache<128x2x16xf16>,
                           %vc: !ingot.kv_cache<128x2x16xf16>)
    -> (tensor<?x64xf32>, !ingot.kv_cache<128x2x16xf16>,
        !ingot.kv_cache<128x2x16xf16>) {
  // CHECK: %[[NW:.*]] = ingot.weight @blk.0.attn_norm : tensor<64xf32>
  // CHECK: %[[X:.*]] = ingot.rms_norm %[[H]], %[[NW]] {eps = 9.99999974E-6 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  // CHECK: %[[WQ:.*]] = ingot.weight @blk.0.attn_q
  // CHECK: %[[Q:.*]] = ingot.matmul %[[X]], %[[WQ]] transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // CHECK: %[[WK:.*]] = ingot.weight @blk.0.attn_k
  // CHECK: %[[K:.*]] = ingot.matmul %[[X]], %[[WK]] transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  // CHECK: %[[WV:.*]] = ingot.weight @blk.0.attn_v
  // CHECK: %[[V:.*]] = ingot.matmul %[[X]], %[[WV]] transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  // CHECK: %[[Q3:.*]] = ingot.reshape %[[Q]] : tensor<?x64xf32> -> tensor<?x4x16xf32>
  // CHECK: %[[K3:.*]] = ingot.reshape %[[K]] : tensor<?x32xf32> -> tensor<?x2x16xf32>
  // CHECK: %[[V3:.*]] = ingot.reshape %[[V]] : tensor<?x32xf32> -> tensor<?x2x16xf32>
  // CHECK: %[[QR:.*]] = ingot.rope %[[Q3]], %[[POS]] {style = #ingot<rope_style neox>, theta = 1.000000e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  // CHECK: %[[KR:.*]] = ingot.rope %[[K3]], %[[POS]] {style = #ingot<rope_style neox>, theta = 1.000000e+04 : f32} : tensor<?x2x16xf32>, tensor<?xi32> -> tensor<?x2x16xf32>
  // CHECK: %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[QR]], %[[KR]], %[[V3]] cache(%[[KC]], %[[VC]]) at %[[START]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
  // CHECK: %[[O2:.*]] = ingot.reshape %[[O]] : tensor<?x4x16xf32> -> tensor<?x64xf32>
  // CHECK: %[[WO:.*]] = ingot.weight @blk.0.attn_output
  // CHECK: %[[A:.*]] = ingot.matmul %[[O2]], %[[WO]] transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // CHECK: %[[R:.*]] = ingot.add %[[H]], %[[A]] : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  // CHECK: return %[[R]], %[[KC1]], %[[VC1]]
  %nw = ingot.weight @blk.0.attn_norm : tensor<64xf32>
  %x = ingot.rms_norm %h, %nw {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %wq = ingot.weight @blk.0.attn_q : tensor<64x64xf32, #ingot.block<q8_0>>
  %q = ingot.matmul %x, %wq transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %wk = ingot.weight @blk.0.attn_k : tensor<32x64xf32, #ingot.block<q8_0>>
  %k = ingot.matmul %x, %wk transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %wv = ingot.weight @blk.0.attn_v : tensor<32x64xf32, #ingot.block<q8_0>>
  %v = ingot.matmul %x, %wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %q3 = ingot.reshape %q : tensor<?x64xf32> -> tensor<?x4x16xf32>
  %k3 = ingot.reshape %k : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %v3 = ingot.reshape %v : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %qr = ingot.rope %q3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %kr = ingot.rope %k3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x2x16xf32>, tensor<?xi32> -> tensor<?x2x16xf32>
  %o, %kc1, %vc1 = ingot.attention %qr, %kr, %v3 cache(%kc, %vc) at %start {mask = #ingot<mask_kind causal>, scale = 0.25 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16> -> tensor<?x4x16xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
  %o2 = ingot.reshape %o : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %wo = ingot.weight @blk.0.attn_output : tensor<64x64xf32, #ingot.block<q8_0>>
  %a = ingot.matmul %o2, %wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %r = ingot.add %h, %a : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %r, %kc1, %vc1 : tensor<?x64xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
}

// -----

// The same attention during decode: one token, static shapes, and
// tq3-quantized caches (as KV-cache quantization leaves them).

// CHECK-LABEL: func @attention_decode(
// CHECK-SAME: %[[Q:.*]]: tensor<1x4x16xf32>, %[[K:.*]]: tensor<1x2x16xf32>, %[[V:.*]]: tensor<1x2x16xf32>, %[[START:.*]]: index, %[[KC:.*]]: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, %[[VC:.*]]: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>)
func.func @attention_decode(
    %q: tensor<1x4x16xf32>, %k: tensor<1x2x16xf32>, %v: tensor<1x2x16xf32>,
    %start: index,
    %kc: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>,
    %vc: !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>)
    -> (tensor<1x4x16xf32>,
        !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>,
        !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>) {
  // CHECK: %[[O:.*]], %[[KC1:.*]], %[[VC1:.*]] = ingot.attention %[[Q]], %[[K]], %[[V]] cache(%[[KC]], %[[VC]]) at %[[START]] {mask = #ingot<mask_kind causal>, scale = 2.500000e-01 : f32} : tensor<1x4x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>> -> tensor<1x4x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>
  // CHECK: return %[[O]], %[[KC1]], %[[VC1]]
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %start {mask = #ingot<mask_kind causal>, scale = 0.25 : f32} : tensor<1x4x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>> -> tensor<1x4x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>
  return %o, %kc1, %vc1 : tensor<1x4x16xf32>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>, !ingot.kv_cache<128x2x16xf32, #ingot.kv_quant<tq3>>
}

// -----

// Feed-forward half of a MoE layer in the sparse form of --ingot-route-moe:
// sort the (token, expert) pairs by expert, gather each pair's token row,
// run each expert's SwiGLU over its segment with grouped matmuls, gather each
// pair's routing weight by pair index, and scatter-add the weighted rows into
// the residual stream, which already holds the sigmoid-gated shared expert.

ingot.weight_decl @blk.0.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>>
ingot.weight_decl @blk.0.ffn_gate_inp_shexp : tensor<1x64xf32>
ingot.weight_decl @blk.0.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
ingot.weight_decl @blk.0.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
ingot.weight_decl @blk.0.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>>

// CHECK-LABEL: func @moe_block(
// CHECK-SAME: %[[H:.*]]: tensor<?x64xf32>, %[[Y:.*]]: tensor<?x64xf32>, %[[OFF:.*]]: tensor<?xi32>, %[[IDS:.*]]: tensor<?xi32>, %[[WTS:.*]]: tensor<?xf32>)
func.func @moe_block(%h: tensor<?x64xf32>, %y: tensor<?x64xf32>,
                     %off: tensor<?xi32>, %ids: tensor<?xi32>,
                     %wts: tensor<?xf32>) -> tensor<?x64xf32> {
  // Shared expert into the residual first.
  // CHECK: %[[SG:.*]] = ingot.matmul %[[Y]], %{{.*}} transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  // CHECK: %[[SU:.*]] = ingot.matmul %[[Y]], %{{.*}} transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  // CHECK: %[[SA:.*]] = ingot.silu %[[SG]] : tensor<?x128xf32>
  // CHECK: %[[SP:.*]] = ingot.mul %[[SA]], %[[SU]] : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  // CHECK: %[[SD:.*]] = ingot.matmul %[[SP]], %{{.*}} transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // CHECK: %[[GL:.*]] = ingot.matmul %[[Y]], %{{.*}} transpose_b : tensor<?x64xf32>, tensor<1x64xf32> -> tensor<?x1xf32>
  // CHECK: %[[GW:.*]] = ingot.sigmoid %[[GL]] : tensor<?x1xf32>
  // CHECK: %[[SH:.*]] = ingot.mul %[[SD]], %[[GW]] : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  // CHECK: %[[HS:.*]] = ingot.add %[[H]], %[[SH]] : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %wsg = ingot.weight @blk.0.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %sg = ingot.matmul %y, %wsg transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %wsu = ingot.weight @blk.0.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %su = ingot.matmul %y, %wsu transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %sa = ingot.silu %sg : tensor<?x128xf32>
  %sp = ingot.mul %sa, %su : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %wsd = ingot.weight @blk.0.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>>
  %sd = ingot.matmul %sp, %wsd transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %wgl = ingot.weight @blk.0.ffn_gate_inp_shexp : tensor<1x64xf32>
  %gl = ingot.matmul %y, %wgl transpose_b : tensor<?x64xf32>, tensor<1x64xf32> -> tensor<?x1xf32>
  %gw = ingot.sigmoid %gl : tensor<?x1xf32>
  %sh = ingot.mul %sd, %gw : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  %hs = ingot.add %h, %sh : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // Routed experts, sparse.
  // CHECK: %[[EOFF:.*]], %[[PAIRS:.*]], %[[TOKS:.*]] = ingot.moe_sort %[[OFF]], %[[IDS]] {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
  // CHECK: %[[XS:.*]] = ingot.gather_rows %[[Y]], %[[TOKS]] : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  // CHECK: %[[WG:.*]] = ingot.weight @blk.0.ffn_gate_exps
  // CHECK: %[[G:.*]] = ingot.grouped_matmul %[[XS]], %[[WG]], %[[EOFF]] : tensor<?x64xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x32xf32>
  // CHECK: %[[WU:.*]] = ingot.weight @blk.0.ffn_up_exps
  // CHECK: %[[U:.*]] = ingot.grouped_matmul %[[XS]], %[[WU]], %[[EOFF]] : tensor<?x64xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x32xf32>
  // CHECK: %[[A:.*]] = ingot.silu %[[G]] : tensor<?x32xf32>
  // CHECK: %[[P:.*]] = ingot.mul %[[A]], %[[U]] : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  // CHECK: %[[WD:.*]] = ingot.weight @blk.0.ffn_down_exps
  // CHECK: %[[D:.*]] = ingot.grouped_matmul %[[P]], %[[WD]], %[[EOFF]] : tensor<?x32xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x64xf32>
  // CHECK: %[[PW:.*]] = ingot.gather_rows %[[WTS]], %[[PAIRS]] : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
  // CHECK: %[[OUT:.*]] = ingot.scatter_add %[[D]], %[[TOKS]] scale %[[PW]] into %[[HS]] : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
  // CHECK: return %[[OUT]]
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 8 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<9xi32>, tensor<?xi32>, tensor<?xi32>
  %xs = ingot.gather_rows %y, %toks : tensor<?x64xf32>, tensor<?xi32> -> tensor<?x64xf32>
  %wg = ingot.weight @blk.0.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %g = ingot.grouped_matmul %xs, %wg, %eoff : tensor<?x64xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x32xf32>
  %wu = ingot.weight @blk.0.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %u = ingot.grouped_matmul %xs, %wu, %eoff : tensor<?x64xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x32xf32>
  %a = ingot.silu %g : tensor<?x32xf32>
  %p = ingot.mul %a, %u : tensor<?x32xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  %wd = ingot.weight @blk.0.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>>
  %d = ingot.grouped_matmul %p, %wd, %eoff : tensor<?x32xf32>, tensor<8x64x32xf32, #ingot.block<q8_0>>, tensor<9xi32> -> tensor<?x64xf32>
  %pw = ingot.gather_rows %wts, %pairs : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
  %out = ingot.scatter_add %d, %toks scale %pw into %hs : tensor<?x64xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x64xf32>
  return %out : tensor<?x64xf32>
}
