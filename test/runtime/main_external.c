/* ingot-fake-chat-ext: the fake model with its weights in
 * INGOT_FAKE_WEIGHTS_FILE. */
#include "test/runtime/fake_model.h"

const ingot_model_desc *const ingot_main_model = &ingot_fake_model_external;
