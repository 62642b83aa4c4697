//===- KernelCalls.cpp - Ukernel calls become GPU launches ----------------===//
//
// The CPU lowering's step function calls `ingot_uk_X(args)` and a barrier
// after each op. On a GPU the barrier is the stream's order, and
// `ingot_uk_X` becomes `ingot_cuda_uk_X(args)`: the runtime's launcher,
// with the same signature, which launches the GPU ukernel `ingot_gk_X`.
// What the GPU kernels cannot take (an op without a GPU kernel, a weight or
// KV-cache format, GGML numerics) is refused here, with one line, before
// any code is emitted.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cuda/CUDATarget.h"

#include "compiler/ukernels/ukernels.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace ingot::cuda {
namespace {

/// A kernel the GPU has, and which of its arguments are formats.
struct GPUKernel {
  int formatArg = -1;   ///< INGOT_W_* weight format
  int kFormatArg = -1;  ///< INGOT_KV_* of the keys
  int vFormatArg = -1;  ///< INGOT_KV_* of the values
  int numericsArg = -1; ///< INGOT_NUMERICS_*
};

const StringMap<GPUKernel> &gpuKernels() {
  static const StringMap<GPUKernel> kernels = {
      {"ingot_uk_matmul", {7}},
      {"ingot_uk_matmul_multi", {15}},
      {"ingot_uk_embedding", {6}},
      {"ingot_uk_rms_norm", {}},
      {"ingot_uk_layer_norm", {}},
      {"ingot_uk_rope", {}},
      {"ingot_uk_attention", {-1, 15, 16, 19}},
      {"ingot_uk_binary", {}},
      {"ingot_uk_unary", {}},
      {"ingot_uk_iota", {}},
      {"ingot_uk_copy", {}},
      {"ingot_uk_clamp", {}},
      {"ingot_uk_hadamard", {}},
  };
  return kernels;
}

const char *weightFormatName(int64_t f) {
  static const char *names[] = {
      "f32",  "f16",  "bf16", "q8_0",   "q4_0",    "q4_1",   "q5_0",   "q5_1",
      "q4_k", "q5_k", "q6_k", "g8_sym", "g8_asym", "g4_sym", "g4_asym"};
  switch (f) {
  case INGOT_W_Q2_K: return "q2_k";
  case INGOT_W_Q3_K: return "q3_k";
  case INGOT_W_IQ4_NL: return "iq4_nl";
  case INGOT_W_IQ4_XS: return "iq4_xs";
  }
  return f >= 0 && f < int64_t(std::size(names)) ? names[f] : "packed";
}

bool gpuWeightFormat(int64_t f) {
  return f >= INGOT_W_F32 && f <= INGOT_W_G4_ASYM;
}

const char *kvFormatName(int64_t f) {
  static const char *names[] = {"f32", "f16", "bf16", "q8", "q4", "tq4", "tq3"};
  return f >= 0 && f < int64_t(std::size(names)) ? names[f] : "unknown";
}

bool gpuKVFormat(int64_t f) { return f >= INGOT_KV_F32 && f <= INGOT_KV_TQ3; }

/// The GPU attention kernel keeps one head of D features per block: at
/// most 256, and the q8/q4 caches' 32-element blocks must tile it.
constexpr int64_t kMaxGPUHeadDim = 256;
constexpr int kAttentionHeadDimArg = 10;

/// The constant integer argument `i` of `call` (formats are constants).
std::optional<int64_t> constantArg(CallInst &call, int i) {
  if (auto *c = dyn_cast<ConstantInt>(call.getArgOperand(i)))
    return c->getSExtValue();
  return std::nullopt;
}

} // namespace

Error rewriteKernelCalls(Module &module, const cpu::LoweredModel &lowered,
                         StringRef target) {
  auto refuse = [&](const Twine &why) {
    return createStringError("--target=" + target + ": " + why);
  };
  // An op whose kernel the GPU lacks, named by its graph op.
  for (const cpu::OpKernel &op : lowered.opKernels)
    if (!gpuKernels().count(op.kernel))
      return refuse(op.graphOp + " (kernel " + op.kernel +
                    ") has no GPU kernel yet; compile it for a CPU");
  SmallVector<CallInst *> calls;
  for (Function &fn : module)
    for (BasicBlock &block : fn)
      for (Instruction &inst : block) {
        if (auto *call = dyn_cast<CallInst>(&inst)) {
          Function *callee = call->getCalledFunction();
          if (callee && callee->getName().starts_with("ingot_uk_"))
            calls.push_back(call);
        } else if (isa<LoadInst>(inst) &&
                   fn.getName().starts_with("ingot_forward_")) {
          // Host code that reads computed values (MoE row counts) would
          // read device memory.
          return refuse("the step reads computed values on the host (a "
                        "data-dependent row count); no GPU lowering yet");
        }
      }
  StringMap<Function *> launchers;
  for (CallInst *call : calls) {
    Function *callee = call->getCalledFunction();
    StringRef name = callee->getName();
    if (name == "ingot_uk_barrier") {
      call->eraseFromParent();
      continue;
    }
    auto kernel = gpuKernels().find(name);
    if (kernel == gpuKernels().end())
      return refuse(name + " has no GPU kernel yet; compile for a CPU");
    const GPUKernel &k = kernel->second;
    if (k.formatArg >= 0) {
      auto f = constantArg(*call, k.formatArg);
      if (!f || !gpuWeightFormat(*f))
        return refuse(Twine("weights in format ") +
                      (f ? weightFormatName(*f) : "(not constant)") +
                      " have no GPU kernel yet (" + name + ")");
    }
    for (int arg : {k.kFormatArg, k.vFormatArg})
      if (arg >= 0) {
        auto f = constantArg(*call, arg);
        if (!f || !gpuKVFormat(*f))
          return refuse(Twine("KV cache ") +
                        (f ? kvFormatName(*f) : "(not constant)") +
                        " has no GPU attention kernel yet");
        auto d = constantArg(*call, kAttentionHeadDimArg);
        if (!d || *d > kMaxGPUHeadDim)
          return refuse("attention heads of " +
                        (d ? Twine(*d) : Twine("(not constant)")) +
                        " features: the GPU attention kernel takes at most " +
                        Twine(kMaxGPUHeadDim));
        if ((*f == INGOT_KV_Q8 || *f == INGOT_KV_Q4) && *d >= 32 && *d % 32)
          return refuse(Twine("a ") + kvFormatName(*f) +
                        " KV cache of heads of " + Twine(*d) +
                        " features: the GPU kernel needs a multiple of 32");
      }
    if (k.numericsArg >= 0) {
      auto numerics = constantArg(*call, k.numericsArg);
      if (!numerics || *numerics != INGOT_NUMERICS_EXACT)
        return refuse("--numerics=ggml has no GPU kernels");
    }
    Function *&launcher = launchers[name];
    if (!launcher)
      launcher = Function::Create(
          callee->getFunctionType(), GlobalValue::ExternalLinkage,
          "ingot_cuda_uk_" + name.drop_front(strlen("ingot_uk_")), module);
    call->setCalledFunction(launcher);
  }
  for (Function &fn : make_early_inc_range(module))
    if (fn.getName().starts_with("ingot_uk_") && fn.use_empty())
      fn.eraseFromParent();
  return Error::success();
}

} // namespace ingot::cuda
