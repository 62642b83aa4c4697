//===- GoldenTest.cpp - Imported models against transformers' logits ------===//
//
// For every fixture model (test/fixtures/models, made by make-fixtures.py)
// and every file format it comes in, imports the model, builds its graph,
// and runs it in the reference evaluator: a prefill of the prompt, then one
// decode step per token with the KV cache. The logits must match the
// goldens: transformers' for the safetensors checkpoint and the F32 GGUF
// file, and a float64 evaluation of the dequantized weights for the F16 and
// quantized GGUF files. The bound is 1e-4 of the logits' scale.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"
#include "compiler/reference/Session.h"
#include "compiler/reference/WeightReader.h"
#include "frontends/import/Model.h"
#include "passes/graph/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

using namespace mlir;
using namespace mlir::ingot;
using ::ingot::reference::Evaluator;
using ::ingot::reference::RefValue;
using ::ingot::reference::Session;

namespace {

std::string fixturePath(llvm::StringRef model, llvm::StringRef file = "") {
  llvm::SmallString<256> path(INGOT_MODEL_FIXTURES_DIR);
  llvm::sys::path::append(path, model, file);
  return std::string(path);
}

/// The logits of one step of `session`, rows concatenated.
llvm::Expected<std::vector<float>> step(::ingot::reference::Session &session,
                                        llvm::ArrayRef<int64_t> ids) {
  auto rows = session.step(ids);
  if (!rows)
    return rows.takeError();
  std::vector<float> flat;
  for (const std::vector<float> &row : *rows)
    flat.insert(flat.end(), row.begin(), row.end());
  return flat;
}

std::vector<float> readFloats(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return {};
  std::vector<float> values((*buffer)->getBufferSize() / 4);
  std::memcpy(values.data(), (*buffer)->getBufferStart(), values.size() * 4);
  return values;
}

/// Max |a - b| over the elements, and max |b|.
std::pair<double, double> compare(llvm::ArrayRef<float> a,
                                  llvm::ArrayRef<float> b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    err = std::max(err, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return {err, scale};
}

class GoldenTest : public ::testing::TestWithParam<const char *> {};

TEST_P(GoldenTest, MatchesTransformers) {
  std::string model = GetParam();
  auto json = llvm::MemoryBuffer::getFile(fixturePath(model, "goldens.json"));
  ASSERT_TRUE(bool(json)) << "no goldens for " << model;
  auto goldens = llvm::json::parse((*json)->getBuffer());
  ASSERT_TRUE(bool(goldens)) << llvm::toString(goldens.takeError());
  int checked = 0;
  for (const llvm::json::Value &caseValue :
       *goldens->getAsObject()->getArray("cases")) {
    const llvm::json::Object &c = *caseValue.getAsObject();
    std::vector<int64_t> prompt, decode;
    for (const auto &id : *c.getArray("prompt_ids"))
      prompt.push_back(*id.getAsInteger());
    for (const auto &id : *c.getArray("decode_ids"))
      decode.push_back(*id.getAsInteger());

    // (model path, goldens) for each format.
    std::vector<std::pair<std::string, const llvm::json::Object *>> formats = {
        {fixturePath(model), c.getObject("hf")}};
    static const llvm::json::Object none;
    const llvm::json::Object *gguf = c.getObject("gguf");
    for (const auto &[file, info] : gguf ? *gguf : none) {
      const llvm::json::Object *own = info.getAsObject();
      formats.push_back({fixturePath(model, file.str()),
                         own->getObject("prefill") ? own : c.getObject("hf")});
    }
    for (auto &[path, golden] : formats) {
      SCOPED_TRACE(path + " case " + c.getString("name")->str());
      MLIRContext context;
      auto imported = ImportedModel::open(context, path);
      ASSERT_TRUE(bool(imported)) << llvm::toString(imported.takeError());
      auto module = (*imported)->buildModule(BuildOptions());
      ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
      auto forward = (**module).lookupSymbol<func::FuncOp>("forward");
      ::ingot::reference::ModelWeightReader weights(**imported);
      Evaluator evaluator(weights);
      Session session(evaluator, forward);
      ASSERT_FALSE(bool(session.init()));

      std::vector<float> prefillGold = readFloats(fixturePath(
          model, golden->getObject("prefill")->getString("file")->str()));
      std::vector<float> decodeGold = readFloats(fixturePath(
          model, golden->getObject("decode")->getString("file")->str()));
      size_t vocab = prefillGold.size() / prompt.size();
      ASSERT_EQ(prefillGold.size(), prompt.size() * vocab);

      auto logits = step(session, prompt);
      ASSERT_TRUE(bool(logits)) << llvm::toString(logits.takeError());
      ASSERT_EQ(logits->size(), prefillGold.size());
      auto [err, scale] = compare(*logits, prefillGold);
      EXPECT_LE(err, 1e-4 * std::max(1.0, scale)) << "prefill";
      for (size_t i = 0; i < decode.size(); ++i) {
        auto row = step(session, {decode[i]});
        ASSERT_TRUE(bool(row)) << llvm::toString(row.takeError());
        ASSERT_EQ(row->size(), vocab);
        auto [stepErr, stepScale] = compare(
            *row, llvm::ArrayRef<float>(decodeGold).slice(i * vocab, vocab));
        EXPECT_LE(stepErr, 1e-4 * std::max(1.0, stepScale))
            << "decode step " << i;
      }
      ++checked;
    }
  }
  // Every model but the sharded copy also comes as GGUF files.
  EXPECT_GE(checked, model == "llama-sharded" ? 1 : 3);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenTest,
                         ::testing::Values("llama", "llama3", "qwen2",
                                           "qwen3", "mistral", "mixtral",
                                           "qwen2_moe", "qwen3_moe", "olmoe",
                                           "llama-sharded"));

/// Mixture of experts on demand: a fixture MoE model compiled with another
/// routing rule (--moe-routing) against a dense, masked float64 evaluation
/// of the same rule (make-routing-goldens.py). The goldens record how many
/// experts each token used: the rules must make that number vary.
class RoutingGoldenTest : public ::testing::TestWithParam<const char *> {};

TEST_P(RoutingGoldenTest, MatchesDenseMaskedRule) {
  std::string model = GetParam();
  auto json = llvm::MemoryBuffer::getFile(fixturePath(model, "routing.json"));
  ASSERT_TRUE(bool(json));
  auto golden = llvm::json::parse((*json)->getBuffer());
  ASSERT_TRUE(bool(golden)) << llvm::toString(golden.takeError());
  const llvm::json::Object &g = *golden->getAsObject();
  std::vector<int64_t> prompt, decode;
  for (const auto &id : *g.getArray("prompt_ids"))
    prompt.push_back(*id.getAsInteger());
  for (const auto &id : *g.getArray("decode_ids"))
    decode.push_back(*id.getAsInteger());
  for (const llvm::json::Value &ruleValue : *g.getArray("rules")) {
    const llvm::json::Object &r = *ruleValue.getAsObject();
    std::string text = r.getString("rule")->str();
    SCOPED_TRACE(model + " --moe-routing=" + text);

    std::set<int64_t> counts;
    for (const auto &layer : *r.getArray("experts_per_token"))
      for (const auto &n : *layer.getAsArray())
        counts.insert(*n.getAsInteger());
    EXPECT_GT(counts.size(), 1u) << "the rule should vary experts per token";

    MLIRContext context;
    auto imported = ImportedModel::open(
        context, fixturePath(model, g.getString("file")->str()));
    ASSERT_TRUE(bool(imported)) << llvm::toString(imported.takeError());
    auto rule = parseRoutingRule(&context, text);
    ASSERT_TRUE(bool(rule)) << llvm::toString(rule.takeError());
    BuildOptions options;
    options.routing = *rule;
    auto module = (*imported)->buildModule(options);
    ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
    ::ingot::reference::ModelWeightReader weights(**imported);
    Evaluator evaluator(weights);
    Session session(evaluator,
                    (**module).lookupSymbol<func::FuncOp>("forward"));
    ASSERT_FALSE(bool(session.init()));

    std::vector<float> gold =
        readFloats(fixturePath(model, r.getString("file")->str()));
    size_t vocab = gold.size() / (prompt.size() + decode.size());
    auto logits = step(session, prompt);
    ASSERT_TRUE(bool(logits)) << llvm::toString(logits.takeError());
    std::vector<float> all = *logits;
    for (int64_t id : decode) {
      auto row = step(session, {id});
      ASSERT_TRUE(bool(row)) << llvm::toString(row.takeError());
      all.insert(all.end(), row->begin(), row->end());
    }
    ASSERT_EQ(all.size(), gold.size());
    ASSERT_EQ(all.size() % vocab, 0u);
    auto [err, scale] = compare(all, gold);
    EXPECT_LE(err, 1e-4 * std::max(1.0, scale));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, RoutingGoldenTest,
                         ::testing::Values("qwen2_moe", "mixtral"));

} // namespace
