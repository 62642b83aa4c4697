#!/usr/bin/env python3
"""Merges JSON into a copy of a Hugging Face config.json, for tests.

    edit-config.py CONFIG '{"key": value, ...}'

Each key of the second argument replaces (or adds) that key in CONFIG, which
is rewritten in place. Standard library only.
"""

import json
import sys

path, edits = sys.argv[1], json.loads(sys.argv[2])
with open(path) as f:
    config = json.load(f)
config.update(edits)
with open(path, "w") as f:
    json.dump(config, f, indent=2)
