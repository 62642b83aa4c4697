//===- UKernelBitcode.cpp - The ukernel library as embedded bitcode -------===//
//
// The bitcode files are placed between the symbols below by the assembler
// file ingot_embed_files generates (cmake/IngotBitcode.cmake).
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/UKernelBitcode.h"

#include "llvm/ADT/StringSwitch.h"

#define INGOT_UK_VARIANT(sym)                                                  \
  extern "C" const char ingot_ukernels_bc_##sym[],                            \
      ingot_ukernels_bc_##sym##_end[];
INGOT_UK_VARIANT(x86_64)
INGOT_UK_VARIANT(x86_64_avx2)
INGOT_UK_VARIANT(x86_64_avx512)
INGOT_UK_VARIANT(aarch64)
INGOT_UK_VARIANT(aarch64_dotprod)
#undef INGOT_UK_VARIANT

namespace {
constexpr llvm::StringRef variants[] = {"x86_64", "x86_64-avx2",
                                        "x86_64-avx512", "aarch64",
                                        "aarch64-dotprod"};

llvm::StringRef between(const char *begin, const char *end) {
  return llvm::StringRef(begin, end - begin);
}
} // namespace

llvm::StringRef ingot::ukernels::getBitcode(llvm::StringRef variant) {
#define INGOT_UK_CASE(name, sym)                                               \
  .Case(name, between(ingot_ukernels_bc_##sym, ingot_ukernels_bc_##sym##_end))
  return llvm::StringSwitch<llvm::StringRef>(variant)
      INGOT_UK_CASE("x86_64", x86_64)
      INGOT_UK_CASE("x86_64-avx2", x86_64_avx2)
      INGOT_UK_CASE("x86_64-avx512", x86_64_avx512)
      INGOT_UK_CASE("aarch64", aarch64)
      INGOT_UK_CASE("aarch64-dotprod", aarch64_dotprod)
      .Default(llvm::StringRef());
#undef INGOT_UK_CASE
}

llvm::ArrayRef<llvm::StringRef> ingot::ukernels::getBitcodeVariants() {
  return variants;
}
