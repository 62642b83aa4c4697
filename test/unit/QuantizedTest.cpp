//===- QuantizedTest.cpp - GPTQ and AWQ checkpoints -----------------------===//
//
// The pre-quantized fixtures of test/fixtures/quantized (made by
// make-quantized-fixtures.py, which checks its packing with an independent
// numpy unpacker) against their dequantized float models: the same weights
// bit for bit, the group encoding on the linear layers, the same logits.
// Then the packed layouts on hand-made words, and malformed tensors, each a
// one-line error naming the tensor.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/Evaluator.h"
#include "compiler/reference/Session.h"
#include "frontends/hf/Quantized.h"
#include "frontends/import/Model.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

using namespace mlir;
using namespace mlir::ingot;
using ::ingot::hf::QuantizationConfig;
using ::ingot::hf::QuantizedLinear;
using ::ingot::hf::QuantMethod;
using ::ingot::hf::SafetensorsCheckpoint;
using ::ingot::hf::SafetensorsFile;

namespace {

std::string quantizedPath(llvm::StringRef model, llvm::StringRef file = "") {
  llvm::SmallString<256> path(INGOT_QUANTIZED_FIXTURES_DIR);
  llvm::sys::path::append(path, model, file);
  return std::string(path);
}

class ModelWeights : public ::ingot::reference::WeightReader {
public:
  explicit ModelWeights(const ImportedModel &model) : model(model) {}
  llvm::Expected<std::vector<float>> read(WeightDeclOp decl) override {
    return model.readWeight(decl.getSymName());
  }

private:
  const ImportedModel &model;
};

/// The logits of a prefill of `prompt` then one decode step per `decode`
/// token, rows concatenated.
llvm::Expected<std::vector<float>> run(const ImportedModel &model,
                                       llvm::ArrayRef<int64_t> prompt,
                                       llvm::ArrayRef<int64_t> decode) {
  auto module = model.buildModule(BuildOptions());
  if (!module)
    return module.takeError();
  ModelWeights weights(model);
  ::ingot::reference::Evaluator evaluator(weights);
  ::ingot::reference::Session session(
      evaluator, (**module).lookupSymbol<func::FuncOp>("forward"));
  if (llvm::Error e = session.init())
    return e;
  std::vector<float> all;
  std::vector<std::vector<int64_t>> steps = {prompt.vec()};
  for (int64_t id : decode)
    steps.push_back({id});
  for (const std::vector<int64_t> &ids : steps) {
    auto rows = session.step(ids);
    if (!rows)
      return rows.takeError();
    for (const std::vector<float> &row : *rows)
      all.insert(all.end(), row.begin(), row.end());
  }
  return all;
}

struct Fixture {
  const char *name;
  int64_t groupSize; ///< 0: no encoding (act-order)
  bool symmetric;
};

void PrintTo(const Fixture &f, std::ostream *os) { *os << f.name; }

class QuantizedFixtureTest : public ::testing::TestWithParam<Fixture> {};

TEST_P(QuantizedFixtureTest, MatchesDequantizedFloatModel) {
  const Fixture &f = GetParam();
  MLIRContext context;
  auto quantized = ImportedModel::open(context, quantizedPath(f.name));
  ASSERT_TRUE(bool(quantized)) << llvm::toString(quantized.takeError());
  auto floats = ImportedModel::open(context, quantizedPath(f.name, "float"));
  ASSERT_TRUE(bool(floats)) << llvm::toString(floats.takeError());

  const WeightTable &qw = (*quantized)->getWeights();
  const WeightTable &fw = (*floats)->getWeights();
  ASSERT_EQ(qw.size(), fw.size());
  int encoded = 0;
  for (const auto &entry : fw) {
    llvm::StringRef name = entry.first();
    SCOPED_TRACE(name.str());
    auto it = qw.find(name);
    ASSERT_NE(it, qw.end());
    RankedTensorType qt = it->second.type, ft = entry.second.type;
    EXPECT_EQ(qt.getShape(), ft.getShape());
    EXPECT_TRUE(qt.getElementType().isF32());
    bool linear = llvm::StringRef(it->second.source).ends_with(".qweight");
    if (linear && f.groupSize) {
      EXPECT_EQ(qt.getEncoding(),
                GroupQuantAttr::get(&context, 4, f.groupSize, f.symmetric));
      ++encoded;
    } else {
      EXPECT_FALSE(qt.getEncoding());
    }
    // The numpy dequantization, bit for bit.
    auto q = (*quantized)->readWeight(name);
    ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
    auto fl = (*floats)->readWeight(name);
    ASSERT_TRUE(bool(fl)) << llvm::toString(fl.takeError());
    ASSERT_EQ(q->size(), fl->size());
    EXPECT_EQ(0, std::memcmp(q->data(), fl->data(), 4 * q->size()));

    // The stored codes, scales and zero points give the same values.
    auto raw = (*quantized)->readGroupQuantized(name);
    if (!qt.getEncoding()) {
      EXPECT_FALSE(bool(raw));
      llvm::consumeError(raw.takeError());
      continue;
    }
    ASSERT_TRUE(bool(raw)) << llvm::toString(raw.takeError());
    ASSERT_EQ(raw->rows * raw->cols, int64_t(q->size()));
    ASSERT_EQ(raw->groupSize, f.groupSize);
    int64_t groups = raw->cols / raw->groupSize;
    ASSERT_EQ(int64_t(raw->scales.size()), raw->rows * groups);
    ASSERT_EQ(raw->zeros.size(), raw->scales.size());
    for (int64_t r = 0; r < raw->rows; ++r)
      for (int64_t c = 0; c < raw->cols; ++c) {
        int64_t g = r * groups + c / raw->groupSize;
        uint8_t code = raw->codes[r * raw->cols + c];
        ASSERT_LT(code, 16);
        if (f.symmetric) {
          ASSERT_EQ(raw->zeros[g], 8);
        }
        ASSERT_EQ(raw->scales[g] * float(int32_t(code) - raw->zeros[g]),
                  (*q)[r * raw->cols + c]);
      }
  }
  // 7 linear weights in each of 2 layers (q, k, v, o and the FFN's three,
  // which mixtral stacks over its experts).
  EXPECT_EQ(encoded, f.groupSize ? 14 : 0);

  // The llama fixture's `short` case: "The tokens are", then " small.".
  std::vector<int64_t> prompt = {0, 298, 281, 304, 85, 262, 268};
  std::vector<int64_t> decode = {263, 314, 16};
  auto ql = run(**quantized, prompt, decode);
  ASSERT_TRUE(bool(ql)) << llvm::toString(ql.takeError());
  auto fl = run(**floats, prompt, decode);
  ASSERT_TRUE(bool(fl)) << llvm::toString(fl.takeError());
  ASSERT_EQ(ql->size(), fl->size());
  ASSERT_EQ(ql->size(), 10u * 320u);
  double err = 0, scale = 0;
  for (size_t i = 0; i < fl->size(); ++i) {
    err = std::max(err, std::fabs(double((*ql)[i]) - double((*fl)[i])));
    scale = std::max(scale, std::fabs(double((*fl)[i])));
  }
  EXPECT_LE(err, 1e-4 * std::max(1.0, scale));
  EXPECT_GT(scale, 0.1);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, QuantizedFixtureTest,
    ::testing::Values(Fixture{"llama-gptq", 32, false},
                      Fixture{"llama-gptq-sym", 64, true},
                      Fixture{"llama-gptq-actorder", 0, false},
                      Fixture{"llama-awq", 32, false},
                      Fixture{"mixtral-gptq", 32, false}),
    [](const ::testing::TestParamInfo<Fixture> &info) {
      std::string name = info.param.name;
      for (char &c : name)
        if (c == '-')
          c = '_';
      return name;
    });

//===----------------------------------------------------------------------===//
// Writing checkpoints
//===----------------------------------------------------------------------===//

struct RawTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// A safetensors file of `tensors`, in order.
std::string serialize(const std::vector<RawTensor> &tensors) {
  llvm::json::Object header;
  uint64_t offset = 0;
  std::string data;
  for (const RawTensor &t : tensors) {
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.name] = llvm::json::Object{
        {"dtype", t.dtype},
        {"shape", std::move(shape)},
        {"data_offsets",
         llvm::json::Array{offset, offset + uint64_t(t.bytes.size())}}};
    offset += t.bytes.size();
    data.append(t.bytes.begin(), t.bytes.end());
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  while (text.size() % 8)
    text += ' ';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[i] = char((uint64_t(text.size()) >> (8 * i)) & 0xff);
  return out + text + data;
}

std::vector<RawTensor> loadTensors(const std::string &path) {
  std::vector<RawTensor> tensors;
  auto file = SafetensorsFile::open(path);
  if (!file) {
    ADD_FAILURE() << llvm::toString(file.takeError());
    return tensors;
  }
  for (const auto &t : (*file)->getTensors())
    tensors.push_back({t.name.str(),
                       ::ingot::hf::getSafetensorsDTypeName(t.dtype).str(),
                       std::vector<int64_t>(t.shape.begin(), t.shape.end()),
                       std::vector<uint8_t>(t.bytes.begin(), t.bytes.end())});
  return tensors;
}

RawTensor *findTensor(std::vector<RawTensor> &tensors, llvm::StringRef name) {
  for (RawTensor &t : tensors)
    if (t.name == name)
      return &t;
  ADD_FAILURE() << "no tensor " << name.str();
  return nullptr;
}

/// Writes fixture `model` changed by `mutate` into a fresh directory and
/// returns the error opening it gives ("" if it opens).
std::string openMutated(llvm::StringRef model,
                        const std::function<void(std::vector<RawTensor> &)>
                            &mutate) {
  std::vector<RawTensor> tensors =
      loadTensors(quantizedPath(model, "model.safetensors"));
  mutate(tensors);
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("ingot-quantized", dir))
    return "cannot create a directory";
  auto config =
      llvm::MemoryBuffer::getFile(quantizedPath(model, "config.json"));
  if (!config)
    return "no config.json";
  auto write = [&](llvm::StringRef name, llvm::StringRef bytes) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << bytes;
  };
  write("config.json", (*config)->getBuffer());
  write("model.safetensors", serialize(tensors));
  MLIRContext context;
  auto opened = ImportedModel::open(context, dir);
  std::string message =
      opened ? std::string() : llvm::toString(opened.takeError());
  llvm::sys::fs::remove_directories(dir);
  return message;
}

/// Expects `message` to be one line containing `part`.
void expectError(const std::string &message, const std::string &part) {
  EXPECT_NE(message.find(part), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(QuantizedCheckpointTest, UnchangedFixtureOpens) {
  EXPECT_EQ(openMutated("llama-gptq", [](std::vector<RawTensor> &) {}), "");
}

TEST(QuantizedCheckpointTest, MissingScales) {
  std::string message = openMutated("llama-gptq", [](auto &tensors) {
    llvm::erase_if(tensors, [](const RawTensor &t) {
      return t.name == "model.layers.0.self_attn.q_proj.scales";
    });
  });
  expectError(message, "tensor 'model.layers.0.self_attn.q_proj.qweight': its "
                       "gptq companion "
                       "'model.layers.0.self_attn.q_proj.scales' is missing");
}

TEST(QuantizedCheckpointTest, ScalesOfAnIntegerType) {
  std::string message = openMutated("llama-gptq", [](auto &tensors) {
    findTensor(tensors, "model.layers.1.mlp.up_proj.scales")->dtype = "I16";
  });
  expectError(message, "tensor 'model.layers.1.mlp.up_proj.scales': dtype "
                       "I16, but scales must be F16 or BF16 or F32");
}

TEST(QuantizedCheckpointTest, QWeightNotI32) {
  std::string message = openMutated("llama-awq", [](auto &tensors) {
    findTensor(tensors, "model.layers.0.self_attn.v_proj.qweight")->dtype =
        "F32";
  });
  expectError(message, "tensor 'model.layers.0.self_attn.v_proj.qweight': "
                       "dtype F32 shape [64, 4], but a packed awq weight "
                       "must be a 2-D I32 tensor");
}

TEST(QuantizedCheckpointTest, ZerosOfTheWrongShape) {
  std::string message = openMutated("llama-gptq", [](auto &tensors) {
    findTensor(tensors, "model.layers.0.self_attn.k_proj.qzeros")->shape = {
        1, 8};
  });
  expectError(message, "tensor 'model.layers.0.self_attn.k_proj.qzeros': "
                       "shape [1, 8], but packed zero points must be [2, 4]");
}

TEST(QuantizedCheckpointTest, GroupIndexOutOfRange) {
  std::string message = openMutated("llama-gptq-actorder", [](auto &tensors) {
    findTensor(tensors, "model.layers.1.self_attn.o_proj.g_idx")->bytes[0] = 5;
  });
  expectError(message, "tensor 'model.layers.1.self_attn.o_proj.g_idx': "
                       "input channel 0 is in group 5, outside [0, 2)");
}

TEST(QuantizedCheckpointTest, GroupIndexOfTheWrongShape) {
  std::string message = openMutated("llama-gptq", [](auto &tensors) {
    findTensor(tensors, "model.layers.0.mlp.gate_proj.g_idx")->shape = {32, 2};
  });
  expectError(message, "tensor 'model.layers.0.mlp.gate_proj.g_idx': shape "
                       "[32, 2], but g_idx must be [64]");
}

//===----------------------------------------------------------------------===//
// Packed layouts on hand-made words
//===----------------------------------------------------------------------===//

RawTensor i32Tensor(std::string name, std::vector<int64_t> shape,
                    std::vector<uint32_t> words) {
  RawTensor t{std::move(name), "I32", std::move(shape), {}};
  for (uint32_t w : words)
    for (int i = 0; i < 4; ++i)
      t.bytes.push_back((w >> (8 * i)) & 0xff);
  return t;
}

/// A one-layer checkpoint `l.*` with 8 output and 8 input channels, one
/// group; scales 1.0 (f16 0x3c00) but row 1's 0.5 (0x3800).
std::unique_ptr<SafetensorsCheckpoint>
makeLayer(RawTensor qweight, uint32_t zeros) {
  RawTensor scales{"l.scales", "F16", {1, 8}, {}};
  for (int n = 0; n < 8; ++n) {
    scales.bytes.push_back(0);
    scales.bytes.push_back(n == 1 ? 0x38 : 0x3c);
  }
  std::string bytes = serialize(
      {qweight, i32Tensor("l.qzeros", {1, 1}, {zeros}), scales});
  auto file = SafetensorsFile::create(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "layer.safetensors"));
  if (!file) {
    ADD_FAILURE() << llvm::toString(file.takeError());
    return nullptr;
  }
  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  shards.push_back(std::move(*file));
  auto checkpoint = SafetensorsCheckpoint::create(std::move(shards));
  if (!checkpoint) {
    ADD_FAILURE() << llvm::toString(checkpoint.takeError());
    return nullptr;
  }
  return std::move(*checkpoint);
}

TEST(QuantizedLayoutTest, GPTQPacksAlongInputChannels) {
  // qweight [K/8 = 1, N = 8]: word n holds q[n][k] = (k + n) % 16 in nibble
  // k. Zero points stored 0x76543210: zero of row n is n + 1 (the offset).
  std::vector<uint32_t> words;
  for (uint32_t n = 0; n < 8; ++n) {
    uint32_t w = 0;
    for (uint32_t k = 0; k < 8; ++k)
      w |= ((k + n) % 16) << (4 * k);
    words.push_back(w);
  }
  auto checkpoint =
      makeLayer(i32Tensor("l.qweight", {1, 8}, words), 0x76543210);
  ASSERT_TRUE(checkpoint);
  QuantizationConfig config;
  config.method = QuantMethod::GPTQ;
  config.groupSize = 8;
  auto layer = QuantizedLinear::open(*checkpoint, "l", config);
  ASSERT_TRUE(bool(layer)) << llvm::toString(layer.takeError());
  EXPECT_EQ(layer->getOutFeatures(), 8);
  EXPECT_EQ(layer->getInFeatures(), 8);
  EXPECT_FALSE(layer->isSymmetric());
  std::vector<float> w;
  layer->dequantize(w);
  ASSERT_EQ(w.size(), 64u);
  for (int n = 0; n < 8; ++n)
    for (int k = 0; k < 8; ++k)
      EXPECT_EQ(w[n * 8 + k], (n == 1 ? 0.5f : 1.0f) * ((k + n) - (n + 1)))
          << n << ", " << k;
  // checkpoint_format gptq_v2: no offset.
  config.zeroOffset = false;
  layer = QuantizedLinear::open(*checkpoint, "l", config);
  ASSERT_TRUE(bool(layer)) << llvm::toString(layer.takeError());
  EXPECT_EQ(layer->getZero(3, 0), 3);
}

TEST(QuantizedLayoutTest, AWQInterleavesOutputChannels) {
  // qweight [K = 8, N/8 = 1]: row k's word holds nibble i = k + i. AWQ puts
  // output channel n in nibble [0, 4, 1, 5, 2, 6, 3, 7][n].
  std::vector<uint32_t> words;
  for (uint32_t k = 0; k < 8; ++k) {
    uint32_t w = 0;
    for (uint32_t i = 0; i < 8; ++i)
      w |= (k + i) << (4 * i);
    words.push_back(w);
  }
  // Zero points 8 everywhere: symmetric.
  auto checkpoint =
      makeLayer(i32Tensor("l.qweight", {8, 1}, words), 0x88888888);
  ASSERT_TRUE(checkpoint);
  QuantizationConfig config;
  config.method = QuantMethod::AWQ;
  config.groupSize = 8;
  config.zeroOffset = false;
  auto layer = QuantizedLinear::open(*checkpoint, "l", config);
  ASSERT_TRUE(bool(layer)) << llvm::toString(layer.takeError());
  EXPECT_TRUE(layer->isSymmetric());
  const int nibble[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  std::vector<float> w;
  layer->dequantize(w);
  ASSERT_EQ(w.size(), 64u);
  for (int n = 0; n < 8; ++n)
    for (int k = 0; k < 8; ++k)
      EXPECT_EQ(w[n * 8 + k], (n == 1 ? 0.5f : 1.0f) * (k + nibble[n] - 8))
          << n << ", " << k;
}

} // namespace
