//===- Codegen.cpp - The ingot graph as LLVM IR for one CPU ---------------===//
//
// One pass over `@forward` in program order. Every tensor value gets a
// place: an arena buffer of the memory plan (sized for max_batch tokens),
// an alias of another value's buffer (reshape), a weight in the packed
// blob, or a function argument. Every op becomes one ukernel call with
// constant shapes, followed by a barrier. Constant subgraphs over weights
// (transposes, reshapes and rotations the passes put on weights) arrive
// folded into weights by --ingot-fold-weights (passes/lowering); one that
// did not is an internal error.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/Codegen.h"

#include "compiler/ukernels/ukernels.h"
#include "dialects/ingot/IngotOps.h"
#include "numerics/Numerics.h"
#include "runtime/include/ingot_abi.h"
#include "runtime/src/weights-hash.h"
#include <cmath>
#include <cstring>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <map>

using namespace mlir;
using namespace mlir::ingot;
using llvm::Expected;

namespace ingot::cpu {
namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message);
}

int64_t alignTo64(int64_t n) { return (n + 63) & ~int64_t(63); }

/// Where a tensor value lives at run time.
struct Place {
  /// Logits: the caller's logits buffer (the matmul that computes them
  /// writes there directly).
  enum Kind { None, Arena, Alias, Weight, Tokens, Cache, Scalar, Logits } kind =
      None;
  int64_t offset = 0; ///< Arena: byte offset; Weight: blob offset
  int64_t bytes = 0;  ///< Arena: planned size
  Value aliasOf;      ///< Alias: the value whose storage this is
  int64_t cacheIndex = -1;
  /// Rows along the dynamic leading dimension: a compile-time maximum and,
  /// once emitted, the run-time count.
  int64_t maxRows = 1;
  llvm::Value *rows = nullptr;
  /// Weight: the kernel format.
  int32_t format = INGOT_W_F32, group = 0;
};

/// Whether `matmul` computes the returned logits from a 2-D input and has
/// no other use: it writes straight into the caller's buffer, only the last
/// row unless all are asked for, and needs no arena buffer (one of
/// max-batch x vocab floats, the largest of most models).
bool writesLogitsInPlace(MatmulOp matmul) {
  return cast<ShapedType>(matmul.getA().getType()).getRank() == 2 &&
         !matmul->use_empty() &&
         llvm::all_of(matmul->getUsers(),
                      [](Operation *user) { return isa<func::ReturnOp>(user); });
}

int64_t lastDimOf(Value v) {
  auto t = cast<ShapedType>(v.getType());
  return t.getDimSize(t.getRank() - 1);
}

/// Elements of `type` after its leading dimension (all when static rank 0).
int64_t rowElements(ShapedType type) {
  int64_t n = 1;
  for (int64_t d : type.getShape().drop_front())
    n *= d;
  return n;
}

class Lowering {
public:
  Lowering(ModuleOp graph, func::FuncOp fn, WeightPacker &packer,
           const CodegenOptions &options, llvm::LLVMContext &context)
      : graph(graph), fn(fn), packer(packer), options(options),
        context(context),
        module(std::make_unique<llvm::Module>("ingot." + options.name,
                                              context)),
        b(context) {}

  Expected<LoweredModel> run();

private:
  // Analysis: places, constants, the memory plan.
  llvm::Error classify();
  llvm::Error planMemory();
  Expected<int64_t> addWeightBytes(llvm::ArrayRef<uint8_t> bytes);
  Expected<Place> packConstantMatrix(Value value, bool transposed,
                                     bool interleave = false);
  Expected<std::vector<float>> constantValues(Value value);
  Expected<llvm::Value *> vectorOperand(Value value);
  bool isConstant(Value value) const { return constants.contains(value); }
  Value root(Value value) const;

  // Emission.
  llvm::Error emitForward();
  llvm::Error emitOp(Operation *op);
  size_t emitMatmulGroup(size_t first);
  llvm::Value *ptr(Value value);
  llvm::Value *rows(Value value);
  llvm::Value *i64(int64_t v) { return b.getInt64(v); }
  llvm::Value *i32(int64_t v) { return b.getInt32(static_cast<int32_t>(v)); }
  llvm::Value *f32(double v) {
    return llvm::ConstantFP::get(b.getFloatTy(), v);
  }
  llvm::Value *call(llvm::StringRef name, llvm::ArrayRef<llvm::Value *> args);
  void barrier();
  llvm::Value *floatArray(llvm::ArrayRef<float> values, llvm::StringRef name);
  void emitDescriptor(int64_t arenaBytes, int64_t kvBytesPerToken);

  ModuleOp graph;
  func::FuncOp fn;
  WeightPacker &packer;
  const CodegenOptions &options;
  llvm::LLVMContext &context;
  std::unique_ptr<llvm::Module> module;
  llvm::IRBuilder<> b;

  llvm::DenseMap<Value, Place> places;
  llvm::DenseSet<Value> constants;
  /// Ops in program order that are emitted (not constants, not views).
  std::vector<Operation *> order;
  llvm::DenseMap<Operation *, int64_t> indexOf;
  /// silu/gelu ops folded into the mul that consumes them.
  llvm::DenseSet<Operation *> fusedActivations;
  llvm::DenseSet<Operation *> skipped;

  std::vector<uint8_t> blob;
  llvm::DenseMap<Operation *, Place> packedDecls;
  /// Q4_0 / Q8_0 matrices repacked as Q4_0X8 / Q8_0X8 for the matmul
  /// kernels, and the decls an embedding reads (kept in rows, not repacked
  /// a second time for a tied output head).
  llvm::DenseMap<Operation *, Place> interleavedDecls;
  llvm::DenseSet<Operation *> embeddingTables;
  std::vector<PlannedBuffer> plan;
  int64_t activationBytes = 0, scratchBytes = 0;
  int64_t vocabSize = 0, maxCtx = 0;
  std::vector<int64_t> cacheOffsets; ///< bytes per token before cache i
  int64_t kvBytesPerToken = 0;
  uint64_t modelId = 0, weightsHash = 0;
  std::map<std::string, int64_t> kernelCalls;
  std::vector<OpKernel> opKernels;
  Operation *currentOp = nullptr; ///< the op being emitted
  /// --numerics=ggml: matmul weight formats whose products llama.cpp rounds
  /// with other kernels (a warning each, docs/numerics.md).
  std::map<int32_t, std::string> inexactFormats;
  void noteNumerics(const Place &w, Value weight);

  // The forward function's arguments.
  llvm::Function *forward = nullptr;
  llvm::Value *aTokens, *aN, *aStart, *aLogits, *aAllLogits, *aArena, *aKV,
      *aKVCtx, *aWeights, *aSync, *aIth, *aNth;
  llvm::Value *scratchPtr = nullptr;
  std::string emitError;
};

Value Lowering::root(Value value) const {
  auto it = places.find(value);
  while (it != places.end() && it->second.kind == Place::Alias) {
    value = it->second.aliasOf;
    it = places.find(value);
  }
  return value;
}

Expected<int64_t> Lowering::addWeightBytes(llvm::ArrayRef<uint8_t> bytes) {
  int64_t offset = alignTo64(static_cast<int64_t>(blob.size()));
  blob.resize(offset);
  blob.insert(blob.end(), bytes.begin(), bytes.end());
  return offset;
}

/// A matrix operand that is a constant: `value` itself when it is a weight
/// read in the layout the kernels want, else its values computed here and
/// packed as f32 ([N][K]: transposed first when the graph multiplies by it
/// untransposed).
void Lowering::noteNumerics(const Place &w, Value weight) {
  if (!options.ggmlNumerics || w.format == INGOT_W_Q4_1 ||
      w.format == INGOT_W_Q8_0 || w.format == INGOT_W_Q4_0X8 ||
      inexactFormats.count(w.format))
    return;
  std::string example = "a matmul weight";
  if (auto read = weight.getDefiningOp<WeightOp>())
    example = "@" + read.getName().str();
  inexactFormats[w.format] = example;
}

/// Q4_0, Q4_1 or Q8_0 blocks (`bytes` each) of an [N][K] matrix (N % 8 ==
/// 0) regrouped as Q4_0X8 / Q4_1X8 / Q8_0X8 (ukernels.h): per 8 rows and
/// block, the 8 scales (and the 8 minima of Q4_1), then 4-byte runs of the
/// 8 rows' codes.
static std::vector<uint8_t> interleaveRows(llvm::ArrayRef<uint8_t> rows,
                                           int64_t n, int64_t k,
                                           int64_t bytes) {
  int64_t nb = k / 32, head = bytes == 20 ? 4 : 2;
  int64_t runs = (bytes - head) / 4;
  std::vector<uint8_t> out(rows.size());
  for (int64_t g = 0; g < n / 8; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *dst = out.data() + (g * nb + b) * 8 * bytes;
      for (int64_t r = 0; r < 8; ++r) {
        const uint8_t *src = rows.data() + ((g * 8 + r) * nb + b) * bytes;
        std::memcpy(dst + 2 * r, src, 2);
        if (head == 4)
          std::memcpy(dst + 16 + 2 * r, src + 2, 2);
        for (int64_t l = 0; l < runs; ++l)
          std::memcpy(dst + 8 * head + 32 * l + 4 * r, src + head + 4 * l, 4);
      }
    }
  return out;
}

Expected<Place> Lowering::packConstantMatrix(Value value, bool transposed,
                                             bool interleave) {
  auto type = cast<RankedTensorType>(value.getType());
  if (auto weight = value.getDefiningOp<WeightOp>()) {
    if (transposed || type.getRank() == 3) {
      auto decl = SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(
          weight, weight.getNameAttr());
      if (!decl)
        return makeError("undeclared weight @" + weight.getName());
      // The matmul kernels' interleaved Q4_0 (N % 8 == 0, whole blocks).
      auto format = getKernelFormat(type);
      if (!format)
        return format.takeError();
      // Q8_0 stays in rows under GGML numerics: llama.cpp does not repack
      // it on x86, and its row kernels are what those reproduce.
      // A folded weight (inline values) is packed as f32.
      bool repackable = !decl.getValueAttr() &&
                        (format->first == INGOT_W_Q4_0 ||
                         ((format->first == INGOT_W_Q8_0 ||
                           format->first == INGOT_W_Q4_1) &&
                          !options.ggmlNumerics));
      interleave = interleave && repackable &&
                   !embeddingTables.contains(decl) && type.getRank() == 2 &&
                   type.getDimSize(0) % 8 == 0 &&
                   type.getDimSize(1) % 32 == 0 &&
                   type.getDimSize(1) / 32 <= 1024;
      auto &cache = interleave ? interleavedDecls : packedDecls;
      auto it = cache.find(decl);
      if (it != cache.end())
        return it->second;
      auto packed = packer.packMatrix(decl);
      if (!packed)
        return packed.takeError();
      if (interleave) {
        int32_t f = packed->format;
        packed->bytes = interleaveRows(packed->bytes, type.getDimSize(0),
                                       type.getDimSize(1),
                                       f == INGOT_W_Q8_0   ? 34
                                       : f == INGOT_W_Q4_1 ? 20
                                                           : 18);
        packed->format = f == INGOT_W_Q8_0   ? INGOT_W_Q8_0X8
                         : f == INGOT_W_Q4_1 ? INGOT_W_Q4_1X8
                                             : INGOT_W_Q4_0X8;
      }
      auto offset = addWeightBytes(packed->bytes);
      if (!offset)
        return offset.takeError();
      Place place;
      place.kind = Place::Weight;
      place.offset = *offset;
      place.format = packed->format;
      place.group = packed->group;
      cache[decl] = place;
      return place;
    }
  }
  if (type.getEncoding())
    return makeError("a quantized weight is used untransposed; no CPU kernel "
                     "reads it that way");
  auto values = constantValues(value);
  if (!values)
    return values.takeError();
  std::vector<float> data = std::move(*values);
  // Rounded to the element type, as a weight read is.
  if (auto floatType = dyn_cast<FloatType>(type.getElementType()))
    ::ingot::numerics::roundToSemantics(data, floatType.getFloatSemantics());
  if (!transposed) {
    if (type.getRank() != 2)
      return makeError("an untransposed constant matrix must be 2-D");
    int64_t k = type.getDimSize(0), n = type.getDimSize(1);
    std::vector<float> t(data.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        t[j * k + i] = data[i * n + j];
    data = std::move(t);
  }
  auto offset = addWeightBytes(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(data.data()), data.size() * 4));
  if (!offset)
    return offset.takeError();
  Place place;
  place.kind = Place::Weight;
  place.offset = *offset;
  place.format = INGOT_W_F32;
  return place;
}

/// Decides each value's place and the ops to emit.
llvm::Error Lowering::classify() {
  Block &block = fn.getBody().front();
  // Arguments: tokens, start position, caches.
  if (fn.getNumArguments() < 2)
    return makeError("@forward must take (ids, start, caches...)");
  Place tokens;
  tokens.kind = Place::Tokens;
  tokens.maxRows = options.maxBatch;
  places[block.getArgument(0)] = tokens;
  Place scalar;
  scalar.kind = Place::Scalar;
  places[block.getArgument(1)] = scalar;
  int64_t perToken = 0;
  for (unsigned i = 2; i < fn.getNumArguments(); ++i) {
    auto cache = dyn_cast<KVCacheType>(block.getArgument(i).getType());
    if (!cache)
      return makeError("@forward argument " + llvm::Twine(i) +
                       " is not a KV cache");
    Place place;
    place.kind = Place::Cache;
    place.cacheIndex = i - 2;
    places[block.getArgument(i)] = place;
    cacheOffsets.push_back(perToken);
    int64_t entry = getKVBytesPerTokenHead(cache);
    perToken += cache.getNumHeads() * entry;
    maxCtx = std::max(maxCtx, cache.getCapacity());
  }
  kvBytesPerToken = perToken;

  // Constants: values computed from weights and constants alone.
  for (Operation &op : block) {
    if (isa<WeightOp>(op)) {
      constants.insert(op.getResult(0));
      continue;
    }
    if (op.getNumResults() == 0 || isa<func::ReturnOp>(op))
      continue;
    bool allConstant = llvm::all_of(op.getOperands(), [&](Value v) {
      return constants.contains(v);
    });
    if (allConstant &&
        (op.getNumOperands() > 0 || isa<arith::ConstantOp, ConstantOp>(op)) &&
        llvm::all_of(op.getResultTypes(),
                     [](Type t) { return isa<RankedTensorType>(t); }))
      for (Value r : op.getResults())
        constants.insert(r);
  }

  for (Operation &op : block) {
    if (isa<func::ReturnOp>(op) || isa<WeightOp>(op))
      continue;
    if (llvm::all_of(op.getResults(),
                     [&](Value r) { return constants.contains(r); }))
      continue;
    if (isa<arith::ConstantOp>(op) || isa<tensor::DimOp>(op)) {
      if (!op.getResult(0).getType().isIndex())
        return makeError("unsupported constant '" +
                         op.getName().getStringRef() + "' in @forward");
      continue;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(op)) {
      Place place;
      place.kind = Place::Alias;
      place.aliasOf = reshape.getX();
      places[reshape.getResult()] = place;
      continue;
    }
    if (auto zeros = dyn_cast<ZerosLikeOp>(op)) {
      // Only as the destination of scatter_add, which zeroes its output.
      if (!llvm::all_of(zeros->getUsers(), [&](Operation *user) {
            auto scatter = dyn_cast<ScatterAddOp>(user);
            return scatter && scatter.getDest() == zeros.getResult();
          }))
        return makeError("ingot.zeros_like is only supported as the "
                         "destination of ingot.scatter_add");
      skipped.insert(&op);
      continue;
    }
    // silu(a) * b, gelu(a) * b: one kernel.
    if (auto mul = dyn_cast<MulOp>(op)) {
      for (Value operand : {mul.getLhs(), mul.getRhs()}) {
        Operation *def = operand.getDefiningOp();
        if (def && isa<SiluOp, GeluOp>(def) && def->hasOneUse() &&
            mul.getLhs().getType() == mul.getRhs().getType()) {
          fusedActivations.insert(def);
          break;
        }
      }
    }
    indexOf[&op] = static_cast<int64_t>(order.size());
    order.push_back(&op);
  }
  // Fused activations are not emitted on their own.
  std::vector<Operation *> kept;
  for (Operation *op : order)
    if (!fusedActivations.contains(op))
      kept.push_back(op);
  order = std::move(kept);
  indexOf.clear();
  for (auto [i, op] : llvm::enumerate(order))
    indexOf[op] = static_cast<int64_t>(i);
  return llvm::Error::success();
}

/// Row counts, sizes and arena offsets of every emitted op's results.
llvm::Error Lowering::planMemory() {
  auto maxRowsOf = [&](Value v) -> int64_t {
    auto it = places.find(v);
    return it == places.end() ? 1 : it->second.maxRows;
  };
  auto type = [](Value v) { return cast<ShapedType>(v.getType()); };

  // Maximum rows along dynamic leading dimensions, in program order
  // (activations fused into their consumer included).
  std::vector<Operation *> sized;
  for (Operation &op : fn.getBody().front())
    if (indexOf.count(&op) || fusedActivations.contains(&op))
      sized.push_back(&op);
  for (Operation *op : sized) {
    for (Value result : op->getResults()) {
      if (!isa<RankedTensorType>(result.getType()))
        continue;
      auto t = type(result);
      int64_t maxRows = t.getRank() && !t.isDynamicDim(0) ? t.getDimSize(0)
                                                         : options.maxBatch;
      if (t.getRank() && t.isDynamicDim(0)) {
        if (auto route = dyn_cast<RouteOp>(op)) {
          int64_t experts = cast<ShapedType>(route.getLogits().getType())
                                .getDimSize(1);
          int64_t perToken = route.getRule().getMaxExpertsPerToken(experts);
          maxRows = result == route.getOffsets()
                        ? options.maxBatch + 1
                        : options.maxBatch * perToken;
        } else if (auto sort = dyn_cast<MoeSortOp>(op)) {
          maxRows = maxRowsOf(sort.getExperts());
        } else if (auto gather = dyn_cast<GatherRowsOp>(op)) {
          maxRows = maxRowsOf(gather.getIndices());
        } else if (auto scatter = dyn_cast<ScatterAddOp>(op)) {
          auto zeros = scatter.getDest().getDefiningOp<ZerosLikeOp>();
          maxRows = zeros ? maxRowsOf(root(zeros.getX()))
                          : maxRowsOf(scatter.getDest());
        } else {
          // The rows of the first operand with a dynamic leading dimension
          // (the tokens, by default).
          for (Value operand : op->getOperands()) {
            auto ot = dyn_cast<ShapedType>(operand.getType());
            if (ot && ot.getRank() && ot.isDynamicDim(0) &&
                !isa<KVCacheType>(operand.getType())) {
              maxRows = maxRowsOf(root(operand));
              break;
            }
          }
        }
      }
      Place &place = places[result];
      if (place.kind == Place::None) {
        auto matmul = dyn_cast<MatmulOp>(op);
        place.kind = matmul && writesLogitsInPlace(matmul) ? Place::Logits
                                                          : Place::Arena;
      }
      place.maxRows = maxRows;
      if (t.getRank() == 0)
        return makeError("rank-0 tensors are not supported by the CPU "
                         "backend");
      int64_t elementBytes = 4;
      place.bytes = alignTo64(maxRows * rowElements(t) * elementBytes);
    }
  }
  // zeros_like destinations carry the rows of what they copy.
  for (Operation *op : skipped)
    if (auto zeros = dyn_cast<ZerosLikeOp>(op))
      places[zeros.getResult()].maxRows = maxRowsOf(zeros.getX());
  // Views take their source's rows.
  for (auto &entry : places)
    if (entry.second.kind == Place::Alias)
      entry.second.maxRows = maxRowsOf(root(entry.second.aliasOf));

  // Live ranges over emitted ops, through views.
  llvm::DenseMap<Value, int64_t> lastUse;
  for (Operation *op : order) {
    int64_t i = indexOf[op];
    for (Value operand : op->getOperands()) {
      Value r = root(operand);
      lastUse[r] = std::max(lastUse.lookup(r), i);
    }
  }
  // Fused activations are read by the mul that absorbed them.
  for (Operation *act : fusedActivations) {
    Operation *mul = *act->getUsers().begin();
    Value r = root(act->getOperand(0));
    lastUse[r] = std::max(lastUse.lookup(r), indexOf[mul]);
  }
  // The returned logits are copied out after the last op.
  for (Value v : fn.getBody().front().getTerminator()->getOperands())
    lastUse[root(v)] = static_cast<int64_t>(order.size());

  struct Live {
    int64_t offset, end, lastOp;
  };
  std::vector<Live> live;
  int64_t peak = 0;
  for (Operation *op : order) {
    int64_t i = indexOf[op];
    llvm::erase_if(live, [&](const Live &l) { return l.lastOp < i; });
    for (Value result : op->getResults()) {
      auto it = places.find(result);
      if (it == places.end() || it->second.kind != Place::Arena)
        continue;
      Place &place = it->second;
      // First fit among the live buffers, sorted by offset.
      llvm::sort(live, [](const Live &x, const Live &y) {
        return x.offset < y.offset;
      });
      int64_t offset = 0;
      for (const Live &l : live) {
        if (offset + place.bytes <= l.offset)
          break;
        offset = std::max(offset, l.end);
      }
      place.offset = offset;
      int64_t last = std::max(lastUse.lookup(result), i);
      live.push_back({offset, offset + place.bytes, last});
      peak = std::max(peak, offset + place.bytes);
      plan.push_back({op->getName().getStringRef().str(), offset, place.bytes,
                      i, last});
    }
  }
  activationBytes = alignTo64(peak);

  // Scratch shared by one op at a time.
  for (Operation *op : order) {
    if (auto matmul = dyn_cast<MatmulOp>(op)) {
      auto a = type(matmul.getA());
      int64_t k = a.getDimSize(a.getRank() - 1);
      int64_t m = maxRowsOf(root(matmul.getA())) * (rowElements(a) / k);
      scratchBytes = std::max(scratchBytes, INGOT_UK_MATMUL_SCRATCH(m, k));
    } else if (auto grouped = dyn_cast<GroupedMatmulOp>(op)) {
      auto x = type(grouped.getX());
      scratchBytes = std::max(
          scratchBytes,
          INGOT_UK_MATMUL_SCRATCH(maxRowsOf(root(grouped.getX())),
                                  x.getDimSize(1)));
    } else if (auto attention = dyn_cast<AttentionOp>(op)) {
      auto q = type(attention.getQuery());
      int64_t floats = INGOT_UK_ATTENTION_SCRATCH_FLOATS(
          std::max<int64_t>(maxCtx, 1), q.getDimSize(2));
      scratchBytes =
          std::max(scratchBytes, INGOT_UK_MAX_THREADS * alignTo64(floats * 4));
    }
  }
  scratchBytes = alignTo64(scratchBytes);
  return llvm::Error::success();
}

/// The f32 values of a constant: a weight's as its decl reads, a literal's
/// rounded to its element type. Anything else computed from weights should
/// have been folded into a weight by --ingot-fold-weights.
Expected<std::vector<float>> Lowering::constantValues(Value value) {
  if (auto weight = value.getDefiningOp<WeightOp>()) {
    auto decl = SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(
        weight, weight.getNameAttr());
    if (!decl)
      return makeError("undeclared weight @" + weight.getName());
    return packer.readValues(decl);
  }
  Operation *def = value.getDefiningOp();
  Attribute literal;
  if (auto constant = dyn_cast_or_null<ConstantOp>(def))
    literal = constant.getValue();
  else if (auto constant = dyn_cast_or_null<arith::ConstantOp>(def))
    literal = constant.getValue();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(literal);
  if (dense && isa<FloatType>(dense.getElementType())) {
    std::vector<float> values;
    for (APFloat v : dense.getValues<APFloat>()) {
      bool losesInfo = false;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                &losesInfo);
      values.push_back(v.convertToFloat());
    }
    ::ingot::numerics::roundToSemantics(
        values, cast<FloatType>(dense.getElementType()).getFloatSemantics());
    return values;
  }
  return makeError("internal error: '" +
                   (def ? def->getName().getStringRef() : StringRef("?")) +
                   "' computed from weights alone was not folded by "
                   "ingot-fold-weights");
}

/// A vector operand that kernels read as f32 (norm weights, biases,
/// broadcast operands): a constant is packed once as f32; null is a null
/// pointer; anything else is its buffer.
Expected<llvm::Value *> Lowering::vectorOperand(Value v) {
  if (!v)
    return llvm::ConstantPointerNull::get(b.getPtrTy());
  if (!isConstant(v))
    return ptr(v);
  auto it = places.find(v);
  if (it == places.end() || it->second.kind != Place::Weight) {
    auto values = constantValues(v);
    if (!values)
      return values.takeError();
    auto offset = addWeightBytes(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(values->data()),
        values->size() * 4));
    if (!offset)
      return offset.takeError();
    Place place;
    place.kind = Place::Weight;
    place.offset = *offset;
    places[v] = place;
  }
  return ptr(v);
}

llvm::Value *Lowering::call(llvm::StringRef name,
                            llvm::ArrayRef<llvm::Value *> args) {
  llvm::Function *callee = module->getFunction(name);
  if (!callee) {
    llvm::SmallVector<llvm::Type *> types;
    for (llvm::Value *arg : args)
      types.push_back(arg->getType());
    callee = llvm::Function::Create(
        llvm::FunctionType::get(b.getVoidTy(), types, false),
        llvm::GlobalValue::ExternalLinkage, name, *module);
  }
  if (name != "ingot_uk_barrier") {
    ++kernelCalls[name.str()];
    if (currentOp)
      opKernels.push_back({indexOf.lookup(currentOp),
                           currentOp->getName().getStringRef().str(),
                           name.str()});
  }
  return b.CreateCall(callee, args);
}

void Lowering::barrier() { call("ingot_uk_barrier", {aSync, aNth}); }

llvm::Value *Lowering::floatArray(llvm::ArrayRef<float> values,
                                  llvm::StringRef name) {
  auto *init = llvm::ConstantDataArray::get(context, values);
  auto *global = new llvm::GlobalVariable(
      *module, init->getType(), /*isConstant=*/true,
      llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(64));
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return global;
}

llvm::Value *Lowering::ptr(Value value) {
  Value r = root(value);
  const Place &place = places[r];
  switch (place.kind) {
  case Place::Arena:
    return b.CreateInBoundsGEP(b.getInt8Ty(), aArena, i64(place.offset));
  case Place::Weight:
    return b.CreateInBoundsGEP(b.getInt8Ty(), aWeights, i64(place.offset));
  case Place::Tokens:
    return aTokens;
  case Place::Logits:
    return aLogits;
  case Place::Cache:
    return b.CreateInBoundsGEP(
        b.getInt8Ty(), aKV,
        b.CreateMul(aKVCtx, i64(cacheOffsets[place.cacheIndex])));
  default:
    return llvm::ConstantPointerNull::get(b.getPtrTy());
  }
}

llvm::Value *Lowering::rows(Value value) {
  auto t = cast<ShapedType>(value.getType());
  if (t.getRank() && !t.isDynamicDim(0))
    return i64(t.getDimSize(0));
  Value r = root(value);
  Place &place = places[r];
  if (place.rows)
    return place.rows;
  // A value not emitted on its own (an activation fused into its consumer)
  // has the rows of its input.
  if (Operation *def = r.getDefiningOp())
    if (fusedActivations.contains(def))
      return rows(def->getOperand(0));
  return aN;
}

llvm::Error Lowering::emitOp(Operation *op) {
  auto shape = [](Value v) { return cast<ShapedType>(v.getType()); };
  auto lastDim = [&](Value v) {
    auto t = shape(v);
    return t.getDimSize(t.getRank() - 1);
  };
  // Rows of `v` counting all but the last dimension.
  auto flatRows = [&](Value v) -> llvm::Value * {
    auto t = shape(v);
    int64_t inner = rowElements(t) / std::max<int64_t>(lastDim(v), 1);
    if (t.getRank() == 1)
      return rows(v);
    return b.CreateMul(rows(v), i64(inner));
  };
  auto setRows = [&](Value result, llvm::Value *count) {
    places[result].rows = count;
  };
  // By default a result has the rows of the first operand with a dynamic
  // leading dimension; ops that change the row count set theirs below.
  for (Value operand : op->getOperands()) {
    auto ot = dyn_cast<ShapedType>(operand.getType());
    if (ot && ot.getRank() && ot.isDynamicDim(0) &&
        !isa<KVCacheType>(operand.getType())) {
      for (Value result : op->getResults()) {
        auto rt = dyn_cast<ShapedType>(result.getType());
        if (rt && rt.getRank() && rt.isDynamicDim(0))
          setRows(result, rows(operand));
      }
      break;
    }
  }

  if (auto iota = dyn_cast<IotaOp>(op)) {
    // positions[i] = offset + i, by thread 0.
    llvm::Value *out = ptr(iota.getResult());
    llvm::Value *count = rows(iota.getResult());
    llvm::Value *base = iota.getOffset() ? aStart : i64(0);
    llvm::Function *f = b.GetInsertBlock()->getParent();
    auto *loop = llvm::BasicBlock::Create(context, "iota", f);
    auto *body = llvm::BasicBlock::Create(context, "iota.body", f);
    auto *done = llvm::BasicBlock::Create(context, "iota.done", f);
    llvm::Value *first = b.CreateICmpEQ(aIth, i32(0));
    llvm::BasicBlock *entry = b.GetInsertBlock();
    b.CreateCondBr(first, loop, done);
    b.SetInsertPoint(loop);
    llvm::PHINode *i = b.CreatePHI(b.getInt64Ty(), 2);
    i->addIncoming(i64(0), entry);
    llvm::Value *more = b.CreateICmpSLT(i, count);
    b.CreateCondBr(more, body, done);
    b.SetInsertPoint(body);
    b.CreateStore(b.CreateTrunc(b.CreateAdd(base, i), b.getInt32Ty()),
                  b.CreateInBoundsGEP(b.getInt32Ty(), out, i));
    i->addIncoming(b.CreateAdd(i, i64(1)), body);
    b.CreateBr(loop);
    b.SetInsertPoint(done);
    setRows(iota.getResult(), count);
    return llvm::Error::success();
  }
  if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
    auto table = packConstantMatrix(embedding.getTable(), true);
    if (!table)
      return table.takeError();
    places[embedding.getTable()] = *table;
    auto t = shape(embedding.getTable());
    call("ingot_uk_embedding",
         {ptr(embedding.getResult()), ptr(embedding.getIds()),
          rows(embedding.getIds()), ptr(embedding.getTable()),
          i64(t.getDimSize(0)), i64(t.getDimSize(1)), i32(table->format),
          i32(table->group), aIth, aNth});
    setRows(embedding.getResult(), rows(embedding.getIds()));
    return llvm::Error::success();
  }
  // Small vectors of f32 (norm weights, biases) from constants.
  if (auto norm = dyn_cast<RmsNormOp>(op)) {
    auto w = vectorOperand(norm.getWeight());
    if (!w)
      return w.takeError();
    call(options.ggmlNumerics ? "ingot_uk_rms_norm_ggml" : "ingot_uk_rms_norm",
         {ptr(norm.getResult()), ptr(norm.getX()), *w, flatRows(norm.getX()),
          i64(lastDim(norm.getX())), f32(norm.getEps().convertToFloat()), aIth,
          aNth});
    setRows(norm.getResult(), rows(norm.getX()));
    return llvm::Error::success();
  }
  if (auto norm = dyn_cast<LayerNormOp>(op)) {
    auto w = vectorOperand(norm.getWeight());
    if (!w)
      return w.takeError();
    auto bias = vectorOperand(norm.getBias());
    if (!bias)
      return bias.takeError();
    call("ingot_uk_layer_norm",
         {ptr(norm.getResult()), ptr(norm.getX()), *w, *bias,
          flatRows(norm.getX()), i64(lastDim(norm.getX())),
          f32(norm.getEps().convertToFloat()), aIth, aNth});
    setRows(norm.getResult(), rows(norm.getX()));
    return llvm::Error::success();
  }
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    if (matmul.getTransposeA() || isa_and_nonnull<KVCacheType>(
                                      matmul.getB().getType()))
      return makeError("unsupported ingot.matmul form");
    if (!isConstant(matmul.getB()))
      return makeError("ingot.matmul of two activations is not supported by "
                       "the CPU backend yet");
    auto w = packConstantMatrix(matmul.getB(), matmul.getTransposeB(),
                                options.interleaveQ4_0);
    if (!w)
      return w.takeError();
    places[matmul.getB()] = *w;
    noteNumerics(*w, matmul.getB());
    auto bias = vectorOperand(matmul.getBias());
    if (!bias)
      return bias.takeError();
    auto bt = shape(matmul.getB());
    int64_t n = matmul.getTransposeB() ? bt.getDimSize(0) : bt.getDimSize(1);
    int64_t k = lastDim(matmul.getA());
    llvm::Value *y = ptr(matmul.getResult());
    llvm::Value *x = ptr(matmul.getA());
    llvm::Value *m = flatRows(matmul.getA());
    // The logits: only the last row unless all are asked for, straight
    // into the caller's buffer (y is aLogits: planned as Place::Logits).
    if (writesLogitsInPlace(matmul)) {
      llvm::Value *all = b.CreateICmpNE(aAllLogits, i64(0));
      llvm::Value *lastRow = b.CreateInBoundsGEP(
          b.getFloatTy(), x, b.CreateMul(b.CreateSub(m, i64(1)), i64(k)));
      x = b.CreateSelect(all, x, lastRow);
      m = b.CreateSelect(all, m, i64(1));
    }
    call("ingot_uk_matmul", {y, x, ptr(matmul.getB()), *bias, m, i64(n),
                             i64(k), i32(w->format), i32(w->group),
                             scratchPtr, aSync, aIth, aNth});
    setRows(matmul.getResult(), rows(matmul.getA()));
    return llvm::Error::success();
  }
  if (auto rope = dyn_cast<RopeOp>(op)) {
    auto t = shape(rope.getX());
    int64_t d = t.getDimSize(2);
    int64_t rot = rope.getRotaryDim().value_or(d);
    auto [freqs, mscale] = getRopeFrequencies(
        rope.getTheta().convertToDouble(), rot,
        rope.getScaling().value_or(RopeScalingAttr()));
    std::vector<float> divisors; // freq_factors, when the rope has them
    if (Value factors = rope.getFreqFactors()) {
      if (!isConstant(factors))
        return makeError("rope freq_factors must be constant");
      auto read = constantValues(factors);
      if (!read)
        return read.takeError();
      divisors = std::move(*read);
    }
    // GGML's roundings: the angles built up in f32 from powf(theta,
    // -2/rot), freq_factors dividing them. Scaled ropes (linear, YaRN,
    // llama3 folded into the frequencies) keep the exact kernel.
    if (options.ggmlNumerics && !rope.getScaling() && mscale == 1.0) {
      llvm::Value *factors =
          divisors.empty() ? static_cast<llvm::Value *>(
                                 llvm::ConstantPointerNull::get(b.getPtrTy()))
                           : floatArray(divisors, "rope.freq_factors");
      float thetaScale =
          std::pow(static_cast<float>(rope.getTheta().convertToDouble()),
                   -2.0f / static_cast<float>(rot));
      call("ingot_uk_rope_ggml",
           {ptr(rope.getResult()), ptr(rope.getX()), ptr(rope.getPositions()),
            rows(rope.getX()), i64(t.getDimSize(1)), i64(d), i64(rot),
            f32(thetaScale), factors,
            i32(rope.getStyle() == RopeStyle::interleaved ? 1 : 0), aIth,
            aNth});
      setRows(rope.getResult(), rows(rope.getX()));
      return llvm::Error::success();
    }
    std::vector<float> invFreq(freqs.begin(), freqs.end());
    for (size_t i = 0; i < invFreq.size() && i < divisors.size(); ++i)
      invFreq[i] = static_cast<float>(freqs[i] / divisors[i]);
    call("ingot_uk_rope",
         {ptr(rope.getResult()), ptr(rope.getX()), ptr(rope.getPositions()),
          rows(rope.getX()), i64(t.getDimSize(1)), i64(d), i64(rot),
          floatArray(invFreq, "rope.inv_freq"), f32(mscale),
          i32(rope.getStyle() == RopeStyle::interleaved ? 1 : 0), aIth,
          aNth});
    setRows(rope.getResult(), rows(rope.getX()));
    return llvm::Error::success();
  }
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    if (!attention.getKeyCache())
      return makeError("ingot.attention without a KV cache is not supported "
                       "by the CPU backend");
    auto q = shape(attention.getQuery());
    auto k = shape(attention.getKey());
    auto v = shape(attention.getValue());
    if (k.getDimSize(2) != v.getDimSize(2))
      return makeError("attention with a value head size different from the "
                       "key head size is not supported by the CPU backend");
    auto cacheFormat = [&](Value cache, llvm::Value *&book) -> int32_t {
      auto type = cast<KVCacheType>(cache.getType());
      book = llvm::ConstantPointerNull::get(b.getPtrTy());
      if (KVQuantAttr encoding = type.getEncoding()) {
        switch (encoding.getKind()) {
        case KVQuantKind::q8:
          return INGOT_KV_Q8;
        case KVQuantKind::q4:
          return INGOT_KV_Q4;
        case KVQuantKind::tq4:
        case KVQuantKind::tq3: {
          auto levels = getTurboCodebook(type.getHeadDim(),
                                         encoding.getBits());
          book = floatArray(levels, "kv.codebook");
          return encoding.getKind() == KVQuantKind::tq4 ? INGOT_KV_TQ4
                                                        : INGOT_KV_TQ3;
        }
        }
      }
      Type element = type.getElementType();
      if (element.isF16())
        return INGOT_KV_F16;
      if (element.isBF16())
        return INGOT_KV_BF16;
      return INGOT_KV_F32;
    };
    llvm::Value *kbook, *vbook;
    int32_t kfmt = cacheFormat(attention.getKeyCache(), kbook);
    int32_t vfmt = cacheFormat(attention.getValueCache(), vbook);
    places[attention.getNewKeyCache()] = places[attention.getKeyCache()];
    places[attention.getNewValueCache()] = places[attention.getValueCache()];
    int64_t window = attention.getWindow().value_or(0);
    float softcap = attention.getSoftcap()
                        ? attention.getSoftcap()->convertToFloat()
                        : 0.0f;
    call(
        "ingot_uk_attention",
        {ptr(attention.getResult()),
         ptr(attention.getQuery()),
         ptr(attention.getKey()),
         ptr(attention.getValue()),
         ptr(attention.getKeyCache()),
         ptr(attention.getValueCache()),
         rows(attention.getQuery()),
         aStart,
         i64(q.getDimSize(1)),
         i64(k.getDimSize(1)),
         i64(q.getDimSize(2)),
         f32(attention.getScale().convertToFloat()),
         i32(static_cast<int32_t>(attention.getMask())),
         i64(window),
         f32(softcap),
         i32(kfmt),
         i32(vfmt),
         kbook,
         vbook,
         i32(options.ggmlNumerics ? INGOT_NUMERICS_GGML : INGOT_NUMERICS_EXACT),
         scratchPtr,
         aSync,
         aIth,
         aNth});
    setRows(attention.getResult(), rows(attention.getQuery()));
    return llvm::Error::success();
  }
  // Elementwise.
  auto binary = [&](Value result, Value lhs, Value rhs,
                    int32_t kind) -> llvm::Error {
    auto rt = shape(result);
    int64_t cols = lastDim(result);
    auto broadcastOf = [&](Value v, int64_t &bRows,
                           int64_t &bCols) -> bool {
      auto t = shape(v);
      if (t == rt) {
        bRows = -1, bCols = cols;
        return true;
      }
      if (t.getRank() == rt.getRank() && lastDim(v) == 1) {
        bRows = -1, bCols = 1;
        return true;
      }
      if (t.getRank() == 1 && lastDim(v) == cols && isConstant(v)) {
        bRows = 1, bCols = cols;
        return true;
      }
      return false;
    };
    int64_t bRows, bCols;
    Value a = lhs, bv = rhs;
    if (shape(a) != rt) {
      bool commutative = kind == INGOT_EW_ADD || kind == INGOT_EW_MUL ||
                         kind == INGOT_EW_MAX;
      if (!commutative || shape(bv) != rt)
        return makeError("unsupported broadcast in '" +
                         op->getName().getStringRef() + "'");
      std::swap(a, bv);
    }
    if (!broadcastOf(bv, bRows, bCols))
      return makeError("unsupported broadcast in '" +
                       op->getName().getStringRef() + "'");
    auto bPtr = vectorOperand(bv);
    if (!bPtr)
      return bPtr.takeError();
    llvm::Value *r = flatRows(result);
    llvm::Value *brows = bRows < 0 ? r : i64(bRows);
    call("ingot_uk_binary", {ptr(result), ptr(a), *bPtr, r, i64(cols), brows,
                             i64(bCols), i32(kind), aIth, aNth});
    setRows(result, rows(a));
    return llvm::Error::success();
  };
  if (auto mul = dyn_cast<MulOp>(op)) {
    for (auto [x, y] : {std::make_pair(mul.getLhs(), mul.getRhs()),
                        std::make_pair(mul.getRhs(), mul.getLhs())}) {
      Operation *def = x.getDefiningOp();
      if (def && fusedActivations.contains(def)) {
        int32_t kind =
            options.ggmlNumerics ? INGOT_EW_SILU_MUL_GGML : INGOT_EW_SILU_MUL;
        if (auto gelu = dyn_cast<GeluOp>(def))
          kind = gelu.getApproximate() ? INGOT_EW_GELU_TANH_MUL
                                           : INGOT_EW_GELU_MUL;
        call("ingot_uk_binary",
             {ptr(mul.getResult()), ptr(def->getOperand(0)), ptr(y),
              flatRows(mul.getResult()), i64(lastDim(mul.getResult())),
              flatRows(mul.getResult()), i64(lastDim(mul.getResult())),
              i32(kind), aIth, aNth});
        setRows(mul.getResult(), rows(y));
        return llvm::Error::success();
      }
    }
    return binary(mul.getResult(), mul.getLhs(), mul.getRhs(), INGOT_EW_MUL);
  }
  if (auto add = dyn_cast<AddOp>(op))
    return binary(add.getResult(), add.getLhs(), add.getRhs(), INGOT_EW_ADD);
  if (auto sub = dyn_cast<SubOp>(op))
    return binary(sub.getResult(), sub.getLhs(), sub.getRhs(), INGOT_EW_SUB);
  if (auto div = dyn_cast<DivOp>(op))
    return binary(div.getResult(), div.getLhs(), div.getRhs(), INGOT_EW_DIV);
  if (auto max = dyn_cast<MaximumOp>(op))
    return binary(max.getResult(), max.getLhs(), max.getRhs(), INGOT_EW_MAX);
  auto unary = [&](Value result, Value x, int32_t kind) {
    llvm::Value *count =
        b.CreateMul(flatRows(result), i64(lastDim(result)));
    call("ingot_uk_unary", {ptr(result), ptr(x), count, i32(kind), aIth, aNth});
    setRows(result, rows(x));
    return llvm::Error::success();
  };
  if (auto silu = dyn_cast<SiluOp>(op))
    return unary(silu.getResult(), silu.getX(), INGOT_UN_SILU);
  if (auto sigmoid = dyn_cast<SigmoidOp>(op))
    return unary(sigmoid.getResult(), sigmoid.getX(), INGOT_UN_SIGMOID);
  if (auto gelu = dyn_cast<GeluOp>(op))
    return unary(gelu.getResult(), gelu.getX(),
                 gelu.getApproximate() ? INGOT_UN_GELU_TANH
                                           : INGOT_UN_GELU);
  if (auto tanh = dyn_cast<TanhOp>(op))
    return unary(tanh.getResult(), tanh.getX(), INGOT_UN_TANH);
  if (auto exp = dyn_cast<ExpOp>(op))
    return unary(exp.getResult(), exp.getX(), INGOT_UN_EXP);
  if (auto neg = dyn_cast<NegOp>(op))
    return unary(neg.getResult(), neg.getX(), INGOT_UN_NEG);
  if (auto rsqrt = dyn_cast<RsqrtOp>(op))
    return unary(rsqrt.getResult(), rsqrt.getX(), INGOT_UN_RSQRT);
  if (auto relu = dyn_cast<ReluOp>(op))
    return unary(relu.getResult(), relu.getX(), INGOT_UN_RELU);
  if (auto clamp = dyn_cast<ClampOp>(op)) {
    llvm::Value *count =
        b.CreateMul(flatRows(clamp.getResult()), i64(lastDim(clamp.getResult())));
    call("ingot_uk_clamp",
         {ptr(clamp.getResult()), ptr(clamp.getX()), count,
          f32(clamp.getMin().convertToDouble()),
          f32(clamp.getMax().convertToDouble()), aIth, aNth});
    setRows(clamp.getResult(), rows(clamp.getX()));
    return llvm::Error::success();
  }
  if (auto hadamard = dyn_cast<HadamardOp>(op)) {
    int64_t d = lastDim(hadamard.getX());
    std::vector<float> signs(d);
    for (int64_t i = 0; i < d; ++i)
      signs[i] = isHadamardSignNegative(hadamard.getSeed(), i) ? -1.0f : 1.0f;
    call("ingot_uk_hadamard",
         {ptr(hadamard.getResult()), ptr(hadamard.getX()),
          flatRows(hadamard.getX()), i64(d),
          floatArray(signs, "hadamard.signs"),
          i32(hadamard.getInverse() ? 1 : 0), aIth, aNth});
    setRows(hadamard.getResult(), rows(hadamard.getX()));
    return llvm::Error::success();
  }
  if (auto route = dyn_cast<RouteOp>(op)) {
    RoutingAttr rule = route.getRule();
    int64_t experts = lastDim(route.getLogits());
    int32_t kind = rule.getKind() == RoutingKind::top_k   ? INGOT_ROUTE_TOP_K
                   : rule.getKind() == RoutingKind::top_p ? INGOT_ROUTE_TOP_P
                                                          : INGOT_ROUTE_THRESHOLD;
    call("ingot_uk_route",
         {ptr(route.getOffsets()), ptr(route.getExperts()),
          ptr(route.getWeights()), ptr(route.getLogits()),
          rows(route.getLogits()), i64(experts), i32(kind), i32(rule.getK()),
          f32(rule.getValue().convertToDouble()), i32(rule.getMaxExperts()),
          i32(route.getScoring() == RouterScoring::sigmoid
                  ? INGOT_SCORE_SIGMOID
                  : INGOT_SCORE_SOFTMAX),
          i32(route.getRenormalize() ? 1 : 0), aIth, aNth});
    barrier();
    llvm::Value *n = rows(route.getLogits());
    setRows(route.getOffsets(), b.CreateAdd(n, i64(1)));
    llvm::Value *pairs = b.CreateSExt(
        b.CreateLoad(b.getInt32Ty(),
                     b.CreateInBoundsGEP(b.getInt32Ty(),
                                         ptr(route.getOffsets()), n)),
        b.getInt64Ty());
    setRows(route.getExperts(), pairs);
    setRows(route.getWeights(), pairs);
    return llvm::Error::success();
  }
  if (auto sort = dyn_cast<MoeSortOp>(op)) {
    call("ingot_uk_moe_sort",
         {ptr(sort.getExpertOffsets()), ptr(sort.getPairs()),
          ptr(sort.getTokens()), ptr(sort.getOffsets()),
          ptr(sort.getExperts()), b.CreateSub(rows(sort.getOffsets()), i64(1)),
          i64(sort.getNumExperts()), aIth, aNth});
    setRows(sort.getPairs(), rows(sort.getExperts()));
    setRows(sort.getTokens(), rows(sort.getExperts()));
    return llvm::Error::success();
  }
  if (auto gather = dyn_cast<GatherRowsOp>(op)) {
    auto xt = shape(gather.getX());
    int64_t d = xt.getRank() == 1 ? 1 : rowElements(xt);
    call("ingot_uk_gather_rows",
         {ptr(gather.getResult()), ptr(gather.getX()),
          ptr(gather.getIndices()), rows(gather.getIndices()), i64(d), aIth,
          aNth});
    setRows(gather.getResult(), rows(gather.getIndices()));
    return llvm::Error::success();
  }
  if (auto grouped = dyn_cast<GroupedMatmulOp>(op)) {
    if (!isConstant(grouped.getW()))
      return makeError("ingot.grouped_matmul needs constant expert weights");
    auto w = packConstantMatrix(grouped.getW(), true);
    if (!w)
      return w.takeError();
    places[grouped.getW()] = *w;
    noteNumerics(*w, grouped.getW());
    auto wt = shape(grouped.getW());
    call("ingot_uk_grouped_matmul",
         {ptr(grouped.getResult()), ptr(grouped.getX()), ptr(grouped.getW()),
          ptr(grouped.getExpertOffsets()), i64(wt.getDimSize(0)),
          i64(wt.getDimSize(1)), i64(wt.getDimSize(2)), i32(w->format),
          i32(w->group), scratchPtr, aSync, aIth, aNth});
    setRows(grouped.getResult(), rows(grouped.getX()));
    return llvm::Error::success();
  }
  if (auto scatter = dyn_cast<ScatterAddOp>(op)) {
    if (!scatter.getDest().getDefiningOp<ZerosLikeOp>())
      return makeError("ingot.scatter_add must add into ingot.zeros_like on "
                       "the CPU backend");
    Value like = scatter.getDest().getDefiningOp<ZerosLikeOp>().getX();
    llvm::Value *scale =
        scatter.getScale() ? ptr(scatter.getScale())
                           : llvm::ConstantPointerNull::get(b.getPtrTy());
    call("ingot_uk_scatter_add",
         {ptr(scatter.getResult()), ptr(scatter.getSrc()),
          ptr(scatter.getIndices()), scale, rows(scatter.getIndices()),
          rows(like), i64(lastDim(scatter.getResult())), aIth, aNth});
    setRows(scatter.getResult(), rows(like));
    return llvm::Error::success();
  }
  return makeError("'" + op->getName().getStringRef() +
                   "' is not supported by the CPU backend yet");
}

/// A matmul by a constant transposed weight, not the logits: may share one
/// ukernel call with neighbours that read the same input.
static bool isGroupableMatmul(Operation *op) {
  auto matmul = dyn_cast<MatmulOp>(op);
  if (!matmul || !matmul.getTransposeB() || matmul.getTransposeA() ||
      !matmul.getB().getDefiningOp<WeightOp>())
    return false;
  return llvm::none_of(matmul->getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
}

/// Emits order[first] and up to two following matmuls of the same input
/// and weight format as one ingot_uk_matmul_multi; returns how many ops it
/// emitted (0: not a group, emit op by op). Packing errors go to emitError.
size_t Lowering::emitMatmulGroup(size_t first) {
  if (!isGroupableMatmul(order[first]))
    return 0;
  Value input = cast<MatmulOp>(order[first]).getA();
  llvm::SmallVector<MatmulOp, 3> group;
  for (size_t i = first; i < order.size() && group.size() < 3; ++i) {
    if (!isGroupableMatmul(order[i]) ||
        cast<MatmulOp>(order[i]).getA() != input)
      break;
    group.push_back(cast<MatmulOp>(order[i]));
  }
  if (group.size() < 2)
    return 0;
  llvm::SmallVector<Place, 3> weights;
  for (MatmulOp matmul : group) {
    auto w = packConstantMatrix(matmul.getB(), true, options.interleaveQ4_0);
    if (!w) {
      emitError = toString(w.takeError());
      return 1;
    }
    places[matmul.getB()] = *w;
    noteNumerics(*w, matmul.getB());
    weights.push_back(*w);
  }
  for (const Place &w : weights)
    if (w.format != weights[0].format || w.group != weights[0].group)
      return 0;
  for (MatmulOp matmul : group)
    if (matmul.getBias() && !isConstant(matmul.getBias()))
      return 0;
  llvm::SmallVector<llvm::Value *, 20> args;
  for (size_t i = 0; i < 3; ++i) {
    if (i < group.size()) {
      MatmulOp matmul = group[i];
      Value bias = matmul.getBias();
      auto biasPtr = vectorOperand(bias);
      if (!biasPtr) {
        emitError = toString(biasPtr.takeError());
        return 1;
      }
      places[matmul.getResult()].rows = rows(input);
      args.append({ptr(matmul.getResult()), ptr(matmul.getB()), *biasPtr,
                   i64(cast<ShapedType>(matmul.getB().getType()).getDimSize(0))});
    } else {
      llvm::Value *null = llvm::ConstantPointerNull::get(b.getPtrTy());
      args.append({null, null, null, i64(0)});
    }
  }
  auto at = cast<ShapedType>(input.getType());
  int64_t k = at.getDimSize(at.getRank() - 1);
  llvm::Value *m = rows(input);
  if (at.getRank() > 2)
    m = b.CreateMul(m, i64(rowElements(at) / k));
  args.append({ptr(input), m, i64(k), i32(weights[0].format),
               i32(weights[0].group), scratchPtr, aSync, aIth, aNth});
  call("ingot_uk_matmul_multi", args);
  return group.size();
}

llvm::Error Lowering::emitForward() {
  llvm::Type *ptrTy = b.getPtrTy(), *i64Ty = b.getInt64Ty(),
             *i32Ty = b.getInt32Ty();
  auto *type = llvm::FunctionType::get(
      b.getVoidTy(),
      {ptrTy, i64Ty, i64Ty, ptrTy, i64Ty, ptrTy, ptrTy, i64Ty, ptrTy, ptrTy,
       i32Ty, i32Ty},
      false);
  forward = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                   "ingot_forward_" + options.name, *module);
  llvm::Value **args[] = {&aTokens, &aN,     &aStart,   &aLogits,
                          &aAllLogits, &aArena, &aKV, &aKVCtx,
                          &aWeights,   &aSync,  &aIth,   &aNth};
  const char *names[] = {"tokens", "n",     "start",   "logits",
                         "all_logits", "arena", "kv", "kv_ctx",
                         "weights",    "sync",  "ith", "nth"};
  for (unsigned i = 0; i < 12; ++i) {
    *args[i] = forward->getArg(i);
    forward->getArg(i)->setName(names[i]);
  }
  for (unsigned i : {0u, 3u, 5u, 6u, 8u, 9u}) {
    forward->addParamAttr(i, llvm::Attribute::NoAlias);
    forward->addParamAttr(
        i, llvm::Attribute::getWithAlignment(context, llvm::Align(i ? 64 : 4)));
  }
  b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", forward));
  scratchPtr = b.CreateInBoundsGEP(b.getInt8Ty(), aArena, i64(activationBytes));
  for (Operation *op : order)
    if (auto embedding = dyn_cast<EmbeddingOp>(op))
      if (auto weight = embedding.getTable().getDefiningOp<WeightOp>())
        if (auto decl = SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(
                weight, weight.getNameAttr()))
          embeddingTables.insert(decl);

  for (size_t i = 0; i < order.size(); ++i) {
    Operation *op = order[i];
    currentOp = op;
    size_t firstCall = opKernels.size();
    // Matmuls of one input (q, k, v; gate, up): one call.
    size_t count = emitMatmulGroup(i);
    if (count > 1)
      for (size_t c = firstCall; c < opKernels.size(); ++c)
        opKernels[c].graphOp += " x" + std::to_string(count);
    if (count == 0) {
      if (llvm::Error err = emitOp(op))
        return makeError(op->getName().getStringRef() + ": " +
                         toString(std::move(err)));
      count = 1;
    }
    if (!emitError.empty())
      return makeError(emitError);
    i += count - 1;
    if (!isa<RouteOp>(op))
      barrier();
  }
  // Logits not written in place by their matmul: copy them out.
  Value logits = fn.getBody().front().getTerminator()->getOperand(0);
  if (places[root(logits)].kind == Place::Arena) {
    int64_t v = lastDimOf(logits);
    llvm::Value *m = rows(logits);
    llvm::Value *all = b.CreateICmpNE(aAllLogits, i64(0));
    llvm::Value *src = ptr(logits);
    llvm::Value *lastRow = b.CreateInBoundsGEP(
        b.getFloatTy(), src, b.CreateMul(b.CreateSub(m, i64(1)), i64(v)));
    src = b.CreateSelect(all, src, lastRow);
    llvm::Value *bytes =
        b.CreateMul(b.CreateSelect(all, m, i64(1)), i64(v * 4));
    llvm::Function *f = forward;
    auto *copy = llvm::BasicBlock::Create(context, "copy_logits", f);
    auto *done = llvm::BasicBlock::Create(context, "done", f);
    b.CreateCondBr(b.CreateICmpEQ(aIth, i32(0)), copy, done);
    b.SetInsertPoint(copy);
    b.CreateMemCpy(aLogits, llvm::MaybeAlign(4), src, llvm::MaybeAlign(4),
                   bytes);
    b.CreateBr(done);
    b.SetInsertPoint(done);
  }
  currentOp = nullptr;
  b.CreateRetVoid();
  return llvm::Error::success();
}

void Lowering::emitDescriptor(int64_t arenaBytes, int64_t kvBytes) {
  llvm::Type *i64Ty = b.getInt64Ty(), *ptrTy = b.getPtrTy();
  auto str = [&](llvm::StringRef text, llvm::StringRef name) {
    auto *init = llvm::ConstantDataArray::getString(context, text);
    auto *global = new llvm::GlobalVariable(
        *module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
        init, name);
    global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return global;
  };
  llvm::Constant *weights = llvm::ConstantPointerNull::get(b.getPtrTy());
  if (options.embedWeights) {
    auto *init = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(reinterpret_cast<const char *>(blob.data()),
                        blob.size()),
        blob.size(), b.getInt8Ty());
    auto *global = new llvm::GlobalVariable(
        *module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
        init, "ingot.weights");
    global->setAlignment(llvm::Align(64));
    weights = global;
  }
  auto *tokInit = llvm::ConstantDataArray::getRaw(options.tokenizerBlob,
                                                   options.tokenizerBlob.size(),
                                                   b.getInt8Ty());
  auto *tokenizer = new llvm::GlobalVariable(
      *module, tokInit->getType(), true, llvm::GlobalValue::PrivateLinkage,
      tokInit, "ingot.tokenizer");
  tokenizer->setAlignment(llvm::Align(8));
  auto archAttr = graph->getAttrOfType<StringAttr>("ingot.architecture");
  llvm::SmallVector<llvm::Type *> fields = {
      i64Ty, ptrTy, ptrTy, i64Ty, i64Ty, i64Ty, i64Ty, i64Ty, i64Ty,
      ptrTy, ptrTy, i64Ty, ptrTy, i64Ty, ptrTy, ptrTy, ptrTy,
      i64Ty, llvm::ArrayType::get(i64Ty, 3)};
  auto *descType =
      llvm::StructType::create(context, fields, "struct.ingot_model_desc");
  auto c64 = [&](uint64_t v) { return llvm::ConstantInt::get(i64Ty, v); };
  llvm::Constant *values[] = {
      c64(INGOT_ABI_VERSION),
      str(options.name, "ingot.name"),
      str(archAttr ? archAttr.getValue() : "", "ingot.arch"),
      c64(vocabSize),
      c64(maxCtx),
      c64(options.maxBatch),
      c64(arenaBytes),
      c64(kvBytes),
      c64(blob.size()),
      weights,
      options.embedWeights ? static_cast<llvm::Constant *>(
                                 llvm::ConstantPointerNull::get(b.getPtrTy()))
                           : str(options.weightsFile, "ingot.weights_file"),
      c64(modelId),
      tokenizer,
      c64(options.tokenizerBlob.size()),
      str(options.chatTemplate, "ingot.chat_template"),
      str(options.chatStyle, "ingot.chat_style"),
      forward,
      c64(weightsHash),
      llvm::ConstantAggregateZero::get(llvm::ArrayType::get(i64Ty, 3))};
  auto *desc = new llvm::GlobalVariable(
      *module, descType, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(descType, values),
      "ingot_model_" + options.name);
  desc->setAlignment(llvm::Align(8));
  if (options.defineMain) {
    auto *mainPtr = new llvm::GlobalVariable(
        *module, ptrTy, true, llvm::GlobalValue::ExternalLinkage, desc,
        "ingot_main_model");
    mainPtr->setAlignment(llvm::Align(8));
  }
}

Expected<LoweredModel> Lowering::run() {
  // The vocabulary: the logits' last dimension.
  auto results = fn.getFunctionType().getResults();
  if (results.empty() || !isa<RankedTensorType>(results[0]))
    return makeError("@forward must return the logits first");
  vocabSize = cast<RankedTensorType>(results[0]).getShape().back();
  if (llvm::Error err = classify())
    return err;
  if (llvm::Error err = planMemory())
    return err;
  if (llvm::Error err = emitForward())
    return err;
  // Identity of the compiled model: its weights and its code.
  std::string ir;
  {
    llvm::raw_string_ostream os(ir);
    forward->print(os);
  }
  modelId = llvm::xxh3_64bits(blob) ^ (llvm::xxh3_64bits(ir) * 31);
  // External weights are checked at open against this hash of their bytes.
  if (!options.embedWeights)
    weightsHash = ingot_weights_hash(blob.data(), blob.size());
  int64_t arenaBytes = activationBytes + scratchBytes;
  emitDescriptor(arenaBytes, kvBytesPerToken);
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (llvm::verifyModule(*module, &errorStream))
    return makeError("internal error: generated LLVM IR is invalid: " +
                     llvm::StringRef(error).trim());
  LoweredModel lowered;
  lowered.module = std::move(module);
  lowered.weights = std::move(blob);
  lowered.modelId = modelId;
  lowered.weightsHash = weightsHash;
  lowered.vocabSize = vocabSize;
  lowered.maxCtx = maxCtx;
  lowered.maxBatch = options.maxBatch;
  lowered.arenaBytes = arenaBytes;
  lowered.activationBytes = activationBytes;
  lowered.scratchBytes = scratchBytes;
  lowered.kvBytesPerToken = kvBytesPerToken;
  lowered.plan = std::move(plan);
  lowered.kernelCalls.assign(kernelCalls.begin(), kernelCalls.end());
  lowered.opKernels = std::move(opKernels);
  auto formatName = [](int32_t format) -> const char * {
    switch (format) {
    case INGOT_W_F32: return "f32";
    case INGOT_W_F16: return "f16";
    case INGOT_W_BF16: return "bf16";
    case INGOT_W_Q4_0: return "q4_0";
    case INGOT_W_Q5_0: return "q5_0";
    case INGOT_W_Q5_1: return "q5_1";
    case INGOT_W_Q4_K: return "q4_k";
    case INGOT_W_Q5_K: return "q5_k";
    case INGOT_W_Q6_K: return "q6_k";
    default: return "group-quantized";
    }
  };
  for (const auto &[format, example] : inexactFormats) {
    const char *name = formatName(format);
    lowered.warnings.push_back(
        "--numerics=ggml: llama.cpp multiplies " + std::string(name) +
        " weights (" + example +
        ") with kernels whose roundings Ingot does not reproduce (it does "
        "for q4_1, q8_0 and, on AVX2, q4_0); the logits will be close to "
        "llama.cpp's, not equal");
  }
  return lowered;
}

} // namespace

Expected<LoweredModel> lowerToLLVM(ModuleOp graph, WeightPacker &packer,
                                   const CodegenOptions &options,
                                   llvm::LLVMContext &context) {
  auto fn = graph.lookupSymbol<func::FuncOp>("forward");
  if (!fn || fn.getBody().getBlocks().size() != 1)
    return makeError("the graph has no single-block @forward function");
  Lowering lowering(graph, fn, packer, options, context);
  return lowering.run();
}

} // namespace ingot::cpu
