#!/usr/bin/env python3
"""Estimates the average experts per token a top-p routing rule selects.

  moe-experts.py MODEL-F32.gguf P [P...]

For each layer's router (blk.N.ffn_gate_inp, F32) and 512 random tokens, the
router input is taken as the RMS-normalized token embedding times the
layer's ffn_norm (the residual stream of a random-weight model stays close
to its embedding); the softmax probabilities are sorted and the smallest
prefix whose sum reaches P is counted (at least one expert), as
`--moe-routing=top-p:P` does. An estimate for choosing P; bench/moe.sh checks
it against decode time. Needs numpy and gguf.
"""
import sys

import numpy as np
import gguf


def main():
    r = gguf.GGUFReader(sys.argv[1])
    t = {x.name: x for x in r.tensors}

    def f32(name):
        x = t[name]
        return gguf.quants.dequantize(x.data, x.tensor_type).reshape(
            tuple(int(n) for n in reversed(x.shape))).astype(np.float64)

    emb = f32("token_embd.weight")
    rng = np.random.default_rng(0)
    x = emb[rng.integers(0, emb.shape[0], 512)]
    x = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-5)
    layers = sorted({int(n.split(".")[1]) for n in t if n.endswith("ffn_gate_inp.weight")})
    probs = []
    for i in layers:
        logits = (x * f32(f"blk.{i}.ffn_norm.weight")) @ f32(f"blk.{i}.ffn_gate_inp.weight").T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs.append(-np.sort(-(p / p.sum(axis=1, keepdims=True)), axis=1))
    probs = np.concatenate(probs)
    print(f"{len(layers)} layers, {probs.shape[1]} experts; mean sorted probs: "
          + " ".join(f"{v:.3f}" for v in probs.mean(axis=0)))
    for a in sys.argv[2:]:
        P = float(a)
        n = np.maximum(1, (np.cumsum(probs, axis=1) < P - 1e-12).sum(axis=1) + 1)
        n = np.minimum(n, probs.shape[1])
        print(f"top-p:{a}: {n.mean():.2f} experts per token on average "
              f"(min {n.min()}, max {n.max()})")


if __name__ == "__main__":
    main()
