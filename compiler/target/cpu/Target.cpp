//===- Target.cpp - One CPU: choosing it, linking kernels, emitting -------===//

#include "compiler/target/cpu/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace ingot::cpu {

static Error makeError(const Twine &message) {
  return createStringError(message);
}

static void initializeTargets() {
  static bool done = [] {
    InitializeAllTargetInfos();
    InitializeAllTargets();
    InitializeAllTargetMCs();
    InitializeAllAsmPrinters();
    InitializeAllAsmParsers();
    return true;
  }();
  (void)done;
}

Expected<TargetSpec> resolveTarget(StringRef cpu, StringRef triple) {
  initializeTargets();
  TargetSpec spec;
  bool host = triple.empty() && (cpu.empty() || cpu == "native");
  Triple t(triple.empty() ? sys::getDefaultTargetTriple()
                          : Triple::normalize(triple));
  if (t.getArch() != Triple::x86_64 && t.getArch() != Triple::aarch64)
    return makeError("--triple=" + triple +
                     ": not a CPU target Ingot compiles for (x86_64-*, "
                     "aarch64-*)");
  spec.triple = t.str();
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(t, error);
  if (!target)
    return makeError("--triple=" + triple + ": " + error);
  if (host) {
    spec.cpu = sys::getHostCPUName().str();
    SubtargetFeatures features;
    for (const auto &feature : sys::getHostCPUFeatures())
      features.AddFeature(feature.first(), feature.second);
    spec.features = features.getString();
  } else {
    spec.cpu = cpu.empty() ? (t.getArch() == Triple::x86_64 ? "x86-64"
                                                            : "generic")
                           : cpu.str();
    // Asked of a subtarget of the default CPU: one made for an unknown CPU
    // prints LLVM's own warning to stderr first.
    std::unique_ptr<MCSubtargetInfo> info(
        target->createMCSubtargetInfo(t, "", ""));
    if (!info || !info->isCPUStringValid(spec.cpu))
      return makeError("--cpu=" + cpu + ": unknown CPU for " + t.str() +
                       " (e.g. x86-64-v3, znver4, skylake-avx512, "
                       "neoverse-v2; see llc-22 -mcpu=help)");
  }
  // The kernels' ISA family.
  std::unique_ptr<MCSubtargetInfo> info(
      target->createMCSubtargetInfo(t, spec.cpu, spec.features));
  auto has = [&](StringRef feature) {
    return info->checkFeatures(("+" + feature).str());
  };
  if (t.getArch() == Triple::x86_64) {
    if (has("avx512f") && has("avx512bw") && has("avx512vl") &&
        has("avx512vnni"))
      spec.variant = "x86_64-avx512";
    else if (has("avx2") && has("fma") && has("f16c"))
      spec.variant = "x86_64-avx2";
    else
      spec.variant = "x86_64";
  } else {
    spec.variant = has("dotprod") ? "aarch64-dotprod" : "aarch64";
  }
  return spec;
}

Expected<std::unique_ptr<TargetMachine>>
createTargetMachine(const TargetSpec &spec) {
  initializeTargets();
  Triple t(spec.triple);
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(t, error);
  if (!target)
    return makeError(error);
  TargetOptions options;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      t, spec.cpu, spec.features, options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("cannot create a target machine for " + spec.triple);
  return machine;
}

Error linkBitcode(Module &module, StringRef bitcode, StringRef what,
                  bool internalize) {
  if (bitcode.empty())
    return makeError("internal error: no " + what + " bitcode for this target");
  auto buffer = MemoryBuffer::getMemBuffer(bitcode, what, false);
  auto library = parseBitcodeFile(*buffer, module.getContext());
  if (!library)
    return makeError("internal error: cannot read the " + what +
                     " bitcode: " + toString(library.takeError()));
  (*library)->setTargetTriple(module.getTargetTriple());
  (*library)->setDataLayout(module.getDataLayout());
  unsigned flags = internalize ? Linker::Flags::LinkOnlyNeeded
                               : Linker::Flags::None;
  if (Linker::linkModules(module, std::move(*library), flags,
                          [&](Module &m, const StringSet<> &names) {
                            if (!internalize)
                              return;
                            for (GlobalValue &gv : m.global_values())
                              if (!gv.isDeclaration() &&
                                  names.contains(gv.getName()))
                                gv.setLinkage(GlobalValue::InternalLinkage);
                          }))
    return makeError("internal error: linking the " + what + " failed");
  return Error::success();
}

void optimizeModule(Module &module, TargetMachine &machine) {
  module.setTargetTriple(machine.getTargetTriple());
  module.setDataLayout(machine.createDataLayout());
  StringRef cpu = machine.getTargetCPU();
  StringRef features = machine.getTargetFeatureString();
  for (Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", cpu);
    if (!features.empty())
      f.addFnAttr("target-features", features);
    else
      f.removeFnAttr("target-features");
  }
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder pb(&machine);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  mpm.run(module, mam);
}

Expected<std::string> emitCode(Module &module, TargetMachine &machine,
                               FileKind kind) {
  SmallString<0> out;
  raw_svector_ostream os(out);
  legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  kind == FileKind::Object
                                      ? CodeGenFileType::ObjectFile
                                      : CodeGenFileType::AssemblyFile))
    return makeError("internal error: the target cannot emit this file type");
  pm.run(module);
  return std::string(out.str());
}

Error writeStaticLibrary(StringRef path,
                         ArrayRef<std::pair<std::string, std::string>> objects,
                         ArrayRef<std::pair<std::string, std::string>> files) {
  std::vector<NewArchiveMember> members;
  for (const auto &[name, bytes] : objects) {
    NewArchiveMember member(MemoryBufferRef(bytes, name));
    member.MemberName = name;
    members.push_back(std::move(member));
  }
  std::vector<std::unique_ptr<MemoryBuffer>> mapped;
  for (const auto &[name, file] : files) {
    auto buffer = MemoryBuffer::getFile(file, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/false);
    if (!buffer)
      return makeError("cannot read " + file + ": " +
                       buffer.getError().message());
    mapped.push_back(std::move(*buffer));
    NewArchiveMember member(
        MemoryBufferRef(mapped.back()->getBuffer(), name));
    member.MemberName = name;
    members.push_back(std::move(member));
  }
  return writeArchive(path, members, SymtabWritingMode::NormalSymtab,
                      object::Archive::K_GNU, /*Deterministic=*/true,
                      /*Thin=*/false);
}

Error linkWithSystemCompiler(ArrayRef<std::string> objectPaths,
                             StringRef outputPath, bool shared,
                             StringRef triple) {
  // Another architecture: clang and lld, which link for any target given
  // its C library (Debian: libc6-dev-<arch>-cross, libgcc-12-dev-<arch>-cross).
  Triple target(triple);
  bool foreign =
      target.getArch() != Triple(sys::getDefaultTargetTriple()).getArch();
  std::string driver;
  for (StringRef name : {"cc", "clang-22", "clang", "gcc"}) {
    if (foreign && !name.starts_with("clang"))
      continue;
    if (auto found = sys::findProgramByName(name)) {
      driver = *found;
      break;
    }
  }
  if (driver.empty())
    return makeError(
        "cannot link " + outputPath + ": no C compiler driver (" +
        (foreign ? "clang-22 or clang, for --triple=" + triple.str()
                 : std::string("cc, clang, gcc")) +
        ") on PATH; use --emit=lib and link it yourself");
  std::vector<std::string> args = {driver};
  if (target != Triple(sys::getDefaultTargetTriple()))
    args.push_back("--target=" + triple.str());
  if (foreign)
    args.push_back("-fuse-ld=lld");
  if (shared)
    args.push_back("-shared");
  args.insert(args.end(), {"-o", outputPath.str()});
  args.insert(args.end(), objectPaths.begin(), objectPaths.end());
  args.insert(args.end(), {"-lm", "-lpthread", "-ldl"});
  std::vector<StringRef> refs(args.begin(), args.end());
  std::string message;
  SmallString<128> log;
  sys::fs::createTemporaryFile("ingotc-link", "log", log);
  std::optional<StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  int rc = sys::ExecuteAndWait(driver, refs, std::nullopt, redirects, 0, 0,
                               &message);
  std::string output;
  if (auto buffer = MemoryBuffer::getFile(log))
    output = (*buffer)->getBuffer().trim().str();
  sys::fs::remove(log);
  if (rc != 0) {
    // One line: the linker's first lines (an undefined reference repeats
    // for every call site: thousands of lines), and how many more it wrote.
    constexpr size_t kShownLines = 3;
    SmallVector<StringRef> lines;
    StringRef(output).split(lines, '\n', -1, /*KeepEmpty=*/false);
    std::string shown;
    for (size_t i = 0; i < lines.size() && i < kShownLines; ++i)
      shown += (i ? " " : "") + lines[i].trim().str();
    if (lines.size() > kShownLines)
      shown += " ... (" + std::to_string(lines.size() - kShownLines) +
               " more lines)";
    output = shown;
    std::string hint;
    if (foreign) {
      StringRef debian = target.getArch() == Triple::aarch64 ? "arm64"
                                                             : "amd64";
      hint = (" (linking for " + triple + " needs its C library and libgcc: "
              "Debian's libc6-dev-" + debian + "-cross and libgcc-12-dev-" +
              debian + "-cross; or use --emit=lib)")
                 .str();
    }
    return makeError("linking " + outputPath + " with " + driver +
                     " failed: " + (output.empty() ? message : output) + hint);
  }
  return Error::success();
}

} // namespace ingot::cpu
