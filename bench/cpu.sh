#!/usr/bin/env bash
# Ingot's CPU backend against llama.cpp, side by side in one run: for each
# model and thread count, `llama-bench -p PP -n TG -t T -r REPS` and the
# compiled model's `--bench -pp PP -tg TG -r REPS --threads T`, interleaved,
# ROUNDS times; the table gives the median over rounds of each run's mean,
# and the best round of each (on a loaded machine the best round is the one
# that had the cores to itself).
#
#   bench/cpu.sh                    # SmolLM2-135M Q4_1, Q8_0, Q4_0; 1 and 2 threads
#
# Models: SmolLM2-135M-Instruct Q4_1 as shipped, and Q8_0 / Q4_0 of it made by
# llama-quantize from a float GGUF (bench/gguf-to-f32.py: every tensor
# dequantized to F32 except token_embd, the tied output head, kept Q8_0 as
# shipped), so both engines run the very same files. The Q8_0 / Q4_0 rows also
# give Ingot compiled from the float GGUF with `ingotc --quantize=q8_0|q4_0`
# (same layout: ingotc keeps embeddings), which should run as fast.
#
# Decode bandwidth: weight bytes read per decoded token (every matrix of every
# layer plus the output head, from `ingotc inspect`) x tokens/s, against the
# read bandwidth of ../shared/tools/bw.c on this machine.
#
# Environment: INGOT_BUILD_DIR (build), INGOT_PEERS_DIR (/tmp/ingot-peers),
# SMOL_GGUF (the Q4_1 file), INGOT_BENCH_DIR (cache of generated models,
# /tmp/ingot-bench), BENCH_PYTHON (a python with numpy and gguf, needed once
# to make the float GGUF; default /tmp/bench-venv/bin/python), MODELS
# ("q4_1 q8_0 q4_0"), THREADS ("1 2"), PP (512), TG (128), REPS (3),
# ROUNDS (3), BW_SRC (bw.c), BASELINE_INGOTC (another ingotc, e.g. main's
# before a change: its executables run interleaved with the others and the
# table gets their t/s and the after/before ratio).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${INGOT_BUILD_DIR:-$root/build}"
peers="${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp/bin"
smol="${SMOL_GGUF:-$("$root/scripts/fetch-smollm2" || true)}"
cache="${INGOT_BENCH_DIR:-/tmp/ingot-bench}"
py="${BENCH_PYTHON:-/tmp/bench-venv/bin/python}"
models="${MODELS:-q4_1 q8_0 q4_0}"
threads="${THREADS:-1 2}"
pp="${PP:-512}"
tg="${TG:-128}"
reps="${REPS:-3}"
rounds="${ROUNDS:-3}"
bw_src="${BW_SRC:-$root/../shared/tools/bw.c}"
baseline="${BASELINE_INGOTC:-}"

die() { echo "cpu.sh: error: $*" >&2; exit 1; }

[[ -x "$peers/llama-bench" ]] ||
  die "no llama-bench in $peers: run bench/llama-cpp/build.sh (needs the network, ~12 min)"
[[ -f "$smol" ]] ||
  die "no SmolLM2 model${smol:+ at $smol}: scripts/fetch-smollm2 could not fetch it (offline?); set SMOL_GGUF"
ingotc="$build/bin/ingotc"
[[ -x "$ingotc" ]] ||
  die "no $ingotc: run scripts/build ingotc (INGOT_BUILD_DIR=$build)"
[[ -z "$baseline" || -x "$baseline" ]] ||
  die "BASELINE_INGOTC=$baseline is not an executable"
command -v python3 >/dev/null || die "python3 not found"
mkdir -p "$cache"

# --- Models ------------------------------------------------------------------
gguf_of() { # quant -> GGUF path
  if [[ "$1" == q4_1 ]]; then echo "$smol"; else echo "$cache/smollm2-$1.gguf"; fi
}
float="$cache/smollm2-f32.gguf"
need_float=false
for m in $models; do
  case "$m" in
    q4_1) ;;
    q8_0|q4_0) [[ -f "$(gguf_of "$m")" && -f "$float" ]] || need_float=true ;;
    *) die "unknown model '$m' in MODELS (q4_1, q8_0, q4_0)" ;;
  esac
done
if $need_float && [[ ! -f "$float" ]]; then
  "$py" -c 'import numpy, gguf' 2>/dev/null ||
    die "$py lacks numpy/gguf (python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install numpy gguf), or set BENCH_PYTHON"
  echo "making $float ..." >&2
  "$py" "$here/gguf-to-f32.py" "$smol" "$float.tmp" --keep '^token_embd\.'
  mv "$float.tmp" "$float"
fi
for m in $models; do
  f="$(gguf_of "$m")"
  [[ "$m" == q4_1 || -f "$f" ]] && continue
  [[ -x "$peers/llama-quantize" ]] ||
    die "no llama-quantize in $peers: run bench/llama-cpp/build.sh"
  echo "making $f with llama-quantize ..." >&2
  "$peers/llama-quantize" --pure --token-embedding-type q8_0 "$float" \
    "$f.tmp" "${m^^}" >/dev/null 2>&1 || die "llama-quantize $m failed"
  mv "$f.tmp" "$f"
done

# Compiled executables, rebuilt when ingotc or the model is newer, and in any
# case written anew: the weights are read from the executable's own pages, and
# an executable kept in the page cache since an earlier run decoded up to 20%
# slower than a fresh copy of the same bytes (SmolLM2 Q4_0, 1 thread, 2026-12-07),
# so every contender starts from a freshly written file.
compile() { # out model [flags...]
  local out="$1" model="$2" compiler="${COMPILER:-$ingotc}"
  shift 2
  if [[ ! -x "$out" || "$compiler" -nt "$out" || "$model" -nt "$out" ]]; then
    echo "compiling $out ..." >&2
    "$compiler" "$model" -o "$out" "$@" || die "$compiler $model $* failed"
  else
    cp -p -- "$out" "$out.tmp" && mv -- "$out.tmp" "$out" ||
      die "cannot rewrite $out"
  fi
}
for m in $models; do
  compile "$cache/smol-$m" "$(gguf_of "$m")"
  if [[ -n "$baseline" ]]; then
    # Always rebuilt: the baseline compiler may be older than the last one.
    rm -f "$cache/smol-$m-base"
    COMPILER="$baseline" compile "$cache/smol-$m-base" "$(gguf_of "$m")"
  fi
  if [[ "$m" != q4_1 ]]; then
    compile "$cache/smol-$m-iq" "$float" --quantize="$m"
  fi
done

# Weight bytes read per decoded token: every matrix but the embedding, which
# is read once per token, unless it is the (tied) output head.
bytes_per_token() { # model [--quantize=...]
  "$ingotc" inspect "$@" | python3 -c '
import sys
lines = sys.stdin.read().splitlines()
tied = any("tied embeddings" in l for l in lines)
start = max(i for i, l in enumerate(lines) if l.startswith("weight bytes by class"))
total = 0
for l in lines[start + 2:]:
    f = l.split()
    if len(f) < 5 or f[0] == "total":
        continue
    if f[0] in ("norm",) or (f[0] == "embedding" and not tied):
        continue
    total += int(f[4])
print(total)'
}

# --- Peak read bandwidth -----------------------------------------------------
bw_out=""
if [[ -f "$bw_src" ]] && command -v gcc >/dev/null; then
  if [[ ! -x "$cache/bw" || "$bw_src" -nt "$cache/bw" ]]; then
    gcc -O3 -march=native -ffast-math -fopenmp "$bw_src" -o "$cache/bw" ||
      die "cannot build $bw_src"
  fi
  bw_out="$(OMP_NUM_THREADS=2 "$cache/bw" 1024)"
fi

# --- Runs --------------------------------------------------------------------
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
res="$work/results.tsv"
: >"$res"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

parse_llama() { # json model threads
  python3 - "$@" >>"$res" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1])):
    test = f"pp{r['n_prompt']}" if r["n_gen"] == 0 else f"tg{r['n_gen']}"
    print(f"llama\t{sys.argv[2]}\t{sys.argv[3]}\t{test}\t{r['avg_ts']}")
EOF
}
parse_ingot() { # output engine model threads
  python3 - "$@" >>"$res" <<'EOF'
import sys
for l in open(sys.argv[1]):
    f = [c.strip() for c in l.strip().strip("|").split("|")]
    if len(f) == 6 and f[4][:2] in ("pp", "tg") and f[5][0].isdigit():
        print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{f[4]}\t"
              f"{f[5].split()[0]}")
EOF
}

for ((round = 1; round <= rounds; ++round)); do
  for m in $models; do
    for t in $threads; do
      echo "round $round/$rounds: $m, $t thread(s) (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      "$peers/llama-bench" -m "$(gguf_of "$m")" -p "$pp" -n "$tg" -t "$t" \
        -r "$reps" -o json >"$work/l.json" 2>"$work/l.err" ||
        { cat "$work/l.err" >&2; die "llama-bench failed on $m"; }
      parse_llama "$work/l.json" "$m" "$t"
      "$cache/smol-$m" --bench -pp "$pp" -tg "$tg" -r "$reps" --threads "$t" \
        >"$work/i.md" || die "ingot --bench failed on $m"
      parse_ingot "$work/i.md" ingot "$m" "$t"
      if [[ -n "$baseline" ]]; then
        "$cache/smol-$m-base" --bench -pp "$pp" -tg "$tg" -r "$reps" \
          --threads "$t" >"$work/b.md" || die "ingot --bench failed on $m-base"
        parse_ingot "$work/b.md" ingot-base "$m" "$t"
      fi
      if [[ "$m" != q4_1 ]]; then
        "$cache/smol-$m-iq" --bench -pp "$pp" -tg "$tg" -r "$reps" \
          --threads "$t" >"$work/q.md" || die "ingot --bench failed on $m-iq"
        parse_ingot "$work/q.md" ingot-iq "$m" "$t"
      fi
    done
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- Table -------------------------------------------------------------------
bpt="$work/bpt.tsv"
: >"$bpt"
for m in $models; do
  echo -e "$m\t$(bytes_per_token "$(gguf_of "$m")")" >>"$bpt"
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $cpu; $(nproc) CPUs; load average at start $load_start, at end $load_end"
# The vector extensions that pick the kernels (lscpu's flags, filtered).
simd="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
  grep -E '^(sse4_2|avx|avx2|fma|f16c|bmi2|avx512[a-z_0-9]*|avx_vnni|amx[a-z_0-9]*)$' |
  tr '\n' ' ' | sed 's/ $//' || true)"
echo "SIMD flags: ${simd:-none}"
echo "llama.cpp: $(grep -m1 commit "${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp/VERSION" 2>/dev/null || echo '?')"
[[ -n "$bw_out" ]] && echo "bw.c (1 GiB read): $(echo "$bw_out" | sed 's/ (checksum [^)]*)//' | paste -sd';' -)"
echo "median over $rounds rounds of the mean of $reps repetitions each"
echo
python3 - "$res" "$bpt" "$bw_out" <<'EOF'
import re, statistics, sys
runs = {}
for l in open(sys.argv[1]):
    e, m, t, test, ts = l.split("\t")
    runs.setdefault((e, m, int(t), test), []).append(float(ts))
bpt = {l.split("\t")[0]: int(l.split("\t")[1]) for l in open(sys.argv[2])}
bw = {int(a): float(b) for a, b in re.findall(r"threads (\d+): read ([\d.]+)", sys.argv[3])}
med = lambda k: statistics.median(runs[k]) if k in runs else None
fmt = lambda x: "–" if x is None else f"{x:.1f}"
print("| model | quant | threads | test | llama.cpp t/s | ingot t/s | ingot / llama.cpp "
      "| best of rounds: llama.cpp, ingot, ratio "
      "| ingot `--quantize` t/s | weights/token MB | llama.cpp GB/s | ingot GB/s | bw.c GB/s |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
keys = sorted({k[1:] for k in runs}, key=lambda k: (["q4_1", "q8_0", "q4_0"].index(k[0]), k[1], k[2]))
for m, t, test in keys:
    l, i, q = med(("llama", m, t, test)), med(("ingot", m, t, test)), med(("ingot-iq", m, t, test))
    ratio = f"{i / l:.2f}" if l and i else "–"
    bl, bi = (max(runs.get((e, m, t, test), [0])) for e in ("llama", "ingot"))
    best = f"{bl:.1f}, {bi:.1f}, {bi / bl:.2f}" if bl and bi else "–"
    src = "shipped" if m == "q4_1" else "llama-quantize"
    if test.startswith("tg"):
        b = bpt[m]
        extra = (f"{b / 1e6:.1f} | {fmt(l and l * b / 1e9)} | {fmt(i and i * b / 1e9)} "
                 f"| {fmt(bw.get(t))}")
    else:
        extra = " | | | "
    print(f"| SmolLM2-135M | {m.upper()} ({src}) | {t} | {test} | {fmt(l)} | {fmt(i)} "
          f"| {ratio} | {best} | {fmt(q)} | {extra} |")
if any(k[0] == "ingot-base" for k in runs):
    print()
    print("| quant | threads | test | ingot before t/s | ingot after t/s | after / before "
          "| best of rounds: before, after, ratio |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for m, t, test in keys:
        b, a = med(("ingot-base", m, t, test)), med(("ingot", m, t, test))
        bb, ba = (max(runs.get((e, m, t, test), [0])) for e in ("ingot-base", "ingot"))
        ratio = f"{a / b:.3f}" if a and b else "–"
        best = f"{bb:.1f}, {ba:.1f}, {ba / bb:.3f}" if bb and ba else "–"
        print(f"| {m.upper()} | {t} | {test} | {fmt(b)} | {fmt(a)} | {ratio} | {best} |")
print()
print("all runs (t/s, one per round):")
for k in sorted(runs):
    print("  " + " ".join(map(str, k)) + ": " + ", ".join(f"{x:.1f}" for x in runs[k]))
EOF
