#!/usr/bin/env python3
"""Copies a GGUF file with metadata edited in place, for negative tests.

Usage: gguf-edit.py IN OUT [--set KEY=N]... [--rename KEY=NEWKEY]...
                   [--rename-tensor NAME=NEWNAME]...

--set gives an integer key a new value in its own type; --rename gives a key
a new name of the same length (so that no offset moves: a way to remove a
key without rewriting the file); --rename-tensor does the same for a tensor.
Standard library only.
"""

import argparse
import struct
import sys

# GGUF value types: struct format of each scalar.
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
           7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


def skip_value(data, pos, vtype):
    """The offset after a value of type vtype at pos."""
    if vtype in SCALARS:
        return pos + struct.calcsize(SCALARS[vtype])
    if vtype == STRING:
        (n,) = struct.unpack_from("<Q", data, pos)
        return pos + 8 + n
    if vtype == ARRAY:
        etype, count = struct.unpack_from("<IQ", data, pos)
        pos += 12
        for _ in range(count):
            pos = skip_value(data, pos, etype)
        return pos
    sys.exit(f"gguf-edit: unknown value type {vtype}")


def entries(data):
    """{key: (offset of the key's length, value type, offset of the value)}."""
    if data[:4] != b"GGUF":
        sys.exit("gguf-edit: not a GGUF file")
    _, _, n_kv = struct.unpack_from("<IQQ", data, 4)
    pos, found = 24, {}
    for _ in range(n_kv):
        start = pos
        (n,) = struct.unpack_from("<Q", data, pos)
        key = bytes(data[pos + 8:pos + 8 + n]).decode()
        (vtype,) = struct.unpack_from("<I", data, pos + 8 + n)
        found[key] = (start, vtype, pos + 12 + n)
        pos = skip_value(data, pos + 12 + n, vtype)
    return found, pos


def tensor_names(data, pos):
    """{tensor name: offset of its name's length}, the infos starting at pos."""
    _, _, n_tensors, _ = struct.unpack_from("<IIQQ", data, 0)
    found = {}
    for _ in range(n_tensors):
        (n,) = struct.unpack_from("<Q", data, pos)
        found[bytes(data[pos + 8:pos + 8 + n]).decode()] = pos
        (n_dims,) = struct.unpack_from("<I", data, pos + 8 + n)
        pos += 8 + n + 4 + 8 * n_dims + 4 + 8
    return found


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--rename", action="append", default=[])
    ap.add_argument("--rename-tensor", action="append", default=[])
    a = ap.parse_args()
    with open(a.inp, "rb") as f:
        data = bytearray(f.read())
    kv, infos = entries(data)
    tensors = tensor_names(data, infos)
    for edit in a.set:
        key, value = edit.split("=", 1)
        if key not in kv:
            sys.exit(f"gguf-edit: no key '{key}'")
        _, vtype, at = kv[key]
        if vtype not in SCALARS or vtype in (6, 7, 12):
            sys.exit(f"gguf-edit: key '{key}' is not an integer")
        struct.pack_into(SCALARS[vtype], data, at, int(value))
    for edit in a.rename:
        key, new = edit.split("=", 1)
        if key not in kv or len(new.encode()) != len(key.encode()):
            sys.exit(f"gguf-edit: no key '{key}', or '{new}' is not as long")
        start = kv[key][0]
        data[start + 8:start + 8 + len(key)] = new.encode()
    for edit in a.rename_tensor:
        name, new = edit.split("=", 1)
        if name not in tensors or len(new.encode()) != len(name.encode()):
            sys.exit(f"gguf-edit: no tensor '{name}', or '{new}' is not as "
                     "long")
        start = tensors[name]
        data[start + 8:start + 8 + len(name)] = new.encode()
    with open(a.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
