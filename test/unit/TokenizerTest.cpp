//===- TokenizerTest.cpp - Tokenizer data against Hugging Face tokenizers -===//
//
// The fixture tokenizer (make-fixtures.py) is read from a GGUF file and from
// tokenizer.json; both must encode and decode the fixture texts exactly as
// the Hugging Face `tokenizers` package did (tokenizer-cases.json).
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUFReader.h"
#include "frontends/tokenizer/Tokenizer.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace ingot::tokenizer;

namespace {

std::string fixture(llvm::StringRef path) {
  return std::string(INGOT_MODEL_FIXTURES_DIR) + "/" + path.str();
}

void checkCases(const TokenizerData &data) {
  auto bpe = ByteLevelBPE::create(data);
  ASSERT_TRUE(bool(bpe)) << llvm::toString(bpe.takeError());
  auto buffer = llvm::MemoryBuffer::getFile(fixture("tokenizer-cases.json"));
  ASSERT_TRUE(bool(buffer));
  auto json = llvm::json::parse((*buffer)->getBuffer());
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  int checked = 0;
  for (const llvm::json::Value &value :
       *json->getAsObject()->getArray("cases")) {
    const llvm::json::Object &c = *value.getAsObject();
    std::string text = c.getString("text")->str();
    std::vector<int32_t> expected;
    for (const llvm::json::Value &id : *c.getArray("ids"))
      expected.push_back(static_cast<int32_t>(*id.getAsInteger()));
    EXPECT_EQ(bpe->encode(text), expected) << "encoding '" << text << "'";
    EXPECT_EQ(bpe->decode(expected), c.getString("decoded")->str());
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

TEST(TokenizerTest, GGUFMatchesHuggingFace) {
  auto file =
      ingot::gguf::GGUFReader::open(fixture("llama/model-f32.gguf"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  auto data = loadGGUFTokenizer(**file);
  ASSERT_TRUE(bool(data)) << llvm::toString(data.takeError());
  EXPECT_EQ(data->kind, TokenizerKind::ByteLevelBPE);
  EXPECT_EQ(data->tokens.size(), 320u);
  EXPECT_EQ(data->bosId, 0);
  EXPECT_EQ(data->eosId, 1);
  checkCases(*data);
}

TEST(TokenizerTest, TokenizerJsonMatchesHuggingFace) {
  auto data = loadHFTokenizer(fixture("llama/tokenizer.json"));
  ASSERT_TRUE(bool(data)) << llvm::toString(data.takeError());
  EXPECT_EQ(data->tokens.size(), 320u);
  checkCases(*data);
}

TEST(TokenizerTest, BadTokenizerJson) {
  auto data = loadHFTokenizer(fixture("llama/config.json"));
  ASSERT_FALSE(bool(data));
  std::string message = llvm::toString(data.takeError());
  EXPECT_NE(message.find("config.json: key 'model'"), std::string::npos)
      << message;
}

} // namespace
