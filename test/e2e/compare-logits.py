#!/usr/bin/env python3
"""Compares two logits dumps row by row.

Usage: compare-logits.py EXPECTED ACTUAL (--rel=TOL | --abs=TOL) [--cols=N]
                         [--rows=N]

EXPECTED is the reference. Each input is either a text dump as
`ingot-run --print=all|last` and a compiled model's `--print-logits=all|last`
write them (lines starting with '#' are step headers, every other line is one
row of space-separated numbers), or raw little-endian float32 files of rows of
--cols values (the goldens of test/fixtures/models), several joined with '+'
(`hf.short.prefill.f32.bin+hf.short.decode.f32.bin`). --rows=N compares only
the first N rows of both.

Both must have the same number of rows and of columns per row, and when both
are text dumps (and no --rows), the same header lines (the same tokens at
the same positions). Per row, --rel bounds max|a - b| / max|b| (b:
EXPECTED's row), --abs bounds max|a - b|. Prints the worst error; exits 1
(naming the first row beyond the tolerance) when a row exceeds it or the
shapes differ. Standard library only.
"""

import argparse
import struct
import sys


def read_text(path):
    """(headers, rows) of a text dump."""
    headers, rows = [], []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                headers.append(line)
                continue
            try:
                rows.append([float(word) for word in line.split()])
            except ValueError:
                raise SystemExit("compare-logits: %s:%d: not a row of numbers"
                                 % (path, number))
    return headers, rows


def read_bins(spec, cols):
    """Rows of the '+'-joined raw float32 files of `spec`."""
    if not cols:
        raise SystemExit("compare-logits: %s: raw float32 input needs --cols"
                         % spec)
    rows = []
    for path in spec.split("+"):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) % (4 * cols):
            raise SystemExit("compare-logits: %s: %d bytes is not a whole "
                             "number of rows of %d float32" %
                             (path, len(data), cols))
        values = struct.unpack("<%df" % (len(data) // 4), data)
        rows += [list(values[i:i + cols]) for i in range(0, len(values), cols)]
    return None, rows


def read(spec, cols):
    try:
        if spec.endswith(".bin") or "+" in spec:
            return read_bins(spec, cols)
        return read_text(spec)
    except OSError as e:
        raise SystemExit("compare-logits: %s" % e)


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("expected")
    parser.add_argument("actual")
    bound = parser.add_mutually_exclusive_group(required=True)
    bound.add_argument("--rel", type=float)
    bound.add_argument("--abs", type=float)
    parser.add_argument("--cols", type=int, default=0)
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()

    expected_headers, expected = read(args.expected, args.cols)
    actual_headers, actual = read(args.actual, args.cols)
    if args.rows:
        expected, actual = expected[:args.rows], actual[:args.rows]
    if expected_headers is not None and actual_headers is not None and \
            not args.rows and expected_headers != actual_headers:
        for e, a in zip(expected_headers + [""], actual_headers + [""]):
            if e != a:
                print("compare-logits: headers differ: '%s' vs '%s'" % (e, a))
                return 1
    if len(expected) != len(actual) or not expected:
        print("compare-logits: %d rows vs %d rows" % (len(expected),
                                                      len(actual)))
        return 1
    relative = args.rel is not None
    tolerance = args.rel if relative else args.abs
    worst, worst_row, worst_abs = -1.0, 0, 0.0
    for r, (b, a) in enumerate(zip(expected, actual)):
        if len(a) != len(b):
            print("compare-logits: row %d: %d columns vs %d" % (r, len(b),
                                                                len(a)))
            return 1
        diff = max(abs(x - y) for x, y in zip(a, b))
        scale = max(abs(y) for y in b)
        err = diff / scale if relative else diff
        if relative and scale == 0:
            err = 0.0 if diff == 0 else float("inf")
        if err != err or err > tolerance:
            print("compare-logits: row %d: %s error %.3g > %g (max |a-b| "
                  "%.3g, max |b| %.3g)" % (r, "relative" if relative else
                                           "absolute", err, tolerance, diff,
                                           scale))
            return 1
        if err > worst:
            worst, worst_row, worst_abs = err, r, diff
    print("compare-logits: %d rows x %d: worst %s error %.3g (row %d, max "
          "|a-b| %.3g) <= %g" % (len(expected), len(expected[0]),
                                 "relative" if relative else "absolute",
                                 worst, worst_row, worst_abs, tolerance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
