//===- WeightBlob.cpp - The weights blob, written as it is packed ---------===//

#include "compiler/target/cpu/WeightBlob.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Signals.h"
#include "llvm/TargetParser/Triple.h"

#include <cstring>
#include <string>
#include <sys/stat.h>

using namespace llvm;

namespace ingot::cpu {

/// The blob starts after this many bytes of the file: the ELF header, or
/// the weights file's header (both 64 bytes).
static constexpr uint64_t kHeaderBytes = 64;

static Error makeError(const Twine &message) {
  return createStringError(message);
}

Expected<WeightBlob> WeightBlob::create() {
  WeightBlob blob;
  int fd;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("ingotc-weights", "o", fd, blob.path))
    return makeError("cannot create a temporary file for the weights: " +
                     ec.message());
  sys::RemoveFileOnSignal(blob.path);
  blob.os = std::make_unique<raw_fd_ostream>(fd, /*shouldClose=*/true);
  blob.os->SetBufferSize(1 << 20);
  static const uint8_t zeros[kHeaderBytes] = {};
  blob.os->write(reinterpret_cast<const char *>(zeros), kHeaderBytes);
  ingot_wh_init(&blob.lanes);
  return std::move(blob);
}

WeightBlob::WeightBlob(WeightBlob &&other) { *this = std::move(other); }

WeightBlob &WeightBlob::operator=(WeightBlob &&other) {
  if (this == &other)
    return *this;
  discard();
  path = std::move(other.path);
  other.path.clear();
  os = std::move(other.os);
  bytes = other.bytes;
  lanes = other.lanes;
  std::memcpy(pending, other.pending, sizeof pending);
  pendingBytes = other.pendingBytes;
  return *this;
}

WeightBlob::~WeightBlob() { discard(); }

void WeightBlob::discard() {
  // A write error was reported (or the blob is dropped): not a fatal one.
  if (os)
    os->clear_error();
  os.reset();
  if (!path.empty()) {
    sys::fs::remove(path);
    sys::DontRemoveFileOnSignal(path);
    path.clear();
  }
}

void WeightBlob::write(const uint8_t *data, size_t n) {
  os->write(reinterpret_cast<const char *>(data), n);
  bytes += n;
  if (pendingBytes) {
    size_t take = std::min(n, 32 - pendingBytes);
    std::memcpy(pending + pendingBytes, data, take);
    pendingBytes += take;
    data += take;
    n -= take;
    if (pendingBytes < 32)
      return;
    ingot_wh_stripes(&lanes, pending, 1);
    pendingBytes = 0;
  }
  ingot_wh_stripes(&lanes, data, n / 32);
  pendingBytes = n % 32;
  std::memcpy(pending, data + n / 32 * 32, pendingBytes);
}

int64_t WeightBlob::add(ArrayRef<uint8_t> weight) {
  static const uint8_t zeros[64] = {};
  uint64_t offset = (bytes + 63) & ~uint64_t(63);
  write(zeros, offset - bytes);
  write(weight.data(), weight.size());
  return static_cast<int64_t>(offset);
}

uint64_t WeightBlob::hash() const {
  return ingot_wh_finish(&lanes, pending, bytes);
}

Error WeightBlob::flush() {
  if (!os)
    return makeError("internal error: the weights blob was finished already");
  os->flush();
  if (os->has_error())
    return makeError("cannot write the weights to " + path + ": " +
                     os->error().message());
  return Error::success();
}

Expected<std::unique_ptr<MemoryBuffer>> WeightBlob::read() {
  if (Error err = flush())
    return std::move(err);
  auto buffer = MemoryBuffer::getFileSlice(path, bytes, kHeaderBytes);
  if (!buffer)
    return makeError("cannot read the weights back from " + path + ": " +
                     buffer.getError().message());
  return std::move(*buffer);
}

Expected<std::string> WeightBlob::finishObject(StringRef triple,
                                               StringRef symbol) {
  namespace E = ELF;
  Triple t(triple);
  if (!t.isOSBinFormatELF() ||
      (t.getArch() != Triple::x86_64 && t.getArch() != Triple::aarch64))
    return makeError("internal error: the weights object is written for "
                     "x86_64 and aarch64 ELF only, not " +
                     triple);
  if (Error err = flush())
    return std::move(err);
  bool x86 = t.getArch() == Triple::x86_64;
  // Sections: null, the blob, .note.GNU-stack (no executable stack),
  // .symtab, .strtab, .shstrtab.
  std::string shstrtab("\0", 1);
  auto name = [&](StringRef s) {
    uint32_t at = shstrtab.size();
    shstrtab += s.str();
    shstrtab.push_back('\0');
    return at;
  };
  uint32_t dataName = name(x86 ? ".lrodata" : ".rodata.ingot.weights");
  uint32_t stackName = name(".note.GNU-stack");
  uint32_t symtabName = name(".symtab");
  uint32_t strtabName = name(".strtab");
  uint32_t shstrtabName = name(".shstrtab");
  std::string strtab("\0", 1);
  strtab += symbol.str();
  strtab.push_back('\0');

  auto pad = [&](uint64_t at, uint64_t align) {
    static const char zeros[8] = {};
    uint64_t to = (at + align - 1) & ~(align - 1);
    os->write(zeros, to - at);
    return to;
  };
  uint64_t at = kHeaderBytes + bytes;
  uint64_t symtabAt = pad(at, 8);
  E::Elf64_Sym syms[2];
  std::memset(syms, 0, sizeof syms);
  syms[1].st_name = 1;
  syms[1].setBindingAndType(E::STB_GLOBAL, E::STT_OBJECT);
  syms[1].st_other = E::STV_HIDDEN;
  syms[1].st_shndx = 1;
  syms[1].st_size = bytes;
  os->write(reinterpret_cast<const char *>(syms), sizeof syms);
  uint64_t strtabAt = symtabAt + sizeof syms;
  os->write(strtab.data(), strtab.size());
  uint64_t shstrtabAt = strtabAt + strtab.size();
  os->write(shstrtab.data(), shstrtab.size());
  uint64_t sectionsAt = pad(shstrtabAt + shstrtab.size(), 8);

  E::Elf64_Shdr sections[6];
  std::memset(sections, 0, sizeof sections);
  auto section = [&](unsigned i, uint32_t nameAt, uint32_t type,
                     uint64_t flags, uint64_t offset, uint64_t size,
                     uint64_t align) {
    sections[i].sh_name = nameAt;
    sections[i].sh_type = type;
    sections[i].sh_flags = flags;
    sections[i].sh_offset = offset;
    sections[i].sh_size = size;
    sections[i].sh_addralign = align;
  };
  section(1, dataName, E::SHT_PROGBITS,
          E::SHF_ALLOC | (x86 ? E::SHF_X86_64_LARGE : 0), kHeaderBytes, bytes,
          64);
  section(2, stackName, E::SHT_PROGBITS, 0, kHeaderBytes + bytes, 0, 1);
  section(3, symtabName, E::SHT_SYMTAB, 0, symtabAt, sizeof syms, 8);
  sections[3].sh_link = 4; // its names
  sections[3].sh_info = 1; // the first global symbol
  sections[3].sh_entsize = sizeof(E::Elf64_Sym);
  section(4, strtabName, E::SHT_STRTAB, 0, strtabAt, strtab.size(), 1);
  section(5, shstrtabName, E::SHT_STRTAB, 0, shstrtabAt, shstrtab.size(), 1);
  os->write(reinterpret_cast<const char *>(sections), sizeof sections);

  E::Elf64_Ehdr header;
  std::memset(&header, 0, sizeof header);
  std::memcpy(header.e_ident, E::ElfMagic, 4);
  header.e_ident[E::EI_CLASS] = E::ELFCLASS64;
  header.e_ident[E::EI_DATA] = E::ELFDATA2LSB;
  header.e_ident[E::EI_VERSION] = E::EV_CURRENT;
  header.e_ident[E::EI_OSABI] = E::ELFOSABI_NONE;
  header.e_type = E::ET_REL;
  header.e_machine = x86 ? E::EM_X86_64 : E::EM_AARCH64;
  header.e_version = E::EV_CURRENT;
  header.e_shoff = sectionsAt;
  header.e_ehsize = sizeof header;
  header.e_shentsize = sizeof(E::Elf64_Shdr);
  header.e_shnum = 6;
  header.e_shstrndx = 5;
  static_assert(sizeof header == kHeaderBytes, "the ELF header is 64 bytes");
  os->seek(0);
  os->write(reinterpret_cast<const char *>(&header), sizeof header);
  if (Error err = flush())
    return std::move(err);
  os->close();
  if (os->has_error())
    return makeError("cannot write " + path + ": " + os->error().message());
  os.reset();
  return path.str().str();
}

Error WeightBlob::finishWeightsFile(StringRef to, ArrayRef<uint8_t> header) {
  if (header.size() != kHeaderBytes)
    return makeError("internal error: a weights file header is 64 bytes");
  if (Error err = flush())
    return err;
  os->seek(0);
  os->write(reinterpret_cast<const char *>(header.data()), header.size());
  os->close();
  if (os->has_error())
    return makeError("cannot write " + to + ": " + os->error().message());
  os.reset();
  // Renamed where the temporary directory is on the output's file system,
  // else copied.
  if (sys::fs::rename(path, to)) {
    if (std::error_code ec = sys::fs::copy_file(path, to))
      return makeError("cannot write " + to + ": " + ec.message());
    sys::fs::remove(path);
  }
  sys::DontRemoveFileOnSignal(path);
  path.clear();
  // A temporary file is private to its owner; an output is not.
  mode_t mask = ::umask(0);
  ::umask(mask);
  sys::fs::setPermissions(to, sys::fs::perms(0666 & ~mask));
  return Error::success();
}

} // namespace ingot::cpu
