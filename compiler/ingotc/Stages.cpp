//===- Stages.cpp - Stage timing, progress and crash reports of ingotc ----===//

#include "compiler/ingotc/Stages.h"

#include "mlir/Pass/Pass.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

using namespace llvm;

namespace ingot::driver {

void StageTimer::begin(StringRef name) {
  finish();
  running = true;
  current = name.str();
  start = std::chrono::steady_clock::now();
  setCrashContext(current);
  if (progress) {
    errs() << "\r\033[K[ingotc] " << current << "...";
    errs().flush();
  }
}

void StageTimer::finish() {
  if (!running)
    return;
  running = false;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  done.push_back({current, seconds});
  setCrashContext("");
  if (progress) {
    errs() << "\r\033[K";
    errs().flush();
  }
  if (verbose)
    errs() << formatv("ingotc: {0,-22} {1,8:f3} s\n", current, seconds);
}

namespace {
thread_local std::vector<std::chrono::steady_clock::time_point> passStarts;

/// Adaptors run nested pass managers: their time is their passes'.
bool isAdaptor(mlir::Pass *pass) {
  return pass->getName().starts_with("Pipeline Collection") ||
         pass->getName().ends_with("OpToOpPassAdaptor");
}

StringRef passName(mlir::Pass *pass) {
  return pass->getArgument().empty() ? pass->getName() : pass->getArgument();
}
} // namespace

void PassRecorder::runBeforePass(mlir::Pass *pass, mlir::Operation *) {
  if (isAdaptor(pass))
    return;
  setCrashContext(("running pass " + passName(pass)).str());
  if (!crashAt.empty() && passName(pass) == crashAt)
    crashForTesting();
  passStarts.push_back(std::chrono::steady_clock::now());
}

void PassRecorder::runAfterPass(mlir::Pass *pass, mlir::Operation *) {
  if (isAdaptor(pass) || passStarts.empty())
    return;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - passStarts.back())
                       .count();
  passStarts.pop_back();
  std::string name = passName(pass).str();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = std::find_if(times->begin(), times->end(),
                         [&](const Timing &t) { return t.name == name; });
  if (it == times->end())
    times->push_back({name, seconds});
  else
    it->seconds += seconds;
}

namespace {
/// What runs now, for the crash message: a fixed buffer the signal handler
/// can read without allocating.
char crashContext[256];

void writeErr(const char *text) {
  ssize_t unused = ::write(2, text, std::strlen(text));
  (void)unused;
}

[[noreturn]] void reportInternalError(const char *what) {
  writeErr("ingotc: internal error: ");
  writeErr(what);
  if (crashContext[0]) {
    writeErr(" while ");
    writeErr(crashContext);
  }
  writeErr("; please report a bug\n");
  ::_exit(2);
}

void onSignal(void *) { reportInternalError("crashed"); }

void onFatalError(void *, const char *reason, bool) {
  // One line: the reason's first line.
  char line[256];
  std::snprintf(line, sizeof(line), "%s", reason);
  if (char *newline = std::strchr(line, '\n'))
    *newline = 0;
  reportInternalError(line);
}
} // namespace

void setCrashContext(StringRef what) {
  size_t n = std::min(what.size(), sizeof(crashContext) - 1);
  std::memcpy(crashContext, what.data(), n);
  crashContext[n] = 0;
}

void installCrashHandlers(const char *argv0) {
  if (std::getenv("INGOT_STACK_TRACE"))
    sys::PrintStackTraceOnErrorSignal(argv0);
  else
    sys::AddSignalHandler(onSignal, nullptr);
  install_fatal_error_handler(onFatalError, nullptr);
}

void crashForTesting() {
  volatile int *null = nullptr;
  *null = 1;
  std::abort();
}

} // namespace ingot::driver
