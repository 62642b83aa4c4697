#!/usr/bin/env python3
"""Runs a command with its stdout a pipe whose reader is already gone, so
that its first write fails, and prints how the command ended and its
stderr. SIGPIPE is left at its default (the write kills the command) or,
with --ignore-sigpipe, ignored (as some services and shells start programs:
the write fails with EPIPE).

  broken-pipe.py [--ignore-sigpipe] COMMAND [ARGS...]
"""
import os
import signal
import subprocess
import sys

args = sys.argv[1:]
ignore = args[:1] == ["--ignore-sigpipe"]
if ignore:
    args = args[1:]
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
r, w = os.pipe()
os.close(r)
try:
    # restore_signals puts SIGPIPE back to its default in the child.
    p = subprocess.run(args, stdout=w, stderr=subprocess.PIPE,
                       restore_signals=not ignore, timeout=60)
    status, err = p.returncode, p.stderr
except subprocess.TimeoutExpired as e:
    status, err = "timeout", e.stderr or b""
os.close(w)
print("status:", status)
print("stderr: %d bytes" % len(err))
sys.stdout.write(err.decode(errors="replace"))
