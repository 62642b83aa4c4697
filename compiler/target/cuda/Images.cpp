//===- Images.cpp - PTX and cubins for the requested GPUs -----------------===//
//
// The GPU ukernels' PTX for each architecture is built with ingotc
// (compiler/ukernels/gpu/, PTX ISA 8.0). A compilation runs ptxas on it for
// every requested architecture and keeps the lowest architecture's PTX for
// the driver's JIT (a newer GPU, or no ptxas at compile time). The images
// become the descriptor's ingot_gpu_code (runtime/include/ingot_abi.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cuda/CUDATarget.h"

#include "compiler/ukernels/gpu/GPUKernelPTX.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/xxhash.h"

#include <cstdlib>
#include <optional>
#include <thread>

using namespace llvm;

namespace ingot::cuda {

std::string findPtxas(StringRef cudaPath) {
  auto inDir = [](StringRef dir) -> std::string {
    if (dir.empty())
      return "";
    SmallString<256> path(dir);
    sys::path::append(path, "bin", "ptxas");
    return sys::fs::can_execute(path) ? path.str().str() : "";
  };
  if (!cudaPath.empty())
    return inDir(cudaPath);
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(var))
      if (std::string found = inDir(dir); !found.empty())
        return found;
  if (std::string found = inDir("/usr/local/cuda"); !found.empty())
    return found;
  if (auto found = sys::findProgramByName("ptxas"))
    return *found;
  return "";
}

/// Ingot's cache directory for cubins: $INGOT_CACHE/cubin, else
/// ${XDG_CACHE_HOME:-$HOME/.cache}/ingot/cubin; "" when there is none.
static std::string cubinCacheDir() {
  SmallString<256> dir;
  if (const char *cache = std::getenv("INGOT_CACHE"); cache && *cache) {
    dir = cache;
  } else {
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
      dir = xdg;
    else if (const char *home = std::getenv("HOME"); home && *home)
      sys::path::append(dir, home, ".cache");
    else
      return "";
    sys::path::append(dir, "ingot");
  }
  sys::path::append(dir, "cubin");
  return dir.str().str();
}

/// Runs ptxas on `ptx` for `arch`; the cubin, or the first line of ptxas's
/// complaint.
static Expected<std::string> runPtxas(StringRef ptxas, StringRef arch,
                                      StringRef ptx) {
  SmallString<128> in, out, log;
  if (std::error_code ec = sys::fs::createTemporaryFile("ingotc", "ptx", in))
    return createStringError("cannot create a temporary file: " + ec.message());
  sys::fs::createTemporaryFile("ingotc", "cubin", out);
  sys::fs::createTemporaryFile("ingotc", "log", log);
  llvm::scope_exit cleanup([&] {
    sys::fs::remove(in);
    sys::fs::remove(out);
    sys::fs::remove(log);
  });
  {
    std::error_code ec;
    raw_fd_ostream os(in, ec);
    if (ec)
      return createStringError("cannot write " + in + ": " + ec.message());
    os << ptx;
  }
  std::string archFlag = ("-arch=" + arch).str();
  StringRef args[] = {ptxas, archFlag, "-O3", in, "-o", out};
  std::optional<StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string message;
  int rc =
      sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    std::string first = message;
    if (auto text = MemoryBuffer::getFile(log))
      first = (*text)->getBuffer().trim().split('\n').first.str();
    return createStringError("ptxas " + archFlag + " failed: " + first);
  }
  auto cubin = MemoryBuffer::getFile(out);
  if (!cubin)
    return createStringError("ptxas " + archFlag + " wrote no cubin");
  return (*cubin)->getBuffer().str();
}

/// runPtxas through the cache: the kernels' PTX is the same for every
/// model, and ptxas takes seconds per architecture on it. The key names
/// the PTX, the architecture and the ptxas binary (path, size, time).
static Expected<std::string> cachedPtxas(StringRef ptxas, StringRef arch,
                                         StringRef ptx) {
  std::string dir = cubinCacheDir();
  sys::fs::file_status status;
  if (dir.empty() || sys::fs::status(ptxas, status))
    return runPtxas(ptxas, arch, ptx);
  std::string key =
      (ptx + "\n" + arch + "\n" + ptxas + "\n" + Twine(status.getSize()) +
       "\n" +
       Twine(status.getLastModificationTime().time_since_epoch().count()))
          .str();
  SmallString<256> path(dir);
  sys::path::append(
      path, (arch + "-" + utohexstr(xxh3_64bits(key)) + ".cubin").str());
  if (auto cached = MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false))
    if ((*cached)->getBufferSize() >= 4 &&
        (*cached)->getBuffer().starts_with("\x7f"
                                           "ELF"))
      return (*cached)->getBuffer().str();
  auto cubin = runPtxas(ptxas, arch, ptx);
  if (!cubin)
    return cubin;
  // Written whole or not at all (a temporary file renamed); a cache that
  // cannot be written only costs time.
  if (!sys::fs::create_directories(dir)) {
    SmallString<256> temp;
    int fd;
    if (!sys::fs::createUniqueFile(path + ".%%%%%%.tmp", fd, temp)) {
      raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << *cubin;
      os.close();
      if (os.has_error() || sys::fs::rename(temp, path))
        sys::fs::remove(temp);
    }
  }
  return cubin;
}

Expected<std::vector<DeviceImage>>
buildImages(const CUDASpec &spec, std::vector<std::string> &warnings) {
  std::vector<DeviceImage> images;
  std::string ptxas = findPtxas(spec.cudaPath);
  if (ptxas.empty())
    warnings.push_back(
        "ptxas not found (" +
        (spec.cudaPath.empty()
             ? std::string("$CUDA_HOME, /usr/local/cuda, PATH")
             : "--cuda-path=" + spec.cudaPath) +
        "): the output carries PTX only, which the driver compiles when "
        "the model opens");
  auto archNumber = [](StringRef arch, bool &specific) {
    specific = arch.consume_back("a");
    unsigned n = 0;
    arch.drop_front(3).getAsInteger(10, n);
    return n;
  };
  for (const std::string &arch : spec.archs)
    if (gpu::kernelPTX(arch).empty())
      return createStringError("internal error: no GPU kernel PTX for " + arch);
  if (!ptxas.empty()) {
    // One ptxas per architecture at once: each takes tens of seconds on
    // the kernels' PTX when the cache does not have its cubin.
    std::vector<std::optional<Expected<std::string>>> cubins(spec.archs.size());
    std::vector<std::thread> runs;
    for (size_t i = 0; i < spec.archs.size(); ++i)
      runs.emplace_back([&, i] {
        cubins[i].emplace(
            cachedPtxas(ptxas, spec.archs[i], gpu::kernelPTX(spec.archs[i])));
      });
    for (std::thread &run : runs)
      run.join();
    Error first = Error::success();
    for (size_t i = 0; i < spec.archs.size(); ++i) {
      Expected<std::string> &cubin = *cubins[i];
      if (!cubin) {
        if (first)
          consumeError(cubin.takeError());
        else
          first = cubin.takeError();
        continue;
      }
      DeviceImage image;
      image.arch = archNumber(spec.archs[i], image.archSpecific);
      image.cubin = true;
      image.bytes = std::move(*cubin);
      images.push_back(std::move(image));
    }
    if (first)
      return first;
  }
  // The lowest architecture's PTX, NUL-terminated, for the JIT.
  DeviceImage ptx;
  ptx.arch = archNumber(spec.archs.front(), ptx.archSpecific);
  ptx.bytes = gpu::kernelPTX(spec.archs.front()).str();
  ptx.bytes.push_back('\0');
  images.push_back(std::move(ptx));
  return images;
}

} // namespace ingot::cuda
