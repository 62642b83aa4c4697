//===- RuntimeCudaTest.cpp - GPU models on the fake driver
//-----------------===//
//
// The runtime's CUDA path (runtime/src/cuda.c, the GPU half of model.c)
// against the fake driver (test/fakecuda): the image an architecture gets,
// each failure's one-line message with everything released, and the
// hand-written GPU model (test/runtime/gpu_model.h) run through the
// launchers, checked against the same model computed here in double.
//
//===----------------------------------------------------------------------===//

#include "compiler/ukernels/ukernels.h"
#include "runtime/include/ingot.h"
#include "runtime/src/cuda.h"
#include "test/runtime/gpu_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

//===----------------------------------------------------------------------===//
// Image selection
//===----------------------------------------------------------------------===//

const uint8_t kBytes[4] = {1, 2, 3, 4};

ingot_gpu_image cubin(uint64_t arch, bool specific = false) {
  return {INGOT_GPU_IMAGE_CUBIN, arch, specific ? 1u : 0u, kBytes, 4};
}
ingot_gpu_image ptx(uint64_t arch) {
  return {INGOT_GPU_IMAGE_PTX, arch, 0, kBytes, 4};
}

int pick(const std::vector<ingot_gpu_image> &images, int arch) {
  ingot_gpu_code code = {images.size(), images.data(), "", 80};
  return ingot_cuda_pick_image(&code, arch);
}

TEST(RuntimeCudaImage, SameMajorLowerMinorCubin) {
  std::vector<ingot_gpu_image> images = {cubin(80), cubin(90, true), ptx(80)};
  EXPECT_EQ(pick(images, 80), 0);
  EXPECT_EQ(pick(images, 86), 0); // sm_80 code runs on 8.6
  EXPECT_EQ(pick(images, 89), 0);
}

TEST(RuntimeCudaImage, ArchSpecificOnlyOnItsOwnArchitecture) {
  std::vector<ingot_gpu_image> images = {cubin(80), cubin(90, true), ptx(80)};
  EXPECT_EQ(pick(images, 90), 1);
  // 10.0 runs neither cubin (another major; sm_90a is 9.0 only): the PTX.
  EXPECT_EQ(pick(images, 100), 2);
  // Only sm_90a: not on 9.1 either.
  EXPECT_EQ(pick({cubin(90, true)}, 91), -1);
}

TEST(RuntimeCudaImage, PrefersTheHighestAndTheSpecific) {
  EXPECT_EQ(pick({cubin(80), cubin(86), cubin(89)}, 87), 1);
  EXPECT_EQ(pick({cubin(90), cubin(90, true)}, 90), 1);
  EXPECT_EQ(pick({cubin(90, true), cubin(90)}, 90), 0);
  EXPECT_EQ(pick({cubin(90, true), cubin(90)}, 92), 1);
}

TEST(RuntimeCudaImage, PtxFallbackAndNothing) {
  EXPECT_EQ(pick({cubin(90, true), ptx(80)}, 86), 1);
  EXPECT_EQ(pick({ptx(80), ptx(90)}, 120), 1);
  EXPECT_EQ(pick({cubin(80), ptx(80)}, 75), -1); // older than everything
  EXPECT_EQ(pick({cubin(80)}, 90), -1);          // no PTX to compile
  EXPECT_EQ(pick({ptx(90)}, 86), -1);
  EXPECT_EQ(pick({}, 90), -1);
}

//===----------------------------------------------------------------------===//
// The fake driver
//===----------------------------------------------------------------------===//

/// Points the runtime at the fake driver and keeps the fake loaded, so that
/// its count of live objects can be read after the runtime has closed it.
class RuntimeCuda : public ::testing::Test {
protected:
  void SetUp() override {
    // Never unloaded: the SIMT executor keeps its fiber stacks for the
    // process (LeakSanitizer would see them lost at an unload).
    fake = dlopen(INGOT_FAKECUDA_PATH, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    ASSERT_NE(fake, nullptr) << dlerror();
    void *sym = dlsym(fake, "ingot_fakecuda_live");
    ASSERT_NE(sym, nullptr);
    live = reinterpret_cast<int (*)()>(sym);
    setenv("INGOT_CUDA_DRIVER", INGOT_FAKECUDA_PATH, 1);
    unsetenv("INGOT_FAKECUDA_FAIL");
  }
  void TearDown() override {
    unsetenv("INGOT_CUDA_DRIVER");
    unsetenv("INGOT_FAKECUDA_FAIL");
    if (fake)
      dlclose(fake);
  }

  /// Opens the GPU model with INGOT_FAKECUDA_FAIL=`fail`; expects `want`
  /// and, on failure, nothing left alive in the driver.
  std::string openFails(const char *fail, ingot_status want) {
    if (fail)
      setenv("INGOT_FAKECUDA_FAIL", fail, 1);
    ingot_model *model = nullptr;
    char error[512] = "";
    ingot_status status = ingot_model_open(&model, &ingot_gpu_fake_model,
                                           nullptr, error, sizeof error);
    EXPECT_EQ(status, want) << fail << ": " << error;
    EXPECT_EQ(model, nullptr);
    ingot_model_free(model);
    EXPECT_EQ(live(), 0) << fail << ": something was not released";
    std::string message = error;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }

  void *fake = nullptr;
  int (*live)() = nullptr;
};

TEST_F(RuntimeCuda, NoDriver) {
  setenv("INGOT_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  std::string m = openFails(nullptr, INGOT_ERROR_UNSUPPORTED);
  EXPECT_EQ(m.rfind("no NVIDIA driver: INGOT_CUDA_DRIVER=/nonexistent/"
                    "libcuda.so.1 cannot be loaded (",
                    0),
            0u)
      << m;
}

TEST_F(RuntimeCuda, NotADriver) {
  setenv("INGOT_CUDA_DRIVER", "libm.so.6", 1);
  EXPECT_EQ(openFails(nullptr, INGOT_ERROR_UNSUPPORTED),
            "libm.so.6 is not an NVIDIA driver (it has no cuInit); install "
            "the NVIDIA driver, or point INGOT_CUDA_DRIVER at its "
            "libcuda.so.1");
}

TEST_F(RuntimeCuda, FakeStub) {
  std::string m = openFails("cuInit:34", INGOT_ERROR_UNSUPPORTED);
  EXPECT_EQ(m, std::string(INGOT_FAKECUDA_PATH) +
                   " is the CUDA toolkit's stub library "
                   "(CUDA_ERROR_STUB_LIBRARY), not an NVIDIA driver: install "
                   "the driver, and take the toolkit's stubs directory out of "
                   "LD_LIBRARY_PATH");
}

TEST_F(RuntimeCuda, ToolkitStub) {
  if (!*INGOT_CUDA_STUB_PATH)
    GTEST_SKIP() << "no CUDA toolkit stub (lib64/stubs/libcuda.so) at "
                    "configure time";
  setenv("INGOT_CUDA_DRIVER", INGOT_CUDA_STUB_PATH, 1);
  std::string m = openFails(nullptr, INGOT_ERROR_UNSUPPORTED);
  EXPECT_NE(m.find(" is the CUDA toolkit's stub library "
                   "(CUDA_ERROR_STUB_LIBRARY), not an NVIDIA driver"),
            std::string::npos)
      << m;
}

TEST_F(RuntimeCuda, NoDevice) {
  const char *want = "no NVIDIA GPU: the driver (CUDA 13.0) finds no device "
                     "(CUDA_ERROR_NO_DEVICE); check nvidia-smi and "
                     "CUDA_VISIBLE_DEVICES";
  EXPECT_EQ(openFails("cuInit:100", INGOT_ERROR_UNSUPPORTED), want);
  EXPECT_EQ(openFails("device_count=0", INGOT_ERROR_UNSUPPORTED), want);
}

TEST_F(RuntimeCuda, GpuOlderThanTheTargets) {
  EXPECT_EQ(openFails("compute_capability=75", INGOT_ERROR_UNSUPPORTED),
            "GPU 0, Ingot fake GPU (sm_75), is older than the architectures "
            "this model was compiled for (sm_80,sm_90a): compile it with "
            "--target=cuda:sm_75");
}

TEST_F(RuntimeCuda, DriverTooOldForThePtx) {
  std::string want =
      "the NVIDIA driver (CUDA 11.8) is too old for this model's PTX (ISA "
      "8.0, from CUDA 12.0), its only code for GPU 0, Ingot fake GPU "
      "(sm_100): CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222); update the driver "
      "to CUDA 12.0 or newer, or compile the model with --target=cuda:sm_100";
  EXPECT_EQ(openFails("compute_capability=100,driver_version=11080,"
                      "cuModuleLoadDataEx:222",
                      INGOT_ERROR_UNSUPPORTED),
            want);
  EXPECT_NE(openFails("compute_capability=100,driver_version=11080,"
                      "cuModuleLoadDataEx:209",
                      INGOT_ERROR_UNSUPPORTED)
                .find("too old for this model's PTX"),
            std::string::npos);
}

TEST_F(RuntimeCuda, JitFailureSaysWhy) {
  EXPECT_EQ(openFails("compute_capability=100,cuModuleLoadDataEx:218",
                      INGOT_ERROR_UNSUPPORTED),
            "the NVIDIA driver cannot compile this model's PTX for GPU 0, "
            "Ingot fake GPU (sm_100): CUDA_ERROR_INVALID_PTX (218): fakecuda: "
            "module load failed with error 218; compile the model with "
            "--target=cuda:sm_100");
}

TEST_F(RuntimeCuda, OutOfMemoryForTheWeights) {
  EXPECT_EQ(openFails("total_memory=4096", INGOT_ERROR_OUT_OF_MEMORY),
            "out of GPU memory for the weights: 8352 bytes needed, 4096 bytes "
            "free of 4096 bytes on GPU 0, Ingot fake GPU (sm_90)");
}

TEST_F(RuntimeCuda, MissingKernel) {
  EXPECT_EQ(openFails("missing_kernel=ingot_gk_rope", INGOT_ERROR_UNSUPPORTED),
            "this model's GPU code has no kernel ingot_gk_rope: "
            "CUDA_ERROR_NOT_FOUND (500); it was built for another runtime, "
            "compile the model again");
}

TEST_F(RuntimeCuda, EveryLaterFailureReleasesEverything) {
  for (const char *fail : {"cuDeviceGetAttribute:1",
                           "cuDevicePrimaryCtxRetain:2", "cuCtxSetCurrent:201",
                           "cuModuleGetFunction:500@5", "cuMemcpyHtoD_v2:1"})
    openFails(fail, INGOT_ERROR_UNSUPPORTED);
  openFails("cuMemAlloc_v2:2", INGOT_ERROR_OUT_OF_MEMORY);
}

/// A model that opens; sessions that fail to start release what they
/// took, and the model stays usable.
TEST_F(RuntimeCuda, SessionOutOfMemory) {
  // The weights (8352 bytes) fit; the KV cache (64 tokens x 64 bytes)
  // after the arena (512) does not.
  setenv("INGOT_FAKECUDA_FAIL", "total_memory=12000", 1);
  ingot_model *model = nullptr;
  char error[512] = "";
  ASSERT_EQ(ingot_model_open(&model, &ingot_gpu_fake_model, nullptr, error,
                             sizeof error),
            INGOT_OK)
      << error;
  int afterOpen = live();
  ingot_session *session = nullptr;
  EXPECT_EQ(ingot_session_init(&session, model, 0, error, sizeof error),
            INGOT_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(session, nullptr);
  EXPECT_STREQ(error, "out of GPU memory for the KV cache: 4096 bytes "
                      "needed, 3136 bytes free of 12000 bytes on GPU 0, Ingot "
                      "fake GPU (sm_90)");
  EXPECT_EQ(live(), afterOpen);
  // A shorter context fits.
  ASSERT_EQ(ingot_session_init(&session, model, 8, error, sizeof error),
            INGOT_OK)
      << error;
  ingot_session_free(session);
  EXPECT_EQ(live(), afterOpen);
  ingot_model_free(model);
  EXPECT_EQ(live(), 0);
}

/// A kernel that fails: the step's one-line error, the session still
/// freed cleanly.
TEST_F(RuntimeCuda, LaunchFailure) {
  setenv("INGOT_FAKECUDA_FAIL", "cuLaunchKernel:719", 1);
  ingot_model *model = nullptr;
  ingot_session *session = nullptr;
  char error[512] = "";
  ASSERT_EQ(ingot_model_open(&model, &ingot_gpu_fake_model, nullptr, error,
                             sizeof error),
            INGOT_OK)
      << error;
  ASSERT_EQ(ingot_session_init(&session, model, 0, error, sizeof error),
            INGOT_OK)
      << error;
  int32_t ids[2] = {40, 41};
  EXPECT_EQ(ingot_session_prefill(session, ids, 2), INGOT_ERROR_UNSUPPORTED);
  EXPECT_STREQ(ingot_session_error(session),
               "GPU 0, Ingot fake GPU (sm_90): launching kernel "
               "ingot_gk_embedding failed: CUDA_ERROR_LAUNCH_FAILED (719)");
  EXPECT_EQ(ingot_session_logits(session), nullptr);
  ingot_session_free(session);
  ingot_model_free(model);
  EXPECT_EQ(live(), 0);
}

//===----------------------------------------------------------------------===//
// The GPU model, run
//===----------------------------------------------------------------------===//

constexpr int V = INGOT_GPU_FAKE_VOCAB, D = INGOT_GPU_FAKE_D;

/// gpu_model.h's rule in double: the logits after each of `tokens`.
std::vector<std::vector<double>> reference(const std::vector<int32_t> &tokens) {
  std::vector<std::vector<double>> x, logits;
  for (int32_t t : tokens) {
    std::vector<double> e(D), xt(D);
    double sum = 0;
    for (int d = 0; d < D; ++d) {
      e[d] = ingot_gpu_fake_embedding(t, d);
      sum += e[d] * e[d];
    }
    double r = 1 / std::sqrt(sum / D + INGOT_GPU_FAKE_EPS);
    for (int d = 0; d < D; ++d)
      xt[d] = e[d] * r * ingot_gpu_fake_gain(d);
    x.push_back(xt);
    std::vector<double> s(x.size()), h(xt);
    double top = -1e300, z = 0;
    for (size_t j = 0; j < x.size(); ++j) {
      s[j] = 0;
      for (int d = 0; d < D; ++d)
        s[j] += xt[d] * x[j][d];
      s[j] /= std::sqrt(double(D));
      top = std::max(top, s[j]);
    }
    for (size_t j = 0; j < x.size(); ++j)
      z += s[j] = std::exp(s[j] - top);
    for (size_t j = 0; j < x.size(); ++j)
      for (int d = 0; d < D; ++d)
        h[d] += s[j] / z * x[j][d];
    std::vector<double> l(V);
    for (int v = 0; v < V; ++v)
      for (int d = 0; d < D; ++d)
        l[v] += ingot_gpu_fake_embedding(v, d) * h[d];
    logits.push_back(l);
  }
  return logits;
}

void expectLogits(const float *got, const std::vector<double> &want,
                  const char *what) {
  int bad = 0;
  for (int v = 0; v < V; ++v)
    if (!(std::fabs(got[v] - want[v]) <= 1e-4 * (1 + std::fabs(want[v]))) &&
        bad++ < 5)
      ADD_FAILURE() << what << ": logit " << v << " is " << got[v]
                    << ", expected " << want[v];
}

/// The external weights file of the GPU model, written once per test.
std::string externalWeights() {
  std::string path = testing::TempDir() + "ingot-runtime-fake-gpu.weights";
  EXPECT_EQ(ingot_gpu_fake_write_weights(path.c_str()), 0) << path;
  return path;
}

/// Opening with external weights: the file's checks first (a short file
/// fails before the driver is touched), then one copy to the device.
TEST_F(RuntimeCuda, ExternalWeights) {
  std::string path = externalWeights();
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.weights_path = path.c_str();
  ingot_model *model = nullptr;
  char error[512] = "";
  ASSERT_EQ(ingot_model_open(&model, &ingot_gpu_fake_model_external, &o, error,
                             sizeof error),
            INGOT_OK)
      << error;
  EXPECT_GT(live(), 0);
  ingot_model_free(model);
  EXPECT_EQ(live(), 0);
  ASSERT_EQ(truncate(path.c_str(), 100), 0);
  EXPECT_EQ(ingot_model_open(&model, &ingot_gpu_fake_model_external, &o, error,
                             sizeof error),
            INGOT_ERROR_IO);
  EXPECT_NE(std::string(error).find("truncated"), std::string::npos) << error;
  EXPECT_EQ(live(), 0);
  std::remove(path.c_str());
}

class RuntimeCudaRun : public RuntimeCuda,
                       public ::testing::WithParamInterface<bool> {};

TEST_P(RuntimeCudaRun, RunsTheModel) {
#ifndef INGOT_FAKECUDA_KERNELS
  GTEST_SKIP() << "the fake driver was built without the GPU kernels for "
                  "the host (IngotGPUKernelsHost)";
#endif
  bool external = GetParam();
  std::string path = external ? externalWeights() : "";
  ingot_model_options o;
  ingot_model_options_default(&o);
  o.weights_path = external ? path.c_str() : nullptr;
  ingot_model *model = nullptr;
  ingot_session *session = nullptr;
  char error[512] = "";
  ASSERT_EQ(ingot_model_open(&model,
                             external ? &ingot_gpu_fake_model_external
                                      : &ingot_gpu_fake_model,
                             &o, error, sizeof error),
            INGOT_OK)
      << error;
  ASSERT_EQ(ingot_session_init(&session, model, 0, error, sizeof error),
            INGOT_OK)
      << error;
  // Seven tokens: two batches (max_batch 4), then two decodes.
  std::vector<int32_t> tokens = {1, 75, 107, 3, 258, 40, 40, 99, 0};
  auto want = reference(tokens);
  ASSERT_EQ(ingot_session_prefill(session, tokens.data(), 7), INGOT_OK)
      << ingot_session_error(session);
  expectLogits(ingot_session_logits(session), want[6], "after the prefill");
  for (int i = 7; i < 9; ++i) {
    ASSERT_EQ(ingot_session_decode(session, tokens[i]), INGOT_OK)
        << ingot_session_error(session);
    expectLogits(ingot_session_logits(session), want[i], "after a decode");
  }
  // All logits, from the start again.
  ingot_session_reset(session);
  std::vector<float> all(9 * V);
  ASSERT_EQ(
      ingot_session_prefill_all_logits(session, tokens.data(), 9, all.data()),
      INGOT_OK)
      << ingot_session_error(session);
  for (int i = 0; i < 9; ++i)
    expectLogits(&all[i * V], want[i], "all logits");
  ingot_session_free(session);
  ingot_model_free(model);
  EXPECT_EQ(live(), 0);
  if (external)
    std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(EmbeddedAndExternal, RuntimeCudaRun,
                         ::testing::Bool());

//===----------------------------------------------------------------------===//
// Each launcher against its CPU ukernel
//===----------------------------------------------------------------------===//

/// Device buffers on the fake driver and one step's launches.
class RuntimeCudaLaunchers : public RuntimeCuda {
protected:
  void SetUp() override {
    RuntimeCuda::SetUp();
    char error[512] = "";
    ASSERT_EQ(
        ingot_cuda_open(&cuda, ingot_gpu_fake_model.gpu, error, sizeof error),
        INGOT_OK)
        << error;
    ASSERT_EQ(ingot_cuda_stream_create(cuda, &stream, error, sizeof error),
              INGOT_OK)
        << error;
  }
  void TearDown() override {
    for (ingot_cuda_ptr p : buffers)
      ingot_cuda_free(cuda, p);
    ingot_cuda_stream_destroy(cuda, stream);
    ingot_cuda_close(cuda);
    EXPECT_EQ(live(), 0);
    RuntimeCuda::TearDown();
  }

  /// A device copy of `host`, as a pointer the launchers take.
  template <typename T>
  T *device(const std::vector<T> &host) {
    ingot_cuda_ptr p = 0;
    char error[512] = "";
    EXPECT_EQ(ingot_cuda_alloc(cuda, host.size() * sizeof(T) + 1, "a buffer",
                               &p, error, sizeof error),
              INGOT_OK)
        << error;
    EXPECT_EQ(ingot_cuda_upload(cuda, p, host.data(), host.size() * sizeof(T),
                                error, sizeof error),
              INGOT_OK)
        << error;
    buffers.push_back(p);
    return reinterpret_cast<T *>(static_cast<uintptr_t>(p));
  }
  template <typename T>
  std::vector<T> host(const T *dev, size_t n) {
    std::vector<T> out(n);
    char error[512] = "";
    EXPECT_EQ(ingot_cuda_download(cuda, out.data(),
                                  reinterpret_cast<uintptr_t>(dev),
                                  n * sizeof(T), error, sizeof error),
              INGOT_OK)
        << error;
    return out;
  }
  void begin() {
    char error[512] = "";
    ASSERT_EQ(ingot_cuda_begin(cuda, stream, error, sizeof error), INGOT_OK)
        << error;
  }
  void end() {
    char error[512] = "";
    ASSERT_EQ(ingot_cuda_end(error, sizeof error), INGOT_OK) << error;
  }

  ingot_cuda *cuda = nullptr;
  void *stream = nullptr;
  std::vector<ingot_cuda_ptr> buffers;
  alignas(64) ingot_uk_sync sync = {};
};

std::vector<float> values(size_t n, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = float((int(i) * 37 + seed * 11) % 29 - 14) / 9.0f;
  return v;
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want,
                const char *what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    bool same = std::isnan(want[i]) ? std::isnan(got[i])
                                    : std::fabs(got[i] - want[i]) <=
                                          1e-5f * (1 + std::fabs(want[i]));
    if (!same && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "] is " << got[i] << ", expected "
                    << want[i];
  }
}

TEST_F(RuntimeCudaLaunchers, MatchTheirCPUKernels) {
#ifndef INGOT_FAKECUDA_KERNELS
  GTEST_SKIP() << "the fake driver was built without the GPU kernels for "
                  "the host (IngotGPUKernelsHost)";
#endif
  const int64_t M = 3, K = 32, N0 = 5, N1 = 2, N2 = 4, R = 3, C = 16;
  std::vector<float> x = values(M * K, 1), w0 = values(N0 * K, 2),
                     w1 = values(N1 * K, 3), w2 = values(N2 * K, 4),
                     b0 = values(N0, 5), b2 = values(N2, 6),
                     a = values(R * C, 7), g = values(C, 8), bb = values(C, 9),
                     col = values(R, 10);
  std::vector<uint8_t> scratch(INGOT_UK_MATMUL_SCRATCH(M, K));
  std::vector<float> y(M * N0), y0(M * N0), y1(M * N1), y2(M * N2);
  ingot_uk_matmul(y.data(), x.data(), w0.data(), b0.data(), M, N0, K,
                  INGOT_W_F32, 0, scratch.data(), &sync, 0, 1);
  ingot_uk_matmul_multi(y0.data(), w0.data(), b0.data(), N0, y1.data(),
                        w1.data(), nullptr, N1, y2.data(), w2.data(), b2.data(),
                        N2, x.data(), M, K, INGOT_W_F32, 0, scratch.data(),
                        &sync, 0, 1);
  // layer_norm, binary with a column broadcast, unary, clamp (a NaN kept).
  std::vector<float> ln(R * C), bin(R * C), un(R * C), cl(R * C);
  ingot_uk_layer_norm(ln.data(), a.data(), g.data(), bb.data(), R, C, 1e-5f, 0,
                      1);
  ingot_uk_binary(bin.data(), a.data(), col.data(), R, C, R, 1, INGOT_EW_MUL, 0,
                  1);
  ingot_uk_unary(un.data(), a.data(), R * C, INGOT_UN_SILU, 0, 1);
  std::vector<float> an = a;
  an[5] = NAN;
  ingot_uk_clamp(cl.data(), an.data(), R * C, -0.5f, 0.5f, 0, 1);
  // rope over [2][2][8], 6 of 8 features turned, interleaved pairs.
  std::vector<float> rx = values(2 * 2 * 8, 11), freq = {1.0f, 0.1f, 0.01f},
                     ro(2 * 2 * 8);
  std::vector<int32_t> pos = {3, 7};
  ingot_uk_rope(ro.data(), rx.data(), pos.data(), 2, 2, 8, 6, freq.data(), 1.0f,
                INGOT_ROPE_INTERLEAVED, 0, 1);

  float *dy = device(std::vector<float>(M * N0)),
        *dy0 = device(std::vector<float>(M * N0)),
        *dy1 = device(std::vector<float>(M * N1)),
        *dy2 = device(std::vector<float>(M * N2)),
        *dln = device(std::vector<float>(R * C)),
        *dbin = device(std::vector<float>(R * C)),
        *dun = device(std::vector<float>(R * C)),
        *dcl = device(std::vector<float>(R * C)),
        *dro = device(std::vector<float>(2 * 2 * 8));
  const float *dx = device(x), *dw0 = device(w0), *dw1 = device(w1),
              *dw2 = device(w2), *db0 = device(b0), *db2 = device(b2),
              *da = device(a), *dg = device(g), *dbb = device(bb),
              *dcol = device(col), *dan = device(an), *drx = device(rx),
              *dfreq = device(freq);
  const int32_t *dpos = device(pos);
  int32_t *diota = device(std::vector<int32_t>(10));
  std::vector<uint8_t> bytes(37);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = uint8_t(i * 7 + 1);
  const uint8_t *dsrc = device(bytes);
  uint8_t *ddst = device(std::vector<uint8_t>(37));

  begin();
  ingot_cuda_uk_matmul(dy, dx, dw0, db0, M, N0, K, INGOT_W_F32, 0, nullptr,
                       nullptr, 0, 1);
  ingot_cuda_uk_matmul_multi(dy0, dw0, db0, N0, dy1, dw1, nullptr, N1, dy2, dw2,
                             db2, N2, dx, M, K, INGOT_W_F32, 0, nullptr,
                             nullptr, 0, 1);
  ingot_cuda_uk_layer_norm(dln, da, dg, dbb, R, C, 1e-5f, 0, 1);
  ingot_cuda_uk_binary(dbin, da, dcol, R, C, R, 1, INGOT_EW_MUL, 0, 1);
  ingot_cuda_uk_unary(dun, da, R * C, INGOT_UN_SILU, 0, 1);
  ingot_cuda_uk_clamp(dcl, dan, R * C, -0.5f, 0.5f, 0, 1);
  ingot_cuda_uk_rope(dro, drx, dpos, 2, 2, 8, 6, dfreq, 1.0f,
                     INGOT_ROPE_INTERLEAVED, 0, 1);
  ingot_cuda_uk_iota(diota, 10, 5, 0, 1);
  ingot_cuda_uk_copy(ddst, dsrc, 37, 0, 1);
  end();

  expectNear(host(dy, M * N0), y, "matmul");
  expectNear(host(dy0, M * N0), y0, "matmul_multi y0");
  expectNear(host(dy1, M * N1), y1, "matmul_multi y1");
  expectNear(host(dy2, M * N2), y2, "matmul_multi y2");
  expectNear(host(dln, R * C), ln, "layer_norm");
  expectNear(host(dbin, R * C), bin, "binary");
  expectNear(host(dun, R * C), un, "unary");
  expectNear(host(dcl, R * C), cl, "clamp");
  expectNear(host(dro, 2 * 2 * 8), ro, "rope");
  std::vector<int32_t> iota = host(diota, 10);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(iota[i], 5 + i);
  EXPECT_EQ(host(ddst, 37), bytes);
}

} // namespace
