//===- TargetBackend.cpp - The backends ingotc has -------------------------===//

#include "compiler/ingotc/TargetBackend.h"

#include "compiler/target/cuda/CUDATarget.h"

namespace ingot::driver {
namespace {

/// compiler/target/cpu: ukernel calls in LLVM IR, linked with the ukernel
/// and runtime bitcode for one CPU.
class CPUBackend : public TargetBackend {
public:
  explicit CPUBackend(std::string cpu) : TargetBackend(std::move(cpu)) {}
  llvm::StringRef getFamily() const override { return "cpu"; }
  llvm::Expected<cpu::CompileResult>
  compile(mlir::ModuleOp lowered, cpu::WeightPacker &packer,
          const cpu::CompileOptions &options) override {
    return cpu::compileForCPU(lowered, packer, options);
  }
};

class CUDABackend : public TargetBackend {
public:
  explicit CUDABackend(std::string archs, cuda::CUDASpec spec)
      : TargetBackend(std::move(archs)), spec(std::move(spec)) {}
  llvm::StringRef getFamily() const override { return "cuda"; }
  llvm::Expected<cpu::CompileResult>
  compile(mlir::ModuleOp lowered, cpu::WeightPacker &packer,
          const cpu::CompileOptions &options) override {
    return cuda::compileForCUDA(lowered, packer, options, spec);
  }

private:
  cuda::CUDASpec spec;
};

} // namespace

llvm::Expected<std::unique_ptr<TargetBackend>>
selectTargetBackend(llvm::StringRef target, llvm::StringRef cudaPath) {
  if (target.empty() || target == "host")
    return std::make_unique<CPUBackend>("");
  if (target.consume_front("cpu:")) {
    if (target.empty())
      return llvm::createStringError("--target=cpu: needs a CPU name "
                                     "(cpu:NAME, e.g. cpu:znver4)");
    return std::make_unique<CPUBackend>(target.str());
  }
  if (target.consume_front("cuda:")) {
    auto spec = cuda::parseCUDATarget(target);
    if (!spec)
      return spec.takeError();
    spec->cudaPath = cudaPath.str();
    return std::make_unique<CUDABackend>(target.str(), std::move(*spec));
  }
  return llvm::createStringError(
      "--target=" + target +
      ": expected host, cpu:NAME or cuda:sm_XX[,sm_YY...]");
}

} // namespace ingot::driver
