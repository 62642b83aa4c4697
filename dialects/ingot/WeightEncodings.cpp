//===- WeightEncodings.cpp - Which weight encodings can be written --------===//

#include "dialects/ingot/WeightEncodings.h"

#include "dialects/ingot/IngotAttrs.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::ingot;
using llvm::Error;
using llvm::Twine;

int64_t mlir::ingot::getQuantBlockSize(Attribute encoding) {
  if (auto block = dyn_cast_or_null<BlockQuantAttr>(encoding))
    return block.getBlockSize();
  if (auto group = dyn_cast_or_null<GroupQuantAttr>(encoding))
    return group.getGroupSize();
  return 1;
}

std::string mlir::ingot::describeWeightEncoding(Attribute encoding) {
  if (auto block = dyn_cast<BlockQuantAttr>(encoding))
    return stringifyBlockFormat(block.getFormat()).str();
  if (auto group = dyn_cast<GroupQuantAttr>(encoding))
    return ("int" + Twine(group.getBits()) + "-g" +
            Twine(group.getGroupSize()) +
            (group.getSymmetric() ? "" : "-asym"))
        .str();
  std::string text;
  llvm::raw_string_ostream os(text);
  encoding.print(os);
  return text;
}

Error mlir::ingot::checkQuantizable(llvm::ArrayRef<int64_t> shape,
                                    Attribute encoding) {
  if (!encoding)
    return Error::success();
  if (auto block = dyn_cast<BlockQuantAttr>(encoding)) {
    BlockFormat format = block.getFormat();
    if (format != BlockFormat::q8_0 && format != BlockFormat::q4_0 &&
        format != BlockFormat::q4_k)
      return llvm::createStringError(
          "quantizing to " + describeWeightEncoding(encoding) +
          " is not supported (q8_0, q4_0, q4_k and group encodings are)");
  } else if (!isa<GroupQuantAttr>(encoding)) {
    return llvm::createStringError("not a weight encoding: " +
                                   describeWeightEncoding(encoding));
  }
  int64_t block = getQuantBlockSize(encoding);
  if (shape.empty() || shape.back() % block != 0)
    return llvm::createStringError(
        "last dimension " + Twine(shape.empty() ? 0 : shape.back()) +
        " is not a multiple of the " + describeWeightEncoding(encoding) +
        " block size " + Twine(block));
  return Error::success();
}
