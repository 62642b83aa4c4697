#!/usr/bin/env python3
"""Dequantizes every tensor of a GGUF to F32, keeping all metadata.

  gguf-to-f32.py IN.gguf OUT.gguf [--keep REGEX] [--set-u32 KEY=N]...

--keep leaves the tensors whose name matches REGEX as they are (bench/cpu.sh
keeps SmolLM2's Q8_0 token_embd, which is also its output head, so that
llama-quantize and `ingotc --quantize`, which keeps embeddings, make the same
layout). Used by bench/cpu.sh to make the float model that both quantize.
--set-u32 adds (or replaces) an unsigned metadata value, e.g. the
`llama.expert_feed_forward_length` Ingot's importer wants in a Mixtral-style
GGUF (bench/moe.sh). Needs numpy and gguf.
"""
import argparse
import re

import numpy as np
import gguf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--keep", default=None)
    ap.add_argument("--set-u32", action="append", default=[])
    a = ap.parse_args()
    r = gguf.GGUFReader(a.inp)
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(a.out, arch)
    sets = dict(kv.split("=", 1) for kv in a.set_u32)
    for name, n in sets.items():
        w.add_uint32(name, int(n))
    for name, f in r.fields.items():
        if (name.startswith("GGUF.") or name == "general.architecture" or
                name in sets):
            continue
        if name == "general.file_type":
            w.add_file_type(gguf.LlamaFileType.ALL_F32)
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(name, f.contents(), vtype, sub_type=sub)
    for t in r.tensors:
        if a.keep and re.search(a.keep, t.name):
            w.add_tensor(t.name, t.data, raw_shape=t.data.shape,
                         raw_dtype=t.tensor_type)
            continue
        x = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        # numpy shape is the reversed GGUF ne order
        x = x.reshape(tuple(int(n) for n in reversed(t.shape)))
        w.add_tensor(t.name, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
