# The unit suite: every GoogleTest binary in this build directory.
import lit.formats

config.name = "Ingot-Unit"
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.test_source_root = config.ingot_unit_dir
config.test_exec_root = config.ingot_unit_dir
