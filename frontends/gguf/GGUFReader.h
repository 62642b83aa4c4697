//===- GGUFReader.h - Reads GGUF model files --------------------*- C++ -*-===//
//
// GGUFReader maps a GGUF file (versions 2 and 3, little-endian) into memory
// and parses its header, metadata and tensor infos. Tensor data is never
// copied: tensors are views into the mapping, which the reader owns.
//
// Every malformed input is an llvm::Error whose message is one line naming
// the file and the offending metadata key or tensor. Nothing read from the
// file sizes an allocation before it is checked against the bytes left in the
// file.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_GGUF_GGUFREADER_H
#define INGOT_FRONTENDS_GGUF_GGUFREADER_H

#include "frontends/Quote.h"
#include "numerics/GGMLType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingot::gguf {

/// The type of a GGUF metadata value; the values are the file's type ids.
enum class GGUFValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// The type's name as the gguf package spells it ("UINT32", "ARRAY").
llvm::StringRef getGGUFValueTypeName(GGUFValueType type);

/// One metadata value: a scalar, a string, or an array. Strings and array
/// contents are views into the reader's mapping, valid while it lives.
class GGUFValue {
public:
  GGUFValueType getType() const { return type; }
  bool isInteger() const;
  bool isFloat() const {
    return type == GGUFValueType::Float32 || type == GGUFValueType::Float64;
  }
  bool isBool() const { return type == GGUFValueType::Bool; }
  bool isString() const { return type == GGUFValueType::String; }
  bool isArray() const { return type == GGUFValueType::Array; }

  /// An integer value of any width that fits in int64_t; nullopt for other
  /// types and for uint64 values above INT64_MAX.
  std::optional<int64_t> getAsInteger() const;
  /// A non-negative integer value of any width; nullopt otherwise.
  std::optional<uint64_t> getAsUnsigned() const;
  /// A float32 or float64 value, widened to double.
  std::optional<double> getAsFloat() const;
  std::optional<bool> getAsBool() const;
  std::optional<llvm::StringRef> getAsString() const;
  /// The scalar's bits as stored, zero-extended (floats included).
  uint64_t getRawBits() const { return bits; }

  /// Arrays: the element type and count.
  GGUFValueType getElementType() const { return elementType; }
  uint64_t size() const { return count; }
  /// Element `index` of an array (index < size()). Scalars and strings are
  /// cheap; an element that is itself an array is copied (see
  /// getArrayElements to avoid it).
  GGUFValue getElement(uint64_t index) const;
  /// The elements of an array of strings; empty otherwise.
  llvm::ArrayRef<llvm::StringRef> getStringElements() const { return strings; }
  /// The elements of an array of arrays; empty otherwise.
  llvm::ArrayRef<GGUFValue> getArrayElements() const { return arrays; }
  /// The little-endian bytes of an array of scalars; empty otherwise.
  llvm::ArrayRef<uint8_t> getRawElements() const { return raw; }

  /// Scalar constructors.
  static GGUFValue getScalar(GGUFValueType type, uint64_t bits);
  static GGUFValue getString(llvm::StringRef value);

private:
  friend class GGUFParser;

  GGUFValueType type = GGUFValueType::UInt8;
  GGUFValueType elementType = GGUFValueType::UInt8;
  /// Scalars: the value's bits. Arrays: the element count.
  uint64_t bits = 0;
  uint64_t count = 0;
  /// Strings: the value.
  llvm::StringRef string;
  /// Arrays of scalars: their bytes in the mapping.
  llvm::ArrayRef<uint8_t> raw;
  std::vector<llvm::StringRef> strings;
  std::vector<GGUFValue> arrays;
};

/// One metadata key and its value.
struct GGUFMetadataEntry {
  llvm::StringRef key;
  GGUFValue value;
};

/// One tensor's info and a view of its data.
struct GGUFTensorInfo {
  llvm::StringRef name;
  /// Dimensions innermost first, as GGUF stores them (ggml's ne[0], ne[1],
  /// ...); a row holds dims[0] elements. Each is at least 1.
  llvm::SmallVector<uint64_t, 4> dims;
  GGMLType type = GGMLType::F32;
  /// Offset of the data from the start of the data section.
  uint64_t offset = 0;
  uint64_t numElements = 0;
  uint64_t numBytes = 0;
  /// The tensor's bytes in the mapping.
  llvm::ArrayRef<uint8_t> data;
};

/// A parsed GGUF file. Create with open(); all views it hands out live as
/// long as the reader.
class GGUFReader {
public:
  /// The most dimensions a tensor may have (ggml's GGML_MAX_DIMS).
  static constexpr unsigned kMaxDims = 4;
  /// The deepest nesting of arrays inside arrays accepted in metadata.
  static constexpr unsigned kMaxArrayDepth = 16;
  /// The data alignment when the file has no general.alignment.
  static constexpr uint64_t kDefaultAlignment = 32;

  /// Maps and parses the file at `path`.
  static llvm::Expected<std::unique_ptr<GGUFReader>> open(llvm::StringRef path);
  /// Parses `buffer`, named in errors by its buffer identifier.
  static llvm::Expected<std::unique_ptr<GGUFReader>>
  create(std::unique_ptr<llvm::MemoryBuffer> buffer);

  /// The file's name (its path, or the buffer identifier).
  llvm::StringRef getPath() const { return path; }
  uint32_t getVersion() const { return version; }
  /// general.alignment, or 32.
  uint64_t getAlignment() const { return alignment; }
  /// File offset of the tensor data section.
  uint64_t getDataOffset() const { return dataOffset; }
  /// The whole mapped file.
  llvm::ArrayRef<uint8_t> getFileBytes() const;
  /// Whether the file is memory-mapped rather than read into memory (LLVM
  /// reads files under 16 KiB, and maps larger ones).
  bool isMemoryMapped() const {
    return buffer->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap;
  }

  /// Every metadata entry, in file order.
  llvm::ArrayRef<GGUFMetadataEntry> getMetadata() const { return metadata; }
  /// The value of `key`, or null.
  const GGUFValue *lookup(llvm::StringRef key) const;
  bool contains(llvm::StringRef key) const { return lookup(key) != nullptr; }

  /// Typed accessors: fail, naming the file and key, when the key is missing
  /// or holds another type.
  llvm::Expected<llvm::StringRef> getString(llvm::StringRef key) const;
  /// Any integer type whose value fits in int64_t.
  llvm::Expected<int64_t> getInteger(llvm::StringRef key) const;
  /// Any integer type whose value is not negative.
  llvm::Expected<uint64_t> getUnsigned(llvm::StringRef key) const;
  /// float32 or float64.
  llvm::Expected<double> getFloat(llvm::StringRef key) const;
  llvm::Expected<bool> getBool(llvm::StringRef key) const;
  llvm::Expected<const GGUFValue &> getArray(llvm::StringRef key) const;
  /// An array of integers (each fitting in int64_t), floats or strings.
  llvm::Expected<std::vector<int64_t>>
  getIntegerArray(llvm::StringRef key) const;
  llvm::Expected<std::vector<double>> getFloatArray(llvm::StringRef key) const;
  llvm::Expected<std::vector<llvm::StringRef>>
  getStringArray(llvm::StringRef key) const;

  /// Every tensor, in file order.
  llvm::ArrayRef<GGUFTensorInfo> getTensors() const { return tensors; }
  /// The tensor named `name`, or null.
  const GGUFTensorInfo *lookupTensor(llvm::StringRef name) const;
  /// The tensor named `name`; fails, naming the file and tensor, if absent.
  llvm::Expected<const GGUFTensorInfo &> getTensor(llvm::StringRef name) const;
  /// The bytes of the tensor named `name`.
  llvm::Expected<llvm::ArrayRef<uint8_t>>
  getTensorData(llvm::StringRef name) const;

private:
  friend class GGUFParser;
  GGUFReader() = default;

  /// An error "<file>: <message>".
  llvm::Error makeError(const llvm::Twine &message) const;
  /// The value of `key` or an error naming it.
  llvm::Expected<const GGUFValue &> getValue(llvm::StringRef key) const;
  /// An error saying `key` holds the wrong type.
  llvm::Error typeError(llvm::StringRef key, const GGUFValue &value,
                        llvm::StringRef expected) const;

  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string path;
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t dataOffset = 0;
  std::vector<GGUFMetadataEntry> metadata;
  llvm::StringMap<size_t> metadataIndex;
  std::vector<GGUFTensorInfo> tensors;
  llvm::StringMap<size_t> tensorIndex;
};

using ::ingot::quoteForMessage;

} // namespace ingot::gguf

#endif // INGOT_FRONTENDS_GGUF_GGUFREADER_H
