#!/usr/bin/env bash
# KV-cache encodings vs perplexity on SmolLM2-135M (see kv-cache-quality.md).
#
# Usage: bench/kv-cache-quality.sh [TOKENS] [ENCODING...]
#   TOKENS     tokens of the text to score (default 2048)
#   ENCODING   --kv-cache values (default: f32 f16 q8 q4 tq4 tq3 k:q8,v:tq3
#              k:q8,v:tq4); ENC+mu: the same with the keys' means subtracted
#              (--kv-calibration=$CALIBRATION)
# Environment: INGOT_BUILD_DIR (default build/), JOBS (encodings run at
# once, default 1), TABLE_ONLY (1: only print the table of earlier logs), OUT (log folder, default /tmp/kv-cache-quality),
# CHUNK (tokens per step, default 256), TEXT (default GPL-3 license text),
# CALIBRATION (the text of ENC+mu, default the Apache-2.0 license text: not
# the scored one), CALIBRATION_TOKENS (default 512).
#
# Runs ingot-run --perplexity with the reference evaluator for each
# encoding, then prints a Markdown table: encoding, KV bytes per token per
# layer (keys + values), perplexity, change vs f32.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${INGOT_BUILD_DIR:-$root/build}
tokens=${1:-2048}
shift || true
encodings=("$@")
if [ ${#encodings[@]} -eq 0 ]; then
  encodings=(f32 f16 q8 q4 tq4 tq3 k:q8,v:tq3 k:q8,v:tq4)
fi
jobs=${JOBS:-1}
out=${OUT:-/tmp/kv-cache-quality}
chunk=${CHUNK:-256}
text=${TEXT:-/usr/share/common-licenses/GPL-3}
calibration=${CALIBRATION:-/usr/share/common-licenses/Apache-2.0}
calibration_tokens=${CALIBRATION_TOKENS:-512}
model=${SMOL_GGUF:-$("$(dirname "$0")/../scripts/fetch-smollm2" || true)}
[ -f "$model" ] || { echo "kv-cache-quality: no model at $model" >&2; exit 1; }
mkdir -p "$out"

run() {
  local enc=$1 log="$out/$(echo "$1" | tr ':,+' '-_.').log" extra=()
  if [[ "$enc" == *+mu ]]; then
    enc=${enc%+mu}
    extra=(--kv-calibration="$calibration"
           --kv-calibration-tokens="$calibration_tokens")
  fi
  nice "$build/bin/ingot-run" "$model" --kv-cache="$enc" --ctx="$tokens" \
    --perplexity="$text" --max-tokens="$tokens" --chunk="$chunk" \
    "${extra[@]}" >"$log" 2>&1 ||
    echo "kv-cache-quality: $enc failed, see $log" >&2
}

running=0
# TABLE_ONLY=1: only print the table from the logs of an earlier run.
[ -n "${TABLE_ONLY:-}" ] && encodings_to_run=() || encodings_to_run=("${encodings[@]}")
for enc in "${encodings_to_run[@]}"; do
  run "$enc" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

# The table: every encoding at the largest token count all runs reached
# (chunk boundaries), so a run cut short still compares like with like.
python3 - "$out" "$tokens" "$text" "$chunk" "${encodings[@]}" <<'PY'
import os, re, sys, math, platform, datetime
out, tokens, text, chunk, encs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
runs = {}
for enc in encs:
    log = os.path.join(out, enc.replace(':', '-').replace(',', '_').replace('+', '.') + '.log')
    data = open(log).read() if os.path.exists(log) else ''
    m = re.search(r'^# kv-cache: .*, (\d+) bytes per token per layer', data, re.M)
    chunks = {int(e) + 1: float(p) for e, p in
              re.findall(r'^# chunk: tokens \d+\.\.(\d+), running perplexity ([\d.]+)', data, re.M)}
    runs[enc] = (m.group(1) if m else '?', chunks)
common = min((max(c) if c else 0) for _, c in runs.values())
if common == 0:
    sys.exit('kv-cache-quality: some encoding has no finished chunk yet')
base = runs.get('f32', (None, {}))[1].get(common)
print('| encoding | KV bytes per token per layer | perplexity | vs f32 |')
print('| --- | ---: | ---: | ---: |')
for enc in encs:
    size, chunks = runs[enc]
    ppl = chunks.get(common)
    delta = '%+.2f%%' % (100 * (ppl / base - 1)) if ppl and base else ''
    print('| `%s` | %s | %s | %s |' % (enc, size, '%.4f' % ppl if ppl else 'n/a', delta))
print()
print('%s, %d cores, %s; the first %d tokens (of %d asked) of %s, chunks of %s.'
      % (platform.machine(), os.cpu_count(), datetime.date.today(), common, tokens,
         os.path.basename(text), chunk))
PY
