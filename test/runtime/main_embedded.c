/* ingot-fake-chat: the fake model with its weights embedded. */
#include "test/runtime/fake_model.h"

const ingot_model_desc *const ingot_main_model = &ingot_fake_model;
