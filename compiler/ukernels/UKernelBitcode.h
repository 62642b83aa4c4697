//===- UKernelBitcode.h - The ukernel library as embedded bitcode -*- C++ -*-===//
//
// The ukernel library (compiler/ukernels/ukernels.h) compiled by clang to
// LLVM bitcode once per ISA variant when ingotc is built, embedded here for
// the CPU code generator to link into generated modules.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_UKERNELS_UKERNELBITCODE_H
#define INGOT_COMPILER_UKERNELS_UKERNELBITCODE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace ingot::ukernels {

/// The ukernel library compiled for `variant` ("x86_64", "x86_64-avx2",
/// "x86_64-avx512", "aarch64", "aarch64-dotprod"), as LLVM bitcode, or
/// an empty StringRef for an unknown variant.
llvm::StringRef getBitcode(llvm::StringRef variant);

/// Every variant getBitcode knows.
llvm::ArrayRef<llvm::StringRef> getBitcodeVariants();

} // namespace ingot::ukernels

#endif // INGOT_COMPILER_UKERNELS_UKERNELBITCODE_H
