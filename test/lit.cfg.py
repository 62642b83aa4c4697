# The lit suite: FileCheck tests of the dialect, passes and tools.
import os

import lit.formats

config.name = "Ingot"
config.test_format = lit.formats.ShTest(not lit_config.isWindows)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ingot_obj_root, "test")
config.excludes = ["unit", "fixtures", "corpus", "Inputs", "CMakeLists.txt",
                   "lit.cfg.py", "lit.site.cfg.py"]

# Our tools first, then FileCheck, not, count, split-file from LLVM.
config.environment["PATH"] = os.pathsep.join(
    [config.ingot_tools_dir, config.llvm_tools_dir, config.environment["PATH"]])
config.substitutions.append(("%ingot_src_root", config.ingot_src_root))
config.substitutions.append(("%ingot_obj_root", config.ingot_obj_root))
# lit itself, for the test of scripts/test's counting (lit-summary.test).
config.substitutions.append(("%lit", os.path.join(config.llvm_tools_dir, "lit")))
# The host's instruction set: llama.cpp's roundings that --numerics=ggml
# reproduces are those of its x86 AVX2 build.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
except OSError:
    flags = []
if {"avx2", "fma", "f16c"} <= set(flags):
    config.available_features.add("avx2")

# The real model of test/e2e/smollm2-greedy.test, where scripts/test (via
# scripts/fetch-smollm2) or scripts/demo left it in Ingot's cache: the file
# llama.cpp's goldens were made from, else the test is skipped.
import sys
sys.path.insert(0, os.path.dirname(__file__))
import smollm2
smollm2_path = smollm2.find_smollm2(config.ingot_src_root)
if smollm2_path:
    config.available_features.add("smollm2")
    config.substitutions.append(("%smollm2", smollm2_path))
cache = smollm2.ingot_cache()
config.environment["INGOT_CACHE"] = cache

# Builds of applications (examples/cmake-app) and pkg-config.
import shutil
if shutil.which("cmake") and shutil.which("ninja"):
    config.available_features.add("cmake")
if shutil.which("pkg-config"):
    config.available_features.add("pkg-config")
if config.ingot_have_cuda:
    config.available_features.add("cuda")
# The toolkit's stub libcuda.so, which the GPU runtime must recognize.
cuda_stub = "/usr/local/cuda/lib64/stubs/libcuda.so"
if os.path.exists(cuda_stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda_stub", cuda_stub))
# The libFuzzer targets build only where clang++ 22 and its runtime are.
if all(os.path.exists(os.path.join(config.ingot_tools_dir, "ingot-fuzz-" + t))
       for t in ["gguf", "safetensors", "config"]):
    config.available_features.add("fuzzers")

# Linking and running what ingotc writes for AArch64 on another machine:
# clang-22 and lld with the AArch64 C library and libgcc (Debian's
# libc6-dev-arm64-cross, libgcc-12-dev-arm64-cross) and qemu-user, which
# scripts/setup installs. %aarch64_sysroot: that C library's root, where
# qemu-aarch64 -L finds the dynamic loader.
import subprocess
clang = shutil.which("clang-22", path=config.environment["PATH"])
if clang:
    def aarch64_file(name):
        try:
            found = subprocess.run(
                [clang, "--target=aarch64-linux-gnu", "-print-file-name=" + name],
                capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        return os.path.realpath(found) if os.path.isabs(found) else None
    crt1, crtbegin = aarch64_file("crt1.o"), aarch64_file("crtbeginS.o")
    if crt1 and crtbegin:
        config.available_features.add("aarch64-link")
        config.substitutions.append(
            ("%aarch64_sysroot", os.path.dirname(os.path.dirname(crt1))))
if shutil.which("qemu-aarch64"):
    config.available_features.add("qemu-aarch64")

# The driver the GPU execution tests run compiled GPU models on: the fake
# one (test/fakecuda: the GPU ukernels under the SIMT executor, no GPU) by
# default; scripts/test-gpu passes --param ingot_gpu_driver=real on a
# machine with an NVIDIA GPU to run the same tests on it.
if lit_config.params.get("ingot_gpu_driver", "fake") == "real":
    config.substitutions.append(("%gpu_env", "env"))
else:
    config.substitutions.append(
        ("%gpu_env", "env INGOT_CUDA_DRIVER=" +
         os.path.join(config.ingot_obj_root, "lib", "fakecuda",
                      "libcuda.so.1")))

# ptxas (the CUDA toolkit's PTX assembler), for the checks of the GPU
# ukernels' PTX: $CUDA_HOME/bin, /usr/local/cuda/bin, then PATH; the tests
# that need it are UNSUPPORTED without it.
ptxas_dirs = [os.path.join(os.environ[v], "bin")
              for v in ["CUDA_HOME", "CUDA_PATH"] if os.environ.get(v)]
ptxas_dirs.append("/usr/local/cuda/bin")
ptxas = next((os.path.join(d, "ptxas") for d in ptxas_dirs
              if os.access(os.path.join(d, "ptxas"), os.X_OK)), None)
ptxas = ptxas or shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# cuobjdump (NVIDIA's SASS disassembler, in the pip wheel
# nvidia-cuda-cuobjdump that scripts/setup unpacks into Ingot's cache
# under cuda-sass/; nvidia-tools/ is where a pip install --target of the
# wheel lands), for the SASS checks: the cache, then the CUDA directories
# above, then PATH; UNSUPPORTED without it.
import glob
cuobjdump = next(iter(sorted(
    path for sub in ["cuda-sass", "nvidia-tools"]
    for path in glob.glob(os.path.join(cache, sub, "nvidia", "*", "bin",
                                       "cuobjdump")))), None)
cuobjdump = cuobjdump or next(
    (os.path.join(d, "cuobjdump") for d in ptxas_dirs
     if os.access(os.path.join(d, "cuobjdump"), os.X_OK)), None)
cuobjdump = cuobjdump or shutil.which("cuobjdump")
if cuobjdump and os.access(cuobjdump, os.X_OK):
    config.available_features.add("cuobjdump")
    config.substitutions.append(("%cuobjdump", cuobjdump))
