//===- ingotc.cpp - The Ingot compiler driver -----------------------------===//
//
// Reads a model, compiles it ahead of time for one CPU or GPU. This first
// driver knows its version and targets and re-emits parsed `.mlir` input;
// the frontends and backends plug in behind the same flags.
//
//===----------------------------------------------------------------------===//

#include "compiler/ingotc/ModelWeights.h"
#include "compiler/ingotc/Report.h"
#include "compiler/ingotc/Stages.h"
#include "compiler/ingotc/TargetBackend.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/reference/Calibration.h"
#include "compiler/reference/WeightReader.h"
#include "compiler/target/cpu/Compile.h"
#include "frontends/tokenizer/TokenizerBlob.h"
#include "frontends/InputFile.h"
#include "dialects/ingot/IngotDialect.h"
#include "frontends/import/Model.h"
#include "passes/graph/Passes.h"
#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Pass.h"

#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <climits>
#include <map>
#include <unistd.h>

using namespace llvm;

namespace {
/// Exit codes: 0 success, 1 user error, 2 internal error (the crash
/// handlers of Stages.h exit with it).
enum ExitCode { kSuccess = 0, kUserError = 1 };

enum class EmitKind { Auto, Mlir, Exe, Shared, Lib, Obj, Asm, LLVM, Header };

cl::OptionCategory inputCategory("Input");
cl::OptionCategory targetCategory("Target");
cl::OptionCategory moeCategory("Mixture of experts");
cl::OptionCategory optCategory("Optimization");
cl::OptionCategory quantCategory("Quantization");
cl::OptionCategory outputCategory("Output");
cl::OptionCategory debugCategory("Debugging");

cl::list<std::string> positionals(cl::Positional,
                                  cl::desc("<model> | inspect <model>"),
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

cl::opt<int64_t> contextLength(
    "ctx",
    cl::desc("KV-cache capacity in tokens, 1 to the model's context (default: "
             "the model's, at most 4096)"),
    cl::value_desc("N"), cl::init(0), cl::cat(targetCategory));

cl::opt<bool> allowLongContext(
    "allow-long-ctx",
    cl::desc("Allow --ctx above the model's context (positions it was not "
             "trained on: its output degrades there)"),
    cl::cat(targetCategory));

cl::opt<unsigned> optLevel(
    "O", cl::Prefix,
    cl::desc("Optimization level: -O0 keeps the imported graph, -O1 and -O2 "
             "(the default) run the graph pipeline (see docs/pipeline.md)"),
    cl::init(2), cl::cat(optCategory));

cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("Run this textual pass pipeline instead of the default one, e.g. "
             "'builtin.module(func.func(ingot-fuse-attention))'"),
    cl::value_desc("pipeline"), cl::cat(optCategory));

cl::opt<bool> printIRBefore("print-ir-before-all",
                            cl::desc("Print the IR before every pass (stderr)"),
                            cl::cat(debugCategory));
cl::opt<bool> printIRAfter("print-ir-after-all",
                           cl::desc("Print the IR after every pass (stderr)"),
                           cl::cat(debugCategory));
/// `--time-passes` is LLVM's own flag (it also times LLVM's passes); ingotc
/// shows it among its options and times the graph passes with it.
void exposeTimePasses() {
  auto &options = cl::getRegisteredOptions();
  auto it = options.find("time-passes");
  if (it == options.end())
    return;
  it->second->setDescription("Report the time each pass takes (stderr)");
  it->second->addCategory(debugCategory);
  it->second->setHiddenFlag(cl::NotHidden);
}

cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize float weight matrices: q8_0 | q4_0 | q4_k | "
             "int8|int4[-g32|-g64|-g128][-sym|-asym] (embeddings, the output "
             "head, routers and already-quantized weights are kept)"),
    cl::value_desc("encoding"), cl::cat(quantCategory));

cl::opt<bool> requantize(
    "requantize",
    cl::desc("With --quantize: also convert the weights the model file "
             "stores quantized (dequantized, then quantized again)"),
    cl::cat(quantCategory));

cl::opt<std::string> quantizeSkip(
    "quantize-skip",
    cl::desc("Keep the weights whose name matches this regex unquantized"),
    cl::value_desc("regex"), cl::cat(quantCategory));

cl::opt<std::string> kvCache(
    "kv-cache",
    cl::desc("KV-cache encoding: ENC for keys and values, or k:ENC,v:ENC; ENC "
             "is f32 | f16 | bf16 | q8 | q4 | tq4 | tq3 (rotation + codebook)"),
    cl::value_desc("spec"), cl::cat(quantCategory));

cl::opt<std::string> kvCalibration(
    "kv-calibration",
    cl::desc("Run the model with the reference evaluator on this text (its "
             "first --kv-calibration-tokens tokens) and subtract each "
             "layer's mean key per KV head from the keys before the KV cache "
             "encodes them (exact: softmax does not see the shift)"),
    cl::value_desc("file"), cl::cat(quantCategory));

cl::opt<int64_t> kvCalibrationTokens(
    "kv-calibration-tokens",
    cl::desc("--kv-calibration: tokens of the text to average over (default "
             "512)"),
    cl::value_desc("N"), cl::init(512), cl::cat(quantCategory));

enum class NumericsKind { Exact, Ggml };
cl::opt<NumericsKind> numerics(
    "numerics",
    cl::desc("Rounding of norms, rope, SiLU and f16-cache attention (see "
             "docs/numerics.md)"),
    cl::values(clEnumValN(NumericsKind::Exact, "exact",
                          "close to the reference evaluator (default)"),
               clEnumValN(NumericsKind::Ggml, "ggml",
                          "as llama.cpp's CPU backend, step for step; "
                          "implies --kv-cache=f16 and --max-batch=512 "
                          "unless given")),
    cl::init(NumericsKind::Exact), cl::cat(optCategory));

cl::opt<EmitKind> emit(
    "emit",
    cl::desc("What to write (default: an executable; the graph for a .mlir "
             "input or output, or stdout)"),
    cl::values(
        clEnumValN(EmitKind::Exe, "exe",
                   "a standalone executable (the chat CLI)"),
        clEnumValN(EmitKind::Lib, "lib",
                   "a static library and its C header (NAME.h beside it)"),
        clEnumValN(EmitKind::Shared, "shared", "a shared library"),
        clEnumValN(EmitKind::Obj, "obj", "an object file"),
        clEnumValN(EmitKind::Asm, "asm", "assembly"),
        clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitKind::Header, "header", "the C header alone"),
        clEnumValN(EmitKind::Mlir, "mlir", "the ingot-dialect graph")),
    cl::init(EmitKind::Auto), cl::cat(outputCategory));

cl::opt<std::string> cpuName(
    "cpu",
    cl::desc("CPU to compile for (default: the host's), e.g. x86-64-v3, "
             "znver4, skylake-avx512, neoverse-v2"),
    cl::value_desc("name"), cl::cat(targetCategory));

cl::opt<std::string> targetTriple(
    "triple",
    cl::desc("Target triple for cross-compiling, e.g. aarch64-linux-gnu"),
    cl::value_desc("triple"), cl::cat(targetCategory));

cl::opt<std::string> targetName(
    "target",
    cl::desc("host (the default), cpu:NAME (like --cpu=NAME), or "
             "cuda:sm_XX[,sm_YY...] for NVIDIA GPUs (sm_80, sm_86, sm_89, "
             "sm_90, sm_90a; the host code is for --cpu, default x86-64)"),
    cl::value_desc("target"), cl::cat(targetCategory));

cl::opt<std::string> cudaPath(
    "cuda-path",
    cl::desc("The CUDA toolkit whose ptxas makes the cubins of "
             "--target=cuda (default: $CUDA_HOME, /usr/local/cuda, PATH)"),
    cl::value_desc("dir"), cl::cat(targetCategory));

enum class WeightsMode { Auto, Embed, External };
cl::opt<WeightsMode> weightsMode(
    "weights", cl::desc("Where the weights go (default: embed below 2 GiB)"),
    cl::values(clEnumValN(WeightsMode::Embed, "embed", "inside the output"),
               clEnumValN(WeightsMode::External, "external",
                          "in OUTPUT.weights beside it, mmapped at run time")),
    cl::init(WeightsMode::Auto), cl::cat(outputCategory));

cl::opt<std::string> modelName(
    "name",
    cl::desc("Model name in generated symbols (default: from -o): the "
             "descriptor is ingot_model_NAME"),
    cl::value_desc("identifier"), cl::cat(outputCategory));

cl::opt<int64_t> maxBatch(
    "max-batch",
    cl::desc("Most tokens one prefill step takes (longer prompts go in "
             "chunks; sizes the activation arena)"),
    cl::value_desc("N"), cl::init(256), cl::cat(targetCategory));

cl::opt<std::string> reportFile(
    "report",
    cl::desc("Write what the compilation decided (target, weights, the "
             "memory plan and its peak, kernel calls, timings) to this "
             "file: a self-contained page for FILE.html, text otherwise"),
    cl::value_desc("file"), cl::cat(debugCategory));

cl::opt<bool> kernelCallsOnly(
    "kernel-calls-only",
    cl::desc("With --emit=llvm: the generated ukernel calls, not linked or "
             "optimized (for tests of the lowering)"),
    cl::Hidden, cl::cat(debugCategory));

cl::opt<uint64_t> randomWeights(
    "random-weights",
    cl::desc("For a .mlir input: pseudo-random weights from this seed (as "
             "ingot-run --weights-random)"),
    cl::value_desc("seed"), cl::Hidden, cl::cat(inputCategory));

cl::opt<bool> quiet("q", cl::desc("Quiet: no warnings, no progress line"),
                    cl::cat(outputCategory));
cl::opt<bool> verbose("v",
                      cl::desc("Print each stage and its time (stderr)"),
                      cl::cat(debugCategory));

cl::opt<std::string> crashForTesting(
    "crash-for-testing",
    cl::desc("Crash on purpose when this pass starts ('driver': before "
             "compiling), to test the internal-error report"),
    cl::value_desc("pass"), cl::Hidden, cl::cat(optCategory));

cl::opt<std::string> outputFile(
    "o",
    cl::desc("Output file ('-' for stdout; default: named after the model in "
             "the current directory, e.g. NAME, libNAME.a, NAME.o; stdout "
             "for --emit=mlir and .mlir inputs)"),
    cl::value_desc("file"), cl::init("-"), cl::cat(outputCategory));

// Make/Ninja dependency file (as cc -MD -MF): the output depends on the
// model's files and on ingotc itself.
cl::opt<bool> writeDeps("MD",
                        cl::desc("Write a Make/Ninja depfile of the output "
                                 "(to -MF, default OUTPUT.d)"),
                        cl::cat(outputCategory));
cl::opt<std::string> depFile("MF", cl::desc("The depfile -MD writes"),
                             cl::value_desc("file"), cl::cat(outputCategory));
cl::opt<std::string> depTarget("MT",
                               cl::desc("The target named in the depfile "
                                        "(default: the -o file)"),
                               cl::value_desc("target"),
                               cl::cat(outputCategory));

/// argv[0], for the path of ingotc in depfiles.
const char *argv0 = "ingotc";
/// The command line, quoted as a POSIX shell reads it (for the report).
std::string commandLine;
/// Times the stages (-v, --report, the progress line).
std::unique_ptr<::ingot::driver::StageTimer> stageTimer;
/// Per-pass times of the graph pipeline.
std::shared_ptr<std::vector<::ingot::driver::Timing>> passTimes;

/// One line on stderr, `ingotc: error: ...`.
int fail(const Twine &message) {
  if (stageTimer) // ends the progress line first
    stageTimer->finish();
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
    bool backendBuilt; ///< whether this ingotc has a backend for it
  };
  for (Known known :
       {Known{"x86-64", "x86_64-unknown-linux-gnu",
              "CPU: --cpu=x86-64-v3, znver4, skylake-avx512, ...", true},
        Known{"aarch64", "aarch64-unknown-linux-gnu",
              "CPU: --cpu=neoverse-v2, apple-m1, ...", true},
        Known{"nvptx64", "nvptx64-nvidia-cuda",
              "NVIDIA GPU: --target=cuda:sm_80,sm_86,sm_89,sm_90,sm_90a "
              "(GPU ukernels' PTX built in; ptxas at compile time)",
              true}}) {
    std::string error;
    const Target *target =
        TargetRegistry::lookupTarget(Triple(known.triple), error);
    os << "  " << left_justify(known.llvmName, 10)
       << (!target                ? "missing    "
           : !known.backendBuilt ? "not built  "
                                 : "available  ")
       << known.what << "\n";
  }
  os << "\nCUDA toolkit at build time: "
     << (INGOT_HAVE_CUDA ? "found" : "not found") << "\n";
}

/// Prints each error diagnostic as one line, `ingotc: error: FILE:LINE:COL:
/// MESSAGE`; notes and the source excerpt are left out.
struct OneLineDiagnostics {
  explicit OneLineDiagnostics(mlir::MLIRContext &context)
      : handler(&context, [](mlir::Diagnostic &diag) {
          if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
            return mlir::success();
          std::string where;
          if (auto loc = dyn_cast<mlir::FileLineColLoc>(diag.getLocation()))
            where = formatv("{0}:{1}:{2}: ", loc.getFilename(), loc.getLine(),
                            loc.getColumn())
                        .str();
          std::string message = diag.str();
          std::replace(message.begin(), message.end(), '\n', ' ');
          if (stageTimer)
            stageTimer->finish();
          errs() << "ingotc: error: " << where << message << "\n";
          return mlir::success();
        }) {}
  mlir::ScopedDiagnosticHandler handler;
};

/// Whether `path` is a graph (`.mlir`, or `-` for stdin) rather than a model.
bool isGraphInput(StringRef path) {
  return path == "-" || path.ends_with(".mlir");
}

/// `--ctx` against the model: at most the context it was trained for, or
/// what its rope scaling extends that to.
int checkContext(StringRef path, const mlir::ingot::ModelConfig &c) {
  if (!contextLength.getNumOccurrences())
    return kSuccess;
  int64_t limit = c.contextLength;
  if (c.ropeScaling && c.ropeScaling->originalMaxPosition > 0)
    limit = std::max<int64_t>(
        limit, static_cast<int64_t>(c.ropeScaling->originalMaxPosition *
                                    c.ropeScaling->factor));
  if (contextLength <= limit || allowLongContext)
    return kSuccess;
  std::string why = "no rope scaling extends it";
  if (c.ropeScaling) {
    why.clear();
    raw_string_ostream(why)
        << "its " << mlir::ingot::stringifyRopeScalingKind(c.ropeScaling->kind)
        << " rope scaling x" << format("%g", c.ropeScaling->factor)
        << " included";
  }
  return fail(formatv("--ctx={0}: more than the {1} tokens of context of {2} "
                      "({3}); --allow-long-ctx compiles it anyway",
                      contextLength.getValue(), limit, path, why));
}

/// The graph of `path`: parsed when it is `.mlir`, imported otherwise.
mlir::OwningOpRef<mlir::ModuleOp>
loadGraph(mlir::MLIRContext &context, SourceMgr &sourceMgr, StringRef path,
          std::unique_ptr<mlir::ingot::ImportedModel> &imported) {
  if (path == "-" || path.ends_with(".mlir")) {
    if (path != "-")
      if (llvm::Error error = ::ingot::checkRegularFile(path)) {
        fail(toString(std::move(error)));
        return {};
      }
    std::string error;
    std::unique_ptr<MemoryBuffer> buffer = mlir::openInputFile(path, &error);
    if (!buffer) {
      fail(error);
      return {};
    }
    sourceMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
    return mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  }
  auto model = mlir::ingot::ImportedModel::open(context, path);
  if (!model) {
    fail(toString(model.takeError()));
    return {};
  }
  if (checkContext(path, (*model)->getConfig()) != kSuccess)
    return {};
  mlir::ingot::BuildOptions options;
  options.contextLength = contextLength;
  auto module = (*model)->buildModule(options);
  if (!module) {
    fail(path + ": " + toString(module.takeError()));
    return {};
  }
  imported = std::move(*model);
  return std::move(*module);
}

/// The pipeline options given on the command line.
::ingot::PipelineOptions pipelineOptions() {
  ::ingot::PipelineOptions options;
  options.optLevel = optLevel;
  if (moeRouting.getNumOccurrences())
    options.moeRouting = moeRouting.getValue();
  if (quantize.getNumOccurrences())
    options.quantize = quantize.getValue();
  options.quantizeSkip = quantizeSkip;
  options.requantize = requantize;
  if (kvCache.getNumOccurrences())
    options.kvCache = kvCache.getValue();
  else if (numerics == NumericsKind::Ggml && optLevel > 0)
    options.kvCache = "f16"; // llama.cpp's default cache
  return options;
}

/// What to write: --emit, or by default an executable of a model file, and
/// the graph when the input is a .mlir graph or the output is stdout or a
/// .mlir file.
EmitKind emitKind() {
  if (emit != EmitKind::Auto)
    return emit;
  StringRef out = outputFile;
  StringRef in = positionals.empty() ? StringRef() : StringRef(positionals[0]);
  if (out == "-" || out.ends_with(".mlir") || in == "-" || in.ends_with(".mlir"))
    return EmitKind::Mlir;
  return EmitKind::Exe;
}

/// The output without -o, for a model at `input`: its name (the file's
/// stem, or the directory's name) with --emit's prefix and suffix, in the
/// current directory: NAME, libNAME.a, libNAME.so, NAME.o, NAME.s,
/// NAME.ll, NAME.h.
std::string defaultOutputName(StringRef input) {
  StringRef trimmed = input.rtrim('/');
  std::string stem =
      sys::fs::is_directory(input)
          ? sys::path::filename(trimmed.empty() ? input : trimmed).str()
          : sys::path::stem(trimmed).str();
  if (stem.empty() || stem == "." || stem == "..")
    stem = "model";
  switch (emit) {
  case EmitKind::Lib: return "lib" + stem + ".a";
  case EmitKind::Shared: return "lib" + stem + ".so";
  case EmitKind::Obj: return stem + ".o";
  case EmitKind::Asm: return stem + ".s";
  case EmitKind::LLVM: return stem + ".ll";
  case EmitKind::Header: return stem + ".h";
  default: return stem;
  }
}

/// The chat style of a chat template's text.
std::string chatStyleOf(StringRef chatTemplate) {
  if (chatTemplate.contains("<|im_start|>"))
    return "chatml";
  if (chatTemplate.contains("<|start_header_id|>"))
    return "llama3";
  if (chatTemplate.contains("[INST]"))
    return "llama2";
  return "";
}

/// The --report text: what a person checks after compiling.
void writeTextReport(raw_ostream &os, const ::ingot::cpu::CompileResult &r,
                     const ::ingot::cpu::CompileOptions &options) {
  const ::ingot::cpu::LoweredModel &m = r.lowered;
  os << "model:        ingot_model_" << options.codegen.name << "\n";
  os << "target:       " << options.target.triple << ", cpu "
     << options.target.cpu << ", kernels " << options.target.variant << "\n";
  os << "outputs:     ";
  for (const std::string &file : r.files)
    os << " " << file;
  os << "\n";
  os << "weights:      " << m.weights.size() << " bytes, "
     << (options.codegen.embedWeights ? "embedded" : "external") << "\n";
  os << "vocabulary:   " << m.vocabSize << "\n";
  os << "arena:        " << m.arenaBytes << " bytes (activations "
     << m.activationBytes << " + kernel scratch " << m.scratchBytes
     << "), for up to " << m.maxBatch << " tokens per step\n";
  os << "kv cache:     " << m.kvBytesPerToken << " bytes per token, "
     << m.kvBytesPerToken * m.maxCtx << " bytes at the full context of "
     << m.maxCtx << "\n";
  os << "kernel calls per step:\n";
  for (const auto &[name, count] : m.kernelCalls)
    os << formatv("  {0,-28} {1,5}\n", name, count);
  os << "memory plan (" << m.plan.size()
     << " buffers; op indices are steps of the forward function):\n";
  os << formatv("  {0,10} {1,10} {2,5} {3,5}  {4}\n", "offset", "bytes",
                "from", "to", "op");
  for (const ::ingot::cpu::PlannedBuffer &b : m.plan)
    os << formatv("  {0,10} {1,10} {2,5} {3,5}  {4}\n", b.offset, b.bytes,
                  b.firstOp, b.lastOp, b.what);
  os << "peak:         " << m.activationBytes
     << " bytes of activations\n";
}

/// `arg` as a POSIX shell reads it: as it is when it has only safe
/// characters, else in single quotes.
std::string shellQuote(StringRef arg) {
  if (!arg.empty() && llvm::all_of(arg, [](char c) {
        return isAlnum(c) || StringRef("@%_+=:,./-").contains(c);
      }))
    return arg.str();
  std::string quoted = "'";
  for (char c : arg)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// Every option that shapes the output: its value, or the default.
std::vector<std::pair<std::string, std::string>>
reportedOptions(const ::ingot::cpu::CompileOptions &o, int64_t maxCtx) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto add = [&](StringRef name, const cl::Option &option,
                 const std::string &value) {
    rows.push_back({name.str(), option.getNumOccurrences()
                                    ? value
                                    : value + " (default)"});
  };
  const char *emits[] = {"exe",  "mlir", "exe", "shared", "lib",
                         "obj",  "asm",  "llvm", "header"};
  add("--emit", emit,
      emits[static_cast<int>(emitKind())]);
  add("-o", outputFile, outputFile.getValue());
  add("--target", targetName,
      targetName.empty() ? std::string("host") : targetName.getValue());
  add("--cpu", cpuName, o.target.cpu);
  add("--triple", targetTriple, o.target.triple);
  add("-O", optLevel, std::to_string(optLevel));
  add("--quantize", quantize,
      quantize.empty() ? std::string("none") : quantize.getValue());
  add("--requantize", requantize, requantize ? "yes" : "no");
  add("--quantize-skip", quantizeSkip,
      quantizeSkip.empty() ? std::string("none") : quantizeSkip.getValue());
  add("--kv-cache", kvCache,
      kvCache.empty() ? std::string(numerics == NumericsKind::Ggml
                                        ? "f16 (from --numerics=ggml)"
                                        : "the model's (f32)")
                      : kvCache.getValue());
  add("--moe-routing", moeRouting,
      moeRouting.empty() ? std::string("the model's")
                         : moeRouting.getValue());
  add("--ctx", contextLength, std::to_string(maxCtx) + " tokens");
  add("--max-batch", maxBatch, std::to_string(o.codegen.maxBatch));
  add("--numerics", numerics,
      numerics == NumericsKind::Ggml ? "ggml" : "exact");
  add("--weights", weightsMode,
      o.codegen.embedWeights ? "embed" : "external");
  add("--name", modelName, o.codegen.name);
  return rows;
}

/// The --report page (Report.h).
void writeHtmlReport(raw_ostream &os, mlir::ModuleOp graph,
                     mlir::ingot::ImportedModel *model,
                     const ::ingot::cpu::CompileResult &result,
                     const ::ingot::cpu::CompileOptions &options) {
  ::ingot::driver::ReportInputs in;
  in.modelPath = positionals[0];
  {
    raw_string_ostream version(in.version);
    printVersion(version);
    in.version = StringRef(in.version).trim().str();
  }
  in.commandLine = commandLine;
  in.invocationOptions = reportedOptions(options, result.lowered.maxCtx);
  in.graph = graph;
  in.result = &result;
  in.options = &options;
  if (model) {
    const mlir::ingot::ModelConfig &c = model->getConfig();
    in.config = &c;
    in.routing = moeRouting.empty()
                     ? "top-k:" + std::to_string(c.expertsPerToken)
                     : moeRouting.getValue();
  }
  in.stages = stageTimer->stages();
  if (passTimes)
    in.passes = *passTimes;
  ::ingot::driver::writeHtmlReport(os, in);
}

/// Compiles the optimized graph for a CPU and writes --emit's files.
int compileForCPU(mlir::ModuleOp module, mlir::ingot::ImportedModel *model) {
  using namespace ::ingot::cpu;
  if (outputFile == "-" &&
      (emitKind() == EmitKind::Exe || emitKind() == EmitKind::Lib ||
       emitKind() == EmitKind::Shared || emitKind() == EmitKind::Obj))
    return fail("--emit=exe|lib|shared|obj needs an output file: -o FILE");
  auto backend = ::ingot::driver::selectTargetBackend(targetName, cudaPath);
  if (!backend)
    return fail(toString(backend.takeError()));
  StringRef cpu = cpuName;
  bool gpu = (*backend)->getFamily() == "cuda";
  if (!gpu && !(*backend)->getDevice().empty())
    cpu = (*backend)->getDevice();
  // A GPU model's host code runs on any machine of the host architecture.
  if (gpu && cpu.empty())
    cpu = StringRef(targetTriple).starts_with("aarch64") ? "generic"
                                                         : "x86-64";
  auto target = resolveTarget(cpu, targetTriple);
  if (!target)
    return fail(toString(target.takeError()));
  if (maxBatch < 1 || maxBatch > 65536)
    return fail("--max-batch must be between 1 and 65536, got " +
                Twine(maxBatch));
  CompileOptions options;
  switch (emitKind()) {
  case EmitKind::Exe: options.emit = ::ingot::cpu::EmitKind::Executable; break;
  case EmitKind::Shared: options.emit = ::ingot::cpu::EmitKind::Shared; break;
  case EmitKind::Lib: options.emit = ::ingot::cpu::EmitKind::Library; break;
  case EmitKind::Obj: options.emit = ::ingot::cpu::EmitKind::Object; break;
  case EmitKind::Asm: options.emit = ::ingot::cpu::EmitKind::Assembly; break;
  case EmitKind::LLVM: options.emit = ::ingot::cpu::EmitKind::LLVM; break;
  case EmitKind::Header: options.emit = ::ingot::cpu::EmitKind::Header; break;
  default: break;
  }
  options.output = outputFile;
  options.target = *target;
  options.codegen.name = modelName.empty() ? modelNameFromPath(outputFile)
                                           : modelName.getValue();
  for (char c : options.codegen.name)
    if (!isAlnum(c) && c != '_')
      return fail("--name=" + modelName +
                  ": must be a C identifier (letters, digits, _)");
  options.codegen.maxBatch = maxBatch;
  options.codegen.ggmlNumerics = numerics == NumericsKind::Ggml;
  // llama.cpp decodes a prompt in ubatches of 512 tokens, and its attention
  // rounds differently from 64 queries on: the same chunks round the same.
  if (numerics == NumericsKind::Ggml && !maxBatch.getNumOccurrences())
    options.codegen.maxBatch = 512;
  options.kernelCallsOnly = kernelCallsOnly;
  options.onStage = [](StringRef stage) { stageTimer->begin(stage); };
  std::unique_ptr<::ingot::reference::WeightReader> reader;
  if (model) {
    reader = std::make_unique<::ingot::reference::ModelWeightReader>(*model);
    auto tokenizer = model->loadTokenizer();
    if (!tokenizer)
      return fail(toString(tokenizer.takeError()));
    if (tokenizer->kind != ::ingot::tokenizer::TokenizerKind::None) {
      auto blob = ::ingot::tokenizer::serializeTokenizer(*tokenizer);
      if (!blob)
        return fail(toString(blob.takeError()));
      options.codegen.tokenizerBlob.assign(blob->begin(), blob->end());
    }
    options.codegen.chatTemplate = model->getChatTemplate();
    options.codegen.chatStyle = chatStyleOf(options.codegen.chatTemplate);
  } else if (randomWeights.getNumOccurrences()) {
    reader =
        std::make_unique<::ingot::reference::RandomWeightReader>(randomWeights);
  } else {
    return fail("compiling a .mlir graph needs weights: --random-weights=SEED "
                "(or compile the model file instead)");
  }
  ::ingot::driver::ModelWeightStorage storage(*reader, model);
  // Subgraphs over weights become weights, computed now from the model's
  // values: the target packs weights and runs no evaluator.
  stageTimer->begin("fold weights");
  mlir::PassManager foldPM(module.getContext());
  foldPM.addPass(mlir::ingot::createFoldWeightsPass(storage));
  if (failed(foldPM.run(module)))
    return kUserError;
  WeightPacker packer(storage);
  options.codegen.embedWeights = weightsMode != WeightsMode::External;
  // The target-independent lowering passes, on a copy (the report shows
  // the graph as the graph pipeline left it).
  mlir::OwningOpRef<mlir::ModuleOp> lowered(module.clone());
  {
    stageTimer->begin("lowering passes");
    mlir::PassManager pm(module.getContext());
    ::ingot::buildLoweringPipeline(pm, options.codegen.maxBatch);
    if (failed(pm.run(*lowered)))
      return kUserError;
    stageTimer->finish();
  }
  auto result = (*backend)->compile(*lowered, packer, options);
  stageTimer->finish();
  if (!result)
    return fail(toString(result.takeError()));
  if (!reportFile.empty()) {
    std::error_code ec;
    raw_fd_ostream os(reportFile, ec);
    if (ec)
      return fail("cannot write " + reportFile + ": " + ec.message());
    if (StringRef(reportFile).ends_with(".html"))
      writeHtmlReport(os, module, model, *result, options);
    else
      writeTextReport(os, *result, options);
  }
  if (!quiet)
    for (const std::string &warning : result->lowered.warnings)
      errs() << "ingotc: warning: " << warning << "\n";
  if (!quiet && weightsMode == WeightsMode::Auto &&
      result->lowered.weights.size() >= (uint64_t(2) << 30))
    errs() << "ingotc: warning: " << result->lowered.weights.size()
           << " bytes of weights embedded; consider --weights=external\n";
  return kSuccess;
}

/// A path in a depfile, as Make and Ninja read it: spaces and '#' after a
/// backslash, '$' doubled.
std::string escapeDepPath(StringRef path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#')
      out += '\\';
    else if (c == '$')
      out += '$';
    out += c;
  }
  return out;
}

/// With -MD: writes `TARGET: INPUTS... INGOTC` to the depfile (after the
/// outputs, so that a failed compilation leaves no depfile behind).
int writeDepfile(StringRef input, const mlir::ingot::ImportedModel *model) {
  if (!writeDeps)
    return kSuccess;
  std::vector<std::string> deps;
  if (model)
    deps = model->getFiles();
  else
    deps.push_back(input.str());
  static int anchor;
  deps.push_back(sys::fs::getMainExecutable(argv0, &anchor));
  std::string path = depFile.empty() ? outputFile + ".d" : depFile.getValue();
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_Text);
  if (ec)
    return fail("-MF: cannot write " + path + ": " + ec.message());
  os << escapeDepPath(depTarget.empty() ? outputFile.getValue()
                                        : depTarget.getValue())
     << ":";
  for (const std::string &dep : deps)
    os << " \\\n  " << escapeDepPath(dep);
  os << "\n";
  return kSuccess;
}

/// A file ingotc reads or writes, and the flag or role that names it.
struct NamedFile {
  std::string role, path;
};

/// `path` with symbolic links resolved as far as it exists: the file's
/// real path, else its directory's plus its name, else its absolute path.
std::string resolvedPath(StringRef path) {
  SmallString<256> real;
  if (!sys::fs::real_path(path, real))
    return real.str().str();
  SmallString<256> dir(path);
  sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (!sys::fs::real_path(dir, real)) {
    sys::path::append(real, sys::path::filename(path));
    return real.str().str();
  }
  SmallString<256> absolute(path);
  sys::fs::make_absolute(absolute);
  sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  return absolute.str().str();
}

/// Whether `a` and `b` are one file: the same device and inode when both
/// exist (through symbolic and hard links), else the same resolved path.
bool sameFile(StringRef a, StringRef b) {
  bool equal = false;
  if (!sys::fs::equivalent(a, b, equal))
    return equal;
  if (sys::fs::exists(a) && sys::fs::exists(b))
    return false;
  return resolvedPath(a) == resolvedPath(b);
}

/// What ingotc will write: the output, the weights file, the C header, the
/// depfile and the report.
std::vector<NamedFile> plannedOutputs() {
  std::vector<NamedFile> outputs;
  if (outputFile == "-")
    return outputs;
  std::string out = outputFile;
  outputs.push_back({outputFile.getNumOccurrences()
                         ? std::string("-o")
                         : std::string("the output (named after the model; "
                                       "-o picks another)"),
                     out});
  EmitKind kind = emitKind();
  if (kind != EmitKind::Mlir && kind != EmitKind::Header &&
      weightsMode == WeightsMode::External)
    outputs.push_back({"--weights=external", out + ".weights"});
  if (kind == EmitKind::Lib) {
    std::string name = modelName.empty() ? ::ingot::cpu::modelNameFromPath(out)
                                         : modelName.getValue();
    SmallString<256> header(out);
    sys::path::remove_filename(header);
    sys::path::append(header, name + ".h");
    outputs.push_back({"the header", header.str().str()});
  }
  if (writeDeps)
    outputs.push_back(
        {"-MF", depFile.empty() ? out + ".d" : depFile.getValue()});
  if (!reportFile.empty() && kind != EmitKind::Mlir)
    outputs.push_back({"--report", reportFile});
  return outputs;
}

/// Refuses to write over an input (the model file, every file of a Hugging
/// Face directory, the .mlir graph), compared by identity so that links
/// count, and to write two outputs to one file.
int checkOutputs(StringRef input, const mlir::ingot::ImportedModel *model) {
  std::vector<std::string> inputs;
  if (input != "-")
    inputs.push_back(input.str());
  if (model)
    for (const std::string &file : model->getFiles())
      inputs.push_back(file);
  if (sys::fs::is_directory(input)) {
    std::error_code ec;
    for (sys::fs::directory_iterator it(input, ec), end; it != end && !ec;
         it.increment(ec))
      inputs.push_back(it->path());
  }
  std::vector<NamedFile> outputs = plannedOutputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedFile &out = outputs[i];
    for (const std::string &in : inputs)
      if (sameFile(out.path, in))
        return fail(out.role + " '" + out.path + "' is the input file '" + in +
                    "'; refusing to overwrite it");
    for (size_t j = 0; j < i; ++j)
      if (sameFile(out.path, outputs[j].path))
        return fail(outputs[j].role + " '" + outputs[j].path + "' and " +
                    out.role + " '" + out.path + "' are the same file");
  }
  return kSuccess;
}

/// Refuses a KV cache larger than this machine's memory when compiling for
/// it: each cache's capacity x heads x bytes per head and token, from the
/// graph (so --kv-cache encodings count).
int checkKVMemory(mlir::ModuleOp module) {
  if (!targetTriple.empty())
    return kSuccess;
  auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward");
  if (!forward)
    return kSuccess;
  uint64_t bytes = 0, caches = 0, heads = 0, headDim = 0, capacity = 0;
  double elementBytes = 0;
  for (mlir::Type type : forward.getArgumentTypes()) {
    auto cache = dyn_cast<mlir::ingot::KVCacheType>(type);
    if (!cache)
      continue;
    int64_t perHead = mlir::ingot::getKVBytesPerTokenHead(cache);
    bytes += uint64_t(cache.getCapacity()) * cache.getNumHeads() * perHead;
    ++caches;
    heads = cache.getNumHeads();
    headDim = cache.getHeadDim();
    capacity = cache.getCapacity();
    elementBytes = double(perHead) / cache.getHeadDim();
  }
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return kSuccess;
  uint64_t memory = uint64_t(pages) * uint64_t(pageSize);
  if (bytes <= memory)
    return kSuccess;
  const double gib = 1024.0 * 1024 * 1024;
  std::string what = contextLength.getNumOccurrences()
                         ? "--ctx=" + std::to_string(contextLength)
                         : "the context of " + std::to_string(capacity) +
                               " tokens";
  std::string message;
  raw_string_ostream(message)
      << what << ": the KV cache needs " << format("%.1f", bytes / gib)
      << " GiB (" << caches / 2 << " layers x " << heads << " kv heads x "
      << headDim << " head dim x " << capacity << " tokens x 2 x "
      << format("%g", elementBytes) << " bytes), more than this machine's "
      << format("%.1f", memory / gib)
      << " GiB of memory; lower --ctx or encode the cache (--kv-cache=q8)";
  return fail(message);
}

/// Warns when --quantize leaves weight matrices as the model file stores
/// them (already quantized) and --requantize would convert them.
void warnAlreadyQuantized(StringRef path, mlir::ModuleOp module) {
  if (quiet || !quantize.getNumOccurrences())
    return;
  mlir::ingot::QuantizeOptions options;
  options.encoding = cantFail(mlir::ingot::parseWeightEncoding(
      module.getContext(), quantize.getValue()));
  options.skip = quantizeSkip;
  options.requantize = requantize;
  SmallVector<mlir::ingot::WeightDeclOp> kept =
      mlir::ingot::findEncodedMatrices(module, options);
  if (kept.empty() || requantize)
    return;
  std::map<std::string, int> formats;
  for (mlir::ingot::WeightDeclOp decl : kept) {
    mlir::Attribute encoding =
        cast<mlir::RankedTensorType>(decl.getType()).getEncoding();
    formats[mlir::ingot::formatWeightEncoding(encoding)] += 1;
  }
  std::string names;
  for (const auto &[name, count] : formats)
    names += (names.empty() ? "" : ", ") + name;
  errs() << "ingotc: warning: " << path << ": " << kept.size()
         << " weight matrices already quantized (" << names
         << ") are kept: --quantize=" << quantize
         << " converts float weights only; add --requantize to convert "
            "these too\n";
}

/// Reads or imports `path`, runs the graph pipeline and writes the graph.
int emitMlir(StringRef path) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ingot::IngotDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry);
  OneLineDiagnostics diagnostics(context);
  if (Error err = ::ingot::validatePipelineOptions(&context, pipelineOptions()))
    return fail(toString(std::move(err)));
  SourceMgr sourceMgr;
  std::unique_ptr<mlir::ingot::ImportedModel> imported;
  stageTimer->begin("import");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadGraph(context, sourceMgr, path, imported);
  if (!module)
    return kUserError;
  if (failed(mlir::verify(*module)))
    return kUserError;
  if (int status = checkOutputs(path, imported.get()))
    return status;
  warnAlreadyQuantized(path, *module);

  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  if (!passPipeline.empty()) {
    std::string error;
    raw_string_ostream errorStream(error);
    FailureOr<mlir::OpPassManager> parsed =
        mlir::parsePassPipeline(passPipeline, errorStream);
    if (failed(parsed))
      return fail("--pass-pipeline: " +
                  StringRef(error).trim().split('\n').first);
    if (parsed->getOpAnchorName() != pm.getOpAnchorName())
      return fail("--pass-pipeline: the pipeline must be anchored on "
                  "builtin.module, got '" +
                  parsed->getOpAnchorName() + "'");
    static_cast<mlir::OpPassManager &>(pm) = std::move(*parsed);
  } else {
    ::ingot::PipelineOptions options = pipelineOptions();
    if (!kvCalibration.empty()) {
      if (!options.kvCache)
        return fail("--kv-calibration: give the KV-cache encoding with "
                    "--kv-cache");
      if (!imported)
        return fail("--kv-calibration needs a model file (weights and "
                    "tokenizer), not a graph");
      stageTimer->begin("kv-calibration");
      auto means = ::ingot::reference::calibrateKeyMeans(
          *module, *imported, options, kvCalibration, kvCalibrationTokens,
          /*chunk=*/256);
      if (!means)
        return fail(toString(means.takeError()));
      options.kvKeyMeans = std::move(*means);
    }
    ::ingot::buildGraphPipeline(pm, options);
  }
  if (printIRBefore || printIRAfter) {
    context.disableMultithreading();
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/
        [](mlir::Pass *, mlir::Operation *) {
          return printIRBefore.getValue();
        },
        /*shouldPrintAfterPass=*/
        [](mlir::Pass *, mlir::Operation *) { return printIRAfter.getValue(); },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
  }
  if (llvm::TimePassesIsEnabled)
    pm.enableTiming();
  auto recorder =
      std::make_unique<::ingot::driver::PassRecorder>(crashForTesting);
  passTimes = recorder->times;
  pm.addInstrumentation(std::move(recorder));
  stageTimer->begin("graph passes");
  if (failed(pm.run(*module)))
    return kUserError;
  stageTimer->finish();
  if (emitKind() != EmitKind::Mlir) {
    if (int status = checkKVMemory(*module))
      return status;
    int status = compileForCPU(*module, imported.get());
    return status == kSuccess ? writeDepfile(path, imported.get()) : status;
  }
  std::string error;
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  module->print(output->os());
  output->keep();
  return writeDepfile(path, imported.get());
}

/// `1234567` as `1.23 M`.
std::string humanCount(double n) {
  const char *units[] = {"", " K", " M", " G", " T"};
  int unit = 0;
  while (n >= 1000 && unit < 4) {
    n /= 1000;
    ++unit;
  }
  return formatv(unit ? "{0:f2}{1}" : "{0:f0}{1}", n, units[unit]).str();
}

/// `ingotc inspect MODEL`: what the model is, in a terminal.
int inspect(StringRef path) {
  mlir::MLIRContext context;
  context.loadDialect<mlir::ingot::IngotDialect>();
  OneLineDiagnostics diagnostics(context);
  auto opened = mlir::ingot::ImportedModel::open(context, path);
  if (!opened)
    return fail(toString(opened.takeError()));
  const mlir::ingot::ImportedModel &model = **opened;
  const mlir::ingot::ModelConfig &c = model.getConfig();

  // Bytes per weight class, and what --quantize would make of them
  // (computed first: an encoding that does not fit fails before output).
  mlir::ingot::BuildOptions buildOptions;
  buildOptions.contextLength = contextLength;
  auto module = model.buildModule(buildOptions);
  if (!module)
    return fail(path + ": " + toString(module.takeError()));
  // The tokenizer, checked as compiling checks it: what inspect accepts
  // compiles.
  auto tokenizer = model.loadTokenizer();
  if (!tokenizer)
    return fail(toString(tokenizer.takeError()));
  if (auto blob = ::ingot::tokenizer::serializeTokenizer(*tokenizer); !blob)
    return fail(toString(blob.takeError()));
  auto before = mlir::ingot::summarizeWeightBytes(**module);
  if (failed(before))
    return kUserError;
  auto after = before;
  if (quantize.getNumOccurrences()) {
    mlir::ingot::QuantizeOptions options;
    options.encoding = cantFail(
        mlir::ingot::parseWeightEncoding(&context, quantize.getValue()));
    options.skip = quantizeSkip;
    if (failed(mlir::ingot::quantizeWeights(**module, options)))
      return kUserError;
    after = mlir::ingot::summarizeWeightBytes(**module);
    if (failed(after))
      return kUserError;
  }
  raw_ostream &os = outs();
  os << "model:          " << path << " (" << model.getFormat() << ")\n";
  os << "architecture:   " << mlir::ingot::stringifyArchitecture(c.arch)
     << (c.isMoE() ? " (mixture of experts)" : " (dense)") << "\n";
  os << "layers:         " << c.numLayers << "\n";
  os << "hidden size:    " << c.hiddenSize << "\n";
  os << "attention:      " << c.numHeads << " heads, " << c.numKVHeads
     << " key/value heads, head_dim " << c.headDim;
  // The layers a per-layer property holds for, as "0, 2".
  auto layerList = [](const std::vector<bool> &marks) {
    std::string text;
    for (auto [i, mark] : llvm::enumerate(marks))
      if (mark)
        text += (text.empty() ? "" : ", ") + std::to_string(i);
    return text;
  };
  if (c.slidingWindow) {
    os << ", sliding window " << *c.slidingWindow;
    if (!c.slidingLayers.empty())
      os << " in layers " << layerList(c.slidingLayers);
  }
  if (c.hasOutputBias())
    os << ", q/k/v/o biases";
  if (c.clipQKV)
    os << ", q/k/v clamped to +-" << format("%g", *c.clipQKV);
  os << "\n";
  os << "rope:           theta " << format("%g", c.ropeTheta) << ", "
     << mlir::ingot::stringifyRopeStyle(c.ropeStyle);
  if (c.ropeScaling)
    os << ", " << mlir::ingot::stringifyRopeScalingKind(c.ropeScaling->kind)
       << " scaling x" << format("%g", c.ropeScaling->factor);
  os << "\n";
  if (c.isMoE()) {
    os << "experts:        " << c.numExperts << " of FFN size "
       << c.expertIntermediateSize;
    if (c.sharedExpertIntermediateSize)
      os << ", shared expert of FFN size " << c.sharedExpertIntermediateSize;
    if (c.activation != mlir::ingot::Activation::silu)
      os << ", " << mlir::ingot::stringifyActivation(c.activation);
    os << "\n";
    std::string rule = moeRouting.empty()
                           ? "top-k:" + std::to_string(c.expertsPerToken)
                           : moeRouting.getValue();
    os << "routing:        " << rule << " (softmax"
       << (c.normTopKProb ? ", renormalized" : "") << ")\n";
    if (!c.denseLayers.empty())
      os << "dense layers:   " << layerList(c.denseLayers)
         << " (feed-forward " << c.intermediateSize << ")\n";
  } else {
    os << "feed-forward:   " << c.intermediateSize;
    if (c.activation != mlir::ingot::Activation::silu)
      os << ", " << mlir::ingot::stringifyActivation(c.activation);
    if (c.mlpBias)
      os << ", biases";
    os << "\n";
  }
  os << "vocabulary:     " << c.vocabSize
     << (c.tiedEmbeddings ? " (tied embeddings)" : "") << "\n";
  os << "context:        " << c.contextLength << "\n";
  os << "tokenizer:      " << model.getTokenizerKind() << "\n";
  // The configuration fields the file sets, as the audit classifies them
  // (docs/config-audit.md).
  auto fieldList = [&](StringRef label, const std::vector<std::string> &keys) {
    os << label << keys.size();
    for (auto [i, key] : llvm::enumerate(keys))
      os << (i ? ", " : ": ") << key;
    os << "\n";
  };
  fieldList("honoured:       ", model.getHonouredFields());
  fieldList("no effect:      ", model.getIgnoredFields());

  // Parameters and bytes per storage format.
  struct Totals {
    int64_t tensors = 0, params = 0, bytes = 0;
  };
  std::map<std::string, Totals> byFormat;
  Totals all;
  for (const auto &entry : model.getWeights()) {
    mlir::RankedTensorType type = entry.second.type;
    std::string format;
    if (auto block =
            dyn_cast_or_null<mlir::ingot::BlockQuantAttr>(type.getEncoding()))
      format = mlir::ingot::stringifyBlockFormat(block.getFormat()).str();
    else if (auto group = dyn_cast_or_null<mlir::ingot::GroupQuantAttr>(
                 type.getEncoding()))
      // int4_g32: asymmetric; int4s_g32: symmetric.
      format =
          ("int" + Twine(group.getBits()) + (group.getSymmetric() ? "s" : "") +
           "_g" + Twine(group.getGroupSize()))
              .str();
    else
      llvm::raw_string_ostream(format) << type.getElementType();
    int64_t bytes = mlir::ingot::getStorageBytes(type).value_or(0);
    for (Totals *t : {&byFormat[format], &all}) {
      t->tensors += 1;
      t->params += type.getNumElements();
      t->bytes += bytes;
    }
  }
  os << "parameters:     " << humanCount(all.params) << " (" << all.params
     << ")\n\n";
  os << formatv("  {0,-8} {1,8} {2,14} {3,12}\n", "format", "tensors",
                "parameters", "MiB");
  auto row = [&](StringRef name, const Totals &t) {
    os << formatv("  {0,-8} {1,8} {2,14} {3,12:f2}\n", name, t.tensors,
                  t.params, t.bytes / (1024.0 * 1024.0));
  };
  for (const auto &[name, totals] : byFormat)
    row(name, totals);
  row("total", all);

  os << "\nweight bytes by class"
     << (quantize.getNumOccurrences()
             ? " (after: --quantize=" + quantize.getValue() + ")"
             : std::string())
     << ":\n";
  mlir::ingot::printWeightBytes(os, *before, *after);
  return kSuccess;
}
} // namespace

int main(int argc, char **argv) {
  llvm_shutdown_obj shutdown;
  ::ingot::driver::installCrashHandlers(argv[0]);
  for (int i = 0; i < argc; ++i)
    commandLine += (i ? " " : "") + shellQuote(argv[i]);
  exposeTimePasses();
  cl::HideUnrelatedOptions({&inputCategory, &targetCategory, &moeCategory,
                            &optCategory, &quantCategory, &outputCategory,
                            &debugCategory});
  mlir::registerTransformsPasses();
  mlir::ingot::registerIngotGraphPasses();
  cl::SetVersionPrinter(printVersion);
  std::string parseErrors;
  raw_string_ostream errorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "Ingot: an ahead-of-time compiler for language models\n\n"
          "  ingotc MODEL [options]      compile MODEL (.gguf, a Hugging Face "
          "directory, or .mlir)\n"
          "  ingotc inspect MODEL        describe MODEL\n",
          &errorStream)) {
    // LLVM may add a second "did you mean" line; keep the first. Errors in
    // option values LLVM prints to stderr itself, leaving ours empty.
    StringRef first = StringRef(parseErrors).split('\n').first;
    if (!first.empty())
      errs() << first << "\n";
    return kUserError;
  }
  stageTimer = std::make_unique<::ingot::driver::StageTimer>(
      verbose, !quiet && sys::Process::StandardErrIsDisplayed());
  if (crashForTesting == "driver")
    ::ingot::driver::crashForTesting();
  if (printTargets) {
    printTargetList(outs());
    return kSuccess;
  }
  if (positionals.empty())
    return fail("no input model (see ingotc --help)");
  if (positionals[0] == "inspect") {
    if (positionals.size() != 2)
      return fail("usage: ingotc inspect MODEL");
    {
      mlir::MLIRContext context;
      OneLineDiagnostics diagnostics(context);
      if (Error err =
              ::ingot::validatePipelineOptions(&context, pipelineOptions()))
        return fail(toString(std::move(err)));
    }
    return inspect(positionals[1]);
  }
  if (positionals.size() > 1)
    return fail("more than one input model: '" + positionals[0] + "', '" +
                positionals[1] + "'");
  if (contextLength.getNumOccurrences()) {
    // 0 is refused like -1 (leaving --ctx out gives the model's context).
    if (contextLength < 1)
      return fail("--ctx=" + Twine(contextLength) +
                  ": the KV-cache capacity must be at least 1 token (leave "
                  "--ctx out for the model's context, at most 4096)");
    if (contextLength > INT32_MAX)
      return fail("--ctx=" + Twine(contextLength) +
                  ": more than the runtime's limit of " + Twine(INT32_MAX) +
                  " tokens");
    if (isGraphInput(positionals[0]))
      return fail("--ctx: a .mlir graph's KV caches have their capacity in "
                  "their types; --ctx applies to model files");
  }
  argv0 = argv[0];
  // Without -o, a model compiles to a file named after it in the current
  // directory (as cc writes a.out); the graph (--emit=mlir, a .mlir input)
  // goes to stdout.
  if (!outputFile.getNumOccurrences() && !isGraphInput(positionals[0]) &&
      emit != EmitKind::Mlir)
    outputFile = defaultOutputName(positionals[0]);
  if ((depFile.getNumOccurrences() || depTarget.getNumOccurrences()) &&
      !writeDeps)
    return fail("-MF and -MT need -MD");
  if (writeDeps && outputFile == "-")
    return fail("-MD needs an output file: -o FILE");
  return emitMlir(positionals[0]);
}
