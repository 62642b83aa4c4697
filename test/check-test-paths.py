#!/usr/bin/env python3
"""Checks that no test reads a path outside the repository, the build
directory and Ingot's cache: a test that does passes only on the machine
where it was written.

Usage: test/check-test-paths.py REPO [PATH...]

Scans the text files under REPO/test (or the PATHs given; not the fixture
generators in test/fixtures, which are maintainer tools) and the bench/,
scripts/ and test/fixtures/ files that a test's RUN line names, for
absolute paths and for the home directory. Allowed: the devices and /proc
files tests use on purpose, interpreters, LLVM's and CUDA's tool folders,
and a line marked "check-test-paths: not read" (or following such a line),
for a path a test hands to a tool only to see it refused. Prints one line
per finding (file:line: path) and exits 1 if there is any.
"""
import os
import re
import sys

ABSOLUTE = re.compile(
    r"(?<![\w.%}$@/\\-])(/(?:tmp|home|root|opt|var|mnt|srv|media|work|etc|usr|"
    r"dev|proc|sys|run|bin|lib|lib64|sbin|nix|snap)(?:/[^\s'\"`),;:\]}]*)?)")
HOME = re.compile(r"\$HOME\b|\$\{HOME\}|(?<![\w/])~/|getenv\(\"HOME\"\)")
ALLOWED = (
    "/dev/null", "/dev/zero", "/dev/full", "/dev/stdin", "/dev/stdout",
    "/dev/stderr", "/dev/urandom", "/dev/fd/", "/proc/cpuinfo", "/proc/self/",
    "/proc/loadavg", "/usr/bin/env", "/bin/sh", "/bin/bash", "/usr/bin/python3",
    "/usr/lib/llvm-22/", "/usr/local/cuda",
)
# Files allowed to name the home directory: they compute Ingot's cache.
HOME_ALLOWED = ("test/smollm2.py",)
# This check itself and its own inputs, which break the rules on purpose;
# the fixture generators (maintainer tools, not run by the suite).
SKIPPED = ("test/Tools/Inputs/test-paths", "test/Tools/test-paths.test",
           "test/check-test-paths.py",
           "test/fixtures")
MARK = "check-test-paths: not read"
SUFFIXES = (".test", ".mlir", ".py", ".cpp", ".c", ".h", ".sh", ".in", ".txt",
            ".cmake", ".json")
NAMED_SCRIPT = re.compile(
    r"%ingot_src_root/((?:bench|scripts|test/fixtures)/[\w./-]+)")


def text_of(path):
    try:
        if os.path.getsize(path) > (1 << 20):
            return None
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace")


def files_under(root, top):
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and
                             os.path.join(rel, d) not in SKIPPED)
        for name in sorted(filenames):
            if ((name.endswith(SUFFIXES) or "." not in name) and
                    os.path.join(rel, name) not in SKIPPED):
                yield os.path.join(dirpath, name)


def check(root, path, findings, named):
    text = text_of(path)
    if text is None:
        return
    rel = os.path.relpath(path, root)
    marked = False
    for number, line in enumerate(text.splitlines(), 1):
        if number == 1 and line.startswith("#!"):
            continue
        if MARK in line or marked:
            marked = MARK in line
            named.update(NAMED_SCRIPT.findall(line))
            continue
        named.update(NAMED_SCRIPT.findall(line))
        for match in ABSOLUTE.finditer(line):
            found = match.group(1)
            if not found.startswith(ALLOWED) and found not in ("/dev", "/tmp"):
                findings.append(f"{rel}:{number}: {found}")
            elif found == "/tmp":
                findings.append(f"{rel}:{number}: /tmp")
        if HOME.search(line) and rel not in HOME_ALLOWED:
            findings.append(f"{rel}:{number}: the home directory")


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    tops = [os.path.abspath(p) for p in argv[2:]] or [os.path.join(root, "test")]
    findings, named, seen = [], set(), set()
    for top in tops:
        for path in (files_under(root, top) if os.path.isdir(top) else [top]):
            seen.add(os.path.relpath(path, root))
            check(root, path, findings, named)
    for rel in sorted(named - seen):
        if os.path.isfile(os.path.join(root, rel)):
            check(root, os.path.join(root, rel), findings, set())
    for finding in findings:
        print(f"{finding}: a path outside the repository, the build directory "
              "and Ingot's cache")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
