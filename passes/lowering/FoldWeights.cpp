//===- FoldWeights.cpp - Subgraphs over weights computed at compile time --===//
//
// --ingot-fold-weights: every value computed from weights and constants
// alone that a run-time op reads becomes a weight of its own, its values
// computed here with the numerics the reference evaluator uses and stored
// in the IR as a dense_resource blob. Targets then see weight reads and
// constants only, and need no evaluator.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/Passes.h"

#include "numerics/Numerics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTFOLDWEIGHTSPASS
#include "passes/lowering/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

namespace {

/// Whether `op` is a leaf of a constant subgraph: a weight read or a tensor
/// literal.
bool isLeaf(Operation *op) {
  if (isa<WeightOp>(op))
    return true;
  return isa<arith::ConstantOp, ConstantOp>(op) &&
         llvm::all_of(op->getResultTypes(),
                      [](Type t) { return isa<RankedTensorType>(t); });
}

/// Rounds `values` to `type`'s element type, as the reference evaluator
/// rounds every result.
void roundToElementType(std::vector<float> &values, Type type) {
  if (auto floatType =
          dyn_cast<FloatType>(cast<ShapedType>(type).getElementType()))
    ::ingot::numerics::roundToSemantics(values, floatType.getFloatSemantics());
}

/// Computes the values of constant values, each once.
class Folder {
public:
  Folder(SymbolTableCollection &symbols, WeightSource *source)
      : symbols(symbols), source(source) {}

  /// The values of `value` (a result of a constant op), row-major f32.
  FailureOr<const std::vector<float> *> compute(Value value);

private:
  FailureOr<std::vector<float>> computeOp(Operation *op);
  FailureOr<std::vector<float>> readWeight(WeightOp read);

  SymbolTableCollection &symbols;
  WeightSource *source;
  /// Stable addresses: compute() hands out pointers into it.
  llvm::DenseMap<Value, std::unique_ptr<std::vector<float>>> values;
};

FailureOr<const std::vector<float> *> Folder::compute(Value value) {
  auto it = values.find(value);
  if (it != values.end())
    return it->second.get();
  Operation *op = value.getDefiningOp();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return op->emitError("cannot fold '")
           << op->getName()
           << "', computed from weights alone: its result is not a float "
              "tensor of static shape, got "
           << value.getType();
  FailureOr<std::vector<float>> computed = computeOp(op);
  if (failed(computed))
    return failure();
  if (static_cast<int64_t>(computed->size()) != type.getNumElements())
    return op->emitError("internal error: folding '")
           << op->getName() << "' gave " << computed->size() << " values for "
           << type;
  roundToElementType(*computed, type);
  auto &slot = values[value];
  slot = std::make_unique<std::vector<float>>(std::move(*computed));
  return slot.get();
}

FailureOr<std::vector<float>> Folder::readWeight(WeightOp read) {
  auto decl =
      symbols.lookupNearestSymbolFrom<WeightDeclOp>(read, read.getNameAttr());
  if (!decl)
    return read.emitError()
           << read.getNameAttr() << " does not name an ingot.weight_decl";
  if (decl.getValueAttr()) {
    FailureOr<std::vector<float>> inlineValues = decl.getInlineValues();
    if (failed(inlineValues))
      return decl.emitError("the values of @")
             << decl.getSymName() << " are missing (an elided blob)";
    return inlineValues;
  }
  if (!source)
    return read.emitError("cannot fold a subgraph over @")
           << decl.getSymName()
           << ": it has no `value` and no weight source was given (ingotc "
              "gives the model's weights)";
  llvm::Expected<std::vector<float>> fromSource = source->readValues(decl);
  if (!fromSource)
    return decl.emitError("weight @") << decl.getSymName() << ": "
                                      << llvm::toString(fromSource.takeError());
  auto type = cast<RankedTensorType>(decl.getType());
  if (static_cast<int64_t>(fromSource->size()) != type.getNumElements())
    return decl.emitError("weight @")
           << decl.getSymName() << ": the weight source gave "
           << fromSource->size() << " values for " << type;
  return std::move(*fromSource);
}

FailureOr<std::vector<float>> Folder::computeOp(Operation *op) {
  if (auto read = dyn_cast<WeightOp>(op))
    return readWeight(read);
  if (isa<arith::ConstantOp, ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(
        isa<ConstantOp>(op) ? Attribute(cast<ConstantOp>(op).getValue())
                            : cast<arith::ConstantOp>(op).getValue());
    if (!dense)
      return op->emitError("cannot fold '")
             << op->getName() << "': only dense literals are folded";
    std::vector<float> out;
    out.reserve(dense.getNumElements());
    for (APFloat value : dense.getValues<APFloat>()) {
      bool losesInfo = false;
      value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      out.push_back(value.convertToFloat());
    }
    return out;
  }
  auto operand = [&](unsigned i) { return compute(op->getOperand(i)); };
  if (isa<ReshapeOp, CastOp>(op)) {
    // Row-major order is kept; the rounding to the result type follows.
    FailureOr<const std::vector<float> *> x = operand(0);
    if (failed(x))
      return failure();
    return **x;
  }
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    FailureOr<const std::vector<float> *> x = operand(0);
    if (failed(x))
      return failure();
    return ::ingot::numerics::transpose<float>(
        **x, transpose.getX().getType().getShape(), transpose.getPermutation());
  }
  if (auto hadamard = dyn_cast<HadamardOp>(op)) {
    FailureOr<const std::vector<float> *> x = operand(0);
    if (failed(x))
      return failure();
    std::vector<float> out = **x;
    RankedTensorType type = hadamard.getX().getType();
    ::ingot::numerics::hadamardRows(out, type.getDimSize(type.getRank() - 1),
                                    hadamard.getSeed(), hadamard.getInverse());
    return out;
  }
  return op->emitError("cannot fold '")
         << op->getName()
         << "', computed from weights alone: ingot-fold-weights computes "
            "ingot.reshape, ingot.transpose, ingot.hadamard and ingot.cast";
}

/// The name of a folded weight: the first weight it reads, `.folded`.
std::string foldedName(Value root) {
  llvm::SmallVector<Value> work{root};
  llvm::DenseSet<Operation *> seen;
  while (!work.empty()) {
    Operation *op = work.pop_back_val().getDefiningOp();
    if (!op || !seen.insert(op).second)
      continue;
    if (auto read = dyn_cast<WeightOp>(op))
      return (read.getName() + ".folded").str();
    for (Value operand : llvm::reverse(op->getOperands()))
      work.push_back(operand);
  }
  return "constant.folded";
}

struct FoldWeights : mlir::ingot::impl::IngotFoldWeightsPassBase<FoldWeights> {
  FoldWeights() = default;
  explicit FoldWeights(WeightSource &source) : source(&source) {}

  void runOnOperation() override {
    if (failed(foldWeights(getOperation(), source)))
      signalPassFailure();
  }

  WeightSource *source = nullptr;
};

} // namespace

LogicalResult mlir::ingot::foldWeights(ModuleOp module, WeightSource *source) {
  SymbolTableCollection symbolTables;
  Folder folder(symbolTables, source);
  struct Root {
    Value value;
    Block *block;
  };
  std::vector<Root> roots;
  llvm::SetVector<Operation *> constantOps;
  for (auto fn : module.getOps<func::FuncOp>()) {
    for (Block &block : fn.getBody()) {
      // Constants: values computed from weights and constants alone (the
      // rule the CPU target's classification had).
      llvm::DenseSet<Value> constants;
      for (Operation &op : block) {
        if (isa<WeightOp>(op)) {
          constants.insert(op.getResult(0));
          constantOps.insert(&op);
          continue;
        }
        if (op.getNumResults() == 0 || op.hasTrait<OpTrait::IsTerminator>())
          continue;
        bool allConstant = llvm::all_of(
            op.getOperands(), [&](Value v) { return constants.contains(v); });
        if (allConstant && (op.getNumOperands() > 0 || isLeaf(&op)) &&
            llvm::all_of(op.getResultTypes(),
                         [](Type t) { return isa<RankedTensorType>(t); })) {
          constantOps.insert(&op);
          for (Value r : op.getResults())
            constants.insert(r);
        }
      }
      // Roots: computed constants that something else reads.
      for (Operation &op : block) {
        if (!constantOps.contains(&op) || isLeaf(&op))
          continue;
        for (Value r : op.getResults())
          if (llvm::any_of(r.getUsers(), [&](Operation *user) {
                return !constantOps.contains(user);
              }))
            roots.push_back({r, &block});
      }
    }
  }
  if (roots.empty())
    return success();

  // Everything is computed before anything changes.
  std::vector<const std::vector<float> *> rootValues;
  for (const Root &root : roots) {
    FailureOr<const std::vector<float> *> values = folder.compute(root.value);
    if (failed(values))
      return failure();
    rootValues.push_back(*values);
  }

  SymbolTable &symbols = symbolTables.getSymbolTable(module);
  llvm::SetVector<Operation *> folded;
  for (auto [root, values] : llvm::zip(roots, rootValues)) {
    auto type = cast<RankedTensorType>(root.value.getType());
    auto fn = root.block->getParentOp();
    while (fn->getParentOp() != module.getOperation())
      fn = fn->getParentOp();
    OpBuilder b(fn);
    Location loc = root.value.getLoc();
    auto decl = WeightDeclOp::create(b, loc, foldedName(root.value), type,
                                     /*source=*/StringAttr());
    // Unique among the module's symbols (a suffix where taken).
    symbols.insert(decl, Block::iterator(fn));
    auto valueType = RankedTensorType::get(type.getShape(), b.getF32Type());
    Attribute blob = DenseF32ResourceElementsAttr::get(
        valueType, decl.getSymName(),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<float>(*values)));
    decl.setValueAttr(cast<ElementsAttr>(blob));
    Operation *def = root.value.getDefiningOp();
    b.setInsertionPoint(def);
    auto read = WeightOp::create(b, loc, type,
                                 FlatSymbolRefAttr::get(decl.getSymNameAttr()));
    root.value.replaceUsesWithIf(read.getResult(), [&](OpOperand &use) {
      return !constantOps.contains(use.getOwner());
    });
    folded.insert(def);
  }

  // The folded subgraphs, now unread, and the decls only they read.
  llvm::SmallVector<Operation *> dead(constantOps.begin(), constantOps.end());
  llvm::SetVector<StringAttr> readNames;
  for (Operation *op : llvm::reverse(dead)) {
    if (!op->use_empty())
      continue;
    if (auto read = dyn_cast<WeightOp>(op))
      readNames.insert(read.getNameAttr().getAttr());
    op->erase();
  }
  for (StringAttr name : readNames) {
    auto decl = symbols.lookup<WeightDeclOp>(name);
    if (decl && SymbolTable::symbolKnownUseEmpty(decl, module))
      symbols.erase(decl);
  }
  return success();
}

std::unique_ptr<Pass> mlir::ingot::createFoldWeightsPass(WeightSource &source) {
  return std::make_unique<FoldWeights>(source);
}
