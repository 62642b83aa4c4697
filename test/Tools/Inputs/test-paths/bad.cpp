// Inputs of test-paths.test: a unit test reading a fixed path.
const char *path = "/work/models/x.gguf";
