//===- Evaluator.cpp - Reference evaluator of ingot graphs ----------------===//
//
// The driver: walks a function's block in order, reads each op's attributes,
// calls the matching kernel (Kernels.h) on the operands' runtime values,
// rounds float results to their element type and checks every result
// against its static type.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"

#include "compiler/reference/Kernels.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace llvm;
using namespace mlir;
namespace ig = mlir::ingot;

namespace ingot::reference {

namespace {

using Results = SmallVector<RefValue, 3>;

/// "file:line:col" of `loc`, or "" when it has none.
std::string formatLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return formatLocation(name.getChildLoc());
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return formatLocation(call.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations()) {
      std::string text = formatLocation(inner);
      if (!text.empty())
        return text;
    }
  return "";
}

/// `err` prefixed with the op's name and location.
Error atOp(Operation *op, Error err) {
  std::string location = formatLocation(op->getLoc());
  std::string prefix = op->getName().getStringRef().str();
  if (!location.empty())
    prefix += " at " + location;
  return makeError(prefix + ": " + toString(std::move(err)));
}

/// The bit width an integer scalar of `type` keeps (64 for index).
unsigned getScalarWidth(Type type) {
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.getWidth();
  return 64;
}

/// `value` wrapped to a signed `width`-bit integer, as arith's ops do.
int64_t wrapToWidth(uint64_t value, unsigned width) {
  if (width >= 64)
    return static_cast<int64_t>(value);
  return SignExtend64(value, width);
}

/// A dense constant as a tensor value.
Expected<RefValue> getDenseValue(DenseElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  Type elementType = type.getElementType();
  if (isa<FloatType>(elementType)) {
    std::vector<float> data;
    for (APFloat value : attr.getValues<APFloat>()) {
      bool losesInfo = false;
      value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      data.push_back(value.convertToFloat());
    }
    return RefValue::getFloatTensor(std::move(shape), std::move(data));
  }
  if (isa<IntegerType, IndexType>(elementType)) {
    std::vector<int64_t> data;
    // i1 is a boolean: true is 1, not -1.
    bool boolean = elementType.isInteger(1);
    for (const APInt &value : attr.getValues<APInt>())
      data.push_back(boolean ? value.getZExtValue() : value.getSExtValue());
    return RefValue::getIntTensor(std::move(shape), std::move(data));
  }
  return makeError("constants of this element type are not supported");
}

/// Turns a kernel's single result into the op's results.
Expected<Results> one(Expected<RefValue> value) {
  if (!value)
    return value.takeError();
  return Results{std::move(*value)};
}

Expected<Results> many(Expected<std::array<RefValue, 3>> values) {
  if (!values)
    return values.takeError();
  return Results{std::move((*values)[0]), std::move((*values)[1]),
                 std::move((*values)[2])};
}

/// An axis in [-rank, rank) made non-negative (range-checked by kernels).
int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Runs one function: an environment from SSA values to runtime values.
class Interpreter {
public:
  explicit Interpreter(Evaluator &evaluator) : evaluator(evaluator) {}

  Expected<std::vector<RefValue>> run(func::FuncOp fn,
                                      ArrayRef<RefValue> args);

private:
  /// The value of `v`; evaluate() checked it is there.
  const RefValue &get(Value v) { return env.find(v)->second; }
  int64_t getScalar(Value v) { return get(v).getScalar(); }

  /// The type entries of `cache` are rounded to when stored.
  Type getStorageType(Value cache) {
    if (evaluator.getOptions().exactKVCaches)
      return Float32Type::get(cache.getContext());
    return cast<ig::KVCacheType>(cache.getType()).getElementType();
  }

  /// The encoding entries of `cache` are rounded through when stored.
  ig::KVQuantAttr getStorageEncoding(Value cache) {
    if (evaluator.getOptions().exactKVCaches)
      return {};
    return cast<ig::KVCacheType>(cache.getType()).getEncoding();
  }

  Expected<Results> evaluate(Operation *op);
  Expected<Results> evaluateIngot(Operation *op);
  Expected<Results> evaluateUpstream(Operation *op);

  Expected<Results> evaluateWeight(ig::WeightOp op);
  Expected<Results> evaluateReshape(ig::ReshapeOp op);
  Expected<Results> evaluateBroadcast(ig::BroadcastOp op);
  Expected<Results> evaluateKVRead(ig::KVReadOp op);
  Expected<Results> evaluateKVWrite(ig::KVWriteOp op);
  Expected<Results> evaluateAttention(ig::AttentionOp op);
  Expected<Results> evaluateExtractSlice(tensor::ExtractSliceOp op);
  Expected<Results> evaluateArith(Operation *op);

  Evaluator &evaluator;
  llvm::DenseMap<Value, RefValue> env;
};

Expected<std::vector<RefValue>> Interpreter::run(func::FuncOp fn,
                                                 ArrayRef<RefValue> args) {
  std::string name = "@" + fn.getSymName().str();
  if (fn.isExternal())
    return makeError(name + " has no body");
  if (!fn.getBody().hasOneBlock())
    return makeError(name + " has more than one block; the reference "
                            "evaluator runs straight-line functions only");
  FunctionType type = fn.getFunctionType();
  if (args.size() != type.getNumInputs())
    return makeError(name + " takes " + Twine(type.getNumInputs()) +
                     " arguments, got " + Twine(args.size()));
  Block &block = fn.getBody().front();
  for (auto [i, arg] : llvm::enumerate(args)) {
    if (Error err = checkValueOfType(arg, type.getInput(i),
                                     "argument #" + Twine(i) + " of " + name))
      return err;
    env[block.getArgument(i)] = arg;
  }
  for (Operation &op : block) {
    for (auto [i, operand] : llvm::enumerate(op.getOperands()))
      if (!env.count(operand))
        return atOp(&op, makeError("operand #" + Twine(i) +
                                   " has no value (not defined earlier in "
                                   "the block)"));
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<RefValue> results;
      for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
        if (i >= type.getNumResults())
          break;
        if (Error err = checkValueOfType(get(operand), type.getResult(i),
                                         "result #" + Twine(i) + " of " +
                                             name))
          return err;
        results.push_back(get(operand));
      }
      if (results.size() != type.getNumResults() ||
          ret.getNumOperands() != type.getNumResults())
        return atOp(&op, makeError("returns " + Twine(ret.getNumOperands()) +
                                   " values for " +
                                   Twine(type.getNumResults()) + " results"));
      return results;
    }
    Expected<Results> results = evaluate(&op);
    if (!results)
      return atOp(&op, results.takeError());
    if (results->size() != op.getNumResults())
      return atOp(&op, makeError("internal error: wrong number of results"));
    for (auto [i, result] : llvm::enumerate(op.getResults())) {
      RefValue &value = (*results)[i];
      if (auto tensorType = dyn_cast<RankedTensorType>(result.getType()))
        if (value.isFloatTensor())
          roundToFloatType(value.getFloats(), tensorType.getElementType());
      if (Error err = checkValueOfType(value, result.getType(),
                                       "result #" + Twine(i)))
        return atOp(&op, std::move(err));
      env[result] = std::move(value);
    }
  }
  return makeError(name + " ends without func.return");
}

Expected<Results> Interpreter::evaluate(Operation *op) {
  if (op->getName().getDialectNamespace() ==
      ig::IngotDialect::getDialectNamespace())
    return evaluateIngot(op);
  return evaluateUpstream(op);
}

Expected<Results> Interpreter::evaluateIngot(Operation *op) {
  auto binaryOp = [&](BinaryKind kind) {
    return one(binary(kind, get(op->getOperand(0)), get(op->getOperand(1))));
  };
  auto unaryOp = [&](UnaryKind kind) {
    return one(unary(kind, get(op->getOperand(0))));
  };
  return llvm::TypeSwitch<Operation *, Expected<Results>>(op)
      .Case([&](ig::WeightOp op) { return evaluateWeight(op); })
      .Case([&](ig::ConstantOp op) -> Expected<Results> {
        auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
        if (!dense)
          return makeError("only dense constants are supported");
        return one(getDenseValue(dense));
      })
      .Case([&](ig::IotaOp op) -> Expected<Results> {
        int64_t n = getScalar(op.getN());
        if (n < 0 || n > std::numeric_limits<int32_t>::max())
          return makeError("size " + Twine(n) + " is out of range");
        int64_t offset = op.getOffset() ? getScalar(op.getOffset()) : 0;
        if (offset < 0 || offset > std::numeric_limits<int32_t>::max() - n)
          return makeError("offset " + Twine(offset) + " is out of range");
        std::vector<int64_t> data(n);
        for (int64_t i = 0; i < n; ++i)
          data[i] = offset + i;
        return Results{RefValue::getIntTensor({n}, std::move(data))};
      })
      .Case([&](ig::ZerosLikeOp op) -> Expected<Results> {
        const RefValue &x = get(op.getX());
        return Results{RefValue::getFloatTensor(
            x.getShape(), std::vector<float>(x.getFloats().size(), 0.0f))};
      })
      .Case([&](ig::EmbeddingOp op) {
        return one(embedding(get(op.getTable()), get(op.getIds())));
      })
      .Case([&](ig::MatmulOp op) {
        return one(matmul(get(op.getA()), get(op.getB()),
                          op.getBias() ? &get(op.getBias()) : nullptr,
                          op.getTransposeA(), op.getTransposeB()));
      })
      .Case([&](ig::AddOp) { return binaryOp(BinaryKind::Add); })
      .Case([&](ig::SubOp) { return binaryOp(BinaryKind::Sub); })
      .Case([&](ig::MulOp) { return binaryOp(BinaryKind::Mul); })
      .Case([&](ig::DivOp) { return binaryOp(BinaryKind::Div); })
      .Case([&](ig::MaximumOp) { return binaryOp(BinaryKind::Maximum); })
      .Case([&](ig::SelectOp op) {
        return one(select(get(op.getCondition()), get(op.getTrueValue()),
                          get(op.getFalseValue())));
      })
      .Case([&](ig::SiluOp) { return unaryOp(UnaryKind::Silu); })
      .Case([&](ig::GeluOp op) {
        return unaryOp(op.getApproximate() ? UnaryKind::GeluTanh
                                           : UnaryKind::Gelu);
      })
      .Case([&](ig::SigmoidOp) { return unaryOp(UnaryKind::Sigmoid); })
      .Case([&](ig::TanhOp) { return unaryOp(UnaryKind::Tanh); })
      .Case([&](ig::ExpOp) { return unaryOp(UnaryKind::Exp); })
      .Case([&](ig::NegOp) { return unaryOp(UnaryKind::Neg); })
      .Case([&](ig::RsqrtOp) { return unaryOp(UnaryKind::Rsqrt); })
      .Case([&](ig::ReluOp) { return unaryOp(UnaryKind::Relu); })
      .Case([&](ig::ClampOp op) {
        return one(clamp(get(op.getX()), op.getMin().convertToDouble(),
                         op.getMax().convertToDouble()));
      })
      .Case([&](ig::CastOp op) -> Expected<Results> {
        // The rounding to the result's type happens for every result.
        return Results{get(op.getX())};
      })
      .Case([&](ig::ReshapeOp op) { return evaluateReshape(op); })
      .Case([&](ig::TransposeOp op) {
        return one(transpose(get(op.getX()), op.getPermutation()));
      })
      .Case([&](ig::ConcatOp op) {
        SmallVector<const RefValue *> inputs;
        for (Value input : op.getInputs())
          inputs.push_back(&get(input));
        return one(concat(inputs, normalizeAxis(op.getAxisAttr().getInt(),
                                                op.getType().getRank())));
      })
      .Case([&](ig::SliceOp op) {
        const RefValue &x = get(op.getX());
        return one(slice(x, normalizeAxis(op.getAxisAttr().getInt(), x.getRank()),
                         op.getStartAttr().getInt(),
                         op.getSizeAttr().getInt()));
      })
      .Case([&](ig::BroadcastOp op) { return evaluateBroadcast(op); })
      .Case([&](ig::RmsNormOp op) {
        return one(rmsNorm(get(op.getX()), get(op.getWeight()),
                           op.getEps().convertToDouble()));
      })
      .Case([&](ig::LayerNormOp op) {
        return one(layerNorm(get(op.getX()), get(op.getWeight()),
                             op.getBias() ? &get(op.getBias()) : nullptr,
                             op.getEps().convertToDouble()));
      })
      .Case([&](ig::RopeOp op) {
        RopeParams params;
        params.theta = op.getTheta().convertToDouble();
        params.interleaved = op.getStyle() == ig::RopeStyle::interleaved;
        if (IntegerAttr rotary = op.getRotaryDimAttr())
          params.rotaryDim = rotary.getInt();
        params.scaling = op.getScalingAttr();
        if (op.getFreqFactors())
          params.freqFactors = get(op.getFreqFactors()).getFloats();
        return one(rope(get(op.getX()), get(op.getPositions()), params));
      })
      .Case([&](ig::HadamardOp op) {
        return one(hadamard(get(op.getX()), op.getSeedAttr().getInt(),
                            op.getInverse()));
      })
      .Case([&](ig::SoftmaxOp op) {
        const RefValue &x = get(op.getX());
        return one(softmax(
            x, normalizeAxis(op.getAxisAttr().getInt(), x.getRank())));
      })
      .Case([&](ig::ReduceOp op) {
        const RefValue &x = get(op.getX());
        return one(reduce(
            op.getKind(), x,
            normalizeAxis(op.getAxisAttr().getInt(), x.getRank())));
      })
      .Case([&](ig::TopKOp op) -> Expected<Results> {
        auto result = topk(get(op.getX()), op.getKAttr().getInt());
        if (!result)
          return result.takeError();
        return Results{std::move(result->first), std::move(result->second)};
      })
      .Case([&](ig::MaskOp op) {
        IntegerAttr window = op.getWindowAttr();
        return one(
            mask(op.getKind(), window ? window.getInt() : 0,
                 get(op.getQueryPositions()), get(op.getKeyPositions()),
                 /*boolean=*/op.getType().getElementType().isInteger(1)));
      })
      .Case([&](ig::KVReadOp op) { return evaluateKVRead(op); })
      .Case([&](ig::KVWriteOp op) { return evaluateKVWrite(op); })
      .Case([&](ig::AttentionOp op) { return evaluateAttention(op); })
      .Case([&](ig::RouteOp op) {
        return many(route(get(op.getLogits()), op.getRule(), op.getScoring(),
                          op.getRenormalize()));
      })
      .Case([&](ig::MoeFfnOp op) {
        return one(moeFfn(get(op.getX()), get(op.getOffsets()),
                          get(op.getExperts()), get(op.getWeights()),
                          get(op.getGate()), get(op.getUp()),
                          get(op.getDown()), op.getActivation()));
      })
      .Case([&](ig::MoeSortOp op) {
        return many(moeSort(get(op.getOffsets()), get(op.getExperts()),
                            op.getNumExpertsAttr().getInt()));
      })
      .Case([&](ig::GatherRowsOp op) {
        return one(gatherRows(get(op.getX()), get(op.getIndices())));
      })
      .Case([&](ig::GroupedMatmulOp op) {
        return one(groupedMatmul(get(op.getX()), get(op.getW()),
                                 get(op.getExpertOffsets())));
      })
      .Case([&](ig::ScatterAddOp op) {
        return one(scatterAdd(get(op.getSrc()), get(op.getIndices()),
                              get(op.getDest()),
                              op.getScale() ? &get(op.getScale()) : nullptr));
      })
      .Default([&](Operation *) -> Expected<Results> {
        return makeError("this op is not supported by the reference "
                         "evaluator");
      });
}

Expected<Results> Interpreter::evaluateWeight(ig::WeightOp op) {
  auto decl =
      SymbolTable::lookupNearestSymbolFrom<ig::WeightDeclOp>(op, op.getNameAttr());
  if (!decl)
    return makeError("@" + op.getNameAttr().getValue() +
                     " does not name an ingot.weight_decl");
  Expected<const RefValue &> value = evaluator.getWeight(decl);
  if (!value)
    return value.takeError();
  return Results{*value};
}

Expected<Results> Interpreter::evaluateReshape(ig::ReshapeOp op) {
  const RefValue &x = get(op.getX());
  RankedTensorType type = op.getType();
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  SmallVector<int64_t> dynamic;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamic.push_back(d);
  if (!dynamic.empty()) {
    // All but the last dynamic size are the operand's dynamic sizes in
    // order; the last one is whatever the element count leaves.
    SmallVector<int64_t> operandDynamic;
    RankedTensorType xType = op.getX().getType();
    for (int64_t d = 0; d < xType.getRank(); ++d)
      if (xType.isDynamicDim(d))
        operandDynamic.push_back(x.getDimSize(d));
    if (operandDynamic.size() + 1 < dynamic.size())
      return makeError("cannot infer the dynamic sizes of the result");
    for (size_t i = 0; i + 1 < dynamic.size(); ++i)
      shape[dynamic[i]] = operandDynamic[i];
    shape[dynamic.back()] = 1;
    int64_t known = getNumElements(shape);
    if (known == 0 || x.getNumElements() % known != 0)
      return makeError("cannot reshape " + x.describe() + " to " +
                       shapeToString(type.getShape()));
    shape[dynamic.back()] = x.getNumElements() / known;
  }
  return one(reshape(x, shape));
}

Expected<Results> Interpreter::evaluateBroadcast(ig::BroadcastOp op) {
  const RefValue &x = get(op.getX());
  RankedTensorType type = op.getType();
  int64_t offset = type.getRank() - x.getRank();
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d))
      continue;
    // The verifier guarantees x has a dynamic size here.
    if (d < offset)
      return makeError("result dimension " + Twine(d) + " has no size");
    shape[d] = x.getDimSize(d - offset);
  }
  return one(broadcastTo(x, shape));
}

Expected<Results> Interpreter::evaluateKVRead(ig::KVReadOp op) {
  return one(kvRead(get(op.getCache()), getScalar(op.getLength())));
}

Expected<Results> Interpreter::evaluateKVWrite(ig::KVWriteOp op) {
  return one(kvWrite(get(op.getCache()), get(op.getValues()),
                     getScalar(op.getPosition()),
                     getStorageType(op.getCache()),
                     getStorageEncoding(op.getCache())));
}

/// Adds what storing `entries : [tokens, heads, head_dim]` with `encoding`
/// loses to `sums`.
static void recordKVError(const RefValue &entries, ig::KVQuantAttr encoding,
                          KVErrorStats::Sums &sums) {
  if (!encoding || entries.getRank() != 3)
    return;
  int64_t headDim = entries.getDimSize(2);
  int64_t row = entries.getDimSize(1) * headDim;
  sums.channelError.resize(row, 0.0);
  sums.channelEnergy.resize(row, 0.0);
  const std::vector<float> &data = entries.getFloats();
  std::vector<float> vector(headDim);
  for (size_t start = 0; start + headDim <= data.size(); start += headDim) {
    std::copy_n(data.begin() + start, headDim, vector.begin());
    roundTripKVVector(encoding, vector);
    for (int64_t i = 0; i < headDim; ++i) {
      double x = data[start + i], error = vector[i] - x;
      int64_t channel = (start + i) % row;
      sums.channelError[channel] += error * error;
      sums.channelEnergy[channel] += x * x;
      sums.error += error * error;
      sums.energy += x * x;
    }
  }
}

Expected<Results> Interpreter::evaluateAttention(ig::AttentionOp op) {
  AttentionParams params;
  params.mask = op.getMask();
  if (IntegerAttr window = op.getWindowAttr())
    params.window = window.getInt();
  params.scale = op.getScale().convertToDouble();
  if (FloatAttr softcap = op.getSoftcapAttr())
    params.softcap = softcap.getValueAsDouble();
  const RefValue &q = get(op.getQuery());
  if (!q.isFloatTensor() || q.getRank() != 3)
    return makeError("query must be a rank-3 float tensor");
  int64_t tokens = q.getDimSize(0);
  std::vector<int64_t> queryPositions(tokens), keyPositions;
  if (!op.getKeyCache()) {
    // Queries are the last `tokens` of the keys.
    const RefValue &k = get(op.getKey());
    int64_t keys = k.getRank() == 3 ? k.getDimSize(0) : 0;
    for (int64_t i = 0; i < tokens; ++i)
      queryPositions[i] = keys - tokens + i;
    keyPositions.resize(keys);
    for (int64_t j = 0; j < keys; ++j)
      keyPositions[j] = j;
    return one(attention(q, k, get(op.getValue()), queryPositions,
                         keyPositions, params));
  }
  // With caches: store the new entries, attend over positions 0 .. pos +
  // tokens - 1 as the caches now hold them.
  const RefValue &k = get(op.getKey());
  if (k.getRank() != 3 || k.getDimSize(0) != tokens)
    return makeError("with a cache, key must hold one entry per query (" +
                     Twine(tokens) + "), got a " + k.describe());
  int64_t position = getScalar(op.getPosition());
  if (KVErrorStats *stats = evaluator.getOptions().kvErrors) {
    auto [it, added] =
        stats->layerOf.try_emplace(op.getOperation(), stats->layers.size());
    if (added)
      stats->layers.emplace_back();
    KVErrorStats::Layer &layer = stats->layers[it->second];
    recordKVError(k, getStorageEncoding(op.getKeyCache()), layer.keys);
    recordKVError(get(op.getValue()), getStorageEncoding(op.getValueCache()),
                  layer.values);
  }
  if (KVKeySums *sums = evaluator.getOptions().keySums) {
    auto [it, added] =
        sums->layerOf.try_emplace(op.getOperation(), sums->layers.size());
    if (added)
      sums->layers.emplace_back();
    KVKeySums::Layer &layer = sums->layers[it->second];
    int64_t row = k.getDimSize(1) * k.getDimSize(2);
    layer.sums.resize(row, 0.0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t i = 0; i < row; ++i)
        layer.sums[i] += k.getFloats()[t * row + i];
    layer.tokens += tokens;
  }
  Expected<RefValue> keyCache =
      kvWrite(get(op.getKeyCache()), k, position,
              getStorageType(op.getKeyCache()),
              getStorageEncoding(op.getKeyCache()));
  if (!keyCache)
    return keyCache.takeError();
  Expected<RefValue> valueCache =
      kvWrite(get(op.getValueCache()), get(op.getValue()), position,
              getStorageType(op.getValueCache()),
              getStorageEncoding(op.getValueCache()));
  if (!valueCache)
    return valueCache.takeError();
  int64_t keys = position + tokens;
  Expected<RefValue> allKeys = kvRead(*keyCache, keys);
  if (!allKeys)
    return allKeys.takeError();
  Expected<RefValue> allValues = kvRead(*valueCache, keys);
  if (!allValues)
    return allValues.takeError();
  for (int64_t i = 0; i < tokens; ++i)
    queryPositions[i] = position + i;
  keyPositions.resize(keys);
  for (int64_t j = 0; j < keys; ++j)
    keyPositions[j] = j;
  Expected<RefValue> result = attention(q, *allKeys, *allValues,
                                        queryPositions, keyPositions, params);
  if (!result)
    return result.takeError();
  return Results{std::move(*result), std::move(*keyCache),
                 std::move(*valueCache)};
}

Expected<Results> Interpreter::evaluateUpstream(Operation *op) {
  if (op->getName().getDialectNamespace() ==
      arith::ArithDialect::getDialectNamespace())
    return evaluateArith(op);
  return llvm::TypeSwitch<Operation *, Expected<Results>>(op)
      .Case([&](tensor::DimOp op) -> Expected<Results> {
        const RefValue &source = get(op.getSource());
        int64_t index = getScalar(op.getIndex());
        if (!source.isTensor() || index < 0 || index >= source.getRank())
          return makeError("dimension " + Twine(index) +
                           " is out of range for a " + source.describe());
        return Results{RefValue::getScalar(source.getDimSize(index))};
      })
      .Case([&](tensor::ExtractOp op) -> Expected<Results> {
        const RefValue &source = get(op.getTensor());
        if (!source.isIntTensor())
          return makeError("only integer elements can be extracted (the "
                           "reference evaluator has no float scalars)");
        int64_t offset = 0;
        for (auto [d, index] : llvm::enumerate(op.getIndices())) {
          int64_t i = getScalar(index);
          if (i < 0 || i >= source.getDimSize(d))
            return makeError("index " + Twine(i) + " is out of range of " +
                             "dimension " + Twine(d) + " of a " +
                             source.describe());
          offset = offset * source.getDimSize(d) + i;
        }
        return Results{RefValue::getScalar(source.getInts()[offset])};
      })
      .Case([&](tensor::ExtractSliceOp op) { return evaluateExtractSlice(op); })
      .Default([&](Operation *) -> Expected<Results> {
        return makeError("this op is not supported by the reference "
                         "evaluator");
      });
}

Expected<Results>
Interpreter::evaluateExtractSlice(tensor::ExtractSliceOp op) {
  auto resolve = [&](ArrayRef<OpFoldResult> mixed) {
    std::vector<int64_t> values;
    for (OpFoldResult value : mixed) {
      if (auto attr = dyn_cast<Attribute>(value))
        values.push_back(cast<IntegerAttr>(attr).getInt());
      else
        values.push_back(getScalar(cast<Value>(value)));
    }
    return values;
  };
  std::vector<int64_t> offsets = resolve(op.getMixedOffsets());
  std::vector<int64_t> sizes = resolve(op.getMixedSizes());
  std::vector<int64_t> strides = resolve(op.getMixedStrides());
  Expected<RefValue> sliced =
      stridedSlice(get(op.getSource()), offsets, sizes, strides);
  if (!sliced)
    return sliced.takeError();
  RankedTensorType type = op.getType();
  if (type.getRank() == sliced->getRank())
    return Results{std::move(*sliced)};
  // A rank-reducing slice drops unit dimensions.
  llvm::SmallBitVector dropped = op.getDroppedDims();
  std::vector<int64_t> shape;
  for (int64_t d = 0; d < sliced->getRank(); ++d)
    if (!dropped.test(d))
      shape.push_back(sliced->getDimSize(d));
  return one(reshape(*sliced, shape));
}

Expected<Results> Interpreter::evaluateArith(Operation *op) {
  auto scalarOperand = [&](unsigned i) -> Expected<int64_t> {
    const RefValue &value = get(op->getOperand(i));
    if (!value.isScalar())
      return makeError("only scalar integer arithmetic is supported, got a " +
                       value.describe());
    return value.getScalar();
  };
  auto binaryOp = [&](auto combine) -> Expected<Results> {
    Expected<int64_t> lhs = scalarOperand(0);
    if (!lhs)
      return lhs.takeError();
    Expected<int64_t> rhs = scalarOperand(1);
    if (!rhs)
      return rhs.takeError();
    uint64_t result = combine(static_cast<uint64_t>(*lhs),
                              static_cast<uint64_t>(*rhs));
    return Results{RefValue::getScalar(
        wrapToWidth(result, getScalarWidth(op->getResult(0).getType())))};
  };
  return llvm::TypeSwitch<Operation *, Expected<Results>>(op)
      .Case([&](arith::ConstantOp op) -> Expected<Results> {
        Attribute value = op.getValue();
        if (auto integer = dyn_cast<IntegerAttr>(value))
          return Results{RefValue::getScalar(integer.getValue().getSExtValue())};
        if (auto dense = dyn_cast<DenseElementsAttr>(value))
          return one(getDenseValue(dense));
        return makeError("only integer, index and dense tensor constants are "
                         "supported");
      })
      .Case([&](arith::AddIOp) {
        return binaryOp([](uint64_t a, uint64_t b) { return a + b; });
      })
      .Case([&](arith::SubIOp) {
        return binaryOp([](uint64_t a, uint64_t b) { return a - b; });
      })
      .Case([&](arith::MulIOp) {
        return binaryOp([](uint64_t a, uint64_t b) { return a * b; });
      })
      .Case([&](arith::IndexCastOp op) -> Expected<Results> {
        Expected<int64_t> value = scalarOperand(0);
        if (!value)
          return value.takeError();
        return Results{RefValue::getScalar(
            wrapToWidth(static_cast<uint64_t>(*value),
                        getScalarWidth(op.getType())))};
      })
      .Default([&](Operation *) -> Expected<Results> {
        return makeError("this op is not supported by the reference "
                         "evaluator");
      });
}

} // namespace

/// A decl's values: its own when it carries them (a weight folded at
/// compile time by --ingot-fold-weights), else the reader's.
static Expected<std::vector<float>> readDeclValues(ig::WeightDeclOp decl,
                                                   WeightReader &weights) {
  if (!decl.getValueAttr())
    return weights.read(decl);
  FailureOr<std::vector<float>> values = decl.getInlineValues();
  if (failed(values))
    return makeError("its inline values are missing (an elided blob)");
  return std::move(*values);
}

Expected<const RefValue &> Evaluator::getWeight(ig::WeightDeclOp decl) {
  auto it = weightCache.find(decl.getOperation());
  if (it != weightCache.end())
    return it->second;
  auto type = cast<RankedTensorType>(decl.getType());
  std::string name = "weight @" + decl.getSymName().str();
  if (!type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return makeError(name + " must be a float tensor of static shape");
  Expected<std::vector<float>> values = readDeclValues(decl, weights);
  if (!values)
    return makeError(name + ": " + toString(values.takeError()));
  if (static_cast<int64_t>(values->size()) != type.getNumElements())
    return makeError(name + ": the weight reader gave " +
                     Twine(values->size()) + " values for a " +
                     shapeToString(type.getShape()) + " tensor");
  roundToFloatType(*values, type.getElementType());
  RefValue value = RefValue::getFloatTensor(
      std::vector<int64_t>(type.getShape().begin(), type.getShape().end()),
      std::move(*values));
  return weightCache.try_emplace(decl.getOperation(), std::move(value))
      .first->second;
}

Expected<std::vector<RefValue>> Evaluator::run(func::FuncOp fn,
                                               ArrayRef<RefValue> args) {
  Interpreter interpreter(*this);
  return interpreter.run(fn, args);
}

Expected<std::vector<RefValue>> evaluate(func::FuncOp fn,
                                         ArrayRef<RefValue> args,
                                         WeightReader &weights) {
  Evaluator evaluator(weights);
  return evaluator.run(fn, args);
}

} // namespace ingot::reference
