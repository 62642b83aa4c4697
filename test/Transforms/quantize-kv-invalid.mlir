// Errors of --ingot-quantize-kv. The function is left as it was.
// RUN: ingot-opt %s --split-input-file --ingot-quantize-kv="keys=tq4 values=q8" --verify-diagnostics
//
// A malformed encoding fails when the pass is initialized, before any op is
// seen, so its error has no location: these runs check the message with
// FileCheck.
// RUN: not ingot-opt %s --ingot-quantize-kv="keys=tq7" 2>&1 | FileCheck %s --check-prefix=TQ7
// TQ7: error: --ingot-quantize-kv keys: unknown KV-cache encoding 'tq7' (expected f32, f16, bf16, q8, q4, tq4 or tq3)
// RUN: not ingot-opt %s --ingot-quantize-kv="values=int8" 2>&1 | FileCheck %s --check-prefix=INT8
// INT8: error: --ingot-quantize-kv values: unknown KV-cache encoding 'int8' (expected f32, f16, bf16, q8, q4, tq4 or tq3)

// tq codebooks need a power-of-two head_dim: 96 has none.
func.func @tq_head_dim_96(%q: tensor<?x4x96xf32>, %k: tensor<?x2x96xf32>, %v: tensor<?x2x96xf32>, %pos: index, %kc: !ingot.kv_cache<64x2x96xf32>, %vc: !ingot.kv_cache<64x2x96xf32>) -> (tensor<?x4x96xf32>, !ingot.kv_cache<64x2x96xf32>, !ingot.kv_cache<64x2x96xf32>) {
  // expected-error @+1 {{tq4 KV cache needs a power-of-two head_dim from 8 to 512 (its codebooks), got 96}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 1.0e-01 : f32} : tensor<?x4x96xf32>, tensor<?x2x96xf32>, tensor<?x2x96xf32>, !ingot.kv_cache<64x2x96xf32>, !ingot.kv_cache<64x2x96xf32> -> tensor<?x4x96xf32>, !ingot.kv_cache<64x2x96xf32>, !ingot.kv_cache<64x2x96xf32>
  return %o, %kc1, %vc1 : tensor<?x4x96xf32>, !ingot.kv_cache<64x2x96xf32>, !ingot.kv_cache<64x2x96xf32>
}

// -----

// The fine-grained form (kv_read/kv_write): the pass runs after
// --ingot-fuse-attention and refuses caches it cannot see being encoded.
// expected-error @+1 {{KV cache argument #1 is not used by a fused ingot.attention (run --ingot-fuse-attention first)}}
func.func @unfused(%k: tensor<?x2x16xf32>, %kc: !ingot.kv_cache<64x2x16xf32>, %pos: index) -> (tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>) {
  %past = ingot.kv_read %kc, %pos : !ingot.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  %kc1 = ingot.kv_write %kc, %k, %pos : !ingot.kv_cache<64x2x16xf32>, tensor<?x2x16xf32>
  return %past, %kc1 : tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>
}

// -----

// A cache read beside the fused attention would see the old encoding.
func.func @cache_read_elsewhere(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %pos: index, %kc: !ingot.kv_cache<64x2x16xf32>, %vc: !ingot.kv_cache<64x2x16xf32>) -> (tensor<?x4x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>) {
  %past = ingot.kv_read %kc, %pos : !ingot.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  // expected-error @+1 {{the key cache must be a function argument used only by this attention (run --ingot-fuse-attention first)}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 2.5e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>
  return %o, %past, %kc1, %vc1 : tensor<?x4x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>
}

// -----

// The updated value cache is used by something other than func.return.
func.func @updated_cache_read(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %pos: index, %kc: !ingot.kv_cache<64x2x16xf32>, %vc: !ingot.kv_cache<64x2x16xf32>, %n: index) -> (tensor<?x4x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>) {
  // expected-error @+1 {{the updated value cache may only be returned, but 'ingot.kv_read' uses it}}
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 2.5e-01 : f32} : tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32> -> tensor<?x4x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>
  %all = ingot.kv_read %vc1, %n : !ingot.kv_cache<64x2x16xf32> -> tensor<?x2x16xf32>
  return %o, %all, %kc1, %vc1 : tensor<?x4x16xf32>, tensor<?x2x16xf32>, !ingot.kv_cache<64x2x16xf32>, !ingot.kv_cache<64x2x16xf32>
}
