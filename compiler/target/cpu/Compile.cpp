//===- Compile.cpp - From an optimized graph to files for one CPU ---------===//

#include "compiler/target/cpu/Compile.h"

#include "compiler/target/cpu/RuntimeBitcode.h"
#include "compiler/ukernels/UKernelABI.h"
#include "compiler/ukernels/UKernelBitcode.h"
#include "runtime/include/ingot_abi.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <cctype>
#include <cstring>

using namespace llvm;

namespace ingot::cpu {

static Error makeError(const Twine &message) {
  return createStringError(message);
}

std::string modelNameFromPath(StringRef path) {
  if (path == "-")
    return "model";
  StringRef stem = sys::path::stem(path);
  if (stem.starts_with("lib"))
    stem = stem.drop_front(3);
  std::string name;
  for (char c : stem)
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    name = "m_" + name;
  return name;
}

std::string generateHeader(const LoweredModel &lowered,
                           const CodegenOptions &options) {
  std::string upper;
  for (char c : options.name)
    upper.push_back(std::toupper(static_cast<unsigned char>(c)));
  std::string out;
  raw_string_ostream os(out);
  os << "/* " << options.name
     << ": a language model compiled by ingotc. Generated; do not edit.\n"
     << " *\n"
     << " * Open it with ingot_model_open(&model, &ingot_model_" << options.name
     << ", ...)\n"
     << " * (ingot.h); link the library with -lm -lpthread -ldl."
     << (options.gpu ? "\n * It runs on an NVIDIA GPU: the runtime opens the "
                       "driver (libcuda.so.1)\n * when the model opens."
                     : "")
     << " */\n\n"
     << "#ifndef INGOT_MODEL_" << upper << "_H\n"
     << "#define INGOT_MODEL_" << upper << "_H\n\n"
     << "#include \"ingot.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "extern const ingot_model_desc ingot_model_" << options.name
     << ";\n\n"
     << "#define INGOT_MODEL_" << upper << "_VOCAB_SIZE " << lowered.vocabSize
     << "\n"
     << "#define INGOT_MODEL_" << upper << "_MAX_CTX " << lowered.maxCtx
     << "\n"
     << "#define INGOT_MODEL_" << upper << "_MAX_BATCH " << lowered.maxBatch
     << "\n"
     << "#define INGOT_MODEL_" << upper << "_ARENA_BYTES "
     << lowered.arenaBytes << "\n"
     << "#define INGOT_MODEL_" << upper << "_KV_BYTES_PER_TOKEN "
     << lowered.kvBytesPerToken << "\n"
     << "#define INGOT_MODEL_" << upper << "_WEIGHTS_BYTES "
     << lowered.weights.size() << "\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n"
     << "#endif /* INGOT_MODEL_" << upper << "_H */\n";
  return out;
}

static Error writeFile(StringRef path, StringRef bytes) {
  if (path == "-") {
    outs() << bytes;
    outs().flush();
    return Error::success();
  }
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return makeError("cannot write " + path + ": " + ec.message());
  os << bytes;
  os.close();
  if (os.has_error())
    return makeError("cannot write " + path + ": " + os.error().message());
  return Error::success();
}

/// The external weights file: header + blob (the blob's own file, with
/// the header written in front).
static Error writeWeightsFile(StringRef path, LoweredModel &lowered) {
  ingot_weights_header header;
  std::memset(&header, 0, sizeof(header));
  std::memcpy(header.magic, INGOT_WEIGHTS_MAGIC, 8);
  header.weights_bytes = lowered.weights.size();
  header.model_id = lowered.modelId;
  header.weights_hash = lowered.weightsHash;
  return lowered.weights.finishWeightsFile(
      path, ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(&header),
                              sizeof(header)));
}

Expected<CompileResult> compileForCPU(mlir::ModuleOp graph,
                                      WeightPacker &packer,
                                      const CompileOptions &options) {
  CompileResult result;
  auto stage = [&](StringRef name) {
    if (options.onStage)
      options.onStage(name);
  };
  CodegenOptions codegen = options.codegen;
  bool linked = !options.kernelCallsOnly &&
                (options.emit == EmitKind::Executable ||
                 options.emit == EmitKind::Shared ||
                 options.emit == EmitKind::Library);
  // Executables and libraries carry the runtime built for their target.
  Triple triple(options.target.triple);
  StringRef runtime, cliMain;
  if (linked) {
    runtime = getRuntimeBitcode(triple);
    cliMain = getMainBitcode(triple);
    if (runtime.empty() || cliMain.empty())
      return makeError("--triple=" + options.target.triple +
                       ": ingotc carries the runtime for x86_64 and aarch64 "
                       "Linux (GNU C library) only; use --emit=obj and link "
                       "a runtime built for this target");
  }
  codegen.defineMain = options.emit == EmitKind::Executable;
  // What is linked takes embedded weights from their own object, written
  // as they are packed; an object, assembly or IR output holds them.
  codegen.weightsObject = linked && codegen.embedWeights;
  codegen.interleaveQ4_0 = !options.deviceCode &&
                           (options.target.variant == "x86_64-avx2" ||
                            options.target.variant == "x86_64-avx512");
  std::string weightsPath;
  if (!codegen.embedWeights) {
    weightsPath = options.output + ".weights";
    codegen.weightsFile = sys::path::filename(weightsPath).str();
  }
  LLVMContext context;
  stage("lowering");
  auto lowered = lowerToLLVM(graph, packer, codegen, context);
  if (!lowered)
    return lowered.takeError();
  std::unique_ptr<Module> module = std::move(lowered->module);
  if (options.deviceCode) {
    stage("device code");
    if (Error err = options.deviceCode(*lowered, *module))
      return std::move(err);
  }

  if (options.emit == EmitKind::Header) {
    if (Error err = writeFile(options.output, generateHeader(*lowered, codegen)))
      return std::move(err);
    result.files.push_back(options.output);
    result.lowered = std::move(*lowered);
    return result;
  }

  auto machine = createTargetMachine(options.target);
  if (!machine)
    return machine.takeError();
  module->setTargetTriple((*machine)->getTargetTriple());
  module->setDataLayout((*machine)->createDataLayout());
  if (!options.kernelCallsOnly && !options.deviceCode) {
    if (Error err = linkBitcode(*module,
                                ukernels::getBitcode(options.target.variant),
                                "ukernel library", /*internalize=*/true))
      return std::move(err);
    // The kernels as compiled must take what ukernels.def says, which is
    // what the calls were generated from.
    if (Error err = ukernels::verifyUKernelSignatures(*module))
      return std::move(err);
  }
  // The model and its ukernels are optimized for the target CPU; the
  // runtime and the CLI main are linked after: their bitcode is built -O2
  // already, and optimizing it again took most of a compile (about 1.9 s of
  // 2.6 s for a fixture model).
  stage("LLVM optimization");
  if (!options.kernelCallsOnly)
    optimizeModule(*module, **machine);
  if (linked) {
    if (Error err = linkBitcode(*module, runtime, "runtime",
                                /*internalize=*/false))
      return std::move(err);
    if (options.emit == EmitKind::Executable)
      if (Error err = linkBitcode(*module, cliMain, "CLI main",
                                  /*internalize=*/false))
        return std::move(err);
  }

  std::string weightsSymbol = "ingot_weights_" + codegen.name;
  stage("code generation");
  if (options.emit == EmitKind::LLVM) {
    std::string text;
    raw_string_ostream os(text);
    module->print(os, nullptr);
    if (Error err = writeFile(options.output, text))
      return std::move(err);
    result.files.push_back(options.output);
  } else {
    auto code = emitCode(*module, **machine,
                         options.emit == EmitKind::Assembly ? FileKind::Assembly
                                                            : FileKind::Object);
    if (!code)
      return code.takeError();
    if (options.emit != EmitKind::Object && options.emit != EmitKind::Assembly)
      stage("link");
    switch (options.emit) {
    case EmitKind::Object:
    case EmitKind::Assembly:
      if (Error err = writeFile(options.output, *code))
        return std::move(err);
      result.files.push_back(options.output);
      break;
    case EmitKind::Library: {
      std::string member = codegen.name + ".o";
      std::vector<std::pair<std::string, std::string>> files;
      if (codegen.weightsObject) {
        auto weights =
            lowered->weights.finishObject(triple.str(), weightsSymbol);
        if (!weights)
          return weights.takeError();
        files.push_back({codegen.name + ".weights.o", *weights});
      }
      Error err = writeStaticLibrary(options.output, {{member, *code}}, files);
      if (codegen.weightsObject)
        lowered->weights.discard();
      if (err)
        return makeError("cannot write " + options.output + ": " +
                         toString(std::move(err)));
      result.files.push_back(options.output);
      SmallString<256> header(options.output);
      sys::path::remove_filename(header);
      sys::path::append(header, codegen.name + ".h");
      if (Error err = writeFile(header, generateHeader(*lowered, codegen)))
        return std::move(err);
      result.files.push_back(header.str().str());
      break;
    }
    case EmitKind::Executable:
    case EmitKind::Shared: {
      SmallString<128> object;
      if (std::error_code ec =
              sys::fs::createTemporaryFile("ingotc", "o", object))
        return makeError("cannot create a temporary file: " + ec.message());
      std::vector<std::string> objects = {object.str().str()};
      Error err = writeFile(object, *code);
      if (!err && codegen.weightsObject) {
        auto weights =
            lowered->weights.finishObject(triple.str(), weightsSymbol);
        if (weights)
          objects.push_back(*weights);
        else
          err = weights.takeError();
      }
      code->clear();
      code->shrink_to_fit();
      if (!err)
        err = linkWithSystemCompiler(objects, options.output,
                                     options.emit == EmitKind::Shared,
                                     options.target.triple);
      sys::fs::remove(object);
      if (codegen.weightsObject)
        lowered->weights.discard();
      if (err)
        return std::move(err);
      result.files.push_back(options.output);
      break;
    }
    default:
      break;
    }
  }
  if (!codegen.embedWeights) {
    stage("writing weights");
    if (Error err = writeWeightsFile(weightsPath, *lowered))
      return std::move(err);
    result.files.push_back(weightsPath);
  }
  result.lowered = std::move(*lowered);
  return result;
}

} // namespace ingot::cpu
