// Errors of --ingot-quantize.
//
// A weight whose last dimension is not a whole number of blocks or groups
// fails the pass with one error on its ingot.weight_decl naming the weight,
// the encoding and the block size:
// RUN: ingot-opt %s --ingot-quantize="encoding=q4_k" --verify-diagnostics
// The same for a group encoding, with a non-zero exit and the error once
// (the second narrow weight gets none; ingot-opt also reports the q4_k
// expectation below as not produced, which this run ignores):
// RUN: not ingot-opt %s --ingot-quantize="encoding=int4-g128-asym" 2>&1 | FileCheck %s --check-prefix=G128
// G128: error: cannot quantize weight @blk.0.attn_q.weight to int4-g128-asym: last dimension 64 is not a multiple of the int4-g128-asym block size 128
// G128-NOT: @blk.0.attn_k.weight to
//
// A malformed option fails when the pass is initialized, before any op is
// seen, so its error has no location: these runs check the message with
// FileCheck.
//
// An unknown encoding.
// RUN: not ingot-opt %s --ingot-quantize="encoding=fp4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: error: invalid weight encoding 'fp4': unknown encoding 'fp4' (expected q8_0, q4_0, q4_k, or int8|int4[-g32|-g64|-g128][-sym|-asym])
//
// A GGUF format the quantizer does not write.
// RUN: not ingot-opt %s --ingot-quantize="encoding=q6_k" 2>&1 | FileCheck %s --check-prefix=Q6K
// Q6K: error: invalid weight encoding 'q6_k': unknown encoding 'q6_k'
//
// A group size other than 32, 64, 128.
// RUN: not ingot-opt %s --ingot-quantize="encoding=int4-g48" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: invalid weight encoding 'int4-g48': the group size must be 32, 64 or 128
//
// Symmetry given twice.
// RUN: not ingot-opt %s --ingot-quantize="encoding=int8-sym-asym" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: invalid weight encoding 'int8-sym-asym': symmetry given twice
//
// The group size after the symmetry, and a stray part.
// RUN: not ingot-opt %s --ingot-quantize="encoding=int4-asym-g32" 2>&1 | FileCheck %s --check-prefix=ORDER
// ORDER: error: invalid weight encoding 'int4-asym-g32': unexpected 'g32'
// RUN: not ingot-opt %s --ingot-quantize="encoding=int4-g32-fast" 2>&1 | FileCheck %s --check-prefix=STRAY
// STRAY: error: invalid weight encoding 'int4-g32-fast': unexpected 'fast'
//
// An empty encoding.
// RUN: not ingot-opt %s --ingot-quantize="encoding=" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: invalid weight encoding '': unknown encoding ''
//
// A skip pattern that is not a regex.
// RUN: not ingot-opt %s --ingot-quantize="encoding=q8_0 skip=attn_(q" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: invalid skip regex 'attn_(q':

// A 64-column matrix cannot hold 256-element q4_k blocks. The second one
// has no expected-error: the pass stops at the first.
// expected-error @+1 {{cannot quantize weight @blk.0.attn_q.weight to q4_k: last dimension 64 is not a multiple of the q4_k block size 256}}
ingot.weight_decl @blk.0.attn_q.weight : tensor<64x64xf32> {source = "blk.0.attn_q.weight"}
ingot.weight_decl @blk.0.attn_k.weight : tensor<64x64xf32> {source = "blk.0.attn_k.weight"}
func.func @narrow(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = ingot.weight @blk.0.attn_q.weight : tensor<64x64xf32>
  %y = ingot.matmul %x, %w transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %k = ingot.weight @blk.0.attn_k.weight : tensor<64x64xf32>
  %z = ingot.matmul %y, %k transpose_b : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}
