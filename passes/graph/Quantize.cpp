//===- Quantize.cpp - Quantize float weights ------------------------------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"
#include "dialects/ingot/WeightEncodings.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Regex.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTQUANTIZEPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

//===----------------------------------------------------------------------===//
// Encodings in --quantize syntax
//===----------------------------------------------------------------------===//

static llvm::Error encodingError(StringRef text, const Twine &why) {
  return llvm::createStringError(
      "invalid weight encoding '" + text + "': " + why +
      " (expected q8_0, q4_0, q4_k, or int8|int4[-g32|-g64|-g128][-sym|-asym])");
}

llvm::Expected<Attribute> mlir::ingot::parseWeightEncoding(MLIRContext *context,
                                                           StringRef text) {
  if (text == "q8_0")
    return BlockQuantAttr::get(context, BlockFormat::q8_0);
  if (text == "q4_0")
    return BlockQuantAttr::get(context, BlockFormat::q4_0);
  if (text == "q4_k")
    return BlockQuantAttr::get(context, BlockFormat::q4_k);
  SmallVector<StringRef> parts;
  text.split(parts, '-');
  int64_t bits = llvm::StringSwitch<int64_t>(parts.front())
                     .Case("int8", 8)
                     .Case("int4", 4)
                     .Default(0);
  if (!bits)
    return encodingError(text, "unknown encoding '" + parts.front() + "'");
  int64_t groupSize = 128;
  bool symmetric = true, sawGroup = false, sawSymmetry = false;
  for (StringRef part : ArrayRef<StringRef>(parts).drop_front()) {
    if (part == "sym" || part == "asym") {
      if (sawSymmetry)
        return encodingError(text, "symmetry given twice");
      sawSymmetry = true;
      symmetric = part == "sym";
      continue;
    }
    StringRef size = part;
    if (size.consume_front("g") && !sawGroup && !sawSymmetry) {
      if (size.getAsInteger(10, groupSize) ||
          (groupSize != 32 && groupSize != 64 && groupSize != 128))
        return encodingError(text, "the group size must be 32, 64 or 128");
      sawGroup = true;
      continue;
    }
    return encodingError(text, "unexpected '" + part + "'");
  }
  return GroupQuantAttr::get(context, bits, groupSize, symmetric);
}

std::string mlir::ingot::formatWeightEncoding(Attribute encoding) {
  if (auto block = dyn_cast_or_null<BlockQuantAttr>(encoding))
    return stringifyBlockFormat(block.getFormat()).str();
  if (auto group = dyn_cast_or_null<GroupQuantAttr>(encoding))
    return ("int" + Twine(group.getBits()) + "-g" +
            Twine(group.getGroupSize()) + (group.getSymmetric() ? "" : "-asym"))
        .str();
  if (!encoding)
    return "none";
  std::string text;
  llvm::raw_string_ostream os(text);
  encoding.print(os);
  return text;
}

//===----------------------------------------------------------------------===//
// Weight classes
//===----------------------------------------------------------------------===//

WeightClass mlir::ingot::classifyWeight(StringRef name) {
  if (name.contains("norm"))
    return WeightClass::Norm;
  if (name.starts_with("token_embd"))
    return WeightClass::Embedding;
  if (name.starts_with("output."))
    return WeightClass::Output;
  if (name.contains("ffn_gate_inp"))
    return WeightClass::Router;
  if (name.contains("_exps"))
    return WeightClass::Experts;
  if (name.contains("attn_"))
    return WeightClass::Attention;
  if (name.contains("ffn_"))
    return WeightClass::FFN;
  return WeightClass::Other;
}

StringRef mlir::ingot::stringifyWeightClass(WeightClass cls) {
  switch (cls) {
  case WeightClass::Embedding:
    return "embedding";
  case WeightClass::Attention:
    return "attention";
  case WeightClass::FFN:
    return "ffn";
  case WeightClass::Experts:
    return "experts";
  case WeightClass::Router:
    return "router";
  case WeightClass::Norm:
    return "norm";
  case WeightClass::Output:
    return "output";
  case WeightClass::Other:
    return "other";
  }
  llvm_unreachable("unknown weight class");
}

FailureOr<WeightBytesSummary> mlir::ingot::summarizeWeightBytes(ModuleOp module) {
  WeightBytesSummary summary;
  for (auto [i, entry] : llvm::enumerate(summary.classes))
    entry.cls = static_cast<WeightClass>(i);
  for (auto decl : module.getOps<WeightDeclOp>()) {
    auto type = cast<RankedTensorType>(decl.getType());
    FailureOr<int64_t> bytes = getStorageBytes(type);
    if (failed(bytes))
      return decl.emitError() << "cannot size weight @" << decl.getSymName()
                              << " of type " << type;
    WeightClassBytes &entry =
        summary.classes[static_cast<unsigned>(classifyWeight(decl.getSymName()))];
    entry.tensors += 1;
    entry.elements += type.getNumElements();
    entry.bytes += *bytes;
    summary.total.tensors += 1;
    summary.total.elements += type.getNumElements();
    summary.total.bytes += *bytes;
  }
  return summary;
}

void mlir::ingot::printWeightBytes(llvm::raw_ostream &os,
                                   const WeightBytesSummary &before,
                                   const WeightBytesSummary &after) {
  os << llvm::format("%-10s %8s %14s %14s %14s\n", "class", "tensors",
                     "elements", "bytes before", "bytes after");
  auto row = [&](StringRef name, const WeightClassBytes &b,
                 const WeightClassBytes &a) {
    os << llvm::format("%-10s %8lld %14lld %14lld %14lld\n", name.str().c_str(),
                       static_cast<long long>(b.tensors),
                       static_cast<long long>(b.elements),
                       static_cast<long long>(b.bytes),
                       static_cast<long long>(a.bytes));
  };
  for (unsigned i = 0; i < kNumWeightClasses; ++i)
    if (before.classes[i].tensors || after.classes[i].tensors)
      row(stringifyWeightClass(static_cast<WeightClass>(i)), before.classes[i],
          after.classes[i]);
  row("total", before.total, after.total);
}

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// Whether `use` is an operand that accepts an encoded weight
/// (Ingot_WeightTensor in IngotOps.td).
static bool acceptsEncodedOperand(OpOperand &use) {
  Operation *user = use.getOwner();
  unsigned index = use.getOperandNumber();
  if (auto op = dyn_cast<EmbeddingOp>(user))
    return &use == &op.getTableMutable();
  if (auto op = dyn_cast<MatmulOp>(user))
    return &use == &op.getBMutable();
  if (auto op = dyn_cast<GroupedMatmulOp>(user))
    return &use == &op.getWMutable();
  if (auto op = dyn_cast<MoeFfnOp>(user))
    return &use == &op.getGateMutable() || &use == &op.getUpMutable() ||
           &use == &op.getDownMutable();
  (void)index;
  return false;
}

namespace {
/// What the policy of ingot-quantize makes of one weight.
enum class Candidate { Keep, AlreadyEncoded, Quantize };

/// Applies the policy (Passes.td) to the decls of one module.
struct QuantizePolicy {
  QuantizePolicy(ModuleOp module, const QuantizeOptions &options)
      : module(module), options(options), skip(options.skip) {
    module.walk([&](WeightOp op) { reads[op.getName()].push_back(op); });
  }

  Candidate classify(WeightDeclOp decl) {
    auto type = cast<RankedTensorType>(decl.getType());
    StringRef name = decl.getSymName();
    if (type.getRank() < 2 || !isa<FloatType>(type.getElementType()))
      return Candidate::Keep;
    WeightClass cls = classifyWeight(name);
    if (cls == WeightClass::Norm || cls == WeightClass::Other)
      return Candidate::Keep;
    if (!options.allMatrices &&
        (cls == WeightClass::Embedding || cls == WeightClass::Output ||
         cls == WeightClass::Router))
      return Candidate::Keep;
    if (!options.skip.empty() && skip.match(name))
      return Candidate::Keep;
    // Every reader of the weight must be an ingot.weight whose every use
    // accepts an encoded operand.
    bool usable = true;
    if (auto uses = SymbolTable::getSymbolUses(decl, module)) {
      for (const SymbolTable::SymbolUse &use : *uses)
        usable &= isa<WeightOp>(use.getUser());
    }
    for (WeightOp op : reads.lookup(name))
      for (OpOperand &use : op.getResult().getUses())
        usable &= acceptsEncodedOperand(use);
    if (!usable)
      return Candidate::Keep;
    // Already encoded (GGUF block formats, GPTQ/AWQ groups): kept as is
    // unless requantizing (to another encoding; the same one is kept).
    if (Attribute encoding = type.getEncoding()) {
      if (!options.requantize || encoding == options.encoding ||
          !isa<BlockQuantAttr, GroupQuantAttr>(encoding))
        return Candidate::AlreadyEncoded;
    }
    return Candidate::Quantize;
  }

  ModuleOp module;
  const QuantizeOptions &options;
  llvm::Regex skip;
  /// The ingot.weight ops of each decl.
  llvm::StringMap<SmallVector<WeightOp>> reads;
};
} // namespace

SmallVector<WeightDeclOp>
mlir::ingot::findEncodedMatrices(ModuleOp module,
                                 const QuantizeOptions &options) {
  QuantizePolicy policy(module, options);
  SmallVector<WeightDeclOp> found;
  for (auto decl : module.getOps<WeightDeclOp>())
    if (policy.classify(decl) == Candidate::AlreadyEncoded)
      found.push_back(decl);
  return found;
}

LogicalResult mlir::ingot::quantizeWeights(ModuleOp module,
                                           const QuantizeOptions &options) {
  if (!options.encoding)
    return module.emitError("ingot-quantize: no encoding given");
  if (!options.skip.empty()) {
    std::string why;
    if (!llvm::Regex(options.skip).isValid(why))
      return module.emitError()
             << "invalid skip regex '" << options.skip << "': " << why;
  }
  QuantizePolicy policy(module, options);
  llvm::StringMap<SmallVector<WeightOp>> &reads = policy.reads;

  // Choose first, so that a weight that cannot be quantized fails the pass
  // before anything changed.
  SmallVector<WeightDeclOp> chosen;
  for (auto decl : module.getOps<WeightDeclOp>()) {
    auto type = cast<RankedTensorType>(decl.getType());
    StringRef name = decl.getSymName();
    if (policy.classify(decl) != Candidate::Quantize)
      continue;
    if (llvm::Error err =
            mlir::ingot::checkQuantizable(type.getShape(), options.encoding))
      return decl.emitError()
             << "cannot quantize weight @" << name << " to "
             << formatWeightEncoding(options.encoding) << ": "
             << llvm::toString(std::move(err));
    chosen.push_back(decl);
  }

  for (WeightDeclOp decl : chosen) {
    auto type = cast<RankedTensorType>(decl.getType());
    auto encoded = RankedTensorType::get(type.getShape(), type.getElementType(),
                                         options.encoding);
    decl.setType(encoded);
    for (WeightOp op : reads.lookup(decl.getSymName()))
      op.getResult().setType(encoded);
  }
  return success();
}

namespace {
struct Quantize : mlir::ingot::impl::IngotQuantizePassBase<Quantize> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    llvm::Expected<Attribute> parsed = parseWeightEncoding(context, encoding);
    if (!parsed)
      return emitError(UnknownLoc::get(context))
             << llvm::toString(parsed.takeError());
    options.encoding = *parsed;
    std::string why;
    if (!skip.empty() && !llvm::Regex(skip).isValid(why))
      return emitError(UnknownLoc::get(context))
             << "invalid skip regex '" << skip << "': " << why;
    options.skip = skip;
    options.allMatrices = allMatrices;
    options.requantize = requantize;
    return success();
  }

  void runOnOperation() override {
    if (failed(quantizeWeights(getOperation(), options)))
      signalPassFailure();
  }

  QuantizeOptions options;
};
} // namespace
