/*===- cuda.c - GPU models on the NVIDIA driver --------------------------===
 *
 * See cuda.h. The driver API subset Ingot uses is declared here by hand
 * (no CUDA header is needed to build the runtime), each function resolved by
 * its versioned name (cuMemAlloc_v2: the bare names are the 32-bit-era ABI).
 * The error codes are the driver's (cuda.h's CUresult values).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include "runtime/src/cuda.h"

#include "compiler/ukernels/gpu/gk_host.h"
#include "compiler/ukernels/gpu/gk_mma.h"
#include "compiler/ukernels/gpu/gk_mmvq.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(INGOT_CUDA_BLOCK == INGOT_GK_BLOCK,
               "the launchers' block is the kernels' block");

/*===----------------------------------------------------------------------===
 * The driver API subset
 *===----------------------------------------------------------------------===*/

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef unsigned long long CUdeviceptr;
typedef int CUjit_option;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER = 36,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_NOT_FOUND = 500,
};

enum {
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

enum {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

/* The kernels the launchers start, in the order of `kernel_names`. */
enum {
  K_MATMUL,
  K_MATMUL_MULTI,
  K_EMBEDDING,
  K_RMS_NORM,
  K_LAYER_NORM,
  K_ROPE,
  K_ATTENTION,
  K_BINARY,
  K_UNARY,
  K_IOTA,
  K_COPY,
  K_CLAMP,
  K_HADAMARD,
  K_COUNT
};
static const char *const kernel_names[K_COUNT] = {
    "ingot_gk_matmul",    "ingot_gk_matmul_multi", "ingot_gk_embedding",
    "ingot_gk_rms_norm",  "ingot_gk_layer_norm",   "ingot_gk_rope",
    "ingot_gk_attention", "ingot_gk_binary",       "ingot_gk_unary",
    "ingot_gk_iota",      "ingot_gk_copy",         "ingot_gk_clamp",
    "ingot_gk_hadamard"};

struct ingot_cuda {
  void *library;
  char library_path[512];
  int driver_version; /* 12020: CUDA 12.2 */
  CUdevice device;
  char device_name[256];
  char description[300]; /* "NAME (sm_90)" */
  int arch;              /* compute capability major * 10 + minor */
  CUcontext context;     /* device 0's primary context, retained */
  CUmodule module;
  CUfunction functions[K_COUNT];

  CUresult (*cuInit)(unsigned int flags);
  CUresult (*cuDriverGetVersion)(int *version);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDeviceTotalMem_v2)(size_t *bytes, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease_v2)(CUdevice device);
  CUresult (*cuCtxSetCurrent)(CUcontext context);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned int option_count,
                                 CUjit_option *options, void **values);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuMemAlloc_v2)(CUdeviceptr *ptr, size_t bytes);
  CUresult (*cuMemFree_v2)(CUdeviceptr ptr);
  CUresult (*cuMemGetInfo_v2)(size_t *free_bytes, size_t *total_bytes);
  CUresult (*cuMemcpyHtoD_v2)(CUdeviceptr dst, const void *src, size_t bytes);
  CUresult (*cuMemcpyDtoH_v2)(void *dst, CUdeviceptr src, size_t bytes);
  CUresult (*cuMemsetD8_v2)(CUdeviceptr dst, unsigned char value, size_t count);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned int flags);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamDestroy_v2)(CUstream stream);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned int grid_x,
                             unsigned int grid_y, unsigned int grid_z,
                             unsigned int block_x, unsigned int block_y,
                             unsigned int block_z, unsigned int shared_bytes,
                             CUstream stream, void **params, void **extra);
};

static void set_error(char *error, size_t size, const char *format, ...) {
  if (!error || !size)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(error, size, format, args);
  va_end(args);
}

/* "CUDA_ERROR_NO_DEVICE (100)" into `buffer`. */
static const char *error_name(const ingot_cuda *c, CUresult r, char *buffer,
                              size_t size) {
  const char *name = NULL;
  if (!c->cuGetErrorName || c->cuGetErrorName(r, &name) != CUDA_SUCCESS ||
      !name)
    name = "CUDA error";
  snprintf(buffer, size, "%s (%d)", name, (int)r);
  return buffer;
}

/* " (CUDA 12.2)" for messages, or "" when the driver did not say. */
static const char *driver_text(const ingot_cuda *c, char *buffer, size_t size) {
  if (c->driver_version <= 0)
    snprintf(buffer, size, "%s", "");
  else
    snprintf(buffer, size, " (CUDA %d.%d)", c->driver_version / 1000,
             c->driver_version % 1000 / 10);
  return buffer;
}

/* dlsym into the function pointer at `fn` (its bits; ISO C has no cast from
 * void * to a function pointer). */
static bool resolve(ingot_cuda *c, const char *name, void *fn, char *error,
                    size_t error_size) {
  void *p = dlsym(c->library, name);
  if (!p) {
    set_error(error, error_size,
              "the NVIDIA driver %s lacks %s: it is older than this runtime "
              "needs (CUDA 11.0); update the NVIDIA driver",
              c->library_path, name);
    return false;
  }
  memcpy(fn, &p, sizeof p);
  return true;
}

#define INGOT_RESOLVE(c, name) resolve(c, #name, &(c)->name, error, error_size)

/* dlopen of INGOT_CUDA_DRIVER, else libcuda.so.1, else libcuda.so. */
static bool load_library(ingot_cuda *c, char *error, size_t error_size) {
  const char *override = getenv("INGOT_CUDA_DRIVER");
  if (override && *override) {
    /* dlopen would block on a FIFO and read a device: a path must name a
     * regular file (a bare name is searched as dlopen searches). */
    struct stat st;
    if (strchr(override, '/') && stat(override, &st) == 0 &&
        !S_ISREG(st.st_mode)) {
      set_error(error, error_size,
                "no NVIDIA driver: INGOT_CUDA_DRIVER=%s is not a regular "
                "file",
                override);
      return false;
    }
    c->library = dlopen(override, RTLD_NOW | RTLD_LOCAL);
    if (!c->library) {
      const char *why = dlerror();
      set_error(error, error_size,
                "no NVIDIA driver: INGOT_CUDA_DRIVER=%s cannot be loaded "
                "(%s)",
                override, why ? why : "unknown reason");
      return false;
    }
    snprintf(c->library_path, sizeof c->library_path, "%s", override);
  } else {
    static const char *const names[2] = {"libcuda.so.1", "libcuda.so"};
    for (int i = 0; i < 2 && !c->library; ++i) {
      c->library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
      snprintf(c->library_path, sizeof c->library_path, "%s", names[i]);
    }
    if (!c->library) {
      set_error(error, error_size,
                "no NVIDIA driver: libcuda.so.1 not found; install the "
                "NVIDIA driver (INGOT_CUDA_DRIVER=PATH names a libcuda.so "
                "elsewhere)");
      return false;
    }
  }
  /* The file the dynamic loader found, for messages. */
  void *init = dlsym(c->library, "cuInit");
  Dl_info info;
  if (init && dladdr(init, &info) && info.dli_fname && *info.dli_fname)
    snprintf(c->library_path, sizeof c->library_path, "%s", info.dli_fname);
  return true;
}

/* cuInit and the errors it stands for: the stub, no device. */
static bool init_driver(ingot_cuda *c, char *error, size_t error_size) {
  if (!dlsym(c->library, "cuInit")) {
    set_error(error, error_size,
              "%s is not an NVIDIA driver (it has no cuInit); install the "
              "NVIDIA driver, or point INGOT_CUDA_DRIVER at its libcuda.so.1",
              c->library_path);
    return false;
  }
  if (!INGOT_RESOLVE(c, cuInit) || !INGOT_RESOLVE(c, cuGetErrorName) ||
      !INGOT_RESOLVE(c, cuDriverGetVersion))
    return false;
  if (c->cuDriverGetVersion(&c->driver_version) != CUDA_SUCCESS)
    c->driver_version = 0;
  CUresult r = c->cuInit(0);
  char name[96], version[32];
  if (r == CUDA_ERROR_STUB_LIBRARY) {
    set_error(error, error_size,
              "%s is the CUDA toolkit's stub library "
              "(CUDA_ERROR_STUB_LIBRARY), not an NVIDIA driver: install "
              "the driver, and take the toolkit's stubs directory out of "
              "LD_LIBRARY_PATH",
              c->library_path);
    return false;
  }
  if (r == CUDA_ERROR_NO_DEVICE) {
    set_error(error, error_size,
              "no NVIDIA GPU: the driver%s finds no device "
              "(CUDA_ERROR_NO_DEVICE); check nvidia-smi and "
              "CUDA_VISIBLE_DEVICES",
              driver_text(c, version, sizeof version));
    return false;
  }
  if (r != CUDA_SUCCESS) {
    set_error(error, error_size,
              "cannot initialize the NVIDIA driver %s: cuInit failed with "
              "%s; check nvidia-smi",
              c->library_path, error_name(c, r, name, sizeof name));
    return false;
  }
  return INGOT_RESOLVE(c, cuDeviceGetCount) && INGOT_RESOLVE(c, cuDeviceGet) &&
         INGOT_RESOLVE(c, cuDeviceGetAttribute) &&
         INGOT_RESOLVE(c, cuDeviceGetName) &&
         INGOT_RESOLVE(c, cuDeviceTotalMem_v2) &&
         INGOT_RESOLVE(c, cuDevicePrimaryCtxRetain) &&
         INGOT_RESOLVE(c, cuDevicePrimaryCtxRelease_v2) &&
         INGOT_RESOLVE(c, cuCtxSetCurrent) &&
         INGOT_RESOLVE(c, cuModuleLoadDataEx) &&
         INGOT_RESOLVE(c, cuModuleGetFunction) &&
         INGOT_RESOLVE(c, cuModuleUnload) && INGOT_RESOLVE(c, cuMemAlloc_v2) &&
         INGOT_RESOLVE(c, cuMemFree_v2) && INGOT_RESOLVE(c, cuMemGetInfo_v2) &&
         INGOT_RESOLVE(c, cuMemcpyHtoD_v2) &&
         INGOT_RESOLVE(c, cuMemcpyDtoH_v2) && INGOT_RESOLVE(c, cuMemsetD8_v2) &&
         INGOT_RESOLVE(c, cuStreamCreate) &&
         INGOT_RESOLVE(c, cuStreamSynchronize) &&
         INGOT_RESOLVE(c, cuStreamDestroy_v2) &&
         INGOT_RESOLVE(c, cuLaunchKernel);
}

/* Device 0: its name and compute capability. */
static bool open_device(ingot_cuda *c, char *error, size_t error_size) {
  char name[96], version[32];
  int count = 0;
  CUresult r = c->cuDeviceGetCount(&count);
  if (r == CUDA_SUCCESS && count < 1)
    r = CUDA_ERROR_NO_DEVICE;
  if (r == CUDA_ERROR_NO_DEVICE) {
    set_error(error, error_size,
              "no NVIDIA GPU: the driver%s finds no device "
              "(CUDA_ERROR_NO_DEVICE); check nvidia-smi and "
              "CUDA_VISIBLE_DEVICES",
              driver_text(c, version, sizeof version));
    return false;
  }
  int major = 0, minor = 0;
  if (r == CUDA_SUCCESS)
    r = c->cuDeviceGet(&c->device, 0);
  if (r == CUDA_SUCCESS)
    r = c->cuDeviceGetAttribute(
        &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, c->device);
  if (r == CUDA_SUCCESS)
    r = c->cuDeviceGetAttribute(
        &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, c->device);
  if (r == CUDA_SUCCESS &&
      c->cuDeviceGetName(c->device_name, (int)sizeof c->device_name,
                         c->device) != CUDA_SUCCESS)
    snprintf(c->device_name, sizeof c->device_name, "GPU 0");
  if (r != CUDA_SUCCESS) {
    set_error(error, error_size, "cannot query GPU 0: %s; check nvidia-smi",
              error_name(c, r, name, sizeof name));
    return false;
  }
  c->device_name[sizeof c->device_name - 1] = 0;
  c->arch = major * 10 + minor;
  snprintf(c->description, sizeof c->description, "%s (sm_%d)", c->device_name,
           c->arch);
  return true;
}

int ingot_cuda_pick_image(const ingot_gpu_code *code, int arch) {
  if (!code || !code->images)
    return -1;
  int best = -1;
  /* Cubins: an exact `a` image first, else the highest of the same major
   * with a minor no higher than the device's. */
  for (uint64_t i = 0; i < code->image_count; ++i) {
    const ingot_gpu_image *im = &code->images[i];
    if (im->kind != INGOT_GPU_IMAGE_CUBIN || !im->data || !im->bytes)
      continue;
    int a = (int)im->arch;
    bool runs =
        im->arch_specific ? a == arch : a / 10 == arch / 10 && a <= arch;
    if (!runs)
      continue;
    if (best < 0) {
      best = (int)i;
      continue;
    }
    const ingot_gpu_image *b = &code->images[best];
    if (a > (int)b->arch ||
        (a == (int)b->arch && im->arch_specific && !b->arch_specific))
      best = (int)i;
  }
  if (best >= 0)
    return best;
  /* PTX: the highest architecture the device has (an `a` PTX only on its
   * own architecture). */
  for (uint64_t i = 0; i < code->image_count; ++i) {
    const ingot_gpu_image *im = &code->images[i];
    if (im->kind != INGOT_GPU_IMAGE_PTX || !im->data || !im->bytes)
      continue;
    int a = (int)im->arch;
    bool runs = im->arch_specific ? a == arch : a <= arch;
    if (runs && (best < 0 || a > (int)code->images[best].arch))
      best = (int)i;
  }
  return best;
}

/* The lowest architecture of `code`'s images, or 0. */
static int lowest_arch(const ingot_gpu_code *code) {
  int low = 0;
  for (uint64_t i = 0; i < code->image_count; ++i)
    if (!low || (int)code->images[i].arch < low)
      low = (int)code->images[i].arch;
  return low;
}

/* The first line of `log` (for a one-line message). */
static void first_line(char *log) {
  char *nl = strchr(log, '\n');
  if (nl)
    *nl = 0;
}

static bool load_module(ingot_cuda *c, const ingot_gpu_code *code, char *error,
                        size_t error_size) {
  const char *targets =
      code->targets && *code->targets ? code->targets : "no architecture";
  int pick = ingot_cuda_pick_image(code, c->arch);
  if (pick < 0) {
    int low = lowest_arch(code);
    if (low && c->arch < low)
      set_error(error, error_size,
                "GPU 0, %s, is older than the architectures this model was "
                "compiled for (%s): compile it with --target=cuda:sm_%d",
                c->description, targets, c->arch);
    else
      set_error(error, error_size,
                "this model has no code GPU 0, %s, can run (compiled for %s, "
                "and no PTX it can compile): compile it with "
                "--target=cuda:sm_%d",
                c->description, targets, c->arch);
    return false;
  }
  const ingot_gpu_image *im = &code->images[pick];
  char log[1024] = "";
  CUjit_option options[2] = {CU_JIT_ERROR_LOG_BUFFER,
                             CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[2] = {log, (void *)(uintptr_t)sizeof log};
  CUresult r = c->cuModuleLoadDataEx(&c->module, im->data, 2, options, values);
  if (r == CUDA_SUCCESS)
    return true;
  c->module = NULL;
  log[sizeof log - 1] = 0;
  first_line(log);
  char name[96], version[32];
  error_name(c, r, name, sizeof name);
  bool ptx = im->kind == INGOT_GPU_IMAGE_PTX;
  int isa = (int)code->ptx_isa;
  if (ptx && (r == CUDA_ERROR_UNSUPPORTED_PTX_VERSION ||
              r == CUDA_ERROR_NO_BINARY_FOR_GPU ||
              r == CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER)) {
    /* PTX ISA x.y comes with CUDA (x + 4).y. */
    set_error(error, error_size,
              "the NVIDIA driver%s is too old for this model's "
              "PTX (ISA %d.%d, from CUDA %d.%d), its only code for GPU 0, "
              "%s: %s; update the driver to CUDA %d.%d or newer, or compile "
              "the model with --target=cuda:sm_%d",
              driver_text(c, version, sizeof version), isa / 10, isa % 10,
              isa / 10 + 4, isa % 10, c->description, name, isa / 10 + 4,
              isa % 10, c->arch);
  } else if (ptx) {
    set_error(error, error_size,
              "the NVIDIA driver cannot compile this model's PTX for GPU 0, "
              "%s: %s%s%s; compile the model with --target=cuda:sm_%d",
              c->description, name, *log ? ": " : "", log, c->arch);
  } else {
    set_error(error, error_size,
              "the NVIDIA driver%s cannot load this model's sm_%d%s "
              "cubin on GPU 0, %s: %s%s%s",
              driver_text(c, version, sizeof version), (int)im->arch,
              im->arch_specific ? "a" : "", c->description, name,
              *log ? ": " : "", log);
  }
  return false;
}

static bool get_functions(ingot_cuda *c, char *error, size_t error_size) {
  for (int k = 0; k < K_COUNT; ++k) {
    CUresult r =
        c->cuModuleGetFunction(&c->functions[k], c->module, kernel_names[k]);
    if (r != CUDA_SUCCESS) {
      char name[96];
      set_error(error, error_size,
                "this model's GPU code has no kernel %s: %s; it was built "
                "for another runtime, compile the model again",
                kernel_names[k], error_name(c, r, name, sizeof name));
      return false;
    }
  }
  return true;
}

ingot_status ingot_cuda_open(ingot_cuda **out, const ingot_gpu_code *code,
                             char *error, size_t error_size) {
  *out = NULL;
  if (!code || !code->image_count || !code->images) {
    set_error(error, error_size,
              "model descriptor is malformed: GPU code "
              "without images");
    return INGOT_ERROR_MALFORMED;
  }
  ingot_cuda *c = calloc(1, sizeof *c);
  if (!c) {
    set_error(error, error_size, "out of memory");
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  ingot_status status = INGOT_ERROR_UNSUPPORTED;
  if (!load_library(c, error, error_size) ||
      !init_driver(c, error, error_size) || !open_device(c, error, error_size))
    goto fail;
  char name[96];
  CUresult r = c->cuDevicePrimaryCtxRetain(&c->context, c->device);
  if (r != CUDA_SUCCESS) {
    c->context = NULL;
    set_error(error, error_size,
              "cannot create a context on GPU 0, %s: %s; check nvidia-smi "
              "(a GPU in exclusive mode may be in use)",
              c->description, error_name(c, r, name, sizeof name));
    goto fail;
  }
  r = c->cuCtxSetCurrent(c->context);
  if (r != CUDA_SUCCESS) {
    set_error(error, error_size, "cannot use the context of GPU 0, %s: %s",
              c->description, error_name(c, r, name, sizeof name));
    goto fail;
  }
  if (!load_module(c, code, error, error_size) ||
      !get_functions(c, error, error_size))
    goto fail;
  *out = c;
  return INGOT_OK;
fail:
  ingot_cuda_close(c);
  return status;
}

void ingot_cuda_close(ingot_cuda *c) {
  if (!c)
    return;
  if (c->module)
    c->cuModuleUnload(c->module);
  if (c->context) {
    c->cuCtxSetCurrent(NULL);
    c->cuDevicePrimaryCtxRelease_v2(c->device);
  }
  if (c->library)
    dlclose(c->library);
  free(c);
}

const char *ingot_cuda_device_name(const ingot_cuda *c) {
  return c ? c->description : "";
}

/*===----------------------------------------------------------------------===
 * Memory and streams
 *===----------------------------------------------------------------------===*/

/* "8352 bytes", "512.0 MiB", "79.25 GiB". */
static const char *format_bytes(uint64_t bytes, char *buffer, size_t size) {
  if (bytes < (1u << 20))
    snprintf(buffer, size, "%llu bytes", (unsigned long long)bytes);
  else if (bytes < (1ull << 30))
    snprintf(buffer, size, "%.1f MiB", (double)bytes / (1 << 20));
  else
    snprintf(buffer, size, "%.2f GiB", (double)bytes / (1 << 30));
  return buffer;
}

ingot_status ingot_cuda_alloc(ingot_cuda *c, uint64_t bytes, const char *what,
                              ingot_cuda_ptr *out, char *error,
                              size_t error_size) {
  *out = 0;
  if (bytes < 256)
    bytes = 256;
  CUdeviceptr p = 0;
  CUresult r = bytes > SIZE_MAX ? CUDA_ERROR_OUT_OF_MEMORY
                                : c->cuMemAlloc_v2(&p, (size_t)bytes);
  if (r == CUDA_SUCCESS) {
    *out = (ingot_cuda_ptr)p;
    return INGOT_OK;
  }
  char name[96];
  if (r == CUDA_ERROR_OUT_OF_MEMORY) {
    size_t free_bytes = 0, total_bytes = 0;
    if (c->cuMemGetInfo_v2(&free_bytes, &total_bytes) != CUDA_SUCCESS)
      free_bytes = total_bytes = 0;
    char need[32], have[32], total[32];
    set_error(error, error_size,
              "out of GPU memory for %s: %s needed, %s free of %s on GPU 0, "
              "%s",
              what, format_bytes(bytes, need, sizeof need),
              format_bytes(free_bytes, have, sizeof have),
              format_bytes(total_bytes, total, sizeof total), c->description);
    return INGOT_ERROR_OUT_OF_MEMORY;
  }
  char need[32];
  set_error(error, error_size, "cannot allocate %s on GPU 0 (%s): %s", what,
            format_bytes(bytes, need, sizeof need),
            error_name(c, r, name, sizeof name));
  return INGOT_ERROR_UNSUPPORTED;
}

void ingot_cuda_free(ingot_cuda *c, ingot_cuda_ptr ptr) {
  if (c && ptr)
    c->cuMemFree_v2((CUdeviceptr)ptr);
}

static ingot_status copy_failed(ingot_cuda *c, CUresult r, const char *what,
                                char *error, size_t error_size) {
  char name[96];
  set_error(error, error_size, "GPU 0, %s: %s failed: %s", c->description, what,
            error_name(c, r, name, sizeof name));
  return INGOT_ERROR_UNSUPPORTED;
}

ingot_status ingot_cuda_zero(ingot_cuda *c, ingot_cuda_ptr ptr, uint64_t bytes,
                             char *error, size_t error_size) {
  if (!bytes)
    return INGOT_OK;
  CUresult r = c->cuMemsetD8_v2((CUdeviceptr)ptr, 0, (size_t)bytes);
  return r == CUDA_SUCCESS
             ? INGOT_OK
             : copy_failed(c, r, "clearing memory", error, error_size);
}

ingot_status ingot_cuda_upload(ingot_cuda *c, ingot_cuda_ptr dst,
                               const void *src, uint64_t bytes, char *error,
                               size_t error_size) {
  if (!bytes)
    return INGOT_OK;
  CUresult r = c->cuMemcpyHtoD_v2((CUdeviceptr)dst, src, (size_t)bytes);
  return r == CUDA_SUCCESS
             ? INGOT_OK
             : copy_failed(c, r, "a copy to the GPU", error, error_size);
}

ingot_status ingot_cuda_download(ingot_cuda *c, void *dst, ingot_cuda_ptr src,
                                 uint64_t bytes, char *error,
                                 size_t error_size) {
  if (!bytes)
    return INGOT_OK;
  CUresult r = c->cuMemcpyDtoH_v2(dst, (CUdeviceptr)src, (size_t)bytes);
  return r == CUDA_SUCCESS
             ? INGOT_OK
             : copy_failed(c, r, "a copy from the GPU", error, error_size);
}

ingot_status ingot_cuda_stream_create(ingot_cuda *c, void **stream, char *error,
                                      size_t error_size) {
  CUstream s = NULL;
  CUresult r = c->cuCtxSetCurrent(c->context);
  if (r == CUDA_SUCCESS)
    r = c->cuStreamCreate(&s, 0);
  *stream = r == CUDA_SUCCESS ? (void *)s : NULL;
  return r == CUDA_SUCCESS
             ? INGOT_OK
             : copy_failed(c, r, "creating a stream", error, error_size);
}

void ingot_cuda_stream_destroy(ingot_cuda *c, void *stream) {
  if (c && stream)
    c->cuStreamDestroy_v2((CUstream)stream);
}

/*===----------------------------------------------------------------------===
 * Steps and launchers
 *===----------------------------------------------------------------------===*/

/* The forward call in progress. One at a time in the process (steps of
 * sessions on other threads wait in ingot_cuda_begin): the state is not
 * thread-local, as the runtime is also linked into shared libraries, where
 * the initial-exec TLS ingotc's objects would use does not link. */
static pthread_mutex_t step_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  ingot_cuda *cuda;
  CUstream stream;
  CUresult status;    /* the first launch's failure */
  const char *kernel; /* the kernel that failed, else the last launched */
} current;

ingot_status ingot_cuda_begin(ingot_cuda *c, void *stream, char *error,
                              size_t error_size) {
  pthread_mutex_lock(&step_lock);
  CUresult r = c->cuCtxSetCurrent(c->context);
  if (r != CUDA_SUCCESS) {
    pthread_mutex_unlock(&step_lock);
    return copy_failed(c, r, "making the context current", error, error_size);
  }
  current.cuda = c;
  current.stream = (CUstream)stream;
  current.status = CUDA_SUCCESS;
  current.kernel = NULL;
  return INGOT_OK;
}

ingot_status ingot_cuda_end(char *error, size_t error_size) {
  ingot_cuda *c = current.cuda;
  if (!c)
    return INGOT_OK;
  current.cuda = NULL;
  char name[96];
  ingot_status status = INGOT_OK;
  CUresult r = c->cuStreamSynchronize(current.stream);
  if (current.status != CUDA_SUCCESS) {
    set_error(error, error_size, "GPU 0, %s: launching kernel %s failed: %s",
              c->description, current.kernel,
              error_name(c, current.status, name, sizeof name));
    status = INGOT_ERROR_UNSUPPORTED;
  } else if (r != CUDA_SUCCESS) {
    set_error(error, error_size,
              "GPU 0, %s: a kernel failed (%s; the last launched was %s)",
              c->description, error_name(c, r, name, sizeof name),
              current.kernel ? current.kernel : "none");
    status = INGOT_ERROR_UNSUPPORTED;
  }
  pthread_mutex_unlock(&step_lock);
  return status;
}

/* Blocks for `items` units of work, `per_block` per block: at least 1, at
 * most 65535 (the kernels loop over the rest). */
static unsigned blocks_for(int64_t items, int64_t per_block) {
  if (items < 1)
    return 1;
  int64_t blocks = (items + per_block - 1) / per_block;
  return blocks > 65535 ? 65535u : (unsigned)blocks;
}

static void launch(int kernel, unsigned blocks, void **params) {
  ingot_cuda *c = current.cuda;
  if (!c || current.status != CUDA_SUCCESS)
    return;
  current.kernel = kernel_names[kernel];
  current.status =
      c->cuLaunchKernel(c->functions[kernel], blocks, 1, 1, INGOT_CUDA_BLOCK, 1,
                        1, 0, current.stream, params, NULL);
}

/* Blocks for a matmul of `cols` columns: a warp per column; on the
 * q8-activation path (compiler/ukernels/gpu/gk_mmvq.c), where every block
 * first quantizes all M rows of x, four columns per warp, unless that
 * leaves fewer than 128 blocks (then as many as the columns allow, up to
 * 128, to keep the SMs busy). */
static unsigned matmul_blocks(int64_t cols, int64_t M, int64_t K, int32_t fmt) {
  unsigned one = blocks_for(cols, INGOT_CUDA_BLOCK / 32);
  if (!ingot_gk_mmvq_applies(fmt, M, K))
    return one;
  unsigned four = blocks_for(cols, 4 * INGOT_CUDA_BLOCK / 32);
  if (four >= 128)
    return four;
  return one < 128 ? one : 128;
}

/* Each launcher passes its arguments minus scratch, sync, ith and nth, in
 * order, as cuLaunchKernel takes them: params[i] points at argument i. The
 * grids follow how the kernels share out work (a warp per matmul column or
 * four: matmul_blocks, or from GK_MMA_MIN_M rows a block per 64 x 64 output
 * tile; a block per norm row or attention query head, a thread per element
 * elsewhere); any grid would be correct. */

void ingot_cuda_uk_matmul(float *y, const float *x, const void *w,
                          const float *bias, int64_t M, int64_t N, int64_t K,
                          int32_t fmt, int32_t group, void *scratch,
                          struct ingot_uk_sync *sync, int32_t ith,
                          int32_t nth) {
  (void)scratch, (void)sync, (void)ith, (void)nth;
  void *params[] = {&y, &x, &w, &bias, &M, &N, &K, &fmt, &group};
  if (M >= GK_MMA_MIN_M) /* a block per output tile */
    launch(K_MATMUL, blocks_for(GK_MMA_TILES(M, N), 1), params);
  else
    launch(K_MATMUL, matmul_blocks(N, M, K, fmt), params);
}

void ingot_cuda_uk_matmul_multi(float *y0, const void *w0, const float *b0,
                                int64_t N0, float *y1, const void *w1,
                                const float *b1, int64_t N1, float *y2,
                                const void *w2, const float *b2, int64_t N2,
                                const float *x, int64_t M, int64_t K,
                                int32_t fmt, int32_t group, void *scratch,
                                struct ingot_uk_sync *sync, int32_t ith,
                                int32_t nth) {
  (void)scratch, (void)sync, (void)ith, (void)nth;
  void *params[] = {&y0, &w0, &b0, &N0, &y1, &w1, &b1,  &N1,   &y2,
                    &w2, &b2, &N2, &x,  &M,  &K,  &fmt, &group};
  if (M >= GK_MMA_MIN_M)
    launch(K_MATMUL_MULTI,
           blocks_for(GK_MMA_TILES(M, N0) + GK_MMA_TILES(M, N1) +
                          GK_MMA_TILES(M, N2),
                      1),
           params);
  else
    launch(K_MATMUL_MULTI, matmul_blocks(N0 + N1 + N2, M, K, fmt), params);
}

void ingot_cuda_uk_embedding(float *y, const int32_t *ids, int64_t n,
                             const void *table, int64_t V, int64_t D,
                             int32_t fmt, int32_t group, int32_t ith,
                             int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &ids, &n, &table, &V, &D, &fmt, &group};
  launch(K_EMBEDDING, blocks_for(n * D, INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_rms_norm(float *y, const float *x, const float *w,
                            int64_t rows, int64_t D, float eps, int32_t ith,
                            int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &w, &rows, &D, &eps};
  launch(K_RMS_NORM, blocks_for(rows, 1), params);
}

void ingot_cuda_uk_layer_norm(float *y, const float *x, const float *w,
                              const float *b, int64_t rows, int64_t D,
                              float eps, int32_t ith, int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &w, &b, &rows, &D, &eps};
  launch(K_LAYER_NORM, blocks_for(rows, 1), params);
}

void ingot_cuda_uk_rope(float *y, const float *x, const int32_t *pos, int64_t n,
                        int64_t H, int64_t D, int64_t rot,
                        const float *inv_freq, float mscale, int32_t style,
                        int32_t ith, int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &pos, &n, &H, &D, &rot, &inv_freq, &mscale, &style};
  launch(K_ROPE, blocks_for(n * H * D, INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_attention(
    float *out, const float *q, const float *k, const float *v, void *kcache,
    void *vcache, int64_t n, int64_t start, int64_t Hq, int64_t Hkv, int64_t D,
    float scale, int32_t mask, int64_t window, float softcap, int32_t kfmt,
    int32_t vfmt, const float *kbook, const float *vbook, int32_t numerics,
    float *scratch, struct ingot_uk_sync *sync, int32_t ith, int32_t nth) {
  (void)scratch, (void)sync, (void)ith, (void)nth;
  void *params[] = {&out,     &q,    &k,    &v,     &kcache, &vcache,  &n,
                    &start,   &Hq,   &Hkv,  &D,     &scale,  &mask,    &window,
                    &softcap, &kfmt, &vfmt, &kbook, &vbook,  &numerics};
  launch(K_ATTENTION, blocks_for(n * Hq, 1), params); /* a block per query
                                                         head */
}

void ingot_cuda_uk_binary(float *y, const float *a, const float *b,
                          int64_t rows, int64_t cols, int64_t b_rows,
                          int64_t b_cols, int32_t op, int32_t ith,
                          int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &a, &b, &rows, &cols, &b_rows, &b_cols, &op};
  launch(K_BINARY, blocks_for(rows * cols, 4 * INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_unary(float *y, const float *x, int64_t count, int32_t op,
                         int32_t ith, int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &count, &op};
  launch(K_UNARY, blocks_for(count, 4 * INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_iota(int32_t *out, int64_t n, int64_t base, int32_t ith,
                        int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&out, &n, &base};
  launch(K_IOTA, blocks_for(n, INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_copy(void *dst, const void *src, int64_t bytes, int32_t ith,
                        int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&dst, &src, &bytes};
  /* A thread per 8-byte word. */
  launch(K_COPY, blocks_for(bytes, 8 * INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_clamp(float *y, const float *x, int64_t count, float lo,
                         float hi, int32_t ith, int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &count, &lo, &hi};
  launch(K_CLAMP, blocks_for(count, 4 * INGOT_CUDA_BLOCK), params);
}

void ingot_cuda_uk_hadamard(float *y, const float *x, int64_t rows, int64_t D,
                            const float *signs, int32_t inverse, int32_t ith,
                            int32_t nth) {
  (void)ith, (void)nth;
  void *params[] = {&y, &x, &rows, &D, &signs, &inverse};
  launch(K_HADAMARD, blocks_for(rows, 1), params);
}

/* Each launcher has exactly its CPU ukernel's type (the generated code
 * declares it from ukernels.def): a function type per entry ... */
typedef struct ingot_uk_sync ingot_uk_sync;
#define INGOT_UK_RET(kind, type) type
#define INGOT_UK_ARG(kind, type, name) type name
#define INGOT_UK_KERNEL(name, ret, ...) typedef ret name##_type(__VA_ARGS__);
#include "compiler/ukernels/ukernels.def"

/* ... that each launcher's must be. */
#define INGOT_CUDA_CHECK(X)                                                    \
  _Static_assert(                                                              \
      _Generic(&ingot_cuda_uk_##X, ingot_uk_##X##_type * : 1, default : 0),    \
      "ingot_cuda_uk_" #X " differs from ingot_uk_" #X " (ukernels.def)");
INGOT_CUDA_CHECK(matmul)
INGOT_CUDA_CHECK(matmul_multi)
INGOT_CUDA_CHECK(embedding)
INGOT_CUDA_CHECK(rms_norm)
INGOT_CUDA_CHECK(layer_norm)
INGOT_CUDA_CHECK(rope)
INGOT_CUDA_CHECK(attention)
INGOT_CUDA_CHECK(binary)
INGOT_CUDA_CHECK(unary)
INGOT_CUDA_CHECK(iota)
INGOT_CUDA_CHECK(copy)
INGOT_CUDA_CHECK(clamp)
INGOT_CUDA_CHECK(hadamard)
