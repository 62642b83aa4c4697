#!/usr/bin/env python3
"""Compares two `ingot-run --print=...` dumps numerically.

Usage: compare-logits.py EXPECTED ACTUAL [--tolerance=1e-5]

The dumps must have the same lines with the same words; every word that
parses as a number may differ by at most the tolerance (absolute). The dumps
print about six significant digits, so each printed number stands for any
value within half a unit of its last digit: that rounding is allowed on top
of the tolerance (otherwise values that differ by 1e-7 could print 1e-5
apart). Exits 1, naming the first difference, otherwise prints the largest
difference. Standard library only.
"""

import decimal
import math
import sys


def parse_number(word):
    try:
        return float(word.strip(",[]()"))
    except ValueError:
        return None


def print_resolution(word):
    """Half a unit of the last printed digit of `word`."""
    try:
        exponent = decimal.Decimal(word.strip(",[]()")).as_tuple().exponent
    except decimal.InvalidOperation:
        return 0.0
    if not isinstance(exponent, int):
        return 0.0
    return 0.5 * 10.0 ** exponent


def main(argv):
    tolerance = 1e-5
    paths = []
    for arg in argv[1:]:
        if arg.startswith("--tolerance="):
            tolerance = float(arg.split("=", 1)[1])
        else:
            paths.append(arg)
    if len(paths) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(paths[0]) as f:
        expected = f.read().splitlines()
    with open(paths[1]) as f:
        actual = f.read().splitlines()
    if len(expected) != len(actual):
        print(f"error: {len(expected)} lines vs {len(actual)} lines",
              file=sys.stderr)
        return 1
    numbers = 0
    worst = 0.0
    for line, (a, b) in enumerate(zip(expected, actual), 1):
        wa, wb = a.split(), b.split()
        if len(wa) != len(wb):
            print(f"error: line {line}: {len(wa)} words vs {len(wb)}",
                  file=sys.stderr)
            return 1
        for x, y in zip(wa, wb):
            fx, fy = parse_number(x), parse_number(y)
            if fx is None or fy is None:
                if x != y:
                    print(f"error: line {line}: '{x}' vs '{y}'",
                          file=sys.stderr)
                    return 1
                continue
            numbers += 1
            if math.isnan(fx) or math.isnan(fy):
                print(f"error: line {line}: NaN ({x} vs {y})", file=sys.stderr)
                return 1
            diff = abs(fx - fy)
            worst = max(worst, diff)
            # 1e-12: the binary floats of the decimal words round too.
            allowed = tolerance + print_resolution(x) + print_resolution(y)
            if diff > allowed + 1e-12:
                print(f"error: line {line}: {x} vs {y} differ by {diff:g} > "
                      f"{tolerance:g} (+ print rounding: {allowed:g})",
                      file=sys.stderr)
                return 1
    if numbers == 0:
        print("error: no numbers to compare", file=sys.stderr)
        return 1
    print(f"ok: {numbers} numbers, max abs diff {worst:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
