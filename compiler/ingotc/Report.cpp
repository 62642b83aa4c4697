//===- Report.cpp - ingotc --report=FILE.html -----------------------------===//

#include "compiler/ingotc/Report.h"

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <map>

using namespace llvm;

namespace ingot::driver {
namespace {

std::string escape(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out.push_back(c);
    }
  }
  return out;
}

/// `1234567` as `1.18 MiB`.
std::string bytes(double n) {
  const char *units[] = {"B", "KiB", "MiB", "GiB"};
  int unit = 0;
  while (n >= 1024 && unit < 3) {
    n /= 1024;
    ++unit;
  }
  return formatv(unit ? "{0:f2} {1}" : "{0:f0} {1}", n, units[unit]).str();
}

/// The storage encoding of a weight: `q4_0`, `int4s_g32`, `f16`, ...
std::string encodingOf(mlir::RankedTensorType type) {
  if (auto block =
          dyn_cast_or_null<mlir::ingot::BlockQuantAttr>(type.getEncoding()))
    return mlir::ingot::stringifyBlockFormat(block.getFormat()).str();
  if (auto group =
          dyn_cast_or_null<mlir::ingot::GroupQuantAttr>(type.getEncoding()))
    return ("int" + Twine(group.getBits()) + (group.getSymmetric() ? "s" : "") +
            "_g" + Twine(group.getGroupSize()))
        .str();
  std::string name;
  raw_string_ostream(name) << type.getElementType();
  return name;
}

/// The layer of `blk.N.…`; -1 for the weights outside the layers.
int64_t layerOf(StringRef name) {
  int64_t layer;
  if (!name.consume_front("blk.") ||
      name.take_until([](char c) { return c == '.'; }).getAsInteger(10, layer))
    return -1;
  return layer;
}

const char *kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                          "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                          "#9c755f", "#bab0ac"};

const char *kStyle = R"(<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
svg{display:block;margin:.5em 0}svg text{font:11px sans-serif}
.note{color:#666}details{margin:.5em 0}
</style>
)";

void keyValue(raw_ostream &os, StringRef key, const Twine &value) {
  os << "<tr><th class=\"l\">" << escape(key) << "</th><td class=\"l\">"
     << escape(value.str()) << "</td></tr>\n";
}

void writeInvocation(raw_ostream &os, const ReportInputs &in) {
  os << "<h2 id=\"invocation\">Invocation</h2>\n<table>\n";
  keyValue(os, "ingotc", in.version);
  os << "<tr><th class=\"l\">command line</th><td class=\"l\"><code "
        "id=\"command-line\">"
     << escape(in.commandLine) << "</code></td></tr>\n</table>\n";
  os << "<table id=\"options\">\n<tr><th class=\"l\">option</th><th "
        "class=\"l\">value</th></tr>\n";
  for (const auto &[name, value] : in.invocationOptions)
    keyValue(os, name, value);
  os << "</table>\n";
}

void writeStructure(raw_ostream &os, const ReportInputs &in) {
  const ::ingot::cpu::LoweredModel &m = in.result->lowered;
  const ::ingot::cpu::CompileOptions &o = *in.options;
  os << "<h2 id=\"model\">Model</h2>\n<table>\n";
  keyValue(os, "input", in.modelPath);
  keyValue(os, "target",
           o.target.triple + ", cpu " + o.target.cpu + ", kernels " +
               o.target.variant);
  if (const mlir::ingot::ModelConfig *c = in.config) {
    keyValue(os, "architecture",
             mlir::ingot::stringifyArchitecture(c->arch) +
                 (c->isMoE() ? " (mixture of experts)" : " (dense)"));
    keyValue(os, "layers", Twine(c->numLayers));
    keyValue(os, "hidden size", Twine(c->hiddenSize));
    keyValue(os, "attention",
             Twine(c->numHeads) + " heads, " + Twine(c->numKVHeads) +
                 " key/value heads, head_dim " + Twine(c->headDim));
    if (c->isMoE())
      keyValue(os, "experts",
               Twine(c->numExperts) + " of FFN size " +
                   Twine(c->expertIntermediateSize) +
                   (c->sharedExpertIntermediateSize
                        ? ", shared expert of FFN size " +
                              Twine(c->sharedExpertIntermediateSize)
                        : Twine()));
    else
      keyValue(os, "feed-forward", Twine(c->intermediateSize));
  }
  keyValue(os, "vocabulary", Twine(m.vocabSize));
  keyValue(os, "context", Twine(m.maxCtx) + " tokens");
  keyValue(os, "weights",
           Twine(m.weights.size()) + " bytes (" + bytes(m.weights.size()) +
               "), " + (o.codegen.embedWeights ? "embedded" : "external"));
  os << "<tr><th class=\"l\">arena</th><td class=\"l\" id=\"arena-bytes\">"
     << m.arenaBytes << "</td></tr>\n";
  keyValue(os, "arena parts",
           "activations " + Twine(m.activationBytes) + " + kernel scratch " +
               Twine(m.scratchBytes) + " bytes, for up to " +
               Twine(m.maxBatch) + " tokens per step");
  keyValue(os, "kv cache",
           Twine(m.kvBytesPerToken) + " bytes per token, " +
               bytes(double(m.kvBytesPerToken) * m.maxCtx) +
               " at the full context");
  keyValue(os, "outputs", join(in.result->files, " "));
  os << "</table>\n";
  if (in.config && in.config->isMoE()) {
    os << "<h2 id=\"routing\">Expert routing</h2>\n<table>\n";
    keyValue(os, "rule", in.routing);
    keyValue(os, "probabilities",
             in.config->normTopKProb
                 ? "softmax over the experts, renormalized over the chosen"
                 : "softmax over the experts");
    keyValue(os, "experts per layer", Twine(in.config->numExperts));
    os << "</table>\n";
  }
}

void writeWeights(raw_ostream &os, const ReportInputs &in) {
  // bytes[layer][encoding]; layer -1: outside the layers.
  std::map<int64_t, std::map<std::string, int64_t>> table;
  std::map<std::string, int64_t> totals;
  mlir::ModuleOp graph = in.graph;
  for (auto decl : graph.getOps<mlir::ingot::WeightDeclOp>()) {
    auto type = cast<mlir::RankedTensorType>(decl.getType());
    int64_t n = mlir::ingot::getStorageBytes(type).value_or(0);
    std::string encoding = encodingOf(type);
    table[layerOf(decl.getSymName())][encoding] += n;
    totals[encoding] += n;
  }
  std::vector<std::string> encodings;
  for (const auto &entry : totals)
    encodings.push_back(entry.first);
  auto color = [&](StringRef encoding) {
    size_t i = std::find(encodings.begin(), encodings.end(), encoding) -
               encodings.begin();
    return kPalette[i % std::size(kPalette)];
  };
  auto label = [](int64_t layer) {
    return layer < 0 ? std::string("other") : "layer " + std::to_string(layer);
  };
  os << "<h2 id=\"weights\">Weight bytes per layer</h2>\n"
     << "<table id=\"weights-table\">\n<tr><th class=\"l\">layer</th>";
  for (const std::string &e : encodings)
    os << "<th>" << escape(e) << "</th>";
  os << "<th>total</th></tr>\n";
  int64_t largest = 1;
  for (const auto &[layer, row] : table) {
    int64_t sum = 0;
    os << "<tr><td class=\"l\">" << label(layer) << "</td>";
    for (const std::string &e : encodings) {
      auto it = row.find(e);
      int64_t n = it == row.end() ? 0 : it->second;
      sum += n;
      os << "<td>" << n << "</td>";
    }
    largest = std::max(largest, sum);
    os << "<td>" << sum << "</td></tr>\n";
  }
  os << "</table>\n";

  // Stacked bars, one per layer.
  const int barH = 14, left = 80, width = 900;
  int height = static_cast<int>(table.size()) * (barH + 4) + 30;
  os << formatv("<svg id=\"weights-svg\" width=\"{0}\" height=\"{1}\" "
                "xmlns=\"http://www.w3.org/2000/svg\">\n",
                width, height);
  int y = 4;
  for (const auto &[layer, row] : table) {
    os << formatv("<text x=\"0\" y=\"{0}\">{1}</text>\n", y + barH - 3,
                  label(layer));
    double x = left;
    for (const std::string &e : encodings) {
      auto it = row.find(e);
      if (it == row.end() || !it->second)
        continue;
      double w = double(it->second) / largest * (width - left - 10);
      os << formatv("<rect class=\"wbar\" x=\"{0:f1}\" y=\"{1}\" "
                    "width=\"{2:f1}\" height=\"{3}\" fill=\"{4}\">"
                    "<title>{5} {6}: {7} bytes</title></rect>\n",
                    x, y, w, barH, color(e), label(layer), escape(e),
                    it->second);
      x += w;
    }
    y += barH + 4;
  }
  int lx = left;
  for (const std::string &e : encodings) {
    os << formatv("<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" "
                  "fill=\"{2}\"/><text x=\"{3}\" y=\"{4}\">{5}</text>\n",
                  lx, y + 6, color(e), lx + 14, y + 15, escape(e));
    lx += 100;
  }
  os << "</svg>\n";
}

/// The arena offsets of the memory plan mapped to the chart's height, to
/// scale except where one stretch between two buffer edges would take more
/// than a quarter of the chart (the full-batch logits, hundreds of times
/// any other buffer): such stretches are shortened to that share and
/// marked, so that every other buffer stays readable.
class OffsetScale {
public:
  OffsetScale(const std::vector<::ingot::cpu::PlannedBuffer> &plan,
              int64_t top) {
    edges.push_back(0);
    edges.push_back(top);
    for (const ::ingot::cpu::PlannedBuffer &b : plan) {
      edges.push_back(b.offset);
      edges.push_back(b.offset + b.bytes);
    }
    llvm::sort(edges);
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    std::vector<int64_t> gaps;
    for (size_t i = 1; i < edges.size(); ++i)
      gaps.push_back(edges[i] - edges[i - 1]);
    int64_t largest = gaps.empty() ? 0 : *llvm::max_element(gaps);
    auto drawn = [&](double c) {
      double sum = 0;
      for (int64_t g : gaps)
        sum += std::min<double>(g, c);
      return sum;
    };
    // The largest cap at which no stretch takes more than a quarter.
    cap = largest;
    if (gaps.size() > 4 && largest > 0.25 * drawn(largest)) {
      double lo = 0, hi = largest;
      for (int i = 0; i < 60; ++i) {
        double mid = (lo + hi) / 2;
        (mid <= 0.25 * drawn(mid) ? lo : hi) = mid;
      }
      cap = lo;
    }
    // The drawn height below each edge.
    ys.push_back(0);
    for (size_t i = 1; i < edges.size(); ++i)
      ys.push_back(ys.back() +
                   std::min<double>(edges[i] - edges[i - 1], cap));
    if (ys.back() <= 0)
      ys.back() = 1;
  }

  /// 0 at offset 0, 1 at the top.
  double operator()(int64_t offset) const {
    size_t i = llvm::upper_bound(edges, offset) - edges.begin();
    if (i == 0)
      return 0;
    if (i == edges.size())
      return 1;
    double part = double(offset - edges[i - 1]) / (edges[i] - edges[i - 1]);
    return (ys[i - 1] + part * (ys[i] - ys[i - 1])) / ys.back();
  }

  /// The stretches drawn shorter than they are: [from, to) offsets.
  std::vector<std::pair<int64_t, int64_t>> shortened() const {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (size_t i = 0; i + 1 < edges.size(); ++i)
      if (edges[i + 1] - edges[i] > cap)
        out.push_back({edges[i], edges[i + 1]});
    return out;
  }

private:
  std::vector<int64_t> edges; ///< 0, every buffer's ends, the top
  std::vector<double> ys;     ///< the drawn height at each edge
  double cap = 0;             ///< the most bytes drawn to scale in a stretch
};

void writeMemoryPlan(raw_ostream &os, const ReportInputs &in) {
  const ::ingot::cpu::LoweredModel &m = in.result->lowered;
  int64_t ops = 1, top = std::max<int64_t>(m.activationBytes, 1);
  const ::ingot::cpu::PlannedBuffer *peak = nullptr, *largest = nullptr;
  for (const ::ingot::cpu::PlannedBuffer &b : m.plan) {
    ops = std::max(ops, b.lastOp + 1);
    top = std::max(top, b.offset + b.bytes);
    if (!peak || b.offset + b.bytes > peak->offset + peak->bytes)
      peak = &b;
    if (!largest || b.bytes > largest->bytes)
      largest = &b;
  }
  OffsetScale scale(m.plan, top);
  auto shortened = scale.shortened();
  os << "<h2 id=\"memory\">Memory plan</h2>\n<p class=\"note\">"
     << m.plan.size() << " buffers in " << m.activationBytes
     << " bytes of activations (" << bytes(m.activationBytes)
     << "); x: op index (0.." << ops - 1
     << "), y: offset in the arena";
  if (!shortened.empty())
    os << ", to scale except the stretches marked with a break (drawn "
          "shorter than they are, so that one large buffer does not flatten "
          "the others)";
  os << ". Hover a buffer for its op.";
  if (largest)
    os << " Largest buffer: <span id=\"largest-buffer\">" << escape(largest->what)
       << ", " << bytes(largest->bytes) << "</span> (ops " << largest->firstOp
       << ".." << largest->lastOp << ").";
  // Logits the output matmul computes go straight to the caller's buffer
  // (no arena buffer); logits computed after it (a final soft-cap) are
  // planned for every row of a step and copied out.
  int64_t logitsBytes = m.maxBatch * m.vocabSize * 4;
  if (largest && m.maxBatch > 1 && largest->bytes == logitsBytes)
    os << " It holds the logits of all " << m.maxBatch
       << " rows of a step (" << m.maxBatch << " x " << m.vocabSize
       << " x 4 bytes): this model computes them after its output matmul, "
          "so they pass through the arena before the last row (or all, when "
          "asked for) is copied out.";
  os << "</p>\n";
  const double left = 80, plotW = 800, plotH = 360, topPad = 20;
  os << formatv("<svg id=\"memory-svg\" width=\"{0}\" height=\"{1}\" "
                "xmlns=\"http://www.w3.org/2000/svg\">\n",
                left + plotW + 20, plotH + topPad + 40);
  os << formatv("<rect id=\"memory-frame\" x=\"{0}\" y=\"{1}\" width=\"{2}\" "
                "height=\"{3}\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
                left, topPad, plotW, plotH);
  auto X = [&](double op) { return left + op / ops * plotW; };
  auto Y = [&](int64_t offset) {
    return topPad + plotH - scale(offset) * plotH;
  };
  for (const ::ingot::cpu::PlannedBuffer &b : m.plan) {
    double x0 = X(b.firstOp), x1 = X(b.lastOp + 1);
    double y0 = Y(b.offset + b.bytes), y1 = Y(b.offset);
    os << formatv("<rect class=\"buf\" x=\"{0:f2}\" y=\"{1:f2}\" "
                  "width=\"{2:f2}\" height=\"{3:f2}\" fill=\"{4}\" "
                  "fill-opacity=\"0.7\" stroke=\"#333\" stroke-width=\"0.3\">"
                  "<title>{5}: {6} bytes at {7}, ops {8}..{9}</title></rect>\n",
                  x0, y0, std::max(x1 - x0, 0.5), std::max(y1 - y0, 0.5),
                  kPalette[hash_value(b.what) % std::size(kPalette)],
                  escape(b.what), b.bytes, b.offset, b.firstOp, b.lastOp);
  }
  // Each shortened stretch: a break across the plot, labelled with the
  // bytes it stands for.
  for (const auto &[from, to] : shortened) {
    double y = (Y(from) + Y(to)) / 2;
    os << formatv("<g class=\"axis-break\"><rect x=\"{0}\" y=\"{1:f2}\" "
                  "width=\"{2}\" height=\"6\" fill=\"#fff\" "
                  "fill-opacity=\"0.85\"/><line x1=\"{0}\" y1=\"{1:f2}\" "
                  "x2=\"{3}\" y2=\"{1:f2}\" stroke=\"#666\" "
                  "stroke-dasharray=\"6 3\"/><line x1=\"{0}\" y1=\"{4:f2}\" "
                  "x2=\"{3}\" y2=\"{4:f2}\" stroke=\"#666\" "
                  "stroke-dasharray=\"6 3\"/><text x=\"{5}\" y=\"{6:f2}\" "
                  "text-anchor=\"end\">{7} shown shorter</text></g>\n",
                  left, y - 3, plotW, left + plotW, y + 3, left + plotW - 4,
                  y - 5, bytes(to - from));
  }
  // The peak: a dashed line at the top and a marker at its buffer.
  os << formatv("<line id=\"peak\" x1=\"{0}\" y1=\"{1:f2}\" x2=\"{2}\" "
                "y2=\"{1:f2}\" stroke=\"#d00\" stroke-dasharray=\"4 3\"/>\n",
                left, Y(m.activationBytes), left + plotW);
  if (peak) {
    // The label on the side of the marker with room for it.
    bool right = X(peak->firstOp) > left + plotW / 2;
    os << formatv("<circle cx=\"{0:f2}\" cy=\"{1:f2}\" r=\"4\" fill=\"#d00\"/>"
                  "<text x=\"{2:f2}\" y=\"{3:f2}\" fill=\"#d00\" "
                  "text-anchor=\"{6}\">peak {4} bytes (op {5})</text>\n",
                  X(peak->firstOp), Y(peak->offset + peak->bytes),
                  X(peak->firstOp) + (right ? -6 : 6), topPad - 6,
                  m.activationBytes, peak->firstOp, right ? "end" : "start");
  }
  os << formatv("<text x=\"{0}\" y=\"{1}\">0</text>"
                "<text x=\"{2}\" y=\"{1}\" text-anchor=\"end\">op {3}</text>\n",
                left, topPad + plotH + 14, left + plotW, ops);
  os << formatv("<text x=\"2\" y=\"{0}\">{1}</text>"
                "<text x=\"2\" y=\"{2}\">0</text>\n",
                topPad + 10, bytes(top), topPad + plotH);
  os << "</svg>\n";
}

void writeKernels(raw_ostream &os, const ReportInputs &in) {
  const ::ingot::cpu::LoweredModel &m = in.result->lowered;
  os << "<h2 id=\"kernels\">Kernels</h2>\n<table id=\"kernel-calls\">\n"
     << "<tr><th class=\"l\">ukernel</th><th>calls per step</th></tr>\n";
  for (const auto &[name, count] : m.kernelCalls)
    os << "<tr><td class=\"l\">" << escape(name) << "</td><td>" << count
       << "</td></tr>\n";
  os << "</table>\n<details><summary>Each op and the ukernel it became ("
     << m.opKernels.size() << " calls)</summary>\n<table id=\"op-kernels\">\n"
     << "<tr><th>op</th><th class=\"l\">graph op</th>"
        "<th class=\"l\">ukernel</th></tr>\n";
  for (const ::ingot::cpu::OpKernel &k : m.opKernels)
    os << "<tr class=\"opk\"><td>" << k.op << "</td><td class=\"l\">"
       << escape(k.graphOp) << "</td><td class=\"l\">" << escape(k.kernel)
       << "</td></tr>\n";
  os << "</table>\n</details>\n";
}

void writeTimings(raw_ostream &os, StringRef id, StringRef title,
                  const std::vector<Timing> &timings) {
  double total = 0, largest = 1e-9;
  for (const Timing &t : timings) {
    total += t.seconds;
    largest = std::max(largest, t.seconds);
  }
  os << "<h2 id=\"" << id << "\">" << title << "</h2>\n<table id=\"" << id
     << "-table\">\n<tr><th class=\"l\">" << (id == "stages" ? "stage" : "pass")
     << "</th><th>seconds</th><th class=\"l\"></th></tr>\n";
  for (const Timing &t : timings)
    os << formatv("<tr><td class=\"l\">{0}</td><td>{1:f3}</td><td "
                  "class=\"l\"><svg width=\"300\" height=\"10\"><rect "
                  "x=\"0\" y=\"0\" width=\"{2:f1}\" height=\"10\" "
                  "fill=\"#4e79a7\"/></svg></td></tr>\n",
                  escape(t.name), t.seconds, t.seconds / largest * 300);
  os << formatv("<tr><th class=\"l\">total</th><th>{0:f3}</th><th></th></tr>"
                "\n</table>\n",
                total);
}

} // namespace

void writeHtmlReport(raw_ostream &os, const ReportInputs &in) {
  std::string title = "ingot_model_" + in.options->codegen.name;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<title>"
     << escape(title) << " - ingotc report</title>\n"
     << kStyle << "</head>\n<body>\n<h1>" << escape(title) << "</h1>\n";
  writeInvocation(os, in);
  writeStructure(os, in);
  writeWeights(os, in);
  writeMemoryPlan(os, in);
  writeKernels(os, in);
  writeTimings(os, "stages", "Stages", in.stages);
  writeTimings(os, "passes", "Graph passes", in.passes);
  os << "</body>\n</html>\n";
}

} // namespace ingot::driver
