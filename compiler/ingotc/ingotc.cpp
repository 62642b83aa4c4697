//===- ingotc.cpp - The Ingot compiler driver -----------------------------===//
//
// Reads a model, compiles it ahead of time for one CPU or GPU. This first
// driver knows its version and targets and re-emits parsed `.mlir` input;
// the frontends and backends plug in behind the same flags.
//
//===----------------------------------------------------------------------===//

#include "compiler/ingotc/Report.h"
#include "compiler/ingotc/Stages.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/reference/WeightReader.h"
#include "compiler/target/cpu/Compile.h"
#include "frontends/tokenizer/TokenizerBlob.h"
#include "frontends/InputFile.h"
#include "dialects/ingot/IngotDialect.h"
#include "frontends/import/Model.h"
#include "passes/graph/Passes.h"

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
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include <map>

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
    cl::desc("KV-cache capacity in tokens (default: the model's, at "
             "most 4096)"),
    cl::value_desc("N"), cl::init(0), cl::cat(targetCategory));

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

cl::opt<std::string> quantizeSkip(
    "quantize-skip",
    cl::desc("Keep the weights whose name matches this regex unquantized"),
    cl::value_desc("regex"), cl::cat(quantCategory));

cl::opt<std::string> kvCache(
    "kv-cache",
    cl::desc("KV-cache encoding: ENC for keys and values, or k:ENC,v:ENC; ENC "
             "is f32 | f16 | bf16 | q8 | q4 | tq4 | tq3 (rotation + codebook)"),
    cl::value_desc("spec"), cl::cat(quantCategory));

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
    "target", cl::desc("host (the default) or cpu:NAME (like --cpu=NAME)"),
    cl::value_desc("target"), cl::cat(targetCategory));

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

cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(outputCategory));

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

/// The --report page (Report.h).
void writeHtmlReport(raw_ostream &os, mlir::ModuleOp graph,
                     mlir::ingot::ImportedModel *model,
                     const ::ingot::cpu::CompileResult &result,
                     const ::ingot::cpu::CompileOptions &options) {
  ::ingot::driver::ReportInputs in;
  in.modelPath = positionals[0];
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
  StringRef cpu = cpuName;
  if (!targetName.empty()) {
    StringRef t = targetName;
    if (t.consume_front("cpu:"))
      cpu = t;
    else if (t != "host")
      return fail("--target=" + targetName +
                  ": expected host or cpu:NAME (cuda:sm_XX is not built in "
                  "this ingotc yet)");
  }
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
  WeightPacker packer(*reader, model);
  options.codegen.embedWeights = weightsMode != WeightsMode::External;
  auto result = ::ingot::cpu::compileForCPU(module, packer, options);
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
    ::ingot::buildGraphPipeline(pm, pipelineOptions());
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
  if (c.slidingWindow)
    os << ", sliding window " << *c.slidingWindow;
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
    os << "\n";
    std::string rule = moeRouting.empty()
                           ? "top-k:" + std::to_string(c.expertsPerToken)
                           : moeRouting.getValue();
    os << "routing:        " << rule << " (softmax"
       << (c.normTopKProb ? ", renormalized" : "") << ")\n";
  } else {
    os << "feed-forward:   " << c.intermediateSize << "\n";
  }
  os << "vocabulary:     " << c.vocabSize
     << (c.tiedEmbeddings ? " (tied embeddings)" : "") << "\n";
  os << "context:        " << c.contextLength << "\n";
  os << "tokenizer:      " << model.getTokenizerKind() << "\n";

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
  if (contextLength < 0)
    return fail("--ctx must be positive, got " + Twine(contextLength));
  argv0 = argv[0];
  if ((depFile.getNumOccurrences() || depTarget.getNumOccurrences()) &&
      !writeDeps)
    return fail("-MF and -MT need -MD");
  if (writeDeps && outputFile == "-")
    return fail("-MD needs an output file: -o FILE");
  return emitMlir(positionals[0]);
}
