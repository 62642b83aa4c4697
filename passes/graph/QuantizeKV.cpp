//===- QuantizeKV.cpp - KV-cache encodings and tq rotations ---------------===//
//
// Retypes the KV caches of fused attention ops (--ingot-quantize-kv) and,
// for the tq encodings, makes the rotation their codebooks assume part of
// the graph: Q and K rotated after RoPE, V's rotation folded into the value
// and output projection weights (or applied at run time where those weights
// are quantized).
//
//===----------------------------------------------------------------------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTQUANTIZEKVPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

static constexpr const char *kAcceptedEncodings =
    "f32, f16, bf16, q8, q4, tq4 or tq3";

KVCacheType KVCacheEncoding::apply(KVCacheType type) const {
  if (!isSet())
    return type;
  Type element = elementType ? elementType : type.getElementType();
  return KVCacheType::get(type.getContext(), type.getCapacity(),
                          type.getNumHeads(), type.getHeadDim(), element,
                          quant);
}

llvm::Expected<KVCacheEncoding>
mlir::ingot::parseKVCacheEncoding(MLIRContext *context, StringRef text) {
  KVCacheEncoding encoding;
  std::optional<KVQuantKind> kind =
      llvm::StringSwitch<std::optional<KVQuantKind>>(text)
          .Case("q8", KVQuantKind::q8)
          .Case("q4", KVQuantKind::q4)
          .Case("tq4", KVQuantKind::tq4)
          .Case("tq3", KVQuantKind::tq3)
          .Default(std::nullopt);
  if (kind) {
    encoding.quant = KVQuantAttr::get(context, *kind);
    return encoding;
  }
  Builder builder(context);
  encoding.elementType = llvm::StringSwitch<Type>(text)
                             .Case("f32", builder.getF32Type())
                             .Case("f16", builder.getF16Type())
                             .Case("bf16", builder.getBF16Type())
                             .Default(Type());
  if (!encoding.elementType)
    return llvm::createStringError("unknown KV-cache encoding '" + text +
                                   "' (expected " + kAcceptedEncodings + ")");
  return encoding;
}

llvm::Expected<KVCacheSpec> mlir::ingot::parseKVCacheSpec(MLIRContext *context,
                                                          StringRef text) {
  KVCacheSpec spec;
  if (!text.contains(':')) {
    auto encoding = parseKVCacheEncoding(context, text);
    if (!encoding)
      return encoding.takeError();
    spec.keys = spec.values = *encoding;
    return spec;
  }
  auto bad = [&](const Twine &why) {
    return llvm::createStringError("invalid KV-cache spec '" + text + "': " +
                                   why + " (expected ENC or k:ENC,v:ENC with "
                                   "ENC one of " + kAcceptedEncodings + ")");
  };
  SmallVector<StringRef> parts;
  text.split(parts, ',');
  bool seenKeys = false, seenValues = false;
  for (StringRef part : parts) {
    auto [role, name] = part.split(':');
    bool isKeys = role == "k", isValues = role == "v";
    if (!isKeys && !isValues)
      return bad("'" + part + "' is not k:ENC or v:ENC");
    if ((isKeys && seenKeys) || (isValues && seenValues))
      return bad("'" + role + ":' given twice");
    auto encoding = parseKVCacheEncoding(context, name);
    if (!encoding)
      return bad("unknown encoding '" + name + "'");
    (isKeys ? spec.keys : spec.values) = *encoding;
    (isKeys ? seenKeys : seenValues) = true;
  }
  return spec;
}

namespace {
/// The weight a projection reads, if it is a plain (unencoded) float
/// `ingot.weight` a rotation may be folded into.
WeightOp getFoldableWeight(Value weight) {
  auto op = weight.getDefiningOp<WeightOp>();
  if (!op || op.getType().getEncoding() || op.getType().getRank() != 2)
    return {};
  return op;
}

/// The value projection `matmul %h, %wv transpose_b` (+ bias) behind the
/// attention's `v = reshape(...)`, when its rotation can be folded into the
/// weight: each op used once, the weight plain.
MatmulOp getFoldableValueProjection(AttentionOp attention) {
  auto reshape = attention.getValue().getDefiningOp<ReshapeOp>();
  if (!reshape || !reshape->hasOneUse())
    return {};
  auto matmul = reshape.getX().getDefiningOp<MatmulOp>();
  if (!matmul || !matmul->hasOneUse() || matmul.getTransposeA() ||
      !matmul.getTransposeB() || !getFoldableWeight(matmul.getB()) ||
      matmul.getType().getRank() != 2)
    return {};
  return matmul;
}

/// The output projection `matmul (reshape %o), %wo transpose_b` after the
/// attention, when the inverse rotation can be folded into its weight.
MatmulOp getFoldableOutputProjection(AttentionOp attention) {
  Value result = attention.getResult();
  if (!result.hasOneUse())
    return {};
  auto reshape = dyn_cast<ReshapeOp>(*result.getUsers().begin());
  if (!reshape || !reshape->hasOneUse() || reshape.getType().getRank() != 2)
    return {};
  auto matmul = dyn_cast<MatmulOp>(*reshape->getUsers().begin());
  if (!matmul || matmul.getA() != reshape.getResult() ||
      matmul.getTransposeA() || !matmul.getTransposeB() ||
      !getFoldableWeight(matmul.getB()))
    return {};
  return matmul;
}

/// `ingot.hadamard %x {seed, inverse?}`.
Value rotate(OpBuilder &b, Location loc, Value x, int64_t seed,
             bool inverse = false) {
  return HadamardOp::create(b, loc, x, b.getI64IntegerAttr(seed),
                            inverse ? b.getUnitAttr() : UnitAttr());
}

RankedTensorType withShape(RankedTensorType type, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, type.getElementType());
}

/// `x : [..., heads * d]` rotated per head vector of `d` elements:
/// reshape, hadamard, reshape back.
Value rotateRows(OpBuilder &b, Location loc, Value x, int64_t d,
                 int64_t seed) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> split(type.getShape());
  int64_t inner = split.back();
  split.back() = inner / d;
  split.push_back(d);
  Value heads = ReshapeOp::create(b, loc, withShape(type, split), x);
  Value rotated = rotate(b, loc, heads, seed);
  return ReshapeOp::create(b, loc, type, rotated);
}

/// Folds v's rotation into the value projection: `h·Wvᵀ + b` becomes
/// `h·(R_heads Wv)ᵀ + R_heads b`, written `matmul %h, rot(Wvᵀ)` with Wvᵀ's
/// rows rotated per head.
void foldValueRotation(MatmulOp matmul, int64_t d, int64_t seed) {
  OpBuilder b(matmul);
  Location loc = matmul.getLoc();
  auto wType = cast<RankedTensorType>(matmul.getB().getType());
  auto tType = withShape(wType, {wType.getDimSize(1), wType.getDimSize(0)});
  Value transposed = TransposeOp::create(b, loc, tType, matmul.getB(),
                                         ArrayRef<int64_t>{1, 0});
  Value weight = rotateRows(b, loc, transposed, d, seed);
  Value bias = matmul.getBias();
  if (bias)
    bias = rotateRows(b, loc, bias, d, seed);
  auto replacement =
      MatmulOp::create(b, loc, matmul.getType(), matmul.getA(), weight, bias,
                       /*transpose_a=*/false, /*transpose_b=*/false);
  matmul.getResult().replaceAllUsesWith(replacement.getResult());
  matmul.erase();
}

/// Folds the inverse rotation of the attention output into the output
/// projection: `o·Woᵀ` with `o = Rᵀ o'` per head is `o'·(Wo R_heads)ᵀ`,
/// i.e. each row of Wo rotated per head block of its input dimension.
void foldOutputRotation(MatmulOp matmul, int64_t d, int64_t seed) {
  OpBuilder b(matmul);
  matmul.getBMutable().assign(
      rotateRows(b, matmul.getLoc(), matmul.getB(), d, seed));
}

/// The rewrite of one attention op, decided before anything changes.
struct Plan {
  AttentionOp attention;
  BlockArgument keyArg, valueArg;
  KVCacheType keyType, valueType;
  int64_t seed;
};
} // namespace

LogicalResult mlir::ingot::quantizeKVCaches(func::FuncOp fn,
                                            const KVCacheSpec &spec,
                                            int64_t seed) {
  if (!spec.keys.isSet() && !spec.values.isSet())
    return success();
  // Check everything first, so a failure leaves `fn` as it was.
  SmallVector<Plan> plans;
  int64_t layer = 0;
  WalkResult walk = fn.walk([&](AttentionOp op) {
    if (!op.getKeyCache())
      return WalkResult::advance();
    Plan plan{op, {}, {}, {}, {}, seed + layer++};
    for (auto [isKey, cache, result] :
         {std::make_tuple(true, op.getKeyCache(), op.getNewKeyCache()),
          std::make_tuple(false, op.getValueCache(), op.getNewValueCache())}) {
      const char *role = isKey ? "key" : "value";
      auto arg = dyn_cast<BlockArgument>(cache);
      if (!arg || arg.getOwner() != &fn.getBody().front() || !arg.hasOneUse()) {
        op.emitError() << "the " << role
                       << " cache must be a function argument used only by "
                          "this attention (run --ingot-fuse-attention "
                          "first)";
        return WalkResult::interrupt();
      }
      for (Operation *user : result.getUsers())
        if (!isa<func::ReturnOp>(user)) {
          op.emitError() << "the updated " << role
                         << " cache may only be returned, but '"
                         << user->getName() << "' uses it";
          return WalkResult::interrupt();
        }
      auto type = cast<KVCacheType>(cache.getType());
      const KVCacheEncoding &encoding = isKey ? spec.keys : spec.values;
      KVCacheType newType = encoding.apply(type);
      auto emit = [&]() { return op.emitError(); };
      if (failed(KVCacheType::verify(emit, newType.getCapacity(),
                                     newType.getNumHeads(),
                                     newType.getHeadDim(),
                                     newType.getElementType(),
                                     newType.getEncoding())))
        return WalkResult::interrupt();
      (isKey ? plan.keyArg : plan.valueArg) = arg;
      (isKey ? plan.keyType : plan.valueType) = newType;
    }
    plans.push_back(plan);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  // Every cache must have been seen: one left in the fine-grained form
  // would silently keep its encoding.
  for (BlockArgument arg : fn.getArguments()) {
    if (!isa<KVCacheType>(arg.getType()))
      continue;
    bool planned = llvm::any_of(plans, [&](const Plan &plan) {
      return plan.keyArg == arg || plan.valueArg == arg;
    });
    if (!planned)
      return fn.emitError() << "KV cache argument #" << arg.getArgNumber()
                            << " is not used by a fused ingot.attention (run "
                               "--ingot-fuse-attention first)";
  }

  for (Plan &plan : plans) {
    AttentionOp op = plan.attention;
    plan.keyArg.setType(plan.keyType);
    plan.valueArg.setType(plan.valueType);
    op.getNewKeyCache().setType(plan.keyType);
    op.getNewValueCache().setType(plan.valueType);
    OpBuilder b(op);
    Location loc = op.getLoc();
    if (spec.keys.isTurbo()) {
      // Scores in the rotated space: (R q)·(R k) = q·k.
      op.getQueryMutable().assign(
          rotate(b, loc, op.getQuery(), plan.seed));
      op.getKeyMutable().assign(
          rotate(b, loc, op.getKey(), plan.seed));
    }
    if (!spec.values.isTurbo())
      continue;
    int64_t dv = plan.valueType.getHeadDim();
    MatmulOp valueProjection = getFoldableValueProjection(op);
    MatmulOp outputProjection = getFoldableOutputProjection(op);
    if (valueProjection) {
      foldValueRotation(valueProjection, dv, plan.seed);
    } else {
      b.setInsertionPoint(op);
      op.getValueMutable().assign(
          rotate(b, loc, op.getValue(), plan.seed));
    }
    if (outputProjection) {
      foldOutputRotation(outputProjection, dv, plan.seed);
    } else {
      b.setInsertionPointAfter(op);
      Value back = rotate(b, loc, op.getResult(), plan.seed, /*inverse=*/true);
      op.getResult().replaceAllUsesExcept(back, back.getDefiningOp());
    }
  }
  // The signature follows the retyped arguments and returned caches.
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  fn.setFunctionType(FunctionType::get(fn.getContext(),
                                       fn.getBody().front().getArgumentTypes(),
                                       ret.getOperandTypes()));
  return success();
}

LogicalResult
mlir::ingot::subtractKeyMeans(func::FuncOp fn,
                              llvm::ArrayRef<std::vector<float>> means) {
  SmallVector<AttentionOp> ops;
  fn.walk([&](AttentionOp op) {
    if (op.getKeyCache())
      ops.push_back(op);
  });
  if (ops.size() != means.size())
    return fn.emitError() << "key means for " << means.size()
                          << " attention ops, but the function has "
                          << ops.size() << " with caches";
  for (auto [op, mean] : llvm::zip(ops, means)) {
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    if (op.getSoftcapAttr())
      return op.emitError() << "key means cannot be subtracted under a "
                               "softcap (it does not commute with shifting "
                               "the scores)";
    if (keyType.getRank() != 3 || keyType.isDynamicDim(1) ||
        keyType.isDynamicDim(2) || !keyType.getElementType().isF32())
      return op.emitError() << "key means need f32 keys [tokens, heads, "
                               "head_dim] with static heads and head_dim, got "
                            << keyType;
    int64_t size = keyType.getDimSize(1) * keyType.getDimSize(2);
    if (static_cast<int64_t>(mean.size()) != size)
      return op.emitError() << "a key mean of " << mean.size()
                            << " elements for keys of " << size
                            << " per token";
  }
  for (auto [op, mean] : llvm::zip(ops, means)) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    // On the rows [tokens, heads * head_dim], the constant a vector along
    // them: the broadcast every backend has.
    int64_t row = keyType.getDimSize(1) * keyType.getDimSize(2);
    auto rowsType = withShape(keyType, {keyType.getDimSize(0), row});
    auto meanType = RankedTensorType::get({row}, b.getF32Type());
    Value mu = ConstantOp::create(
        b, loc, meanType,
        DenseElementsAttr::get(meanType, llvm::ArrayRef<float>(mean)));
    Value rows = ReshapeOp::create(b, loc, rowsType, op.getKey());
    Value centered = SubOp::create(b, loc, rowsType, rows, mu);
    op.getKeyMutable().assign(
        ReshapeOp::create(b, loc, keyType, centered).getResult());
  }
  return success();
}

namespace {
struct SubtractKeyMeans
    : PassWrapper<SubtractKeyMeans, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SubtractKeyMeans)
  explicit SubtractKeyMeans(std::vector<std::vector<float>> means)
      : means(std::move(means)) {}
  StringRef getArgument() const override {
    return "ingot-subtract-key-means";
  }
  void runOnOperation() override {
    if (failed(subtractKeyMeans(getOperation(), means)))
      signalPassFailure();
  }
  std::vector<std::vector<float>> means;
};
} // namespace

std::unique_ptr<Pass>
mlir::ingot::createSubtractKeyMeansPass(std::vector<std::vector<float>> means) {
  return std::make_unique<SubtractKeyMeans>(std::move(means));
}

namespace {
struct QuantizeKV : ingot::impl::IngotQuantizeKVPassBase<QuantizeKV> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    for (auto [text, encoding, name] :
         {std::make_tuple(StringRef(keys), &spec.keys, "keys"),
          std::make_tuple(StringRef(values), &spec.values, "values")}) {
      if (text.empty())
        continue;
      auto parsed = parseKVCacheEncoding(context, text);
      if (!parsed)
        return emitError(UnknownLoc::get(context))
               << "--ingot-quantize-kv " << name << ": "
               << llvm::toString(parsed.takeError());
      *encoding = *parsed;
    }
    return success();
  }

  void runOnOperation() override {
    if (failed(quantizeKVCaches(getOperation(), spec, seed)))
      signalPassFailure();
  }

  KVCacheSpec spec;
};
} // namespace
