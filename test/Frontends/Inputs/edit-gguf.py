#!/usr/bin/env python3
"""Writes a copy of a GGUF file with some metadata changed, for tests of
malformed models that would be wasteful to keep in the repository.

    edit-gguf.py IN OUT [EDIT...]

Each EDIT is one of:
    set:KEY=VALUE        give KEY (which must exist) VALUE, in its own type
    setstr:KEY=TEXT      make KEY (new or not) the string TEXT
    setf32:KEY=NUMBER    make KEY (new or not) the float32 NUMBER
    drop:KEY             remove KEY
    tokens:+N            append N tokens (and token types) to the vocabulary
    tokens:-N            remove the last N tokens (and token types)
    tokens:nested        make tokenizer.ggml.tokens an array of arrays

Only the metadata changes: tensor infos and data are copied as they are
(tensor offsets count from the data section, which is realigned).
No dependencies beyond Python 3.
"""

import struct
import sys

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, \
    UINT64, INT64, FLOAT64 = range(13)
SCALAR = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I",
          INT32: "<i", FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q",
          FLOAT64: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take("<Q")
        text = self.data[self.pos:self.pos + n]
        self.pos += n
        return text

    def value(self, vtype):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype, n = self.take("<I"), self.take("<Q")
            return (etype, [self.value(etype) for _ in range(n)])
        return self.take(SCALAR[vtype])


def put_string(out, text):
    out += struct.pack("<Q", len(text)) + text


def put_value(out, vtype, value):
    if vtype == STRING:
        put_string(out, value)
    elif vtype == ARRAY:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        for item in items:
            put_value(out, etype, item)
    else:
        out += struct.pack(SCALAR[vtype], value)


def main():
    src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    data = open(src, "rb").read()
    r = Reader(data)
    assert r.take("<I") == 0x46554747, "not a GGUF file"
    version, ntensors, nkv = r.take("<I"), r.take("<Q"), r.take("<Q")
    kv = {}
    for _ in range(nkv):
        key = r.string().decode()
        vtype = r.take("<I")
        kv[key] = [vtype, r.value(vtype)]
    infos_start = r.pos
    for _ in range(ntensors):
        r.string()
        ndims = r.take("<I")
        r.pos += 8 * ndims + 4 + 8
    infos = data[infos_start:r.pos]
    align = kv.get("general.alignment", [UINT32, 32])[1]
    data_start = (r.pos + align - 1) // align * align
    tensor_data = data[data_start:]

    for edit in edits:
        op, arg = edit.split(":", 1)
        if op == "set":
            key, text = arg.split("=", 1)
            vtype = kv[key][0]
            kv[key][1] = float(text) if vtype in (FLOAT32, FLOAT64) \
                else int(text)
        elif op == "setf32":
            key, text = arg.split("=", 1)
            kv[key] = [FLOAT32, float(text)]
        elif op == "setstr":
            key, text = arg.split("=", 1)
            kv[key] = [STRING, text.encode()]
        elif op == "drop":
            del kv[arg]
        elif op == "tokens":
            tokens = kv["tokenizer.ggml.tokens"][1][1]
            types = kv.get("tokenizer.ggml.token_type", [None, (0, [])])[1][1]
            if arg == "nested":
                kv["tokenizer.ggml.tokens"][1] = (
                    ARRAY, [(STRING, [t]) for t in tokens])
            elif arg.startswith("+"):
                for i in range(int(arg[1:])):
                    tokens.append(b"<extra_%d>" % i)
                    if types:
                        types.append(1)
            else:
                del tokens[len(tokens) - int(arg[1:]):]
                if types:
                    del types[len(types) - int(arg[1:]):]
        else:
            sys.exit("unknown edit " + edit)

    out = bytearray(struct.pack("<IIQQ", 0x46554747, version, ntensors,
                                len(kv)))
    for key, (vtype, value) in kv.items():
        put_string(out, key.encode())
        out += struct.pack("<I", vtype)
        put_value(out, vtype, value)
    out += infos
    out += b"\0" * ((align - len(out) % align) % align)
    out += tensor_data
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
