//===- SetRouting.cpp - Replace the MoE routing rule ----------------------===//

#include "passes/graph/Passes.h"

#include "dialects/ingot/IngotOps.h"

namespace mlir::ingot {
#define GEN_PASS_DEF_INGOTSETROUTINGPASS
#include "passes/graph/Passes.h.inc"
} // namespace mlir::ingot

using namespace mlir;
using namespace mlir::ingot;

static llvm::Error ruleError(StringRef text, const Twine &why) {
  return llvm::createStringError(
      "invalid routing rule '" + text + "': " + why +
      " (expected top-k:K, top-p:P[,max=M] or threshold:T[,max=M])");
}

llvm::Expected<RoutingAttr> mlir::ingot::parseRoutingRule(MLIRContext *context,
                                                          StringRef text) {
  auto [kindName, rest] = text.split(':');
  std::optional<RoutingKind> kind =
      llvm::StringSwitch<std::optional<RoutingKind>>(kindName)
          .Case("top-k", RoutingKind::top_k)
          .Case("top-p", RoutingKind::top_p)
          .Case("threshold", RoutingKind::threshold)
          .Default(std::nullopt);
  if (!kind)
    return ruleError(text, "unknown rule '" + kindName + "'");
  auto [valueText, options] = rest.split(',');
  if (rest.ends_with(","))
    return ruleError(text, "trailing comma");
  int64_t k = 0, max = 0;
  double value = 0;
  if (*kind == RoutingKind::top_k) {
    if (valueText.getAsInteger(10, k) || k < 1)
      return ruleError(text, "K must be an integer >= 1");
    if (!options.empty())
      return ruleError(text, "top-k takes no options");
  } else {
    if (valueText.getAsDouble(value) || !(value > 0.0 && value <= 1.0))
      return ruleError(text, "the probability must be in (0, 1]");
    if (!options.empty()) {
      if (!options.consume_front("max=") || options.getAsInteger(10, max) ||
          max < 1)
        return ruleError(text, "the option must be max=M with M >= 1");
    }
  }
  return RoutingAttr::get(context, *kind, k, llvm::APFloat(value), max);
}

LogicalResult mlir::ingot::setRoutingRule(Operation *root, RoutingAttr rule) {
  WalkResult result = root->walk([&](RouteOp op) {
    int64_t experts = op.getLogits().getType().getDimSize(1);
    if (rule.getKind() == RoutingKind::top_k &&
        !ShapedType::isDynamic(experts) && rule.getK() > experts) {
      op.emitError() << "routing rule asks for " << rule.getK()
                     << " experts but this layer has " << experts;
      return WalkResult::interrupt();
    }
    op.setRuleAttr(rule);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

namespace {
struct SetRouting : ingot::impl::IngotSetRoutingPassBase<SetRouting> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    llvm::Expected<RoutingAttr> parsed = parseRoutingRule(context, rule);
    if (!parsed)
      return emitError(UnknownLoc::get(context))
             << llvm::toString(parsed.takeError());
    parsedRule = *parsed;
    return success();
  }

  void runOnOperation() override {
    if (failed(setRoutingRule(getOperation(), parsedRule)))
      signalPassFailure();
  }

  RoutingAttr parsedRule;
};
} // namespace
