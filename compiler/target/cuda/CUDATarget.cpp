//===- CUDATarget.cpp - Compiling a model for NVIDIA GPUs -----------------===//
//
// `--target=cuda:sm_80,sm_90a`: the CPU compilation (compiler/target/cpu/
// Compile.cpp) for the host side, with weights packed in their file layout
// and constant arrays in the weights blob (the GPU reads both), and a
// device-code step that turns the kernel calls into launches
// (KernelCalls.cpp) and embeds the images (Images.cpp) as the descriptor's
// ingot_gpu_code.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cuda/CUDATarget.h"

#include "runtime/include/ingot_abi.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"

using namespace llvm;

namespace ingot::cuda {

ArrayRef<StringRef> knownArchs() {
  static const StringRef archs[] = {"sm_80", "sm_86", "sm_89", "sm_90",
                                    "sm_90a"};
  return archs;
}

Expected<CUDASpec> parseCUDATarget(StringRef list) {
  CUDASpec spec;
  if (list.trim().empty())
    return createStringError("--target=cuda: needs the GPU architectures, "
                             "e.g. cuda:sm_80,sm_90a (known: " +
                             join(knownArchs(), ", ") + ")");
  SmallVector<StringRef> parts;
  list.split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    if (!is_contained(knownArchs(), part))
      return createStringError(
          "--target=cuda:" + list + ": unknown architecture '" + part +
          "'; expected a list of " + join(knownArchs(), ", "));
    if (is_contained(spec.archs, part))
      return createStringError("--target=cuda:" + list + ": " + part +
                               " named twice");
    spec.archs.push_back(part.str());
  }
  // Lowest first: its PTX is the one the driver may JIT.
  llvm::sort(spec.archs);
  return spec;
}

/// Adds the images and the ingot_gpu_code to `module` and points the
/// descriptor at it.
static void embedDeviceCode(Module &module, ArrayRef<DeviceImage> images,
                            const CUDASpec &spec, StringRef modelName) {
  LLVMContext &context = module.getContext();
  Type *i64 = Type::getInt64Ty(context);
  PointerType *ptr = PointerType::getUnqual(context);
  auto c64 = [&](uint64_t v) { return ConstantInt::get(i64, v); };
  StructType *imageType = StructType::create(context, {i64, i64, i64, ptr, i64},
                                             "struct.ingot_gpu_image");
  std::vector<Constant *> entries;
  for (auto [i, image] : enumerate(images)) {
    auto *data = ConstantDataArray::getRaw(image.bytes, image.bytes.size(),
                                           Type::getInt8Ty(context));
    auto *global = new GlobalVariable(module, data->getType(), true,
                                      GlobalValue::PrivateLinkage, data,
                                      "ingot.gpu.image." + Twine(i));
    global->setAlignment(Align(64));
    entries.push_back(ConstantStruct::get(
        imageType,
        {c64(image.cubin ? INGOT_GPU_IMAGE_CUBIN : INGOT_GPU_IMAGE_PTX),
         c64(image.arch), c64(image.archSpecific), global,
         c64(image.bytes.size())}));
  }
  auto *arrayType = ArrayType::get(imageType, entries.size());
  auto *table = new GlobalVariable(
      module, arrayType, true, GlobalValue::PrivateLinkage,
      ConstantArray::get(arrayType, entries), "ingot.gpu.images");
  auto *targets = ConstantDataArray::getString(context, join(spec.archs, ","));
  auto *targetsGlobal = new GlobalVariable(module, targets->getType(), true,
                                           GlobalValue::PrivateLinkage, targets,
                                           "ingot.gpu.targets");
  StructType *codeType = StructType::create(context, {i64, ptr, ptr, i64},
                                            "struct.ingot_gpu_code");
  auto *code = new GlobalVariable(
      module, codeType, true, GlobalValue::PrivateLinkage,
      ConstantStruct::get(codeType,
                          {c64(entries.size()), table, targetsGlobal, c64(80)}),
      "ingot.gpu.code");
  code->setAlignment(Align(8));
  // The descriptor's `gpu` field (runtime/include/ingot_abi.h).
  GlobalVariable *desc =
      module.getGlobalVariable(("ingot_model_" + modelName).str());
  auto *init = cast<ConstantStruct>(desc->getInitializer());
  SmallVector<Constant *> fields;
  for (unsigned i = 0; i < init->getNumOperands(); ++i)
    fields.push_back(init->getOperand(i));
  constexpr unsigned kGpuField = 18;
  fields[kGpuField] = code;
  desc->setInitializer(ConstantStruct::get(init->getType(), fields));
}

Expected<cpu::CompileResult> compileForCUDA(mlir::ModuleOp graph,
                                            cpu::WeightPacker &packer,
                                            cpu::CompileOptions options,
                                            const CUDASpec &spec) {
  std::string target = "cuda:" + join(spec.archs, ",");
  if (options.codegen.ggmlNumerics)
    return createStringError("--numerics=ggml: GGML's CPU roundings have no "
                             "GPU kernels; leave it out for --target=" +
                             target);
  options.codegen.gpu = true;
  std::vector<std::string> warnings;
  options.deviceCode = [&](cpu::LoweredModel &lowered,
                           Module &module) -> Error {
    if (Error err = rewriteKernelCalls(module, lowered, target))
      return err;
    if (options.kernelCallsOnly)
      return Error::success();
    auto images = buildImages(spec, warnings);
    if (!images)
      return images.takeError();
    embedDeviceCode(module, *images, spec, options.codegen.name);
    return Error::success();
  };
  auto result = cpu::compileForCPU(graph, packer, options);
  if (result)
    result->lowered.warnings.insert(result->lowered.warnings.end(),
                                    warnings.begin(), warnings.end());
  return result;
}

} // namespace ingot::cuda
