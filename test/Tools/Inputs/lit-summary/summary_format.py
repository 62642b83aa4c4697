"""The test format of the lit-summary.test input suite (a module of its own
so that lit's worker processes can unpickle it)."""
import os

import lit.formats
import lit.Test


class Format(lit.formats.ShTest):
    """*.test files are shell tests; a *.skip file reports lit's SKIPPED
    code, which is what the GoogleTest format gives a GTEST_SKIP."""

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        source = testSuite.getSourcePath(path_in_suite)
        for name in sorted(os.listdir(source)):
            if name.endswith((".test", ".skip")):
                yield lit.Test.Test(testSuite, path_in_suite + (name,), localConfig)

    def execute(self, test, litConfig):
        if test.getSourcePath().endswith(".skip"):
            return lit.Test.Result(lit.Test.SKIPPED, "skipped by the test")
        return super().execute(test, litConfig)
