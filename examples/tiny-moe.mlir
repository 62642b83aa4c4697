// tiny-moe.mlir - a tiny Qwen-MoE-style decoder at the level a frontend emits.
//
// The attention of tiny-dense.mlir (2 layers, hidden 64, 4 query heads and 2
// key/value heads of dimension 16, rope theta 10000, f16 KV caches of 128
// positions) with a mixture-of-experts feed-forward: a router picks the top 2
// of 8 experts per token (softmax scores, renormalized over the two), each
// expert a SwiGLU of 32, plus a shared SwiGLU expert of 128 scaled per token
// by a sigmoid gate. Weights keep GGUF's names (`*_exps` are stacked
// [experts, out, in], `*_shexp` the shared expert). Vocabulary 256, lm_head
// tied to the token embedding.
//
// @forward follows the model entry convention of tiny-dense.mlir.
//
// Check: ingot-opt examples/tiny-moe.mlir
// Run:   ingot-run examples/tiny-moe.mlir --weights-random=1 --tokens=1,2,3 --decode=4

ingot.weight_decl @token_embd : tensor<256x64xf32, #ingot.block<q8_0>> {source = "token_embd.weight"}

ingot.weight_decl @blk.0.attn_norm : tensor<64xf32> {source = "blk.0.attn_norm.weight"}
ingot.weight_decl @blk.0.attn_q : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_q.weight"}
ingot.weight_decl @blk.0.attn_k : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_k.weight"}
ingot.weight_decl @blk.0.attn_v : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_v.weight"}
ingot.weight_decl @blk.0.attn_output : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_output.weight"}
ingot.weight_decl @blk.0.ffn_norm : tensor<64xf32> {source = "blk.0.ffn_norm.weight"}
ingot.weight_decl @blk.0.ffn_gate_inp : tensor<8x64xf32> {source = "blk.0.ffn_gate_inp.weight"}
ingot.weight_decl @blk.0.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>> {source = "blk.0.ffn_gate_exps.weight"}
ingot.weight_decl @blk.0.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>> {source = "blk.0.ffn_up_exps.weight"}
ingot.weight_decl @blk.0.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>> {source = "blk.0.ffn_down_exps.weight"}
ingot.weight_decl @blk.0.ffn_gate_inp_shexp : tensor<1x64xf32> {source = "blk.0.ffn_gate_inp_shexp.weight"}
ingot.weight_decl @blk.0.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.0.ffn_gate_shexp.weight"}
ingot.weight_decl @blk.0.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.0.ffn_up_shexp.weight"}
ingot.weight_decl @blk.0.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>> {source = "blk.0.ffn_down_shexp.weight"}

ingot.weight_decl @blk.1.attn_norm : tensor<64xf32> {source = "blk.1.attn_norm.weight"}
ingot.weight_decl @blk.1.attn_q : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_q.weight"}
ingot.weight_decl @blk.1.attn_k : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_k.weight"}
ingot.weight_decl @blk.1.attn_v : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_v.weight"}
ingot.weight_decl @blk.1.attn_output : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_output.weight"}
ingot.weight_decl @blk.1.ffn_norm : tensor<64xf32> {source = "blk.1.ffn_norm.weight"}
ingot.weight_decl @blk.1.ffn_gate_inp : tensor<8x64xf32> {source = "blk.1.ffn_gate_inp.weight"}
ingot.weight_decl @blk.1.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>> {source = "blk.1.ffn_gate_exps.weight"}
ingot.weight_decl @blk.1.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>> {source = "blk.1.ffn_up_exps.weight"}
ingot.weight_decl @blk.1.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>> {source = "blk.1.ffn_down_exps.weight"}
ingot.weight_decl @blk.1.ffn_gate_inp_shexp : tensor<1x64xf32> {source = "blk.1.ffn_gate_inp_shexp.weight"}
ingot.weight_decl @blk.1.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.1.ffn_gate_shexp.weight"}
ingot.weight_decl @blk.1.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.1.ffn_up_shexp.weight"}
ingot.weight_decl @blk.1.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>> {source = "blk.1.ffn_down_shexp.weight"}

ingot.weight_decl @output_norm : tensor<64xf32> {source = "output_norm.weight"}

func.func @forward(%ids: tensor<?xi32>, %start: index,
                   %kc0: !ingot.kv_cache<128x2x16xf16>, %vc0: !ingot.kv_cache<128x2x16xf16>,
                   %kc1: !ingot.kv_cache<128x2x16xf16>, %vc1: !ingot.kv_cache<128x2x16xf16>)
    -> (tensor<?x256xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>) {
  // Sequence bookkeeping: `start` tokens are cached already; keys cover
  // positions 0 .. start+tokens-1 and the new tokens sit at the last
  // `tokens` of them.
  %c0 = arith.constant 0 : index
  %tokens = tensor.dim %ids, %c0 : tensor<?xi32>
  %keys = arith.addi %start, %tokens : index
  %kpos = ingot.iota %keys : tensor<?xi32>
  %pos = tensor.extract_slice %kpos[%start] [%tokens] [1] : tensor<?xi32> to tensor<?xi32>
  %mask = ingot.mask causal %pos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  // 1 / sqrt(head_dim)
  %scale = ingot.constant dense<0.25> : tensor<f32>

  %embd = ingot.weight @token_embd : tensor<256x64xf32, #ingot.block<q8_0>>
  %h0 = ingot.embedding %embd, %ids : tensor<256x64xf32, #ingot.block<q8_0>>, tensor<?xi32> -> tensor<?x64xf32>

  // ---- Layer 0: attention.
  %l0_attn_norm = ingot.weight @blk.0.attn_norm : tensor<64xf32>
  %l0_x = ingot.rms_norm %h0, %l0_attn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l0_wq = ingot.weight @blk.0.attn_q : tensor<64x64xf32, #ingot.block<q8_0>>
  %l0_q = ingot.matmul %l0_x, %l0_wq transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l0_wk = ingot.weight @blk.0.attn_k : tensor<32x64xf32, #ingot.block<q8_0>>
  %l0_k = ingot.matmul %l0_x, %l0_wk transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %l0_wv = ingot.weight @blk.0.attn_v : tensor<32x64xf32, #ingot.block<q8_0>>
  %l0_v = ingot.matmul %l0_x, %l0_wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %l0_q3 = ingot.reshape %l0_q : tensor<?x64xf32> -> tensor<?x4x16xf32>
  %l0_k3 = ingot.reshape %l0_k : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %l0_v3 = ingot.reshape %l0_v : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %l0_qr = ingot.rope %l0_q3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %l0_kr = ingot.rope %l0_k3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x2x16xf32>, tensor<?xi32> -> tensor<?x2x16xf32>
  // The cached keys/values of earlier tokens, then this call's appended;
  // the new entries are stored at positions start .. start+tokens-1.
  %l0_kpast = ingot.kv_read %kc0, %start : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  %l0_vpast = ingot.kv_read %vc0, %start : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  %l0_kall = ingot.concat %l0_kpast, %l0_kr {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %l0_vall = ingot.concat %l0_vpast, %l0_v3 {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc0_new = ingot.kv_write %kc0, %l0_kr, %start : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  %vc0_new = ingot.kv_write %vc0, %l0_v3, %start : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  // Grouped-query attention: each key/value head serves 2 query heads.
  %l0_k4 = ingot.reshape %l0_kall : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %l0_kb = ingot.broadcast %l0_k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %l0_kg = ingot.reshape %l0_kb : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %l0_v4 = ingot.reshape %l0_vall : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %l0_vb = ingot.broadcast %l0_v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %l0_vg = ingot.reshape %l0_vb : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  // [tokens, heads, dim] -> [heads, tokens, dim]
  %l0_qt = ingot.transpose %l0_qr [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l0_kt = ingot.transpose %l0_kg [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l0_vt = ingot.transpose %l0_vg [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l0_scores = ingot.matmul %l0_qt, %l0_kt transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %l0_scaled = ingot.mul %l0_scores, %scale : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %l0_masked = ingot.add %l0_scaled, %mask : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %l0_probs = ingot.softmax %l0_masked {axis = -1 : i64} : tensor<4x?x?xf32>
  %l0_ctx = ingot.matmul %l0_probs, %l0_vt : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %l0_ctxt = ingot.transpose %l0_ctx [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  %l0_ctx2 = ingot.reshape %l0_ctxt : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %l0_wo = ingot.weight @blk.0.attn_output : tensor<64x64xf32, #ingot.block<q8_0>>
  %l0_attn = ingot.matmul %l0_ctx2, %l0_wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l0_h = ingot.add %h0, %l0_attn : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // ---- Layer 0: mixture of experts (top-2 of 8) plus a gated shared expert.
  %l0_ffn_norm = ingot.weight @blk.0.ffn_norm : tensor<64xf32>
  %l0_y = ingot.rms_norm %l0_h, %l0_ffn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l0_wrouter = ingot.weight @blk.0.ffn_gate_inp : tensor<8x64xf32>
  %l0_logits = ingot.matmul %l0_y, %l0_wrouter transpose_b : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  %l0_offsets, %l0_experts, %l0_weights = ingot.route %l0_logits {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %l0_wgate_exps = ingot.weight @blk.0.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %l0_wup_exps = ingot.weight @blk.0.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %l0_wdown_exps = ingot.weight @blk.0.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>>
  %l0_moe = ingot.moe_ffn %l0_y, %l0_offsets, %l0_experts, %l0_weights, %l0_wgate_exps, %l0_wup_exps, %l0_wdown_exps {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // Shared expert, scaled per token by sigmoid(y · ffn_gate_inp_shexp).
  %l0_wgate_shexp = ingot.weight @blk.0.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %l0_sgate = ingot.matmul %l0_y, %l0_wgate_shexp transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l0_wup_shexp = ingot.weight @blk.0.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %l0_sup = ingot.matmul %l0_y, %l0_wup_shexp transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l0_sact = ingot.silu %l0_sgate : tensor<?x128xf32>
  %l0_sglu = ingot.mul %l0_sact, %l0_sup : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %l0_wdown_shexp = ingot.weight @blk.0.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>>
  %l0_shared = ingot.matmul %l0_sglu, %l0_wdown_shexp transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l0_wsgate = ingot.weight @blk.0.ffn_gate_inp_shexp : tensor<1x64xf32>
  %l0_sgate_logit = ingot.matmul %l0_y, %l0_wsgate transpose_b : tensor<?x64xf32>, tensor<1x64xf32> -> tensor<?x1xf32>
  %l0_sgate_w = ingot.sigmoid %l0_sgate_logit : tensor<?x1xf32>
  %l0_sgated = ingot.mul %l0_shared, %l0_sgate_w : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  %l0_ffn = ingot.add %l0_moe, %l0_sgated : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %l0_out = ingot.add %l0_h, %l0_ffn : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // ---- Layer 1: attention.
  %l1_attn_norm = ingot.weight @blk.1.attn_norm : tensor<64xf32>
  %l1_x = ingot.rms_norm %l0_out, %l1_attn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l1_wq = ingot.weight @blk.1.attn_q : tensor<64x64xf32, #ingot.block<q8_0>>
  %l1_q = ingot.matmul %l1_x, %l1_wq transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l1_wk = ingot.weight @blk.1.attn_k : tensor<32x64xf32, #ingot.block<q8_0>>
  %l1_k = ingot.matmul %l1_x, %l1_wk transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %l1_wv = ingot.weight @blk.1.attn_v : tensor<32x64xf32, #ingot.block<q8_0>>
  %l1_v = ingot.matmul %l1_x, %l1_wv transpose_b : tensor<?x64xf32>, tensor<32x64xf32, #ingot.block<q8_0>> -> tensor<?x32xf32>
  %l1_q3 = ingot.reshape %l1_q : tensor<?x64xf32> -> tensor<?x4x16xf32>
  %l1_k3 = ingot.reshape %l1_k : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %l1_v3 = ingot.reshape %l1_v : tensor<?x32xf32> -> tensor<?x2x16xf32>
  %l1_qr = ingot.rope %l1_q3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x4x16xf32>, tensor<?xi32> -> tensor<?x4x16xf32>
  %l1_kr = ingot.rope %l1_k3, %pos {style = #ingot<rope_style neox>, theta = 1.0e+04 : f32} : tensor<?x2x16xf32>, tensor<?xi32> -> tensor<?x2x16xf32>
  // The cached keys/values of earlier tokens, then this call's appended;
  // the new entries are stored at positions start .. start+tokens-1.
  %l1_kpast = ingot.kv_read %kc1, %start : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  %l1_vpast = ingot.kv_read %vc1, %start : !ingot.kv_cache<128x2x16xf16> -> tensor<?x2x16xf32>
  %l1_kall = ingot.concat %l1_kpast, %l1_kr {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %l1_vall = ingot.concat %l1_vpast, %l1_v3 {axis = 0 : i64} : tensor<?x2x16xf32>, tensor<?x2x16xf32> -> tensor<?x2x16xf32>
  %kc1_new = ingot.kv_write %kc1, %l1_kr, %start : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  %vc1_new = ingot.kv_write %vc1, %l1_v3, %start : !ingot.kv_cache<128x2x16xf16>, tensor<?x2x16xf32>
  // Grouped-query attention: each key/value head serves 2 query heads.
  %l1_k4 = ingot.reshape %l1_kall : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %l1_kb = ingot.broadcast %l1_k4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %l1_kg = ingot.reshape %l1_kb : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  %l1_v4 = ingot.reshape %l1_vall : tensor<?x2x16xf32> -> tensor<?x2x1x16xf32>
  %l1_vb = ingot.broadcast %l1_v4 : tensor<?x2x1x16xf32> -> tensor<?x2x2x16xf32>
  %l1_vg = ingot.reshape %l1_vb : tensor<?x2x2x16xf32> -> tensor<?x4x16xf32>
  // [tokens, heads, dim] -> [heads, tokens, dim]
  %l1_qt = ingot.transpose %l1_qr [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l1_kt = ingot.transpose %l1_kg [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l1_vt = ingot.transpose %l1_vg [1, 0, 2] : tensor<?x4x16xf32> -> tensor<4x?x16xf32>
  %l1_scores = ingot.matmul %l1_qt, %l1_kt transpose_b : tensor<4x?x16xf32>, tensor<4x?x16xf32> -> tensor<4x?x?xf32>
  %l1_scaled = ingot.mul %l1_scores, %scale : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %l1_masked = ingot.add %l1_scaled, %mask : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %l1_probs = ingot.softmax %l1_masked {axis = -1 : i64} : tensor<4x?x?xf32>
  %l1_ctx = ingot.matmul %l1_probs, %l1_vt : tensor<4x?x?xf32>, tensor<4x?x16xf32> -> tensor<4x?x16xf32>
  %l1_ctxt = ingot.transpose %l1_ctx [1, 0, 2] : tensor<4x?x16xf32> -> tensor<?x4x16xf32>
  %l1_ctx2 = ingot.reshape %l1_ctxt : tensor<?x4x16xf32> -> tensor<?x64xf32>
  %l1_wo = ingot.weight @blk.1.attn_output : tensor<64x64xf32, #ingot.block<q8_0>>
  %l1_attn = ingot.matmul %l1_ctx2, %l1_wo transpose_b : tensor<?x64xf32>, tensor<64x64xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l1_h = ingot.add %l0_out, %l1_attn : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // ---- Layer 1: mixture of experts (top-2 of 8) plus a gated shared expert.
  %l1_ffn_norm = ingot.weight @blk.1.ffn_norm : tensor<64xf32>
  %l1_y = ingot.rms_norm %l1_h, %l1_ffn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l1_wrouter = ingot.weight @blk.1.ffn_gate_inp : tensor<8x64xf32>
  %l1_logits = ingot.matmul %l1_y, %l1_wrouter transpose_b : tensor<?x64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  %l1_offsets, %l1_experts, %l1_weights = ingot.route %l1_logits {renormalize, rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %l1_wgate_exps = ingot.weight @blk.1.ffn_gate_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %l1_wup_exps = ingot.weight @blk.1.ffn_up_exps : tensor<8x32x64xf32, #ingot.block<q8_0>>
  %l1_wdown_exps = ingot.weight @blk.1.ffn_down_exps : tensor<8x64x32xf32, #ingot.block<q8_0>>
  %l1_moe = ingot.moe_ffn %l1_y, %l1_offsets, %l1_experts, %l1_weights, %l1_wgate_exps, %l1_wup_exps, %l1_wdown_exps {activation = #ingot<activation silu>} : tensor<?x64xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<8x32x64xf32, #ingot.block<q8_0>>, tensor<8x64x32xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  // Shared expert, scaled per token by sigmoid(y · ffn_gate_inp_shexp).
  %l1_wgate_shexp = ingot.weight @blk.1.ffn_gate_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %l1_sgate = ingot.matmul %l1_y, %l1_wgate_shexp transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l1_wup_shexp = ingot.weight @blk.1.ffn_up_shexp : tensor<128x64xf32, #ingot.block<q4_0>>
  %l1_sup = ingot.matmul %l1_y, %l1_wup_shexp transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l1_sact = ingot.silu %l1_sgate : tensor<?x128xf32>
  %l1_sglu = ingot.mul %l1_sact, %l1_sup : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %l1_wdown_shexp = ingot.weight @blk.1.ffn_down_shexp : tensor<64x128xf32, #ingot.block<q8_0>>
  %l1_shared = ingot.matmul %l1_sglu, %l1_wdown_shexp transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l1_wsgate = ingot.weight @blk.1.ffn_gate_inp_shexp : tensor<1x64xf32>
  %l1_sgate_logit = ingot.matmul %l1_y, %l1_wsgate transpose_b : tensor<?x64xf32>, tensor<1x64xf32> -> tensor<?x1xf32>
  %l1_sgate_w = ingot.sigmoid %l1_sgate_logit : tensor<?x1xf32>
  %l1_sgated = ingot.mul %l1_shared, %l1_sgate_w : tensor<?x64xf32>, tensor<?x1xf32> -> tensor<?x64xf32>
  %l1_ffn = ingot.add %l1_moe, %l1_sgated : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %l1_out = ingot.add %l1_h, %l1_ffn : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // ---- Final norm and lm_head (the embedding, tied).
  %out_norm = ingot.weight @output_norm : tensor<64xf32>
  %hn = ingot.rms_norm %l1_out, %out_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %logits = ingot.matmul %hn, %embd transpose_b : tensor<?x64xf32>, tensor<256x64xf32, #ingot.block<q8_0>> -> tensor<?x256xf32>
  return %logits, %kc0_new, %vc0_new, %kc1_new, %vc1_new : tensor<?x256xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
}
