//===- EvaluatorTest.cpp - Unit tests of the reference evaluator ----------===//
//
// Golden tests: one .mlir snippet per op family, each function named after a
// case of test/fixtures/reference/manifest.json, whose inputs and expected
// outputs numpy computed independently (test/fixtures/make-reference-
// goldens.py). Then equivalences between the two levels of the dialect
// (fine-grained attention vs the fused op with caches, dense moe_ffn vs the
// sparse form for each routing rule), routing properties, weights, and the
// errors bad inputs give.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"
#include "compiler/reference/Kernels.h"
#include "compiler/reference/RefValue.h"
#include "compiler/reference/WeightReader.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#ifndef INGOT_REFERENCE_FIXTURES_DIR
#error "INGOT_REFERENCE_FIXTURES_DIR must name test/fixtures/reference"
#endif

using namespace mlir;
using namespace ::ingot::reference;
using llvm::StringRef;

namespace {

std::string fixturePath(StringRef name) {
  return (llvm::Twine(INGOT_REFERENCE_FIXTURES_DIR) + "/" + name).str();
}

//===----------------------------------------------------------------------===//
// Fixtures
//===----------------------------------------------------------------------===//

/// The manifest, read once per process.
const llvm::json::Object *getManifest() {
  static llvm::json::Value manifest = [] {
    auto buffer = llvm::MemoryBuffer::getFile(fixturePath("manifest.json"));
    if (!buffer)
      return llvm::json::Value(nullptr);
    auto parsed = llvm::json::parse((*buffer)->getBuffer());
    if (!parsed) {
      llvm::consumeError(parsed.takeError());
      return llvm::json::Value(nullptr);
    }
    return std::move(*parsed);
  }();
  const llvm::json::Object *root = manifest.getAsObject();
  return root ? root->getObject("cases") : nullptr;
}

/// One manifest value as a RefValue.
llvm::Expected<RefValue> loadValue(const llvm::json::Object &entry) {
  StringRef kind = entry.getString("kind").value_or("");
  if (kind == "index")
    return RefValue::getScalar(entry.getInteger("value").value_or(0));
  std::vector<int64_t> shape;
  if (const llvm::json::Array *dims = entry.getArray("shape"))
    for (const llvm::json::Value &dim : *dims)
      shape.push_back(dim.getAsInteger().value_or(-1));
  auto buffer = llvm::MemoryBuffer::getFile(
      fixturePath(entry.getString("file").value_or("")));
  if (!buffer)
    return makeError("cannot read fixture " +
                     entry.getString("file").value_or("").str());
  StringRef bytes = (*buffer)->getBuffer();
  int64_t count = getNumElements(shape);
  if (static_cast<int64_t>(bytes.size()) != 4 * count)
    return makeError("fixture " + entry.getString("file")->str() +
                     " has the wrong size");
  if (kind == "i32") {
    std::vector<int64_t> data(count);
    for (int64_t i = 0; i < count; ++i) {
      int32_t v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      data[i] = v;
    }
    return RefValue::getIntTensor(shape, std::move(data));
  }
  std::vector<float> data(count);
  std::memcpy(data.data(), bytes.data(), 4 * count);
  if (kind == "kv_cache")
    return RefValue::getKVCache(shape[0], shape[1], shape[2], std::move(data));
  return RefValue::getFloatTensor(shape, std::move(data));
}

struct GoldenCase {
  std::vector<RefValue> inputs, outputs;
};

llvm::Expected<GoldenCase> loadCase(StringRef name) {
  const llvm::json::Object *cases = getManifest();
  if (!cases)
    return makeError("cannot read the fixture manifest");
  const llvm::json::Object *entry = cases->getObject(name);
  if (!entry)
    return makeError("no fixture case " + name);
  GoldenCase result;
  for (auto [key, values] : {std::make_pair("inputs", &result.inputs),
                             std::make_pair("outputs", &result.outputs)}) {
    const llvm::json::Array *array = entry->getArray(key);
    if (!array)
      return makeError("case " + name + " has no " + key);
    for (const llvm::json::Value &value : *array) {
      llvm::Expected<RefValue> loaded = loadValue(*value.getAsObject());
      if (!loaded)
        return loaded.takeError();
      values->push_back(std::move(*loaded));
    }
  }
  return result;
}

/// Compares `got` with `want`: same kind and shape; integers exactly, floats
/// within 1e-5 relative (absolute below 1), infinities exactly.
void expectClose(const RefValue &got, const RefValue &want,
                 const std::string &what, double tolerance = 1e-5) {
  SCOPED_TRACE(what);
  ASSERT_EQ(got.getKind(), want.getKind())
      << got.describe() << " vs " << want.describe();
  ASSERT_EQ(got.getShape(), want.getShape())
      << got.describe() << " vs " << want.describe();
  if (got.isIntTensor()) {
    EXPECT_EQ(got.getInts(), want.getInts());
    return;
  }
  if (got.isScalar()) {
    EXPECT_EQ(got.getScalar(), want.getScalar());
    return;
  }
  ASSERT_EQ(got.getFloats().size(), want.getFloats().size());
  int failures = 0;
  for (size_t i = 0; i < got.getFloats().size() && failures < 5; ++i) {
    float g = got.getFloats()[i], w = want.getFloats()[i];
    if (std::isinf(w) || std::isnan(w)) {
      bool same = std::isnan(w) ? std::isnan(g) : g == w;
      EXPECT_TRUE(same) << "element " << i << ": " << g << " vs " << w;
      failures += !same;
      continue;
    }
    double allowed = tolerance * std::max(1.0, std::fabs(double(w)));
    bool close = std::fabs(double(g) - double(w)) <= allowed;
    EXPECT_TRUE(close) << "element " << i << ": " << g << " vs " << w;
    failures += !close;
  }
}

//===----------------------------------------------------------------------===//
// The test fixture: a context and helpers to parse and run
//===----------------------------------------------------------------------===//

class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest() {
    context.loadDialect<mlir::ingot::IngotDialect, func::FuncDialect,
                        arith::ArithDialect, tensor::TensorDialect>();
    handlerId = context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
      diagnostics.push_back(diag.str());
      return success();
    });
  }
  ~EvaluatorTest() override {
    context.getDiagEngine().eraseHandler(handlerId);
  }

  /// Parses `source`; a failure is a test failure with the diagnostics.
  OwningOpRef<ModuleOp> parse(StringRef source) {
    diagnostics.clear();
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    std::string joined;
    for (const std::string &message : diagnostics)
      joined += message + "\n";
    EXPECT_TRUE(module) << joined;
    return module;
  }

  func::FuncOp lookup(ModuleOp module, StringRef name) {
    auto fn = module.lookupSymbol<func::FuncOp>(name);
    EXPECT_TRUE(fn) << "no function @" << name.str();
    return fn;
  }

  /// Runs `@name` of `module` on `args` with `weights`.
  llvm::Expected<std::vector<RefValue>> run(ModuleOp module, StringRef name,
                                            llvm::ArrayRef<RefValue> args) {
    func::FuncOp fn = module.lookupSymbol<func::FuncOp>(name);
    if (!fn)
      return makeError("no function @" + name);
    return evaluate(fn, args, weights);
  }

  /// Runs every function of `source` on its golden case and compares.
  void checkGoldens(StringRef source) {
    OwningOpRef<ModuleOp> module = parse(source);
    ASSERT_TRUE(module);
    int functions = 0;
    for (auto fn : module->getOps<func::FuncOp>()) {
      ++functions;
      std::string name = fn.getSymName().str();
      SCOPED_TRACE("case " + name);
      llvm::Expected<GoldenCase> golden = loadCase(name);
      ASSERT_TRUE(bool(golden)) << llvm::toString(golden.takeError());
      llvm::Expected<std::vector<RefValue>> results =
          evaluate(fn, golden->inputs, weights);
      ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
      ASSERT_EQ(results->size(), golden->outputs.size());
      for (size_t i = 0; i < results->size(); ++i)
        expectClose((*results)[i], golden->outputs[i],
                    name + " result #" + std::to_string(i));
    }
    EXPECT_GT(functions, 0);
  }

  /// The message of the error running `@name` gives; "" when it succeeds.
  std::string errorOf(ModuleOp module, StringRef name,
                      llvm::ArrayRef<RefValue> args) {
    llvm::Expected<std::vector<RefValue>> results = run(module, name, args);
    if (results)
      return "";
    return llvm::toString(results.takeError());
  }

  MLIRContext context;
  std::vector<std::string> diagnostics;
  DiagnosticEngine::HandlerID handlerId;
  InMemoryWeightReader weights;
};

/// A float tensor of `shape` from a seeded normal distribution.
RefValue randomTensor(std::vector<int64_t> shape, unsigned seed,
                      float scale = 1.0f) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> data(getNumElements(shape));
  for (float &v : data)
    v = normal(engine);
  return RefValue::getFloatTensor(std::move(shape), std::move(data));
}

RefValue ints(std::vector<int64_t> values) {
  int64_t n = static_cast<int64_t>(values.size());
  return RefValue::getIntTensor({n}, std::move(values));
}

bool isOneLine(StringRef message) {
  return !message.empty() && message.find_first_of("\r\n") == StringRef::npos;
}

//===----------------------------------------------------------------------===//
// Goldens, one snippet per op family
//===----------------------------------------------------------------------===//

const char *const kMatmulGoldens = R"mlir(
func.func @matmul_2d(%a: tensor<3x5xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
  %y = ingot.matmul %a, %b : tensor<3x5xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @matmul_transpose_a(%a: tensor<5x3xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
  %y = ingot.matmul %a, %b transpose_a : tensor<5x3xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @matmul_transpose_b_bias(%a: tensor<3x5xf32>, %b: tensor<4x5xf32>, %bias: tensor<4xf32>) -> tensor<3x4xf32> {
  %y = ingot.matmul %a, %b transpose_b bias %bias : tensor<3x5xf32>, tensor<4x5xf32>, tensor<4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @matmul_batched(%a: tensor<2x3x5xf32>, %b: tensor<2x5x4xf32>) -> tensor<2x3x4xf32> {
  %y = ingot.matmul %a, %b : tensor<2x3x5xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @matmul_batched_both_transposed(%a: tensor<2x5x3xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x4xf32> {
  %y = ingot.matmul %a, %b transpose_a transpose_b : tensor<2x5x3xf32>, tensor<2x4x5xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @matmul_shared_b(%a: tensor<2x3x5xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x4xf32> {
  %y = ingot.matmul %a, %b transpose_b : tensor<2x3x5xf32>, tensor<4x5xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @matmul_dynamic_rows(%a: tensor<?x5xf32>, %b: tensor<4x5xf32>) -> tensor<?x4xf32> {
  %y = ingot.matmul %a, %b transpose_b : tensor<?x5xf32>, tensor<4x5xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenMatmul) { checkGoldens(kMatmulGoldens); }

const char *const kElementwiseGoldens = R"mlir(
func.func @add_broadcast(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %y = ingot.add %a, %b : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @sub_broadcast(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3x4xf32> {
  %y = ingot.sub %a, %b : tensor<3x4xf32>, tensor<4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @mul_scalar(%a: tensor<2x3xf32>, %b: tensor<f32>) -> tensor<2x3xf32> {
  %y = ingot.mul %a, %b : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @div_broadcast(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x3xf32> {
  %y = ingot.div %a, %b : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @maximum_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<1x3x1xf32>) -> tensor<2x3x4xf32> {
  %y = ingot.maximum %a, %b : tensor<2x3x4xf32>, tensor<1x3x1xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @unary(%x: tensor<3x7xf32>) -> (tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>) {
  %silu = ingot.silu %x : tensor<3x7xf32>
  %gelu = ingot.gelu %x : tensor<3x7xf32>
  %gelu_tanh = ingot.gelu %x approximate : tensor<3x7xf32>
  %sigmoid = ingot.sigmoid %x : tensor<3x7xf32>
  %tanh = ingot.tanh %x : tensor<3x7xf32>
  %exp = ingot.exp %x : tensor<3x7xf32>
  %neg = ingot.neg %x : tensor<3x7xf32>
  return %silu, %gelu, %gelu_tanh, %sigmoid, %tanh, %exp, %neg : tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>, tensor<3x7xf32>
}
func.func @rsqrt(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = ingot.rsqrt %x : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}
func.func @cast(%x: tensor<2x6xf32>) -> (tensor<2x6xf16>, tensor<2x6xbf16>, tensor<2x6xf32>) {
  %h = ingot.cast %x : tensor<2x6xf32> to tensor<2x6xf16>
  %b = ingot.cast %x : tensor<2x6xf32> to tensor<2x6xbf16>
  %back = ingot.cast %h : tensor<2x6xf16> to tensor<2x6xf32>
  return %h, %b, %back : tensor<2x6xf16>, tensor<2x6xbf16>, tensor<2x6xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenElementwise) { checkGoldens(kElementwiseGoldens); }

const char *const kShapeGoldens = R"mlir(
func.func @reshape(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  %y = ingot.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @reshape_dynamic(%x: tensor<?x6xf32>) -> tensor<?x2x3xf32> {
  %y = ingot.reshape %x : tensor<?x6xf32> -> tensor<?x2x3xf32>
  return %y : tensor<?x2x3xf32>
}
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %y = ingot.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %y : tensor<4x2x3xf32>
}
func.func @concat_axis0(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>, %c: tensor<3x3xf32>) -> tensor<6x3xf32> {
  %y = ingot.concat %a, %b, %c {axis = 0 : i64} : tensor<2x3xf32>, tensor<1x3xf32>, tensor<3x3xf32> -> tensor<6x3xf32>
  return %y : tensor<6x3xf32>
}
func.func @concat_last_axis(%a: tensor<2x1xf32>, %b: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %y = ingot.concat %a, %b {axis = -1 : i64} : tensor<2x1xf32>, tensor<2x3xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
func.func @concat_int(%a: tensor<3xi32>, %b: tensor<2xi32>) -> tensor<?xi32> {
  %y = ingot.concat %a, %b {axis = 0 : i64} : tensor<3xi32>, tensor<2xi32> -> tensor<?xi32>
  return %y : tensor<?xi32>
}
func.func @slice(%x: tensor<4x6xf32>) -> tensor<4x3xf32> {
  %y = ingot.slice %x {axis = 1 : i64, start = 2 : i64, size = 3 : i64} : tensor<4x6xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
func.func @broadcast(%x: tensor<3x1x2xf32>) -> tensor<2x3x4x2xf32> {
  %y = ingot.broadcast %x : tensor<3x1x2xf32> -> tensor<2x3x4x2xf32>
  return %y : tensor<2x3x4x2xf32>
}
func.func @broadcast_dynamic(%x: tensor<?x2x1x4xf32>) -> tensor<?x2x3x4xf32> {
  %y = ingot.broadcast %x : tensor<?x2x1x4xf32> -> tensor<?x2x3x4xf32>
  return %y : tensor<?x2x3x4xf32>
}
func.func @gather_rows(%x: tensor<5x3xf32>, %i: tensor<?xi32>) -> tensor<?x3xf32> {
  %y = ingot.gather_rows %x, %i : tensor<5x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
func.func @gather_rows_1d(%x: tensor<6xf32>, %i: tensor<3xi32>) -> tensor<3xf32> {
  %y = ingot.gather_rows %x, %i : tensor<6xf32>, tensor<3xi32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}
func.func @embedding(%t: tensor<10x4xf32>, %ids: tensor<?xi32>) -> tensor<?x4xf32> {
  %y = ingot.embedding %t, %ids : tensor<10x4xf32>, tensor<?xi32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenShapes) { checkGoldens(kShapeGoldens); }

const char *const kNormGoldens = R"mlir(
func.func @rms_norm(%x: tensor<3x8xf32>, %w: tensor<8xf32>) -> tensor<3x8xf32> {
  %y = ingot.rms_norm %x, %w {eps = 1.0e-05 : f32} : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
func.func @layer_norm(%x: tensor<3x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<3x8xf32> {
  %y = ingot.layer_norm %x, %w, %b {eps = 1.0e-05 : f32} : tensor<3x8xf32>, tensor<8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
func.func @layer_norm_no_bias(%x: tensor<3x8xf32>, %w: tensor<8xf32>) -> tensor<3x8xf32> {
  %y = ingot.layer_norm %x, %w {eps = 1.0e-05 : f32} : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenNorms) { checkGoldens(kNormGoldens); }

const char *const kRopeGoldens = R"mlir(
func.func @rope_neox(%x: tensor<4x2x8xf32>, %p: tensor<4xi32>) -> tensor<4x2x8xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<4x2x8xf32>, tensor<4xi32> -> tensor<4x2x8xf32>
  return %y : tensor<4x2x8xf32>
}
func.func @rope_interleaved(%x: tensor<4x2x8xf32>, %p: tensor<4xi32>) -> tensor<4x2x8xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style interleaved>} : tensor<4x2x8xf32>, tensor<4xi32> -> tensor<4x2x8xf32>
  return %y : tensor<4x2x8xf32>
}
func.func @rope_partial_neox(%x: tensor<4x2x12xf32>, %p: tensor<4xi32>) -> tensor<4x2x12xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, rotary_dim = 8 : i64} : tensor<4x2x12xf32>, tensor<4xi32> -> tensor<4x2x12xf32>
  return %y : tensor<4x2x12xf32>
}
func.func @rope_partial_interleaved(%x: tensor<4x2x12xf32>, %p: tensor<4xi32>) -> tensor<4x2x12xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style interleaved>, rotary_dim = 8 : i64} : tensor<4x2x12xf32>, tensor<4xi32> -> tensor<4x2x12xf32>
  return %y : tensor<4x2x12xf32>
}
func.func @rope_linear(%x: tensor<4x2x8xf32>, %p: tensor<4xi32>) -> tensor<4x2x8xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<linear, factor = 4.0>} : tensor<4x2x8xf32>, tensor<4xi32> -> tensor<4x2x8xf32>
  return %y : tensor<4x2x8xf32>
}
func.func @rope_llama3(%x: tensor<4x2x16xf32>, %p: tensor<4xi32>) -> tensor<4x2x16xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<llama3, factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position = 8192>} : tensor<4x2x16xf32>, tensor<4xi32> -> tensor<4x2x16xf32>
  return %y : tensor<4x2x16xf32>
}
func.func @rope_yarn(%x: tensor<4x2x16xf32>, %p: tensor<4xi32>) -> tensor<4x2x16xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>, scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 256, beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.2>} : tensor<4x2x16xf32>, tensor<4xi32> -> tensor<4x2x16xf32>
  return %y : tensor<4x2x16xf32>
}
func.func @rope_freq_factors(%x: tensor<4x2x8xf32>, %p: tensor<4xi32>, %f: tensor<4xf32>) -> tensor<4x2x8xf32> {
  %y = ingot.rope %x, %p freq_factors %f {theta = 1.0e+04 : f32, style = #ingot<rope_style neox>} : tensor<4x2x8xf32>, tensor<4xi32>, tensor<4xf32> -> tensor<4x2x8xf32>
  return %y : tensor<4x2x8xf32>
}
func.func @rope_yarn_partial_interleaved(%x: tensor<4x2x12xf32>, %p: tensor<4xi32>) -> tensor<4x2x12xf32> {
  %y = ingot.rope %x, %p {theta = 1.0e+04 : f32, style = #ingot<rope_style interleaved>, rotary_dim = 8 : i64, scaling = #ingot.rope_scaling<yarn, factor = 4.0, original_max_position = 256, beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.2>} : tensor<4x2x12xf32>, tensor<4xi32> -> tensor<4x2x12xf32>
  return %y : tensor<4x2x12xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenRope) { checkGoldens(kRopeGoldens); }

const char *const kSoftmaxReduceGoldens = R"mlir(
func.func @softmax_last(%x: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %y = ingot.softmax %x {axis = -1 : i64} : tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}
func.func @softmax_axis0(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %y = ingot.softmax %x {axis = 0 : i64} : tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @reduce(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x3x1xf32>, tensor<1x3x4xf32>) {
  %s = ingot.reduce sum %x {axis = 1 : i64} : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  %m = ingot.reduce max %x {axis = -1 : i64} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %a = ingot.reduce mean %x {axis = 0 : i64} : tensor<2x3x4xf32> -> tensor<1x3x4xf32>
  return %s, %m, %a : tensor<2x1x4xf32>, tensor<2x3x1xf32>, tensor<1x3x4xf32>
}
func.func @topk(%x: tensor<3x6xf32>) -> (tensor<3x3xf32>, tensor<3x3xi32>) {
  %v, %i = ingot.topk %x {k = 3 : i64} : tensor<3x6xf32> -> tensor<3x3xf32>, tensor<3x3xi32>
  return %v, %i : tensor<3x3xf32>, tensor<3x3xi32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenSoftmaxReduceTopK) { checkGoldens(kSoftmaxReduceGoldens); }

const char *const kAttentionGoldens = R"mlir(
func.func @mask_causal(%q: tensor<3xi32>, %k: tensor<5xi32>) -> tensor<3x5xf32> {
  %m = ingot.mask causal %q, %k : tensor<3xi32>, tensor<5xi32> -> tensor<3x5xf32>
  return %m : tensor<3x5xf32>
}
func.func @mask_sliding_window(%q: tensor<3xi32>, %k: tensor<?xi32>) -> tensor<3x?xf32> {
  %m = ingot.mask sliding_window %q, %k {window = 2 : i64} : tensor<3xi32>, tensor<?xi32> -> tensor<3x?xf32>
  return %m : tensor<3x?xf32>
}
func.func @mask_none(%q: tensor<3xi32>, %k: tensor<8xi32>) -> tensor<3x8xf32> {
  %m = ingot.mask none %q, %k : tensor<3xi32>, tensor<8xi32> -> tensor<3x8xf32>
  return %m : tensor<3x8xf32>
}
func.func @attention_causal(%q: tensor<3x4x8xf32>, %k: tensor<5x2x8xf32>, %v: tensor<5x2x6xf32>) -> tensor<3x4x6xf32> {
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind causal>, scale = 0.35 : f32} : tensor<3x4x8xf32>, tensor<5x2x8xf32>, tensor<5x2x6xf32> -> tensor<3x4x6xf32>
  return %o : tensor<3x4x6xf32>
}
func.func @attention_sliding_window_softcap(%q: tensor<3x4x8xf32>, %k: tensor<5x2x8xf32>, %v: tensor<5x2x6xf32>) -> tensor<3x4x6xf32> {
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind sliding_window>, window = 2 : i64, scale = 0.35 : f32, softcap = 5.0 : f32} : tensor<3x4x8xf32>, tensor<5x2x8xf32>, tensor<5x2x6xf32> -> tensor<3x4x6xf32>
  return %o : tensor<3x4x6xf32>
}
func.func @attention_none(%q: tensor<2x2x4xf32>, %k: tensor<4x2x4xf32>, %v: tensor<4x2x4xf32>) -> tensor<2x2x4xf32> {
  %o = ingot.attention %q, %k, %v {mask = #ingot<mask_kind none>, scale = 0.5 : f32} : tensor<2x2x4xf32>, tensor<4x2x4xf32>, tensor<4x2x4xf32> -> tensor<2x2x4xf32>
  return %o : tensor<2x2x4xf32>
}
func.func @attention_cache(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %v: tensor<?x2x8xf32>, %kc: !ingot.kv_cache<8x2x8xf32>, %vc: !ingot.kv_cache<8x2x8xf32>, %pos: index) -> (tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>) {
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.35 : f32} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32> -> tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>
  return %o, %kc1, %vc1 : tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf32>, !ingot.kv_cache<8x2x8xf32>
}
func.func @attention_cache_f16(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %v: tensor<?x2x8xf32>, %kc: !ingot.kv_cache<8x2x8xf16>, %vc: !ingot.kv_cache<8x2x8xf16>, %pos: index) -> (tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf16>, !ingot.kv_cache<8x2x8xf16>) {
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %pos {mask = #ingot<mask_kind causal>, scale = 0.35 : f32} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, !ingot.kv_cache<8x2x8xf16>, !ingot.kv_cache<8x2x8xf16> -> tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf16>, !ingot.kv_cache<8x2x8xf16>
  return %o, %kc1, %vc1 : tensor<?x4x8xf32>, !ingot.kv_cache<8x2x8xf16>, !ingot.kv_cache<8x2x8xf16>
}
func.func @kv_write_read_f16(%c: !ingot.kv_cache<6x2x4xf16>, %v: tensor<2x2x4xf32>, %pos: index) -> (!ingot.kv_cache<6x2x4xf16>, tensor<?x2x4xf32>) {
  %c1 = ingot.kv_write %c, %v, %pos : !ingot.kv_cache<6x2x4xf16>, tensor<2x2x4xf32>
  %n = arith.constant 5 : index
  %r = ingot.kv_read %c1, %n : !ingot.kv_cache<6x2x4xf16> -> tensor<?x2x4xf32>
  return %c1, %r : !ingot.kv_cache<6x2x4xf16>, tensor<?x2x4xf32>
}
func.func @kv_write_read_bf16(%c: !ingot.kv_cache<6x2x4xbf16>, %v: tensor<2x2x4xf32>, %pos: index) -> (!ingot.kv_cache<6x2x4xbf16>, tensor<?x2x4xf32>) {
  %c1 = ingot.kv_write %c, %v, %pos : !ingot.kv_cache<6x2x4xbf16>, tensor<2x2x4xf32>
  %n = arith.constant 5 : index
  %r = ingot.kv_read %c1, %n : !ingot.kv_cache<6x2x4xbf16> -> tensor<?x2x4xf32>
  return %c1, %r : !ingot.kv_cache<6x2x4xbf16>, tensor<?x2x4xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenMaskAttentionKVCache) { checkGoldens(kAttentionGoldens); }

const char *const kRouteGoldens = R"mlir(
func.func @route_top_k_softmax(%l: tensor<5x6xf32>) -> (tensor<6xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<5x6xf32> -> tensor<6xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<6xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_top_k_sigmoid(%l: tensor<?x6xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_k, k = 3>, scoring = #ingot<scoring sigmoid>} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_top_p(%l: tensor<?x6xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_p, p = 0.6, max = 3>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_top_p_no_cap(%l: tensor<?x6xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_p, p = 0.9>, scoring = #ingot<scoring softmax>} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_top_p_sigmoid(%l: tensor<?x6xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_p, p = 0.9, max = 0>, scoring = #ingot<scoring sigmoid>, renormalize} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_threshold(%l: tensor<?x8xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<threshold, t = 0.15, max = 2>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
func.func @route_threshold_sigmoid(%l: tensor<?x8xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<threshold, t = 0.6>, scoring = #ingot<scoring sigmoid>} : tensor<?x8xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
)mlir";

TEST_F(EvaluatorTest, GoldenRoute) { checkGoldens(kRouteGoldens); }

/// moe_ffn with `activation` under the case name `name`.
std::string moeFfnFunction(StringRef name, StringRef activation) {
  std::string text = R"mlir(
func.func @NAME(%x: tensor<4x6xf32>, %off: tensor<5xi32>, %ids: tensor<?xi32>, %w: tensor<?xf32>, %g: tensor<4x5x6xf32>, %u: tensor<4x5x6xf32>, %d: tensor<4x6x5xf32>) -> tensor<4x6xf32> {
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation ACT>} : tensor<4x6xf32>, tensor<5xi32>, tensor<?xi32>, tensor<?xf32>, tensor<4x5x6xf32>, tensor<4x5x6xf32>, tensor<4x6x5xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}
)mlir";
  text.replace(text.find("NAME"), 4, name.str());
  text.replace(text.find("ACT"), 3, activation.str());
  return text;
}

std::string moeGoldens() {
  std::string source = moeFfnFunction("moe_ffn_silu", "silu") +
                       moeFfnFunction("moe_ffn_gelu", "gelu") +
                       moeFfnFunction("moe_ffn_gelu_tanh", "gelu_tanh") +
                       moeFfnFunction("moe_ffn_relu", "relu");
  source += R"mlir(
func.func @moe_sort(%off: tensor<?xi32>, %ids: tensor<?xi32>) -> (tensor<6xi32>, tensor<?xi32>, tensor<?xi32>) {
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 5 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<6xi32>, tensor<?xi32>, tensor<?xi32>
  return %eoff, %pairs, %toks : tensor<6xi32>, tensor<?xi32>, tensor<?xi32>
}
func.func @grouped_matmul(%x: tensor<?x4xf32>, %w: tensor<5x3x4xf32>, %eoff: tensor<6xi32>) -> tensor<?x3xf32> {
  %y = ingot.grouped_matmul %x, %w, %eoff : tensor<?x4xf32>, tensor<5x3x4xf32>, tensor<6xi32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
func.func @scatter_add(%src: tensor<?x3xf32>, %idx: tensor<?xi32>, %scale: tensor<?xf32>, %dest: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %y = ingot.scatter_add %src, %idx scale %scale into %dest : tensor<?x3xf32>, tensor<?xi32>, tensor<?xf32> into tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
func.func @scatter_add_no_scale(%src: tensor<?x3xf32>, %idx: tensor<?xi32>, %dest: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %y = ingot.scatter_add %src, %idx into %dest : tensor<?x3xf32>, tensor<?xi32> into tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
)mlir";
  return source;
}

TEST_F(EvaluatorTest, GoldenMoe) { checkGoldens(moeGoldens()); }

// Every manifest case has a function in some golden snippet, and every such
// function a case (checkGoldens fails on those).
TEST_F(EvaluatorTest, GoldenEveryCaseHasAFunction) {
  const llvm::json::Object *cases = getManifest();
  ASSERT_NE(cases, nullptr);
  std::set<std::string> functions;
  for (const std::string &source :
       {std::string(kMatmulGoldens), std::string(kElementwiseGoldens),
        std::string(kShapeGoldens), std::string(kNormGoldens),
        std::string(kRopeGoldens), std::string(kSoftmaxReduceGoldens),
        std::string(kAttentionGoldens), std::string(kRouteGoldens),
        moeGoldens()}) {
    OwningOpRef<ModuleOp> module = parse(source);
    ASSERT_TRUE(module);
    for (auto fn : module->getOps<func::FuncOp>())
      functions.insert(fn.getSymName().str());
  }
  EXPECT_EQ(functions.size(), cases->size());
  for (const auto &entry : *cases)
    EXPECT_TRUE(functions.count(entry.first.str()))
        << "no function runs golden case " << entry.first.str();
}

//===----------------------------------------------------------------------===//
// The two levels agree: attention
//===----------------------------------------------------------------------===//

/// The fine-grained attention of examples/tiny-dense.mlir (causal GQA over
/// cached and new keys) and the fused op with caches, for CACHE caches.
std::string attentionModule(StringRef cacheType) {
  std::string text = R"mlir(
func.func @fine(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %v: tensor<?x2x8xf32>, %start: index, %kc: CACHE, %vc: CACHE) -> (tensor<?x4x8xf32>, CACHE, CACHE) {
  %c0 = arith.constant 0 : index
  %tokens = tensor.dim %q, %c0 : tensor<?x4x8xf32>
  %keys = arith.addi %start, %tokens : index
  %kpos = ingot.iota %keys : tensor<?xi32>
  %pos = tensor.extract_slice %kpos[%start] [%tokens] [1] : tensor<?xi32> to tensor<?xi32>
  %mask = ingot.mask causal %pos, %kpos : tensor<?xi32>, tensor<?xi32> -> tensor<?x?xf32>
  %scale = ingot.constant dense<0.35> : tensor<f32>
  %kpast = ingot.kv_read %kc, %start : CACHE -> tensor<?x2x8xf32>
  %vpast = ingot.kv_read %vc, %start : CACHE -> tensor<?x2x8xf32>
  %kall = ingot.concat %kpast, %k {axis = 0 : i64} : tensor<?x2x8xf32>, tensor<?x2x8xf32> -> tensor<?x2x8xf32>
  %vall = ingot.concat %vpast, %v {axis = 0 : i64} : tensor<?x2x8xf32>, tensor<?x2x8xf32> -> tensor<?x2x8xf32>
  %kc1 = ingot.kv_write %kc, %k, %start : CACHE, tensor<?x2x8xf32>
  %vc1 = ingot.kv_write %vc, %v, %start : CACHE, tensor<?x2x8xf32>
  %k4 = ingot.reshape %kall : tensor<?x2x8xf32> -> tensor<?x2x1x8xf32>
  %kb = ingot.broadcast %k4 : tensor<?x2x1x8xf32> -> tensor<?x2x2x8xf32>
  %kg = ingot.reshape %kb : tensor<?x2x2x8xf32> -> tensor<?x4x8xf32>
  %v4 = ingot.reshape %vall : tensor<?x2x8xf32> -> tensor<?x2x1x8xf32>
  %vb = ingot.broadcast %v4 : tensor<?x2x1x8xf32> -> tensor<?x2x2x8xf32>
  %vg = ingot.reshape %vb : tensor<?x2x2x8xf32> -> tensor<?x4x8xf32>
  %qt = ingot.transpose %q [1, 0, 2] : tensor<?x4x8xf32> -> tensor<4x?x8xf32>
  %kt = ingot.transpose %kg [1, 0, 2] : tensor<?x4x8xf32> -> tensor<4x?x8xf32>
  %vt = ingot.transpose %vg [1, 0, 2] : tensor<?x4x8xf32> -> tensor<4x?x8xf32>
  %s = ingot.matmul %qt, %kt transpose_b : tensor<4x?x8xf32>, tensor<4x?x8xf32> -> tensor<4x?x?xf32>
  %ss = ingot.mul %s, %scale : tensor<4x?x?xf32>, tensor<f32> -> tensor<4x?x?xf32>
  %sm = ingot.add %ss, %mask : tensor<4x?x?xf32>, tensor<?x?xf32> -> tensor<4x?x?xf32>
  %p = ingot.softmax %sm {axis = -1 : i64} : tensor<4x?x?xf32>
  %ctx = ingot.matmul %p, %vt : tensor<4x?x?xf32>, tensor<4x?x8xf32> -> tensor<4x?x8xf32>
  %o = ingot.transpose %ctx [1, 0, 2] : tensor<4x?x8xf32> -> tensor<?x4x8xf32>
  return %o, %kc1, %vc1 : tensor<?x4x8xf32>, CACHE, CACHE
}
func.func @fused(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %v: tensor<?x2x8xf32>, %start: index, %kc: CACHE, %vc: CACHE) -> (tensor<?x4x8xf32>, CACHE, CACHE) {
  %o, %kc1, %vc1 = ingot.attention %q, %k, %v cache(%kc, %vc) at %start {mask = #ingot<mask_kind causal>, scale = 0.35 : f32} : tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, CACHE, CACHE -> tensor<?x4x8xf32>, CACHE, CACHE
  return %o, %kc1, %vc1 : tensor<?x4x8xf32>, CACHE, CACHE
}
)mlir";
  size_t at;
  while ((at = text.find("CACHE")) != std::string::npos)
    text.replace(at, 5, cacheType.str());
  return text;
}

// A prefill of 5 tokens, then steps of 1 and 2 tokens through @fine and
// @fused, each threading its own caches: every step's output and caches
// agree.
TEST_F(EvaluatorTest, FineGrainedAttentionMatchesFusedWithCache) {
  OwningOpRef<ModuleOp> module =
      parse(attentionModule("!ingot.kv_cache<16x2x8xf32>"));
  ASSERT_TRUE(module);
  std::vector<RefValue> fineCaches(2, RefValue::getKVCache(16, 2, 8));
  std::vector<RefValue> fusedCaches = fineCaches;
  int64_t start = 0;
  unsigned seed = 1;
  for (int64_t tokens : {5, 1, 2}) {
    SCOPED_TRACE("step of " + std::to_string(tokens) + " tokens at " +
                 std::to_string(start));
    RefValue q = randomTensor({tokens, 4, 8}, seed++);
    RefValue k = randomTensor({tokens, 2, 8}, seed++);
    RefValue v = randomTensor({tokens, 2, 8}, seed++);
    auto fine = run(*module, "fine",
                    {q, k, v, RefValue::getScalar(start), fineCaches[0],
                     fineCaches[1]});
    ASSERT_TRUE(bool(fine)) << llvm::toString(fine.takeError());
    auto fused = run(*module, "fused",
                     {q, k, v, RefValue::getScalar(start), fusedCaches[0],
                      fusedCaches[1]});
    ASSERT_TRUE(bool(fused)) << llvm::toString(fused.takeError());
    expectClose((*fused)[0], (*fine)[0], "attention output");
    expectClose((*fused)[1], (*fine)[1], "key cache", 0.0);
    expectClose((*fused)[2], (*fine)[2], "value cache", 0.0);
    fineCaches = {(*fine)[1], (*fine)[2]};
    fusedCaches = {(*fused)[1], (*fused)[2]};
    start += tokens;
  }
}

// With f16 caches both levels store the same rounded entries. The fused op
// attends over the entries as the cache holds them (rounded, the new ones
// included), the fine-grained graph over the new keys before rounding: the
// outputs differ by f16 rounding only.
TEST_F(EvaluatorTest, FineGrainedAttentionMatchesFusedWithF16Cache) {
  OwningOpRef<ModuleOp> module =
      parse(attentionModule("!ingot.kv_cache<16x2x8xf16>"));
  ASSERT_TRUE(module);
  std::vector<RefValue> caches(2, RefValue::getKVCache(16, 2, 8));
  RefValue q = randomTensor({3, 4, 8}, 11), k = randomTensor({3, 2, 8}, 12),
           v = randomTensor({3, 2, 8}, 13);
  std::vector<RefValue> args = {q, k, v, RefValue::getScalar(0), caches[0],
                                caches[1]};
  auto fine = run(*module, "fine", args);
  ASSERT_TRUE(bool(fine)) << llvm::toString(fine.takeError());
  auto fused = run(*module, "fused", args);
  ASSERT_TRUE(bool(fused)) << llvm::toString(fused.takeError());
  expectClose((*fused)[0], (*fine)[0], "attention output", 5e-3);
  expectClose((*fused)[1], (*fine)[1], "key cache", 0.0);
  expectClose((*fused)[2], (*fine)[2], "value cache", 0.0);
  // The stored entries are f16 values.
  for (float value : (*fused)[1].getFloats())
    EXPECT_EQ(value, roundToFloatType(value, Float16Type::get(&context)));
}

//===----------------------------------------------------------------------===//
// The two levels agree: mixture of experts
//===----------------------------------------------------------------------===//

/// @dense (route + moe_ffn) and @sparse (route + moe_sort + gather_rows +
/// grouped_matmul x3 + scatter_add) for routing rule RULE over 6 experts.
std::string moeModule(StringRef rule) {
  std::string text = R"mlir(
func.func @dense(%x: tensor<?x8xf32>, %logits: tensor<?x6xf32>, %g: tensor<6x5x8xf32>, %u: tensor<6x5x8xf32>, %d: tensor<6x8x5xf32>) -> (tensor<?x8xf32>, tensor<?xi32>) {
  %off, %ids, %w = ingot.route %logits {rule = RULE, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %y = ingot.moe_ffn %x, %off, %ids, %w, %g, %u, %d {activation = #ingot<activation silu>} : tensor<?x8xf32>, tensor<?xi32>, tensor<?xi32>, tensor<?xf32>, tensor<6x5x8xf32>, tensor<6x5x8xf32>, tensor<6x8x5xf32> -> tensor<?x8xf32>
  return %y, %off : tensor<?x8xf32>, tensor<?xi32>
}
func.func @sparse(%x: tensor<?x8xf32>, %logits: tensor<?x6xf32>, %g: tensor<6x5x8xf32>, %u: tensor<6x5x8xf32>, %d: tensor<6x8x5xf32>) -> (tensor<?x8xf32>, tensor<?xi32>) {
  %off, %ids, %w = ingot.route %logits {rule = RULE, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  %eoff, %pairs, %toks = ingot.moe_sort %off, %ids {num_experts = 6 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<7xi32>, tensor<?xi32>, tensor<?xi32>
  %xs = ingot.gather_rows %x, %toks : tensor<?x8xf32>, tensor<?xi32> -> tensor<?x8xf32>
  %gs = ingot.grouped_matmul %xs, %g, %eoff : tensor<?x8xf32>, tensor<6x5x8xf32>, tensor<7xi32> -> tensor<?x5xf32>
  %us = ingot.grouped_matmul %xs, %u, %eoff : tensor<?x8xf32>, tensor<6x5x8xf32>, tensor<7xi32> -> tensor<?x5xf32>
  %a = ingot.silu %gs : tensor<?x5xf32>
  %p = ingot.mul %a, %us : tensor<?x5xf32>, tensor<?x5xf32> -> tensor<?x5xf32>
  %ds = ingot.grouped_matmul %p, %d, %eoff : tensor<?x5xf32>, tensor<6x8x5xf32>, tensor<7xi32> -> tensor<?x8xf32>
  %pw = ingot.gather_rows %w, %pairs : tensor<?xf32>, tensor<?xi32> -> tensor<?xf32>
  %z = ingot.zeros_like %x : tensor<?x8xf32>
  %y = ingot.scatter_add %ds, %toks scale %pw into %z : tensor<?x8xf32>, tensor<?xi32>, tensor<?xf32> into tensor<?x8xf32>
  return %y, %off : tensor<?x8xf32>, tensor<?xi32>
}
)mlir";
  size_t at;
  while ((at = text.find("RULE")) != std::string::npos)
    text.replace(at, 4, rule.str());
  return text;
}

const char *const kMoeRules[] = {
    "#ingot.routing<top_k, k = 2>",
    "#ingot.routing<top_p, p = 0.7, max = 4>",
    "#ingot.routing<threshold, t = 0.2, max = 3>",
};

/// Router logits for 7 tokens over 6 experts; expert 5 is never chosen.
RefValue moeLogits() {
  RefValue logits = randomTensor({7, 6}, 21, 1.5f);
  for (int64_t t = 0; t < 7; ++t)
    logits.getFloats()[t * 6 + 5] = -30.0f;
  return logits;
}

TEST_F(EvaluatorTest, DenseMoeMatchesSparseForEveryRule) {
  RefValue x = randomTensor({7, 8}, 22);
  RefValue g = randomTensor({6, 5, 8}, 23, 0.5f),
           u = randomTensor({6, 5, 8}, 24, 0.5f),
           d = randomTensor({6, 8, 5}, 25, 0.5f);
  std::set<int64_t> pairCounts;
  for (const char *rule : kMoeRules) {
    SCOPED_TRACE(rule);
    OwningOpRef<ModuleOp> module = parse(moeModule(rule));
    ASSERT_TRUE(module);
    std::vector<RefValue> args = {x, moeLogits(), g, u, d};
    auto dense = run(*module, "dense", args);
    ASSERT_TRUE(bool(dense)) << llvm::toString(dense.takeError());
    auto sparse = run(*module, "sparse", args);
    ASSERT_TRUE(bool(sparse)) << llvm::toString(sparse.takeError());
    expectClose((*sparse)[0], (*dense)[0], "moe output");
    pairCounts.insert((*dense)[1].getInts().back());
    // Not all zero: the experts did contribute.
    double norm = 0.0;
    for (float value : (*dense)[0].getFloats())
      norm += std::fabs(value);
    EXPECT_GT(norm, 1e-3);
  }
  // The three rules do route differently.
  EXPECT_GT(pairCounts.size(), 1u);
}

TEST_F(EvaluatorTest, UnselectedNaNExpertDoesNotChangeTheOutput) {
  RefValue x = randomTensor({7, 8}, 22);
  RefValue g = randomTensor({6, 5, 8}, 23, 0.5f),
           u = randomTensor({6, 5, 8}, 24, 0.5f),
           d = randomTensor({6, 8, 5}, 25, 0.5f);
  // Expert 5's weights are NaN; the logits never select it.
  RefValue gNaN = g, uNaN = u, dNaN = d;
  float nan = std::numeric_limits<float>::quiet_NaN();
  for (RefValue *w : {&gNaN, &uNaN, &dNaN}) {
    int64_t perExpert = w->getNumElements() / 6;
    std::fill(w->getFloats().begin() + 5 * perExpert, w->getFloats().end(),
              nan);
  }
  for (const char *rule : kMoeRules) {
    SCOPED_TRACE(rule);
    OwningOpRef<ModuleOp> module = parse(moeModule(rule));
    ASSERT_TRUE(module);
    for (StringRef form : {"sparse", "dense"}) {
      SCOPED_TRACE(form.str());
      auto clean = run(*module, form, {x, moeLogits(), g, u, d});
      ASSERT_TRUE(bool(clean)) << llvm::toString(clean.takeError());
      auto poisoned = run(*module, form, {x, moeLogits(), gNaN, uNaN, dNaN});
      ASSERT_TRUE(bool(poisoned)) << llvm::toString(poisoned.takeError());
      EXPECT_EQ((*poisoned)[0].getFloats(), (*clean)[0].getFloats());
      for (float value : (*poisoned)[0].getFloats())
        EXPECT_TRUE(std::isfinite(value));
    }
  }
}

TEST_F(EvaluatorTest, RouteTopPGivesTokensDifferentExpertCounts) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @route(%l: tensor<?x6xf32>) -> (tensor<?xi32>, tensor<?xi32>, tensor<?xf32>) {
  %o, %e, %w = ingot.route %l {rule = #ingot.routing<top_p, p = 0.6, max = 4>, scoring = #ingot<scoring softmax>, renormalize} : tensor<?x6xf32> -> tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
  return %o, %e, %w : tensor<?xi32>, tensor<?xi32>, tensor<?xf32>
}
)mlir");
  ASSERT_TRUE(module);
  // One dominant expert; two strong ones; a flat row (capped at 4).
  RefValue logits = RefValue::getFloatTensor(
      {3, 6}, {8.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,  //
               0.0f, 3.0f, 3.0f, -5.0f, -5.0f, -5.0f, //
               0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f});
  auto results = run(*module, "route", {logits});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ((*results)[0].getInts(), (std::vector<int64_t>{0, 1, 3, 7}));
  // Highest score first, ties to the lower index.
  EXPECT_EQ((*results)[1].getInts(),
            (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 3}));
  // Renormalized: each token's weights sum to 1.
  const std::vector<float> &w = (*results)[2].getFloats();
  EXPECT_FLOAT_EQ(w[0], 1.0f);
  EXPECT_NEAR(w[1] + w[2], 1.0f, 1e-6);
  EXPECT_NEAR(w[3] + w[4] + w[5] + w[6], 1.0f, 1e-6);
  EXPECT_FLOAT_EQ(w[3], 0.25f);
}

//===----------------------------------------------------------------------===//
// Weights, constants, scalars
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, WeightsAreReadOnceAndRounded) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
ingot.weight_decl @w : tensor<2x32xf32, #ingot.block<q8_0>> {source = "w.weight"}
ingot.weight_decl @h : tensor<3xf16>
func.func @f(%x: tensor<?x32xf32>) -> (tensor<?x2xf32>, tensor<3xf16>) {
  %w = ingot.weight @w : tensor<2x32xf32, #ingot.block<q8_0>>
  %y = ingot.matmul %x, %w transpose_b : tensor<?x32xf32>, tensor<2x32xf32, #ingot.block<q8_0>> -> tensor<?x2xf32>
  %w2 = ingot.weight @w : tensor<2x32xf32, #ingot.block<q8_0>>
  %y2 = ingot.matmul %x, %w2 transpose_b : tensor<?x32xf32>, tensor<2x32xf32, #ingot.block<q8_0>> -> tensor<?x2xf32>
  %s = ingot.add %y, %y2 : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
  %h = ingot.weight @h : tensor<3xf16>
  return %s, %h : tensor<?x2xf32>, tensor<3xf16>
}
)mlir");
  ASSERT_TRUE(module);
  // The reader gives logical (dequantized) values, whatever the encoding.
  std::vector<float> w(64);
  for (int i = 0; i < 64; ++i)
    w[i] = static_cast<float>(i);
  weights.set("w", w);
  weights.set("h", {1.0f + 1.0f / 4096, 2.0f, -0.5f});
  Evaluator evaluator(weights);
  func::FuncOp fn = lookup(*module, "f");
  std::vector<float> input(32, 0.0f);
  input[0] = 1.0f;
  input[2] = -1.0f;
  RefValue x = RefValue::getFloatTensor({1, 32}, input);
  for (int i = 0; i < 2; ++i) {
    auto results = evaluator.run(fn, {x});
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
    EXPECT_EQ((*results)[0].getFloats(), (std::vector<float>{-4, -4}));
    // 1 + 2^-12 rounds to 1 in f16.
    EXPECT_EQ((*results)[1].getFloats(), (std::vector<float>{1, 2, -0.5f}));
  }
  EXPECT_EQ(weights.getNumReads(), 2); // @w and @h, once each
}

// A weight folded at compile time (--ingot-fold-weights) carries its values:
// the evaluator reads them from the decl, not from the reader.
TEST_F(EvaluatorTest, InlineWeightValues) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
ingot.weight_decl @w.folded : tensor<2x2xf32> {value = dense<[[1.0, 3.0], [2.0, 4.0]]> : tensor<2x2xf32>}
func.func @f() -> tensor<2x2xf32> {
  %w = ingot.weight @w.folded : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}
)mlir");
  ASSERT_TRUE(module);
  auto results = run(*module, "f", {});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ((*results)[0].getFloats(), (std::vector<float>{1, 3, 2, 4}));
  EXPECT_EQ(weights.getNumReads(), 0);
}

TEST_F(EvaluatorTest, WeightErrors) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
ingot.weight_decl @w : tensor<2x3xf32>
func.func @f() -> tensor<2x3xf32> {
  %w = ingot.weight @w : tensor<2x3xf32>
  return %w : tensor<2x3xf32>
}
)mlir");
  ASSERT_TRUE(module);
  std::string error = errorOf(*module, "f", {});
  EXPECT_TRUE(isOneLine(error));
  EXPECT_NE(error.find("ingot.weight at"), std::string::npos) << error;
  EXPECT_NE(error.find("no values were given for weight @w"),
            std::string::npos)
      << error;
  weights.set("w", {1, 2, 3});
  error = errorOf(*module, "f", {});
  EXPECT_NE(error.find("the weight reader gave 3 values for a 2x3 tensor"),
            std::string::npos)
      << error;
}

TEST_F(EvaluatorTest, RandomWeightsAreDeterministic) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
ingot.weight_decl @a : tensor<4x16xf32>
ingot.weight_decl @b : tensor<4x16xf32>
ingot.weight_decl @n : tensor<16xf32>
)mlir");
  ASSERT_TRUE(module);
  auto decls = module->getOps<mlir::ingot::WeightDeclOp>();
  std::vector<mlir::ingot::WeightDeclOp> list(decls.begin(), decls.end());
  RandomWeightReader one(7), again(7), other(8);
  auto a1 = one.read(list[0]), a2 = again.read(list[0]), a3 = other.read(list[0]);
  auto b1 = one.read(list[1]), n1 = one.read(list[2]);
  ASSERT_TRUE(a1 && a2 && a3 && b1 && n1);
  EXPECT_EQ(*a1, *a2);
  EXPECT_NE(*a1, *a3);
  EXPECT_NE(*a1, *b1);
  for (float value : *a1)
    EXPECT_LE(std::fabs(value), 0.25f); // 1 / sqrt(16)
  for (float value : *n1)
    EXPECT_NEAR(value, 1.0f, 0.125f);
}

TEST_F(EvaluatorTest, ConstantsScalarsAndSmallOps) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @f(%ids: tensor<?xi32>, %n: index) -> (tensor<?xi32>, index, i32, tensor<2x2xf32>, tensor<?x2xf32>, tensor<3xi32>, index) {
  %iota = ingot.iota %n : tensor<?xi32>
  %c1 = arith.constant 1 : index
  %idx = tensor.extract %ids[%c1] : tensor<?xi32>
  %i = arith.index_cast %idx : i32 to index
  %c3 = arith.constant 3 : index
  %m = arith.muli %i, %c3 : index
  %s = arith.subi %m, %c1 : index
  %big = arith.constant 2147483647 : i32
  %one = arith.constant 1 : i32
  %wrapped = arith.addi %big, %one : i32
  %c = ingot.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %r = ingot.reshape %c : tensor<2x2xf32> -> tensor<?x2xf32>
  %z = ingot.zeros_like %r : tensor<?x2xf32>
  %k = arith.constant dense<[7, 8, 9]> : tensor<3xi32>
  %d = tensor.dim %z, %c1 : tensor<?x2xf32>
  return %iota, %s, %wrapped, %c, %z, %k, %d : tensor<?xi32>, index, i32, tensor<2x2xf32>, tensor<?x2xf32>, tensor<3xi32>, index
}
)mlir");
  ASSERT_TRUE(module);
  auto results =
      run(*module, "f", {ints({4, 5, 6}), RefValue::getScalar(4)});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ((*results)[0].getInts(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ((*results)[1].getScalar(), 14);
  EXPECT_EQ((*results)[2].getScalar(), -2147483648LL);
  EXPECT_EQ((*results)[3].getFloats(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ((*results)[4].getShape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*results)[4].getFloats(), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ((*results)[5].getInts(), (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ((*results)[6].getScalar(), 2);
}

TEST_F(EvaluatorTest, IotaWithOffset) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @f(%n: index, %start: index) -> tensor<?xi32> {
  %pos = ingot.iota %n offset %start : tensor<?xi32>
  return %pos : tensor<?xi32>
}
)mlir");
  ASSERT_TRUE(module);
  auto results =
      run(*module, "f", {RefValue::getScalar(3), RefValue::getScalar(5)});
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ((*results)[0].getInts(), (std::vector<int64_t>{5, 6, 7}));
  // Negative: positions that do not fit i32.
  std::string error = errorOf(
      *module, "f", {RefValue::getScalar(3), RefValue::getScalar(-1)});
  EXPECT_NE(error.find("offset -1 is out of range"), std::string::npos)
      << error;
}

TEST_F(EvaluatorTest, RopeScalingFrequencies) {
  // Linear scaling divides every frequency; llama3 keeps the highest
  // frequency and divides the lowest by the factor (Hugging Face's bands).
  auto scaling = [&](StringRef text) {
    return cast<mlir::ingot::RopeScalingAttr>(parseAttribute(text, &context));
  };
  auto plain = getRopeFrequencies(10000.0, 16, {}).first;
  auto linear =
      getRopeFrequencies(10000.0, 16,
                         scaling("#ingot.rope_scaling<linear, factor = 4.0>"))
          .first;
  auto llama3 = getRopeFrequencies(
                    10000.0, 16,
                    scaling("#ingot.rope_scaling<llama3, factor = 8.0, "
                            "low_freq_factor = 1.0, high_freq_factor = 4.0, "
                            "original_max_position = 8192>"))
                    .first;
  ASSERT_EQ(plain.size(), 8u);
  for (size_t i = 0; i < 8; ++i)
    EXPECT_DOUBLE_EQ(linear[i], plain[i] / 4.0);
  EXPECT_DOUBLE_EQ(llama3[0], plain[0]);
  EXPECT_DOUBLE_EQ(llama3[7], plain[7] / 8.0);
  EXPECT_GT(llama3[6], plain[6] / 8.0);
  EXPECT_LT(llama3[6], plain[6]);
  auto [yarn, factor] = getRopeFrequencies(
      10000.0, 16,
      scaling("#ingot.rope_scaling<yarn, factor = 4.0, original_max_position "
              "= 256, beta_fast = 32.0, beta_slow = 1.0, attn_factor = 1.5>"));
  EXPECT_DOUBLE_EQ(factor, 1.5);
  EXPECT_DOUBLE_EQ(yarn[0], plain[0]);       // extrapolated
  EXPECT_DOUBLE_EQ(yarn[7], plain[7] / 4.0); // interpolated
}

//===----------------------------------------------------------------------===//
// Errors: one line, naming the op; never a crash
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, TokenIdOutOfRange) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @f(%t: tensor<10x4xf32>, %ids: tensor<?xi32>) -> tensor<?x4xf32> {
  %y = ingot.embedding %t, %ids : tensor<10x4xf32>, tensor<?xi32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  RefValue table = randomTensor({10, 4}, 1);
  for (int64_t bad : {10, -1}) {
    std::string error = errorOf(*module, "f", {table, ints({3, bad, 2})});
    EXPECT_TRUE(isOneLine(error)) << error;
    EXPECT_NE(error.find("ingot.embedding at "), std::string::npos) << error;
    EXPECT_NE(error.find("token id " + std::to_string(bad) +
                         " at position 1 is out of range of the 10-row "
                         "embedding table"),
              std::string::npos)
        << error;
  }
}

TEST_F(EvaluatorTest, KVWritePastCapacity) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @f(%c: !ingot.kv_cache<4x1x2xf16>, %v: tensor<?x1x2xf32>, %pos: index) -> !ingot.kv_cache<4x1x2xf16> {
  %c1 = ingot.kv_write %c, %v, %pos : !ingot.kv_cache<4x1x2xf16>, tensor<?x1x2xf32>
  return %c1 : !ingot.kv_cache<4x1x2xf16>
}
func.func @read(%c: !ingot.kv_cache<4x1x2xf16>, %n: index) -> tensor<?x1x2xf32> {
  %r = ingot.kv_read %c, %n : !ingot.kv_cache<4x1x2xf16> -> tensor<?x1x2xf32>
  return %r : tensor<?x1x2xf32>
}
)mlir");
  ASSERT_TRUE(module);
  RefValue cache = RefValue::getKVCache(4, 1, 2);
  // Positions 2, 3 fit; 3, 4 do not; a negative position never does.
  EXPECT_EQ(errorOf(*module, "f",
                    {cache, randomTensor({2, 1, 2}, 1),
                     RefValue::getScalar(2)}),
            "");
  std::string error = errorOf(
      *module, "f", {cache, randomTensor({2, 1, 2}, 1), RefValue::getScalar(3)});
  EXPECT_TRUE(isOneLine(error)) << error;
  EXPECT_NE(error.find("ingot.kv_write at "), std::string::npos) << error;
  EXPECT_NE(error.find("writing 2 positions at position 3 overflows the "
                       "cache capacity 4"),
            std::string::npos)
      << error;
  EXPECT_NE(errorOf(*module, "f",
                    {cache, randomTensor({1, 1, 2}, 1),
                     RefValue::getScalar(-1)}),
            "");
  error = errorOf(*module, "read", {cache, RefValue::getScalar(5)});
  EXPECT_NE(error.find("cannot read 5 positions of a cache of capacity 4"),
            std::string::npos)
      << error;
}

TEST_F(EvaluatorTest, ShapesAreCheckedAgainstStaticTypes) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @f(%a: tensor<?x5xf32>, %b: tensor<4x5xf32>) -> tensor<3x4xf32> {
  %y = ingot.matmul %a, %b transpose_b : tensor<?x5xf32>, tensor<4x5xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
func.func @g(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = ingot.add %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  // An argument of the wrong static size.
  std::string error = errorOf(
      *module, "f", {randomTensor({3, 5}, 1), randomTensor({4, 6}, 2)});
  EXPECT_TRUE(isOneLine(error)) << error;
  EXPECT_NE(error.find("argument #1 of @f must be a value of type "
                       "tensor<4x5xf32>, got a float tensor 4x6"),
            std::string::npos)
      << error;
  // An argument of the wrong kind.
  error = errorOf(*module, "f", {ints({1, 2}), randomTensor({4, 5}, 2)});
  EXPECT_NE(error.find("argument #0 of @f"), std::string::npos) << error;
  // A result whose runtime shape contradicts its static type.
  error = errorOf(*module, "f",
                  {randomTensor({2, 5}, 1), randomTensor({4, 5}, 2)});
  EXPECT_NE(error.find("ingot.matmul at "), std::string::npos) << error;
  EXPECT_NE(error.find("result #0 must be a value of type tensor<3x4xf32>, "
                       "got a float tensor 2x4"),
            std::string::npos)
      << error;
  // Dynamic sizes that do not broadcast at run time.
  error = errorOf(*module, "g",
                  {randomTensor({3, 4}, 1), randomTensor({2, 4}, 2)});
  EXPECT_NE(error.find("cannot broadcast shapes 3x4 and 2x4"),
            std::string::npos)
      << error;
  // The wrong number of arguments.
  error = errorOf(*module, "g", {randomTensor({3, 4}, 1)});
  EXPECT_NE(error.find("@g takes 2 arguments, got 1"), std::string::npos)
      << error;
  // Data that does not fill the shape.
  error = errorOf(*module, "g",
                  {RefValue::getFloatTensor({3, 4}, {1, 2}),
                   randomTensor({3, 4}, 2)});
  EXPECT_NE(error.find("its data has 2 elements"), std::string::npos) << error;
}

TEST_F(EvaluatorTest, MalformedIndicesAreErrors) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @gather(%x: tensor<3x2xf32>, %i: tensor<?xi32>) -> tensor<?x2xf32> {
  %y = ingot.gather_rows %x, %i : tensor<3x2xf32>, tensor<?xi32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
func.func @sort(%off: tensor<?xi32>, %ids: tensor<?xi32>) -> (tensor<4xi32>, tensor<?xi32>, tensor<?xi32>) {
  %e, %p, %t = ingot.moe_sort %off, %ids {num_experts = 3 : i64} : tensor<?xi32>, tensor<?xi32> -> tensor<4xi32>, tensor<?xi32>, tensor<?xi32>
  return %e, %p, %t : tensor<4xi32>, tensor<?xi32>, tensor<?xi32>
}
func.func @grouped(%x: tensor<?x2xf32>, %w: tensor<3x2x2xf32>, %e: tensor<4xi32>) -> tensor<?x2xf32> {
  %y = ingot.grouped_matmul %x, %w, %e : tensor<?x2xf32>, tensor<3x2x2xf32>, tensor<4xi32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
func.func @scatter(%s: tensor<?x2xf32>, %i: tensor<?xi32>, %d: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %y = ingot.scatter_add %s, %i into %d : tensor<?x2xf32>, tensor<?xi32> into tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
func.func @slice(%x: tensor<?xi32>, %o: index, %n: index) -> tensor<?xi32> {
  %y = tensor.extract_slice %x[%o] [%n] [1] : tensor<?xi32> to tensor<?xi32>
  return %y : tensor<?xi32>
}
)mlir");
  ASSERT_TRUE(module);
  std::string error =
      errorOf(*module, "gather", {randomTensor({3, 2}, 1), ints({0, 3})});
  EXPECT_NE(error.find("index 3 at position 1 is out of range"),
            std::string::npos)
      << error;
  error = errorOf(*module, "sort", {ints({0, 1, 2}), ints({0, 3})});
  EXPECT_NE(error.find("expert id 3 of pair 1 is out of range of 3 experts"),
            std::string::npos)
      << error;
  error = errorOf(*module, "sort", {ints({0, 2, 1}), ints({0, 1})});
  EXPECT_NE(error.find("offsets must"), std::string::npos) << error;
  error = errorOf(*module, "grouped",
                  {randomTensor({2, 2}, 1), randomTensor({3, 2, 2}, 2),
                   ints({0, 1, 1, 3})});
  EXPECT_NE(error.find("expert_offsets must run from 0 to the number of rows"),
            std::string::npos)
      << error;
  error = errorOf(*module, "scatter",
                  {randomTensor({1, 2}, 1), ints({2}), randomTensor({2, 2}, 2)});
  EXPECT_NE(error.find("index 2 at position 0 is out of range of the 2 rows"),
            std::string::npos)
      << error;
  error = errorOf(*module, "slice",
                  {ints({1, 2, 3}), RefValue::getScalar(2),
                   RefValue::getScalar(2)});
  EXPECT_NE(error.find("tensor.extract_slice at "), std::string::npos)
      << error;
}

TEST_F(EvaluatorTest, UnsupportedOpsAreNamed) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @div(%a: index, %b: index) -> index {
  %c = arith.divsi %a, %b : index
  return %c : index
}
)mlir");
  ASSERT_TRUE(module);
  std::string error = errorOf(
      *module, "div", {RefValue::getScalar(6), RefValue::getScalar(2)});
  EXPECT_TRUE(isOneLine(error)) << error;
  EXPECT_NE(error.find("arith.divsi at "), std::string::npos) << error;
  EXPECT_NE(error.find("not supported by the reference evaluator"),
            std::string::npos)
      << error;
}

TEST_F(EvaluatorTest, QuantizedCachesStoreEncodedEntries) {
  // q4, one block of 4: max 1.0, the scale the smallest f16 >= 1/7,
  // 0.125 * (1 + 147/1024) = 0.142944336; values round(x / s) * s:
  // 7s, 2s, -4s, 0. By hand, not from the kernel.
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @q4(%c: !ingot.kv_cache<2x1x4xf32, #ingot.kv_quant<q4>>, %v: tensor<1x1x4xf32>, %p: index) -> tensor<?x1x4xf32> {
  %c1 = ingot.kv_write %c, %v, %p : !ingot.kv_cache<2x1x4xf32, #ingot.kv_quant<q4>>, tensor<1x1x4xf32>
  %n = arith.constant 1 : index
  %r = ingot.kv_read %c1, %n : !ingot.kv_cache<2x1x4xf32, #ingot.kv_quant<q4>> -> tensor<?x1x4xf32>
  return %r : tensor<?x1x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  RefValue values = RefValue::getFloatTensor({1, 1, 4}, {1.0f, 0.3f, -0.6f,
                                                         0.05f});
  auto results = run(*module, "q4",
                     {RefValue::getKVCache(2, 1, 4), values,
                      RefValue::getScalar(0)});
  ASSERT_TRUE(static_cast<bool>(results)) << toString(results.takeError());
  const std::vector<float> &read = (*results)[0].getFloats();
  const double s = 0.142944336;
  const double expected[] = {7 * s, 2 * s, -4 * s, 0.0};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(read[i], expected[i], 1e-7) << i;
  // --exact-kv-caches stores the entries as they are.
  Evaluator exact(weights, EvaluatorOptions{/*exactKVCaches=*/true});
  auto exactResults =
      exact.run(module->lookupSymbol<func::FuncOp>("q4"),
                {RefValue::getKVCache(2, 1, 4), values,
                 RefValue::getScalar(0)});
  ASSERT_TRUE(static_cast<bool>(exactResults));
  EXPECT_EQ((*exactResults)[0].getFloats(), values.getFloats());
}

// The boolean mask and select kernels against values worked out by hand.
TEST(ReferenceKernels, BooleanMaskSelect) {
  using mlir::ingot::MaskKind;
  float inf = std::numeric_limits<float>::infinity();
  RefValue queries = RefValue::getIntTensor({2}, {2, 3});
  RefValue keys = RefValue::getIntTensor({4}, {0, 1, 2, 3});
  auto causal = mask(MaskKind::causal, 0, queries, keys, /*boolean=*/true);
  ASSERT_TRUE(bool(causal)) << llvm::toString(causal.takeError());
  expectClose(*causal, RefValue::getIntTensor({2, 4}, {1, 1, 1, 0, 1, 1, 1, 1}),
              "causal");
  auto window =
      mask(MaskKind::sliding_window, 2, queries, keys, /*boolean=*/true);
  ASSERT_TRUE(bool(window)) << llvm::toString(window.takeError());
  expectClose(*window, RefValue::getIntTensor({2, 4}, {0, 1, 1, 0, 0, 0, 1, 1}),
              "sliding window");

  // select(mask [2,4], scores [2,2,4], -inf scalar): two heads broadcast.
  std::vector<float> scores(16);
  for (int i = 0; i < 16; ++i)
    scores[i] = float(i);
  auto selected = select(*causal, RefValue::getFloatTensor({2, 2, 4}, scores),
                         RefValue::getFloatTensor({}, {-inf}));
  ASSERT_TRUE(bool(selected)) << llvm::toString(selected.takeError());
  expectClose(
      *selected,
      RefValue::getFloatTensor({2, 2, 4}, {0, 1, 2, -inf, 4, 5, 6, 7, 8, 9, 10,
                                           -inf, 12, 13, 14, 15}),
      "select");
  auto badShape = select(*causal, RefValue::getFloatTensor({3}, {1, 2, 3}),
                         RefValue::getFloatTensor({}, {0}));
  EXPECT_FALSE(bool(badShape));
  llvm::consumeError(badShape.takeError());
}

} // namespace
