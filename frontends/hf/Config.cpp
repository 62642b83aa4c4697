//===- Config.cpp - Reads Hugging Face JSON configuration files -----------===//

#include "frontends/hf/Config.h"

#include "frontends/InputFile.h"
#include "frontends/hf/JSONUtils.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace ingot::hf;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;
namespace json = llvm::json;

namespace {

/// The value as an int64_t, if it is a number with no fractional part in
/// range. Integral doubles ("4096.0") are accepted, as Python's int() would.
std::optional<int64_t> toInt(const json::Value &value) {
  if (std::optional<uint64_t> n = value.getAsUINT64()) {
    if (*n > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    return static_cast<int64_t>(*n);
  }
  std::optional<double> number = value.getAsNumber();
  if (!number)
    return std::nullopt;
  // Negative integers, and negative doubles (json::Value converts those
  // exactly or refuses them).
  if (*number < 0)
    return value.getAsInteger();
  // A non-negative double: convert it only when it is integral and below
  // 2^63, where the conversion is exact and defined.
  double whole;
  if (std::modf(*number, &whole) != 0.0 || *number >= 0x1p63)
    return std::nullopt;
  return static_cast<int64_t>(*number);
}

/// The value's kind, and its text when short: "a string ('silu')", "a
/// number (1.5)", "an array".
std::string describeValue(const json::Value &value) {
  std::string result = describeJSONKind(value).str();
  if (std::optional<StringRef> text = value.getAsString())
    return result + " (" + quote(*text) + ")";
  if (value.kind() == json::Value::Number ||
      value.kind() == json::Value::Boolean) {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    os << value;
    return result + " (" + printed + ")";
  }
  return result;
}

} // namespace

//===----------------------------------------------------------------------===//
// ConfigObject
//===----------------------------------------------------------------------===//

Expected<ConfigObject> ConfigObject::load(StringRef path) {
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      ingot::readInputFile(path, kMaxFileSize);
  if (!buffer)
    return buffer.takeError();
  return parse((*buffer)->getBuffer(), path);
}

Expected<ConfigObject> ConfigObject::parse(StringRef text, StringRef fileName) {
  Expected<json::Value> root = parseJSON(text, /*rejectDuplicateKeys=*/false);
  if (!root)
    return makeFileError(fileName, llvm::toString(root.takeError()));
  if (!root->getAsObject())
    return makeFileError(fileName, "the top-level value is " +
                                       describeJSONKind(*root) +
                                       ", expected an object");
  auto document = std::make_shared<Document>();
  document->file = fileName.str();
  document->root = std::move(*root);
  // The root object lives inside the shared document, which never moves.
  const json::Object *object = document->root.getAsObject();
  return ConfigObject(std::move(document), object, "");
}

std::string ConfigObject::getKeyPath(StringRef key) const {
  if (keyPath.empty())
    return key.str();
  return (keyPath + "." + key).str();
}

Error ConfigObject::makeError(const Twine &message) const {
  return makeFileError(getFile(), message);
}

bool ConfigObject::has(StringRef key) const {
  const json::Value *value = object->get(key);
  return value && !value->getAsNull();
}

const json::Value *ConfigObject::lookup(StringRef key) const {
  return object->get(key);
}

Expected<const json::Value &> ConfigObject::getRequired(StringRef key) const {
  const json::Value *value = object->get(key);
  if (!value)
    return makeError("key " + quote(getKeyPath(key)) + " is missing");
  if (value->getAsNull())
    return makeError("key " + quote(getKeyPath(key)) + " is null");
  return *value;
}

Error ConfigObject::typeError(StringRef key, const json::Value &value,
                              StringRef expected) const {
  return makeError("key " + quote(getKeyPath(key)) + " is " +
                   describeValue(value) + ", expected " + expected);
}

// Each scalar type has a converter from a present, non-null value; the
// required, defaulted and optional getters share it.

Expected<int64_t> ConfigObject::getInt(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  if (std::optional<int64_t> n = toInt(*value))
    return *n;
  return typeError(key, *value, "an integer");
}

Expected<std::optional<int64_t>>
ConfigObject::getOptionalInt(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  Expected<int64_t> n = getInt(key);
  if (!n)
    return n.takeError();
  return std::optional<int64_t>(*n);
}

Expected<int64_t> ConfigObject::getInt(StringRef key,
                                       int64_t defaultValue) const {
  if (!has(key))
    return defaultValue;
  return getInt(key);
}

Expected<double> ConfigObject::getDouble(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  if (std::optional<double> number = value->getAsNumber())
    return *number;
  return typeError(key, *value, "a number");
}

Expected<std::optional<double>>
ConfigObject::getOptionalDouble(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  Expected<double> number = getDouble(key);
  if (!number)
    return number.takeError();
  return std::optional<double>(*number);
}

Expected<double> ConfigObject::getDouble(StringRef key,
                                         double defaultValue) const {
  if (!has(key))
    return defaultValue;
  return getDouble(key);
}

Expected<bool> ConfigObject::getBool(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  if (std::optional<bool> flag = value->getAsBoolean())
    return *flag;
  return typeError(key, *value, "a boolean");
}

Expected<std::optional<bool>>
ConfigObject::getOptionalBool(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  Expected<bool> flag = getBool(key);
  if (!flag)
    return flag.takeError();
  return std::optional<bool>(*flag);
}

Expected<bool> ConfigObject::getBool(StringRef key, bool defaultValue) const {
  if (!has(key))
    return defaultValue;
  return getBool(key);
}

Expected<StringRef> ConfigObject::getString(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  if (std::optional<StringRef> text = value->getAsString())
    return *text;
  return typeError(key, *value, "a string");
}

Expected<std::optional<StringRef>>
ConfigObject::getOptionalString(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  Expected<StringRef> text = getString(key);
  if (!text)
    return text.takeError();
  return std::optional<StringRef>(*text);
}

Expected<StringRef> ConfigObject::getString(StringRef key,
                                            StringRef defaultValue) const {
  if (!has(key))
    return defaultValue;
  return getString(key);
}

namespace {

/// Converts every element of `array` with `convert`, or fails naming the
/// first element that does not convert.
template <typename T, typename Convert>
Expected<std::vector<T>> convertArray(const ConfigObject &config, StringRef key,
                                      const json::Array &array,
                                      StringRef expected, Convert convert) {
  std::vector<T> result;
  result.reserve(array.size());
  for (size_t i = 0, e = array.size(); i < e; ++i) {
    std::optional<T> element = convert(array[i]);
    if (!element)
      return config.makeError(
          "key " +
          quote(config.getKeyPath(key) + "[" + std::to_string(i) + "]") +
          " is " + describeValue(array[i]) + ", expected " + expected);
    result.push_back(*element);
  }
  return result;
}

} // namespace

Expected<std::vector<int64_t>> ConfigObject::getIntArray(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  const json::Array *array = value->getAsArray();
  if (!array)
    return typeError(key, *value, "an array of integers");
  return convertArray<int64_t>(*this, key, *array, "an integer", toInt);
}

Expected<std::vector<double>>
ConfigObject::getDoubleArray(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  const json::Array *array = value->getAsArray();
  if (!array)
    return typeError(key, *value, "an array of numbers");
  return convertArray<double>(
      *this, key, *array, "a number",
      [](const json::Value &element) { return element.getAsNumber(); });
}

Expected<std::vector<StringRef>>
ConfigObject::getStringArray(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  const json::Array *array = value->getAsArray();
  if (!array)
    return typeError(key, *value, "an array of strings");
  return convertArray<StringRef>(
      *this, key, *array, "a string",
      [](const json::Value &element) { return element.getAsString(); });
}

Expected<std::optional<std::vector<int64_t>>>
ConfigObject::getOptionalIntList(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  const json::Value &value = *object->get(key);
  if (value.getAsArray()) {
    Expected<std::vector<int64_t>> list = getIntArray(key);
    if (!list)
      return list.takeError();
    return std::optional<std::vector<int64_t>>(std::move(*list));
  }
  if (std::optional<int64_t> n = toInt(value))
    return std::optional<std::vector<int64_t>>(std::vector<int64_t>{*n});
  return typeError(key, value, "an integer or an array of integers");
}

Expected<ConfigObject> ConfigObject::getObject(StringRef key) const {
  Expected<const json::Value &> value = getRequired(key);
  if (!value)
    return value.takeError();
  if (const json::Object *nested = value->getAsObject())
    return ConfigObject(document, nested, getKeyPath(key));
  return typeError(key, *value, "an object");
}

Expected<std::optional<ConfigObject>>
ConfigObject::getOptionalObject(StringRef key) const {
  if (!has(key))
    return std::nullopt;
  Expected<ConfigObject> nested = getObject(key);
  if (!nested)
    return nested.takeError();
  return std::optional<ConfigObject>(std::move(*nested));
}

//===----------------------------------------------------------------------===//
// HFModelConfig
//===----------------------------------------------------------------------===//

Expected<HFModelConfig> HFModelConfig::load(StringRef path) {
  llvm::SmallString<256> directory;
  llvm::SmallString<256> configPath(path);
  if (llvm::sys::fs::is_directory(path)) {
    directory = path;
    llvm::sys::path::append(configPath, kConfigName);
  } else {
    directory = llvm::sys::path::parent_path(path);
  }
  Expected<ConfigObject> config = ConfigObject::load(configPath);
  if (!config)
    return config.takeError();
  HFModelConfig result(std::move(*config));

  auto loadOptional = [&](StringRef name,
                          std::optional<ConfigObject> &slot) -> Error {
    llvm::SmallString<256> optionalPath(directory);
    llvm::sys::path::append(optionalPath, name);
    if (!llvm::sys::fs::exists(optionalPath))
      return Error::success();
    Expected<ConfigObject> loaded = ConfigObject::load(optionalPath);
    if (!loaded)
      return loaded.takeError();
    slot = std::move(*loaded);
    return Error::success();
  };
  if (Error err = loadOptional(kGenerationConfigName, result.generationConfig))
    return err;
  if (Error err = loadOptional(kTokenizerConfigName, result.tokenizerConfig))
    return err;
  return result;
}

std::vector<std::string> HFModelConfig::listFiles() const {
  std::vector<std::string> files{config.getFile().str()};
  if (generationConfig)
    files.push_back(generationConfig->getFile().str());
  if (tokenizerConfig)
    files.push_back(tokenizerConfig->getFile().str());
  return files;
}
