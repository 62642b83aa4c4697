"""Checks the weights blob of ingotc's outputs against each other and
against the model file, with its own ELF and GGUF readers:

    check-weights-blob.py MODEL.gguf SYMBOL OUTPUT.weights FILE...

Each FILE (an executable, a shared library, an ELF object such as a static
library's weights member) defines SYMBOL; its bytes must equal the external
weights file's payload (after the 64-byte header, whose size field must
agree), and every tensor of MODEL.gguf named by --tensor must appear in the
blob at a 64-byte aligned offset, byte for byte (the file's own blocks,
copied from its mapping). Prints one line per check; exit status 1 on the
first mismatch.
"""

import argparse
import struct
import sys


def elf_symbol(path, name):
    """The bytes of symbol `name` in the ELF64 file at `path`."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"{path}: not an ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(shnum):
        (sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link,
         sh_info, sh_align, sh_entsize) = struct.unpack_from(
             "<IIQQQQIIQQ", data, shoff + i * shentsize)
        sections.append((sh_type, sh_addr, sh_offset, sh_size, sh_link,
                         sh_entsize))
    for sh_type, _, offset, size, link, entsize in sections:
        if sh_type != 2:  # SHT_SYMTAB
            continue
        strtab = sections[link][2]
        for at in range(offset, offset + size, entsize):
            st_name, st_info, st_other, st_shndx, st_value, st_size = (
                struct.unpack_from("<IBBHQQ", data, at))
            end = data.index(b"\0", strtab + st_name)
            if data[strtab + st_name:end] != name.encode():
                continue
            _, addr, sec_offset, _, _, _ = sections[st_shndx]
            start = sec_offset + st_value - addr
            return data[start:start + st_size]
    sys.exit(f"{path}: no symbol {name}")


def gguf_tensors(path):
    """{name: bytes} of the GGUF file at `path` (v2/v3, little-endian)."""
    data = open(path, "rb").read()
    if data[:4] != b"GGUF":
        sys.exit(f"{path}: not a GGUF file")
    pos = 8
    n_tensors, n_kv = struct.unpack_from("<QQ", data, pos)
    pos += 16
    fixed = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8,
             12: 8}

    def string(pos):
        n, = struct.unpack_from("<Q", data, pos)
        return data[pos + 8:pos + 8 + n], pos + 8 + n

    def skip_value(vtype, pos):
        if vtype in fixed:
            return pos + fixed[vtype]
        if vtype == 8:
            return string(pos)[1]
        if vtype == 9:
            sub, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for _ in range(n):
                pos = skip_value(sub, pos)
            return pos
        sys.exit(f"{path}: unknown GGUF value type {vtype}")

    alignment = 32
    for _ in range(n_kv):
        key, pos = string(pos)
        vtype, = struct.unpack_from("<I", data, pos)
        if key == b"general.alignment":
            alignment, = struct.unpack_from("<I", data, pos + 4)
        pos = skip_value(vtype, pos + 4)
    infos = []
    for _ in range(n_tensors):
        name, pos = string(pos)
        n_dims, = struct.unpack_from("<I", data, pos)
        pos += 4 + 8 * n_dims
        ggml_type, offset = struct.unpack_from("<IQ", data, pos)
        pos += 12
        infos.append((name.decode(), offset))
    start = (pos + alignment - 1) // alignment * alignment
    # Each tensor ends where the next (by offset) begins; the last at the
    # end of the file, less its padding (at most alignment - 1 bytes, which
    # the checks below allow by matching a prefix).
    ordered = sorted(infos, key=lambda t: t[1])
    tensors = {}
    for i, (name, offset) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else len(data) - start
        tensors[name] = data[start + offset:start + end]
    return tensors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("symbol")
    p.add_argument("weights")
    p.add_argument("files", nargs="+")
    p.add_argument("--tensor", action="append", default=[])
    a = p.parse_args()
    raw = open(a.weights, "rb").read()
    size, = struct.unpack_from("<Q", raw, 8)
    blob = raw[64:]
    if size != len(blob):
        sys.exit(f"{a.weights}: header says {size} bytes, {len(blob)} follow")
    print(f"external blob: {len(blob)} bytes")
    for f in a.files:
        embedded = elf_symbol(f, a.symbol)
        if embedded != blob:
            sys.exit(f"{f}: {a.symbol} ({len(embedded)} bytes) differs from "
                     f"the external blob")
        print(f"same blob: {f.rsplit('/', 1)[-1]}")
    tensors = gguf_tensors(a.model)
    for name in a.tensor:
        t = tensors[name]
        # The tensor's bytes, less a possible padding tail.
        at = blob.find(t[:len(t) - 64] if len(t) > 128 else t)
        while at >= 0 and at % 64:
            at = blob.find(t[:len(t) - 64] if len(t) > 128 else t, at + 1)
        if at < 0:
            sys.exit(f"{name}: its {len(t)} bytes are not in the blob")
        print(f"in blob: {name}")


main()
