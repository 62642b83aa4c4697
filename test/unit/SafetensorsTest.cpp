//===- SafetensorsTest.cpp - Unit tests of the Hugging Face readers -------===//
//
// The fixtures under test/fixtures/safetensors/ are written by the
// safetensors Python package (test/fixtures/make-safetensors-fixtures.py);
// their values follow formulas recomputed here. Malformed files, indexes and
// configurations are built in the tests, byte by byte.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/Safetensors.h"
#include "frontends/hf/Config.h"
#include "frontends/hf/JSONUtils.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>

#ifndef INGOT_SAFETENSORS_FIXTURES_DIR
#error "INGOT_SAFETENSORS_FIXTURES_DIR must name test/fixtures/safetensors"
#endif

using namespace ingot::hf;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string fixturePath(StringRef name) {
  return (llvm::Twine(INGOT_SAFETENSORS_FIXTURES_DIR) + "/" + name).str();
}

/// The error's message, or "" on success.
template <typename T>
std::string errorMessage(llvm::Expected<T> value) {
  if (value)
    return "";
  return llvm::toString(value.takeError());
}

bool isOneLine(StringRef message) {
  return !message.empty() && message.find_first_of("\r\n") == StringRef::npos;
}

/// Checks that `message` is one line, starts with "<file>: " and contains
/// every fragment.
void expectMessage(const std::string &message, StringRef file,
                   std::initializer_list<StringRef> fragments) {
  EXPECT_TRUE(isOneLine(message)) << "not one line: " << message;
  EXPECT_TRUE(StringRef(message).starts_with((file + ": ").str()))
      << "does not start with '" << file.str() << ": ': " << message;
  for (StringRef fragment : fragments)
    EXPECT_NE(message.find(fragment.str()), std::string::npos)
        << "'" << fragment.str() << "' not in: " << message;
}

/// A safetensors file: the header length, the header, the data.
std::string makeFile(StringRef header, StringRef data = "") {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), header.size());
  return bytes + header.str() + data.str();
}

/// A file whose header-length field says `length`, followed by `rest`.
std::string makeRawFile(uint64_t length, StringRef rest) {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), length);
  return bytes + rest.str();
}

constexpr StringRef kBadName = "bad.safetensors";

llvm::Expected<std::unique_ptr<SafetensorsFile>>
parseBytes(StringRef bytes, StringRef name = kBadName) {
  return SafetensorsFile::create(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, name));
}

/// The message of parsing `bytes`, which must fail.
std::string parseFailure(StringRef bytes) {
  auto file = parseBytes(bytes);
  EXPECT_FALSE(bool(file)) << "parsed " << bytes.size() << " bytes";
  return errorMessage(std::move(file));
}

/// Parses a file with one tensor entry `entry` for tensor "t" and `data`,
/// expecting an error naming the tensor and every fragment.
void expectTensorError(StringRef entry, StringRef data,
                       std::initializer_list<StringRef> fragments) {
  std::string header = ("{\"t\":" + entry + "}").str();
  std::string message = parseFailure(makeFile(header, data));
  SCOPED_TRACE(header);
  expectMessage(message, kBadName, {"tensor 't'"});
  expectMessage(message, kBadName, fragments);
}

/// Little-endian bytes of a list of values.
template <typename T>
std::string bytesOf(std::initializer_list<T> values) {
  std::string bytes;
  for (T value : values) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes.append(raw, sizeof(T));
  }
  return bytes;
}

StringRef asString(ArrayRef<uint8_t> bytes) {
  return StringRef(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

/// The bfloat16 bits of a float that bfloat16 holds exactly.
uint16_t toBF16(float value) {
  return static_cast<uint16_t>(llvm::bit_cast<uint32_t>(value) >> 16);
}

/// A fresh directory, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("ingot-hf-test", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }

  std::string file(StringRef name) const {
    llvm::SmallString<256> result(path);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }
  /// Writes `contents` to `name` and returns its path.
  std::string write(StringRef name, StringRef contents) const {
    std::string filePath = file(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(filePath, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << contents;
    return filePath;
  }
  /// Copies a fixture file into the directory.
  std::string copy(StringRef fixture, StringRef name) const {
    auto buffer = llvm::MemoryBuffer::getFile(fixturePath(fixture));
    EXPECT_TRUE(bool(buffer));
    return write(name, buffer ? (*buffer)->getBuffer() : "");
  }
  StringRef getPath() const { return path; }

private:
  llvm::SmallString<128> path;
};

//===----------------------------------------------------------------------===//
// A file written by the safetensors package
//===----------------------------------------------------------------------===//

class SafetensorsFixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = SafetensorsFile::open(fixturePath("single.safetensors"));
    ASSERT_TRUE(bool(opened)) << llvm::toString(opened.takeError());
    file = std::move(*opened);
  }

  /// The tensor `name`, which must exist, with its dtype and shape checked.
  const SafetensorsTensor &expectTensor(StringRef name, SafetensorsDType dtype,
                                        ArrayRef<int64_t> shape) {
    const SafetensorsTensor *tensor = file->lookupTensor(name);
    EXPECT_NE(tensor, nullptr) << name.str();
    if (!tensor)
      return file->getTensors().front();
    EXPECT_EQ(tensor->name, name);
    EXPECT_EQ(tensor->dtype, dtype) << name.str();
    EXPECT_EQ(ArrayRef<int64_t>(tensor->shape), shape) << name.str();
    uint64_t numElements = 1;
    for (int64_t dim : shape)
      numElements *= dim;
    EXPECT_EQ(tensor->numElements, numElements) << name.str();
    EXPECT_EQ(tensor->numBytes, numElements * getSafetensorsDTypeSize(dtype))
        << name.str();
    EXPECT_EQ(tensor->bytes.size(), tensor->numBytes) << name.str();
    EXPECT_EQ(tensor->file, file->getPath());
    return *tensor;
  }

  std::unique_ptr<SafetensorsFile> file;
};

TEST_F(SafetensorsFixture, EveryTensor) {
  using DT = SafetensorsDType;
  EXPECT_EQ(file->getTensors().size(), 11u);
  EXPECT_EQ(file->getMetadata().size(), 1u);
  EXPECT_EQ(file->getMetadata("format"), std::optional<StringRef>("pt"));
  EXPECT_EQ(file->getMetadata("absent"), std::nullopt);

  const SafetensorsTensor &embed =
      expectTensor("model.embed_tokens.weight", DT::F32, {4, 3});
  std::vector<float> embedValues;
  for (int i = 0; i < 12; ++i)
    embedValues.push_back(i * 0.25f - 1);
  EXPECT_EQ(asString(embed.bytes),
            StringRef(reinterpret_cast<const char *>(embedValues.data()),
                      embedValues.size() * 4));

  // arange(6) * 0.5 - 1 in IEEE half precision.
  const SafetensorsTensor &norm =
      expectTensor("model.norm.weight", DT::F16, {6});
  EXPECT_EQ(asString(norm.bytes), bytesOf<uint16_t>({0xBC00, 0xB800, 0x0000,
                                                     0x3800, 0x3C00, 0x3E00}));

  const SafetensorsTensor &head =
      expectTensor("lm_head.weight", DT::BF16, {2, 3});
  EXPECT_EQ(asString(head.bytes),
            bytesOf<uint16_t>({toBF16(-2), toBF16(-1), toBF16(0), toBF16(1),
                               toBF16(2), toBF16(3)}));

  EXPECT_EQ(asString(expectTensor("quant.qweight", DT::I32, {2, 2}).bytes),
            bytesOf<int32_t>({INT32_MIN, -1, 0, INT32_MAX}));
  EXPECT_EQ(asString(expectTensor("quant.int8", DT::I8, {4}).bytes),
            bytesOf<int8_t>({-128, -1, 0, 127}));
  EXPECT_EQ(asString(expectTensor("quant.uint8", DT::U8, {2, 2, 2}).bytes),
            bytesOf<uint8_t>({0, 33, 66, 99, 132, 165, 198, 231}));
  EXPECT_EQ(asString(expectTensor("position_ids", DT::I64, {3}).bytes),
            bytesOf<int64_t>({0, 1, int64_t(1) << 40}));
  EXPECT_EQ(asString(expectTensor("rope.f64", DT::F64, {2}).bytes),
            bytesOf<double>({0.5, -2.0}));
  EXPECT_EQ(asString(expectTensor("mask", DT::BOOL, {3}).bytes),
            bytesOf<uint8_t>({1, 0, 1}));
  EXPECT_EQ(asString(expectTensor("scalar", DT::F32, {}).bytes),
            bytesOf<float>({3.5f}));
  EXPECT_TRUE(expectTensor("empty", DT::F32, {0, 4}).bytes.empty());
}

TEST_F(SafetensorsFixture, ViewsPointIntoTheFile) {
  ArrayRef<uint8_t> fileBytes = file->getFileBytes();
  EXPECT_EQ(file->getDataOffset(), 8 + file->getHeaderSize());
  for (const SafetensorsTensor &tensor : file->getTensors()) {
    EXPECT_EQ(tensor.bytes.data(),
              fileBytes.data() + file->getDataOffset() + tensor.offset)
        << tensor.name.str();
  }
}

TEST_F(SafetensorsFixture, OrderedByOffsetThenName) {
  std::vector<std::string> names;
  for (const SafetensorsTensor &tensor : file->getTensors())
    names.push_back(tensor.name.str());
  // "empty" (no bytes) and the embedding both start at offset 40.
  EXPECT_EQ(names, (std::vector<std::string>{
                       "position_ids", "rope.f64", "empty",
                       "model.embed_tokens.weight", "scalar", "quant.qweight",
                       "lm_head.weight", "model.norm.weight", "quant.int8",
                       "quant.uint8", "mask"}));
}

TEST_F(SafetensorsFixture, MissingTensor) {
  std::string message = errorMessage(file->getTensor("model.layers.0.q"));
  expectMessage(message, file->getPath(), {"no tensor 'model.layers.0.q'"});
  EXPECT_EQ(file->lookupTensor("model.layers.0.q"), nullptr);
}

TEST(SafetensorsDTypes, Facts) {
  using DT = SafetensorsDType;
  EXPECT_EQ(getSafetensorsDType("BF16"), DT::BF16);
  EXPECT_EQ(getSafetensorsDType("bf16"), std::nullopt);
  EXPECT_EQ(getSafetensorsDType("F4"), std::nullopt);
  EXPECT_EQ(getSafetensorsDTypeName(DT::F8_E4M3), "F8_E4M3");
  EXPECT_EQ(getSafetensorsDTypeSize(DT::F32), 4u);
  EXPECT_EQ(getSafetensorsDTypeSize(DT::BF16), 2u);
  EXPECT_EQ(getSafetensorsDTypeSize(DT::I64), 8u);
  EXPECT_EQ(getSafetensorsDTypeSize(DT::BOOL), 1u);
  for (DT dtype : {DT::F32, DT::F16, DT::BF16, DT::I32, DT::I8, DT::U8})
    EXPECT_TRUE(isWeightDType(dtype));
  for (DT dtype : {DT::I64, DT::F64, DT::BOOL, DT::F8_E5M2, DT::U16})
    EXPECT_FALSE(isWeightDType(dtype));
  EXPECT_EQ(getWeightDTypeList(), "F32, F16, BF16, I32, I8, U8");
  EXPECT_TRUE(getSafetensorsDTypeList().starts_with(getWeightDTypeList()));
  // Every listed name parses back.
  llvm::SmallVector<StringRef> names;
  getSafetensorsDTypeList().split(names, ", ");
  EXPECT_EQ(names.size(), 15u);
  for (StringRef name : names) {
    std::optional<DT> dtype = getSafetensorsDType(name);
    ASSERT_TRUE(dtype.has_value()) << name.str();
    EXPECT_EQ(getSafetensorsDTypeName(*dtype), name);
  }
}

//===----------------------------------------------------------------------===//
// Files built here: valid ones
//===----------------------------------------------------------------------===//

TEST(SafetensorsBuilt, MinimalFile) {
  std::string data = bytesOf<float>({1.0f, 2.0f});
  auto file = parseBytes(makeFile(
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->getPath(), kBadName);
  ASSERT_EQ((*file)->getTensors().size(), 1u);
  EXPECT_EQ(asString((*file)->getTensors()[0].bytes), data);
  EXPECT_TRUE((*file)->getMetadata().empty());
}

TEST(SafetensorsBuilt, EmptyHeaderObject) {
  auto file = parseBytes(makeFile("{}"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_TRUE((*file)->getTensors().empty());
  // Padding spaces after the header are part of it.
  auto padded = parseBytes(makeFile("{}      "));
  ASSERT_TRUE(bool(padded)) << llvm::toString(padded.takeError());
  EXPECT_EQ((*padded)->getHeaderSize(), 8u);
}

TEST(SafetensorsBuilt, EscapedNamesAndMetadata) {
  auto file = parseBytes(makeFile(
      R"({"__metadata__":{"format":"pt","note":"caf\u00e9"},)"
      R"("a\"b\u00e9":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
      R"("line\nbreak":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
      "xy"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_NE((*file)->lookupTensor("a\"b\xc3\xa9"), nullptr);
  EXPECT_NE((*file)->lookupTensor("line\nbreak"), nullptr);
  EXPECT_EQ((*file)->getMetadata("note"),
            std::optional<StringRef>("caf\xc3\xa9"));
  EXPECT_EQ((*file)->getMetadata().size(), 2u);
  // Messages about such names stay on one line.
  std::string message = errorMessage((*file)->getTensor("no\nsuch"));
  expectMessage(message, kBadName, {"no tensor 'no\\0Asuch'"});
}

TEST(SafetensorsBuilt, UnknownKeysOverlapsAndEmptyTensors) {
  // Extra keys in an entry are ignored; tensors may share bytes; a zero
  // dimension makes a tensor empty even when the others overflow together.
  auto file = parseBytes(makeFile(
      R"({"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2],"extra":[1]},)"
      R"("b":{"dtype":"U8","shape":[1,2],"data_offsets":[0,2]},)"
      R"("z":{"dtype":"F32","shape":[1099511627776,1099511627776,0],)"
      R"("data_offsets":[2,2]}})",
      "ab"));
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->getTensors().size(), 3u);
  EXPECT_EQ((*file)->lookupTensor("a")->bytes.data(),
            (*file)->lookupTensor("b")->bytes.data());
  EXPECT_EQ((*file)->lookupTensor("z")->numElements, 0u);
}

/// A file large enough that LLVM maps it rather than reading it; tensors are
/// views into the mapping.
TEST(SafetensorsBuilt, LargeFileIsMapped) {
  std::string data(65536, '\0');
  data[5] = 0x7f;
  TempDir dir;
  std::string filePath = dir.write(
      "big.safetensors",
      makeFile(
          R"({"w":{"dtype":"F32","shape":[128,128],"data_offsets":[0,65536]}})",
          data));
  auto file = SafetensorsFile::open(filePath);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_TRUE((*file)->isMemoryMapped());
  EXPECT_EQ((*file)->getPath(), filePath);
  const SafetensorsTensor *w = (*file)->lookupTensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->bytes.data(),
            (*file)->getFileBytes().data() + (*file)->getDataOffset());
  EXPECT_EQ(w->bytes[5], 0x7f);
}

TEST(SafetensorsBuilt, MissingFile) {
  std::string message = errorMessage(
      SafetensorsFile::open("/nonexistent/ingot/model.safetensors"));
  expectMessage(message, "/nonexistent/ingot/model.safetensors",
                {"cannot open"});
}

//===----------------------------------------------------------------------===//
// Files built here: malformed ones
//===----------------------------------------------------------------------===//

TEST(SafetensorsMalformed, TooShortForTheLength) {
  for (size_t size = 0; size < 8; ++size) {
    std::string message = parseFailure(std::string(size, '\0'));
    expectMessage(message, kBadName, {"too short", "8-byte header length"});
  }
}

TEST(SafetensorsMalformed, HeaderLengthTooLarge) {
  for (uint64_t length :
       {uint64_t(100'000'001), uint64_t(1) << 40, UINT64_MAX}) {
    std::string message = parseFailure(makeRawFile(length, "{}"));
    expectMessage(message, kBadName,
                  {"header length " + std::to_string(length),
                   "limit of 100000000 bytes"});
  }
}

TEST(SafetensorsMalformed, HeaderLengthPastTheEnd) {
  std::string message = parseFailure(makeRawFile(100, "{\"a\":"));
  expectMessage(message, kBadName,
                {"header length 100", "past the end of the file (13 bytes)"});
}

TEST(SafetensorsMalformed, MalformedJSON) {
  for (StringRef header :
       {StringRef("{\"a\":"), StringRef("{\"a\" 1}"), StringRef(""),
        StringRef("{}x"), StringRef("{\"a\":\"\xff\"}"),
        StringRef("{\"a\":1}\0", 8)}) {
    SCOPED_TRACE(header.str());
    std::string message = parseFailure(makeFile(header));
    // The parser's own message, with its position.
    expectMessage(message, kBadName,
                  {"in the JSON header: malformed JSON: [1:"});
  }
}

TEST(SafetensorsMalformed, HeaderNotAnObject) {
  std::string message = parseFailure(makeFile("[1, 2]"));
  expectMessage(message, kBadName,
                {"the JSON header is an array, expected an object"});
  message = parseFailure(makeFile("\"text\""));
  expectMessage(message, kBadName, {"is a string, expected an object"});
}

TEST(SafetensorsMalformed, DeepNesting) {
  // llvm::json::parse would recurse once per level and overflow the stack.
  std::string deep(1'000'000, '[');
  std::string message = parseFailure(makeFile(deep));
  expectMessage(message, kBadName, {"nested deeper than 64 levels"});
  std::string inEntry =
      "{\"t\":" + std::string(100, '[') + std::string(100, ']') + "}";
  message = parseFailure(makeFile(inEntry));
  expectMessage(message, kBadName, {"nested deeper than 64 levels"});
}

TEST(SafetensorsMalformed, DuplicateTensor) {
  std::string message = parseFailure(
      makeFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
               R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
               "ab"));
  expectMessage(message, kBadName, {"duplicate key 'w'"});
  // The same name spelled with an escape.
  message = parseFailure(
      makeFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
               R"("\u0077":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
               "ab"));
  expectMessage(message, kBadName, {"duplicate key 'w'"});
}

TEST(SafetensorsMalformed, EntryNotAnObject) {
  expectTensorError("3", "", {"is an integer, expected an object"});
  expectTensorError("null", "", {"is null, expected an object"});
}

TEST(SafetensorsMalformed, MissingFields) {
  expectTensorError(R"({"shape":[1],"data_offsets":[0,1]})", "x",
                    {"has no 'dtype'"});
  expectTensorError(R"({"dtype":"U8","data_offsets":[0,1]})", "x",
                    {"has no 'shape'"});
  expectTensorError(R"({"dtype":"U8","shape":[1]})", "x",
                    {"has no 'data_offsets'"});
}

TEST(SafetensorsMalformed, BadDtype) {
  expectTensorError(R"({"dtype":"F4","shape":[1],"data_offsets":[0,1]})", "x",
                    {"unknown dtype 'F4'",
                     "(supported: F32, F16, BF16, I32, I8, U8, F64, F8_E4M3, "
                     "F8_E5M2, I64, I16, U64, U32, U16, BOOL)"});
  expectTensorError(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})",
                    "xxxx", {"unknown dtype 'f32'"});
  expectTensorError(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})", "xxxx",
                    {"'dtype' is an integer, expected a string"});
}

TEST(SafetensorsMalformed, BadShape) {
  expectTensorError(R"({"dtype":"U8","shape":1,"data_offsets":[0,1]})", "x",
                    {"'shape' is an integer, expected an array"});
  expectTensorError(R"({"dtype":"U8","shape":[2,-1],"data_offsets":[0,1]})",
                    "x", {"shape[1] is negative"});
  expectTensorError(R"({"dtype":"U8","shape":[1.5],"data_offsets":[0,1]})", "x",
                    {"shape[0] is a number, expected a non-negative"});
  expectTensorError(R"({"dtype":"U8","shape":[1.0],"data_offsets":[0,1]})", "x",
                    {"shape[0] is "});
  expectTensorError(R"({"dtype":"U8","shape":["1"],"data_offsets":[0,1]})", "x",
                    {"shape[0] is a string"});
  expectTensorError(
      R"({"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,1]})",
      "x", {"shape[0] 9223372036854775808 is too large"});
  expectTensorError(R"({"dtype":"U8","shape":[1e300],"data_offsets":[0,1]})",
                    "x", {"shape[0] is a number"});
  std::string rank33 = "[";
  for (int i = 0; i < 33; ++i)
    rank33 += i ? ",1" : "1";
  rank33 += "]";
  expectTensorError(R"({"dtype":"U8","shape":)" + rank33 +
                        R"(,"data_offsets":[0,1]})",
                    "x", {"33 dimensions, more than 32"});
}

TEST(SafetensorsMalformed, ShapeOverflow) {
  // 2^32 * 2^32 elements do not fit in 63 bits.
  expectTensorError(
      R"({"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,1]})",
      "x", {"the shape [4294967296, 4294967296] has too many elements"});
  // 2^62 elements do, but not their 2^64 bytes.
  expectTensorError(
      R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,1]})",
      "x", {"shape [4611686018427387904] of F32 has too many bytes"});
  // A product that wraps to a small number modulo 2^64 is still caught.
  expectTensorError(
      R"({"dtype":"U8","shape":[4294967296,4294967296,4294967296,1],)"
      R"("data_offsets":[0,0]})",
      "", {"too many elements"});
}

TEST(SafetensorsMalformed, BadOffsets) {
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":1})", "x",
                    {"'data_offsets' is an integer, expected [begin, end]"});
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[0]})", "x",
                    {"'data_offsets' is an array of 1 elements"});
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[0,1,2]})", "x",
                    {"an array of 3 elements"});
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[-1,0]})", "x",
                    {"data_offsets[0] is negative"});
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[0,0.5]})", "x",
                    {"data_offsets[1] is a number"});
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[0,"1"]})", "x",
                    {"data_offsets[1] is a string"});
  expectTensorError(R"({"dtype":"U8","shape":[0],"data_offsets":[1,0]})", "x",
                    {"data_offsets [1, 0] begin after they end"});
}

TEST(SafetensorsMalformed, OffsetsOutOfBounds) {
  expectTensorError(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})",
                    "1234567",
                    {"data_offsets [0, 8] run past the end of the data "
                     "section (7 bytes)"});
  expectTensorError(
      R"({"dtype":"U8","shape":[1],)"
      R"("data_offsets":[18446744073709551615,18446744073709551615]})",
      "", {"run past the end"});
  // The end is checked, not only the size: [7, 8) of a 7-byte section.
  expectTensorError(R"({"dtype":"U8","shape":[1],"data_offsets":[7,8]})",
                    "1234567", {"data_offsets [7, 8] run past the end"});
}

TEST(SafetensorsMalformed, SizeMismatch) {
  expectTensorError(R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,12]})",
                    std::string(24, 'x'),
                    {"data_offsets [0, 12] span 12 bytes, but [2, 3] F32 "
                     "takes 24"});
  expectTensorError(R"({"dtype":"BF16","shape":[],"data_offsets":[0,4]})",
                    "abcd", {"span 4 bytes, but [] BF16 takes 2"});
}

TEST(SafetensorsMalformed, BadMetadata) {
  std::string message = parseFailure(makeFile(R"({"__metadata__":[1]})"));
  expectMessage(message, kBadName,
                {"'__metadata__' is an array, expected an object of strings"});
  message = parseFailure(makeFile(R"({"__metadata__":{"format":1}})"));
  expectMessage(message, kBadName,
                {"'__metadata__' key 'format' is an integer, expected a "
                 "string"});
}

/// The fixture cut at every length, with the header length left as written
/// (it then runs past the end, or a tensor does) and with the header length
/// set to what is left (the JSON is then cut).
TEST(SafetensorsMalformed, TruncatedAtEveryLength) {
  auto buffer = llvm::MemoryBuffer::getFile(fixturePath("single.safetensors"));
  ASSERT_TRUE(bool(buffer));
  StringRef bytes = (*buffer)->getBuffer();
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::string message = parseFailure(bytes.take_front(size));
    EXPECT_TRUE(isOneLine(message)) << size << ": " << message;
    EXPECT_TRUE(StringRef(message).starts_with("bad.safetensors: ")) << message;
    if (size >= 8) {
      std::string rest = bytes.slice(8, size).str();
      message = parseFailure(makeRawFile(rest.size(), rest));
      EXPECT_TRUE(isOneLine(message)) << size << ": " << message;
      EXPECT_TRUE(StringRef(message).starts_with("bad.safetensors: "))
          << message;
    }
  }
}

/// Every byte of the fixture's header replaced by a few troublesome values:
/// the reader either accepts the file or fails with one line.
TEST(SafetensorsMalformed, CorruptedHeaderBytes) {
  auto buffer = llvm::MemoryBuffer::getFile(fixturePath("single.safetensors"));
  ASSERT_TRUE(bool(buffer));
  std::string bytes = (*buffer)->getBuffer().str();
  uint64_t headerEnd = 8 + llvm::support::endian::read64le(bytes.data());
  ASSERT_LE(headerEnd, bytes.size());
  for (size_t i = 0; i < headerEnd; ++i) {
    for (char value : {'\0', '{', '[', '"', '9', '-', '\xff'}) {
      std::string corrupted = bytes;
      corrupted[i] = value;
      auto file = parseBytes(corrupted);
      if (file)
        continue;
      std::string message = llvm::toString(file.takeError());
      EXPECT_TRUE(isOneLine(message)) << i << ": " << message;
      EXPECT_TRUE(StringRef(message).starts_with("bad.safetensors: "))
          << message;
    }
  }
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

constexpr StringRef kShard1 = "model-00001-of-00002.safetensors";
constexpr StringRef kShard2 = "model-00002-of-00002.safetensors";

/// Checks the sharded fixture's namespace.
void expectShardedFixture(const SafetensorsCheckpoint &checkpoint,
                          StringRef directory) {
  std::string shard1 = (directory + "/" + kShard1).str();
  std::string shard2 = (directory + "/" + kShard2).str();
  std::string index = (directory + "/model.safetensors.index.json").str();
  EXPECT_EQ(checkpoint.getIndexPath(), index);
  EXPECT_EQ(checkpoint.getShards().size(), 2u);
  EXPECT_EQ(checkpoint.listShardFiles(),
            (std::vector<std::string>{shard1, shard2}));
  EXPECT_EQ(checkpoint.listInputFiles(),
            (std::vector<std::string>{index, shard1, shard2}));
  ASSERT_EQ(checkpoint.getNumTensors(), 4u);

  std::vector<std::string> names;
  for (const SafetensorsTensor *tensor : checkpoint.getTensors())
    names.push_back(tensor->name.str());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "model.embed_tokens.weight", "model.layers.0.mlp.weight",
                       "lm_head.weight", "model.layers.1.mlp.weight"}));

  auto embed = checkpoint.getWeight("model.embed_tokens.weight");
  ASSERT_TRUE(bool(embed)) << llvm::toString(embed.takeError());
  EXPECT_EQ(embed->file, shard1);
  EXPECT_EQ(asString(embed->bytes), bytesOf<float>({0, 1, 2, 3}));

  auto head = checkpoint.getWeight("lm_head.weight");
  ASSERT_TRUE(bool(head)) << llvm::toString(head.takeError());
  EXPECT_EQ(head->file, shard2);
  EXPECT_EQ(ArrayRef<int64_t>(head->shape), ArrayRef<int64_t>({2, 2}));
  EXPECT_EQ(asString(head->bytes), bytesOf<float>({-0.0f, -1, -2, -3}));

  const SafetensorsTensor *mlp0 =
      checkpoint.lookupTensor("model.layers.0.mlp.weight");
  ASSERT_NE(mlp0, nullptr);
  EXPECT_EQ(mlp0->dtype, SafetensorsDType::F16);
  EXPECT_EQ(asString(mlp0->bytes), bytesOf<uint16_t>({0x0000, 0x3800, 0x3C00,
                                                      0x3E00, 0x4000, 0x4100}));

  const SafetensorsTensor *mlp1 =
      checkpoint.lookupTensor("model.layers.1.mlp.weight");
  ASSERT_NE(mlp1, nullptr);
  EXPECT_EQ(mlp1->dtype, SafetensorsDType::BF16);
  EXPECT_EQ(asString(mlp1->bytes),
            bytesOf<uint16_t>({toBF16(1), toBF16(2), toBF16(-0.5f)}));

  const llvm::json::Object *metadata = checkpoint.getIndexMetadata();
  ASSERT_NE(metadata, nullptr);
  EXPECT_EQ(metadata->getInteger("total_size"), 50);

  std::string message = errorMessage(checkpoint.getTensor("missing"));
  expectMessage(message, index, {"no tensor 'missing'"});
}

TEST(SafetensorsCheckpoints, ShardedDirectory) {
  std::string directory = fixturePath("sharded");
  auto checkpoint = SafetensorsCheckpoint::open(directory);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  expectShardedFixture(**checkpoint, directory);
}

TEST(SafetensorsCheckpoints, ShardedIndex) {
  std::string directory = fixturePath("sharded");
  auto checkpoint =
      SafetensorsCheckpoint::open(directory + "/model.safetensors.index.json");
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  expectShardedFixture(**checkpoint, directory);
}

TEST(SafetensorsCheckpoints, SingleFile) {
  std::string filePath = fixturePath("single.safetensors");
  auto checkpoint = SafetensorsCheckpoint::open(filePath);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ((*checkpoint)->getIndexPath(), "");
  EXPECT_EQ((*checkpoint)->getIndexMetadata(), nullptr);
  EXPECT_EQ((*checkpoint)->listShardFiles(),
            std::vector<std::string>{filePath});
  EXPECT_EQ((*checkpoint)->listInputFiles(),
            std::vector<std::string>{filePath});
  EXPECT_EQ((*checkpoint)->getNumTensors(), 11u);
  EXPECT_TRUE(bool((*checkpoint)->getWeight("lm_head.weight")));
  EXPECT_TRUE(bool((*checkpoint)->getWeight("quant.uint8")));
  // Readable, but not as weights.
  EXPECT_NE((*checkpoint)->lookupTensor("position_ids"), nullptr);
  for (StringRef name : {"position_ids", "rope.f64", "mask"}) {
    std::string message = errorMessage((*checkpoint)->getWeight(name));
    expectMessage(message, filePath,
                  {"tensor '" + name.str() + "' has dtype",
                   "not supported for weights (supported: F32, F16, BF16, "
                   "I32, I8, U8)"});
  }
}

TEST(SafetensorsCheckpoints, DirectoryChoices) {
  // A directory with model.safetensors.
  {
    TempDir dir;
    std::string file = dir.copy("single.safetensors", "model.safetensors");
    dir.write("other.safetensors", makeFile("{}"));
    auto checkpoint = SafetensorsCheckpoint::open(dir.getPath());
    ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
    EXPECT_EQ((*checkpoint)->listShardFiles(), std::vector<std::string>{file});
  }
  // A directory with one safetensors file of another name.
  {
    TempDir dir;
    std::string file =
        dir.copy("single.safetensors", "consolidated.safetensors");
    auto checkpoint = SafetensorsCheckpoint::open(dir.getPath());
    ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
    EXPECT_EQ((*checkpoint)->listShardFiles(), std::vector<std::string>{file});
  }
  // Two, and nothing to choose between them.
  {
    TempDir dir;
    dir.write("a.safetensors", makeFile("{}"));
    dir.write("b.safetensors", makeFile("{}"));
    std::string message =
        errorMessage(SafetensorsCheckpoint::open(dir.getPath()));
    expectMessage(message, dir.getPath(),
                  {"several .safetensors files and no "
                   "model.safetensors.index.json"});
  }
  // None.
  {
    TempDir dir;
    dir.write("config.json", "{}");
    std::string message =
        errorMessage(SafetensorsCheckpoint::open(dir.getPath()));
    expectMessage(message, dir.getPath(),
                  {"no model.safetensors.index.json or model.safetensors"});
  }
  // A missing path.
  std::string message =
      errorMessage(SafetensorsCheckpoint::open("/nonexistent/ingot/model"));
  expectMessage(message, "/nonexistent/ingot/model", {"cannot open"});
}

/// A temporary copy of the sharded fixture's shards with `index` as its
/// index; returns the message of opening it, which must fail.
std::string openWithIndex(const TempDir &dir, StringRef index) {
  dir.copy("sharded/" + kShard1.str(), kShard1);
  dir.copy("sharded/" + kShard2.str(), kShard2);
  dir.write("model.safetensors.index.json", index);
  auto checkpoint = SafetensorsCheckpoint::open(dir.getPath());
  EXPECT_FALSE(bool(checkpoint));
  return errorMessage(std::move(checkpoint));
}

/// An index mapping each (tensor, shard) pair.
std::string
makeIndex(std::initializer_list<std::pair<StringRef, StringRef>> entries) {
  std::string text = R"({"metadata":{"total_size":0},"weight_map":{)";
  bool first = true;
  for (auto [tensor, shard] : entries) {
    if (!first)
      text += ",";
    first = false;
    text += "\"" + tensor.str() + "\":\"" + shard.str() + "\"";
  }
  return text + "}}";
}

TEST(SafetensorsCheckpoints, MissingShardFile) {
  TempDir dir;
  std::string message = openWithIndex(
      dir, makeIndex({{"model.embed_tokens.weight", kShard1},
                      {"extra.weight", "model-00003-of-00003.safetensors"}}));
  expectMessage(message, dir.file("model.safetensors.index.json"),
                {"shard 'model-00003-of-00003.safetensors'",
                 "listed for tensor 'extra.weight'", "does not exist",
                 dir.file("model-00003-of-00003.safetensors")});
}

TEST(SafetensorsCheckpoints, TensorMissingFromItsShard) {
  TempDir dir;
  std::string message =
      openWithIndex(dir, makeIndex({{"model.embed_tokens.weight", kShard1},
                                    {"ghost.weight", kShard1}}));
  expectMessage(message, dir.file("model.safetensors.index.json"),
                {"tensor 'ghost.weight' is listed in shard '" + kShard1.str() +
                 "' but the shard does not hold it"});
  // A tensor the index places in the wrong shard.
  TempDir dir2;
  message = openWithIndex(dir2, makeIndex({{"lm_head.weight", kShard1}}));
  expectMessage(
      message, dir2.file("model.safetensors.index.json"),
      {"tensor 'lm_head.weight' is listed in shard '" + kShard1.str() + "'"});
}

TEST(SafetensorsCheckpoints, DuplicateAcrossShards) {
  TempDir dir;
  dir.write("model-00003.safetensors",
            makeFile(R"({"lm_head.weight":{"dtype":"U8","shape":[1],)"
                     R"("data_offsets":[0,1]},)"
                     R"("extra":{"dtype":"U8","shape":[1],)"
                     R"("data_offsets":[1,2]}})",
                     "ab"));
  std::string message =
      openWithIndex(dir, makeIndex({{"lm_head.weight", kShard2},
                                    {"extra", "model-00003.safetensors"}}));
  expectMessage(message, dir.file("model.safetensors.index.json"),
                {"tensor 'lm_head.weight' is in two shards", dir.file(kShard2),
                 dir.file("model-00003.safetensors")});

  // The same through create().
  auto a = parseBytes(
      makeFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "a"),
      "a.safetensors");
  auto b = parseBytes(
      makeFile(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "b"),
      "b.safetensors");
  ASSERT_TRUE(a && b);
  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  shards.push_back(std::move(*b));
  shards.push_back(std::move(*a));
  message = errorMessage(SafetensorsCheckpoint::create(std::move(shards)));
  expectMessage(message, "a.safetensors",
                {"tensor 'w' is in two shards, a.safetensors and "
                 "b.safetensors"});
}

TEST(SafetensorsCheckpoints, MalformedShard) {
  TempDir dir;
  dir.write("broken.safetensors", makeRawFile(1000, "{}"));
  std::string message = openWithIndex(
      dir,
      makeIndex({{"lm_head.weight", kShard2}, {"w", "broken.safetensors"}}));
  expectMessage(message, dir.file("broken.safetensors"),
                {"header length 1000"});
}

TEST(SafetensorsCheckpoints, MalformedIndex) {
  struct Case {
    StringRef index;
    std::vector<std::string> fragments;
  };
  std::vector<Case> cases = {
      {"{\"weight_map\": {", {"malformed JSON: [1:"}},
      {"[]", {"the index is an array, expected an object"}},
      {"{}", {"no 'weight_map'"}},
      {R"({"weight_map": []})",
       {"'weight_map' is an array, expected an object"}},
      {R"({"weight_map": {}})", {"'weight_map' is empty"}},
      {R"({"weight_map": {"w": 3}})",
       {"'weight_map' entry for tensor 'w' is an integer, expected a shard "
        "file name"}},
      {R"({"weight_map": {"w": "../model.safetensors"}})",
       {"names shard '../model.safetensors', which is not a relative path"}},
      // check-test-paths: not read (refused before any file is opened)
      {R"({"weight_map": {"w": "/etc/model.safetensors"}})",
       {"which is not a relative path"}},
      {R"({"weight_map": {"w": ""}})", {"names shard ''"}},
      {R"({"metadata": 3, "weight_map": {"w": "a.safetensors"}})",
       {"'metadata' is an integer, expected an object"}},
      {R"({"weight_map": {"w": "a.safetensors", "w": "b.safetensors"}})",
       {"duplicate key 'w'"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.index.str());
    TempDir dir;
    std::string message = openWithIndex(dir, c.index);
    std::string index = dir.file("model.safetensors.index.json");
    EXPECT_TRUE(isOneLine(message)) << message;
    EXPECT_TRUE(StringRef(message).starts_with(index + ": ")) << message;
    for (const std::string &fragment : c.fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "'" << fragment << "' not in: " << message;
  }
}

TEST(SafetensorsCheckpoints, ShardNamesAreNormalized) {
  // "./a" and "a" name one shard, opened once.
  TempDir dir;
  dir.copy("sharded/" + kShard1.str(), kShard1);
  dir.write("model.safetensors.index.json",
            makeIndex({{"model.embed_tokens.weight", kShard1},
                       {"model.layers.0.mlp.weight", "./" + kShard1.str()}}));
  auto checkpoint = SafetensorsCheckpoint::open(dir.getPath());
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ((*checkpoint)->getShards().size(), 1u);
  EXPECT_EQ((*checkpoint)->getNumTensors(), 2u);
}

//===----------------------------------------------------------------------===//
// JSON helpers
//===----------------------------------------------------------------------===//

TEST(HFJSON, ParseAndQuote) {
  EXPECT_TRUE(bool(parseJSON(R"({"a":{"a":1},"b":[{"a":2}]})",
                             /*rejectDuplicateKeys=*/true)));
  EXPECT_TRUE(bool(parseJSON(R"({"a":1,"a":2})", false)));
  std::string message =
      errorMessage(parseJSON(R"({"a":1,"b":{"c":1,"c":2}})", true));
  EXPECT_NE(message.find("duplicate key 'c'"), std::string::npos) << message;
  // Keys and values that merely look alike are not duplicates.
  EXPECT_TRUE(
      bool(parseJSON(R"({"a":"a","b":{"a":"b"},"c":["a","a"]})", true)));
  std::string exactly64 = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(bool(parseJSON(exactly64, true)));
  std::string deeper = std::string(65, '[') + std::string(65, ']');
  message = errorMessage(parseJSON(deeper, true));
  EXPECT_NE(message.find("nested deeper than 64 levels at line 1, byte 64"),
            std::string::npos)
      << message;
  // Brackets inside strings do not count.
  EXPECT_TRUE(bool(parseJSON("[\"" + std::string(100, '[') + "\\\"\"]", true)));

  EXPECT_EQ(quote("a'b\n"), "'a'b\\0A'");
  EXPECT_EQ(quote(std::string(100, 'x')), "'" + std::string(80, 'x') + "'...");
}

//===----------------------------------------------------------------------===//
// Configuration files
//===----------------------------------------------------------------------===//

class HFConfigFixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto loaded = HFModelConfig::load(fixturePath("sharded"));
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    model.emplace(std::move(*loaded));
  }
  const ConfigObject &config() const { return model->getConfig(); }
  std::string configPath() const { return fixturePath("sharded/config.json"); }

  std::optional<HFModelConfig> model;
};

TEST_F(HFConfigFixture, Files) {
  EXPECT_EQ(config().getFile(), configPath());
  ASSERT_NE(model->getGenerationConfig(), nullptr);
  ASSERT_NE(model->getTokenizerConfig(), nullptr);
  EXPECT_EQ(model->listFiles(),
            (std::vector<std::string>{
                configPath(), fixturePath("sharded/generation_config.json"),
                fixturePath("sharded/tokenizer_config.json")}));
  // The same through the config file's own path.
  auto again = HFModelConfig::load(configPath());
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(again->listFiles(), model->listFiles());
}

TEST_F(HFConfigFixture, TypedGetters) {
  EXPECT_EQ(*config().getInt("num_hidden_layers"), 2);
  EXPECT_EQ(*config().getInt("max_position_embeddings"), 131072);
  EXPECT_EQ(*config().getDouble("rms_norm_eps"), 1e-5);
  EXPECT_EQ(*config().getDouble("rope_theta"), 500000.0);
  // Integers are numbers too.
  EXPECT_EQ(*config().getDouble("hidden_size"), 64.0);
  EXPECT_EQ(*config().getString("model_type"), "llama");
  EXPECT_EQ(*config().getBool("tie_word_embeddings"), false);
  EXPECT_EQ(*config().getStringArray("architectures"),
            std::vector<StringRef>{"LlamaForCausalLM"});
  EXPECT_TRUE(config().has("rope_scaling"));
  EXPECT_FALSE(config().has("sliding_window")); // null
  EXPECT_NE(config().lookup("sliding_window"), nullptr);
  EXPECT_FALSE(config().has("head_dim"));
  EXPECT_EQ(config().lookup("head_dim"), nullptr);
}

TEST_F(HFConfigFixture, OptionalGettersAndDefaults) {
  EXPECT_EQ(*config().getOptionalInt("sliding_window"), std::nullopt);
  EXPECT_EQ(*config().getOptionalInt("head_dim"), std::nullopt);
  EXPECT_EQ(*config().getOptionalInt("num_key_value_heads"),
            std::optional<int64_t>(2));
  EXPECT_EQ(*config().getInt("sliding_window", 4096), 4096);
  EXPECT_EQ(*config().getInt("num_key_value_heads", 4), 2);
  EXPECT_EQ(*config().getDouble("partial_rotary_factor", 1.0), 1.0);
  EXPECT_EQ(*config().getBool("attention_bias", false), false);
  EXPECT_EQ(*config().getString("hidden_act", "silu"), "silu");
  EXPECT_EQ(*config().getOptionalString("model_type"),
            std::optional<StringRef>("llama"));
  EXPECT_EQ(*config().getOptionalBool("use_cache"), std::nullopt);
  EXPECT_EQ(*config().getOptionalDouble("rope_theta"),
            std::optional<double>(500000.0));
  EXPECT_FALSE(config().getOptionalObject("text_config")->has_value());
  // A present key of the wrong type is an error even with a default.
  std::string message = errorMessage(config().getInt("model_type", 3));
  expectMessage(message, configPath(),
                {"key 'model_type' is a string ('llama'), expected an "
                 "integer"});
  message = errorMessage(config().getOptionalBool("hidden_size"));
  expectMessage(message, configPath(),
                {"key 'hidden_size' is an integer (64), expected a boolean"});
}

TEST_F(HFConfigFixture, NestedObject) {
  auto rope = config().getObject("rope_scaling");
  ASSERT_TRUE(bool(rope)) << llvm::toString(rope.takeError());
  EXPECT_EQ(rope->getKeyPath(), "rope_scaling");
  EXPECT_EQ(*rope->getString("rope_type"), "llama3");
  EXPECT_EQ(*rope->getDouble("factor"), 8.0);
  EXPECT_EQ(*rope->getInt("original_max_position_embeddings"), 8192);
  EXPECT_EQ(rope->getJSON().size(), 5u);
  std::string message = errorMessage(rope->getString("factor"));
  expectMessage(message, configPath(),
                {"key 'rope_scaling.factor' is a number (8), expected a "
                 "string"});
  message = errorMessage(rope->getDouble("beta_fast"));
  expectMessage(message, configPath(),
                {"key 'rope_scaling.beta_fast' is missing"});
  auto optionalRope = config().getOptionalObject("rope_scaling");
  ASSERT_TRUE(bool(optionalRope));
  ASSERT_TRUE(optionalRope->has_value());
  EXPECT_EQ(*(*optionalRope)->getDouble("low_freq_factor"), 1.0);
  message = errorMessage(config().getObject("model_type"));
  expectMessage(message, configPath(),
                {"key 'model_type' is a string ('llama'), expected an "
                 "object"});
}

TEST_F(HFConfigFixture, ViewsOutliveTheModel) {
  // Nested views and their strings keep the document alive.
  std::optional<ConfigObject> rope;
  {
    auto loaded = HFModelConfig::load(fixturePath("sharded"));
    ASSERT_TRUE(bool(loaded));
    rope.emplace(*loaded->getConfig().getObject("rope_scaling"));
  }
  EXPECT_EQ(*rope->getString("rope_type"), "llama3");
}

TEST_F(HFConfigFixture, GenerationAndTokenizer) {
  const ConfigObject &generation = *model->getGenerationConfig();
  EXPECT_EQ(generation.getFile(),
            fixturePath("sharded/generation_config.json"));
  EXPECT_EQ(**generation.getOptionalIntList("eos_token_id"),
            (std::vector<int64_t>{2, 7, 9}));
  EXPECT_EQ(*generation.getIntArray("eos_token_id"),
            (std::vector<int64_t>{2, 7, 9}));
  EXPECT_EQ(**config().getOptionalIntList("eos_token_id"),
            std::vector<int64_t>{2});
  EXPECT_EQ(*config().getOptionalIntList("pad_token_id"), std::nullopt);
  EXPECT_EQ(*generation.getDouble("temperature"), 0.6);
  EXPECT_EQ(*generation.getBool("do_sample"), true);
  const ConfigObject &tokenizer = *model->getTokenizerConfig();
  EXPECT_EQ(*tokenizer.getString("bos_token"), "<s>");
  EXPECT_TRUE(tokenizer.getString("chat_template")->contains("\n"));
}

TEST_F(HFConfigFixture, MissingAndNullKeys) {
  std::string message = errorMessage(config().getInt("num_local_experts"));
  expectMessage(message, configPath(), {"key 'num_local_experts' is missing"});
  message = errorMessage(config().getInt("sliding_window"));
  expectMessage(message, configPath(), {"key 'sliding_window' is null"});
}

ConfigObject parseConfig(StringRef text) {
  auto config = ConfigObject::parse(text, "test/config.json");
  EXPECT_TRUE(bool(config)) << llvm::toString(config.takeError());
  return std::move(*config);
}

TEST(HFConfig, Integers) {
  ConfigObject config = parseConfig(
      R"({"a": 4096.0, "b": 1.5, "c": 1e30, "d": 18446744073709551615,)"
      R"( "e": -7, "f": 9223372036854775807, "g": -2.0, "h": true,)"
      R"( "i": [1, 2.5], "j": [1, "x"], "k": "1",)"
      R"( "l": 9223372036854775808.0})");
  EXPECT_EQ(*config.getInt("a"), 4096);
  EXPECT_EQ(*config.getInt("e"), -7);
  EXPECT_EQ(*config.getInt("f"), INT64_MAX);
  EXPECT_EQ(*config.getInt("g"), -2);
  struct Case {
    StringRef key;
    StringRef fragment;
  };
  for (Case c : {Case{"b", "key 'b' is a number (1.5), expected an integer"},
                 Case{"c", "key 'c' is a number (1e+30), expected an integer"},
                 Case{"d", "key 'd' is an integer (18446744073709551615), "
                           "expected an integer"},
                 Case{"h", "key 'h' is a boolean (true), expected an integer"},
                 Case{"k", "key 'k' is a string ('1'), expected an integer"},
                 Case{"l", "key 'l' is a number"},
                 Case{"i", "key 'i' is an array, expected an integer"}}) {
    std::string message = errorMessage(config.getInt(c.key));
    expectMessage(message, "test/config.json", {c.fragment});
  }
  std::string message = errorMessage(config.getIntArray("i"));
  expectMessage(message, "test/config.json",
                {"key 'i[1]' is a number (2.5), expected an integer"});
  message = errorMessage(config.getStringArray("j"));
  expectMessage(message, "test/config.json",
                {"key 'j[0]' is an integer (1), expected a string"});
  message = errorMessage(config.getDoubleArray("j"));
  expectMessage(message, "test/config.json",
                {"key 'j[1]' is a string ('x'), expected a number"});
  EXPECT_EQ(*config.getDoubleArray("i"), (std::vector<double>{1, 2.5}));
  message = errorMessage(config.getOptionalIntList("k"));
  expectMessage(message, "test/config.json",
                {"expected an integer or an array of integers"});
}

TEST(HFConfig, DuplicateKeysKeepTheLast) {
  // As Python's json module does.
  ConfigObject config = parseConfig(R"({"a": 1, "a": 2})");
  EXPECT_EQ(*config.getInt("a"), 2);
}

TEST(HFConfig, MalformedFiles) {
  std::string message =
      errorMessage(ConfigObject::parse("{\"a\": ", "x/config.json"));
  expectMessage(message, "x/config.json", {"malformed JSON: [1:"});
  message = errorMessage(ConfigObject::parse("[1]", "x/config.json"));
  expectMessage(message, "x/config.json",
                {"the top-level value is an array, expected an object"});
  message = errorMessage(
      ConfigObject::parse(std::string(100000, '['), "x/config.json"));
  expectMessage(message, "x/config.json", {"nested deeper than 64 levels"});
  message = errorMessage(ConfigObject::load("/nonexistent/ingot/config.json"));
  expectMessage(message, "/nonexistent/ingot/config.json", {"cannot open"});
}

TEST(HFConfig, ModelDirectories) {
  // No config.json.
  {
    TempDir dir;
    std::string message = errorMessage(HFModelConfig::load(dir.getPath()));
    expectMessage(message, dir.file("config.json"), {"cannot open"});
  }
  // Only config.json.
  {
    TempDir dir;
    dir.write("config.json", R"({"num_hidden_layers": 1})");
    auto model = HFModelConfig::load(dir.getPath());
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    EXPECT_EQ(model->getGenerationConfig(), nullptr);
    EXPECT_EQ(model->getTokenizerConfig(), nullptr);
    EXPECT_EQ(model->listFiles(),
              std::vector<std::string>{dir.file("config.json")});
  }
  // A malformed optional file is an error naming it.
  {
    TempDir dir;
    dir.write("config.json", "{}");
    dir.write("generation_config.json", "{\"eos_token_id\": [1,}");
    std::string message = errorMessage(HFModelConfig::load(dir.getPath()));
    expectMessage(message, dir.file("generation_config.json"),
                  {"malformed JSON"});
  }
  {
    TempDir dir;
    dir.write("config.json", "{}");
    dir.write("tokenizer_config.json", "\"text\"");
    std::string message = errorMessage(HFModelConfig::load(dir.getPath()));
    expectMessage(message, dir.file("tokenizer_config.json"),
                  {"the top-level value is a string"});
  }
}

} // namespace
