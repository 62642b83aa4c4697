//===- Descriptor.cpp - The model descriptor of a compiled model ----------===//
//
// `ingot_model_<name>`: what the runtime reads to run the step function
// (runtime/include/ingot_abi.h, struct ingot_model_desc): sizes, the
// weights (embedded, declared for the weights object, or the external
// file's name), the tokenizer, the chat
// template and the step function.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/LowerToCPU.h"

#include "runtime/include/ingot_abi.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"

namespace ingot::cpu {

void emitDescriptor(llvm::Module &module, llvm::Function *forward,
                    const LoweredModel &lowered, const CodegenOptions &options,
                    llvm::StringRef architecture,
                    llvm::ArrayRef<uint8_t> blob, llvm::Constant *gpuCode) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *i64Ty = llvm::Type::getInt64Ty(context);
  llvm::Type *i8Ty = llvm::Type::getInt8Ty(context);
  llvm::PointerType *ptrTy = llvm::PointerType::getUnqual(context);
  auto str = [&](llvm::StringRef text, llvm::StringRef name) {
    auto *init = llvm::ConstantDataArray::getString(context, text);
    auto *global = new llvm::GlobalVariable(
        module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
        init, name);
    global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    return global;
  };
  uint64_t blobBytes = lowered.weights.size();
  llvm::Constant *weights = llvm::ConstantPointerNull::get(ptrTy);
  if (options.embedWeights && options.weightsObject) {
    // Defined by the weights object linked beside this module's; hidden,
    // so a shared library does not export it.
    auto *global = new llvm::GlobalVariable(
        module, llvm::ArrayType::get(i8Ty, blobBytes), true,
        llvm::GlobalValue::ExternalLinkage, nullptr,
        "ingot_weights_" + options.name);
    global->setVisibility(llvm::GlobalValue::HiddenVisibility);
    global->setAlignment(llvm::Align(64));
    weights = global;
  } else if (options.embedWeights) {
    auto *init = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(reinterpret_cast<const char *>(blob.data()),
                        blob.size()),
        blob.size(), i8Ty);
    auto *global = new llvm::GlobalVariable(
        module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
        init, "ingot.weights");
    global->setAlignment(llvm::Align(64));
    weights = global;
  }
  auto *tokInit = llvm::ConstantDataArray::getRaw(
      options.tokenizerBlob, options.tokenizerBlob.size(), i8Ty);
  auto *tokenizer = new llvm::GlobalVariable(
      module, tokInit->getType(), true, llvm::GlobalValue::PrivateLinkage,
      tokInit, "ingot.tokenizer");
  tokenizer->setAlignment(llvm::Align(8));
  llvm::SmallVector<llvm::Type *> fields = {
      i64Ty, ptrTy, ptrTy, i64Ty, i64Ty, i64Ty, i64Ty, i64Ty, i64Ty,
      ptrTy, ptrTy, i64Ty, ptrTy, i64Ty, ptrTy, ptrTy, ptrTy,
      i64Ty, ptrTy, llvm::ArrayType::get(i64Ty, 2)};
  auto *descType =
      llvm::StructType::create(context, fields, "struct.ingot_model_desc");
  auto c64 = [&](uint64_t v) { return llvm::ConstantInt::get(i64Ty, v); };
  llvm::Constant *values[] = {
      c64(INGOT_ABI_VERSION),
      str(options.name, "ingot.name"),
      str(architecture, "ingot.arch"),
      c64(lowered.vocabSize),
      c64(lowered.maxCtx),
      c64(options.maxBatch),
      c64(lowered.arenaBytes),
      c64(lowered.kvBytesPerToken),
      c64(blobBytes),
      weights,
      options.embedWeights ? static_cast<llvm::Constant *>(
                                 llvm::ConstantPointerNull::get(ptrTy))
                           : str(options.weightsFile, "ingot.weights_file"),
      c64(lowered.modelId),
      tokenizer,
      c64(options.tokenizerBlob.size()),
      str(options.chatTemplate, "ingot.chat_template"),
      str(options.chatStyle, "ingot.chat_style"),
      forward,
      c64(lowered.weightsHash),
      gpuCode ? gpuCode
              : static_cast<llvm::Constant *>(
                    llvm::ConstantPointerNull::get(ptrTy)),
      llvm::ConstantAggregateZero::get(llvm::ArrayType::get(i64Ty, 2))};
  auto *desc = new llvm::GlobalVariable(
      module, descType, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(descType, values),
      "ingot_model_" + options.name);
  desc->setAlignment(llvm::Align(8));
  if (options.defineMain) {
    auto *mainPtr = new llvm::GlobalVariable(
        module, ptrTy, true, llvm::GlobalValue::ExternalLinkage, desc,
        "ingot_main_model");
    mainPtr->setAlignment(llvm::Align(8));
  }
}

} // namespace ingot::cpu
