#!/usr/bin/env bash
# Decode cost against experts used, on a random-weight Mixtral-style model
# (../shared/tools/synth-gguf.py --shape mixtral-tiny: 8 layers, 512 wide,
# 8 experts of FFN 1024, 122 M parameters, Q4_0 by llama-quantize --pure).
# Ingot compiles the same file with --moe-routing=top-k:1, top-k:2, top-k:8
# (all experts) and top-p:P (P chosen so that about 2 experts per token are
# used, estimated by bench/moe-experts.py); llama.cpp runs the top-k ones
# (files whose llama.expert_used_count is set by llama-quantize --override-kv,
# same weights). Runs are interleaved, ROUNDS times; medians of run means.
#
#   bench/moe.sh
#
# Environment: INGOT_BUILD_DIR, INGOT_PEERS_DIR, INGOT_BENCH_DIR, BENCH_PYTHON,
# SYNTH (synth-gguf.py), TOP_P (0.3), THREADS ("1 2"), TG (128), REPS (3),
# ROUNDS (3).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${INGOT_BUILD_DIR:-$root/build}"
peers="${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp/bin"
cache="${INGOT_BENCH_DIR:-/tmp/ingot-bench}"
py="${BENCH_PYTHON:-/tmp/bench-venv/bin/python}"
synth="${SYNTH:-$root/../shared/tools/synth-gguf.py}"
top_p="${TOP_P:-0.3}"
threads="${THREADS:-1 2}"
tg="${TG:-128}"
reps="${REPS:-3}"
rounds="${ROUNDS:-3}"
ingotc="$build/bin/ingotc"

die() { echo "moe.sh: error: $*" >&2; exit 1; }
[[ -x "$peers/llama-bench" && -x "$peers/llama-quantize" ]] ||
  die "no llama-bench/llama-quantize in $peers: run bench/llama-cpp/build.sh"
[[ -x "$ingotc" ]] || die "no $ingotc: run scripts/build ingotc"
mkdir -p "$cache"

float="$cache/moe-f32.gguf"
if [[ ! -f "$float" ]]; then
  [[ -f "$synth" ]] || die "no $synth (set SYNTH)"
  "$py" -c 'import numpy, gguf' 2>/dev/null ||
    die "$py lacks numpy/gguf (python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install numpy gguf)"
  "$py" "$synth" "$float.raw" --shape mixtral-tiny
  # Ingot's importer wants expert_feed_forward_length (llama.cpp falls back
  # to feed_forward_length for Mixtral).
  "$py" "$here/gguf-to-f32.py" "$float.raw" "$float" \
    --set-u32 llama.expert_feed_forward_length=1024
  rm -f "$float.raw"
fi
for k in 1 2 8; do
  f="$cache/moe-q4_0-k$k.gguf"
  [[ -f "$f" ]] && continue
  "$peers/llama-quantize" --pure --override-kv "llama.expert_used_count=int:$k" \
    "$float" "$f.tmp" Q4_0 >/dev/null 2>&1 || die "llama-quantize failed"
  mv "$f.tmp" "$f"
done
if [[ -x "$py" ]] && "$py" -c 'import numpy, gguf' 2>/dev/null; then
  "$py" "$here/moe-experts.py" "$float" "$top_p" >&2
fi

routes="top-k:1 top-k:2 top-k:8 top-p:$top_p"
exe() { echo "$cache/moe-${1//[:.]/}"; }
for r in $routes; do
  out="$(exe "$r")"
  if [[ ! -x "$out" || "$ingotc" -nt "$out" ]]; then
    "$ingotc" "$cache/moe-q4_0-k2.gguf" --moe-routing="$r" -o "$out" ||
      die "ingotc --moe-routing=$r failed"
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
res="$work/res.tsv"
: >"$res"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; ++round)); do
  for t in $threads; do
    for r in $routes; do
      echo "round $round/$rounds: $r, $t thread(s)" >&2
      if [[ "$r" == top-k:* ]]; then
        "$peers/llama-bench" -m "$cache/moe-q4_0-k${r#top-k:}.gguf" -p 0 \
          -n "$tg" -t "$t" -r "$reps" -o json 2>/dev/null |
          python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["avg_ts"])' |
          sed "s/^/llama\t$r\t$t\t/" >>"$res"
      fi
      "$(exe "$r")" --bench -pp 0 -tg "$tg" -r "$reps" --threads "$t" |
        awk -F'|' '$6 ~ /tg/ {split($7, a, " "); print a[1]}' |
        sed "s/^/ingot\t$r\t$t\t/" >>"$res"
    done
  done
done
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tg$tg, median over $rounds rounds of the mean of $reps repetitions"
echo
python3 - "$res" "$routes" <<'EOF'
import statistics, sys
runs = {}
for l in open(sys.argv[1]):
    e, r, t, ts = l.split("\t")
    runs.setdefault((e, r, int(t)), []).append(float(ts))
med = lambda k: statistics.median(runs[k]) if k in runs else None
print("| routing | threads | llama.cpp t/s | ingot t/s | ingot ms/token | ingot / llama.cpp | ingot ms/token / top-k:2's |")
print("|---|---:|---:|---:|---:|---:|---:|")
for t in sorted({k[2] for k in runs}):
    base = med(("ingot", "top-k:2", t))
    for r in sys.argv[2].split():
        l, i = med(("llama", r, t)), med(("ingot", r, t))
        print(f"| {r} | {t} | {'–' if l is None else f'{l:.1f}'} | {i:.1f} | {1e3 / i:.2f} "
              f"| {'–' if l is None else f'{i / l:.2f}'} | {base / i:.2f} |")
EOF
