/* ingot-fake-chat-holes: the fake model without tokens for 'h' and 'i'. */
#include "test/runtime/fake_model.h"

const ingot_model_desc *const ingot_main_model = &ingot_fake_model_holes;
