//===- InputFile.h - Reads the files of a model -----------------*- C++ -*-===//
//
// Every frontend reads its files (GGUF, safetensors and their index, the
// JSON configurations, tokenizer.json) through readInputFile. It reads only
// regular files: a path that is, once symbolic links are resolved, a
// directory, a FIFO, a socket or a device (`ln -s /dev/zero m.gguf`) is one
// line of error naming the path. The file is opened without blocking, so a
// FIFO cannot hang the reader between the check and the open, and its size
// is taken from the open descriptor, so the read is bounded by it. Large
// files are memory-mapped rather than copied.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_FRONTENDS_INPUTFILE_H
#define INGOT_FRONTENDS_INPUTFILE_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cerrno>
#include <cstdint>
#include <memory>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ingot {

/// What a file of mode `mode` is, for messages ("a FIFO").
inline const char *describeFileType(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// Fails, with "<path>: is a FIFO, not a regular file" and the like, when
/// `path` names something other than a regular file once links are
/// resolved; succeeds when it names nothing, leaving that error to whoever
/// opens it. For readers with their own opening (MLIR's for `.mlir` input);
/// readInputFile checks this and more.
inline llvm::Error checkRegularFile(const llvm::Twine &path) {
  llvm::SmallString<256> storage;
  llvm::StringRef name = path.toNullTerminatedStringRef(storage);
  struct stat status;
  if (::stat(name.data(), &status) != 0 || S_ISREG(status.st_mode))
    return llvm::Error::success();
  return llvm::createStringError(name + ": is " +
                                 describeFileType(status.st_mode) +
                                 ", not a regular file");
}

/// Reads the regular file at `path` (memory-mapped when large). Fails, with
/// "<path>: <message>", when it cannot be opened, is not a regular file, or
/// holds more than `maxSize` bytes.
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(const llvm::Twine &path, uint64_t maxSize = UINT64_MAX) {
  llvm::SmallString<256> storage;
  llvm::StringRef name = path.toNullTerminatedStringRef(storage);
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(name + ": " + message);
  };
  auto cannotOpen = [&](int error) {
    return fail("cannot open: " +
                std::error_code(error, std::generic_category()).message());
  };
  auto notRegular = [&](mode_t mode) {
    return fail(llvm::Twine("is ") + describeFileType(mode) +
                ", not a regular file");
  };
  // Refuse before opening (a FIFO opened for reading waits for a writer),
  // then again on the descriptor, in case the path changed in between.
  struct stat before;
  if (::stat(name.data(), &before) != 0)
    return cannotOpen(errno);
  if (!S_ISREG(before.st_mode))
    return notRegular(before.st_mode);
  int fd = ::open(name.data(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return cannotOpen(errno);
  struct stat opened;
  if (::fstat(fd, &opened) != 0) {
    int error = errno;
    ::close(fd);
    return cannotOpen(error);
  }
  if (!S_ISREG(opened.st_mode)) {
    ::close(fd);
    return notRegular(opened.st_mode);
  }
  uint64_t size = static_cast<uint64_t>(opened.st_size);
  if (size > maxSize) {
    ::close(fd);
    return fail("the file is " + llvm::Twine(size) +
                " bytes, more than the limit of " + llvm::Twine(maxSize));
  }
  // The size given, LLVM reads (or maps) exactly that many bytes.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getOpenFile(fd, name, size,
                                      /*RequiresNullTerminator=*/false);
  ::close(fd);
  if (!buffer)
    return fail("cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

} // namespace ingot

#endif // INGOT_FRONTENDS_INPUTFILE_H
