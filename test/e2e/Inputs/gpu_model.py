#!/usr/bin/env python3
"""The logits of the hand-written GPU model (test/runtime/gpu_model.h),
computed in double, printed as a compiled model's --print-logits=all does.

Usage: gpu_model.py PREFILL_IDS DECODE_IDS   (comma-separated ids)

x[t] = rms_norm(E[token t]) * g; a[t] = causal softmax attention of x[t]
over x[0..t] (keys = values = x, scale 1/sqrt(D)); logits[t] = E . (a[t] +
x[t]), with E[v][d] = ((31 v + 17 d) mod 23 - 11) / 8 and g[d] = 1 + d/16.
"""

import math
import sys

V, D, EPS = 259, 8, 1e-5


def emb(v, d):
    return ((v * 31 + d * 17) % 23 - 11) / 8.0


def row(logits):
    return " ".join("%.6g" % x for x in logits)


def main():
    prefill = [int(t) for t in sys.argv[1].split(",")]
    decode = [int(t) for t in sys.argv[2].split(",")] if len(sys.argv) > 2 else []
    xs = []

    def step(t):
        e = [emb(t, d) for d in range(D)]
        r = 1.0 / math.sqrt(sum(v * v for v in e) / D + EPS)
        x = [e[d] * r * (1.0 + d / 16.0) for d in range(D)]
        xs.append(x)
        s = [sum(x[d] * y[d] for d in range(D)) / math.sqrt(D) for y in xs]
        top = max(s)
        w = [math.exp(v - top) for v in s]
        z = sum(w)
        h = [x[d] + sum(w[j] / z * xs[j][d] for j in range(len(xs)))
             for d in range(D)]
        return [sum(emb(v, d) * h[d] for d in range(D)) for v in range(V)]

    print("# prefill: tokens %s at positions 0..%d"
          % (",".join(map(str, prefill)), len(prefill) - 1))
    for t in prefill:
        print(row(step(t)))
    for i, t in enumerate(decode):
        print("# decode: token %d at position %d" % (t, len(prefill) + i))
        print(row(step(t)))


if __name__ == "__main__":
    main()
