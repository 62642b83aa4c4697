//===- Safetensors.h - Reads safetensors checkpoints ------------*- C++ -*-===//
//
// SafetensorsFile maps one `.safetensors` file into memory and parses its
// header: an 8-byte little-endian length, then that many bytes of JSON mapping
// each tensor name to {dtype, shape, data_offsets}, with an optional
// `__metadata__` object of strings. Tensor data is never copied: tensors are
// views into the mapping, which the file owns.
//
// SafetensorsCheckpoint presents one tensor namespace over a checkpoint that
// is a single file or is sharded (a `model.safetensors.index.json` whose
// `weight_map` names each tensor's shard). Each shard is opened once.
//
// Every malformed input is an llvm::Error whose message is one line naming
// the file and the offending key or tensor. Nothing read from a file sizes an
// allocation before it is checked against the file's size.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_HF_SAFETENSORS_H
#define INGOT_FRONTENDS_HF_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingot::hf {

/// A safetensors element type. Every one is readable; only some can be model
/// weights (isWeightDType).
enum class SafetensorsDType {
  F64,
  F32,
  F16,
  BF16,
  F8_E4M3,
  F8_E5M2,
  I64,
  I32,
  I16,
  I8,
  U64,
  U32,
  U16,
  U8,
  BOOL,
};

/// The dtype spelled `name` in a header ("BF16"), or nullopt.
std::optional<SafetensorsDType> getSafetensorsDType(llvm::StringRef name);

/// The dtype's name as headers spell it.
llvm::StringRef getSafetensorsDTypeName(SafetensorsDType dtype);

/// Bytes per element.
uint64_t getSafetensorsDTypeSize(SafetensorsDType dtype);

/// Whether tensors of `dtype` can be model weights: F32, F16, BF16, I32, I8
/// and U8.
bool isWeightDType(SafetensorsDType dtype);

/// Every dtype name, comma separated, for error messages.
llvm::StringRef getSafetensorsDTypeList();

/// The weight dtype names, comma separated, for error messages.
llvm::StringRef getWeightDTypeList();

/// One tensor: its header entry and a view of its bytes. All views live as
/// long as the file that holds the tensor.
struct SafetensorsTensor {
  llvm::StringRef name;
  SafetensorsDType dtype = SafetensorsDType::F32;
  /// Dimensions outermost first, as in the header (row-major: the last one
  /// varies fastest). Empty for a scalar. Each is at least 0.
  llvm::SmallVector<int64_t, 4> shape;
  /// The product of the shape (1 for a scalar); it and numBytes fit in
  /// int64_t.
  uint64_t numElements = 0;
  uint64_t numBytes = 0;
  /// data_offsets[0], from the start of the data section.
  uint64_t offset = 0;
  /// The tensor's bytes in the mapping.
  llvm::ArrayRef<uint8_t> bytes;
  /// The path of the file holding the tensor.
  llvm::StringRef file;
};

/// One parsed `.safetensors` file. Create with open() or create().
class SafetensorsFile {
public:
  /// The largest JSON header accepted (the bound the safetensors package
  /// uses).
  static constexpr uint64_t kMaxHeaderSize = 100'000'000;
  /// The most dimensions a tensor may have.
  static constexpr unsigned kMaxRank = 32;

  /// Maps and parses the file at `path`.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  open(llvm::StringRef path);
  /// Parses `buffer`, named in errors by its buffer identifier.
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  create(std::unique_ptr<llvm::MemoryBuffer> buffer);

  /// The file's name (its path, or the buffer identifier).
  llvm::StringRef getPath() const { return path; }
  /// The length of the JSON header; the data section starts 8 bytes later.
  uint64_t getHeaderSize() const { return headerSize; }
  /// File offset of the data section.
  uint64_t getDataOffset() const { return 8 + headerSize; }
  /// The whole file.
  llvm::ArrayRef<uint8_t> getFileBytes() const;
  /// Whether the file is memory-mapped rather than read into memory (LLVM
  /// reads small files and maps large ones).
  bool isMemoryMapped() const {
    return buffer->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap;
  }

  /// Every tensor, ordered by data offset (then name).
  llvm::ArrayRef<SafetensorsTensor> getTensors() const { return tensors; }
  /// The tensor named `name`, or null.
  const SafetensorsTensor *lookupTensor(llvm::StringRef name) const;
  /// The tensor named `name`; fails, naming the file and tensor, if absent.
  llvm::Expected<const SafetensorsTensor &>
  getTensor(llvm::StringRef name) const;

  /// The `__metadata__` entries (empty when the header has none).
  const llvm::StringMap<std::string> &getMetadata() const { return metadata; }
  /// The `__metadata__` value of `key`, or nullopt.
  std::optional<llvm::StringRef> getMetadata(llvm::StringRef key) const;

private:
  friend class SafetensorsParser;
  SafetensorsFile() = default;

  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string path;
  uint64_t headerSize = 0;
  /// Tensor names live in the index's keys, which never move.
  llvm::StringMap<size_t> tensorIndex;
  std::vector<SafetensorsTensor> tensors;
  llvm::StringMap<std::string> metadata;
};

/// A checkpoint of one or more safetensors files with one tensor namespace.
class SafetensorsCheckpoint {
public:
  /// The name of the shard index Hugging Face writes.
  static constexpr llvm::StringLiteral kIndexName =
      "model.safetensors.index.json";
  /// The name of an unsharded checkpoint.
  static constexpr llvm::StringLiteral kSingleFileName = "model.safetensors";
  /// The largest index file accepted.
  static constexpr uint64_t kMaxIndexSize = 100'000'000;

  /// Opens `path`, which is one of:
  /// - a `.safetensors` file: a checkpoint of one shard;
  /// - a shard index (any file ending in `.json`): its `weight_map` maps each
  ///   tensor name to a shard file, relative to the index's directory;
  /// - a directory: its `model.safetensors.index.json`, else its
  ///   `model.safetensors`, else its only `*.safetensors.index.json`, else
  ///   its only `*.safetensors` file.
  /// Fails if a shard is missing or malformed, a tensor the index lists is
  /// not in its shard, or two shards hold a tensor of the same name. Tensors
  /// a shard holds but the index does not list are in the namespace too.
  static llvm::Expected<std::unique_ptr<SafetensorsCheckpoint>>
  open(llvm::StringRef path);

  /// Builds a checkpoint from files already parsed; fails if two hold a
  /// tensor of the same name.
  static llvm::Expected<std::unique_ptr<SafetensorsCheckpoint>>
  create(std::vector<std::unique_ptr<SafetensorsFile>> shards);

  /// The index file, or "" for a single-file checkpoint.
  llvm::StringRef getIndexPath() const { return indexPath; }
  /// The index's `metadata` object (e.g. `total_size`), or null.
  const llvm::json::Object *getIndexMetadata() const;

  /// The shards, in the order their paths sort.
  llvm::ArrayRef<std::unique_ptr<SafetensorsFile>> getShards() const {
    return shards;
  }
  /// The paths of the shard files, in getShards() order.
  std::vector<std::string> listShardFiles() const;
  /// The files the checkpoint was read from, for depfiles: the index, if
  /// any, then the shards.
  std::vector<std::string> listInputFiles() const;

  /// Every tensor of every shard, shard by shard, each shard's by data
  /// offset.
  llvm::ArrayRef<const SafetensorsTensor *> getTensors() const {
    return tensors;
  }
  size_t getNumTensors() const { return tensors.size(); }
  /// The tensor named `name`, or null.
  const SafetensorsTensor *lookupTensor(llvm::StringRef name) const;
  /// The tensor named `name`; fails, naming the checkpoint and the tensor,
  /// if absent.
  llvm::Expected<const SafetensorsTensor &>
  getTensor(llvm::StringRef name) const;
  /// As getTensor, and also fails, naming the tensor's file, if its dtype
  /// cannot be a weight (isWeightDType).
  llvm::Expected<const SafetensorsTensor &>
  getWeight(llvm::StringRef name) const;

private:
  SafetensorsCheckpoint() = default;

  /// Fills the namespace from the shards; fails on duplicates.
  llvm::Error buildNamespace();

  /// The name used in errors about the whole checkpoint: the index, the
  /// single file, or the directory opened.
  std::string name;
  std::string indexPath;
  std::optional<llvm::json::Value> indexMetadata;
  std::vector<std::unique_ptr<SafetensorsFile>> shards;
  std::vector<const SafetensorsTensor *> tensors;
  llvm::StringMap<const SafetensorsTensor *> tensorIndex;
};

} // namespace ingot::hf

#endif // INGOT_FRONTENDS_HF_SAFETENSORS_H
