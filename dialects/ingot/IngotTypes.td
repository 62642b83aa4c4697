//===- IngotTypes.td - Types of the ingot dialect ----------*- tablegen -*-===//

#ifndef INGOT_TYPES_TD
#define INGOT_TYPES_TD

include "dialects/ingot/IngotAttrs.td"
include "mlir/IR/AttrTypeBase.td"

def Ingot_KVCacheType : TypeDef<Ingot_Dialect, "KVCache"> {
  let mnemonic = "kv_cache";
  let summary = "one layer's key or value cache";
  let description = [{
    Room for `capacity` positions of `num_heads` vectors of `head_dim`
    elements. The element type is the logical type; an optional
    `#ingot.kv_quant` encoding says how entries are stored. Values of this
    type are updated functionally (`ingot.kv_write` returns the new cache);
    bufferization makes the update in place.

    ```mlir
    !ingot.kv_cache<2048x3x64xf16>
    !ingot.kv_cache<2048x3x64xf32, #ingot.kv_quant<q8>>
    ```
  }];
  let parameters = (ins "int64_t":$capacity, "int64_t":$numHeads,
                        "int64_t":$headDim, "::mlir::Type":$elementType,
                        OptionalParameter<"::mlir::ingot::KVQuantAttr">:$encoding);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // INGOT_TYPES_TD
