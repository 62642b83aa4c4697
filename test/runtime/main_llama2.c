/* ingot-fake-chat-llama2: the fake model with chat style llama2. */
#include "test/runtime/fake_model.h"

const ingot_model_desc *const ingot_main_model = &ingot_fake_model_llama2;
