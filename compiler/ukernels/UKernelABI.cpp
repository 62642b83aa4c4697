//===- UKernelABI.cpp - The ukernels' signatures as LLVM IR types ---------===//
//
// ukernels.def expanded twice: once into an array of arguments per kernel,
// once into the table of kernels that points at them. All constant data:
// nothing runs at startup.
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/UKernelABI.h"

#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace ingot::ukernels {
namespace {

#define INGOT_UK_KIND_VOID ABIKind::Void
#define INGOT_UK_KIND_PTR ABIKind::Ptr
#define INGOT_UK_KIND_I64 ABIKind::I64
#define INGOT_UK_KIND_I32 ABIKind::I32
#define INGOT_UK_KIND_F32 ABIKind::F32

// The arguments of kernel `name`: `constexpr UKernelParam name##Params[]`.
#define INGOT_UK_RET(kind, type)
#define INGOT_UK_ARG(kind, type, name) UKernelParam{INGOT_UK_KIND_##kind, #name}
#define INGOT_UK_KERNEL(name, ret, ...)                                        \
  constexpr UKernelParam name##Params[] = {__VA_ARGS__};
#include "compiler/ukernels/ukernels.def"

#define INGOT_UK_RET(kind, type) INGOT_UK_KIND_##kind
#define INGOT_UK_ARG(kind, type, name)
#define INGOT_UK_KERNEL(name, ret, ...)                                        \
  UKernelSignature{#name, ret, name##Params},
constexpr UKernelSignature signatures[] = {
#include "compiler/ukernels/ukernels.def"
};

std::string typeString(Type *type) {
  std::string text;
  raw_string_ostream os(text);
  type->print(os);
  return text;
}

} // namespace

ArrayRef<UKernelSignature> getUKernelSignatures() { return signatures; }

const UKernelSignature *lookupUKernel(StringRef name,
                                      ArrayRef<UKernelSignature> table) {
  for (const UKernelSignature &signature : table)
    if (signature.name == name)
      return &signature;
  return nullptr;
}

Type *getABIType(LLVMContext &context, ABIKind kind) {
  switch (kind) {
  case ABIKind::Void:
    return Type::getVoidTy(context);
  case ABIKind::Ptr:
    return PointerType::get(context, 0);
  case ABIKind::I64:
    return Type::getInt64Ty(context);
  case ABIKind::I32:
    return Type::getInt32Ty(context);
  case ABIKind::F32:
    return Type::getFloatTy(context);
  }
  llvm_unreachable("unknown ABIKind");
}

FunctionType *getUKernelType(LLVMContext &context,
                             const UKernelSignature &signature) {
  SmallVector<Type *, 24> params;
  for (const UKernelParam &param : signature.params)
    params.push_back(getABIType(context, param.kind));
  return FunctionType::get(getABIType(context, signature.result), params,
                           /*isVarArg=*/false);
}

FunctionType *getUKernelType(LLVMContext &context, StringRef name) {
  const UKernelSignature *signature = lookupUKernel(name);
  return signature ? getUKernelType(context, *signature) : nullptr;
}

Error verifyUKernelSignatures(const Module &module,
                              ArrayRef<UKernelSignature> table) {
  Error errors = Error::success();
  for (const UKernelSignature &signature : table) {
    const Function *function = module.getFunction(signature.name);
    if (!function || function->isDeclaration())
      continue;
    FunctionType *expected = getUKernelType(module.getContext(), signature);
    if (function->getFunctionType() == expected)
      continue;
    errors = joinErrors(
        std::move(errors),
        createStringError("internal error: ukernel '" + signature.name +
                          "' is " + typeString(function->getFunctionType()) +
                          " in the kernel library but " +
                          typeString(expected) + " in ukernels.def"));
  }
  return errors;
}

} // namespace ingot::ukernels
