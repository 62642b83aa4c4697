#!/usr/bin/env python3
"""Writes attention-variants.mlir for fuse-attention-variants-numerics.test.

Usage: make-attention-variants.py > attention-variants.mlir

One tiny model per variant of decomposed attention that
--ingot-fuse-attention recognizes: an embedding, q/k/v projections, the
attention variant over a KV cache (4 query heads over 2 key/value heads,
head_dim 8), an output head. Each function follows ingot-run's entry
convention, so ingot-run --entry=NAME --weights-random=SEED runs it before
and after the pass. Standard library only.
"""

import textwrap

X = "tensor<?x32xf32>"
Q = "tensor<?x4x8xf32>"
K = "tensor<?x2x8xf32>"
QH = "tensor<4x?x8xf32>"
KH = "tensor<2x?x8xf32>"
S = "tensor<4x?x?xf32>"
R = "tensor<4x?x1xf32>"
C = "!ingot.kv_cache<64x2x8xf32>"


def const(name, value):
    return f"  {name} = ingot.constant dense<{value}> : tensor<f32>\n"


def softmax(x):
    return f"  %p = ingot.softmax {x} {{axis = -1 : i64}} : {S}\n"


def decomposed(x):
    return (f"  %mx = ingot.reduce max {x} {{axis = -1 : i64}} : {S} -> {R}\n"
            f"  %d = ingot.sub {x}, %mx : {S}, {R} -> {S}\n"
            f"  %e = ingot.exp %d : {S}\n"
            f"  %z = ingot.reduce sum %e {{axis = 2 : i64}} : {S} -> {R}\n"
            f"  %p = ingot.div %e, %z : {S}, {R} -> {S}\n")


def tokens_first(x, out):
    """GQA expansion of x [?,2,8] to [?,4,8], then the head swap."""
    return (f"  %{x}4 = ingot.reshape %{x} : {K} -> tensor<?x2x1x8xf32>\n"
            f"  %{x}w = ingot.broadcast %{x}4 : tensor<?x2x1x8xf32> -> tensor<?x2x2x8xf32>\n"
            f"  %{x}e = ingot.reshape %{x}w : tensor<?x2x2x8xf32> -> {Q}\n"
            f"  {out} = ingot.transpose %{x}e [1, 0, 2] : {Q} -> {QH}\n")


def heads_first(x, out):
    """The head swap, then the GQA expansion (like repeat_kv)."""
    return (f"  %{x}h2 = ingot.transpose %{x} [1, 0, 2] : {K} -> {KH}\n"
            f"  %{x}4 = ingot.reshape %{x}h2 : {KH} -> tensor<2x1x?x8xf32>\n"
            f"  %{x}w = ingot.broadcast %{x}4 : tensor<2x1x?x8xf32> -> tensor<2x2x?x8xf32>\n"
            f"  {out} = ingot.reshape %{x}w : tensor<2x2x?x8xf32> -> {QH}\n")


def model(name, comment, qh, kh, vh, scores):
    """`scores` computes %p from %s = q·kᵀ (%qpos, %kpos in scope)."""
    return (textwrap.fill(comment, width=78, initial_indent="// ",
                          subsequent_indent="// ") + "\n"
            f"func.func @{name}(%ids: tensor<?xi32>, %start: index, %kc: {C}, %vc: {C}) -> (tensor<?x48xf32>, {C}, {C}) {{\n"
            "  %c0 = arith.constant 0 : index\n"
            "  %t = tensor.dim %ids, %c0 : tensor<?xi32>\n"
            "  %n = arith.addi %start, %t : index\n"
            "  %qpos = ingot.iota %t offset %start : tensor<?xi32>\n"
            "  %kpos = ingot.iota %n : tensor<?xi32>\n"
            "  %table = ingot.weight @embed : tensor<48x32xf32>\n"
            f"  %x = ingot.embedding %table, %ids : tensor<48x32xf32>, tensor<?xi32> -> {X}\n"
            "  %wq = ingot.weight @wq : tensor<32x32xf32>\n"
            "  %wk = ingot.weight @wk : tensor<16x32xf32>\n"
            "  %wv = ingot.weight @wv : tensor<16x32xf32>\n"
            f"  %q2 = ingot.matmul %x, %wq transpose_b : {X}, tensor<32x32xf32> -> {X}\n"
            f"  %k2 = ingot.matmul %x, %wk transpose_b : {X}, tensor<16x32xf32> -> tensor<?x16xf32>\n"
            f"  %v2 = ingot.matmul %x, %wv transpose_b : {X}, tensor<16x32xf32> -> tensor<?x16xf32>\n"
            f"  %q = ingot.reshape %q2 : {X} -> {Q}\n"
            f"  %knew = ingot.reshape %k2 : tensor<?x16xf32> -> {K}\n"
            f"  %vnew = ingot.reshape %v2 : tensor<?x16xf32> -> {K}\n"
            f"  %pk = ingot.kv_read %kc, %start : {C} -> {K}\n"
            f"  %k = ingot.concat %pk, %knew {{axis = 0 : i64}} : {K}, {K} -> {K}\n"
            f"  %kc1 = ingot.kv_write %kc, %knew, %start : {C}, {K}\n"
            f"  %pv = ingot.kv_read %vc, %start : {C} -> {K}\n"
            f"  %v = ingot.concat %pv, %vnew {{axis = 0 : i64}} : {K}, {K} -> {K}\n"
            f"  %vc1 = ingot.kv_write %vc, %vnew, %start : {C}, {K}\n"
            + qh + kh + vh +
            f"  %s = ingot.matmul %qh, %kh transpose_b : {QH}, {QH} -> {S}\n"
            + scores +
            f"  %o = ingot.matmul %p, %vh : {S}, {QH} -> {QH}\n"
            f"  %out = ingot.transpose %o [1, 0, 2] : {QH} -> {Q}\n"
            f"  %o2 = ingot.reshape %out : {Q} -> {X}\n"
            "  %wo = ingot.weight @head : tensor<48x32xf32>\n"
            f"  %logits = ingot.matmul %o2, %wo transpose_b : {X}, tensor<48x32xf32> -> tensor<?x48xf32>\n"
            f"  return %logits, %kc1, %vc1 : tensor<?x48xf32>, {C}, {C}\n"
            "}\n")


PLAIN_Q = f"  %qh = ingot.transpose %q [1, 0, 2] : {Q} -> {QH}\n"
BOOL_MASK = ("  %mb = ingot.mask causal %qpos, %kpos : tensor<?xi32>, "
             "tensor<?xi32> -> tensor<?x?xi1>\n")

VARIANTS = [
    model("div_boolean_decomposed",
          "Scores divided by a constant, a boolean causal mask applied with "
          "select(mask, s, -inf), the max-subtracted softmax.",
          PLAIN_Q, tokens_first("k", "%kh"), tokens_first("v", "%vh"),
          const("%c", "5.000000e-03") +
          f"  %ss = ingot.div %s, %c : {S}, tensor<f32> -> {S}\n" + BOOL_MASK +
          const("%ninf", "0xFF800000") +
          f"  %sm = ingot.select %mb, %ss, %ninf : tensor<?x?xi1>, {S}, tensor<f32> -> {S}\n" +
          decomposed("%sm")),
    model("scale_q_softcap_window",
          "q scaled before the head swap, a softcap c * tanh(s / c), an "
          "additive sliding-window mask.",
          const("%c", "1.500000e+02") +
          f"  %qs = ingot.mul %q, %c : {Q}, tensor<f32> -> {Q}\n"
          f"  %qh = ingot.transpose %qs [1, 0, 2] : {Q} -> {QH}\n",
          tokens_first("k", "%kh"), tokens_first("v", "%vh"),
          const("%cap", "1.000000e+00") +
          f"  %t0 = ingot.div %s, %cap : {S}, tensor<f32> -> {S}\n"
          f"  %t1 = ingot.tanh %t0 : {S}\n"
          f"  %sc = ingot.mul %t1, %cap : {S}, tensor<f32> -> {S}\n"
          "  %m = ingot.mask sliding_window %qpos, %kpos {window = 3 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>\n"
          f"  %sm = ingot.add %m, %sc : tensor<?x?xf32>, {S} -> {S}\n" +
          softmax("%sm")),
    model("heads_first_softcap_bool_additive",
          "GQA expanded after the head swap (repeat_kv), k scaled after the "
          "swap, a softcap c * tanh(s * (1/c)), a boolean mask made additive "
          "with select(mask, 0, -inf).",
          PLAIN_Q,
          heads_first("k", "%kh0") + const("%c", "1.500000e+02") +
          f"  %kh = ingot.mul %c, %kh0 : tensor<f32>, {QH} -> {QH}\n",
          heads_first("v", "%vh"),
          const("%inv", "5.000000e-01") + const("%cap", "2.000000e+00") +
          f"  %t0 = ingot.mul %s, %inv : {S}, tensor<f32> -> {S}\n"
          f"  %t1 = ingot.tanh %t0 : {S}\n"
          f"  %sc = ingot.mul %cap, %t1 : tensor<f32>, {S} -> {S}\n" +
          BOOL_MASK + const("%zero", "0.000000e+00") +
          const("%ninf", "-3.40282347E+38") +
          "  %m = ingot.select %mb, %zero, %ninf : tensor<?x?xi1>, tensor<f32>, tensor<f32> -> tensor<?x?xf32>\n"
          f"  %sm = ingot.add %sc, %m : {S}, tensor<?x?xf32> -> {S}\n" +
          softmax("%sm")),
    model("no_mask_split_scale",
          "No mask over the cached keys (every key visible), the scale split "
          "between q (after the swap) and the scores (a quotient).",
          f"  %qh0 = ingot.transpose %q [1, 0, 2] : {Q} -> {QH}\n" +
          const("%c", "3.000000e+02") +
          f"  %qh = ingot.mul %qh0, %c : {QH}, tensor<f32> -> {QH}\n",
          tokens_first("k", "%kh"), tokens_first("v", "%vh"),
          const("%c2", "2.000000e+00") +
          f"  %ss = ingot.div %s, %c2 : {S}, tensor<f32> -> {S}\n" +
          decomposed("%ss")),
]

print("// Generated by make-attention-variants.py; do not edit.\n"
      "ingot.weight_decl @embed : tensor<48x32xf32>\n"
      "ingot.weight_decl @wq : tensor<32x32xf32>\n"
      "ingot.weight_decl @wk : tensor<16x32xf32>\n"
      "ingot.weight_decl @wv : tensor<16x32xf32>\n"
      "ingot.weight_decl @head : tensor<48x32xf32>\n")
print("\n".join(VARIANTS), end="")
