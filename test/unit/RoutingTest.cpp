//===- RoutingTest.cpp - Unit tests of routing rules ----------------------===//
//
// RoutingAttr::getMaxExpertsPerToken, parseRoutingRule (the --moe-routing
// syntax) and setRoutingRule (the rewrite behind --ingot-set-routing).
//
//===----------------------------------------------------------------------===//

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"
#include "passes/graph/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::ingot;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

class RoutingTest : public ::testing::Test {
protected:
  RoutingTest() {
    context.loadDialect<IngotDialect, func::FuncDialect>();
    handlerId = context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
      diagnostics.push_back(diag.str());
      return success();
    });
  }
  ~RoutingTest() override { context.getDiagEngine().eraseHandler(handlerId); }

  RoutingAttr topK(int64_t k) {
    return RoutingAttr::get(&context, RoutingKind::top_k, k, llvm::APFloat(0.0),
                            int64_t{0});
  }
  RoutingAttr topP(double p, int64_t max) {
    return RoutingAttr::get(&context, RoutingKind::top_p, int64_t{0},
                            llvm::APFloat(p), max);
  }
  RoutingAttr threshold(double t, int64_t max) {
    return RoutingAttr::get(&context, RoutingKind::threshold, int64_t{0},
                            llvm::APFloat(t), max);
  }

  /// The message of a rule parseRoutingRule rejects; empty if it accepts it.
  std::string rejection(StringRef text) {
    llvm::Expected<RoutingAttr> rule = parseRoutingRule(&context, text);
    if (rule)
      return "";
    return llvm::toString(rule.takeError());
  }

  MLIRContext context;
  std::vector<std::string> diagnostics;
  DiagnosticEngine::HandlerID handlerId;
};

//===----------------------------------------------------------------------===//
// getMaxExpertsPerToken
//===----------------------------------------------------------------------===//

TEST_F(RoutingTest, MaxExpertsTopK) {
  EXPECT_EQ(topK(2).getMaxExpertsPerToken(8), 2);
  EXPECT_EQ(topK(8).getMaxExpertsPerToken(8), 8);
  // Never more than the layer has.
  EXPECT_EQ(topK(8).getMaxExpertsPerToken(4), 4);
}

TEST_F(RoutingTest, MaxExpertsTopP) {
  // max = 0: no cap, every expert may be chosen.
  EXPECT_EQ(topP(0.6, 0).getMaxExpertsPerToken(64), 64);
  EXPECT_EQ(topP(0.6, 4).getMaxExpertsPerToken(64), 4);
  EXPECT_EQ(topP(0.6, 16).getMaxExpertsPerToken(8), 8);
}

TEST_F(RoutingTest, MaxExpertsThreshold) {
  EXPECT_EQ(threshold(0.1, 0).getMaxExpertsPerToken(32), 32);
  EXPECT_EQ(threshold(0.1, 8).getMaxExpertsPerToken(32), 8);
  EXPECT_EQ(threshold(0.1, 8).getMaxExpertsPerToken(2), 2);
}

//===----------------------------------------------------------------------===//
// RoutingAttr's verifier
//===----------------------------------------------------------------------===//

TEST_F(RoutingTest, VerifierRejectsBadRules) {
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  // The int64_t arguments select the generated builder, not the variadic
  // template of StorageUserBase.
  const int64_t zero = 0, minusOne = -1;
  EXPECT_FALSE(RoutingAttr::getChecked(emit, &context, RoutingKind::top_k, zero,
                                       llvm::APFloat(0.0), zero));
  EXPECT_EQ(diagnostics.back(), "top_k routing needs k >= 1, got 0");
  EXPECT_FALSE(RoutingAttr::getChecked(emit, &context, RoutingKind::top_p, zero,
                                       llvm::APFloat(0.0), zero));
  EXPECT_NE(diagnostics.back().find("top_p routing needs 0 < p <= 1, got "),
            std::string::npos);
  EXPECT_FALSE(RoutingAttr::getChecked(emit, &context, RoutingKind::threshold,
                                       zero, llvm::APFloat(1.25), zero));
  EXPECT_NE(diagnostics.back().find("threshold routing needs 0 < t <= 1, got "),
            std::string::npos);
  EXPECT_FALSE(RoutingAttr::getChecked(emit, &context, RoutingKind::top_p, zero,
                                       llvm::APFloat(0.5), minusOne));
  EXPECT_EQ(diagnostics.back(), "max must be >= 0 (0: no cap), got -1");
  EXPECT_TRUE(RoutingAttr::getChecked(emit, &context, RoutingKind::top_p, zero,
                                      llvm::APFloat(1.0), zero));
}

//===----------------------------------------------------------------------===//
// parseRoutingRule
//===----------------------------------------------------------------------===//

TEST_F(RoutingTest, ParseTopK) {
  llvm::Expected<RoutingAttr> rule = parseRoutingRule(&context, "top-k:2");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(*rule, topK(2));
  EXPECT_EQ(rule->getKind(), RoutingKind::top_k);
  EXPECT_EQ(rule->getK(), 2);
}

TEST_F(RoutingTest, ParseTopP) {
  llvm::Expected<RoutingAttr> rule = parseRoutingRule(&context, "top-p:0.6");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(rule->getKind(), RoutingKind::top_p);
  EXPECT_EQ(rule->getValue().convertToDouble(), 0.6);
  EXPECT_EQ(rule->getMaxExperts(), 0);
  EXPECT_EQ(*rule, topP(0.6, 0));
}

TEST_F(RoutingTest, ParseTopPWithMax) {
  llvm::Expected<RoutingAttr> rule =
      parseRoutingRule(&context, "top-p:0.5,max=2");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(*rule, topP(0.5, 2));
}

TEST_F(RoutingTest, ParseTopPOfOne) {
  llvm::Expected<RoutingAttr> rule = parseRoutingRule(&context, "top-p:1");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(*rule, topP(1.0, 0));
}

TEST_F(RoutingTest, ParseThreshold) {
  llvm::Expected<RoutingAttr> rule =
      parseRoutingRule(&context, "threshold:0.1");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(*rule, threshold(0.1, 0));
  rule = parseRoutingRule(&context, "threshold:0.05,max=8");
  ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
  EXPECT_EQ(*rule, threshold(0.05, 8));
}

TEST_F(RoutingTest, ParsedRulesVerify) {
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  for (StringRef text : {"top-k:1", "top-k:64", "top-p:0.6", "top-p:1,max=1",
                         "threshold:1", "threshold:0.001,max=128"}) {
    SCOPED_TRACE(text.str());
    llvm::Expected<RoutingAttr> rule = parseRoutingRule(&context, text);
    ASSERT_TRUE(static_cast<bool>(rule)) << llvm::toString(rule.takeError());
    EXPECT_TRUE(succeeded(RoutingAttr::verify(emit, rule->getKind(),
                                              rule->getK(), rule->getValue(),
                                              rule->getMaxExperts())));
  }
}

TEST_F(RoutingTest, ParseRejects) {
  struct Case {
    const char *text;
    const char *why;
  } cases[] = {
      {"", "unknown rule ''"},
      {"top-k", "K must be an integer >= 1"},
      {"top-k:", "K must be an integer >= 1"},
      {"top-k:0", "K must be an integer >= 1"},
      {"top-k:-2", "K must be an integer >= 1"},
      {"top-k:2.5", "K must be an integer >= 1"},
      {"top-k:two", "K must be an integer >= 1"},
      {"top-k:2,max=4", "top-k takes no options"},
      {"top-p:0", "the probability must be in (0, 1]"},
      {"top-p:1.5", "the probability must be in (0, 1]"},
      {"top-p:-0.5", "the probability must be in (0, 1]"},
      {"top-p:abc", "the probability must be in (0, 1]"},
      {"top-p:", "the probability must be in (0, 1]"},
      {"top-p:0.5,max=0", "the option must be max=M with M >= 1"},
      {"top-p:0.5,max=", "the option must be max=M with M >= 1"},
      {"top-p:0.5,max=x", "the option must be max=M with M >= 1"},
      {"top-p:0.5,cap=2", "the option must be max=M with M >= 1"},
      {"top-p:0.5,max=2,max=3", "the option must be max=M with M >= 1"},
      {"threshold:2", "the probability must be in (0, 1]"},
      {"threshold:0.1,max=-1", "the option must be max=M with M >= 1"},
      {"top-q:1", "unknown rule 'top-q'"},
      {"TOP-K:2", "unknown rule 'TOP-K'"},
      {"top_k:2", "unknown rule 'top_k'"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    std::string message = rejection(c.text);
    ASSERT_FALSE(message.empty()) << "accepted";
    // The message quotes the whole input, says why, and shows the syntax.
    EXPECT_NE(
        message.find("invalid routing rule '" + std::string(c.text) + "'"),
        std::string::npos)
        << message;
    EXPECT_NE(message.find(c.why), std::string::npos) << message;
    EXPECT_NE(message.find("expected top-k:K, top-p:P[,max=M] or "
                           "threshold:T[,max=M]"),
              std::string::npos)
        << message;
  }
}

//===----------------------------------------------------------------------===//
// setRoutingRule
//===----------------------------------------------------------------------===//

/// A module whose function `moe` routes each of `logitTypes` with its own
/// rule, scoring and renormalization.
struct MoeModule {
  MoeModule(MLIRContext &context, ArrayRef<RankedTensorType> logitTypes,
            ArrayRef<RoutingAttr> rules, ArrayRef<RouterScoring> scorings,
            ArrayRef<bool> renormalize) {
    OpBuilder b(&context);
    Location loc = b.getUnknownLoc();
    module = ModuleOp::create(loc);
    b.setInsertionPointToEnd(module->getBody());
    SmallVector<Type> inputs(logitTypes.begin(), logitTypes.end());
    auto function =
        func::FuncOp::create(b, loc, "moe", b.getFunctionType(inputs, {}));
    Block *entry = function.addEntryBlock();
    b.setInsertionPointToStart(entry);
    auto ids = RankedTensorType::get({kDyn}, b.getI32Type());
    for (auto [i, type] : llvm::enumerate(logitTypes)) {
      auto weights = RankedTensorType::get({kDyn}, type.getElementType());
      routes.push_back(RouteOp::create(b, loc, ids, ids, weights,
                                       entry->getArgument(i), rules[i],
                                       scorings[i], renormalize[i]));
    }
    func::ReturnOp::create(b, loc);
  }

  OwningOpRef<ModuleOp> module;
  SmallVector<RouteOp> routes;
};

TEST_F(RoutingTest, SetRuleOnEveryRoute) {
  auto f32 = Float32Type::get(&context);
  auto bf16 = BFloat16Type::get(&context);
  MoeModule m(
      context,
      {RankedTensorType::get({kDyn, 8}, f32),
       RankedTensorType::get({kDyn, 64}, bf16),
       RankedTensorType::get({kDyn, kDyn}, f32)},
      {topK(2), topP(0.5, 0), threshold(0.2, 4)},
      {RouterScoring::softmax, RouterScoring::sigmoid, RouterScoring::softmax},
      {true, false, true});
  ASSERT_TRUE(succeeded(verify(*m.module)));
  RoutingAttr rule = topP(0.9, 4);
  ASSERT_TRUE(succeeded(setRoutingRule(*m.module, rule)));
  for (RouteOp route : m.routes)
    EXPECT_EQ(route.getRule(), rule);
  // Scoring and renormalization are untouched.
  EXPECT_EQ(m.routes[0].getScoring(), RouterScoring::softmax);
  EXPECT_EQ(m.routes[1].getScoring(), RouterScoring::sigmoid);
  EXPECT_EQ(m.routes[2].getScoring(), RouterScoring::softmax);
  EXPECT_TRUE(m.routes[0].getRenormalize());
  EXPECT_FALSE(m.routes[1].getRenormalize());
  EXPECT_TRUE(m.routes[2].getRenormalize());
  EXPECT_TRUE(succeeded(verify(*m.module)));
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(RoutingTest, SetTopKUpToTheExpertCount) {
  auto f32 = Float32Type::get(&context);
  MoeModule m(context, {RankedTensorType::get({kDyn, 8}, f32)}, {topP(0.5, 0)},
              {RouterScoring::softmax}, {false});
  ASSERT_TRUE(succeeded(setRoutingRule(*m.module, topK(8))));
  EXPECT_EQ(m.routes[0].getRule(), topK(8));
  EXPECT_TRUE(succeeded(verify(*m.module)));
}

TEST_F(RoutingTest, SetTopKBeyondTheExpertCountFails) {
  auto f32 = Float32Type::get(&context);
  MoeModule m(context,
              {RankedTensorType::get({kDyn, 64}, f32),
               RankedTensorType::get({kDyn, 8}, f32)},
              {topP(0.5, 0), topP(0.5, 0)},
              {RouterScoring::softmax, RouterScoring::softmax}, {false, false});
  EXPECT_TRUE(failed(setRoutingRule(*m.module, topK(9))));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0],
            "routing rule asks for 9 experts but this layer has 8");
  // The layer that was too small keeps its rule.
  EXPECT_EQ(m.routes[1].getRule(), topP(0.5, 0));
}

TEST_F(RoutingTest, SetTopKWithDynamicExperts) {
  // The expert count is unknown: nothing to check against.
  auto f32 = Float32Type::get(&context);
  MoeModule m(context, {RankedTensorType::get({kDyn, kDyn}, f32)},
              {topP(0.5, 0)}, {RouterScoring::sigmoid}, {false});
  ASSERT_TRUE(succeeded(setRoutingRule(*m.module, topK(64))));
  EXPECT_EQ(m.routes[0].getRule(), topK(64));
}

TEST_F(RoutingTest, SetRuleWithoutRoutes) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  EXPECT_TRUE(succeeded(setRoutingRule(*module, topK(2))));
}

} // namespace
