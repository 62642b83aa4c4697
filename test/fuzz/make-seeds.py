#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz corpora: test/fuzz/corpus/<target>/seed-*.

Seeds are small valid files, copied or shrunk from test/fixtures, plus
hand-made files that reach every branch of a valid parse. Standard library
only; run from anywhere:

    python3 test/fuzz/make-seeds.py

It rewrites only files named seed-*; inputs found by fuzzing (named by their
sha1, as libFuzzer names them) are left alone.
"""

import json
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT / "test" / "fixtures"
CORPUS = HERE / "corpus"

# --------------------------------------------------------------------------
# GGUF
# --------------------------------------------------------------------------

# Value type ids.
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i",
              F32: "<f", BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}

# ggml type id -> (block elements, block bytes).
GGML = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22),
        7: (32, 24), 8: (32, 34), 12: (256, 144), 13: (256, 176),
        14: (256, 210), 30: (1, 2)}


def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype, value):
    """The bytes of a value of type `vtype`. Arrays are (element type, list)."""
    if vtype == STR:
        return gguf_string(value)
    if vtype == ARR:
        etype, items = value
        out = struct.pack("<IQ", etype, len(items))
        for item in items:
            out += gguf_value(etype, item)
        return out
    return struct.pack(SCALAR_FMT[vtype], value)


def gguf_file(metadata, tensors, version=3, alignment=32):
    """metadata: [(key, type, value)]; tensors: [(name, dims, ggml type,
    data bytes)]. Lays the data out aligned, in order."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, vtype, value in metadata:
        out += gguf_string(key) + struct.pack("<I", vtype)
        out += gguf_value(vtype, value)
    offset = 0
    layout = []
    for name, dims, gtype, data in tensors:
        offset = (offset + alignment - 1) // alignment * alignment
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", gtype, offset)
        layout.append((offset, data))
        offset += len(data)
    out += b"\0" * (-len(out) % alignment)
    section = bytearray()
    for offset, data in layout:
        section += b"\0" * (offset - len(section))
        section += data
    return out + bytes(section)


class GGUFRead:
    """Just enough of a GGUF parser to shrink the fixture models."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n]
        self.pos += n
        return s

    def value(self, vtype):
        if vtype == STR:
            return self.string()
        if vtype == ARR:
            etype, n = self.take("<I"), self.take("<Q")
            return (etype, [self.value(etype) for _ in range(n)])
        return self.take(SCALAR_FMT[vtype])

    def parse(self):
        assert self.data[:4] == b"GGUF"
        self.pos = 4
        version, ntensors, nmeta = (self.take("<I"), self.take("<Q"),
                                    self.take("<Q"))
        meta = []
        for _ in range(nmeta):
            key = self.string()
            vtype = self.take("<I")
            meta.append((key, vtype, self.value(vtype)))
        tensors = []
        for _ in range(ntensors):
            name = self.string()
            dims = [self.take("<Q") for _ in range(self.take("<I"))]
            tensors.append((name, dims, self.take("<I"), self.take("<Q")))
        return version, meta, tensors


def shrink_gguf(path, max_array=8, max_tensors=6):
    """The model at `path` with every metadata array cut to `max_array`
    elements and its first tensors of each type reduced to one block row
    (their first bytes), the rest dropped."""
    data = path.read_bytes()
    version, meta, tensors = GGUFRead(data).parse()
    meta = [(k, t, (v[0], v[1][:max_array]) if t == ARR else v)
            for k, t, v in meta]
    alignment = 32  # The fixtures have no general.alignment.
    # The data section starts after the infos, aligned.
    reader = GGUFRead(data)
    reader.parse()
    data_start = (reader.pos + alignment - 1) // alignment * alignment
    kept, seen = [], set()
    for name, dims, gtype, offset in tensors:
        if len(kept) == max_tensors:
            break
        key = (gtype, len(dims))
        if key in seen:
            continue
        seen.add(key)
        block, nbytes = GGML[gtype]
        new_dims = [block] + [1] * (len(dims) - 1)
        start = data_start + offset
        kept.append((name, new_dims, gtype, data[start:start + nbytes]))
    return gguf_file(meta, kept, version=version)


def gguf_seeds():
    seeds = {}
    seeds["all-types.gguf"] = (FIXTURES / "gguf" /
                               "all-types.gguf").read_bytes()
    for model, kind in [("llama", "q4_0"), ("llama", "q8_0"),
                        ("qwen2_moe", "f16"), ("olmoe", "f32")]:
        path = FIXTURES / "models" / model / f"model-{kind}.gguf"
        seeds[f"{model}-{kind}.gguf"] = shrink_gguf(path)

    # Every value type, scalar and array, and nested arrays.
    every = [
        ("general.architecture", STR, "llama"),
        ("u8", U8, 200), ("i8", I8, -100), ("u16", U16, 60000),
        ("i16", I16, -30000), ("u32", U32, 4000000000), ("i32", I32, -2 ** 31),
        ("f32", F32, 1.5), ("bool", BOOL, 1), ("u64", U64, 2 ** 64 - 1),
        ("i64", I64, -2 ** 63), ("f64", F64, -0.25),
        ("a.u8", ARR, (U8, [1, 2, 3])), ("a.i8", ARR, (I8, [-1, 2])),
        ("a.u16", ARR, (U16, [1])), ("a.i16", ARR, (I16, [-1])),
        ("a.u32", ARR, (U32, [7])), ("a.i32", ARR, (I32, [-7, 7])),
        ("a.f32", ARR, (F32, [0.5, 2.0])), ("a.bool", ARR, (BOOL, [0, 1])),
        ("a.str", ARR, (STR, ["a", "", "\u00e9"])),
        ("a.u64", ARR, (U64, [2 ** 63])), ("a.i64", ARR, (I64, [-3])),
        ("a.f64", ARR, (F64, [1e300])), ("a.empty", ARR, (U32, [])),
        ("a.nested", ARR, (ARR, [(I32, [1, 2]), (STR, ["x"]),
                                 (ARR, [(F32, [1.0])])])),
    ]
    seeds["every-value-type.gguf"] = gguf_file(every, [])

    # One tensor of every supported type, one block each (random-ish bytes).
    tensors = []
    for gtype, (block, nbytes) in sorted(GGML.items()):
        data = bytes((i * 37 + gtype) % 251 for i in range(nbytes * 2))
        tensors.append((f"t.{gtype}", [block, 2], gtype, data))
    seeds["every-ggml-type.gguf"] = gguf_file(
        [("general.architecture", STR, "llama")], tensors)

    seeds["v2-align64.gguf"] = gguf_file(
        [("general.alignment", U32, 64)],
        [("w", [4, 2, 1, 1], 0, bytes(32)), ("b", [32], 8, bytes(34))],
        version=2, alignment=64)
    # Rejected: arrays nested one level deeper than the reader accepts (16).
    nested = (U8, [1])
    for _ in range(17):
        nested = (ARR, [nested])
    seeds["too-deep-array.gguf"] = gguf_file([("deep", ARR, nested)], [])
    seeds["empty.gguf"] = gguf_file([], [])
    seeds["no-padding.gguf"] = b"GGUF" + struct.pack("<IQQ", 3, 0, 0)
    return seeds


# --------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------

DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1,
          "F8_E5M2": 1, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8,
          "U32": 4, "U16": 2, "U8": 1, "BOOL": 1}


def safetensors_file(tensors, metadata=None, pad=0):
    """tensors: [(name, dtype, shape)]; the data is a counting pattern."""
    header, data = {}, bytearray()
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape in tensors:
        n = DTYPES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + n]}
        data += bytes(i % 2 for i in range(n))
    text = json.dumps(header, separators=(",", ":")).encode() + b" " * pad
    return struct.pack("<Q", len(text)) + text + bytes(data)


def shrink_safetensors(path):
    """The checkpoint's header, every tensor kept with its name and dtype
    but shape [2, 2] (or [2] for 1-D), metadata kept."""
    data = path.read_bytes()
    (n,) = struct.unpack_from("<Q", data)
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", None)
    tensors = [(name, entry["dtype"], [2, 2] if len(entry["shape"]) > 1 else
                [2]) for name, entry in sorted(header.items())]
    return safetensors_file(tensors, metadata)


def safetensors_seeds():
    seeds = {}
    fixtures = FIXTURES / "safetensors"
    seeds["single.safetensors"] = (fixtures / "single.safetensors").read_bytes()
    for shard in sorted((fixtures / "sharded").glob("*.safetensors")):
        seeds[shard.name] = shard.read_bytes()
    seeds["llama.safetensors"] = shrink_safetensors(
        FIXTURES / "models" / "llama" / "model.safetensors")
    seeds["qwen2_moe.safetensors"] = shrink_safetensors(
        FIXTURES / "models" / "qwen2_moe" / "model.safetensors")
    seeds["every-dtype.safetensors"] = safetensors_file(
        [(f"t.{d.lower()}", d, [2, 3]) for d in DTYPES])
    seeds["scalar-empty-padded.safetensors"] = safetensors_file(
        [("scalar", "F32", []), ("empty", "BF16", [0, 5]),
         ("rank8", "U8", [1, 2, 1, 2, 1, 2, 1, 1])],
        metadata={"format": "pt", "note": "\u00e9\\\""}, pad=7)
    seeds["header-only.safetensors"] = safetensors_file([], metadata={})
    # Quantized linear layers (the fuzzer opens every `*.qweight` as GPTQ and
    # as AWQ): GPTQ with a g_idx (whose counting-pattern values are out of
    # range), GPTQ without, AWQ; 32 input and 8 output channels, one group.
    seeds["quantized.safetensors"] = safetensors_file(
        [("g.qweight", "I32", [4, 8]), ("g.qzeros", "I32", [1, 1]),
         ("g.scales", "F16", [1, 8]), ("g.g_idx", "I32", [32]),
         ("b.qweight", "I32", [4, 8]), ("b.qzeros", "I32", [1, 1]),
         ("b.scales", "BF16", [1, 8]),
         ("a.qweight", "I32", [32, 1]), ("a.qzeros", "I32", [1, 1]),
         ("a.scales", "F32", [1, 8])])

    # Headers the reader rejects, one error path each.
    def raw(header):
        text = header.encode()
        return struct.pack("<Q", len(text)) + text
    entry = '"dtype":"F32","data_offsets":[0,0]'
    for name, header in [
        ("metadata-not-object", '{"__metadata__":[1]}'),
        ("dtype-not-string",
         '{"t":{"dtype":4,"shape":[],"data_offsets":[0,4]}}'),
        ("rank-33", '{"t":{%s,"shape":[%s]}}' % (entry, ",".join(["1"] * 33))),
        ("dim-too-large", '{"t":{%s,"shape":[9223372036854775808]}}' % entry),
        ("elements-overflow",
         '{"t":{%s,"shape":[4294967296,4294967296]}}' % entry),
        ("bytes-overflow", '{"t":{%s,"shape":[4611686018427387904]}}' % entry),
    ]:
        seeds[f"reject-{name}.safetensors"] = raw(header)
    return seeds


# --------------------------------------------------------------------------
# config.json
# --------------------------------------------------------------------------


def config_seeds():
    seeds = {}
    models = FIXTURES / "models"
    for model in ["llama", "llama3", "mistral", "mixtral", "olmoe", "qwen2",
                  "qwen2_moe", "qwen3", "qwen3_moe"]:
        seeds[f"{model}-config.json"] = (models / model /
                                         "config.json").read_bytes()
    for name in ["generation_config.json", "tokenizer_config.json"]:
        seeds[f"llama-{name}"] = (models / "llama" / name).read_bytes()
    seeds["index.json"] = (FIXTURES / "safetensors" / "sharded" /
                           "model.safetensors.index.json").read_bytes()
    for model in ["llama-gptq", "llama-awq"]:
        seeds[f"{model}-config.json"] = (FIXTURES / "quantized" / model /
                                         "config.json").read_bytes()

    # Shapes the getters treat specially.
    seeds["variants.json"] = json.dumps({
        "hidden_size": 4096.0, "num_hidden_layers": -3,
        "vocab_size": 18446744073709551615, "rms_norm_eps": 1e-300,
        "rope_theta": None, "eos_token_id": [1, 2, 3], "bos_token_id": 0,
        "pad_token_id": None, "tie_word_embeddings": False,
        "architectures": ["LlamaForCausalLM", 3],
        "rope_scaling": {"rope_type": "yarn", "factor": 4,
                         "original_max_position_embeddings": 8192,
                         "beta_fast": 32.0, "mscale": [1, 2.5]},
        "text_config": {"hidden_size": 64, "rope_parameters": {
            "rope_theta": 1e6, "rope_type": "default"}},
        "escaped\u00e9\ud83d\ude00": "\u0000tab\t",
    }, indent=1).encode()
    seeds["numbers.json"] = (b'{"a": 1e999, "b": -1e999, "c": -0.0, '
                             b'"d": 9223372036854775807, '
                             b'"e": 9223372036854775808, '
                             b'"f": -9223372036854775808, '
                             b'"g": 9.223372036854775807e18, "h": 0.5e-400, '
                             b'"i": [-1.0, 2.5, 1E2], "j": true}')
    seeds["duplicate-keys.json"] = (b'{"a": 1, "b": {"x": 1, "x": 2}, '
                                    b'"a": "two", "\\u0061": 3}')
    seeds["deep.json"] = (b'{"a":' * 60) + b"{}" + (b"}" * 60)
    return seeds


def main():
    for target, seeds in [("gguf", gguf_seeds()),
                          ("safetensors", safetensors_seeds()),
                          ("config", config_seeds())]:
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("seed-*"):
            old.unlink()
        for name, data in seeds.items():
            (directory / f"seed-{name}").write_bytes(data)
        print(f"{target}: {len(seeds)} seeds, "
              f"{sum(len(d) for d in seeds.values())} bytes")


if __name__ == "__main__":
    main()
