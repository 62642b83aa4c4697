//===- GGUFTest.cpp - Unit tests of the GGUF reader and dequantizers ------===//
//
// The fixtures under test/fixtures/gguf/ come from the gguf Python package
// (test/fixtures/make-gguf-fixtures.py): the expectations here are its
// manifest and its dequantized values, not our reader's output. Malformed
// files are built in the tests.
//
//===----------------------------------------------------------------------===//

#include "numerics/Dequantize.h"
#include "frontends/gguf/GGUFReader.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#ifndef INGOT_GGUF_FIXTURES_DIR
#error "INGOT_GGUF_FIXTURES_DIR must name test/fixtures/gguf"
#endif

using namespace ingot::gguf;
using llvm::ArrayRef;
using llvm::StringRef;

namespace {

std::string fixturePath(StringRef name) {
  return (llvm::Twine(INGOT_GGUF_FIXTURES_DIR) + "/" + name).str();
}

/// The error's message, or "" on success.
std::string errorMessage(llvm::Error err) {
  if (!err)
    return "";
  return llvm::toString(std::move(err));
}

template <typename T>
std::string errorMessage(llvm::Expected<T> value) {
  if (value)
    return "";
  return llvm::toString(value.takeError());
}

bool isOneLine(StringRef message) {
  return !message.empty() && message.find_first_of("\r\n") == StringRef::npos;
}

//===----------------------------------------------------------------------===//
// The fixture file written by gguf.GGUFWriter
//===----------------------------------------------------------------------===//

class GGUFFixture : public ::testing::Test {
protected:
  void SetUp() override {
    auto manifestBuffer =
        llvm::MemoryBuffer::getFile(fixturePath("all-types.json"));
    ASSERT_TRUE(manifestBuffer) << "missing fixture manifest";
    auto parsed = llvm::json::parse((*manifestBuffer)->getBuffer());
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    manifest = std::move(*parsed);
    ASSERT_NE(manifest.getAsObject(), nullptr);

    auto opened = GGUFReader::open(
        fixturePath(*manifest.getAsObject()->getString("file")));
    ASSERT_TRUE(bool(opened)) << llvm::toString(opened.takeError());
    reader = std::move(*opened);
  }

  const llvm::json::Object &root() const { return *manifest.getAsObject(); }

  llvm::json::Value manifest = nullptr;
  std::unique_ptr<GGUFReader> reader;
};

/// Checks `value` against its manifest entry; `path` names it in failures.
void expectValue(const GGUFValue &value, const llvm::json::Object &expected,
                 const std::string &path) {
  SCOPED_TRACE(path);
  StringRef type = *expected.getString("type");
  ASSERT_EQ(getGGUFValueTypeName(value.getType()), type);
  if (type == "STRING") {
    std::string bytes;
    ASSERT_TRUE(llvm::tryGetFromHex(*expected.getString("hex"), bytes));
    ASSERT_TRUE(value.getAsString().has_value());
    EXPECT_EQ(value.getAsString()->str(), bytes);
  } else if (type == "FLOAT32" || type == "FLOAT64") {
    uint64_t bits;
    ASSERT_FALSE(expected.getString("bits")->getAsInteger(0, bits));
    EXPECT_EQ(value.getRawBits(), bits);
    EXPECT_TRUE(value.getAsFloat().has_value());
  } else if (type == "BOOL") {
    EXPECT_EQ(value.getAsBool(), expected.getBoolean("value"));
  } else if (type == "ARRAY") {
    StringRef elementType = *expected.getString("element_type");
    EXPECT_EQ(getGGUFValueTypeName(value.getElementType()), elementType);
    const llvm::json::Array &elements = *expected.getArray("elements");
    ASSERT_EQ(value.size(), elements.size());
    for (size_t i = 0; i < elements.size(); ++i)
      expectValue(value.getElement(i), *elements[i].getAsObject(),
                  path + "[" + std::to_string(i) + "]");
    if (elementType == "ARRAY") {
      ASSERT_EQ(value.getArrayElements().size(), elements.size());
      for (size_t i = 0; i < elements.size(); ++i)
        expectValue(value.getArrayElements()[i], *elements[i].getAsObject(),
                    path + "{" + std::to_string(i) + "}");
    }
  } else {
    StringRef text = *expected.getString("value");
    ASSERT_TRUE(value.isInteger());
    if (text.starts_with("-")) {
      int64_t integer;
      ASSERT_FALSE(text.getAsInteger(10, integer));
      EXPECT_EQ(value.getAsInteger(), integer);
      EXPECT_FALSE(value.getAsUnsigned().has_value());
    } else {
      uint64_t integer;
      ASSERT_FALSE(text.getAsInteger(10, integer));
      EXPECT_EQ(value.getAsUnsigned(), integer);
    }
  }
}

TEST_F(GGUFFixture, Header) {
  EXPECT_EQ(reader->getVersion(), *root().getInteger("version"));
  EXPECT_EQ(reader->getAlignment(),
            static_cast<uint64_t>(*root().getInteger("alignment")));
  EXPECT_EQ(reader->getDataOffset(),
            static_cast<uint64_t>(*root().getInteger("data_offset")));
}

TEST_F(GGUFFixture, EveryMetadataValue) {
  const llvm::json::Array &expected = *root().getArray("metadata");
  ArrayRef<GGUFMetadataEntry> entries = reader->getMetadata();
  ASSERT_EQ(entries.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const llvm::json::Object &entry = *expected[i].getAsObject();
    StringRef key = *entry.getString("key");
    EXPECT_EQ(entries[i].key, key);
    expectValue(entries[i].value, entry, key.str());
    const GGUFValue *found = reader->lookup(key);
    ASSERT_NE(found, nullptr) << key.str();
    EXPECT_EQ(found, &entries[i].value);
  }
  EXPECT_EQ(reader->lookup("no.such.key"), nullptr);
}

TEST_F(GGUFFixture, TypedAccessors) {
  EXPECT_EQ(*reader->getString("general.architecture"), "ingot-test");
  EXPECT_EQ(*reader->getString("test.string.bytes"),
            StringRef("\xff\0a\nb", 5));
  EXPECT_EQ(*reader->getInteger("test.int8"), -128);
  EXPECT_EQ(*reader->getInteger("test.uint32"), 4294967295);
  EXPECT_EQ(*reader->getInteger("test.int64"), INT64_MIN);
  EXPECT_EQ(*reader->getUnsigned("test.uint64"), UINT64_MAX);
  EXPECT_EQ(*reader->getUnsigned("general.alignment"), 64u);
  EXPECT_EQ(*reader->getFloat("test.float64"), 0.1);
  EXPECT_EQ(*reader->getFloat("test.float32"), static_cast<double>(3.14159f));
  EXPECT_TRUE(*reader->getBool("test.bool.true"));
  EXPECT_FALSE(*reader->getBool("test.bool.false"));
  EXPECT_EQ(*reader->getIntegerArray("test.array.int16"),
            (std::vector<int64_t>{-32768, 32767}));
  EXPECT_EQ(*reader->getIntegerArray("test.array.uint8"),
            (std::vector<int64_t>{0, 1, 255}));
  EXPECT_EQ(*reader->getFloatArray("test.array.float64"),
            (std::vector<double>{1e300, -1e-300}));
  std::vector<StringRef> strings = *reader->getStringArray("test.array.string");
  ASSERT_EQ(strings.size(), 3u);
  EXPECT_EQ(strings[0], "a");
  EXPECT_EQ(strings[1], "");
  EXPECT_EQ(strings[2], "\xc3\xa9t\xc3\xa9");

  auto nested = reader->getArray("test.array.nested3");
  ASSERT_TRUE(bool(nested));
  ASSERT_EQ(nested->size(), 2u);
  const GGUFValue &inner = nested->getArrayElements()[0].getArrayElements()[1];
  EXPECT_EQ(inner.getElementType(), GGUFValueType::Int32);
  EXPECT_EQ(inner.getElement(1).getAsInteger(), 3);

  // Failures name the file and the key, on one line.
  std::string message = errorMessage(reader->getString("no.such.key"));
  EXPECT_TRUE(isOneLine(message));
  EXPECT_NE(message.find("all-types.gguf: "), std::string::npos) << message;
  EXPECT_NE(message.find("'no.such.key' not found"), std::string::npos);
  message = errorMessage(reader->getString("test.uint8"));
  EXPECT_NE(message.find("'test.uint8' is UINT8, expected a string"),
            std::string::npos)
      << message;
  message = errorMessage(reader->getInteger("test.uint64"));
  EXPECT_NE(message.find("does not fit in int64"), std::string::npos)
      << message;
  message = errorMessage(reader->getUnsigned("test.int8"));
  EXPECT_NE(message.find("is negative"), std::string::npos) << message;
  message = errorMessage(reader->getFloat("test.int32"));
  EXPECT_NE(message.find("expected FLOAT32 or FLOAT64"), std::string::npos);
  message = errorMessage(reader->getBool("test.string"));
  EXPECT_NE(message.find("expected BOOL"), std::string::npos);
  message = errorMessage(reader->getArray("test.float32"));
  EXPECT_NE(message.find("expected an array"), std::string::npos);
  message = errorMessage(reader->getIntegerArray("test.array.string"));
  EXPECT_NE(message.find("array of STRING"), std::string::npos) << message;
  message = errorMessage(reader->getIntegerArray("test.array.uint64"));
  EXPECT_NE(message.find("fitting in int64"), std::string::npos) << message;
  message = errorMessage(reader->getStringArray("test.array.bool"));
  EXPECT_NE(message.find("array of BOOL"), std::string::npos) << message;
  message = errorMessage(reader->getTensor("no.such.tensor"));
  EXPECT_NE(message.find("tensor 'no.such.tensor' not found"),
            std::string::npos)
      << message;
}

TEST_F(GGUFFixture, EveryTensorInfo) {
  const llvm::json::Array &expected = *root().getArray("tensors");
  ArrayRef<GGUFTensorInfo> tensors = reader->getTensors();
  ASSERT_EQ(tensors.size(), expected.size());
  ArrayRef<uint8_t> file = reader->getFileBytes();
  for (size_t i = 0; i < expected.size(); ++i) {
    const llvm::json::Object &entry = *expected[i].getAsObject();
    StringRef name = *entry.getString("name");
    SCOPED_TRACE(name.str());
    const GGUFTensorInfo &info = tensors[i];
    EXPECT_EQ(info.name, name);
    EXPECT_EQ(reader->lookupTensor(name), &info);
    EXPECT_EQ(getGGMLTypeName(info.type), *entry.getString("type"));
    EXPECT_EQ(static_cast<int64_t>(info.type), *entry.getInteger("type_id"));
    const llvm::json::Array &dims = *entry.getArray("dims");
    ASSERT_EQ(info.dims.size(), dims.size());
    for (size_t d = 0; d < dims.size(); ++d)
      EXPECT_EQ(static_cast<int64_t>(info.dims[d]), *dims[d].getAsInteger());
    EXPECT_EQ(static_cast<int64_t>(info.numElements),
              *entry.getInteger("n_elements"));
    EXPECT_EQ(static_cast<int64_t>(info.numBytes),
              *entry.getInteger("n_bytes"));
    EXPECT_EQ(static_cast<int64_t>(info.offset), *entry.getInteger("offset"));
    // The gguf package's block facts.
    EXPECT_EQ(static_cast<int64_t>(getBlockSize(info.type)),
              *entry.getInteger("block_size"));
    EXPECT_EQ(static_cast<int64_t>(getBlockBytes(info.type)),
              *entry.getInteger("block_bytes"));
    // A view into the mapping, not a copy.
    EXPECT_EQ(info.data.data(),
              file.data() + reader->getDataOffset() + info.offset);
    EXPECT_EQ(info.data.size(), info.numBytes);
    auto data = reader->getTensorData(name);
    ASSERT_TRUE(bool(data));
    EXPECT_EQ(data->data(), info.data.data());
  }
}

TEST_F(GGUFFixture, DequantizeBitExact) {
  std::set<GGMLType> covered;
  for (const llvm::json::Value &entryValue : *root().getArray("tensors")) {
    const llvm::json::Object &entry = *entryValue.getAsObject();
    StringRef name = *entry.getString("name");
    SCOPED_TRACE(name.str());
    const GGUFTensorInfo *info = reader->lookupTensor(name);
    ASSERT_NE(info, nullptr);
    covered.insert(info->type);

    auto reference = llvm::MemoryBuffer::getFile(
        fixturePath(*entry.getString("dequantized")));
    ASSERT_TRUE(reference);
    ASSERT_EQ((*reference)->getBufferSize(), 4 * info->numElements);

    std::vector<float> values(info->numElements);
    ASSERT_EQ(errorMessage(dequantize(info->type, info->data, values)), "");

    const char *expected = (*reference)->getBufferStart();
    for (uint64_t i = 0; i < info->numElements; ++i) {
      uint32_t want, got;
      std::memcpy(&want, expected + 4 * i, 4);
      std::memcpy(&got, &values[i], 4);
      ASSERT_EQ(got, want) << "element " << i << ": " << values[i];
    }
  }
  // Every supported type has a fixture tensor.
  EXPECT_EQ(covered.size(), getSupportedGGMLTypes().size());
}

//===----------------------------------------------------------------------===//
// Block facts and conversions
//===----------------------------------------------------------------------===//

TEST(GGMLTypes, BlockFacts) {
  struct Fact {
    GGMLType type;
    uint32_t id;
    uint64_t size, bytes;
  };
  const Fact facts[] = {
      {GGMLType::Q4_0, 2, 32, 18},    {GGMLType::Q4_1, 3, 32, 20},
      {GGMLType::Q5_0, 6, 32, 22},    {GGMLType::Q5_1, 7, 32, 24},
      {GGMLType::Q8_0, 8, 32, 34},    {GGMLType::Q4_K, 12, 256, 144},
      {GGMLType::Q5_K, 13, 256, 176}, {GGMLType::Q6_K, 14, 256, 210},
      {GGMLType::F16, 1, 1, 2},       {GGMLType::BF16, 30, 1, 2},
      {GGMLType::F32, 0, 1, 4},       {GGMLType::Q2_K, 10, 256, 84},
      {GGMLType::Q3_K, 11, 256, 110}, {GGMLType::IQ4_NL, 20, 32, 18},
      {GGMLType::IQ4_XS, 23, 256, 136},
  };
  EXPECT_EQ(getSupportedGGMLTypes().size(), std::size(facts));
  for (const Fact &fact : facts) {
    EXPECT_EQ(getBlockSize(fact.type), fact.size);
    EXPECT_EQ(getBlockBytes(fact.type), fact.bytes);
    EXPECT_EQ(getGGMLType(fact.id), fact.type);
    EXPECT_EQ(getGGMLTypeIdName(fact.id), getGGMLTypeName(fact.type));
  }
  EXPECT_FALSE(getGGMLType(16).has_value()); // IQ2_XXS: known, unsupported
  EXPECT_EQ(getGGMLTypeIdName(16), "IQ2_XXS");
  EXPECT_FALSE(getGGMLType(4).has_value()); // retired
  EXPECT_EQ(getGGMLTypeIdName(4), "");
  EXPECT_EQ(getGGMLTypeIdName(123456), "");
}

/// Every half, against an independent formula.
TEST(GGMLTypes, HalfToFloatExhaustive) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    float sign = (bits & 0x8000) ? -1.0f : 1.0f;
    int exponent = (bits >> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      if (mantissa == 0) {
        EXPECT_EQ(value, sign * INFINITY);
      } else {
        uint32_t floatBits;
        std::memcpy(&floatBits, &value, 4);
        EXPECT_TRUE(std::isnan(value));
        EXPECT_EQ(floatBits & 0x7fffff, static_cast<uint32_t>(mantissa) << 13);
      }
      continue;
    }
    float expected = exponent == 0 ? sign * std::ldexp(float(mantissa), -24)
                                   : sign * std::ldexp(float(1024 + mantissa),
                                                       exponent - 25);
    EXPECT_EQ(value, expected) << "half 0x" << std::hex << bits;
    EXPECT_EQ(std::signbit(value), (bits & 0x8000) != 0);
  }
}

TEST(GGMLTypes, DequantizeChecksSizes) {
  std::vector<uint8_t> bytes(18);
  std::vector<float> values(32);
  EXPECT_EQ(errorMessage(dequantize(GGMLType::Q4_0, bytes, values)), "");
  std::vector<float> partial(31);
  EXPECT_NE(errorMessage(dequantize(GGMLType::Q4_0, bytes, partial))
                .find("not a whole number of 32-element blocks"),
            std::string::npos);
  EXPECT_NE(
      errorMessage(dequantize(GGMLType::Q4_0,
                              ArrayRef<uint8_t>(bytes).drop_back(), values))
          .find("take 18 bytes, but 17 were given"),
      std::string::npos);
  EXPECT_NE(errorMessage(getByteSize(GGMLType::F32, UINT64_MAX / 2))
                .find("overflows"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Malformed files, built here
//===----------------------------------------------------------------------===//

/// Writes GGUF bytes by hand.
class Builder {
public:
  Builder &u8(uint8_t v) {
    bytes.push_back(static_cast<char>(v));
    return *this;
  }
  Builder &u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      u8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Builder &u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      u8(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Builder &raw(StringRef s) {
    bytes.append(s.begin(), s.end());
    return *this;
  }
  Builder &str(StringRef s) { return u64(s.size()).raw(s); }
  Builder &header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(tensors).u64(kvs);
  }
  /// A key and its value type.
  Builder &key(StringRef k, GGUFValueType type) {
    return str(k).u32(static_cast<uint32_t>(type));
  }
  Builder &kvU32(StringRef k, uint32_t v) {
    return key(k, GGUFValueType::UInt32).u32(v);
  }
  Builder &kvString(StringRef k, StringRef v) {
    return key(k, GGUFValueType::String).str(v);
  }
  Builder &tensor(StringRef name, ArrayRef<uint64_t> dims, uint32_t type,
                  uint64_t offset) {
    str(name).u32(dims.size());
    for (uint64_t d : dims)
      u64(d);
    return u32(type).u64(offset);
  }
  Builder &pad(size_t alignment = 32) {
    while (bytes.size() % alignment)
      u8(0);
    return *this;
  }
  Builder &zeros(size_t n) {
    bytes.append(n, '\0');
    return *this;
  }

  std::string bytes;
};

/// Parses `bytes` as a file named `name`.
llvm::Expected<std::unique_ptr<GGUFReader>> parse(StringRef bytes,
                                                  StringRef name = "bad.gguf") {
  return GGUFReader::create(llvm::MemoryBuffer::getMemBufferCopy(bytes, name));
}

/// The one-line error of parsing `bytes`; fails the test if parsing succeeds
/// or the message is not one line naming the file.
std::string parseError(StringRef bytes) {
  auto reader = parse(bytes);
  if (reader) {
    ADD_FAILURE() << "malformed file parsed";
    return "";
  }
  std::string message = llvm::toString(reader.takeError());
  EXPECT_TRUE(isOneLine(message)) << message;
  EXPECT_TRUE(StringRef(message).starts_with("bad.gguf: ")) << message;
  return message;
}

#define EXPECT_MESSAGE(message, part)                                          \
  EXPECT_NE((message).find(part), std::string::npos)                           \
      << "message: " << (message) << "\nexpected: " << (part)

constexpr uint32_t kF32 = 0, kQ4_0 = 2, kQ8_0 = 8;
constexpr uint64_t kHuge = uint64_t(1) << 62;

/// A small valid file: metadata of three kinds, an F32 tensor and a Q8_0
/// tensor whose data ends exactly at the end of the file.
std::string smallFile() {
  Builder b;
  b.header(2, 3)
      .kvString("general.architecture", "llama")
      .kvU32("test.count", 7)
      .key("test.nested", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::Array))
      .u64(2)
      .u32(static_cast<uint32_t>(GGUFValueType::Int32))
      .u64(2)
      .u32(1)
      .u32(2)
      .u32(static_cast<uint32_t>(GGUFValueType::Int32))
      .u64(1)
      .u32(uint32_t(-3))
      .tensor("a", {8}, kF32, 0)
      .tensor("b", {32, 1}, kQ8_0, 32)
      .pad();
  // a: 8 floats 1.0; b: d = 1.0 (f16 0x3c00), q = 0..31.
  for (int i = 0; i < 8; ++i)
    b.u32(0x3f800000);
  b.u8(0x00).u8(0x3c);
  for (int i = 0; i < 32; ++i)
    b.u8(i);
  return b.bytes;
}

TEST(GGUFMalformed, SmallFileParses) {
  std::string bytes = smallFile();
  auto reader = parse(bytes);
  ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
  EXPECT_EQ((*reader)->getVersion(), 3u);
  EXPECT_EQ((*reader)->getAlignment(), 32u);
  EXPECT_EQ((*reader)->getDataOffset() % 32, 0u);
  EXPECT_EQ(*(*reader)->getString("general.architecture"), "llama");
  EXPECT_EQ(*(*reader)->getUnsigned("test.count"), 7u);
  EXPECT_MESSAGE(errorMessage((*reader)->getInteger("test.nested")),
                 "bad.gguf: metadata key 'test.nested' is ARRAY, expected an "
                 "integer");
  auto nested = (*reader)->getArray("test.nested");
  ASSERT_TRUE(bool(nested));
  EXPECT_EQ(nested->getArrayElements()[1].getElement(0).getAsInteger(), -3);
  const GGUFTensorInfo *b = (*reader)->lookupTensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->numBytes, 34u);
  EXPECT_EQ(b->data.end(), (*reader)->getFileBytes().end());
  std::vector<float> values(32);
  ASSERT_EQ(errorMessage(dequantize(b->type, b->data, values)), "");
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(values[i], float(i));
}

TEST(GGUFMalformed, TruncatedAtEveryOffset) {
  std::string bytes = smallFile();
  for (size_t size = 0; size < bytes.size(); ++size) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    std::string message = parseError(StringRef(bytes).take_front(size));
    EXPECT_TRUE(message.find("truncated") != std::string::npos ||
                message.find("left in the file") != std::string::npos ||
                message.find("end of the file") != std::string::npos)
        << message;
  }
}

/// Every single-byte corruption of the small file parses or fails cleanly.
TEST(GGUFMalformed, CorruptedBytesFailCleanly) {
  std::string good = smallFile();
  const uint8_t patterns[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0x40};
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t pattern : patterns) {
      std::string bytes = good;
      bytes[i] = static_cast<char>(pattern);
      auto reader = parse(bytes);
      if (reader)
        continue;
      std::string message = llvm::toString(reader.takeError());
      EXPECT_TRUE(isOneLine(message)) << message;
      EXPECT_TRUE(StringRef(message).starts_with("bad.gguf: ")) << message;
    }
  }
}

TEST(GGUFMalformed, WrongMagic) {
  std::string bytes = smallFile();
  bytes[3] = 'X';
  EXPECT_MESSAGE(parseError(bytes), "not a GGUF file: the magic is 'GGUX'");
  // Non-printable magic bytes are escaped, keeping the message one line.
  bytes.replace(0, 4, "\n\r\0\xff", 4);
  EXPECT_MESSAGE(parseError(bytes), "'\\0A\\0D\\00\\FF'");
}

TEST(GGUFMalformed, Versions) {
  Builder v1;
  v1.header(0, 0, 1);
  EXPECT_MESSAGE(parseError(v1.bytes), "GGUF version 1 is not supported");
  Builder v99;
  v99.header(0, 0, 99);
  EXPECT_MESSAGE(parseError(v99.bytes), "unsupported GGUF version 99");
  Builder bigEndian;
  bigEndian.header(0, 0, 0x03000000);
  EXPECT_MESSAGE(parseError(bigEndian.bytes), "big-endian");
  Builder v2;
  v2.header(0, 1, 2).kvU32("x", 1);
  auto reader = parse(v2.bytes);
  ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
  EXPECT_EQ((*reader)->getVersion(), 2u);
}

TEST(GGUFMalformed, TensorOffsetOutOfBounds) {
  Builder b;
  b.header(1, 0).tensor("blk.0.w", {8}, kF32, 4096).pad().zeros(32);
  std::string message = parseError(b.bytes);
  EXPECT_MESSAGE(message, "tensor 'blk.0.w'");
  EXPECT_MESSAGE(message, "beyond the end of the file");
  // Offset plus size wraps around 64 bits.
  Builder wrap;
  wrap.header(1, 0).tensor("w", {8}, kF32, UINT64_MAX - 31).pad().zeros(32);
  EXPECT_MESSAGE(parseError(wrap.bytes), "tensor 'w'");
}

TEST(GGUFMalformed, SizeOverflow) {
  Builder elements;
  elements.header(1, 0)
      .tensor("big", {uint64_t(1) << 32, uint64_t(1) << 32}, kF32, 0)
      .pad();
  std::string message = parseError(elements.bytes);
  EXPECT_MESSAGE(message, "tensor 'big'");
  EXPECT_MESSAGE(message, "element count overflows 64 bits");
  Builder bytes;
  bytes.header(1, 0).tensor("big", {kHuge}, kF32, 0).pad();
  message = parseError(bytes.bytes);
  EXPECT_MESSAGE(message, "tensor 'big'");
  EXPECT_MESSAGE(message, "byte size");
  EXPECT_MESSAGE(message, "overflows 64 bits");
}

TEST(GGUFMalformed, BadDims) {
  Builder zero;
  zero.header(1, 0).tensor("z", {8, 0}, kF32, 0).pad().zeros(32);
  EXPECT_MESSAGE(parseError(zero.bytes), "tensor 'z': dimension 1 is zero");
  Builder negative;
  negative.header(1, 0).tensor("n", {uint64_t(-2)}, kF32, 0).pad();
  EXPECT_MESSAGE(parseError(negative.bytes),
                 "tensor 'n': dimension 0 is negative (-2)");
  Builder many;
  many.header(1, 0).tensor("m", {1, 1, 1, 1, 1}, kF32, 0).pad().zeros(32);
  EXPECT_MESSAGE(parseError(many.bytes),
                 "tensor 'm': has 5 dimensions; at most 4 are supported");
  Builder none;
  none.header(1, 0).tensor("s", {}, kF32, 0).pad().zeros(32);
  EXPECT_MESSAGE(parseError(none.bytes), "tensor 's': has no dimensions");
  Builder hugeCount;
  hugeCount.header(1, 0).str("h").u32(UINT32_MAX).zeros(64);
  EXPECT_MESSAGE(parseError(hugeCount.bytes),
                 "tensor 'h': has 4294967295 dimensions");
}

TEST(GGUFMalformed, TensorTypes) {
  Builder iq2;
  iq2.header(1, 0).tensor("t", {256}, 16, 0).pad().zeros(256);
  std::string message = parseError(iq2.bytes);
  EXPECT_MESSAGE(message, "tensor 't': unsupported ggml type 16 (IQ2_XXS)");
  EXPECT_MESSAGE(message, "supported types: F32, F16, BF16, Q8_0, Q4_0, "
                          "Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q2_K, Q3_K, "
                          "IQ4_NL, IQ4_XS");
  Builder unknown;
  unknown.header(1, 0).tensor("u", {8}, 999, 0).pad().zeros(32);
  EXPECT_MESSAGE(parseError(unknown.bytes), "unsupported ggml type 999;");
  Builder row;
  row.header(1, 0).tensor("r", {30, 2}, kQ4_0, 0).pad().zeros(64);
  EXPECT_MESSAGE(parseError(row.bytes),
                 "tensor 'r': row length 30 is not a multiple of the Q4_0 "
                 "block size 32");
}

TEST(GGUFMalformed, HugeStringLength) {
  Builder value;
  value.header(0, 1).key("general.name", GGUFValueType::String).u64(kHuge);
  std::string message = parseError(value.bytes);
  EXPECT_MESSAGE(message, "metadata key 'general.name'");
  EXPECT_MESSAGE(message, "string length 4611686018427387904");
  EXPECT_MESSAGE(message, "exceeds the 0 bytes left in the file");
  Builder key;
  key.header(0, 1).u64(UINT64_MAX).raw("abcdefgh");
  message = parseError(key.bytes);
  EXPECT_MESSAGE(message, "metadata entry #0: key length");
  Builder name;
  name.header(1, 0).u64(UINT64_MAX).zeros(40);
  EXPECT_MESSAGE(parseError(name.bytes), "tensor info #0: tensor name length");
}

TEST(GGUFMalformed, HugeArrayCount) {
  Builder scalars;
  scalars.header(0, 1)
      .key("tokenizer.ggml.scores", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::Float32))
      .u64(kHuge)
      .zeros(16);
  std::string message = parseError(scalars.bytes);
  EXPECT_MESSAGE(message, "metadata key 'tokenizer.ggml.scores'");
  EXPECT_MESSAGE(message, "array count 4611686018427387904 of FLOAT32");
  Builder strings;
  strings.header(0, 1)
      .key("tokenizer.ggml.tokens", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::String))
      .u64(UINT64_MAX)
      .zeros(16);
  message = parseError(strings.bytes);
  EXPECT_MESSAGE(message, "metadata key 'tokenizer.ggml.tokens'");
  EXPECT_MESSAGE(message, "array count 18446744073709551615 of STRING");
}

TEST(GGUFMalformed, NestedArrayCountBomb) {
  // Many arrays of arrays: bounded by the file before any is parsed.
  Builder outer;
  outer.header(0, 1)
      .key("bomb", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::Array))
      .u64(kHuge)
      .zeros(24);
  std::string message = parseError(outer.bytes);
  EXPECT_MESSAGE(message, "metadata key 'bomb'");
  EXPECT_MESSAGE(message, "array count 4611686018427387904 of ARRAY");
  // One small outer array whose inner array claims a huge count.
  Builder inner;
  inner.header(0, 1)
      .key("bomb", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::Array))
      .u64(1)
      .u32(static_cast<uint32_t>(GGUFValueType::UInt64))
      .u64(kHuge)
      .zeros(24);
  message = parseError(inner.bytes);
  EXPECT_MESSAGE(message, "metadata key 'bomb'");
  EXPECT_MESSAGE(message, "array count 4611686018427387904 of UINT64");
  // Arrays nested past the limit.
  Builder deep;
  deep.header(0, 1).key("deep", GGUFValueType::Array);
  for (int i = 0; i < 40; ++i)
    deep.u32(static_cast<uint32_t>(GGUFValueType::Array)).u64(1);
  deep.u32(static_cast<uint32_t>(GGUFValueType::UInt8)).u64(0);
  message = parseError(deep.bytes);
  EXPECT_MESSAGE(message, "metadata key 'deep': arrays nested deeper than 16");
}

TEST(GGUFMalformed, BadAlignment) {
  for (uint32_t alignment : {0u, 3u, 48u}) {
    Builder b;
    b.header(0, 1).kvU32("general.alignment", alignment);
    std::string message = parseError(b.bytes);
    EXPECT_MESSAGE(message, "metadata key 'general.alignment'");
    EXPECT_MESSAGE(message, "is not a power of two");
  }
  Builder text;
  text.header(0, 1).kvString("general.alignment", "32");
  EXPECT_MESSAGE(parseError(text.bytes),
                 "'general.alignment': must be a non-negative integer, not "
                 "STRING");
}

TEST(GGUFMalformed, CustomAlignment) {
  Builder b;
  b.header(2, 1)
      .kvU32("general.alignment", 64)
      .tensor("a", {8}, kF32, 0)
      .tensor("b", {8}, kF32, 64)
      .pad(64)
      .zeros(96);
  auto reader = parse(b.bytes);
  ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
  EXPECT_EQ((*reader)->getAlignment(), 64u);
  EXPECT_EQ((*reader)->getDataOffset() % 64, 0u);
  // An offset aligned to 32 but not to 64.
  Builder misaligned;
  misaligned.header(1, 1)
      .kvU32("general.alignment", 64)
      .tensor("b", {8}, kF32, 32)
      .pad(64)
      .zeros(96);
  EXPECT_MESSAGE(parseError(misaligned.bytes),
                 "tensor 'b': data offset 32 is not a multiple of the "
                 "alignment 64");
}

TEST(GGUFMalformed, MisalignedTensorOffset) {
  Builder b;
  b.header(1, 0).tensor("w", {8}, kF32, 33).pad().zeros(96);
  EXPECT_MESSAGE(parseError(b.bytes),
                 "tensor 'w': data offset 33 is not a multiple of the "
                 "alignment 32");
}

TEST(GGUFMalformed, Duplicates) {
  Builder keys;
  keys.header(0, 2).kvU32("general.x", 1).kvU32("general.x", 2);
  EXPECT_MESSAGE(parseError(keys.bytes),
                 "metadata key 'general.x': duplicate metadata key");
  Builder tensors;
  tensors.header(2, 0)
      .tensor("w", {8}, kF32, 0)
      .tensor("w", {8}, kF32, 32)
      .pad()
      .zeros(64);
  EXPECT_MESSAGE(parseError(tensors.bytes),
                 "tensor 'w': duplicate tensor name");
  // A key with control bytes is escaped: the message stays one line.
  Builder odd;
  odd.header(0, 2).kvU32("a\nb", 1).kvU32("a\nb", 2);
  EXPECT_MESSAGE(parseError(odd.bytes), "metadata key 'a\\0Ab'");
}

TEST(GGUFMalformed, BadValues) {
  Builder type;
  type.header(0, 1).key("k", static_cast<GGUFValueType>(13)).u64(0);
  EXPECT_MESSAGE(parseError(type.bytes),
                 "metadata key 'k': unknown value type 13");
  Builder elementType;
  elementType.header(0, 1).key("k", GGUFValueType::Array).u32(77).u64(0);
  EXPECT_MESSAGE(parseError(elementType.bytes),
                 "unknown array element type 77");
  Builder boolean;
  boolean.header(0, 1).key("k", GGUFValueType::Bool).u8(2);
  EXPECT_MESSAGE(parseError(boolean.bytes),
                 "metadata key 'k': BOOL value 2 at offset");
  Builder bools;
  bools.header(0, 1)
      .key("k", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::Bool))
      .u64(3)
      .u8(1)
      .u8(0)
      .u8(9);
  EXPECT_MESSAGE(parseError(bools.bytes), "BOOL array element 2");
}

TEST(GGUFMalformed, HugeCounts) {
  Builder kvs;
  kvs.header(0, UINT64_MAX).zeros(64);
  EXPECT_MESSAGE(parseError(kvs.bytes),
                 "header: metadata count 18446744073709551615 exceeds");
  Builder tensors;
  tensors.header(UINT64_MAX, 0).zeros(64);
  EXPECT_MESSAGE(parseError(tensors.bytes),
                 "header: tensor count 18446744073709551615 exceeds");
}

TEST(GGUFMalformed, EmptyPieces) {
  // No tensors, no padding, an empty array and an empty string: valid.
  Builder b;
  b.header(0, 2)
      .key("empty.array", GGUFValueType::Array)
      .u32(static_cast<uint32_t>(GGUFValueType::String))
      .u64(0)
      .kvString("", "");
  auto reader = parse(b.bytes);
  ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
  EXPECT_EQ((*reader)->getArray("empty.array")->size(), 0u);
  EXPECT_EQ(*(*reader)->getString(""), "");
  EXPECT_TRUE((*reader)->getTensors().empty());
}

/// A large file is mapped, and tensors point into the mapping.
TEST(GGUFFile, LargeFileIsMapped) {
  Builder b;
  b.header(1, 1)
      .kvString("general.name", "mapped")
      .tensor("w", {16384}, kF32, 0)
      .pad();
  size_t dataOffset = b.bytes.size();
  b.zeros(16384 * 4);
  b.bytes[dataOffset + 5] = 0x7f;

  int fd;
  llvm::SmallString<128> path;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("ingot-gguf-test", "gguf", fd, path));
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << b.bytes;
  }
  {
    auto reader = GGUFReader::open(path);
    ASSERT_TRUE(bool(reader)) << llvm::toString(reader.takeError());
    EXPECT_TRUE((*reader)->isMemoryMapped());
    EXPECT_EQ((*reader)->getPath(), path.str());
    const GGUFTensorInfo *w = (*reader)->lookupTensor("w");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->data.data(), (*reader)->getFileBytes().data() + dataOffset);
    EXPECT_EQ(w->data[5], 0x7f);
  }
  llvm::sys::fs::remove(path);
}

TEST(GGUFFile, MissingFile) {
  std::string message =
      errorMessage(GGUFReader::open("/nonexistent/ingot/model.gguf"));
  EXPECT_TRUE(isOneLine(message));
  EXPECT_MESSAGE(message, "/nonexistent/ingot/model.gguf: cannot open");
}

} // namespace
