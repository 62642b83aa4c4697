//===- safetensors-fuzzer.cpp - libFuzzer target for safetensors ----------===//
//
// Parses the input as one `.safetensors` file with SafetensorsFile::create.
// When it parses, reads every tensor and metadata entry through the file's
// accessors, checks that each tensor's bytes lie in the file, and builds a
// one-shard SafetensorsCheckpoint over it. Errors are consumed; a crash,
// leak, hang or sanitizer report is a bug.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/Safetensors.h"

#include "frontends/hf/Quantized.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace ingot::hf;

namespace {

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

void visitTensor(const SafetensorsTensor &tensor,
                 llvm::ArrayRef<uint8_t> fileBytes, uint64_t dataOffset) {
  sink = sink + tensor.name.size() + tensor.shape.size() +
         tensor.numElements + tensor.offset + tensor.file.size();
  sink = sink + getSafetensorsDTypeName(tensor.dtype).size() +
         getSafetensorsDTypeSize(tensor.dtype) + isWeightDType(tensor.dtype);
  // What the reader promises: the byte count is the shape's, and the view
  // lies in the data section at the tensor's offset.
  uint64_t numElements = 1;
  for (int64_t dim : tensor.shape) {
    if (dim < 0)
      __builtin_trap();
    numElements *= static_cast<uint64_t>(dim);
  }
  if (numElements != tensor.numElements ||
      tensor.numBytes !=
          tensor.numElements * getSafetensorsDTypeSize(tensor.dtype) ||
      tensor.bytes.size() != tensor.numBytes)
    __builtin_trap();
  if (!tensor.bytes.empty() &&
      (tensor.bytes.data() != fileBytes.data() + dataOffset + tensor.offset ||
       tensor.bytes.end() > fileBytes.end()))
    __builtin_trap();
  // Touch every byte (tensors are bounded by the input's size).
  for (uint8_t byte : tensor.bytes)
    sink = sink + byte;
}

void visitFile(const SafetensorsFile &file) {
  sink = sink + file.getPath().size() + file.getHeaderSize() +
         file.getDataOffset() + file.isMemoryMapped();
  llvm::ArrayRef<uint8_t> fileBytes = file.getFileBytes();
  if (file.getDataOffset() > fileBytes.size())
    __builtin_trap();
  for (const SafetensorsTensor &tensor : file.getTensors()) {
    if (file.lookupTensor(tensor.name) != &tensor)
      __builtin_trap();
    consume(file.getTensor(tensor.name));
    visitTensor(tensor, fileBytes, file.getDataOffset());
  }
  consume(file.getTensor("ingot.fuzz.absent"));
  for (const auto &entry : file.getMetadata()) {
    std::optional<llvm::StringRef> value = file.getMetadata(entry.getKey());
    if (!value || *value != entry.getValue())
      __builtin_trap();
  }
  sink = sink + file.getMetadata("format").has_value();
}

void visitCheckpoint(const SafetensorsCheckpoint &checkpoint) {
  sink = sink + checkpoint.getIndexPath().size() +
         (checkpoint.getIndexMetadata() != nullptr) +
         checkpoint.getShards().size() + checkpoint.getNumTensors();
  sink = sink + checkpoint.listShardFiles().size() +
         checkpoint.listInputFiles().size();
  for (const SafetensorsTensor *tensor : checkpoint.getTensors()) {
    if (checkpoint.lookupTensor(tensor->name) != tensor)
      __builtin_trap();
    consume(checkpoint.getTensor(tensor->name));
    consume(checkpoint.getWeight(tensor->name));
  }
  consume(checkpoint.getWeight("ingot.fuzz.absent"));

  // Every `*.qweight` as a GPTQ and an AWQ layer, groups of 32 and of all
  // input channels; the ones that open are dequantized when small.
  for (const SafetensorsTensor *tensor : checkpoint.getTensors()) {
    if (!tensor->name.ends_with(kQWeightSuffix))
      continue;
    llvm::StringRef prefix = tensor->name.drop_back(kQWeightSuffix.size());
    for (QuantMethod method : {QuantMethod::GPTQ, QuantMethod::AWQ})
      for (int64_t groupSize : {int64_t(32), int64_t(-1)}) {
        QuantizationConfig config;
        config.method = method;
        config.groupSize = groupSize;
        llvm::Expected<QuantizedLinear> layer =
            QuantizedLinear::open(checkpoint, prefix, config);
        if (!layer) {
          sink = sink + llvm::toString(layer.takeError()).size();
          continue;
        }
        int64_t n = layer->getOutFeatures(), k = layer->getInFeatures();
        if (n * k > (1 << 20))
          continue;
        std::vector<float> values;
        layer->dequantize(values);
        if (values.size() != static_cast<size_t>(n * k))
          __builtin_trap();
        for (float v : values)
          sink = sink + (v == v);
      }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A MemoryBuffer over libFuzzer's own copy of the input, which is allocated
  // at exactly `size` bytes: ASan reports a read even one byte past the end
  // (getMemBufferCopy would add a null terminator that hides it).
  std::unique_ptr<llvm::MemoryBuffer> buffer = llvm::MemoryBuffer::getMemBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "fuzz.safetensors", /*RequiresNullTerminator=*/false);
  llvm::Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::create(std::move(buffer));
  if (!file) {
    sink = sink + llvm::toString(file.takeError()).size();
    return 0;
  }
  visitFile(**file);

  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  shards.push_back(std::move(*file));
  llvm::Expected<std::unique_ptr<SafetensorsCheckpoint>> checkpoint =
      SafetensorsCheckpoint::create(std::move(shards));
  if (!checkpoint) {
    sink = sink + llvm::toString(checkpoint.takeError()).size();
    return 0;
  }
  visitCheckpoint(**checkpoint);
  return 0;
}
