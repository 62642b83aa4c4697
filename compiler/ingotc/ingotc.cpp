//===- ingotc.cpp - The Ingot compiler driver -----------------------------===//
//
// Reads a model, compiles it ahead of time for one CPU or GPU. This first
// driver knows its version and targets and re-emits parsed `.mlir` input;
// the frontends and backends plug in behind the same flags.
//
//===----------------------------------------------------------------------===//

#include "dialects/ingot/IngotDialect.h"
#include "passes/graph/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace {
/// Exit codes: 0 success, 1 user error, 2 internal error.
enum ExitCode { kSuccess = 0, kUserError = 1 };

enum class EmitKind { Mlir };

cl::OptionCategory inputCategory("Input");
cl::OptionCategory targetCategory("Target");
cl::OptionCategory moeCategory("Mixture of experts");
cl::OptionCategory outputCategory("Output");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model>"),
                               cl::cat(inputCategory));

cl::opt<bool> printTargets("print-targets",
                           cl::desc("List the host CPU and the CPU and GPU "
                                    "targets this ingotc can compile for"),
                           cl::cat(targetCategory));

cl::opt<std::string>
    moeRouting("moe-routing",
               cl::desc("Replace the model's expert routing: top-k:K | "
                        "top-p:P[,max=M] | threshold:T[,max=M]"),
               cl::value_desc("rule"), cl::cat(moeCategory));

cl::opt<EmitKind> emit("emit", cl::desc("What to write"),
                       cl::values(clEnumValN(EmitKind::Mlir, "mlir",
                                             "the ingot-dialect graph")),
                       cl::init(EmitKind::Mlir), cl::cat(outputCategory));

cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(outputCategory));

/// One line on stderr, `ingotc: error: ...`.
int fail(const Twine &message) {
  errs() << "ingotc: error: " << message << "\n";
  return kUserError;
}

void printVersion(raw_ostream &os) {
  os << "ingotc " << INGOT_VERSION << " (LLVM " << INGOT_LLVM_VERSION << ")\n";
}

/// Host CPU, its vector features that matter to the kernels, and the
/// registered LLVM targets Ingot can generate code for.
void printTargetList(raw_ostream &os) {
  InitializeAllTargetInfos();
  std::string hostTriple = sys::getDefaultTargetTriple();
  os << "Host:\n  triple: " << hostTriple
     << "\n  cpu:    " << sys::getHostCPUName() << "\n  features:";
  StringMap<bool> features = sys::getHostCPUFeatures();
  for (StringRef name :
       {"sse4.2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw",
        "avx512vl", "avx512vnni", "avx512bf16", "avx512fp16", "amx-tile",
        "neon", "dotprod", "i8mm", "sve", "sve2"})
    if (features.lookup(name))
      os << " " << name;
  os << "\n\nCode generation targets:\n";
  struct Known {
    const char *llvmName, *triple, *what;
  };
  for (Known known :
       {Known{"x86-64", "x86_64-unknown-linux-gnu",
              "CPU: --cpu=x86-64-v3, znver4, skylake-avx512, ..."},
        Known{"aarch64", "aarch64-unknown-linux-gnu",
              "CPU: --cpu=neoverse-v2, apple-m1, ..."},
        Known{"nvptx64", "nvptx64-nvidia-cuda",
              "NVIDIA GPU: --target=cuda:sm_80, sm_86, sm_89, sm_90"}}) {
    std::string error;
    const Target *target =
        TargetRegistry::lookupTarget(Triple(known.triple), error);
    os << "  " << left_justify(known.llvmName, 10)
       << (target ? "available  " : "missing    ") << known.what << "\n";
  }
  os << "\nCUDA toolkit at build time: "
     << (INGOT_HAVE_CUDA ? "found" : "not found") << "\n";
}

/// Parses `path` as ingot-dialect MLIR and writes it back out.
int emitMlir(StringRef path) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ingot::IngotDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry);
  std::string error;
  std::unique_ptr<MemoryBuffer> buffer = mlir::openInputFile(path, &error);
  if (!buffer)
    return fail(error);
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  if (!module)
    return kUserError;
  if (!moeRouting.empty()) {
    Expected<mlir::ingot::RoutingAttr> rule =
        mlir::ingot::parseRoutingRule(&context, moeRouting);
    if (!rule)
      return fail("--moe-routing: " + toString(rule.takeError()));
    if (failed(mlir::ingot::setRoutingRule(*module, *rule)))
      return kUserError;
  }
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  module->print(output->os());
  output->keep();
  return kSuccess;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(
      {&inputCategory, &targetCategory, &moeCategory, &outputCategory});
  cl::SetVersionPrinter(printVersion);
  std::string parseErrors;
  raw_string_ostream errorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "Ingot: an ahead-of-time compiler for language models\n\n"
          "  ingotc MODEL [options]\n",
          &errorStream)) {
    // LLVM may add a second "did you mean" line; keep the first.
    errs() << StringRef(parseErrors).split('\n').first << "\n";
    return kUserError;
  }
  if (printTargets) {
    printTargetList(outs());
    return kSuccess;
  }
  if (inputFile.empty())
    return fail("no input model (see ingotc --help)");
  if (inputFile != "-" && !StringRef(inputFile).ends_with(".mlir"))
    return fail("cannot read '" + inputFile +
                "': this version reads only .mlir files");
  return emitMlir(inputFile);
}
