/* ingot-fake-chat-gpu: the hand-written GPU model (gpu_model.h). */
#include "test/runtime/gpu_model.h"

const ingot_model_desc *const ingot_main_model = &ingot_gpu_fake_model;
