//===- Report.h - ingotc --report=FILE.html -------------------*- C++ -*-===//
//
// One self-contained HTML page (inline CSS and SVG, no script, nothing
// fetched) of what a compilation decided: how it was invoked (ingotc's
// version, the command line, every option's value), the model's structure, weight
// bytes per layer and encoding, the memory plan over time, the ukernel each
// op became, stage and pass timings, and for MoE the routing rule.
//
//===----------------------------------------------------------------------===//

#ifndef INGOT_COMPILER_INGOTC_REPORT_H
#define INGOT_COMPILER_INGOTC_REPORT_H

#include "compiler/ingotc/Stages.h"
#include "compiler/target/cpu/Compile.h"
#include "frontends/arch/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace ingot::driver {

struct ReportInputs {
  std::string modelPath;
  /// How this compilation was asked for: `ingotc VERSION (LLVM V)`, the
  /// command line as a shell would take it, and each option's value (as
  /// given, or the default) in order.
  std::string version, commandLine;
  std::vector<std::pair<std::string, std::string>> invocationOptions;
  /// The imported model's configuration; null for a .mlir graph.
  const mlir::ingot::ModelConfig *config = nullptr;
  /// The routing rule of a mixture of experts (--moe-routing or the
  /// model's top-k).
  std::string routing;
  /// The optimized graph (its weight declarations are counted).
  mlir::ModuleOp graph;
  const ::ingot::cpu::CompileResult *result = nullptr;
  const ::ingot::cpu::CompileOptions *options = nullptr;
  std::vector<Timing> stages, passes;
};

/// Writes the HTML page.
void writeHtmlReport(llvm::raw_ostream &os, const ReportInputs &in);

} // namespace ingot::driver

#endif // INGOT_COMPILER_INGOTC_REPORT_H
