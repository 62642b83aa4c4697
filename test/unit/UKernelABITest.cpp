//===- UKernelABITest.cpp - ukernels.def against the kernel library -------===//
//
// The signature table (compiler/ukernels/ukernels.def) against the embedded
// ukernel bitcode: the real table matches every variant, and an edited
// entry is reported on one line naming its kernel.
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/UKernelABI.h"
#include "compiler/ukernels/UKernelBitcode.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using namespace ingot::ukernels;

namespace {

std::unique_ptr<llvm::Module> parseVariant(llvm::LLVMContext &context,
                                           llvm::StringRef variant) {
  llvm::StringRef bitcode = getBitcode(variant);
  EXPECT_FALSE(bitcode.empty()) << variant.str();
  auto module =
      llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, variant), context);
  if (!module) {
    ADD_FAILURE() << variant.str() << ": "
                  << llvm::toString(module.takeError());
    return nullptr;
  }
  return std::move(*module);
}

TEST(UKernelABI, TableMatchesEveryEmbeddedVariant) {
  ASSERT_EQ(getBitcodeVariants().size(), 5u);
  for (llvm::StringRef variant : getBitcodeVariants()) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module = parseVariant(context, variant);
    ASSERT_TRUE(module);
    // Not vacuous: the library defines every kernel of the table.
    for (const UKernelSignature &signature : getUKernelSignatures()) {
      const llvm::Function *f = module->getFunction(signature.name);
      EXPECT_TRUE(f && !f->isDeclaration())
          << variant.str() << " lacks " << signature.name.str();
    }
    llvm::Error err = verifyUKernelSignatures(*module);
    EXPECT_FALSE(static_cast<bool>(err))
        << variant.str() << ": " << llvm::toString(std::move(err));
  }
}

TEST(UKernelABI, EditedEntryIsOneLineNamingTheKernel) {
  // The table with ingot_uk_matmul's M (an int64_t) declared as I32.
  std::vector<UKernelSignature> table(getUKernelSignatures().begin(),
                                      getUKernelSignatures().end());
  std::vector<UKernelParam> params;
  for (UKernelSignature &signature : table) {
    if (signature.name != "ingot_uk_matmul")
      continue;
    params.assign(signature.params.begin(), signature.params.end());
    ASSERT_EQ(params[4].name, "M");
    ASSERT_EQ(params[4].kind, ABIKind::I64);
    params[4].kind = ABIKind::I32;
    signature.params = params;
  }
  ASSERT_FALSE(params.empty()) << "ingot_uk_matmul is not in the table";

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = parseVariant(context, "x86_64");
  ASSERT_TRUE(module);
  llvm::Error err = verifyUKernelSignatures(*module, table);
  ASSERT_TRUE(static_cast<bool>(err));
  std::string message = llvm::toString(std::move(err));
  EXPECT_EQ(message,
            "internal error: ukernel 'ingot_uk_matmul' is void (ptr, ptr, "
            "ptr, ptr, i64, i64, i64, i32, i32, ptr, ptr, i32, i32) in the "
            "kernel library but void (ptr, ptr, ptr, ptr, i32, i64, i64, "
            "i32, i32, ptr, ptr, i32, i32) in ukernels.def");
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(UKernelABI, KernelTypesFromTheTable) {
  llvm::LLVMContext context;
  EXPECT_EQ(getUKernelType(context, "ingot_uk_no_such_kernel"), nullptr);
  llvm::Type *ptr = llvm::PointerType::get(context, 0);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  EXPECT_EQ(getUKernelType(context, "ingot_uk_barrier"),
            llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                    {ptr, i32}, false));
  EXPECT_EQ(getUKernelType(context, "ingot_uk_kv_entry_bytes"),
            llvm::FunctionType::get(i64, {i32, i64}, false));
  const UKernelSignature *rmsNorm = lookupUKernel("ingot_uk_rms_norm");
  ASSERT_NE(rmsNorm, nullptr);
  ASSERT_EQ(rmsNorm->params.size(), 8u);
  EXPECT_EQ(rmsNorm->params[5].name, "eps");
  EXPECT_EQ(rmsNorm->params[5].kind, ABIKind::F32);
}

} // namespace
