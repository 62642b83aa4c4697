/*===- fakecuda.c - The CUDA driver subset Ingot uses, on the host --------===
 *
 * Built as build/lib/fakecuda/libcuda.so.1 (never installed) for the tests:
 * INGOT_CUDA_DRIVER=<that path> makes the runtime load it in place of the
 * NVIDIA driver. Device memory is host memory (a device address is the host
 * address); a module accepts any image that looks like a cubin (ELF), a
 * fatbin or PTX text, and its functions are the GPU ukernels built for the
 * host (compiler/ukernels/gpu/gk_host.h), which cuLaunchKernel runs under
 * the SIMT executor, synchronously. Without that library
 * (INGOT_FAKECUDA_KERNELS undefined) a kernel is found by name but fails to
 * launch (CUDA_ERROR_NOT_SUPPORTED).
 *
 * INGOT_FAKECUDA_FAIL, read at each cuInit (and cuDriverGetVersion), is a
 * comma-separated list of
 *
 *   FUNCTION:CODE      FUNCTION returns CODE (cuInit:34 is the toolkit's
 *                      stub: every call then returns 34)
 *   FUNCTION:CODE@N    the same from its Nth call on (1-based)
 *   compute_capability=MAJORMINOR   the device's (default 90)
 *   total_memory=BYTES device memory (default 16 GiB)
 *   driver_version=V   cuDriverGetVersion's (default 13000)
 *   device_count=N     devices (default 1)
 *   missing_kernel=NAME   cuModuleGetFunction does not find NAME
 *
 * ingot_fakecuda_live() says how many allocations, modules, streams and
 * retained contexts are alive, so tests can check that a failure released
 * everything.
 *
 *===----------------------------------------------------------------------===*/

#ifdef INGOT_FAKECUDA_KERNELS
#include "compiler/ukernels/gpu/gk_host.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef int CUjit_option;

#define FAKE_EXPORT __attribute__((visibility("default")))

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
};

/*===----------------------------------------------------------------------===
 * Configuration and failure injection
 *===----------------------------------------------------------------------===*/

#define MAX_FAILURES 16

static struct {
  int compute_capability;
  unsigned long long total_memory;
  int driver_version;
  int device_count;
  char missing_kernel[128];
  struct {
    char function[64];
    int code;
    long from; /* the first failing call, 1-based */
    long calls;
  } failures[MAX_FAILURES];
  int failure_count;
  bool stub;        /* cuInit:34: every call returns 34 */
  bool initialized; /* cuInit succeeded */
  bool bad_config;  /* an item we do not know: cuInit fails */
} fake;

static void load_config(void) {
  fake.compute_capability = 90;
  fake.total_memory = 16ull << 30;
  fake.driver_version = 13000;
  fake.device_count = 1;
  fake.missing_kernel[0] = 0;
  fake.failure_count = 0;
  fake.stub = false;
  fake.bad_config = false;
  const char *env = getenv("INGOT_FAKECUDA_FAIL");
  if (!env)
    return;
  char copy[1024];
  snprintf(copy, sizeof copy, "%s", env);
  for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(item, '='), *colon = strchr(item, ':');
    if (eq) {
      *eq = 0;
      const char *value = eq + 1;
      if (strcmp(item, "compute_capability") == 0)
        fake.compute_capability = atoi(value);
      else if (strcmp(item, "total_memory") == 0)
        fake.total_memory = strtoull(value, NULL, 10);
      else if (strcmp(item, "driver_version") == 0)
        fake.driver_version = atoi(value);
      else if (strcmp(item, "device_count") == 0)
        fake.device_count = atoi(value);
      else if (strcmp(item, "missing_kernel") == 0)
        snprintf(fake.missing_kernel, sizeof fake.missing_kernel, "%s", value);
      else
        fake.bad_config = true;
    } else if (colon && fake.failure_count < MAX_FAILURES) {
      *colon = 0;
      int i = fake.failure_count++;
      snprintf(fake.failures[i].function, sizeof fake.failures[i].function,
               "%s", item);
      char *at = strchr(colon + 1, '@');
      fake.failures[i].code = atoi(colon + 1);
      fake.failures[i].from = at ? atol(at + 1) : 1;
      fake.failures[i].calls = 0;
      if (strcmp(item, "cuInit") == 0 &&
          fake.failures[i].code == CUDA_ERROR_STUB_LIBRARY)
        fake.stub = true;
    } else {
      fake.bad_config = true;
    }
    if (fake.bad_config)
      return;
  }
}

/* The injected result of this call of `function`, else CUDA_SUCCESS. */
static CUresult injected(const char *function) {
  if (fake.stub)
    return CUDA_ERROR_STUB_LIBRARY;
  for (int i = 0; i < fake.failure_count; ++i)
    if (strcmp(fake.failures[i].function, function) == 0 &&
        ++fake.failures[i].calls >= fake.failures[i].from)
      return fake.failures[i].code;
  return CUDA_SUCCESS;
}

/* The start of every function but cuInit and cuDriverGetVersion. */
#define FAKE_ENTER(name)                                                       \
  do {                                                                         \
    CUresult injected_ = injected(name);                                       \
    if (injected_ != CUDA_SUCCESS)                                             \
      return injected_;                                                        \
    if (!fake.initialized)                                                     \
      return CUDA_ERROR_NOT_INITIALIZED;                                       \
  } while (0)

/*===----------------------------------------------------------------------===
 * Objects
 *===----------------------------------------------------------------------===*/

typedef struct fake_allocation {
  void *host;
  size_t bytes;
  struct fake_allocation *next;
} fake_allocation;

typedef struct fake_function {
  char name[128];
#ifdef INGOT_FAKECUDA_KERNELS
  const ingot_gk_host_kernel *kernel;
#endif
  struct fake_function *next;
} fake_function;

typedef struct fake_module {
  fake_function *functions;
} fake_module;

typedef struct fake_stream {
  int magic;
} fake_stream;

#define STREAM_MAGIC 0x57524541

static fake_allocation *allocations;
static unsigned long long used_memory;
static int live_modules, live_streams, context_refs;
static int context_object; /* the primary context's address is its handle */

/* Allocations + modules + streams + retained contexts. */
FAKE_EXPORT int ingot_fakecuda_live(void) {
  int n = live_modules + live_streams + context_refs;
  for (fake_allocation *a = allocations; a; a = a->next)
    ++n;
  return n;
}

/*===----------------------------------------------------------------------===
 * Initialization and devices
 *===----------------------------------------------------------------------===*/

FAKE_EXPORT CUresult cuInit(unsigned int flags) {
  load_config();
  fake.initialized = false;
  if (fake.bad_config)
    fprintf(stderr, "fakecuda: bad INGOT_FAKECUDA_FAIL '%s'\n",
            getenv("INGOT_FAKECUDA_FAIL"));
  if (fake.bad_config || flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  CUresult r = injected("cuInit");
  if (r != CUDA_SUCCESS)
    return r;
  if (fake.device_count < 1)
    return CUDA_ERROR_NO_DEVICE;
  fake.initialized = true;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDriverGetVersion(int *version) {
  load_config(); /* callable before cuInit, as the runtime does */
  if (fake.stub)
    return CUDA_ERROR_STUB_LIBRARY;
  if (!version)
    return CUDA_ERROR_INVALID_VALUE;
  *version = fake.driver_version;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGetErrorName(CUresult error, const char **name) {
  static const struct {
    CUresult code;
    const char *name;
  } names[] = {
      {0, "CUDA_SUCCESS"},
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {34, "CUDA_ERROR_STUB_LIBRARY"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
      {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"},
      {100, "CUDA_ERROR_NO_DEVICE"},
      {101, "CUDA_ERROR_INVALID_DEVICE"},
      {200, "CUDA_ERROR_INVALID_IMAGE"},
      {201, "CUDA_ERROR_INVALID_CONTEXT"},
      {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
      {218, "CUDA_ERROR_INVALID_PTX"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
      {400, "CUDA_ERROR_INVALID_HANDLE"},
      {500, "CUDA_ERROR_NOT_FOUND"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {719, "CUDA_ERROR_LAUNCH_FAILED"},
      {801, "CUDA_ERROR_NOT_SUPPORTED"},
  };
  if (!name)
    return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (names[i].code == error) {
      *name = names[i].name;
      return CUDA_SUCCESS;
    }
  *name = NULL;
  return CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT CUresult cuDeviceGetCount(int *count) {
  FAKE_ENTER("cuDeviceGetCount");
  *count = fake.device_count;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  FAKE_ENTER("cuDeviceGet");
  if (ordinal < 0 || ordinal >= fake.device_count)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute,
                                          CUdevice device) {
  FAKE_ENTER("cuDeviceGetAttribute");
  if (device < 0 || device >= fake.device_count)
    return CUDA_ERROR_INVALID_DEVICE;
  switch (attribute) {
  case 16: /* multiprocessors */
    *value = 4;
    return CUDA_SUCCESS;
  case 75: /* compute capability major */
    *value = fake.compute_capability / 10;
    return CUDA_SUCCESS;
  case 76: /* minor */
    *value = fake.compute_capability % 10;
    return CUDA_SUCCESS;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
}

FAKE_EXPORT CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
  FAKE_ENTER("cuDeviceGetName");
  if (device < 0 || device >= fake.device_count || !name || length < 1)
    return CUDA_ERROR_INVALID_VALUE;
  snprintf(name, (size_t)length, "Ingot fake GPU");
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
  FAKE_ENTER("cuDeviceTotalMem_v2");
  if (device < 0 || device >= fake.device_count)
    return CUDA_ERROR_INVALID_DEVICE;
  *bytes = (size_t)fake.total_memory;
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===
 * Contexts
 *===----------------------------------------------------------------------===*/

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(void **context, CUdevice device) {
  FAKE_ENTER("cuDevicePrimaryCtxRetain");
  if (device < 0 || device >= fake.device_count)
    return CUDA_ERROR_INVALID_DEVICE;
  ++context_refs;
  *context = &context_object;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  FAKE_ENTER("cuDevicePrimaryCtxRelease_v2");
  if (device < 0 || device >= fake.device_count || context_refs < 1)
    return CUDA_ERROR_INVALID_CONTEXT;
  --context_refs;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxSetCurrent(void *context) {
  FAKE_ENTER("cuCtxSetCurrent");
  if (context && (context != &context_object || context_refs < 1))
    return CUDA_ERROR_INVALID_CONTEXT;
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===
 * Modules
 *===----------------------------------------------------------------------===*/

/* A cubin (ELF), a fatbin, or PTX text (NUL-terminated, with .version). */
static bool looks_like_image(const unsigned char *p) {
  if (memcmp(p,
             "\x7f"
             "ELF",
             4) == 0)
    return true;
  if (p[0] == 0x50 && p[1] == 0xed && p[2] == 0x55 && p[3] == 0xba)
    return true;
  return strstr((const char *)p, ".version") != NULL;
}

FAKE_EXPORT CUresult cuModuleLoadDataEx(fake_module **module, const void *image,
                                        unsigned int option_count,
                                        CUjit_option *options, void **values) {
  CUresult r = injected("cuModuleLoadDataEx");
  if (r == CUDA_SUCCESS && !fake.initialized)
    r = CUDA_ERROR_NOT_INITIALIZED;
  if (r == CUDA_SUCCESS && (!module || !image))
    r = CUDA_ERROR_INVALID_VALUE;
  if (r == CUDA_SUCCESS && !looks_like_image(image))
    r = CUDA_ERROR_INVALID_IMAGE;
  if (r != CUDA_SUCCESS) {
    /* The JIT's error log, as the driver writes it. */
    char *log = NULL;
    size_t size = 0;
    for (unsigned i = 0; i < option_count; ++i) {
      if (options[i] == 5)
        log = values[i];
      else if (options[i] == 6)
        size = (size_t)(uintptr_t)values[i];
    }
    if (log && size)
      snprintf(log, size,
               "fakecuda: module load failed with error %d\n"
               "second line",
               r);
    return r;
  }
  fake_module *m = calloc(1, sizeof *m);
  if (!m)
    return CUDA_ERROR_OUT_OF_MEMORY;
  ++live_modules;
  *module = m;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleGetFunction(fake_function **function,
                                         fake_module *module,
                                         const char *name) {
  FAKE_ENTER("cuModuleGetFunction");
  if (!function || !module || !name)
    return CUDA_ERROR_INVALID_VALUE;
  if (strcmp(name, fake.missing_kernel) == 0)
    return CUDA_ERROR_NOT_FOUND;
#ifdef INGOT_FAKECUDA_KERNELS
  const ingot_gk_host_kernel *kernel = ingot_gk_host_find(name);
  if (!kernel)
    return CUDA_ERROR_NOT_FOUND;
#else
  if (strncmp(name, "ingot_gk_", 9) != 0)
    return CUDA_ERROR_NOT_FOUND;
#endif
  fake_function *f = calloc(1, sizeof *f);
  if (!f)
    return CUDA_ERROR_OUT_OF_MEMORY;
  snprintf(f->name, sizeof f->name, "%s", name);
#ifdef INGOT_FAKECUDA_KERNELS
  f->kernel = kernel;
#endif
  f->next = module->functions;
  module->functions = f;
  *function = f;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleUnload(fake_module *module) {
  FAKE_ENTER("cuModuleUnload");
  if (!module)
    return CUDA_ERROR_INVALID_HANDLE;
  while (module->functions) {
    fake_function *next = module->functions->next;
    free(module->functions);
    module->functions = next;
  }
  free(module);
  --live_modules;
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===
 * Memory
 *===----------------------------------------------------------------------===*/

static fake_allocation *find_allocation(CUdeviceptr p, size_t bytes) {
  for (fake_allocation *a = allocations; a; a = a->next) {
    uintptr_t base = (uintptr_t)a->host;
    if (p >= base && p - base <= a->bytes && bytes <= a->bytes - (p - base))
      return a;
  }
  return NULL;
}

FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  FAKE_ENTER("cuMemAlloc_v2");
  if (!ptr || !bytes)
    return CUDA_ERROR_INVALID_VALUE;
  if (bytes > fake.total_memory - used_memory)
    return CUDA_ERROR_OUT_OF_MEMORY;
  size_t size = (bytes + 255) / 256 * 256;
  fake_allocation *a = malloc(sizeof *a);
  void *host = a ? aligned_alloc(256, size) : NULL;
  if (!host) {
    free(a);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  /* Fresh device memory holds garbage: so does ours. */
  memset(host, 0xA5, size);
  a->host = host;
  a->bytes = bytes;
  a->next = allocations;
  allocations = a;
  used_memory += bytes;
  *ptr = (CUdeviceptr)(uintptr_t)host;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr ptr) {
  FAKE_ENTER("cuMemFree_v2");
  for (fake_allocation **p = &allocations; *p; p = &(*p)->next)
    if ((uintptr_t)(*p)->host == ptr) {
      fake_allocation *a = *p;
      *p = a->next;
      used_memory -= a->bytes;
      free(a->host);
      free(a);
      return CUDA_SUCCESS;
    }
  return CUDA_ERROR_INVALID_VALUE;
}

FAKE_EXPORT CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes) {
  FAKE_ENTER("cuMemGetInfo_v2");
  *free_bytes = (size_t)(fake.total_memory - used_memory);
  *total_bytes = (size_t)fake.total_memory;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes) {
  FAKE_ENTER("cuMemcpyHtoD_v2");
  if (!find_allocation(dst, bytes) || (!src && bytes))
    return CUDA_ERROR_INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  FAKE_ENTER("cuMemcpyDtoH_v2");
  if (!find_allocation(src, bytes) || (!dst && bytes))
    return CUDA_ERROR_INVALID_VALUE;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value,
                                   size_t count) {
  FAKE_ENTER("cuMemsetD8_v2");
  if (!find_allocation(dst, count))
    return CUDA_ERROR_INVALID_VALUE;
  memset((void *)(uintptr_t)dst, value, count);
  return CUDA_SUCCESS;
}

/*===----------------------------------------------------------------------===
 * Streams and launches
 *===----------------------------------------------------------------------===*/

FAKE_EXPORT CUresult cuStreamCreate(fake_stream **stream, unsigned int flags) {
  FAKE_ENTER("cuStreamCreate");
  if (!stream || flags > 1)
    return CUDA_ERROR_INVALID_VALUE;
  fake_stream *s = malloc(sizeof *s);
  if (!s)
    return CUDA_ERROR_OUT_OF_MEMORY;
  s->magic = STREAM_MAGIC;
  ++live_streams;
  *stream = s;
  return CUDA_SUCCESS;
}

static bool valid_stream(const fake_stream *s) {
  return !s || s->magic == STREAM_MAGIC;
}

FAKE_EXPORT CUresult cuStreamSynchronize(fake_stream *stream) {
  FAKE_ENTER("cuStreamSynchronize");
  return valid_stream(stream) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

FAKE_EXPORT CUresult cuStreamDestroy_v2(fake_stream *stream) {
  FAKE_ENTER("cuStreamDestroy_v2");
  if (!stream || !valid_stream(stream))
    return CUDA_ERROR_INVALID_HANDLE;
  stream->magic = 0;
  free(stream);
  --live_streams;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuLaunchKernel(fake_function *function,
                                    unsigned int grid_x, unsigned int grid_y,
                                    unsigned int grid_z, unsigned int block_x,
                                    unsigned int block_y, unsigned int block_z,
                                    unsigned int shared_bytes,
                                    fake_stream *stream, void **params,
                                    void **extra) {
  FAKE_ENTER("cuLaunchKernel");
  if (!function || !valid_stream(stream) || extra || !params || !grid_x ||
      !grid_y || !grid_z || !block_x || !block_y || !block_z)
    return CUDA_ERROR_INVALID_VALUE;
#ifdef INGOT_FAKECUDA_KERNELS
  unsigned grid[3] = {grid_x, grid_y, grid_z};
  unsigned block[3] = {block_x, block_y, block_z};
  char error[256] = "";
  if (ingot_simt_launch(function->kernel, params, grid, block, shared_bytes,
                        error, sizeof error) != 0) {
    fprintf(stderr, "fakecuda: %s: %s\n", function->name, error);
    return CUDA_ERROR_LAUNCH_FAILED;
  }
  return CUDA_SUCCESS;
#else
  (void)shared_bytes;
  fprintf(stderr,
          "fakecuda: %s: built without the host GPU kernels "
          "(IngotGPUKernelsHost)\n",
          function->name);
  return CUDA_ERROR_NOT_SUPPORTED;
#endif
}
