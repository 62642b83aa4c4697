//===- Config.h - Reads Hugging Face JSON configuration files ---*- C++ -*-===//
//
// ConfigObject is a view of one JSON object of a configuration file
// (`config.json`, `generation_config.json`, `tokenizer_config.json`) with
// typed getters whose errors are one line naming the file and the key path
// ("config.json: key 'rope_scaling.factor' is a string, expected a number").
// It keeps the parsed document alive, so views of nested objects and the
// strings they return stay valid as long as any view of the document does.
//
// Nothing here knows an architecture: which keys a model needs and what they
// mean is decided by the architecture builders.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_HF_CONFIG_H
#define INGOT_FRONTENDS_HF_CONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingot::hf {

/// One JSON object of a configuration file.
///
/// Getters treat a key set to null as absent: the required ones fail, the
/// optional ones give nullopt or the default. A present key of the wrong type
/// is an error even for the optional ones.
class ConfigObject {
public:
  /// The largest configuration file accepted.
  static constexpr uint64_t kMaxFileSize = 64 << 20;

  /// Reads the file at `path`, whose top-level value must be an object.
  static llvm::Expected<ConfigObject> load(llvm::StringRef path);
  /// Parses `text`, named `fileName` in errors.
  static llvm::Expected<ConfigObject> parse(llvm::StringRef text,
                                            llvm::StringRef fileName);

  /// The file's name, as given to load() or parse().
  llvm::StringRef getFile() const { return document->file; }
  /// The dotted path of this object in the file ("" at the top level,
  /// "rope_scaling", "text_config.rope_scaling").
  llvm::StringRef getKeyPath() const { return keyPath; }
  /// The underlying object, for generic walks.
  const llvm::json::Object &getJSON() const { return *object; }

  /// Whether `key` is present and not null.
  bool has(llvm::StringRef key) const;
  /// The value of `key`, or null when absent (a JSON null is returned).
  const llvm::json::Value *lookup(llvm::StringRef key) const;

  /// An integer: a JSON number with no fractional part that fits in int64_t.
  llvm::Expected<int64_t> getInt(llvm::StringRef key) const;
  llvm::Expected<int64_t> getInt(llvm::StringRef key,
                                 int64_t defaultValue) const;
  llvm::Expected<std::optional<int64_t>>
  getOptionalInt(llvm::StringRef key) const;

  /// Any JSON number.
  llvm::Expected<double> getDouble(llvm::StringRef key) const;
  llvm::Expected<double> getDouble(llvm::StringRef key,
                                   double defaultValue) const;
  llvm::Expected<std::optional<double>>
  getOptionalDouble(llvm::StringRef key) const;

  llvm::Expected<bool> getBool(llvm::StringRef key) const;
  llvm::Expected<bool> getBool(llvm::StringRef key, bool defaultValue) const;
  llvm::Expected<std::optional<bool>>
  getOptionalBool(llvm::StringRef key) const;

  /// Strings are views into the document.
  llvm::Expected<llvm::StringRef> getString(llvm::StringRef key) const;
  llvm::Expected<llvm::StringRef> getString(llvm::StringRef key,
                                            llvm::StringRef defaultValue) const;
  llvm::Expected<std::optional<llvm::StringRef>>
  getOptionalString(llvm::StringRef key) const;

  /// Arrays whose every element has the type.
  llvm::Expected<std::vector<int64_t>> getIntArray(llvm::StringRef key) const;
  llvm::Expected<std::vector<double>> getDoubleArray(llvm::StringRef key) const;
  llvm::Expected<std::vector<llvm::StringRef>>
  getStringArray(llvm::StringRef key) const;
  /// An integer or an array of integers, as a list (for keys such as
  /// `eos_token_id` that may hold either); nullopt when absent.
  llvm::Expected<std::optional<std::vector<int64_t>>>
  getOptionalIntList(llvm::StringRef key) const;

  /// A nested object (`rope_scaling`, `text_config`); its errors name the
  /// full key path.
  llvm::Expected<ConfigObject> getObject(llvm::StringRef key) const;
  llvm::Expected<std::optional<ConfigObject>>
  getOptionalObject(llvm::StringRef key) const;

  /// The full key path of `key` in this object ("rope_scaling.factor").
  std::string getKeyPath(llvm::StringRef key) const;
  /// An error "<file>: <message>".
  llvm::Error makeError(const llvm::Twine &message) const;

private:
  /// The parsed file, shared by every view of it.
  struct Document {
    std::string file;
    llvm::json::Value root = nullptr;
  };

  ConfigObject(std::shared_ptr<const Document> document,
               const llvm::json::Object *object, std::string keyPath)
      : document(std::move(document)), object(object),
        keyPath(std::move(keyPath)) {}

  /// The value of `key`, or an error saying it is missing or null.
  llvm::Expected<const llvm::json::Value &>
  getRequired(llvm::StringRef key) const;
  /// An error saying `key` holds `value`, not `expected`.
  llvm::Error typeError(llvm::StringRef key, const llvm::json::Value &value,
                        llvm::StringRef expected) const;

  std::shared_ptr<const Document> document;
  const llvm::json::Object *object = nullptr;
  std::string keyPath;
};

/// The configuration files of one Hugging Face model directory.
class HFModelConfig {
public:
  static constexpr llvm::StringLiteral kConfigName = "config.json";
  static constexpr llvm::StringLiteral kGenerationConfigName =
      "generation_config.json";
  static constexpr llvm::StringLiteral kTokenizerConfigName =
      "tokenizer_config.json";

  /// Reads `config.json` and, when present, `generation_config.json` and
  /// `tokenizer_config.json`. `path` is the model directory or its
  /// `config.json`; the other two are looked up beside it. A file that is
  /// present but malformed is an error.
  static llvm::Expected<HFModelConfig> load(llvm::StringRef path);

  /// config.json.
  const ConfigObject &getConfig() const { return config; }
  /// generation_config.json, or null when the model has none.
  const ConfigObject *getGenerationConfig() const {
    return generationConfig ? &*generationConfig : nullptr;
  }
  /// tokenizer_config.json, or null when the model has none.
  const ConfigObject *getTokenizerConfig() const {
    return tokenizerConfig ? &*tokenizerConfig : nullptr;
  }
  /// The files read, for depfiles.
  std::vector<std::string> listFiles() const;

private:
  explicit HFModelConfig(ConfigObject config) : config(std::move(config)) {}

  ConfigObject config;
  std::optional<ConfigObject> generationConfig;
  std::optional<ConfigObject> tokenizerConfig;
};

} // namespace ingot::hf

#endif // INGOT_FRONTENDS_HF_CONFIG_H
