//===- Passes.h - Graph passes on the ingot dialect -------------*- C++ -*-===//

#ifndef INGOT_PASSES_GRAPH_PASSES_H
#define INGOT_PASSES_GRAPH_PASSES_H

#include "dialects/ingot/IngotAttrs.h"
#include "dialects/ingot/IngotDialect.h"
#include "dialects/ingot/IngotOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <string>
#include <vector>

namespace mlir::ingot {

#define GEN_PASS_DECL
#include "passes/graph/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/graph/Passes.h.inc"

/// Parses a routing rule in `--moe-routing` syntax: `top-k:K`,
/// `top-p:P[,max=M]`, `threshold:T[,max=M]`.
llvm::Expected<RoutingAttr> parseRoutingRule(MLIRContext *context,
                                             llvm::StringRef text);

/// Sets `rule` on every ingot.route under `root`; fails, with a diagnostic
/// on the op, where a layer has fewer experts than a top-k rule asks for.
LogicalResult setRoutingRule(Operation *root, RoutingAttr rule);

/// Rewrites ingot.moe_ffn into the sparse form: moe_sort, gather_rows,
/// grouped_matmul (gate, up, down), the activation, and a weighted
/// scatter_add, for any token count. With `requireRoute`, only ops whose routing comes from an
/// ingot.route over the same number of experts are rewritten.
void populateRouteMoEPatterns(RewritePatternSet &patterns,
                              bool requireRoute = true);

/// Fuses fine-grained attention (head swaps, q·kᵀ, a constant scale by
/// products or quotients on the scores, q or k, an optional tanh softcap,
/// an additive or boolean mask or none, a plain or max-subtracted softmax,
/// ·v, with the KV cache read, concatenated and written, and the
/// grouped-query expansion before or after the head swap) into one
/// ingot.attention that also updates the caches.
void populateFuseAttentionPatterns(RewritePatternSet &patterns);

/// Raises `exp(x - reduce_max(x)) / reduce_sum(exp(...))`, all over the last
/// axis, to `ingot.softmax x {axis = -1}`.
void populateRaiseSoftmaxPatterns(RewritePatternSet &patterns);

/// `x` when `probs` is exactly the decomposed softmax of `x` over the last
/// axis (`exp(x - reduce_max(x)) / reduce_sum(exp(...))`, shapes kept).
FailureOr<Value> matchDecomposedSoftmax(Value probs);
/// Parses a weight encoding in `--quantize` syntax: `q8_0`, `q4_0`, `q4_k`
/// (#ingot.block), or `int8`/`int4` with an optional group size
/// `-g32|-g64|-g128` (default 128) and symmetry `-sym|-asym` (default
/// symmetric): `int4-g128-asym` is #ingot.group<bits = 4, group_size = 128,
/// symmetric = false>.
llvm::Expected<Attribute> parseWeightEncoding(MLIRContext *context,
                                              llvm::StringRef text);

/// An encoding in `--quantize` syntax (`q8_0`, `int4-g32-asym`), "none" for a
/// null one; other attributes print as attributes.
std::string formatWeightEncoding(Attribute encoding);

/// What --ingot-quantize does.
struct QuantizeOptions {
  /// The encoding float matrices get (#ingot.block or #ingot.group).
  Attribute encoding;
  /// Weights whose symbol name this regex matches (anywhere; anchor with ^
  /// and $) stay as they are. Empty: none.
  std::string skip;
  /// Also quantize embeddings, the output head and routers.
  bool allMatrices = false;
  /// Also convert weights stored in another block or group encoding (their
  /// values dequantized, then quantized again: both roundings add up).
  bool requantize = false;
};

/// The weights quantizeWeights would quantize but keeps because they
/// already have an encoding (all of them but those in `options.encoding`
/// when `options.requantize`): what a driver warns about.
SmallVector<WeightDeclOp> findEncodedMatrices(ModuleOp module,
                                              const QuantizeOptions &options);

/// Gives every float weight matrix of `module` `options.encoding`: its
/// ingot.weight_decl type and the types of its ingot.weight reads. Kept as
/// they are: weights that already have an encoding (unless requantize),
/// tensors of rank < 2,
/// norms, embeddings, the output head and routers (unless allMatrices),
/// names matching `skip`, and weights read by an operand that takes no
/// encoded tensor. Fails, changing nothing, with an error on the first
/// weight whose last dimension is not a multiple of the block size.
LogicalResult quantizeWeights(ModuleOp module, const QuantizeOptions &options);

/// The classes weights are reported in, by canonical (GGUF) name.
enum class WeightClass : unsigned {
  Embedding, // token_embd
  Attention, // attn_* (biases included)
  FFN,       // ffn_* of dense layers and shared experts (*_shexp)
  Experts,   // ffn_*_exps
  Router,    // ffn_gate_inp, ffn_gate_inp_shexp
  Norm,      // anything named *norm*
  Output,    // output.weight (the LM head)
  Other,     // rope_freqs, ...
};
constexpr unsigned kNumWeightClasses = 8;

/// The class of the weight named `name`.
WeightClass classifyWeight(llvm::StringRef name);
/// "embedding", "attention", "ffn", "experts", "router", "norm", "output",
/// "other".
llvm::StringRef stringifyWeightClass(WeightClass cls);

/// Weight count and storage of one class.
struct WeightClassBytes {
  WeightClass cls = WeightClass::Other;
  int64_t tensors = 0;
  int64_t elements = 0;
  /// Storage bytes, getStorageBytes of each decl's type.
  int64_t bytes = 0;
};

/// Storage per weight class, indexed by WeightClass, and the total.
struct WeightBytesSummary {
  std::array<WeightClassBytes, kNumWeightClasses> classes;
  WeightClassBytes total;
};

/// Sums the storage bytes of `module`'s ingot.weight_decl ops per class.
/// Call it before and after --ingot-quantize to report the saving.
FailureOr<WeightBytesSummary> summarizeWeightBytes(ModuleOp module);

/// Prints a table: one row per class present (tensors, elements, bytes
/// before, bytes after), then the total.
void printWeightBytes(llvm::raw_ostream &os, const WeightBytesSummary &before,
                      const WeightBytesSummary &after);

/// One KV-cache encoding of `--kv-cache`: a plain element type (`f32`,
/// `f16`, `bf16`) or a `#ingot.kv_quant` kind (`q8`, `q4`, `tq4`, `tq3`).
/// Neither set: keep the cache as it is.
struct KVCacheEncoding {
  Type elementType;
  KVQuantAttr quant;

  bool isSet() const { return elementType || quant; }
  bool isTurbo() const { return quant && quant.isTurbo(); }
  /// `type` with this encoding (quantized encodings keep the element type).
  KVCacheType apply(KVCacheType type) const;
};

/// The encodings of the key and of the value caches.
struct KVCacheSpec {
  KVCacheEncoding keys, values;
};

/// Parses one encoding name: f32, f16, bf16, q8, q4, tq4 or tq3.
llvm::Expected<KVCacheEncoding> parseKVCacheEncoding(MLIRContext *context,
                                                     llvm::StringRef text);

/// Parses a `--kv-cache` value: `ENC` (keys and values) or
/// `k:ENC,v:ENC` (either part may be left out; its caches stay as they
/// are). Errors are one line listing the accepted values.
llvm::Expected<KVCacheSpec> parseKVCacheSpec(MLIRContext *context,
                                             llvm::StringRef text);

/// Gives the caches of `fn`'s fused attention ops the encodings of `spec`
/// and, for tq encodings, inserts the rotations (see --ingot-quantize-kv).
/// Fails, with a diagnostic, where a cache is used by other ops or an
/// encoding does not fit a cache's head_dim; `fn` is unchanged then.
LogicalResult quantizeKVCaches(func::FuncOp fn, const KVCacheSpec &spec,
                               int64_t seed = 0);

/// Subtracts from the keys of each fused attention op with caches (in
/// program order) a constant vector per KV head, `means[op]` laid out
/// `[kv_heads][head_dim]`: the keys are stored as `k - mu` and scored as
/// `q·k - q·mu`, which softmax does not distinguish from `q·k` (the same
/// shift for every key a query sees), so the attention is unchanged while
/// the caches hold vectors without their common offset (see --kv-calibration).
/// Fails, with a diagnostic and `fn` unchanged, where the number of ops or
/// a vector's size does not match, or an op has a softcap (under which a
/// shift of the scores is not invisible).
LogicalResult subtractKeyMeans(func::FuncOp fn,
                               llvm::ArrayRef<std::vector<float>> means);

/// The pass form of subtractKeyMeans, for pipelines (no textual options:
/// the vectors come from a calibration run).
std::unique_ptr<Pass>
createSubtractKeyMeansPass(std::vector<std::vector<float>> means);

} // namespace mlir::ingot

#endif // INGOT_PASSES_GRAPH_PASSES_H
