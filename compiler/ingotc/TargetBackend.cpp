//===- TargetBackend.cpp - The backends ingotc has -------------------------===//

#include "compiler/ingotc/TargetBackend.h"

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

} // namespace

llvm::Expected<std::unique_ptr<TargetBackend>>
selectTargetBackend(llvm::StringRef target) {
  if (target.empty() || target == "host")
    return std::make_unique<CPUBackend>("");
  if (target.consume_front("cpu:")) {
    if (target.empty())
      return llvm::createStringError("--target=cpu: needs a CPU name "
                                     "(cpu:NAME, e.g. cpu:znver4)");
    return std::make_unique<CPUBackend>(target.str());
  }
  if (target.starts_with("cuda:") && !kCudaBackendBuilt)
    return llvm::createStringError(
        "--target=" + target +
        ": the NVIDIA backend (cuda:sm_XX) is not built in this ingotc yet");
  return llvm::createStringError(
      "--target=" + target + ": expected host or cpu:NAME" +
      (kCudaBackendBuilt ? " or cuda:sm_XX"
                         : " (cuda:sm_XX is not built in this ingotc yet)"));
}

} // namespace ingot::driver
