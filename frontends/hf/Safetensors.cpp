//===- Safetensors.cpp - Reads safetensors checkpoints --------------------===//
//
// File layout:
//   uint64 (little-endian) N   the length of the JSON header
//   N bytes                    the header: an object mapping each tensor name
//                              to {"dtype", "shape", "data_offsets": [b, e]},
//                              and optionally "__metadata__" to an object of
//                              strings; it may end in spaces
//   the data section           tensor bytes, each at [b, e) from its start
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/Safetensors.h"

#include "frontends/InputFile.h"
#include "frontends/hf/JSONUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <map>

using namespace ingot::hf;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;
namespace json = llvm::json;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

namespace {

struct DTypeInfo {
  SafetensorsDType dtype;
  StringRef name;
  uint64_t size;
  bool isWeight;
};

/// Every dtype, in the order messages list them.
constexpr DTypeInfo kDTypes[] = {
    {SafetensorsDType::F32, "F32", 4, true},
    {SafetensorsDType::F16, "F16", 2, true},
    {SafetensorsDType::BF16, "BF16", 2, true},
    {SafetensorsDType::I32, "I32", 4, true},
    {SafetensorsDType::I8, "I8", 1, true},
    {SafetensorsDType::U8, "U8", 1, true},
    {SafetensorsDType::F64, "F64", 8, false},
    {SafetensorsDType::F8_E4M3, "F8_E4M3", 1, false},
    {SafetensorsDType::F8_E5M2, "F8_E5M2", 1, false},
    {SafetensorsDType::I64, "I64", 8, false},
    {SafetensorsDType::I16, "I16", 2, false},
    {SafetensorsDType::U64, "U64", 8, false},
    {SafetensorsDType::U32, "U32", 4, false},
    {SafetensorsDType::U16, "U16", 2, false},
    {SafetensorsDType::BOOL, "BOOL", 1, false},
};

const DTypeInfo &getInfo(SafetensorsDType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  llvm_unreachable("every dtype has an entry in kDTypes");
}

std::string joinNames(bool weightsOnly) {
  std::string result;
  for (const DTypeInfo &info : kDTypes) {
    if (weightsOnly && !info.isWeight)
      continue;
    if (!result.empty())
      result += ", ";
    result += info.name;
  }
  return result;
}

/// "[2, 3]".
std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      result += ", ";
    result += llvm::itostr(dim);
  }
  return result + "]";
}

} // namespace

std::optional<SafetensorsDType> ingot::hf::getSafetensorsDType(StringRef name) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == name)
      return info.dtype;
  return std::nullopt;
}

StringRef ingot::hf::getSafetensorsDTypeName(SafetensorsDType dtype) {
  return getInfo(dtype).name;
}

uint64_t ingot::hf::getSafetensorsDTypeSize(SafetensorsDType dtype) {
  return getInfo(dtype).size;
}

bool ingot::hf::isWeightDType(SafetensorsDType dtype) {
  return getInfo(dtype).isWeight;
}

StringRef ingot::hf::getSafetensorsDTypeList() {
  static const std::string list = joinNames(/*weightsOnly=*/false);
  return list;
}

StringRef ingot::hf::getWeightDTypeList() {
  static const std::string list = joinNames(/*weightsOnly=*/true);
  return list;
}

//===----------------------------------------------------------------------===//
// One file
//===----------------------------------------------------------------------===//

namespace ingot::hf {

/// Parses the header of one file into a SafetensorsFile whose buffer and
/// path are set.
class SafetensorsParser {
public:
  explicit SafetensorsParser(SafetensorsFile &file) : file(file) {}

  Error parse();

private:
  /// An error "<file>: <message>".
  Error fail(const Twine &message) const {
    return makeFileError(file.path, message);
  }
  Error parseMetadata(const json::Value &value);
  Error parseTensor(StringRef name, const json::Value &value);
  /// Reads shape[index] into `dim`.
  Error parseDim(StringRef name, size_t index, const json::Value &value,
                 int64_t &dim);
  /// Reads data_offsets[index] into `offset`.
  Error parseOffset(StringRef name, size_t index, const json::Value &value,
                    uint64_t &offset);

  SafetensorsFile &file;
  ArrayRef<uint8_t> data;
};

} // namespace ingot::hf

Error SafetensorsParser::parse() {
  ArrayRef<uint8_t> bytes = file.getFileBytes();
  if (bytes.size() < 8)
    return fail("the file is " + Twine(bytes.size()) +
                " bytes, too short to hold the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > SafetensorsFile::kMaxHeaderSize)
    return fail("the header length " + Twine(headerSize) +
                " is larger than the limit of " +
                Twine(SafetensorsFile::kMaxHeaderSize) + " bytes");
  if (headerSize > bytes.size() - 8)
    return fail("the header length " + Twine(headerSize) +
                " runs past the end of the file (" + Twine(bytes.size()) +
                " bytes)");
  file.headerSize = headerSize;
  data = bytes.drop_front(8 + headerSize);

  StringRef header(reinterpret_cast<const char *>(bytes.data()) + 8,
                   headerSize);
  Expected<json::Value> root = parseJSON(header, /*rejectDuplicateKeys=*/true);
  if (!root)
    return fail("in the JSON header: " + llvm::toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  if (!object)
    return fail("the JSON header is " + describeJSONKind(*root) +
                ", expected an object");

  // Visit the entries by name, so that the first error is the same on every
  // run (json::Object is a hash map).
  std::vector<const json::Object::value_type *> entries;
  entries.reserve(object->size());
  for (const json::Object::value_type &entry : *object)
    entries.push_back(&entry);
  llvm::sort(entries, [](const auto *a, const auto *b) {
    return StringRef(a->first) < StringRef(b->first);
  });

  file.tensors.reserve(entries.size());
  for (const json::Object::value_type *entry : entries) {
    StringRef key = entry->first;
    if (key == "__metadata__") {
      if (Error err = parseMetadata(entry->second))
        return err;
      continue;
    }
    if (Error err = parseTensor(key, entry->second))
      return err;
  }

  llvm::sort(file.tensors,
             [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
               if (a.offset != b.offset)
                 return a.offset < b.offset;
               return a.name < b.name;
             });
  for (size_t i = 0, e = file.tensors.size(); i < e; ++i) {
    SafetensorsTensor &tensor = file.tensors[i];
    auto inserted = file.tensorIndex.try_emplace(tensor.name, i);
    // Point the name at the index's own copy, which never moves (the JSON
    // value that held it is about to be destroyed).
    tensor.name = inserted.first->getKey();
  }
  return Error::success();
}

Error SafetensorsParser::parseMetadata(const json::Value &value) {
  const json::Object *object = value.getAsObject();
  if (!object)
    return fail("'__metadata__' is " + describeJSONKind(value) +
                ", expected an object of strings");
  for (const json::Object::value_type &entry : *object) {
    std::optional<StringRef> text = entry.second.getAsString();
    if (!text)
      return fail("'__metadata__' key " + quote(entry.first) + " is " +
                  describeJSONKind(entry.second) + ", expected a string");
    file.metadata[StringRef(entry.first)] = text->str();
  }
  return Error::success();
}

Error SafetensorsParser::parseDim(StringRef name, size_t index,
                                  const json::Value &value, int64_t &dim) {
  // Integers without a fraction or exponent parse as int64 or uint64; the
  // rest are doubles, which getAsUINT64 refuses.
  if (std::optional<uint64_t> n = value.getAsUINT64()) {
    if (*n > static_cast<uint64_t>(INT64_MAX))
      return fail("tensor " + quote(name) + ": shape[" + Twine(index) + "] " +
                  Twine(*n) + " is too large");
    dim = static_cast<int64_t>(*n);
    return Error::success();
  }
  std::optional<double> number = value.getAsNumber();
  if (number && *number < 0)
    return fail("tensor " + quote(name) + ": shape[" + Twine(index) +
                "] is negative");
  return fail("tensor " + quote(name) + ": shape[" + Twine(index) + "] is " +
              describeJSONKind(value) + ", expected a non-negative integer");
}

Error SafetensorsParser::parseOffset(StringRef name, size_t index,
                                     const json::Value &value,
                                     uint64_t &offset) {
  if (std::optional<uint64_t> n = value.getAsUINT64()) {
    offset = *n;
    return Error::success();
  }
  std::optional<double> number = value.getAsNumber();
  if (number && *number < 0)
    return fail("tensor " + quote(name) + ": data_offsets[" + Twine(index) +
                "] is negative");
  return fail("tensor " + quote(name) + ": data_offsets[" + Twine(index) +
              "] is " + describeJSONKind(value) +
              ", expected a non-negative integer");
}

Error SafetensorsParser::parseTensor(StringRef name, const json::Value &value) {
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return fail("tensor " + quote(name) + " is " + describeJSONKind(value) +
                ", expected an object with 'dtype', 'shape' and "
                "'data_offsets'");
  SafetensorsTensor tensor;
  tensor.name = name;
  tensor.file = file.path;

  // dtype
  const json::Value *dtypeValue = entry->get("dtype");
  if (!dtypeValue)
    return fail("tensor " + quote(name) + " has no 'dtype'");
  std::optional<StringRef> dtypeName = dtypeValue->getAsString();
  if (!dtypeName)
    return fail("tensor " + quote(name) + ": 'dtype' is " +
                describeJSONKind(*dtypeValue) + ", expected a string");
  std::optional<SafetensorsDType> dtype = getSafetensorsDType(*dtypeName);
  if (!dtype)
    return fail("tensor " + quote(name) + " has unknown dtype " +
                quote(*dtypeName) +
                " (supported: " + getSafetensorsDTypeList() + ")");
  tensor.dtype = *dtype;

  // shape
  const json::Value *shapeValue = entry->get("shape");
  if (!shapeValue)
    return fail("tensor " + quote(name) + " has no 'shape'");
  const json::Array *shape = shapeValue->getAsArray();
  if (!shape)
    return fail("tensor " + quote(name) + ": 'shape' is " +
                describeJSONKind(*shapeValue) + ", expected an array");
  if (shape->size() > SafetensorsFile::kMaxRank)
    return fail("tensor " + quote(name) + ": 'shape' has " +
                Twine(shape->size()) + " dimensions, more than " +
                Twine(SafetensorsFile::kMaxRank));
  for (auto [i, dimValue] : llvm::enumerate(*shape)) {
    int64_t dim = 0;
    if (Error err = parseDim(name, i, dimValue, dim))
      return err;
    tensor.shape.push_back(dim);
  }

  // The element and byte counts, with checked multiplication. A zero
  // dimension makes the tensor empty whatever the others are.
  uint64_t numElements = 1;
  if (llvm::is_contained(tensor.shape, 0)) {
    numElements = 0;
  } else {
    for (int64_t dim : tensor.shape) {
      if (numElements >
          static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(dim))
        return fail("tensor " + quote(name) + ": the shape " +
                    formatShape(tensor.shape) +
                    " has too many elements to count in 63 bits");
      numElements *= static_cast<uint64_t>(dim);
    }
  }
  uint64_t elementSize = getSafetensorsDTypeSize(tensor.dtype);
  if (numElements > static_cast<uint64_t>(INT64_MAX) / elementSize)
    return fail("tensor " + quote(name) + ": the shape " +
                formatShape(tensor.shape) + " of " + *dtypeName +
                " has too many bytes to count in 63 bits");
  tensor.numElements = numElements;
  tensor.numBytes = numElements * elementSize;

  // data_offsets
  const json::Value *offsetsValue = entry->get("data_offsets");
  if (!offsetsValue)
    return fail("tensor " + quote(name) + " has no 'data_offsets'");
  const json::Array *offsets = offsetsValue->getAsArray();
  if (!offsets || offsets->size() != 2) {
    std::string found =
        offsets ? ("an array of " + Twine(offsets->size()) + " elements").str()
                : describeJSONKind(*offsetsValue).str();
    return fail("tensor " + quote(name) + ": 'data_offsets' is " + found +
                ", expected [begin, end]");
  }
  uint64_t begin = 0, end = 0;
  if (Error err = parseOffset(name, 0, (*offsets)[0], begin))
    return err;
  if (Error err = parseOffset(name, 1, (*offsets)[1], end))
    return err;
  std::string range = ("[" + Twine(begin) + ", " + Twine(end) + "]").str();
  if (begin > end)
    return fail("tensor " + quote(name) + ": data_offsets " + range +
                " begin after they end");
  if (end > data.size())
    return fail("tensor " + quote(name) + ": data_offsets " + range +
                " run past the end of the data section (" + Twine(data.size()) +
                " bytes)");
  if (end - begin != tensor.numBytes)
    return fail("tensor " + quote(name) + ": data_offsets " + range + " span " +
                Twine(end - begin) + " bytes, but " +
                formatShape(tensor.shape) + " " + *dtypeName + " takes " +
                Twine(tensor.numBytes));
  tensor.offset = begin;
  tensor.bytes = data.slice(begin, end - begin);
  file.tensors.push_back(std::move(tensor));
  return Error::success();
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(StringRef path) {
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      ingot::readInputFile(path);
  if (!buffer)
    return buffer.takeError();
  return create(std::move(*buffer));
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::create(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path = buffer->getBufferIdentifier().str();
  file->buffer = std::move(buffer);
  if (Error err = SafetensorsParser(*file).parse())
    return err;
  return file;
}

ArrayRef<uint8_t> SafetensorsFile::getFileBytes() const {
  return ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());
}

const SafetensorsTensor *SafetensorsFile::lookupTensor(StringRef name) const {
  auto it = tensorIndex.find(name);
  if (it == tensorIndex.end())
    return nullptr;
  return &tensors[it->second];
}

Expected<const SafetensorsTensor &>
SafetensorsFile::getTensor(StringRef name) const {
  if (const SafetensorsTensor *tensor = lookupTensor(name))
    return *tensor;
  return makeFileError(path, "no tensor " + quote(name));
}

std::optional<StringRef> SafetensorsFile::getMetadata(StringRef key) const {
  auto it = metadata.find(key);
  if (it == metadata.end())
    return std::nullopt;
  return StringRef(it->second);
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

namespace {

/// Whether a shard name from an index stays inside the index's directory.
bool isPlainRelativePath(StringRef name) {
  if (name.empty() || path::is_absolute(name) ||
      path::is_absolute(name, path::Style::windows))
    return false;
  for (StringRef component :
       llvm::make_range(path::begin(name), path::end(name)))
    if (component == "..")
      return false;
  return true;
}

/// The shard files an index lists, each with the tensors it should hold.
using ShardMap = std::map<std::string, std::vector<std::string>>;

} // namespace

Expected<std::unique_ptr<SafetensorsCheckpoint>> SafetensorsCheckpoint::create(
    std::vector<std::unique_ptr<SafetensorsFile>> shards) {
  std::unique_ptr<SafetensorsCheckpoint> checkpoint(
      new SafetensorsCheckpoint());
  llvm::sort(shards, [](const auto &a, const auto &b) {
    return a->getPath() < b->getPath();
  });
  checkpoint->shards = std::move(shards);
  if (!checkpoint->shards.empty())
    checkpoint->name = checkpoint->shards.front()->getPath().str();
  if (Error err = checkpoint->buildNamespace())
    return err;
  return checkpoint;
}

Error SafetensorsCheckpoint::buildNamespace() {
  tensors.clear();
  tensorIndex.clear();
  for (const std::unique_ptr<SafetensorsFile> &shard : shards) {
    for (const SafetensorsTensor &tensor : shard->getTensors()) {
      auto inserted = tensorIndex.try_emplace(tensor.name, &tensor);
      if (!inserted.second)
        return makeFileError(
            name, "tensor " + quote(tensor.name) + " is in two shards, " +
                      inserted.first->second->file + " and " + tensor.file);
      tensors.push_back(&tensor);
    }
  }
  return Error::success();
}

Expected<std::unique_ptr<SafetensorsCheckpoint>>
SafetensorsCheckpoint::open(StringRef inputPath) {
  // Decide which file to read.
  std::string target = inputPath.str();
  if (fs::is_directory(inputPath)) {
    llvm::SmallString<256> candidate(inputPath);
    path::append(candidate, kIndexName);
    if (fs::exists(candidate)) {
      target = std::string(candidate);
    } else {
      candidate = inputPath;
      path::append(candidate, kSingleFileName);
      if (fs::exists(candidate)) {
        target = std::string(candidate);
      } else {
        std::vector<std::string> indexes, files;
        std::error_code ec;
        for (fs::directory_iterator it(inputPath, ec), end; !ec && it != end;
             it.increment(ec)) {
          StringRef entry = it->path();
          if (entry.ends_with(".safetensors.index.json"))
            indexes.push_back(entry.str());
          else if (entry.ends_with(".safetensors"))
            files.push_back(entry.str());
        }
        if (ec)
          return makeFileError(inputPath,
                               "cannot list the directory: " + ec.message());
        llvm::sort(indexes);
        llvm::sort(files);
        if (indexes.size() > 1)
          return makeFileError(
              inputPath, "several shard indexes (" + llvm::join(indexes, ", ") +
                             ") and no " + kIndexName + "; open one of them");
        if (indexes.size() == 1) {
          target = indexes.front();
        } else if (files.size() == 1) {
          target = files.front();
        } else if (files.empty()) {
          return makeFileError(inputPath, Twine("no ") + kIndexName + " or " +
                                              kSingleFileName +
                                              " or other .safetensors file");
        } else {
          return makeFileError(
              inputPath, "several .safetensors files and no " + kIndexName +
                             " to say which belong to " + "the model");
        }
      }
    }
  }

  if (!StringRef(target).ends_with(".json")) {
    Expected<std::unique_ptr<SafetensorsFile>> file =
        SafetensorsFile::open(target);
    if (!file)
      return file.takeError();
    std::vector<std::unique_ptr<SafetensorsFile>> shards;
    shards.push_back(std::move(*file));
    return create(std::move(shards));
  }

  // A shard index.
  std::unique_ptr<SafetensorsCheckpoint> checkpoint(
      new SafetensorsCheckpoint());
  checkpoint->name = target;
  checkpoint->indexPath = target;
  auto fail = [&](const Twine &message) {
    return makeFileError(target, message);
  };
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      ingot::readInputFile(target, kMaxIndexSize);
  if (!buffer)
    return buffer.takeError();
  Expected<json::Value> root =
      parseJSON((*buffer)->getBuffer(), /*rejectDuplicateKeys=*/true);
  if (!root)
    return fail(llvm::toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  if (!object)
    return fail("the index is " + describeJSONKind(*root) +
                ", expected an object");
  if (const json::Value *metadata = object->get("metadata")) {
    if (!metadata->getAsObject() && !metadata->getAsNull())
      return fail("'metadata' is " + describeJSONKind(*metadata) +
                  ", expected an object");
    if (metadata->getAsObject())
      checkpoint->indexMetadata = *metadata;
  }
  const json::Value *weightMapValue = object->get("weight_map");
  if (!weightMapValue)
    return fail("no 'weight_map'");
  const json::Object *weightMap = weightMapValue->getAsObject();
  if (!weightMap)
    return fail("'weight_map' is " + describeJSONKind(*weightMapValue) +
                ", expected an object mapping tensor names to shard files");
  if (weightMap->empty())
    return fail("'weight_map' is empty");

  ShardMap shardTensors;
  {
    std::vector<const json::Object::value_type *> entries;
    for (const json::Object::value_type &entry : *weightMap)
      entries.push_back(&entry);
    llvm::sort(entries, [](const auto *a, const auto *b) {
      return StringRef(a->first) < StringRef(b->first);
    });
    for (const json::Object::value_type *entry : entries) {
      StringRef tensorName = entry->first;
      std::optional<StringRef> shardName = entry->second.getAsString();
      if (!shardName)
        return fail("'weight_map' entry for tensor " + quote(tensorName) +
                    " is " + describeJSONKind(entry->second) +
                    ", expected a shard file name");
      if (!isPlainRelativePath(*shardName))
        return fail("'weight_map' entry for tensor " + quote(tensorName) +
                    " names shard " + quote(*shardName) +
                    ", which is not a relative path inside the index's "
                    "directory");
      llvm::SmallString<128> normalized(*shardName);
      path::remove_dots(normalized, /*remove_dot_dot=*/false);
      shardTensors[std::string(normalized)].push_back(tensorName.str());
    }
  }

  // Open each shard once, in name order.
  StringRef directory = path::parent_path(target);
  for (const auto &[shardName, shardTensorNames] : shardTensors) {
    llvm::SmallString<256> shardPath(directory);
    path::append(shardPath, shardName);
    if (!fs::exists(shardPath))
      return fail("shard " + quote(shardName) + " (listed for tensor " +
                  quote(shardTensorNames.front()) +
                  ") does not exist: " + shardPath);
    Expected<std::unique_ptr<SafetensorsFile>> shard =
        SafetensorsFile::open(shardPath);
    if (!shard)
      return shard.takeError();
    for (const std::string &tensorName : shardTensorNames)
      if (!(*shard)->lookupTensor(tensorName))
        return fail("tensor " + quote(tensorName) + " is listed in shard " +
                    quote(shardName) + " but the shard does not hold it");
    checkpoint->shards.push_back(std::move(*shard));
  }
  if (Error err = checkpoint->buildNamespace())
    return err;
  return checkpoint;
}

const json::Object *SafetensorsCheckpoint::getIndexMetadata() const {
  return indexMetadata ? indexMetadata->getAsObject() : nullptr;
}

std::vector<std::string> SafetensorsCheckpoint::listShardFiles() const {
  std::vector<std::string> files;
  for (const std::unique_ptr<SafetensorsFile> &shard : shards)
    files.push_back(shard->getPath().str());
  return files;
}

std::vector<std::string> SafetensorsCheckpoint::listInputFiles() const {
  std::vector<std::string> files;
  if (!indexPath.empty())
    files.push_back(indexPath);
  for (const std::unique_ptr<SafetensorsFile> &shard : shards)
    files.push_back(shard->getPath().str());
  return files;
}

const SafetensorsTensor *
SafetensorsCheckpoint::lookupTensor(StringRef tensorName) const {
  auto it = tensorIndex.find(tensorName);
  return it == tensorIndex.end() ? nullptr : it->second;
}

Expected<const SafetensorsTensor &>
SafetensorsCheckpoint::getTensor(StringRef tensorName) const {
  if (const SafetensorsTensor *tensor = lookupTensor(tensorName))
    return *tensor;
  return makeFileError(name, "no tensor " + quote(tensorName));
}

Expected<const SafetensorsTensor &>
SafetensorsCheckpoint::getWeight(StringRef tensorName) const {
  Expected<const SafetensorsTensor &> tensor = getTensor(tensorName);
  if (!tensor)
    return tensor.takeError();
  if (!isWeightDType(tensor->dtype))
    return makeFileError(tensor->file,
                         "tensor " + quote(tensorName) + " has dtype " +
                             getSafetensorsDTypeName(tensor->dtype) +
                             ", which is not supported for weights "
                             "(supported: " +
                             getWeightDTypeList() + ")");
  return *tensor;
}
