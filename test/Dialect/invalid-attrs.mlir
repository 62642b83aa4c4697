// RUN: ingot-opt %s --split-input-file --verify-diagnostics

// Verifier and parser errors of the ingot attributes and types, one case per
// message.
//
// The numbers of #ingot.rope_scaling and #ingot.routing are written as float
// literals (`8192.0`): their parser reads every value with parseFloat, which
// rejects integer literals such as `k = 2` (the form the printer writes).

//===----------------------------------------------------------------------===//
// #ingot.block
//===----------------------------------------------------------------------===//

// 30 is not a multiple of q4_0's 32-element blocks.
// expected-error @+1 {{innermost dimension 30 is not a multiple of the q4_0 block size 32}}
func.func private @block_inner_dim(tensor<4x30xf32, #ingot.block<q4_0>>)

// -----

// K-quant blocks are 256 elements: 576 is not a multiple.
// expected-error @+1 {{innermost dimension 576 is not a multiple of the q4_k block size 256}}
ingot.weight_decl @w : tensor<576x576xf32, #ingot.block<q4_k>>

// -----

// The element type is the dequantized type: it must be a float.
// expected-error @+1 {{block-quantized tensor must have a float element type, got 'i8'}}
func.func private @block_int_element(tensor<4x32xi8, #ingot.block<q8_0>>)

// -----

// A scalar has no innermost dimension to block.
// expected-error @+1 {{block-quantized tensor must have rank >= 1}}
func.func private @block_rank_0(tensor<f32, #ingot.block<q8_0>>)

// -----

// A format that GGUF does not have.
// expected-error @+2 {{expected ::mlir::ingot::BlockFormat to be one of: q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, iq4_xs}}
// expected-error @+1 {{failed to parse Ingot_BlockQuantAttr parameter 'format'}}
func.func private @block_unknown_format(tensor<4x32xf32, #ingot.block<q9_0>>)

//===----------------------------------------------------------------------===//
// #ingot.group
//
// The parameters are spelled as in C++ (`groupSize`): the attribute uses
// `struct(params)`, so `group_size` (the name in its description and in its
// verifier's message) does not parse.
//===----------------------------------------------------------------------===//

// -----

// 3-bit groups.
// expected-error @+1 {{group quantization bits must be 4 or 8, got 3}}
func.func private @group_bits(tensor<4x128xf16, #ingot.group<bits = 3, group_size = 128, symmetric = true>>)

// -----

// A group size that is not a power of two.
// expected-error @+1 {{group_size must be a power of two >= 2, got 96}}
func.func private @group_size_not_power_of_two(tensor<4x192xf16, #ingot.group<bits = 4, group_size = 96, symmetric = true>>)

// -----

// Groups of one element.
// expected-error @+1 {{group_size must be a power of two >= 2, got 1}}
func.func private @group_size_one(tensor<4x128xf16, #ingot.group<bits = 8, group_size = 1, symmetric = false>>)

// -----

// An integer element type.
// expected-error @+1 {{group-quantized tensor must have a float element type, got 'i32'}}
func.func private @group_int_element(tensor<4x128xi32, #ingot.group<bits = 4, group_size = 128, symmetric = true>>)

// -----

// A scalar.
// expected-error @+1 {{group-quantized tensor must have rank >= 1}}
func.func private @group_rank_0(tensor<f16, #ingot.group<bits = 4, group_size = 128, symmetric = true>>)

// -----

// 96 is not a multiple of groups of 64.
// expected-error @+1 {{innermost dimension 96 is not a multiple of group_size 64}}
func.func private @group_inner_dim(tensor<4x96xf16, #ingot.group<bits = 4, group_size = 64, symmetric = false>>)

//===----------------------------------------------------------------------===//
// #ingot.kv_quant
//===----------------------------------------------------------------------===//

// -----

// The former int8 kind is gone: the kinds are q8, q4, tq4, tq3.
// expected-error @+2 {{expected ::mlir::ingot::KVQuantKind to be one of: q8, q4, tq4, tq3}}
// expected-error @+1 {{failed to parse}}
func.func private @kv_quant_unknown_kind(!ingot.kv_cache<16x3x64xf16, #ingot.kv_quant<int8>>)

// -----

// A 2-bit codebook is not an encoding (tq2 is not offered).
// expected-error @+2 {{expected ::mlir::ingot::KVQuantKind to be one of: q8, q4, tq4, tq3}}
// expected-error @+1 {{failed to parse}}
func.func private @kv_quant_tq2(!ingot.kv_cache<16x3x64xf16, #ingot.kv_quant<tq2>>)

//===----------------------------------------------------------------------===//
// !ingot.kv_cache
//===----------------------------------------------------------------------===//

// -----

// A cache of capacity 0.
// expected-error @+1 {{kv_cache dimensions must be positive}}
func.func private @kv_cache_zero_capacity(!ingot.kv_cache<0x3x64xf16>)

// -----

// A cache of 0 heads.
// expected-error @+1 {{kv_cache dimensions must be positive}}
func.func private @kv_cache_zero_heads(!ingot.kv_cache<16x0x64xf16>)

// -----

// A cache with head_dim 0.
// expected-error @+1 {{kv_cache dimensions must be positive}}
func.func private @kv_cache_zero_head_dim(!ingot.kv_cache<16x3x0xf16>)

// -----

// An integer element type (the element type is the logical one).
// expected-error @+1 {{kv_cache element type must be a float type, got 'i8'}}
func.func private @kv_cache_int_element(!ingot.kv_cache<16x3x64xi8>)

// -----

// tq codebooks exist for power-of-two head dims only.
// expected-error @+1 {{tq3 KV cache needs a power-of-two head_dim from 8 to 512 (its codebooks), got 96}}
func.func private @kv_cache_tq3_head_dim(!ingot.kv_cache<16x3x96xf16, #ingot.kv_quant<tq3>>)

// -----

// ... from 8 to 512.
// expected-error @+1 {{tq4 KV cache needs a power-of-two head_dim from 8 to 512 (its codebooks), got 4}}
func.func private @kv_cache_tq4_small_head_dim(!ingot.kv_cache<16x3x4xf16, #ingot.kv_quant<tq4>>)

// -----

// q8 blocks are 32 elements (the whole vector when head_dim <= 32).
// expected-error @+1 {{q8 KV cache needs head_dim <= 32 or a multiple of 32 (its blocks), got 48}}
func.func private @kv_cache_q8_head_dim(!ingot.kv_cache<16x3x48xf16, #ingot.kv_quant<q8>>)

// -----

// q4 packs two values a byte: head_dim must be even.
// expected-error @+1 {{q4 KV cache needs an even head_dim, got 15}}
func.func private @kv_cache_q4_odd_head_dim(!ingot.kv_cache<16x3x15xf16, #ingot.kv_quant<q4>>)

// -----

// Two dimensions instead of capacity x heads x head_dim.
// expected-error @+1 {{kv_cache needs capacity x heads x head_dim, got 2 dimensions}}
func.func private @kv_cache_two_dims(!ingot.kv_cache<16x192xf16>)

// -----

// Four dimensions.
// expected-error @+1 {{kv_cache needs capacity x heads x head_dim, got 4 dimensions}}
func.func private @kv_cache_four_dims(!ingot.kv_cache<2x16x3x64xf16>)

// -----

// A dynamic capacity.
// expected-error @+1 {{expected static shape}}
func.func private @kv_cache_dynamic(!ingot.kv_cache<?x3x64xf16>)

//===----------------------------------------------------------------------===//
// #ingot.rope_scaling
//===----------------------------------------------------------------------===//

// -----

// A scaling kind that does not exist.
// expected-error @+1 {{unknown rope scaling 'ntk', expected linear, llama3 or yarn}}
func.func private @rope_scaling_unknown_kind() attributes {scaling = #ingot.rope_scaling<ntk, factor = 2.0>}

// -----

// A YaRN key on linear scaling.
// expected-error @+1 {{unknown key 'beta_fast' for rope scaling linear}}
func.func private @rope_scaling_unknown_key() attributes {scaling = #ingot.rope_scaling<linear, factor = 2.0, beta_fast = 32.0>}

// -----

// A Llama 3 key on YaRN scaling.
// expected-error @+1 {{unknown key 'low_freq_factor' for rope scaling yarn}}
func.func private @rope_scaling_llama3_key_on_yarn() attributes {scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768, low_freq_factor = 1.0>}

// -----

// factor given twice.
func.func private @rope_scaling_duplicate_key() attributes {
  // expected-error @+1 {{duplicate key 'factor'}}
  scaling = #ingot.rope_scaling<linear, factor = 2.0, factor = 3.0>}

// -----

// A fractional original_max_position.
// expected-error @+1 {{expected integer value}}
func.func private @rope_scaling_fractional_position() attributes {scaling = #ingot.rope_scaling<llama3, factor = 8.0, original_max_position = 8192.5>}

// -----

// factor = 0.
// expected-error @+1 {{rope scaling factor must be positive}}
func.func private @rope_scaling_zero_factor() attributes {scaling = #ingot.rope_scaling<linear, factor = 0.0>}

// -----

// A negative factor.
// expected-error @+1 {{rope scaling factor must be positive}}
func.func private @rope_scaling_negative_factor() attributes {scaling = #ingot.rope_scaling<yarn, factor = -4.0, original_max_position = 32768>}

// -----

// llama3 with high_freq_factor <= low_freq_factor.
// expected-error @+1 {{llama3 rope scaling needs high_freq_factor > low_freq_factor}}
func.func private @rope_scaling_llama3_factors() attributes {scaling = #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 4.0, original_max_position = 8192>}

// -----

// yarn with beta_fast <= beta_slow.
// expected-error @+1 {{yarn rope scaling needs beta_fast > beta_slow}}
func.func private @rope_scaling_yarn_betas() attributes {scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768, beta_fast = 1.0, beta_slow = 32.0>}

// -----

// llama3 without original_max_position.
// expected-error @+1 {{rope scaling llama3 needs a positive original_max_position}}
func.func private @rope_scaling_llama3_no_position() attributes {scaling = #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0>}

// -----

// yarn with a negative original_max_position.
// expected-error @+1 {{original_max_position must be >= 0}}
func.func private @rope_scaling_yarn_negative_position() attributes {scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = -1>}

// -----

// llama3 with a non-positive low_freq_factor.
// expected-error @+1 {{llama3 rope scaling needs low_freq_factor > 0}}
func.func private @rope_scaling_llama3_low() attributes {scaling = #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = -3.0, high_freq_factor = 0.0, original_max_position = 8192>}

// -----

// yarn with a negative attn_factor.
// expected-error @+1 {{yarn rope scaling needs attn_factor > 0}}
func.func private @rope_scaling_yarn_attn() attributes {scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 32768, attn_factor = -1.0>}

// -----

// Scaling on ingot.rope is checked when the op is parsed.
func.func @rope_with_bad_scaling(%x: tensor<?x9x64xf32>, %p: tensor<?xi32>) -> tensor<?x9x64xf32> {
  // expected-error @+1 {{rope scaling factor must be positive}}
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<linear, factor = -2.0>} : tensor<?x9x64xf32>, tensor<?xi32> -> tensor<?x9x64xf32>
  return %y : tensor<?x9x64xf32>
}

//===----------------------------------------------------------------------===//
// #ingot.routing
//===----------------------------------------------------------------------===//

// -----

// A rule that does not exist.
// expected-error @+1 {{unknown routing rule 'top_n', expected top_k, top_p or threshold}}
func.func private @routing_unknown_rule() attributes {rule = #ingot.routing<top_n, k = 2>}

// -----

// k = 0.
// expected-error @+1 {{top_k routing needs k >= 1, got 0}}
func.func private @routing_k_zero() attributes {rule = #ingot.routing<top_k, k = 0>}

// -----

// top_k without k.
// expected-error @+1 {{top_k routing needs k >= 1, got 0}}
func.func private @routing_k_missing() attributes {rule = #ingot.routing<top_k>}

// -----

// A negative k.
// expected-error @+1 {{top_k routing needs k >= 1, got -2}}
func.func private @routing_k_negative() attributes {rule = #ingot.routing<top_k, k = -2>}

// -----

// p above 1.
// expected-error @+1 {{top_p routing needs 0 < p <= 1, got 1.5}}
func.func private @routing_p_above_one() attributes {rule = #ingot.routing<top_p, p = 1.5, max = 4>}

// -----

// p = 0 (also what a missing p reads as).
// expected-error @+1 {{top_p routing needs 0 < p <= 1, got 0}}
func.func private @routing_p_zero() attributes {rule = #ingot.routing<top_p, max = 4>}

// -----

// t = 0.
// expected-error @+1 {{threshold routing needs 0 < t <= 1, got 0}}
func.func private @routing_t_zero() attributes {rule = #ingot.routing<threshold, t = 0.0, max = 8>}

// -----

// t above 1.
// expected-error @+1 {{threshold routing needs 0 < t <= 1, got 2}}
func.func private @routing_t_above_one() attributes {rule = #ingot.routing<threshold, t = 2.0>}

// -----

// A negative max on top_p.
// expected-error @+1 {{max must be >= 0 (0: no cap), got -1}}
func.func private @routing_top_p_negative_max() attributes {rule = #ingot.routing<top_p, p = 0.6, max = -1>}

// -----

// A negative max on threshold.
// expected-error @+1 {{max must be >= 0 (0: no cap), got -3}}
func.func private @routing_threshold_negative_max() attributes {rule = #ingot.routing<threshold, t = 0.1, max = -3>}

// -----

// A fractional k.
// expected-error @+1 {{expected integer value}}
func.func private @routing_fractional_k() attributes {rule = #ingot.routing<top_k, k = 2.5>}

// -----

// A fractional max.
// expected-error @+1 {{expected integer value}}
func.func private @routing_fractional_max() attributes {rule = #ingot.routing<top_p, p = 0.6, max = 4.5>}

// -----

// max on a top_k rule.
// expected-error @+1 {{unknown key 'max' for routing rule top_k}}
func.func private @routing_max_on_top_k() attributes {rule = #ingot.routing<top_k, k = 2, max = 4>}

// -----

// t on a top_p rule.
// expected-error @+1 {{unknown key 't' for routing rule top_p}}
func.func private @routing_t_on_top_p() attributes {rule = #ingot.routing<top_p, t = 0.6>}

// -----

// k given twice.
func.func private @routing_duplicate_key() attributes {
  // expected-error @+1 {{duplicate key 'k'}}
  rule = #ingot.routing<top_k, k = 2, k = 4>}

// -----

// A key without a value.
// expected-error @+1 {{expected '='}}
func.func private @routing_key_without_value() attributes {rule = #ingot.routing<top_k, k>}
