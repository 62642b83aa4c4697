// tiny-dense.mlir - a tiny Llama-style decoder at the level a frontend emits.
//
// 2 layers, hidden 64, 4 query heads and 2 key/value heads of dimension 16
// (grouped-query attention), SwiGLU feed-forward of 128, vocabulary 256, rope
// with theta 10000 (neox layout), RMSNorm with eps 1e-5, lm_head tied to the
// token embedding. Weights keep GGUF's names and storage formats: q8_0 for
// the embedding, attention and down projections, q4_0 for gate/up (no inner
// dimension here is a multiple of 256, so no k-quant fits). Each layer has an
// f16 KV cache of 128 positions.
//
// @forward follows the model entry convention: it runs the new tokens `ids`
// at positions start .. start+tokens-1, where `start` is the number of tokens
// already in the caches, and returns the logits of every new token and the
// updated caches (a prefill is start = 0, a decode step one token).
//
// Check: ingot-opt examples/tiny-dense.mlir
// Run:   ingot-run examples/tiny-dense.mlir --weights-random=1 --tokens=1,2,3 --decode=4

ingot.weight_decl @token_embd : tensor<256x64xf32, #ingot.block<q8_0>> {source = "token_embd.weight"}

ingot.weight_decl @blk.0.attn_norm : tensor<64xf32> {source = "blk.0.attn_norm.weight"}
ingot.weight_decl @blk.0.attn_q : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_q.weight"}
ingot.weight_decl @blk.0.attn_k : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_k.weight"}
ingot.weight_decl @blk.0.attn_v : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_v.weight"}
ingot.weight_decl @blk.0.attn_output : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.0.attn_output.weight"}
ingot.weight_decl @blk.0.ffn_norm : tensor<64xf32> {source = "blk.0.ffn_norm.weight"}
ingot.weight_decl @blk.0.ffn_gate : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.0.ffn_gate.weight"}
ingot.weight_decl @blk.0.ffn_up : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.0.ffn_up.weight"}
ingot.weight_decl @blk.0.ffn_down : tensor<64x128xf32, #ingot.block<q8_0>> {source = "blk.0.ffn_down.weight"}

ingot.weight_decl @blk.1.attn_norm : tensor<64xf32> {source = "blk.1.attn_norm.weight"}
ingot.weight_decl @blk.1.attn_q : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_q.weight"}
ingot.weight_decl @blk.1.attn_k : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_k.weight"}
ingot.weight_decl @blk.1.attn_v : tensor<32x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_v.weight"}
ingot.weight_decl @blk.1.attn_output : tensor<64x64xf32, #ingot.block<q8_0>> {source = "blk.1.attn_output.weight"}
ingot.weight_decl @blk.1.ffn_norm : tensor<64xf32> {source = "blk.1.ffn_norm.weight"}
ingot.weight_decl @blk.1.ffn_gate : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.1.ffn_gate.weight"}
ingot.weight_decl @blk.1.ffn_up : tensor<128x64xf32, #ingot.block<q4_0>> {source = "blk.1.ffn_up.weight"}
ingot.weight_decl @blk.1.ffn_down : tensor<64x128xf32, #ingot.block<q8_0>> {source = "blk.1.ffn_down.weight"}

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

  // ---- Layer 0: SwiGLU feed-forward.
  %l0_ffn_norm = ingot.weight @blk.0.ffn_norm : tensor<64xf32>
  %l0_y = ingot.rms_norm %l0_h, %l0_ffn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l0_wgate = ingot.weight @blk.0.ffn_gate : tensor<128x64xf32, #ingot.block<q4_0>>
  %l0_gate = ingot.matmul %l0_y, %l0_wgate transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l0_wup = ingot.weight @blk.0.ffn_up : tensor<128x64xf32, #ingot.block<q4_0>>
  %l0_up = ingot.matmul %l0_y, %l0_wup transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l0_act = ingot.silu %l0_gate : tensor<?x128xf32>
  %l0_glu = ingot.mul %l0_act, %l0_up : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %l0_wdown = ingot.weight @blk.0.ffn_down : tensor<64x128xf32, #ingot.block<q8_0>>
  %l0_ffn = ingot.matmul %l0_glu, %l0_wdown transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
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

  // ---- Layer 1: SwiGLU feed-forward.
  %l1_ffn_norm = ingot.weight @blk.1.ffn_norm : tensor<64xf32>
  %l1_y = ingot.rms_norm %l1_h, %l1_ffn_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l1_wgate = ingot.weight @blk.1.ffn_gate : tensor<128x64xf32, #ingot.block<q4_0>>
  %l1_gate = ingot.matmul %l1_y, %l1_wgate transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l1_wup = ingot.weight @blk.1.ffn_up : tensor<128x64xf32, #ingot.block<q4_0>>
  %l1_up = ingot.matmul %l1_y, %l1_wup transpose_b : tensor<?x64xf32>, tensor<128x64xf32, #ingot.block<q4_0>> -> tensor<?x128xf32>
  %l1_act = ingot.silu %l1_gate : tensor<?x128xf32>
  %l1_glu = ingot.mul %l1_act, %l1_up : tensor<?x128xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %l1_wdown = ingot.weight @blk.1.ffn_down : tensor<64x128xf32, #ingot.block<q8_0>>
  %l1_ffn = ingot.matmul %l1_glu, %l1_wdown transpose_b : tensor<?x128xf32>, tensor<64x128xf32, #ingot.block<q8_0>> -> tensor<?x64xf32>
  %l1_out = ingot.add %l1_h, %l1_ffn : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>

  // ---- Final norm and lm_head (the embedding, tied).
  %out_norm = ingot.weight @output_norm : tensor<64xf32>
  %hn = ingot.rms_norm %l1_out, %out_norm {eps = 1.0e-05 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %logits = ingot.matmul %hn, %embd transpose_b : tensor<?x64xf32>, tensor<256x64xf32, #ingot.block<q8_0>> -> tensor<?x256xf32>
  return %logits, %kc0_new, %vc0_new, %kc1_new, %vc1_new : tensor<?x256xf32>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>, !ingot.kv_cache<128x2x16xf16>
}
