# The unit suite: every GoogleTest binary in this build directory.
import lit.formats

config.name = "Ingot-Unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = config.ingot_unit_dir
config.test_exec_root = config.ingot_unit_dir

# The real model for the tests that use it (RuntimeTokenizerTest's
# SmolLM2FromRealGGUF), found as the lit suite finds it; without it those
# tests skip themselves.
import os
import sys
sys.path.insert(0, os.path.join(config.ingot_src_root, "test"))
import smollm2
smollm2_path = smollm2.find_smollm2(config.ingot_src_root)
config.environment["INGOT_SMOLLM2_GGUF"] = smollm2_path or ""
