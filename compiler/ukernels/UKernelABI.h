//===- UKernelABI.h - The ukernels' signatures as LLVM IR types -*- C++ -*-===//
//
// The table of ukernel signatures in ukernels.def, for the code generator
// (the LLVM function type to declare each kernel with) and for the check
// that the kernel library linked into a generated module agrees with it.
// Depends on LLVM IR only.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_UKERNELS_UKERNELABI_H
#define INGOT_COMPILER_UKERNELS_UKERNELABI_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace llvm {
class FunctionType;
class LLVMContext;
class Module;
class Type;
} // namespace llvm

namespace ingot::ukernels {

/// How a ukernel argument or result is passed (the KIND of ukernels.def).
enum class ABIKind : uint8_t {
  Void, ///< no value (results only)
  Ptr,  ///< any pointer: `ptr`
  I64,  ///< int64_t: `i64`
  I32,  ///< int32_t: `i32`
  F32,  ///< float: `float`
};

/// One argument of a ukernel.
struct UKernelParam {
  ABIKind kind;
  llvm::StringRef name;
};

/// One entry of ukernels.def.
struct UKernelSignature {
  llvm::StringRef name;
  ABIKind result;
  llvm::ArrayRef<UKernelParam> params;
};

/// Every entry of ukernels.def, in its order.
llvm::ArrayRef<UKernelSignature> getUKernelSignatures();

/// The entry of `table` named `name`, or null.
const UKernelSignature *
lookupUKernel(llvm::StringRef name,
              llvm::ArrayRef<UKernelSignature> table = getUKernelSignatures());

/// The LLVM IR type of `kind` (pointers in address space 0).
llvm::Type *getABIType(llvm::LLVMContext &context, ABIKind kind);

/// The LLVM function type of `signature`.
llvm::FunctionType *getUKernelType(llvm::LLVMContext &context,
                                   const UKernelSignature &signature);

/// The LLVM function type of the ukernel `name` as ukernels.def declares
/// it, or null when `name` is not a ukernel.
llvm::FunctionType *getUKernelType(llvm::LLVMContext &context,
                                   llvm::StringRef name);

/// Checks `module`, a generated module after the ukernel library is linked
/// into it: every kernel of `table` that `module` defines must have the
/// table's function type. Each mismatch is one line of the error, e.g.
/// "internal error: ukernel 'ingot_uk_matmul' is void (ptr, ptr, i64) in
/// the kernel library but void (ptr, ptr, i32) in ukernels.def".
llvm::Error verifyUKernelSignatures(
    const llvm::Module &module,
    llvm::ArrayRef<UKernelSignature> table = getUKernelSignatures());

} // namespace ingot::ukernels

#endif // INGOT_COMPILER_UKERNELS_UKERNELABI_H
