//===- ingot-run.cpp - Runs an ingot graph with the reference evaluator ---===//
//
// Runs a model graph on the host with the reference evaluator: a prefill of
// the prompt, then decode steps of one token each, the KV caches threaded
// through, printing logits as text. The graph's entry follows the model
// convention the importers emit:
//
//   func.func @forward(%ids: tensor<?xi32>, %start: index,
//                      %k0: !ingot.kv_cache<...>, %v0: ..., ...)
//       -> (tensor<?xVxf32>, caches...)
//
// `ids` are the new tokens, `start` the number already in the caches; the
// results are one row of logits per new token and the updated caches, in
// argument order. Weights come from `--weights-random=SEED` for now; model
// importers will plug real WeightReaders in.
//
// Errors are one line on stderr and exit code 1.
//
//===----------------------------------------------------------------------===//

#include "compiler/pipeline/Pipeline.h"
#include "compiler/reference/Calibration.h"
#include "compiler/reference/Evaluator.h"
#include "compiler/reference/RefValue.h"
#include "compiler/reference/Session.h"
#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "frontends/InputFile.h"
#include "frontends/import/Model.h"
#include "frontends/tokenizer/TokenizerBlob.h"
#include "passes/graph/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <optional>

using namespace llvm;
using namespace ingot::reference;

namespace {
enum ExitCode { kSuccess = 0, kUserError = 1 };

enum class PrintMode { None, Last, All };

cl::OptionCategory runCategory("Running a graph");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<graph.mlir | model>"),
                               cl::cat(runCategory));

cl::opt<std::string> entry("entry",
                           cl::desc("The function to run (default: forward)"),
                           cl::value_desc("name"), cl::init("forward"),
                           cl::cat(runCategory));

cl::list<int64_t> tokens("tokens", cl::CommaSeparated,
                         cl::desc("The prompt's token ids, run as one prefill"),
                         cl::value_desc("id,id,..."), cl::cat(runCategory));

cl::list<int64_t>
    decodeTokens("decode", cl::CommaSeparated,
                 cl::desc("Token ids run after the prefill, one decode step "
                          "each at the next position"),
                 cl::value_desc("id,id,..."), cl::cat(runCategory));

cl::opt<std::string>
    prompt("prompt",
           cl::desc("Prompt text, tokenized with the model's own vocabulary "
                    "(byte-level BPE models; a simplified pre-tokenizer)"),
           cl::value_desc("text"), cl::cat(runCategory));

cl::opt<unsigned>
    generate("generate",
             cl::desc("After the prompt, generate N tokens greedily and print "
                      "the text"),
             cl::value_desc("N"), cl::init(0), cl::cat(runCategory));

cl::opt<std::string>
    weightsModel("weights",
                 cl::desc("Read the weights of a .mlir graph from this model "
                          "file (GGUF or Hugging Face directory)"),
                 cl::value_desc("model"), cl::cat(runCategory));

cl::opt<int64_t> contextLength(
    "ctx",
    cl::desc("KV-cache capacity when importing a model (default: the "
             "model's, at most 4096)"),
    cl::value_desc("N"), cl::init(0), cl::cat(runCategory));

cl::opt<std::string>
    moeRouting("moe-routing",
               cl::desc("Replace the model's expert routing: top-k:K | "
                        "top-p:P[,max=M] | threshold:T[,max=M]"),
               cl::value_desc("rule"), cl::cat(runCategory));

cl::opt<uint64_t>
    weightsRandom("weights-random",
                  cl::desc("Use deterministic pseudo-random weights drawn "
                           "from SEED"),
                  cl::value_desc("seed"), cl::cat(runCategory));

cl::opt<PrintMode>
    printMode("print", cl::desc("Which logits rows to print per step"),
              cl::values(clEnumValN(PrintMode::Last, "last",
                                    "the last token's row (default)"),
                         clEnumValN(PrintMode::All, "all", "every row"),
                         clEnumValN(PrintMode::None, "none", "no rows")),
              cl::init(PrintMode::Last), cl::cat(runCategory));

cl::opt<bool> checkConsistency(
    "check-consistency",
    cl::desc("Also run the prompt and the decode tokens as one prefill and "
             "compare its rows with the steps' rows; fails beyond "
             "--tolerance"),
    cl::cat(runCategory));

cl::opt<bool> exactKVCaches(
    "exact-kv-caches",
    cl::desc("Keep KV-cache entries in f32 instead of rounding them to the "
             "caches' element type (a what-if without storage rounding)"),
    cl::cat(runCategory));

cl::opt<double> tolerance("tolerance",
                          cl::desc("Largest absolute difference "
                                   "--check-consistency accepts "
                                   "(default: 1e-4)"),
                          cl::init(1e-4), cl::cat(runCategory));

/// One line on stderr, `ingot-run: error: ...`.
int fail(const Twine &message) {
  errs() << "ingot-run: error: " << message << "\n";
  return kUserError;
}

/// "file:line:col" of a diagnostic's location, or "".
std::string formatLocation(mlir::Location loc) {
  if (auto file = dyn_cast<mlir::FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  return "";
}

/// A reader for graphs run without a weight source.
class NoWeightReader : public WeightReader {
public:
  Expected<std::vector<float>> read(mlir::ingot::WeightDeclOp) override {
    return makeError("no weight source (pass --weights-random=SEED)");
  }
};

/// The index of the largest value (the first of equals).
int64_t argmax(ArrayRef<float> row) {
  return std::max_element(row.begin(), row.end()) - row.begin();
}

/// Checks `fn` follows the entry convention; returns its cache types.
Expected<std::vector<mlir::Type>> checkEntry(mlir::func::FuncOp fn) {
  auto violation = [&](const Twine &detail) {
    return makeError("@" + fn.getSymName() +
                     " does not follow the entry convention (ids: "
                     "tensor<?xi32>, start: index, caches...) -> (logits, "
                     "caches...): " +
                     detail);
  };
  mlir::FunctionType type = fn.getFunctionType();
  if (fn.isExternal())
    return violation("it has no body");
  if (type.getNumInputs() < 2)
    return violation("it takes fewer than 2 arguments");
  auto ids = dyn_cast<mlir::RankedTensorType>(type.getInput(0));
  if (!ids || ids.getRank() != 1 ||
      !isa<mlir::IntegerType>(ids.getElementType()))
    return violation("argument #0 is not a 1-D integer tensor");
  if (!isa<mlir::IndexType>(type.getInput(1)))
    return violation("argument #1 is not an index");
  std::vector<mlir::Type> caches;
  for (unsigned i = 2; i < type.getNumInputs(); ++i) {
    if (!isa<mlir::ingot::KVCacheType>(type.getInput(i)))
      return violation("argument #" + Twine(i) + " is not a KV cache");
    caches.push_back(type.getInput(i));
  }
  if (type.getNumResults() != caches.size() + 1)
    return violation("it returns " + Twine(type.getNumResults()) +
                     " values, expected logits and " + Twine(caches.size()) +
                     " caches");
  auto logits = dyn_cast<mlir::RankedTensorType>(type.getResult(0));
  if (!logits || logits.getRank() != 2 ||
      !isa<mlir::FloatType>(logits.getElementType()))
    return violation("result #0 is not a 2-D float tensor of logits");
  for (unsigned i = 0; i < caches.size(); ++i)
    if (type.getResult(i + 1) != caches[i])
      return violation("result #" + Twine(i + 1) +
                       " is not the type of argument #" + Twine(i + 2));
  return caches;
}

void printRows(ArrayRef<std::vector<float>> rows) {
  size_t first = printMode == PrintMode::All ? 0 : rows.size() - 1;
  if (printMode == PrintMode::None)
    return;
  for (size_t r = first; r < rows.size(); ++r) {
    for (auto [i, value] : llvm::enumerate(rows[r]))
      outs() << (i ? " " : "") << format("%.6g", value);
    outs() << "\n";
  }
}

std::string joinIds(ArrayRef<int64_t> ids) {
  std::string text;
  for (auto [i, id] : llvm::enumerate(ids))
    text += (i ? "," : "") + std::to_string(id);
  return text;
}

//===----------------------------------------------------------------------===//
// KV-cache encodings and perplexity (--kv-cache, --perplexity)
//===----------------------------------------------------------------------===//

cl::opt<std::string> kvCacheSpec(
    "kv-cache",
    cl::desc("Fuse attention and give the KV caches an encoding: ENC or "
             "k:ENC,v:ENC, ENC one of f32, f16, bf16, q8, q4, tq4, tq3"),
    cl::value_desc("spec"), cl::cat(runCategory));

cl::opt<std::string> perplexityFile(
    "perplexity",
    cl::desc("Tokenize this text file with the model's vocabulary, run it "
             "through the KV cache in chunks and print the mean negative "
             "log-likelihood of each next token and the perplexity"),
    cl::value_desc("file"), cl::cat(runCategory));

cl::opt<int64_t> perplexityMaxTokens(
    "max-tokens",
    cl::desc("--perplexity: use the first N tokens of the text (default "
             "2048)"),
    cl::value_desc("N"), cl::init(2048), cl::cat(runCategory));

cl::opt<int64_t> perplexityChunk(
    "chunk",
    cl::desc("--perplexity: tokens per step through the cache (default 256)"),
    cl::value_desc("N"), cl::init(256), cl::cat(runCategory));

cl::opt<bool> kvErrorReport(
    "kv-error-report",
    cl::desc("--perplexity: also print, per layer, the relative error the "
             "KV-cache encodings cause on keys and values, the channel with "
             "the largest error and the one with the most energy"),
    cl::cat(runCategory));

cl::opt<std::string> kvCalibration(
    "kv-calibration",
    cl::desc("With --kv-cache: run the model (caches unencoded) on this "
             "text first and subtract from each layer's keys their mean per "
             "KV head and channel before they are encoded (exact: softmax "
             "does not see the shift)"),
    cl::value_desc("file"), cl::cat(runCategory));

cl::opt<int64_t> kvCalibrationTokens(
    "kv-calibration-tokens",
    cl::desc("--kv-calibration: use the first N tokens of the text "
             "(default 512)"),
    cl::value_desc("N"), cl::init(512), cl::cat(runCategory));

/// Prints the per-layer report of --kv-error-report.
void printKVErrors(const KVErrorStats &stats) {
  auto describe = [](const KVErrorStats::Sums &sums) {
    if (sums.energy == 0.0)
      return std::string("exact");
    size_t worst = 0, strongest = 0;
    for (size_t c = 0; c < sums.channelError.size(); ++c) {
      if (sums.channelError[c] > sums.channelError[worst])
        worst = c;
      if (sums.channelEnergy[c] > sums.channelEnergy[strongest])
        strongest = c;
    }
    std::string text;
    raw_string_ostream os(text);
    os << format("rel %.4f", std::sqrt(sums.error / sums.energy))
       << format(" worst channel %zu (%.0f%% of the error, %.0f%% of the "
                 "energy)",
                 worst, 100.0 * sums.channelError[worst] / sums.error,
                 100.0 * sums.channelEnergy[worst] / sums.energy)
       << format(", strongest channel %zu (%.0f%% of the energy)", strongest,
                 100.0 * sums.channelEnergy[strongest] / sums.energy);
    return os.str();
  };
  for (auto [i, layer] : llvm::enumerate(stats.layers))
    outs() << "# kv-error layer " << i << ": K " << describe(layer.keys)
           << "; V " << describe(layer.values) << "\n";
}

/// Bytes the caches of `fn` take per token and layer (key + value cache).
double kvBytesPerTokenPerLayer(mlir::func::FuncOp fn) {
  int64_t bytes = 0, caches = 0;
  for (mlir::Type type : fn.getFunctionType().getInputs())
    if (auto cache = dyn_cast<mlir::ingot::KVCacheType>(type)) {
      bytes += cache.getNumHeads() * mlir::ingot::getKVBytesPerTokenHead(cache);
      ++caches;
    }
  return caches ? 2.0 * bytes / caches : 0.0;
}

/// --perplexity: the text's first --max-tokens tokens in chunks of --chunk
/// through one session; every token after the first is predicted from the
/// logits of the one before it.
int runPerplexity(Evaluator &evaluator, mlir::func::FuncOp fn,
                  const ::ingot::tokenizer::ByteLevelBPE &bpe) {
  if (llvm::Error error = ::ingot::checkRegularFile(perplexityFile))
    return fail("--perplexity: " + toString(std::move(error)));
  auto buffer = MemoryBuffer::getFile(perplexityFile, /*IsText=*/true);
  if (!buffer)
    return fail("--perplexity: cannot read " + perplexityFile + ": " +
                buffer.getError().message());
  if (perplexityMaxTokens < 2 || perplexityChunk < 1)
    return fail("--max-tokens must be >= 2 and --chunk >= 1");
  std::vector<int32_t> ids = bpe.encode((*buffer)->getBuffer());
  if (static_cast<int64_t>(ids.size()) > perplexityMaxTokens)
    ids.resize(perplexityMaxTokens);
  if (ids.size() < 2)
    return fail("--perplexity: the text has fewer than 2 tokens");
  outs() << "# perplexity: " << perplexityFile << ", " << ids.size()
         << " tokens in chunks of " << perplexityChunk << "\n";
  outs() << "# kv-cache: "
         << (kvCacheSpec.empty() ? std::string("as imported")
                                 : std::string(kvCacheSpec))
         << ", " << format("%.0f", kvBytesPerTokenPerLayer(fn))
         << " bytes per token per layer\n";
  Session session(evaluator, fn);
  if (Error err = session.init())
    return fail(toString(std::move(err)));
  double totalNll = 0.0;
  int64_t predicted = 0, count = ids.size();
  for (int64_t start = 0; start < count; start += perplexityChunk) {
    int64_t end = std::min<int64_t>(count, start + perplexityChunk);
    std::vector<int64_t> chunk(ids.begin() + start, ids.begin() + end);
    auto rows = session.step(chunk);
    if (!rows)
      return fail(toString(rows.takeError()));
    for (int64_t i = start; i < end && i + 1 < count; ++i) {
      const std::vector<float> &row = (*rows)[i - start];
      double peak = *std::max_element(row.begin(), row.end());
      double sum = 0.0;
      for (float logit : row)
        sum += std::exp(logit - peak);
      totalNll += peak + std::log(sum) - row[ids[i + 1]];
      ++predicted;
    }
    outs() << "# chunk: tokens " << start << ".." << end - 1
           << ", running perplexity "
           << format("%.4f", std::exp(totalNll / predicted)) << "\n";
    outs().flush();
  }
  if (const KVErrorStats *stats = evaluator.getOptions().kvErrors)
    printKVErrors(*stats);
  outs() << "tokens " << count << " predicted " << predicted << " mean_nll "
         << format("%.6f", totalNll / predicted) << " perplexity "
         << format("%.4f", std::exp(totalNll / predicted)) << "\n";
  return kSuccess;
}

int runGraph() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::ingot::IngotDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry);
  std::string firstError;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error &&
        firstError.empty()) {
      std::string location = formatLocation(diag.getLocation());
      firstError = (location.empty() ? "" : location + ": ") + diag.str();
    }
    return mlir::success();
  });

  // The graph: parsed, or imported from a model file, whose weights are
  // then used (or those of --weights=MODEL).
  std::unique_ptr<mlir::ingot::ImportedModel> model;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  bool isGraph = StringRef(inputFile).ends_with(".mlir") || inputFile == "-";
  StringRef modelPath =
      isGraph ? StringRef(weightsModel) : StringRef(inputFile);
  if (!modelPath.empty()) {
    auto opened = mlir::ingot::ImportedModel::open(context, modelPath);
    if (!opened)
      return fail(toString(opened.takeError()));
    model = std::move(*opened);
  }
  if (isGraph) {
    if (inputFile != "-")
      if (llvm::Error error = ::ingot::checkRegularFile(inputFile))
        return fail(toString(std::move(error)));
    std::string error;
    std::unique_ptr<MemoryBuffer> buffer =
        mlir::openInputFile(inputFile, &error);
    if (!buffer)
      return fail(error);
    SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(buffer), SMLoc());
    module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
    if (!module)
      return fail(firstError.empty() ? "cannot parse " + inputFile
                                     : firstError);
  } else {
    mlir::ingot::BuildOptions buildOptions;
    buildOptions.contextLength = contextLength;
    auto built = model->buildModule(buildOptions);
    if (!built)
      return fail(inputFile + ": " + toString(built.takeError()));
    module = std::move(*built);
  }
  // --moe-routing and --kv-cache as ingotc applies them (compiler/pipeline):
  // the imported graph as it is otherwise, the graph passes with --kv-cache
  // (which encodes the fused attention's caches).
  ::ingot::PipelineOptions pipelineOptions;
  pipelineOptions.optLevel = kvCacheSpec.getNumOccurrences() ? 2 : 0;
  if (moeRouting.getNumOccurrences())
    pipelineOptions.moeRouting = moeRouting.getValue();
  if (kvCacheSpec.getNumOccurrences())
    pipelineOptions.kvCache = kvCacheSpec.getValue();
  if (!kvCalibration.empty()) {
    if (!kvCacheSpec.getNumOccurrences())
      return fail("--kv-calibration: give the KV-cache encoding with "
                  "--kv-cache");
    if (!model)
      return fail("--kv-calibration needs a model's weights and tokenizer");
    auto means = calibrateKeyMeans(*module, *model, pipelineOptions,
                                   kvCalibration, kvCalibrationTokens,
                                   perplexityChunk, entry);
    if (!means)
      return fail(toString(means.takeError()));
    outs() << "# kv-calibration: " << kvCalibration << ", key means of "
           << means->size() << " layers\n";
    pipelineOptions.kvKeyMeans = std::move(*means);
  }
  if (Error err = ::ingot::validatePipelineOptions(&context, pipelineOptions))
    return fail(toString(std::move(err)));
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  ::ingot::buildGraphPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail(firstError.empty() ? "the graph pipeline failed" : firstError);
  auto fn = module->lookupSymbol<mlir::func::FuncOp>(entry);
  if (!fn)
    return fail("no function @" + entry + " in " + inputFile);
  Expected<std::vector<mlir::Type>> cacheTypes = checkEntry(fn);
  if (!cacheTypes)
    return fail(toString(cacheTypes.takeError()));

  // The prompt as text: the model's tokenizer.
  std::optional<::ingot::tokenizer::ByteLevelBPE> bpe;
  if (!prompt.empty() || generate || !perplexityFile.empty()) {
    if (!model)
      return fail("--prompt, --generate and --perplexity need a model's "
                  "tokenizer");
    auto data = model->loadTokenizer();
    if (!data)
      return fail(toString(data.takeError()));
    // Checked as ingotc checks it: a pre-tokenizer the compiled runtime
    // cannot honour (llama.cpp's "default" regexes, ...) is refused here
    // too, not approximated.
    if (auto blob = ::ingot::tokenizer::serializeTokenizer(*data); !blob)
      return fail(toString(blob.takeError()));
    auto created = ::ingot::tokenizer::ByteLevelBPE::create(*data);
    if (!created)
      return fail(modelPath + ": " + toString(created.takeError()));
    bpe = std::move(*created);
    if (!prompt.empty())
      for (int32_t id : bpe->encode(prompt))
        tokens.push_back(id);
  }
  if (tokens.empty() && perplexityFile.empty())
    return fail("no prompt: pass --tokens=ID,ID,... or --prompt=TEXT");

  RandomWeightReader randomWeights(weightsRandom);
  NoWeightReader noWeights;
  std::optional<ModelWeightReader> modelWeights;
  if (model)
    modelWeights.emplace(*model);
  WeightReader &weights = modelWeights
                              ? static_cast<WeightReader &>(*modelWeights)
                          : weightsRandom.getNumOccurrences()
                              ? static_cast<WeightReader &>(randomWeights)
                              : static_cast<WeightReader &>(noWeights);
  EvaluatorOptions options;
  options.exactKVCaches = exactKVCaches;
  KVErrorStats kvErrors;
  if (kvErrorReport)
    options.kvErrors = &kvErrors;
  Evaluator evaluator(weights, options);
  if (!perplexityFile.empty())
    return runPerplexity(evaluator, fn, *bpe);

  // The prompt, then one decode step per token; every row kept for the
  // consistency check.
  Session session(evaluator, fn);
  if (Error err = session.init())
    return fail(toString(std::move(err)));
  std::vector<std::vector<float>> stepRows;
  Expected<std::vector<std::vector<float>>> rows = session.step(tokens);
  if (!rows)
    return fail(toString(rows.takeError()));
  outs() << "# prefill: tokens " << joinIds(tokens) << " at positions 0.."
         << tokens.size() - 1 << "\n";
  printRows(*rows);
  stepRows.insert(stepRows.end(), rows->begin(), rows->end());
  for (int64_t token : decodeTokens) {
    int64_t position = session.getPosition();
    rows = session.step({token});
    if (!rows)
      return fail(toString(rows.takeError()));
    outs() << "# decode: token " << token << " at position " << position
           << "\n";
    printRows(*rows);
    stepRows.insert(stepRows.end(), rows->begin(), rows->end());
  }
  if (generate) {
    std::vector<int32_t> generated;
    int64_t next = argmax(stepRows.back());
    for (unsigned i = 0; i < generate; ++i) {
      generated.push_back(static_cast<int32_t>(next));
      rows = session.step({next});
      if (!rows)
        return fail(toString(rows.takeError()));
      next = argmax(rows->back());
    }
    std::vector<int64_t> ids(generated.begin(), generated.end());
    outs() << "# generated: " << joinIds(ids) << "\n";
    outs() << "# text: " << prompt << bpe->decode(generated) << "\n";
  }
  if (!checkConsistency)
    return kSuccess;

  std::vector<int64_t> all(tokens.begin(), tokens.end());
  all.insert(all.end(), decodeTokens.begin(), decodeTokens.end());
  Session whole(evaluator, fn);
  if (Error err = whole.init())
    return fail(toString(std::move(err)));
  Expected<std::vector<std::vector<float>>> wholeRows = whole.step(all);
  if (!wholeRows)
    return fail(toString(wholeRows.takeError()));
  double maxDiff = 0.0;
  for (size_t r = 0; r < stepRows.size(); ++r)
    for (size_t i = 0; i < stepRows[r].size(); ++i) {
      double diff =
          std::fabs(static_cast<double>(stepRows[r][i]) - (*wholeRows)[r][i]);
      if (std::isnan(diff))
        diff = INFINITY;
      maxDiff = std::max(maxDiff, diff);
    }
  bool ok = maxDiff <= tolerance;
  std::string diffText, toleranceText;
  raw_string_ostream(diffText) << format("%.3g", maxDiff);
  raw_string_ostream(toleranceText)
      << format("%g", static_cast<double>(tolerance));
  outs() << "# consistency: prefill of all " << all.size()
         << " tokens vs the steps: max abs difference " << diffText
         << " (tolerance " << toleranceText << "): " << (ok ? "ok" : "FAILED")
         << "\n";
  outs().flush();
  if (!ok)
    return fail("decode steps differ from a whole prefill by " + diffText +
                ", more than the tolerance " + toleranceText);
  return kSuccess;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  std::string parseErrors;
  raw_string_ostream errorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "Ingot reference runner: runs a graph on the host with the "
          "reference evaluator\n\n"
          "  ingot-run GRAPH.mlir --tokens=ID,... [--decode=ID,...] "
          "[--weights-random=SEED | --weights=MODEL]\n"
          "  ingot-run MODEL (--tokens=ID,... | --prompt=TEXT) "
          "[--generate=N]\n",
          &errorStream)) {
    errs() << StringRef(parseErrors).split('\n').first << "\n";
    return kUserError;
  }
  if (inputFile.empty())
    return fail("no input graph (see ingot-run --help)");
  return runGraph();
}
