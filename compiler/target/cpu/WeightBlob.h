//===- WeightBlob.h - The weights blob, written as it is packed -*- C++ -*-===//
//
// The packed weights never sit in memory together: each weight is written,
// as soon as it is packed, to a temporary file at its 64-byte aligned
// offset (after a 64-byte space for a header) and hashed on the way. What
// the output needs is then made from that file without reading it into
// memory: an ELF object that defines the blob as one symbol (linked beside
// the module's object into an executable, a shared library or a static
// library), or the external weights file (the header written in front, the
// file renamed). The module holds the blob as an LLVM constant only where
// the output is the module itself (--emit=obj, asm, llvm).
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_TARGET_CPU_WEIGHTBLOB_H
#define INGOT_COMPILER_TARGET_CPU_WEIGHTBLOB_H

#include "runtime/src/weights-hash.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>

namespace ingot::cpu {

class WeightBlob {
public:
  /// An empty blob in a new temporary file; an error names the file.
  static llvm::Expected<WeightBlob> create();
  WeightBlob() = default;
  WeightBlob(WeightBlob &&other);
  WeightBlob &operator=(WeightBlob &&other);
  ~WeightBlob();

  /// Appends `bytes` at the next 64-byte aligned offset and returns it.
  /// A failed write is reported by the next finishing call.
  int64_t add(llvm::ArrayRef<uint8_t> bytes);
  /// The blob's size in bytes (up to the end of the last weight).
  uint64_t size() const { return bytes; }
  /// ingot_weights_hash of the blob.
  uint64_t hash() const;

  /// The blob as a buffer (mapped from the file), for a module that holds
  /// it as a constant.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> read();
  /// Makes the file an ELF relocatable object for `triple` (x86_64 or
  /// aarch64) with the blob as global hidden symbol `symbol`, 64-byte
  /// aligned, in a read-only section (x86_64's large-data `.lrodata`: the
  /// blob may exceed what 32-bit offsets from code reach). Returns its
  /// path; the blob takes no more weights after.
  llvm::Expected<std::string> finishObject(llvm::StringRef triple,
                                           llvm::StringRef symbol);
  /// Removes the file (the object once linked); size() stays.
  void discard();
  /// Makes the file `path`: `header` (64 bytes) then the blob.
  llvm::Error finishWeightsFile(llvm::StringRef path,
                                llvm::ArrayRef<uint8_t> header);

private:
  llvm::Error flush();
  /// Writes `n` bytes at `data` to the file and the hash.
  void write(const uint8_t *data, size_t n);

  llvm::SmallString<128> path;
  std::unique_ptr<llvm::raw_fd_ostream> os;
  uint64_t bytes = 0;
  ingot_wh_state lanes{};
  /// The bytes since the last whole 32-byte stripe of the hash.
  uint8_t pending[32] = {};
  size_t pendingBytes = 0;
};

} // namespace ingot::cpu

#endif // INGOT_COMPILER_TARGET_CPU_WEIGHTBLOB_H
