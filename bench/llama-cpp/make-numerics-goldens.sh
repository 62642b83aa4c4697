#!/usr/bin/env bash
# Writes test/fixtures/goldens/llamacpp/: fixture models quantized to
# Q4_1 by llama.cpp and llama.cpp's logits on them, the goldens of
# test/e2e/numerics-ggml.test (`ingotc --numerics=ggml` must reproduce them
# to the printed digits). Run it only when the fixtures or the pinned
# llama.cpp change; the tests need neither llama.cpp nor the network.
#
#   bench/llama-cpp/make-numerics-goldens.sh
#
# For each model M of MODELS (test/fixtures/models/M/model-f32.gguf):
#   M.gguf      llama-quantize ... Q4_1 (token_embd falls back to Q8_0: 64
#               columns do not divide k-quant blocks), ~75 KB
#   M.f32.bin   ingot-logits with llama.cpp's defaults (f16 KV cache, flash
#               attention), 2 threads: the prompt 0,298,281,304,85,262,268 as
#               one batch, then 16 decode ids one at a time; 17 rows of
#               float32 logits (the rows of --print-logits=last)
# and VERSION (llama.cpp's build, as bench/llama-cpp/build.sh records it).
# For llama also llama-q4_0.{gguf,f32.bin}: the same with Q4_0, which
# llama.cpp's AVX2 build repacks into 8-row interleaved blocks.
# For llama also llama.long.f32.bin: an 80-id prompt (ids 7i+3 mod 320),
# which llama.cpp's attention takes through its tiled kernel (64 queries or
# more), then 180 decode ids (11i+5 mod 320), the last 4 of them past 256
# cached tokens where its decode attention splits the KV view into one chunk
# per thread (2 here): 181 rows.
#
# Environment: INGOT_PEERS_DIR (/tmp/ingot-peers), MODELS (llama qwen2
# llama3 qwen2_moe: interleaved and neox rope, q/k/v biases, rope frequency
# factors, experts with a shared expert).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peers="${INGOT_PEERS_DIR:-/tmp/ingot-peers}/llama.cpp"
out="$root/test/fixtures/goldens/llamacpp"
prompt=0,298,281,304,85,262,268
decode=263,314,16,101,7,42,250,3,77,150,299,12,64,128,200,5

die() { echo "make-numerics-goldens.sh: error: $*" >&2; exit 1; }
for tool in llama-quantize ingot-logits; do
  [[ -x "$peers/bin/$tool" ]] ||
    die "no $peers/bin/$tool: run bench/llama-cpp/build.sh"
done

mkdir -p "$out"
for m in ${MODELS:-llama qwen2 llama3 qwen2_moe}; do
  src="$root/test/fixtures/models/$m/model-f32.gguf"
  [[ -f "$src" ]] || die "no $src"
  "$peers/bin/llama-quantize" "$src" "$out/$m.gguf" Q4_1 >/dev/null 2>&1 ||
    die "llama-quantize failed on $src"
  "$peers/bin/ingot-logits" "$out/$m.gguf" default 2 "$out/$m.f32.bin" \
    "$prompt" "$decode" || die "ingot-logits failed on $m"
  echo "$m: $(stat -c %s "$out/$m.gguf") + $(stat -c %s "$out/$m.f32.bin") bytes"
done
# Q4_0, which llama.cpp repacks at load into 8-row interleaved blocks.
"$peers/bin/llama-quantize" "$root/test/fixtures/models/llama/model-f32.gguf" \
  "$out/llama-q4_0.gguf" Q4_0 >/dev/null 2>&1 || die "llama-quantize Q4_0 failed"
"$peers/bin/ingot-logits" "$out/llama-q4_0.gguf" default 2 \
  "$out/llama-q4_0.f32.bin" "$prompt" "$decode" || die "ingot-logits failed on Q4_0"
echo "llama Q4_0: $(stat -c %s "$out/llama-q4_0.gguf") + $(stat -c %s "$out/llama-q4_0.f32.bin") bytes"
long_prompt=$(python3 -c 'print(",".join(str((7 * i + 3) % 320) for i in range(80)))')
long_decode=$(python3 -c 'print(",".join(str((11 * i + 5) % 320) for i in range(180)))')
"$peers/bin/ingot-logits" "$out/llama.gguf" default 2 "$out/llama.long.f32.bin" \
  "$long_prompt" "$long_decode" || die "ingot-logits failed on the long case"
echo "llama long: $(stat -c %s "$out/llama.long.f32.bin") bytes"
cp "$peers/VERSION" "$out/VERSION"
