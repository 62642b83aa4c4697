# A suite for test/Tools/lit-summary.test: one file per lit result code
# (pass, fail, unsupported, expected failure, unexpected pass, skip).
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from summary_format import Format

config.name = "lit-summary-input"
config.test_format = Format(True)
config.suffixes = [".test", ".skip"]
config.test_source_root = os.path.dirname(__file__)
# Outside the source tree: lit makes Output/ folders in the exec root.
config.test_exec_root = lit_config.params["exec_root"]
