#!/usr/bin/env bash
# Builds llama.cpp (the peer Ingot is measured against) for this CPU, from the
# llama-cpp-python source distribution on the Python package index, which
# carries llama.cpp under vendor/llama.cpp. Nothing is written into the repo.
#
#   bench/llama-cpp/build.sh            # builds into $INGOT_PEERS_DIR/llama.cpp
#
# Environment:
#   INGOT_PEERS_DIR     cache root (default /tmp/ingot-peers)
#   LLAMA_CPP_PYTHON    pip requirement to fetch (default llama-cpp-python,
#                       i.e. the newest; pin with llama-cpp-python==X.Y.Z)
#   JOBS                parallel build jobs (default 2)
#
# Idempotent: if the binaries and VERSION already exist it only prints them.
# Outputs: $DIR/bin/{llama-bench,ingot-greedy,ingot-logits,llama-quantize,
# llama-simple},
# $DIR/VERSION.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="${INGOT_PEERS_DIR:-/tmp/ingot-peers}"
dir="$root/llama.cpp"
req="${LLAMA_CPP_PYTHON:-llama-cpp-python}"
jobs="${JOBS:-2}"

die() { echo "build.sh: error: $*" >&2; exit 1; }

if [[ -x "$dir/bin/llama-bench" && -x "$dir/bin/ingot-greedy" &&
      -x "$dir/bin/ingot-logits" && -x "$dir/bin/llama-quantize" &&
      -f "$dir/VERSION" ]] &&
   cmp -s "$here/ingot-greedy.cpp" "$dir/bin/ingot-greedy.cpp" &&
   cmp -s "$here/ingot-logits.cpp" "$dir/bin/ingot-logits.cpp"; then
  echo "llama.cpp already built in $dir/bin"
  cat "$dir/VERSION"
  exit 0
fi

for tool in cmake pip python3 tar; do
  command -v "$tool" >/dev/null || die "'$tool' not found in PATH"
done

mkdir -p "$dir/dl"
# 1. Source distribution (no wheels: we want the vendored llama.cpp sources).
if ! ls "$dir"/dl/llama_cpp_python-*.tar.gz >/dev/null 2>&1; then
  echo "fetching $req sdist..."
  pip download --no-binary :all: --no-deps -d "$dir/dl" \
    "$req" >&2 || die "pip download of $req failed (network?)"
fi
sdist="$(ls "$dir"/dl/llama_cpp_python-*.tar.gz | sort -V | tail -1)"
[[ -f "$sdist" ]] || die "no llama_cpp_python-*.tar.gz in $dir/dl"
pyver="$(basename "$sdist" .tar.gz)"
pyver="${pyver#llama_cpp_python-}"

# 2. Unpack the sdist whole: its .git/modules/vendor/llama.cpp holds the
#    commit of the vendored llama.cpp.
top="$dir/sdist/llama_cpp_python-$pyver"
src="$top/vendor/llama.cpp"
if [[ ! -f "$src/CMakeLists.txt" ]]; then
  rm -rf "$dir/sdist"
  mkdir -p "$dir/sdist"
  tar -xzf "$sdist" -C "$dir/sdist"
  [[ -f "$src/CMakeLists.txt" ]] || die "sdist $sdist has no vendor/llama.cpp"
fi

# 3. Our tools (greedy decoding, teacher-forced logits), built inside
# llama.cpp's CMake tree.
for tool in ingot-greedy ingot-logits; do
  mkdir -p "$src/$tool"
  cp "$here/$tool.cpp" "$src/$tool/$tool.cpp"
  {
    echo "add_executable($tool $tool.cpp)"
    echo "target_link_libraries($tool PRIVATE llama \${CMAKE_THREAD_LIBS_INIT})"
    echo "target_compile_features($tool PRIVATE cxx_std_17)"
  } > "$src/$tool/CMakeLists.txt"
  if ! grep -q "add_subdirectory($tool)" "$src/CMakeLists.txt"; then
    echo "add_subdirectory($tool)" >> "$src/CMakeLists.txt"
  fi
done

# 4. Configure and build (CPU only, native ISA, static).
start=$(date +%s)
cmake -S "$src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF \
  -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >&2
targets=(llama-bench ingot-greedy ingot-logits llama-quantize)
# llama-simple is handy for manual checks; build it when the tree has it.
if grep -rqs 'llama-simple' "$src/examples/simple/CMakeLists.txt"; then
  targets+=(llama-simple)
fi
cmake --build "$dir/build" -j "$jobs" --target "${targets[@]}" >&2
secs=$(( $(date +%s) - start ))

mkdir -p "$dir/bin"
for t in "${targets[@]}"; do
  cp "$dir/build/bin/$t" "$dir/bin/$t"
done
cp "$here/ingot-greedy.cpp" "$dir/bin/ingot-greedy.cpp"
cp "$here/ingot-logits.cpp" "$dir/bin/ingot-logits.cpp"

# 5. Record what was built.
commit="$(cat "$top/.git/modules/vendor/llama.cpp/HEAD" 2>/dev/null || true)"
{
  echo "llama-cpp-python $pyver"
  echo "llama.cpp commit ${commit:-unknown} (ggml-org/llama.cpp)"
  echo "last (re)build $(date -u +%Y-%m-%dT%H:%MZ) took ${secs}s, -j$jobs" \
       "(Release, GGML_NATIVE=ON, CPU only, static)"
} > "$dir/VERSION"
cat "$dir/VERSION"
