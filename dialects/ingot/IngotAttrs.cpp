//===- IngotAttrs.cpp - Attributes and types of ingot ---------------------===//

#include "dialects/ingot/IngotAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ingot;

#include "dialects/ingot/IngotEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/ingot/IngotAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/ingot/IngotTypes.cpp.inc"

void IngotDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/ingot/IngotAttrs.cpp.inc"
      >();
}

void IngotDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/ingot/IngotTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// BlockQuantAttr
//===----------------------------------------------------------------------===//

namespace {
struct BlockLayout {
  int64_t elements;
  int64_t bytes;
};
} // namespace

/// Block sizes of GGUF's formats (ggml's type traits).
static BlockLayout getBlockLayout(BlockFormat format) {
  switch (format) {
  case BlockFormat::q4_0:
    return {32, 18};
  case BlockFormat::q4_1:
    return {32, 20};
  case BlockFormat::q5_0:
    return {32, 22};
  case BlockFormat::q5_1:
    return {32, 24};
  case BlockFormat::q8_0:
    return {32, 34};
  case BlockFormat::q2_k:
    return {256, 84};
  case BlockFormat::q3_k:
    return {256, 110};
  case BlockFormat::q4_k:
    return {256, 144};
  case BlockFormat::q5_k:
    return {256, 176};
  case BlockFormat::q6_k:
    return {256, 210};
  case BlockFormat::iq4_nl:
    return {32, 18};
  case BlockFormat::iq4_xs:
    return {256, 136};
  }
  llvm_unreachable("unknown block format");
}

int64_t BlockQuantAttr::getBlockSize() const {
  return getBlockLayout(getFormat()).elements;
}

int64_t BlockQuantAttr::getBytesPerBlock() const {
  return getBlockLayout(getFormat()).bytes;
}

LogicalResult BlockQuantAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (!isa<FloatType>(elementType))
    return emitError() << "block-quantized tensor must have a float element "
                          "type, got "
                       << elementType;
  if (shape.empty())
    return emitError() << "block-quantized tensor must have rank >= 1";
  int64_t inner = shape.back();
  if (!ShapedType::isDynamic(inner) && inner % getBlockSize() != 0)
    return emitError() << "innermost dimension " << inner
                       << " is not a multiple of the "
                       << stringifyBlockFormat(getFormat()) << " block size "
                       << getBlockSize();
  return success();
}

//===----------------------------------------------------------------------===//
// GroupQuantAttr
//===----------------------------------------------------------------------===//

LogicalResult
GroupQuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       int64_t bits, int64_t groupSize, bool symmetric) {
  if (bits != 4 && bits != 8)
    return emitError() << "group quantization bits must be 4 or 8, got "
                       << bits;
  if (groupSize < 2 || !llvm::isPowerOf2_64(groupSize))
    return emitError() << "group_size must be a power of two >= 2, got "
                       << groupSize;
  return success();
}

LogicalResult GroupQuantAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (!isa<FloatType>(elementType))
    return emitError() << "group-quantized tensor must have a float element "
                          "type, got "
                       << elementType;
  if (shape.empty())
    return emitError() << "group-quantized tensor must have rank >= 1";
  int64_t inner = shape.back();
  if (!ShapedType::isDynamic(inner) && inner % getGroupSize() != 0)
    return emitError() << "innermost dimension " << inner
                       << " is not a multiple of group_size " << getGroupSize();
  return success();
}

//===----------------------------------------------------------------------===//
// KVQuantAttr
//===----------------------------------------------------------------------===//

int64_t KVQuantAttr::getBits() const {
  switch (getKind()) {
  case KVQuantKind::q8:
    return 8;
  case KVQuantKind::q4:
  case KVQuantKind::tq4:
    return 4;
  case KVQuantKind::tq3:
    return 3;
  }
  return 0;
}

bool KVQuantAttr::isTurbo() const {
  return getKind() == KVQuantKind::tq4 || getKind() == KVQuantKind::tq3;
}

//===----------------------------------------------------------------------===//
// RopeScalingAttr
//===----------------------------------------------------------------------===//

namespace {
/// The keyed fields of `#ingot.rope_scaling` and `#ingot.routing`, parsed as
/// `key = number` pairs in any order; keys in `integerKeys` take integers,
/// the others floats.
struct KeyedNumbers {
  llvm::ArrayRef<StringRef> integerKeys;
  llvm::SmallVector<std::pair<std::string, double>> values;

  ParseResult parse(AsmParser &parser) {
    while (succeeded(parser.parseOptionalComma())) {
      StringRef key;
      double value;
      SMLoc loc = parser.getCurrentLocation();
      if (parser.parseKeyword(&key) || parser.parseEqual())
        return failure();
      if (llvm::is_contained(integerKeys, key)) {
        int64_t integer = 0;
        if (parser.parseInteger(integer))
          return failure();
        value = static_cast<double>(integer);
      } else if (parser.parseFloat(value)) {
        return failure();
      }
      if (llvm::any_of(values, [&](auto &kv) { return kv.first == key; }))
        return parser.emitError(loc) << "duplicate key '" << key << "'";
      values.emplace_back(key.str(), value);
    }
    return success();
  }

  /// Takes `key` out, or `fallback` when absent.
  double take(StringRef key, double fallback) {
    auto it = llvm::find_if(values, [&](auto &kv) { return kv.first == key; });
    if (it == values.end())
      return fallback;
    double value = it->second;
    values.erase(it);
    return value;
  }

  /// Fails with a diagnostic naming the first key nobody took.
  ParseResult checkAllTaken(AsmParser &parser, SMLoc loc, StringRef what) {
    if (values.empty())
      return success();
    return parser.emitError(loc)
           << "unknown key '" << values.front().first << "' for " << what;
  }
};
} // namespace

static APFloat toAP(double value) { return APFloat(value); }

Attribute RopeScalingAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef kindName;
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<RopeScalingKind> kind = symbolizeRopeScalingKind(kindName);
  if (!kind) {
    parser.emitError(loc) << "unknown rope scaling '" << kindName
                          << "', expected linear, llama3 or yarn";
    return {};
  }
  static constexpr StringRef integerKeys[] = {"original_max_position"};
  KeyedNumbers keys{integerKeys, {}};
  if (keys.parse(parser) || parser.parseGreater())
    return {};
  double factor = keys.take("factor", 1.0);
  double original = keys.take("original_max_position", 0.0);
  double low = 1.0, high = 4.0, betaFast = 32.0, betaSlow = 1.0, attn = 1.0;
  if (*kind == RopeScalingKind::llama3) {
    low = keys.take("low_freq_factor", low);
    high = keys.take("high_freq_factor", high);
  } else if (*kind == RopeScalingKind::yarn) {
    betaFast = keys.take("beta_fast", betaFast);
    betaSlow = keys.take("beta_slow", betaSlow);
    attn = keys.take("attn_factor", attn);
  }
  if (keys.checkAllTaken(parser, loc, "rope scaling " + kindName.str()))
    return {};
  return parser.getChecked<RopeScalingAttr>(
      loc, parser.getContext(), *kind, toAP(factor),
      static_cast<int64_t>(original), toAP(low), toAP(high), toAP(betaFast),
      toAP(betaSlow), toAP(attn));
}

void RopeScalingAttr::print(AsmPrinter &printer) const {
  auto num = [&](const APFloat &value) { printer.printFloat(value); };
  printer << "<" << stringifyRopeScalingKind(getKind()) << ", factor = ";
  num(getFactor());
  if (getKind() == RopeScalingKind::linear) {
    if (getOriginalMaxPosition() != 0)
      printer << ", original_max_position = " << getOriginalMaxPosition();
    printer << ">";
    return;
  }
  if (getKind() == RopeScalingKind::llama3) {
    printer << ", low_freq_factor = ";
    num(getLowFreqFactor());
    printer << ", high_freq_factor = ";
    num(getHighFreqFactor());
  }
  printer << ", original_max_position = " << getOriginalMaxPosition();
  if (getKind() == RopeScalingKind::yarn) {
    printer << ", beta_fast = ";
    num(getBetaFast());
    printer << ", beta_slow = ";
    num(getBetaSlow());
    printer << ", attn_factor = ";
    num(getAttnFactor());
  }
  printer << ">";
}

LogicalResult
RopeScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        RopeScalingKind kind, APFloat factor,
                        int64_t originalMaxPosition, APFloat lowFreqFactor,
                        APFloat highFreqFactor, APFloat betaFast,
                        APFloat betaSlow, APFloat attnFactor) {
  if (!(factor.convertToDouble() > 0.0))
    return emitError() << "rope scaling factor must be positive";
  if (originalMaxPosition < 0)
    return emitError() << "original_max_position must be >= 0";
  if (kind == RopeScalingKind::linear)
    return success();
  if (originalMaxPosition == 0)
    return emitError() << "rope scaling " << stringifyRopeScalingKind(kind)
                       << " needs a positive original_max_position";
  if (kind == RopeScalingKind::llama3 &&
      !(lowFreqFactor.convertToDouble() > 0.0))
    return emitError() << "llama3 rope scaling needs low_freq_factor > 0";
  if (kind == RopeScalingKind::llama3 &&
      !(highFreqFactor.convertToDouble() > lowFreqFactor.convertToDouble()))
    return emitError() << "llama3 rope scaling needs high_freq_factor > "
                          "low_freq_factor";
  if (kind == RopeScalingKind::yarn &&
      !(betaFast.convertToDouble() > betaSlow.convertToDouble()))
    return emitError() << "yarn rope scaling needs beta_fast > beta_slow";
  if (kind == RopeScalingKind::yarn && !(attnFactor.convertToDouble() > 0.0))
    return emitError() << "yarn rope scaling needs attn_factor > 0";
  return success();
}

//===----------------------------------------------------------------------===//
// RoutingAttr
//===----------------------------------------------------------------------===//

Attribute RoutingAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef kindName;
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<RoutingKind> kind = symbolizeRoutingKind(kindName);
  if (!kind) {
    parser.emitError(loc) << "unknown routing rule '" << kindName
                          << "', expected top_k, top_p or threshold";
    return {};
  }
  static constexpr StringRef integerKeys[] = {"k", "max"};
  KeyedNumbers keys{integerKeys, {}};
  if (keys.parse(parser) || parser.parseGreater())
    return {};
  double k = 0, value = 0, max = 0;
  switch (*kind) {
  case RoutingKind::top_k:
    k = keys.take("k", 0);
    break;
  case RoutingKind::top_p:
    value = keys.take("p", 0);
    max = keys.take("max", 0);
    break;
  case RoutingKind::threshold:
    value = keys.take("t", 0);
    max = keys.take("max", 0);
    break;
  }
  if (keys.checkAllTaken(parser, loc, "routing rule " + kindName.str()))
    return {};
  return parser.getChecked<RoutingAttr>(loc, parser.getContext(), *kind,
                                        static_cast<int64_t>(k), toAP(value),
                                        static_cast<int64_t>(max));
}

void RoutingAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyRoutingKind(getKind());
  if (getKind() == RoutingKind::top_k) {
    printer << ", k = " << getK() << ">";
    return;
  }
  printer << (getKind() == RoutingKind::top_p ? ", p = " : ", t = ");
  printer.printFloat(getValue());
  printer << ", max = " << getMaxExperts();
  printer << ">";
}

LogicalResult RoutingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  RoutingKind kind, int64_t k, APFloat value,
                                  int64_t maxExperts) {
  double v = value.convertToDouble();
  switch (kind) {
  case RoutingKind::top_k:
    if (k < 1)
      return emitError() << "top_k routing needs k >= 1, got " << k;
    return success();
  case RoutingKind::top_p:
    if (!(v > 0.0 && v <= 1.0))
      return emitError() << "top_p routing needs 0 < p <= 1, got " << v;
    break;
  case RoutingKind::threshold:
    if (!(v > 0.0 && v <= 1.0))
      return emitError() << "threshold routing needs 0 < t <= 1, got " << v;
    break;
  }
  if (maxExperts < 0)
    return emitError() << "max must be >= 0 (0: no cap), got " << maxExperts;
  return success();
}

int64_t RoutingAttr::getMaxExpertsPerToken(int64_t numExperts) const {
  if (getKind() == RoutingKind::top_k)
    return std::min(getK(), numExperts);
  if (getMaxExperts() == 0)
    return numExperts;
  return std::min(getMaxExperts(), numExperts);
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

Type KVCacheType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t, 3> dims;
  Type elementType;
  KVQuantAttr encoding;
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false) ||
      parser.parseType(elementType))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      parser.parseCustomAttributeWithFallback(encoding))
    return {};
  if (parser.parseGreater())
    return {};
  if (dims.size() != 3) {
    parser.emitError(loc) << "kv_cache needs capacity x heads x head_dim, got "
                          << dims.size() << " dimensions";
    return {};
  }
  return parser.getChecked<KVCacheType>(loc, parser.getContext(), dims[0],
                                        dims[1], dims[2], elementType,
                                        encoding);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << "<" << getCapacity() << "x" << getNumHeads() << "x" << getHeadDim()
          << "x" << getElementType();
  if (getEncoding()) {
    printer << ", ";
    printer.printAttribute(getEncoding());
  }
  printer << ">";
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t capacity, int64_t numHeads,
                                  int64_t headDim, Type elementType,
                                  KVQuantAttr encoding) {
  if (capacity < 1 || numHeads < 1 || headDim < 1)
    return emitError() << "kv_cache dimensions must be positive";
  if (!isa<FloatType>(elementType))
    return emitError() << "kv_cache element type must be a float type, got "
                       << elementType;
  if (!encoding)
    return success();
  if (encoding.isTurbo()) {
    if (getTurboCodebook(headDim, encoding.getBits()).empty())
      return emitError() << stringifyKVQuantKind(encoding.getKind())
                         << " KV cache needs a power-of-two head_dim from 8 to "
                            "512 (its codebooks), got "
                         << headDim;
    return success();
  }
  int64_t block = getKVBlockSize(headDim);
  if (headDim % block)
    return emitError() << stringifyKVQuantKind(encoding.getKind())
                       << " KV cache needs head_dim <= 32 or a multiple of "
                          "32 (its blocks), got "
                       << headDim;
  if (encoding.getKind() == KVQuantKind::q4 && headDim % 2)
    return emitError() << "q4 KV cache needs an even head_dim, got "
                       << headDim;
  return success();
}

//===----------------------------------------------------------------------===//
// Storage size
//===----------------------------------------------------------------------===//

FailureOr<int64_t> mlir::ingot::getStorageBytes(RankedTensorType type) {
  if (!type.hasStaticShape())
    return failure();
  int64_t count = type.getNumElements();
  Attribute encoding = type.getEncoding();
  if (auto block = dyn_cast_or_null<BlockQuantAttr>(encoding))
    return count / block.getBlockSize() * block.getBytesPerBlock();
  if (auto group = dyn_cast_or_null<GroupQuantAttr>(encoding)) {
    int64_t groups = count / group.getGroupSize();
    int64_t perGroup = group.getSymmetric() ? 2 : 4;
    return count * group.getBits() / 8 + groups * perGroup;
  }
  if (encoding || !type.getElementType().isIntOrFloat())
    return failure();
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  return (count * bits + 7) / 8;
}

int64_t mlir::ingot::getKVBlockSize(int64_t headDim) {
  return std::min<int64_t>(32, headDim);
}

int64_t mlir::ingot::getKVBytesPerTokenHead(KVCacheType type) {
  int64_t d = type.getHeadDim();
  KVQuantAttr encoding = type.getEncoding();
  if (!encoding)
    return d * ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  if (encoding.isTurbo())
    return (d * encoding.getBits() + 7) / 8 + 2;
  int64_t blocks = d / getKVBlockSize(d);
  return (d * encoding.getBits() + 7) / 8 + 2 * blocks;
}
