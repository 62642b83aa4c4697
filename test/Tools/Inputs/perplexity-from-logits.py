#!/usr/bin/env python3
"""Checks `ingot-run --perplexity` against logits printed independently.

Usage: perplexity-from-logits.py ROWS PERPLEXITY

ROWS is the output of `ingot-run --prompt=TEXT --print=all` (a `# prefill:
tokens a,b,...` line, then one row of logits per token); PERPLEXITY the
output of `ingot-run --perplexity=FILE` on the same text. Recomputes the mean
negative log-likelihood of each token given the row before it (log-softmax
in double) and compares it with the `mean_nll` printed, within 1e-4.
Standard library only.
"""
import math
import re
import sys

rows_text = open(sys.argv[1]).read().splitlines()
ids = [int(t) for t in
       re.search(r"# prefill: tokens ([\d,]+)", rows_text[0]).group(1).split(",")]
rows = [[float(v) for v in line.split()] for line in rows_text[1:]
        if line and not line.startswith("#")]
assert len(rows) == len(ids), (len(rows), len(ids))
nll = 0.0
for i in range(len(ids) - 1):
    row = rows[i]
    peak = max(row)
    nll += peak + math.log(sum(math.exp(v - peak) for v in row)) - row[ids[i + 1]]
expected = nll / (len(ids) - 1)
m = re.search(r"^tokens (\d+) predicted (\d+) mean_nll ([\d.]+) perplexity ([\d.]+)",
              open(sys.argv[2]).read(), re.M)
if not m:
    sys.exit("no perplexity line")
tokens, predicted, mean_nll = int(m.group(1)), int(m.group(2)), float(m.group(3))
if tokens != len(ids) or predicted != len(ids) - 1:
    sys.exit("token counts differ: %d/%d vs %d" % (tokens, predicted, len(ids)))
if abs(mean_nll - expected) > 1e-4:
    sys.exit("mean NLL %.6f, expected %.6f" % (mean_nll, expected))
print("ok: %d tokens, mean NLL %.6f" % (tokens, expected))
