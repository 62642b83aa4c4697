//===- PackWeights.cpp - Every weight operand in the blob ------------------===//
//
// Before the conversion, each weight operand of an op that computes is
// packed into the blob in the layout its kernel reads, and its place is
// recorded by (op, operand): a matrix in its encoding (8-row interleaved
// for the matmul kernels where the target has them, expert weights too,
// each expert's matrix on its own, and embedding tables, from which the
// embedding kernel reads a row out of its group), f32 for a vector. One
// decl used two ways (a tied embedding and output head) is packed once
// when both read one layout. The blob is written as it is packed
// (WeightBlob.h): a weight's bytes live only until they are written, and
// bytes the model file already stores in the kernel's layout are written
// from its mapping.
//
//===----------------------------------------------------------------------===//

#include "compiler/target/cpu/PackWeights.h"

#include "compiler/ukernels/ukernels.h"

#include "mlir/IR/SymbolTable.h"

#include <cstring>

using namespace mlir;
using namespace mlir::ingot;
using llvm::Expected;

namespace ingot::cpu {

/// Q4_0, Q4_1 or Q8_0 blocks (`bytes` each) of an [N][K] matrix (N % 8 ==
/// 0) regrouped as Q4_0X8 / Q4_1X8 / Q8_0X8 (ukernels.h): per 8 rows and
/// block, the 8 scales (and the 8 minima of Q4_1), then 4-byte runs of the
/// 8 rows' codes.
static std::vector<uint8_t> interleaveRows(llvm::ArrayRef<uint8_t> rows,
                                           int64_t n, int64_t k,
                                           int64_t bytes) {
  int64_t nb = k / 32, head = bytes == 20 ? 4 : 2;
  int64_t runs = (bytes - head) / 4;
  std::vector<uint8_t> out(rows.size());
  for (int64_t g = 0; g < n / 8; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *dst = out.data() + (g * nb + b) * 8 * bytes;
      for (int64_t r = 0; r < 8; ++r) {
        const uint8_t *src = rows.data() + ((g * 8 + r) * nb + b) * bytes;
        std::memcpy(dst + 2 * r, src, 2);
        if (head == 4)
          std::memcpy(dst + 16 + 2 * r, src + 2, 2);
        for (int64_t l = 0; l < runs; ++l)
          std::memcpy(dst + 8 * head + 32 * l + 4 * r, src + head + 4 * l, 4);
      }
    }
  return out;
}

/// Q4_K or Q5_K superblocks (144 / 176 bytes) of an [N][K] matrix (N % 8
/// == 0, K % 256 == 0) regrouped as Q4_KX8 / Q5_KX8 (ukernels.h): per 8
/// rows and superblock, the 8 d, the 8 dmin, the 6-bit scales and minima
/// unpacked to a byte each (sc[j][r], m[j][r]), Q5_K's 5th-bit bytes in
/// 4-byte runs of the 8 rows, then the codes chunk by chunk in 4-byte runs.
static std::vector<uint8_t> interleaveKRows(llvm::ArrayRef<uint8_t> rows,
                                            int64_t n, int64_t k, bool five) {
  int64_t nsb = k / 256, bytes = five ? 176 : 144;
  int64_t groupBytes = five ? 1440 : 1184, codes = five ? 416 : 160;
  int64_t srcCodes = five ? 48 : 16;
  std::vector<uint8_t> out(n / 8 * nsb * groupBytes);
  for (int64_t g = 0; g < n / 8; ++g)
    for (int64_t sb = 0; sb < nsb; ++sb) {
      uint8_t *dst = out.data() + (g * nsb + sb) * groupBytes;
      for (int64_t r = 0; r < 8; ++r) {
        const uint8_t *src = rows.data() + ((g * 8 + r) * nsb + sb) * bytes;
        std::memcpy(dst + 2 * r, src, 2);
        std::memcpy(dst + 16 + 2 * r, src + 2, 2);
        // The 12 scale bytes: sub-blocks 0-3 in the low 6 bits of bytes
        // 0-3 (scales) and 4-7 (minima); 4-7 in the nibbles of bytes 8-11
        // with their top 2 bits in the top bits of bytes 0-7.
        const uint8_t *q = src + 4;
        for (int j = 0; j < 8; ++j) {
          uint8_t sc =
              j < 4 ? q[j] & 63 : (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
          uint8_t m =
              j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
          dst[32 + 8 * j + r] = sc;
          dst[96 + 8 * j + r] = m;
        }
        for (int64_t l = 0; l < 8 && five; ++l)
          std::memcpy(dst + 160 + 32 * l + 4 * r, src + 16 + 4 * l, 4);
        for (int64_t c = 0; c < 4; ++c)
          for (int64_t l = 0; l < 8; ++l)
            std::memcpy(dst + codes + 256 * c + 32 * l + 4 * r,
                        src + srcCodes + 32 * c + 4 * l, 4);
        }
      }
    return out;
}

/// Q6_K blocks of an [N][K] matrix (N % 8 == 0, K % 256 == 0) regrouped as
/// Q6_KX8 (ukernels.h): per 8 rows and block, the 8 d, the scales by pairs
/// of sub-blocks, then per 32 elements each row's 6-bit codes in 4-byte
/// runs per row.
static std::vector<uint8_t> interleaveQ6KRows(llvm::ArrayRef<uint8_t> rows,
                                              int64_t n, int64_t k) {
  int64_t nb = k / 256;
  std::vector<uint8_t> out(rows.size());
  uint8_t u[256];
  for (int64_t g = 0; g < n / 8; ++g)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t *dst = out.data() + (g * nb + b) * 8 * 210;
      for (int64_t r = 0; r < 8; ++r) {
        const uint8_t *src = rows.data() + ((g * 8 + r) * nb + b) * 210;
        // Q6_K: per 128 elements, 64 bytes of low nibbles and 32 of high
        // bit pairs; element 32j + l takes ql[l + 32(j % 2)]'s nibble
        // j / 2 and bits 2j, 2j + 1 of qh[l].
        for (int64_t e = 0; e < 256; ++e) {
          int64_t half = e / 128, j = e % 128 / 32, l = e % 32;
          uint8_t ql = src[64 * half + 32 * (j % 2) + l];
          uint8_t qh = src[128 + 32 * half + l];
          u[e] = ((ql >> (4 * (j / 2))) & 0xf) | ((qh >> (2 * j)) & 3) << 4;
        }
        std::memcpy(dst + 2 * r, src + 208, 2);
        for (int64_t c = 0; c < 8; ++c)
          for (int64_t s = 0; s < 2; ++s)
            dst[16 + 16 * c + 8 * (r / 4) + 4 * s + r % 4] =
                src[192 + 2 * c + s];
        // Per 16 codes, three runs of 4 whole codes, the fourth run's bit
        // pairs in their bytes' top bits.
        for (int64_t c = 0; c < 8; ++c)
          for (int64_t s = 0; s < 2; ++s)
            for (int64_t l = 0; l < 3; ++l)
              for (int64_t i = 0; i < 4; ++i) {
                const uint8_t *run = u + 32 * c + 16 * s + i;
                dst[144 + 192 * c + 32 * (3 * s + l) + 4 * r + i] =
                    run[4 * l] | ((run[12] >> (2 * l)) & 3) << 6;
              }
      }
    }
  return out;
}

int64_t WeightPacking::add(llvm::ArrayRef<uint8_t> bytes) {
  return blob.add(bytes);
}

int64_t WeightPacking::addFloats(llvm::ArrayRef<float> values) {
  return add(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4));
}

Expected<WeightDeclOp> WeightPacking::declOf(WeightOp weight) {
  auto decl = SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(
      weight, weight.getNameAttr());
  if (!decl)
    return makeError("undeclared weight @" + weight.getName());
  return decl;
}

Expected<WeightDeclOp> WeightPacking::declOfRead(Value value,
                                                 llvm::StringRef kind) {
  auto weight = value.getDefiningOp<WeightOp>();
  if (!weight)
    return makeError("internal error: a constant " + kind +
                     " that is not a weight read reached the CPU target "
                     "(ingot-fold-weights folds them)");
  return declOf(weight);
}

Expected<WeightPlace>
WeightPacking::packOnce(DeclPlaces &cache, WeightDeclOp decl,
                        llvm::function_ref<Expected<WeightPlace>()> pack) {
  auto it = cache.find(decl);
  if (it != cache.end())
    return it->second;
  Expected<WeightPlace> place = pack();
  if (place)
    cache[decl] = *place;
  packer.release(decl);
  return place;
}

void WeightPacking::noteNumerics(const WeightPlace &w, Value weight) {
  if (!options.ggmlNumerics || w.format == INGOT_W_Q4_1 ||
      w.format == INGOT_W_Q8_0 || w.format == INGOT_W_Q4_0X8 ||
      inexactFormats.count(w.format))
    return;
  std::string example = "a matmul weight";
  if (auto read = weight.getDefiningOp<WeightOp>())
    example = "@" + read.getName().str();
  inexactFormats[w.format] = example;
}

Expected<WeightPlace> WeightPacking::matrix(Value value, bool transposed,
                                            bool interleave) {
  auto type = cast<RankedTensorType>(value.getType());
  auto decl = declOfRead(value, "matrix");
  if (!decl)
    return decl.takeError();
  if (!transposed && type.getRank() == 2) {
    // An [K][N] weight: its values transposed, as f32.
    if (type.getEncoding())
      return makeError("a quantized weight is used untransposed; no CPU "
                       "kernel reads it that way");
    return packOnce(transposedDecls, *decl, [&]() -> Expected<WeightPlace> {
      auto values = packer.readValues(*decl);
      if (!values)
        return values.takeError();
      int64_t k = type.getDimSize(0), n = type.getDimSize(1);
      std::vector<float> t(values->size());
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          t[j * k + i] = (*values)[i * n + j];
      return WeightPlace{addFloats(t), INGOT_W_F32, 0};
    });
  }
  auto format = getKernelFormat(type);
  if (!format)
    return format.takeError();
  // Q8_0 and Q4_1 stay in rows under GGML numerics: llama.cpp does not
  // repack them on x86, and its row kernels are what those reproduce.
  // (Q6_K's products round otherwise than llama.cpp's either way.)
  // A folded weight (inline values) is packed as f32. An embedding table
  // is interleaved too (ingot_uk_embedding reads a row out of its group),
  // so a table shared with the output head is packed once.
  bool q6k = format->first == INGOT_W_Q6_K;
  bool repackable = !decl->getValueAttr() &&
                    (format->first == INGOT_W_Q4_0 || q6k ||
                     ((format->first == INGOT_W_Q8_0 ||
                       format->first == INGOT_W_Q4_1) &&
                      !options.ggmlNumerics));
  // Q4_K and Q5_K are repacked under either numerics: their kernels round
  // as llama.cpp's do in neither layout.
  bool kQuant = !decl->getValueAttr() && (format->first == INGOT_W_Q4_K ||
                                          format->first == INGOT_W_Q5_K);
  // [N][K], or [E][N][K] expert weights: each expert's matrix is
  // interleaved on its own (groups of 8 rows never straddle two experts
  // when N % 8 == 0), so the rows are regrouped as E·N rows.
  int64_t rank = type.getRank();
  int64_t cols = type.getDimSize(rank - 1);
  int64_t rows = type.getNumElements() / std::max<int64_t>(cols, 1);
  bool shaped = (rank == 2 || rank == 3) &&
                type.getDimSize(rank - 2) % 8 == 0 &&
                ((kQuant || q6k) ? cols % 256 == 0
                                 : cols % 32 == 0 && cols / 32 <= 1024);
  interleave = interleave && (repackable || kQuant) && shaped;
  auto &cache = interleave ? interleavedDecls : packedDecls;
  return packOnce(cache, *decl, [&]() -> Expected<WeightPlace> {
    auto packed = packer.packMatrix(*decl);
    if (!packed)
      return packed.takeError();
    if (interleave && kQuant) {
      bool five = packed->format == INGOT_W_Q5_K;
      packed->bytes = interleaveKRows(packed->bytes, rows, cols, five);
      packed->format = five ? INGOT_W_Q5_KX8 : INGOT_W_Q4_KX8;
    } else if (interleave && packed->format == INGOT_W_Q6_K) {
      packed->bytes = interleaveQ6KRows(packed->bytes, rows, cols);
      packed->format = INGOT_W_Q6_KX8;
    } else if (interleave) {
      int32_t f = packed->format;
      packed->bytes =
          interleaveRows(packed->bytes, rows, cols,
                         f == INGOT_W_Q8_0   ? 34
                         : f == INGOT_W_Q4_1 ? 20
                                             : 18);
      packed->format = f == INGOT_W_Q8_0   ? INGOT_W_Q8_0X8
                       : f == INGOT_W_Q4_1 ? INGOT_W_Q4_1X8
                                           : INGOT_W_Q4_0X8;
    }
    return WeightPlace{add(packed->bytes), packed->format, packed->group};
  });
}

Expected<WeightPlace> WeightPacking::vector(Value value) {
  if (auto constant = value.getDefiningOp<ConstantOp>()) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!dense || !dense.getElementType().isF32())
      return makeError("internal error: an ingot.constant operand that is "
                       "not f32 reached the CPU target");
    std::vector<float> values(dense.getValues<float>().begin(),
                              dense.getValues<float>().end());
    return WeightPlace{addFloats(values), INGOT_W_F32, 0};
  }
  auto decl = declOfRead(value, "vector");
  if (!decl)
    return decl.takeError();
  return packOnce(vectorDecls, *decl, [&]() -> Expected<WeightPlace> {
    auto values = packer.readValues(*decl);
    if (!values)
      return values.takeError();
    return WeightPlace{addFloats(*values), INGOT_W_F32, 0};
  });
}

llvm::Error WeightPacking::run(func::FuncOp fn, CPULowering &state) {
  WeightPlaces &places = state.weightPlaces;
  Block &block = fn.getBody().front();
  auto setMatrix = [&](Operation *op, unsigned index, bool transposed,
                       bool interleave, bool note) -> llvm::Error {
    Value v = op->getOperand(index);
    auto place = matrix(v, transposed, interleave);
    if (!place)
      return place.takeError();
    if (note)
      noteNumerics(*place, v);
    places[{op, index}] = *place;
    return llvm::Error::success();
  };
  auto setVector = [&](Operation *op, unsigned index) -> llvm::Error {
    Value v = op->getOperand(index);
    if (!isConstantRead(v))
      return llvm::Error::success();
    auto place = vector(v);
    if (!place)
      return place.takeError();
    places[{op, index}] = *place;
    return llvm::Error::success();
  };

  for (Operation &o : block) {
    Operation *op = &o;
    llvm::Error err = llvm::Error::success();
    if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
      err = setMatrix(op, 0, true, options.interleaveQ4_0, false);
    } else if (auto matmul = dyn_cast<MatmulOp>(op)) {
      if (matmul.getTransposeA() ||
          isa_and_nonnull<KVCacheType>(matmul.getB().getType()))
        return makeError("ingot.matmul: unsupported ingot.matmul form");
      if (!isConstantRead(matmul.getB()))
        return makeError("ingot.matmul: ingot.matmul of two activations is "
                         "not supported by the CPU backend yet");
      err = setMatrix(op, 1, matmul.getTransposeB(), options.interleaveQ4_0,
                      true);
      if (!err && matmul.getBias())
        err = setVector(op, 2);
    } else if (auto multi = dyn_cast<MultiMatmulOp>(op)) {
      unsigned count = multi.getWeights().size();
      for (unsigned i = 0; i < count && !err; ++i)
        err = setMatrix(op, 1 + i, true, options.interleaveQ4_0, true);
      for (unsigned j = 0; j < multi.getBiases().size() && !err; ++j)
        err = setVector(op, 1 + count + j);
    } else if (auto grouped = dyn_cast<GroupedMatmulOp>(op)) {
      if (!isConstantRead(grouped.getW()))
        return makeError("ingot.grouped_matmul: ingot.grouped_matmul needs "
                         "constant expert weights");
      err = setMatrix(op, 1, true, options.interleaveQ4_0, true);
    } else if (auto rope = dyn_cast<RopeOp>(op)) {
      if (Value factors = rope.getFreqFactors()) {
        auto weight = factors.getDefiningOp<WeightOp>();
        if (!weight)
          return makeError("ingot.rope: rope freq_factors must be constant");
        auto decl = declOf(weight);
        if (!decl)
          return decl.takeError();
        auto values = packer.readValues(*decl);
        if (!values)
          return values.takeError();
        state.ropeDivisors[op] = std::move(*values);
      }
    } else if (isa<RmsNormOp, LayerNormOp, AddOp, SubOp, MulOp, DivOp,
                   MaximumOp>(op)) {
      for (unsigned i = 0; i < op->getNumOperands() && !err; ++i)
        err = setVector(op, i);
    }
    if (err)
      return err;
  }
  return llvm::Error::success();
}

std::vector<std::string> WeightPacking::takeWarnings() {
  auto formatName = [](int32_t format) -> const char * {
    switch (format) {
    case INGOT_W_F32: return "f32";
    case INGOT_W_F16: return "f16";
    case INGOT_W_BF16: return "bf16";
    case INGOT_W_Q4_0: return "q4_0";
    case INGOT_W_Q5_0: return "q5_0";
    case INGOT_W_Q5_1: return "q5_1";
    case INGOT_W_Q4_K: case INGOT_W_Q4_KX8: return "q4_k";
    case INGOT_W_Q5_K: case INGOT_W_Q5_KX8: return "q5_k";
    case INGOT_W_Q6_K: case INGOT_W_Q6_KX8: return "q6_k";
    case INGOT_W_Q2_K: return "q2_k";
    case INGOT_W_Q3_K: return "q3_k";
    case INGOT_W_IQ4_NL: return "iq4_nl";
    case INGOT_W_IQ4_XS: return "iq4_xs";
    default: return "group-quantized";
    }
  };
  std::vector<std::string> warnings;
  for (const auto &[format, example] : inexactFormats)
    warnings.push_back(
        "--numerics=ggml: llama.cpp multiplies " +
        std::string(formatName(format)) + " weights (" + example +
        ") with kernels whose roundings Ingot does not reproduce (it does "
        "for q4_1, q8_0 and, on AVX2, q4_0); the logits will be close to "
        "llama.cpp's, not equal");
  return warnings;
}

} // namespace ingot::cpu
