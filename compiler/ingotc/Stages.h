//===- Stages.h - Stage timing, progress and crash reports of ingotc -*- C++ -*-===//
//
// ingotc runs in stages (import, graph passes, fold weights, lowering
// passes, lowering, LLVM optimization, code generation, link). StageTimer
// times them for -v, --report and a progress line on a terminal;
// PassRecorder times each graph pass and keeps the name of the running one,
// which the crash handler prints: an internal error is one line and exit
// code 2.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_INGOTC_STAGES_H
#define INGOT_COMPILER_INGOTC_STAGES_H

#include "mlir/Pass/PassInstrumentation.h"
#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ingot::driver {

/// Wall time of one stage or pass.
struct Timing {
  std::string name;
  double seconds = 0;
};

/// Times consecutive stages. -v prints each as it ends; on a terminal a
/// progress line shows the running one.
class StageTimer {
public:
  StageTimer(bool verbose, bool progress)
      : verbose(verbose), progress(progress) {}
  ~StageTimer() { finish(); }
  /// Ends the running stage, if any, and starts `name`.
  void begin(llvm::StringRef name);
  /// Ends the running stage.
  void finish();
  const std::vector<Timing> &stages() const { return done; }

private:
  bool verbose, progress;
  bool running = false;
  std::string current;
  std::chrono::steady_clock::time_point start;
  std::vector<Timing> done;
};

/// Times each pass (summed over the ops it ran on, in the order first run)
/// and records the running pass for the crash handler.
class PassRecorder : public mlir::PassInstrumentation {
public:
  /// `crashAt`: a pass argument at which to crash (--crash-for-testing).
  explicit PassRecorder(std::string crashAt) : crashAt(std::move(crashAt)) {}
  void runBeforePass(mlir::Pass *pass, mlir::Operation *op) override;
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override;
  void runAfterPassFailed(mlir::Pass *pass, mlir::Operation *op) override {
    runAfterPass(pass, op);
  }
  /// Per-pass times; shared so that it outlives the pass manager.
  std::shared_ptr<std::vector<Timing>> times =
      std::make_shared<std::vector<Timing>>();

private:
  std::string crashAt;
  std::mutex mutex;
};

/// Names what is running now for the crash message ("running pass X",
/// "LLVM code generation"); empty: nothing in particular.
void setCrashContext(llvm::StringRef what);

/// Installs handlers that turn a crash (a fatal signal, a failed assertion,
/// an LLVM fatal error) into one line on stderr, `ingotc: internal error:
/// ... while WHAT; please report a bug`, and exit code 2. With the
/// environment variable INGOT_STACK_TRACE set, LLVM's stack trace too.
void installCrashHandlers(const char *argv0);

/// Crashes on purpose (for tests of the handlers).
[[noreturn]] void crashForTesting();

} // namespace ingot::driver

#endif // INGOT_COMPILER_INGOTC_STAGES_H
