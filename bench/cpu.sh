#!/usr/bin/env bash
# Ingot's CPU backend against llama.cpp, side by side in one run: for each
# model and thread count, `llama-bench -p PP -n TG -t T -r REPS` and the
# compiled model's `--bench -pp PP -tg TG -r REPS --threads T`, interleaved,
# ROUNDS times; the table gives the median over rounds of each run's mean,
# and the best round of each (on a loaded machine the best round is the one
# that had the cores to itself).
#
#   bench/cpu.sh                                  # the SmolLM2-135M rows
#   MODELS="l1b-q4_0 l1b-q4_k_m moe-q4_0" bench/cpu.sh
#   MODELS=all PP=256 TG=64 bench/cpu.sh          # every row below
#
# Models (MODELS, names as below; both engines run the very same GGUF file):
#   smol-q4_1            SmolLM2-135M-Instruct Q4_1 as shipped
#   smol-q8_0 smol-q4_0  the same weights made F32 (bench/gguf-to-f32.py, the
#                        tied embedding/output head kept Q8_0 as shipped) and
#                        quantized by `llama-quantize --pure`; these rows also
#                        give Ingot compiled from the float file with
#                        `ingotc --quantize=q8_0|q4_0` (same layout)
#   smol-q4_k_m          the same float file, llama-quantize Q4_K_M
#   l1b-q4_0 l1b-q8_0 l1b-q4_k_m   random weights, Llama-3.2-1B shape
#   l8b-q4_k_m           random weights, Llama-3.1-8B shape (decode only:
#                        PP is 0 for it, TG is TG8)
#   moe-q4_0 moe-q4_k_m  random weights, fine-grained MoE (64 experts, top-8)
#   moe-q4_0-topp        moe-q4_0 compiled with --moe-routing=top-p:0.5
#                        (llama.cpp runs its top-8 on the same file)
#   olmoe-q4_0           random weights, OLMoE-like (16 experts, top-4)
# The random-weight files come from ../shared/tools/synth-gguf.py (SYNTH) at
# F16, quantized by llama-quantize: Q4_K_M as llama.cpp mixes it (Q6_K for
# attn_v, half of ffn_down and the output head), Q4_0 / Q8_0 with --pure. The
# 8B F16 file (16 GB) is deleted once quantized.
#
# Decode bandwidth: weight bytes read per decoded token (every matrix of every
# layer plus the output head, from `ingotc inspect`; not given for MoE rows,
# which read only the routed experts) x tokens/s, against the read bandwidth
# of ../shared/tools/bw.c measured in the same run.
#
# Environment: INGOT_BUILD_DIR (build), INGOT_PEERS_DIR (/tmp/ingot-peers),
# SMOL_GGUF (the Q4_1 file), INGOT_BENCH_DIR (cache of generated models,
# /tmp/ingot-bench), BENCH_PYTHON (a python with numpy and gguf, to make the
# float files; default /tmp/bench-venv/bin/python), SYNTH, MODELS
# ("smol-q4_1 smol-q8_0 smol-q4_0", or "all"), THREADS ("1 2"), PP (512),
# TG (128), TG8 (16), REPS (3), ROUNDS (3), BW_SRC (bw.c), BASELINE_INGOTC
# (another ingotc, e.g. main's before a change: its executables run
# interleaved with the others and the table gets their t/s and the
# after/before ratio).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${INGOT_BUILD_DIR:-$root/build}"
peers="${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp/bin"
smol="${SMOL_GGUF:-$("$root/scripts/fetch-smollm2" || true)}"
cache="${INGOT_BENCH_DIR:-/tmp/ingot-bench}"
py="${BENCH_PYTHON:-/tmp/bench-venv/bin/python}"
all_models="smol-q4_1 smol-q8_0 smol-q4_0 smol-q4_k_m l1b-q4_0 l1b-q8_0 l1b-q4_k_m l8b-q4_k_m moe-q4_0 moe-q4_k_m moe-q4_0-topp olmoe-q4_0"
models="${MODELS:-smol-q4_1 smol-q8_0 smol-q4_0}"
[[ "$models" == all ]] && models="$all_models"
threads="${THREADS:-1 2}"
pp="${PP:-512}"
tg="${TG:-128}"
tg8="${TG8:-16}"
reps="${REPS:-3}"
rounds="${ROUNDS:-3}"
bw_src="${BW_SRC:-$root/../shared/tools/bw.c}"
synth="${SYNTH:-$root/../shared/tools/synth-gguf.py}"
baseline="${BASELINE_INGOTC:-}"

die() { echo "cpu.sh: error: $*" >&2; exit 1; }

for m in $models; do
  [[ " $all_models " == *" $m "* ]] ||
    die "unknown model '$m' in MODELS (one of: $all_models, or all)"
done
[[ -x "$peers/llama-bench" && -x "$peers/llama-quantize" ]] ||
  die "no llama-bench/llama-quantize in $peers: run bench/llama-cpp/build.sh (needs the network, ~12 min)"
if [[ " $models " == *" smol-q"[148]_[01]" "* ]]; then
  [[ -f "$smol" ]] ||
    die "no SmolLM2 model${smol:+ at $smol}: scripts/fetch-smollm2 could not fetch it (offline?); set SMOL_GGUF"
fi
ingotc="$build/bin/ingotc"
[[ -x "$ingotc" ]] ||
  die "no $ingotc: run scripts/build ingotc (INGOT_BUILD_DIR=$build)"
[[ -z "$baseline" || -x "$baseline" ]] ||
  die "BASELINE_INGOTC=$baseline is not an executable"
command -v python3 >/dev/null || die "python3 not found"
mkdir -p "$cache"

# --- Models ------------------------------------------------------------------
need_py() {
  "$py" -c 'import numpy, gguf' 2>/dev/null ||
    die "$py lacks numpy/gguf (python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install numpy gguf), or set BENCH_PYTHON"
}
file_of() { # model -> the GGUF both engines run
  case "$1" in
    smol-q4_1) echo "$smol" ;;
    moe-q4_0-topp) echo "$cache/moe-q4_0.gguf" ;;
    *) echo "$cache/$1.gguf" ;;
  esac
}
label_of() { # model -> "model | quant" table cells
  case "$1" in
    smol-q4_1) echo "SmolLM2-135M | Q4_1 (shipped)" ;;
    smol-q8_0) echo "SmolLM2-135M | Q8_0" ;;
    smol-q4_0) echo "SmolLM2-135M | Q4_0" ;;
    smol-q4_k_m) echo "SmolLM2-135M | Q4_K_M" ;;
    l1b-*) local q="${1#l1b-}"; echo "Llama-3.2-1B shape | ${q^^}" ;;
    l8b-q4_k_m) echo "Llama-3.1-8B shape | Q4_K_M" ;;
    moe-q4_0) echo "MoE 64e top-8 | Q4_0" ;;
    moe-q4_k_m) echo "MoE 64e top-8 | Q4_K_M" ;;
    moe-q4_0-topp) echo "MoE 64e, Ingot top-p:0.5 vs llama.cpp top-8 | Q4_0" ;;
    olmoe-q4_0) echo "OLMoE-like 16e top-4 | Q4_0" ;;
  esac
}
flags_of() { # model -> extra ingotc flags
  [[ "$1" == moe-q4_0-topp ]] && echo "--moe-routing=top-p:0.5"
  true
}
shape_of() { # model prefix -> synth-gguf.py shape
  case "$1" in
    smol) echo smollm2-135m ;; l1b) echo llama3.2-1b ;; l8b) echo llama3.1-8b ;;
    moe) echo moe-64e ;; olmoe) echo olmoe-tiny ;;
  esac
}
quantize() { # float out type [flags]
  local float="$1" out="$2" type="$3"
  shift 3
  echo "making $out with llama-quantize ..." >&2
  "$peers/llama-quantize" "$@" "$float" "$out.tmp" "$type" >/dev/null 2>&1 ||
    die "llama-quantize $type of $float failed"
  mv "$out.tmp" "$out"
}
smol_float="$cache/smollm2-f32.gguf"
make_model() { # model
  local m="$1" f
  f="$(file_of "$m")"
  [[ -f "$f" ]] && return
  case "$m" in
    smol-q8_0|smol-q4_0|smol-q4_k_m)
      if [[ ! -f "$smol_float" ]]; then
        need_py
        echo "making $smol_float ..." >&2
        "$py" "$here/gguf-to-f32.py" "$smol" "$smol_float.tmp" --keep '^token_embd\.'
        mv "$smol_float.tmp" "$smol_float"
      fi
      local q="${m#smol-}"
      if [[ "$q" == q4_k_m ]]; then
        quantize "$smol_float" "$f" Q4_K_M
      else
        quantize "$smol_float" "$f" "${q^^}" --pure --token-embedding-type q8_0
      fi ;;
    *)
      local prefix="${m%%-*}" q="${m#*-}" float
      q="${q%-topp}"
      float="$cache/$prefix-f16.gguf"
      if [[ ! -f "$float" ]]; then
        need_py
        [[ -f "$synth" ]] || die "no $synth (set SYNTH)"
        echo "making $float (synth-gguf.py --shape $(shape_of "$prefix")) ..." >&2
        "$py" "$synth" "$float.tmp" --shape "$(shape_of "$prefix")" --type f16 >/dev/null ||
          die "synth-gguf.py failed"
        mv "$float.tmp" "$float"
      fi
      if [[ "$q" == q4_k_m ]]; then
        quantize "$float" "$f" Q4_K_M
      else
        quantize "$float" "$f" "${q^^}" --pure
      fi
      [[ "$prefix" == l8b ]] && rm -f "$float" ;;
  esac
}
for m in $models; do make_model "$m"; done
pp_of() { [[ "$1" == l8b-* ]] && echo 0 || echo "$pp"; }
tg_of() { [[ "$1" == l8b-* ]] && echo "$tg8" || echo "$tg"; }
has_iq() { [[ "$1" == smol-q8_0 || "$1" == smol-q4_0 ]]; }

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
  # shellcheck disable=SC2046
  compile "$cache/exe-$m" "$(file_of "$m")" $(flags_of "$m")
  if [[ -n "$baseline" ]]; then
    # Always rebuilt: the baseline compiler may be older than the last one.
    rm -f "$cache/exe-$m-base"
    # shellcheck disable=SC2046
    COMPILER="$baseline" compile "$cache/exe-$m-base" "$(file_of "$m")" $(flags_of "$m")
  fi
  if has_iq "$m"; then
    compile "$cache/exe-$m-iq" "$smol_float" --quantize="${m#smol-}"
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
      mpp="$(pp_of "$m")" mtg="$(tg_of "$m")"
      "$peers/llama-bench" -m "$(file_of "$m")" -p "$mpp" -n "$mtg" -t "$t" \
        -r "$reps" -o json >"$work/l.json" 2>"$work/l.err" ||
        { cat "$work/l.err" >&2; die "llama-bench failed on $m"; }
      parse_llama "$work/l.json" "$m" "$t"
      for e in ingot ${baseline:+ingot-base} $(has_iq "$m" && echo ingot-iq); do
        exe="$cache/exe-$m${e#ingot}"
        "$exe" --bench -pp "$mpp" -tg "$mtg" -r "$reps" --threads "$t" \
          >"$work/i.md" || die "$exe --bench failed"
        parse_ingot "$work/i.md" "$e" "$m" "$t"
      done
    done
  done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- Table -------------------------------------------------------------------
bpt="$work/bpt.tsv"
: >"$bpt"
for m in $models; do
  [[ "$m" == *moe* ]] && continue
  echo -e "$m\t$(bytes_per_token "$(file_of "$m")")" >>"$bpt"
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
labels="$work/labels.tsv"
: >"$labels"
for m in $models; do echo -e "$m\t$(label_of "$m")" >>"$labels"; done
python3 - "$res" "$bpt" "$bw_out" "$labels" "$models" <<'EOF'
import re, statistics, sys
runs = {}
for l in open(sys.argv[1]):
    e, m, t, test, ts = l.split("\t")
    runs.setdefault((e, m, int(t), test), []).append(float(ts))
bpt = {l.split("\t")[0]: int(l.split("\t")[1]) for l in open(sys.argv[2])}
bw = {int(a): float(b) for a, b in re.findall(r"threads (\d+): read ([\d.]+)", sys.argv[3])}
med = lambda k: statistics.median(runs[k]) if k in runs else None
fmt = lambda x: "–" if x is None else f"{x:.1f}"
labels = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[4]))
order = sys.argv[5].split()
print("| model | quant | threads | test | llama.cpp t/s | ingot t/s | ingot / llama.cpp "
      "| best of rounds: llama.cpp, ingot, ratio "
      "| ingot `--quantize` t/s | weights/token MB | llama.cpp GB/s | ingot GB/s | bw.c GB/s | ingot % of bw.c |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
keys = sorted({k[1:] for k in runs}, key=lambda k: (order.index(k[0]), k[1], k[2]))
for m, t, test in keys:
    l, i, q = med(("llama", m, t, test)), med(("ingot", m, t, test)), med(("ingot-iq", m, t, test))
    ratio = f"**{i / l:.2f}**" if l and i and i / l >= 1.5 else f"{i / l:.2f}" if l and i else "–"
    bl, bi = (max(runs.get((e, m, t, test), [0])) for e in ("llama", "ingot"))
    best = f"{bl:.1f}, {bi:.1f}, {bi / bl:.2f}" if bl and bi else "–"
    if test.startswith("tg") and m in bpt:
        b = bpt[m]
        pct = f"{100 * i * b / 1e9 / bw[t]:.0f}%" if i and bw.get(t) else "–"
        extra = (f"{b / 1e6:.1f} | {fmt(l and l * b / 1e9)} | {fmt(i and i * b / 1e9)} "
                 f"| {fmt(bw.get(t))} | {pct}")
    else:
        extra = " | | | | "
    print(f"| {labels[m]} | {t} | {test} | {fmt(l)} | {fmt(i)} "
          f"| {ratio} | {best} | {fmt(q)} | {extra} |")
if any(k[0] == "ingot-base" for k in runs):
    print()
    print("| model | threads | test | ingot before t/s | ingot after t/s | after / before "
          "| best of rounds: before, after, ratio |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for m, t, test in keys:
        b, a = med(("ingot-base", m, t, test)), med(("ingot", m, t, test))
        bb, ba = (max(runs.get((e, m, t, test), [0])) for e in ("ingot-base", "ingot"))
        ratio = f"{a / b:.3f}" if a and b else "–"
        best = f"{bb:.1f}, {ba:.1f}, {ba / bb:.3f}" if bb and ba else "–"
        print(f"| {m} | {t} | {test} | {fmt(b)} | {fmt(a)} | {ratio} | {best} |")
print()
print("all runs (t/s, one per round):")
for k in sorted(runs):
    print("  " + " ".join(map(str, k)) + ": " + ", ".join(f"{x:.1f}" for x in runs[k]))
EOF
