//===- gguf-fuzzer.cpp - libFuzzer target for the GGUF reader -------------===//
//
// Parses the input as a GGUF file. When it parses, reads every metadata value
// through every accessor (arrays recursively), looks every tensor up by name,
// and dequantizes every tensor of fewer than kMaxDequantizeElements elements.
// Errors are consumed; a crash, leak, hang or sanitizer report is a bug.
//
//===----------------------------------------------------------------------===//

#include "numerics/Dequantize.h"
#include "numerics/GGMLType.h"
#include "frontends/gguf/GGUFReader.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace ingot::gguf;

namespace {

/// Tensors at least this large are not dequantized (keeps runs fast and
/// allocations small).
constexpr uint64_t kMaxDequantizeElements = 1 << 20;

/// Folds values into a sink so the optimizer keeps every read.
volatile uint64_t sink;

template <typename T>
void consume(llvm::Expected<T> value) {
  if (!value) {
    sink = sink + llvm::toString(value.takeError()).size();
    return;
  }
  sink = sink + 1;
}

/// Reads `value` through every GGUFValue accessor, recursing into arrays.
void visitValue(const GGUFValue &value, unsigned depth) {
  sink = sink + static_cast<uint64_t>(value.getType()) + value.getRawBits();
  sink = sink + value.isInteger() + value.isFloat() + value.isBool() +
         value.isString() + value.isArray();
  sink = sink + getGGUFValueTypeName(value.getType()).size();
  if (std::optional<int64_t> n = value.getAsInteger())
    sink = sink + static_cast<uint64_t>(*n);
  if (std::optional<uint64_t> n = value.getAsUnsigned())
    sink = sink + *n;
  if (std::optional<double> f = value.getAsFloat())
    sink = sink + (*f == *f);
  if (std::optional<bool> b = value.getAsBool())
    sink = sink + *b;
  if (std::optional<llvm::StringRef> s = value.getAsString())
    sink = sink + quoteForMessage(*s).size();
  if (!value.isArray())
    return;
  // The parser bounds nesting by GGUFReader::kMaxArrayDepth; check it.
  if (depth > GGUFReader::kMaxArrayDepth)
    __builtin_trap();
  sink = sink + static_cast<uint64_t>(value.getElementType()) + value.size();
  sink = sink + value.getStringElements().size() +
         value.getArrayElements().size() + value.getRawElements().size();
  for (const GGUFValue &element : value.getArrayElements())
    visitValue(element, depth + 1);
  // getElement copies nested arrays: read by index only the flat kinds, and
  // nested arrays only at the top level (their elements are visited above).
  if (value.getElementType() != GGUFValueType::Array || depth == 0)
    for (uint64_t i = 0, e = value.size(); i < e; ++i) {
      GGUFValue element = value.getElement(i);
      sink = sink + element.getRawBits() + element.size();
      if (std::optional<llvm::StringRef> s = element.getAsString())
        sink = sink + s->size();
    }
}

void visitReader(const GGUFReader &reader) {
  sink = sink + reader.getPath().size() + reader.getVersion() +
         reader.getAlignment() + reader.getDataOffset() +
         reader.getFileBytes().size() + reader.isMemoryMapped();

  for (const GGUFMetadataEntry &entry : reader.getMetadata()) {
    llvm::StringRef key = entry.key;
    const GGUFValue *found = reader.lookup(key);
    if (!found || !reader.contains(key))
      __builtin_trap();
    visitValue(entry.value, 0);
    consume(reader.getString(key));
    consume(reader.getInteger(key));
    consume(reader.getUnsigned(key));
    consume(reader.getFloat(key));
    consume(reader.getBool(key));
    consume(reader.getArray(key));
    consume(reader.getIntegerArray(key));
    consume(reader.getFloatArray(key));
    consume(reader.getStringArray(key));
  }
  // A key that is not there, for the error paths.
  consume(reader.getString("ingot.fuzz.absent"));
  consume(reader.getIntegerArray("ingot.fuzz.absent"));

  std::vector<float> out;
  for (const GGUFTensorInfo &info : reader.getTensors()) {
    if (reader.lookupTensor(info.name) == nullptr)
      __builtin_trap();
    consume(reader.getTensor(info.name));
    consume(reader.getTensorData(info.name));
    // What the reader promises: the view lies in the file and has the size
    // the type and shape give.
    llvm::ArrayRef<uint8_t> file = reader.getFileBytes();
    if (info.data.size() != info.numBytes ||
        (info.numBytes && (info.data.data() < file.data() ||
                           info.data.end() > file.end())))
      __builtin_trap();
    sink = sink + getGGMLTypeName(info.type).size() + getBlockSize(info.type) +
           getBlockBytes(info.type) + info.dims.size() + info.offset;
    consume(getByteSize(info.type, info.numElements));
    if (info.numElements >= kMaxDequantizeElements)
      continue;
    out.assign(info.numElements, 0.0f);
    if (llvm::Error err = dequantize(info.type, info.data, out))
      sink = sink + llvm::toString(std::move(err)).size();
    for (float f : out)
      sink = sink + (f == f);
  }
  consume(reader.getTensor("ingot.fuzz.absent"));
  consume(reader.getTensorData("ingot.fuzz.absent"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A MemoryBuffer over libFuzzer's own copy of the input, which is allocated
  // at exactly `size` bytes: ASan reports a read even one byte past the end
  // (getMemBufferCopy would add a null terminator that hides it).
  std::unique_ptr<llvm::MemoryBuffer> buffer = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.gguf",
      /*RequiresNullTerminator=*/false);
  llvm::Expected<std::unique_ptr<GGUFReader>> reader =
      GGUFReader::create(std::move(buffer));
  if (!reader) {
    sink = sink + llvm::toString(reader.takeError()).size();
    return 0;
  }
  visitReader(**reader);
  return 0;
}
