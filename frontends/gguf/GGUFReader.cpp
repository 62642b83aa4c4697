//===- GGUFReader.cpp - Reads GGUF model files ----------------------------===//
//
// File layout (all little-endian):
//   header       "GGUF", uint32 version, uint64 tensor count, uint64 metadata
//                count
//   metadata     per entry: string key, uint32 value type, value
//   tensor infos per tensor: string name, uint32 dim count, uint64 dims
//                (innermost first), uint32 ggml type, uint64 data offset
//   padding      to general.alignment (default 32)
//   data         tensor bytes, each at its offset from here
// A string is a uint64 byte length and the bytes; an array is a uint32
// element type, a uint64 count and the elements.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUFReader.h"

#include "frontends/InputFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace ingot::gguf;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;
namespace endian = llvm::support::endian;

//===----------------------------------------------------------------------===//
// Value types and values
//===----------------------------------------------------------------------===//

namespace {

constexpr uint32_t kLastValueType = 12;

/// The size of a scalar value type; 0 for strings and arrays.
uint64_t getScalarSize(GGUFValueType type) {
  switch (type) {
  case GGUFValueType::UInt8:
  case GGUFValueType::Int8:
  case GGUFValueType::Bool:
    return 1;
  case GGUFValueType::UInt16:
  case GGUFValueType::Int16:
    return 2;
  case GGUFValueType::UInt32:
  case GGUFValueType::Int32:
  case GGUFValueType::Float32:
    return 4;
  case GGUFValueType::UInt64:
  case GGUFValueType::Int64:
  case GGUFValueType::Float64:
    return 8;
  case GGUFValueType::String:
  case GGUFValueType::Array:
    return 0;
  }
  return 0;
}

bool isSignedInteger(GGUFValueType type) {
  return type == GGUFValueType::Int8 || type == GGUFValueType::Int16 ||
         type == GGUFValueType::Int32 || type == GGUFValueType::Int64;
}

/// Reads a scalar of `size` bytes, zero-extended.
uint64_t readScalarBits(const uint8_t *p, uint64_t size) {
  switch (size) {
  case 1:
    return p[0];
  case 2:
    return endian::read16le(p);
  case 4:
    return endian::read32le(p);
  default:
    return endian::read64le(p);
  }
}

/// A signed integer's bits, sign-extended from its width.
int64_t signExtend(GGUFValueType type, uint64_t bits) {
  switch (type) {
  case GGUFValueType::Int8:
    return static_cast<int8_t>(bits);
  case GGUFValueType::Int16:
    return static_cast<int16_t>(bits);
  case GGUFValueType::Int32:
    return static_cast<int32_t>(bits);
  default:
    return static_cast<int64_t>(bits);
  }
}

llvm::Error makeStringError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

StringRef ingot::gguf::getGGUFValueTypeName(GGUFValueType type) {
  switch (type) {
  case GGUFValueType::UInt8:
    return "UINT8";
  case GGUFValueType::Int8:
    return "INT8";
  case GGUFValueType::UInt16:
    return "UINT16";
  case GGUFValueType::Int16:
    return "INT16";
  case GGUFValueType::UInt32:
    return "UINT32";
  case GGUFValueType::Int32:
    return "INT32";
  case GGUFValueType::Float32:
    return "FLOAT32";
  case GGUFValueType::Bool:
    return "BOOL";
  case GGUFValueType::String:
    return "STRING";
  case GGUFValueType::Array:
    return "ARRAY";
  case GGUFValueType::UInt64:
    return "UINT64";
  case GGUFValueType::Int64:
    return "INT64";
  case GGUFValueType::Float64:
    return "FLOAT64";
  }
  return "UNKNOWN";
}


bool GGUFValue::isInteger() const {
  switch (type) {
  case GGUFValueType::UInt8:
  case GGUFValueType::Int8:
  case GGUFValueType::UInt16:
  case GGUFValueType::Int16:
  case GGUFValueType::UInt32:
  case GGUFValueType::Int32:
  case GGUFValueType::UInt64:
  case GGUFValueType::Int64:
    return true;
  default:
    return false;
  }
}

std::optional<int64_t> GGUFValue::getAsInteger() const {
  if (!isInteger())
    return std::nullopt;
  if (isSignedInteger(type))
    return signExtend(type, bits);
  if (bits > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return static_cast<int64_t>(bits);
}

std::optional<uint64_t> GGUFValue::getAsUnsigned() const {
  if (!isInteger())
    return std::nullopt;
  if (isSignedInteger(type) && signExtend(type, bits) < 0)
    return std::nullopt;
  return bits;
}

std::optional<double> GGUFValue::getAsFloat() const {
  if (type == GGUFValueType::Float32)
    return llvm::bit_cast<float>(static_cast<uint32_t>(bits));
  if (type == GGUFValueType::Float64)
    return llvm::bit_cast<double>(bits);
  return std::nullopt;
}

std::optional<bool> GGUFValue::getAsBool() const {
  if (type != GGUFValueType::Bool)
    return std::nullopt;
  return bits != 0;
}

std::optional<StringRef> GGUFValue::getAsString() const {
  if (type != GGUFValueType::String)
    return std::nullopt;
  return string;
}

GGUFValue GGUFValue::getScalar(GGUFValueType type, uint64_t bits) {
  GGUFValue value;
  value.type = type;
  value.bits = bits;
  return value;
}

GGUFValue GGUFValue::getString(StringRef string) {
  GGUFValue value;
  value.type = GGUFValueType::String;
  value.string = string;
  return value;
}

GGUFValue GGUFValue::getElement(uint64_t index) const {
  if (elementType == GGUFValueType::String)
    return getString(strings[index]);
  if (elementType == GGUFValueType::Array)
    return arrays[index];
  uint64_t size = getScalarSize(elementType);
  return getScalar(elementType,
                   readScalarBits(raw.data() + index * size, size));
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace ingot::gguf {

/// Parses a whole file into a GGUFReader. Every read is bounds-checked;
/// errors name the file and what was being read (`where`).
class GGUFParser {
public:
  explicit GGUFParser(GGUFReader &reader)
      : reader(reader), bytes(reinterpret_cast<const uint8_t *>(
                                  reader.buffer->getBufferStart()),
                              reader.buffer->getBufferSize()) {}

  Error parse();

private:
  Error parseHeader(uint64_t &tensorCount, uint64_t &metadataCount);
  Error parseMetadata(uint64_t count);
  Error parseAlignment();
  Error parseTensorInfos(uint64_t count);
  Error parseTensorInfo(GGUFTensorInfo &info);
  Error locateTensorData();

  /// Parses a value of `type` into `value`; `depth` counts enclosing arrays.
  Error parseValue(GGUFValueType type, unsigned depth, GGUFValue &value);
  Error parseArray(unsigned depth, GGUFValue &value);
  /// Reads a uint32 value type id and checks it.
  Error readValueType(GGUFValueType &type, StringRef what);

  uint64_t remaining() const { return bytes.size() - pos; }
  /// Checks that `size` more bytes exist for `what`.
  Error need(uint64_t size, StringRef what);
  Error readU32(uint32_t &out, StringRef what);
  Error readU64(uint64_t &out, StringRef what);
  Error readString(StringRef &out, StringRef what);

  /// "<file>: <where>: <message>".
  Error fail(const Twine &message) const;

  GGUFReader &reader;
  ArrayRef<uint8_t> bytes;
  uint64_t pos = 0;
  /// What is being parsed, for messages: "header", "metadata key 'x'".
  std::string where;
};

} // namespace ingot::gguf

Error GGUFParser::fail(const Twine &message) const {
  if (where.empty())
    return reader.makeError(message);
  return reader.makeError(where + ": " + message);
}

Error GGUFParser::need(uint64_t size, StringRef what) {
  if (size <= remaining())
    return Error::success();
  return fail("truncated file: " + what + " needs " + Twine(size) +
              " bytes at offset " + Twine(pos) + ", but only " +
              Twine(remaining()) + " remain");
}

Error GGUFParser::readU32(uint32_t &out, StringRef what) {
  if (Error err = need(4, what))
    return err;
  out = endian::read32le(bytes.data() + pos);
  pos += 4;
  return Error::success();
}

Error GGUFParser::readU64(uint64_t &out, StringRef what) {
  if (Error err = need(8, what))
    return err;
  out = endian::read64le(bytes.data() + pos);
  pos += 8;
  return Error::success();
}

Error GGUFParser::readString(StringRef &out, StringRef what) {
  uint64_t length;
  if (Error err = readU64(length, (what + " length").str()))
    return err;
  if (length > remaining())
    return fail(what + " length " + Twine(length) + " at offset " +
                Twine(pos - 8) + " exceeds the " + Twine(remaining()) +
                " bytes left in the file");
  out = StringRef(reinterpret_cast<const char *>(bytes.data() + pos), length);
  pos += length;
  return Error::success();
}

Error GGUFParser::readValueType(GGUFValueType &type, StringRef what) {
  uint32_t id;
  if (Error err = readU32(id, what))
    return err;
  if (id > kLastValueType)
    return fail("unknown " + what + " " + Twine(id) + " at offset " +
                Twine(pos - 4) + " (known types are 0 to " +
                Twine(kLastValueType) + ")");
  type = static_cast<GGUFValueType>(id);
  return Error::success();
}

Error GGUFParser::parse() {
  uint64_t tensorCount, metadataCount;
  if (Error err = parseHeader(tensorCount, metadataCount))
    return err;
  if (Error err = parseMetadata(metadataCount))
    return err;
  if (Error err = parseAlignment())
    return err;
  if (Error err = parseTensorInfos(tensorCount))
    return err;
  return locateTensorData();
}

Error GGUFParser::parseHeader(uint64_t &tensorCount, uint64_t &metadataCount) {
  where = "header";
  if (Error err = need(4, "the magic"))
    return err;
  StringRef magic(reinterpret_cast<const char *>(bytes.data()), 4);
  if (magic != "GGUF")
    return fail("not a GGUF file: the magic is " + quoteForMessage(magic) +
                ", expected 'GGUF'");
  pos = 4;
  uint32_t version;
  if (Error err = readU32(version, "the version"))
    return err;
  if (version == 1)
    return fail("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version != 2 && version != 3) {
    uint32_t swapped = llvm::byteswap(version);
    if (swapped == 2 || swapped == 3)
      return fail("big-endian GGUF files are not supported");
    return fail("unsupported GGUF version " + Twine(version) +
                " (only versions 2 and 3)");
  }
  reader.version = version;
  if (Error err = readU64(tensorCount, "the tensor count"))
    return err;
  if (Error err = readU64(metadataCount, "the metadata count"))
    return err;
  // A metadata entry takes at least 13 bytes: key length, value type and a
  // one-byte value.
  if (metadataCount > remaining() / 13)
    return fail("metadata count " + Twine(metadataCount) +
                " exceeds what the " + Twine(remaining()) +
                " bytes left in the file can hold");
  return Error::success();
}

Error GGUFParser::parseMetadata(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    where = ("metadata entry #" + Twine(i)).str();
    StringRef key;
    if (Error err = readString(key, "key"))
      return err;
    where = "metadata key " + quoteForMessage(key);
    if (reader.metadataIndex.count(key))
      return fail("duplicate metadata key");
    GGUFValueType type;
    if (Error err = readValueType(type, "value type"))
      return err;
    GGUFValue value;
    if (Error err = parseValue(type, 0, value))
      return err;
    reader.metadataIndex[key] = reader.metadata.size();
    reader.metadata.push_back({key, std::move(value)});
  }
  return Error::success();
}

Error GGUFParser::parseValue(GGUFValueType type, unsigned depth,
                             GGUFValue &value) {
  value.type = type;
  if (type == GGUFValueType::String)
    return readString(value.string, "string");
  if (type == GGUFValueType::Array)
    return parseArray(depth, value);
  uint64_t size = getScalarSize(type);
  if (Error err = need(size, (getGGUFValueTypeName(type) + " value").str()))
    return err;
  value.bits = readScalarBits(bytes.data() + pos, size);
  if (type == GGUFValueType::Bool && value.bits > 1)
    return fail("BOOL value " + Twine(value.bits) + " at offset " + Twine(pos) +
                " is neither 0 nor 1");
  pos += size;
  return Error::success();
}

Error GGUFParser::parseArray(unsigned depth, GGUFValue &value) {
  if (depth >= GGUFReader::kMaxArrayDepth)
    return fail("arrays nested deeper than " +
                Twine(GGUFReader::kMaxArrayDepth) + " levels");
  GGUFValueType elementType;
  if (Error err = readValueType(elementType, "array element type"))
    return err;
  uint64_t count;
  if (Error err = readU64(count, "array count"))
    return err;
  value.elementType = elementType;
  value.count = count;
  StringRef typeName = getGGUFValueTypeName(elementType);

  if (uint64_t size = getScalarSize(elementType)) {
    bool overflowed = false;
    uint64_t total = llvm::SaturatingMultiply(count, size, &overflowed);
    if (overflowed || total > remaining())
      return fail("array count " + Twine(count) + " of " + typeName +
                  " at offset " + Twine(pos - 8) + " exceeds the " +
                  Twine(remaining()) + " bytes left in the file");
    value.raw = bytes.slice(pos, total);
    if (elementType == GGUFValueType::Bool)
      for (uint64_t i = 0; i < count; ++i)
        if (value.raw[i] > 1)
          return fail("BOOL array element " + Twine(i) + " at offset " +
                      Twine(pos + i) + " is neither 0 nor 1");
    pos += total;
    return Error::success();
  }

  // Strings take at least 8 bytes (their length), arrays at least 12 (type
  // and count): bound the count by the file before parsing any element.
  uint64_t minSize = elementType == GGUFValueType::String ? 8 : 12;
  if (count > remaining() / minSize)
    return fail("array count " + Twine(count) + " of " + typeName +
                " at offset " + Twine(pos - 8) + " exceeds what the " +
                Twine(remaining()) + " bytes left in the file can hold");
  if (elementType == GGUFValueType::String) {
    for (uint64_t i = 0; i < count; ++i) {
      StringRef element;
      if (Error err = readString(element, "string array element"))
        return err;
      value.strings.push_back(element);
    }
    return Error::success();
  }
  for (uint64_t i = 0; i < count; ++i) {
    GGUFValue element;
    if (Error err = parseValue(GGUFValueType::Array, depth + 1, element))
      return err;
    value.arrays.push_back(std::move(element));
  }
  return Error::success();
}

Error GGUFParser::parseAlignment() {
  const GGUFValue *value = reader.lookup("general.alignment");
  if (!value)
    return Error::success();
  where = "metadata key 'general.alignment'";
  std::optional<uint64_t> alignment = value->getAsUnsigned();
  if (!alignment)
    return fail("must be a non-negative integer, not " +
                getGGUFValueTypeName(value->getType()));
  if (!llvm::isPowerOf2_64(*alignment))
    return fail("alignment " + Twine(*alignment) + " is not a power of two");
  reader.alignment = *alignment;
  return Error::success();
}

Error GGUFParser::parseTensorInfos(uint64_t count) {
  where = "header";
  // A tensor info takes at least 32 bytes: name length, dim count, one dim,
  // type and offset.
  if (count > remaining() / 32)
    return fail("tensor count " + Twine(count) + " exceeds what the " +
                Twine(remaining()) + " bytes left in the file can hold");
  for (uint64_t i = 0; i < count; ++i) {
    where = ("tensor info #" + Twine(i)).str();
    GGUFTensorInfo info;
    if (Error err = parseTensorInfo(info))
      return err;
    reader.tensorIndex[info.name] = reader.tensors.size();
    reader.tensors.push_back(std::move(info));
  }
  return Error::success();
}

Error GGUFParser::parseTensorInfo(GGUFTensorInfo &info) {
  if (Error err = readString(info.name, "tensor name"))
    return err;
  where = "tensor " + quoteForMessage(info.name);
  if (reader.tensorIndex.count(info.name))
    return fail("duplicate tensor name");

  uint32_t numDims;
  if (Error err = readU32(numDims, "the dimension count"))
    return err;
  if (numDims == 0)
    return fail("has no dimensions");
  if (numDims > GGUFReader::kMaxDims)
    return fail("has " + Twine(numDims) + " dimensions; at most " +
                Twine(GGUFReader::kMaxDims) + " are supported");
  uint64_t numElements = 1;
  for (uint32_t d = 0; d < numDims; ++d) {
    uint64_t dim;
    if (Error err = readU64(dim, "a dimension"))
      return err;
    if (dim == 0)
      return fail("dimension " + Twine(d) + " is zero");
    if (dim > static_cast<uint64_t>(INT64_MAX))
      return fail("dimension " + Twine(d) + " is negative (" +
                  Twine(static_cast<int64_t>(dim)) + ")");
    bool overflowed = false;
    numElements = llvm::SaturatingMultiply(numElements, dim, &overflowed);
    if (overflowed)
      return fail("element count overflows 64 bits at dimension " + Twine(d));
    info.dims.push_back(dim);
  }
  info.numElements = numElements;

  uint32_t typeId;
  if (Error err = readU32(typeId, "the ggml type"))
    return err;
  std::optional<GGMLType> type = getGGMLType(typeId);
  if (!type) {
    std::string name = getGGMLTypeIdName(typeId).str();
    if (!name.empty())
      name = " (" + name + ")";
    return fail("unsupported ggml type " + Twine(typeId) + name +
                "; supported types: " + getSupportedGGMLTypeList());
  }
  info.type = *type;
  uint64_t blockSize = getBlockSize(*type);
  if (info.dims[0] % blockSize != 0)
    return fail("row length " + Twine(info.dims[0]) +
                " is not a multiple of the " + getGGMLTypeName(*type) +
                " block size " + Twine(blockSize));
  bool overflowed = false;
  info.numBytes = llvm::SaturatingMultiply(numElements / blockSize,
                                           getBlockBytes(*type), &overflowed);
  if (overflowed)
    return fail("byte size of " + Twine(numElements) + " " +
                getGGMLTypeName(*type) + " elements overflows 64 bits");

  if (Error err = readU64(info.offset, "the data offset"))
    return err;
  if (info.offset % reader.alignment != 0)
    return fail("data offset " + Twine(info.offset) +
                " is not a multiple of the alignment " +
                Twine(reader.alignment));
  return Error::success();
}

Error GGUFParser::locateTensorData() {
  where.clear();
  // The data section starts at the first aligned offset after the infos.
  uint64_t padding =
      (reader.alignment - pos % reader.alignment) % reader.alignment;
  if (padding > remaining()) {
    if (!reader.tensors.empty())
      return fail("truncated file: the tensor data section would start at "
                  "offset " +
                  Twine(pos) + " + " + Twine(padding) +
                  " bytes of padding, past the end of the file (" +
                  Twine(bytes.size()) + " bytes)");
    // No tensors: a file may end without the padding.
    padding = remaining();
  }
  reader.dataOffset = pos + padding;
  uint64_t dataSize = bytes.size() - reader.dataOffset;
  for (GGUFTensorInfo &info : reader.tensors) {
    if (info.offset > dataSize || info.numBytes > dataSize - info.offset) {
      where = "tensor " + quoteForMessage(info.name);
      return fail("data at offset " + Twine(info.offset) + " (" +
                  Twine(info.numBytes) +
                  " bytes) lies beyond the end of the file: the data section "
                  "holds " +
                  Twine(dataSize) + " bytes");
    }
    info.data = bytes.slice(reader.dataOffset + info.offset, info.numBytes);
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// GGUFReader
//===----------------------------------------------------------------------===//

Expected<std::unique_ptr<GGUFReader>> GGUFReader::open(StringRef path) {
  // Large files are mmapped, never copied.
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      ingot::readInputFile(path);
  if (!buffer)
    return buffer.takeError();
  return create(std::move(*buffer));
}

Expected<std::unique_ptr<GGUFReader>>
GGUFReader::create(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  std::unique_ptr<GGUFReader> reader(new GGUFReader());
  reader->path = buffer->getBufferIdentifier().str();
  reader->buffer = std::move(buffer);
  GGUFParser parser(*reader);
  if (Error err = parser.parse())
    return err;
  return reader;
}

ArrayRef<uint8_t> GGUFReader::getFileBytes() const {
  return ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());
}

Error GGUFReader::makeError(const Twine &message) const {
  return makeStringError(path + ": " + message);
}

const GGUFValue *GGUFReader::lookup(StringRef key) const {
  auto it = metadataIndex.find(key);
  if (it == metadataIndex.end())
    return nullptr;
  return &metadata[it->second].value;
}

Expected<const GGUFValue &> GGUFReader::getValue(StringRef key) const {
  if (const GGUFValue *value = lookup(key))
    return *value;
  return makeError("metadata key " + quoteForMessage(key) + " not found");
}

Error GGUFReader::typeError(StringRef key, const GGUFValue &value,
                            StringRef expected) const {
  return makeError("metadata key " + quoteForMessage(key) + " is " +
                   getGGUFValueTypeName(value.getType()) + ", expected " +
                   expected);
}

Expected<StringRef> GGUFReader::getString(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (std::optional<StringRef> result = value->getAsString())
    return *result;
  return typeError(key, *value, "a string");
}

Expected<int64_t> GGUFReader::getInteger(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (std::optional<int64_t> result = value->getAsInteger())
    return *result;
  if (value->isInteger())
    return makeError("metadata key " + quoteForMessage(key) + " value " +
                     Twine(value->getRawBits()) + " does not fit in int64");
  return typeError(key, *value, "an integer");
}

Expected<uint64_t> GGUFReader::getUnsigned(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (std::optional<uint64_t> result = value->getAsUnsigned())
    return *result;
  if (value->isInteger())
    return makeError("metadata key " + quoteForMessage(key) + " value " +
                     Twine(*value->getAsInteger()) + " is negative");
  return typeError(key, *value, "an integer");
}

Expected<double> GGUFReader::getFloat(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (std::optional<double> result = value->getAsFloat())
    return *result;
  return typeError(key, *value, "FLOAT32 or FLOAT64");
}

Expected<bool> GGUFReader::getBool(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (std::optional<bool> result = value->getAsBool())
    return *result;
  return typeError(key, *value, "BOOL");
}

Expected<const GGUFValue &> GGUFReader::getArray(StringRef key) const {
  Expected<const GGUFValue &> value = getValue(key);
  if (!value)
    return value.takeError();
  if (!value->isArray())
    return typeError(key, *value, "an array");
  return *value;
}

Expected<std::vector<int64_t>>
GGUFReader::getIntegerArray(StringRef key) const {
  Expected<const GGUFValue &> array = getArray(key);
  if (!array)
    return array.takeError();
  std::vector<int64_t> result;
  for (uint64_t i = 0, e = array->size(); i < e; ++i) {
    GGUFValue element = array->getElement(i);
    std::optional<int64_t> integer = element.getAsInteger();
    if (!integer)
      return makeError("metadata key " + quoteForMessage(key) +
                       " is an array of " +
                       getGGUFValueTypeName(array->getElementType()) +
                       ", expected integers fitting in int64");
    result.push_back(*integer);
  }
  return result;
}

Expected<std::vector<double>> GGUFReader::getFloatArray(StringRef key) const {
  Expected<const GGUFValue &> array = getArray(key);
  if (!array)
    return array.takeError();
  GGUFValueType type = array->getElementType();
  if (type != GGUFValueType::Float32 && type != GGUFValueType::Float64)
    return makeError("metadata key " + quoteForMessage(key) +
                     " is an array of " + getGGUFValueTypeName(type) +
                     ", expected FLOAT32 or FLOAT64");
  std::vector<double> result;
  result.reserve(array->size());
  for (uint64_t i = 0, e = array->size(); i < e; ++i)
    result.push_back(*array->getElement(i).getAsFloat());
  return result;
}

Expected<std::vector<StringRef>>
GGUFReader::getStringArray(StringRef key) const {
  Expected<const GGUFValue &> array = getArray(key);
  if (!array)
    return array.takeError();
  if (array->getElementType() != GGUFValueType::String)
    return makeError(
        "metadata key " + quoteForMessage(key) + " is an array of " +
        getGGUFValueTypeName(array->getElementType()) + ", expected STRING");
  ArrayRef<StringRef> strings = array->getStringElements();
  return std::vector<StringRef>(strings.begin(), strings.end());
}

const GGUFTensorInfo *GGUFReader::lookupTensor(StringRef name) const {
  auto it = tensorIndex.find(name);
  if (it == tensorIndex.end())
    return nullptr;
  return &tensors[it->second];
}

Expected<const GGUFTensorInfo &> GGUFReader::getTensor(StringRef name) const {
  if (const GGUFTensorInfo *info = lookupTensor(name))
    return *info;
  return makeError("tensor " + quoteForMessage(name) + " not found");
}

Expected<ArrayRef<uint8_t>> GGUFReader::getTensorData(StringRef name) const {
  Expected<const GGUFTensorInfo &> info = getTensor(name);
  if (!info)
    return info.takeError();
  return info->data;
}
