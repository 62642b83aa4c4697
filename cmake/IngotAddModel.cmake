# ingot_add_model: a model compiled by ingotc as a static library target.
#
#   ingot_add_model(<target> MODEL <path>
#                   [TARGET host|cpu:NAME|cuda:sm_XX[,sm_YY...]]
#                   [QUANTIZE <encoding> [REQUANTIZE]]
#                   [KV_CACHE <spec>] [MOE_ROUTING <rule>] [CTX <n>]
#                   [WEIGHTS embed|external] [NAME <identifier>]
#                   [EXTRA_ARGS <ingotc arguments...>])
#
# Runs `ingotc <path> --emit=lib` at build time into
# ${CMAKE_CURRENT_BINARY_DIR}/ingot/<target>/: lib<NAME>.a (the model, its
# kernels and the runtime) and <NAME>.h, which declares
# `extern const ingot_model_desc ingot_model_<NAME>;` (NAME defaults to
# <target>, with characters other than letters, digits and _ made _).
# <target> is an imported static library with that directory and
# INGOT_INCLUDE_DIR on its include path and -lm, threads and -ldl on its
# link line. With WEIGHTS external the weights go to lib<NAME>.a.weights,
# which the application finds beside itself or is given at run time.
# QUANTIZE converts the model's float weight matrices; those the model file
# stores quantized already are kept (ingotc warns at build time) unless
# REQUANTIZE is given too (ingotc --requantize).
#
# The command writes a depfile (ingotc -MD -MF): the model is compiled again
# when a file of the model (shards, config and tokenizer files), ingotc, or
# the options change, and not otherwise. Needs CMake 3.20 and a Ninja or
# Makefile generator.

if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "ingot_add_model needs CMake 3.20 (DEPFILE)")
endif()
# The function runs under the policies of its definition: 3.20 rewrites
# the depfile's paths for Ninja (CMP0116).
cmake_policy(PUSH)
cmake_policy(VERSION 3.20)

function(ingot_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "REQUANTIZE"
    "MODEL;TARGET;QUANTIZE;KV_CACHE;MOE_ROUTING;CTX;WEIGHTS;NAME"
    "EXTRA_ARGS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "ingot_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "ingot_add_model(${target}): MODEL <path> is required")
  endif()
  if(NOT INGOT_COMPILER)
    message(FATAL_ERROR
      "ingot_add_model(${target}): INGOT_COMPILER is not set (find_package(Ingot))")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
    BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "ingot_add_model(${target}): no model at ${model}")
  endif()
  if(ARG_NAME)
    set(name "${ARG_NAME}")
  else()
    string(MAKE_C_IDENTIFIER "${target}" name)
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/ingot/${target}")
  set(lib "${dir}/lib${name}.a")
  set(header "${dir}/${name}.h")
  set(depfile "${dir}/${name}.d")
  file(MAKE_DIRECTORY "${dir}")

  set(args --emit=lib "--name=${name}")
  if(ARG_TARGET)
    list(APPEND args "--target=${ARG_TARGET}")
  endif()
  if(ARG_QUANTIZE)
    list(APPEND args "--quantize=${ARG_QUANTIZE}")
  endif()
  if(ARG_REQUANTIZE)
    if(NOT ARG_QUANTIZE)
      message(FATAL_ERROR
        "ingot_add_model(${target}): REQUANTIZE needs QUANTIZE <encoding>")
    endif()
    list(APPEND args --requantize)
  endif()
  if(ARG_KV_CACHE)
    list(APPEND args "--kv-cache=${ARG_KV_CACHE}")
  endif()
  if(ARG_MOE_ROUTING)
    list(APPEND args "--moe-routing=${ARG_MOE_ROUTING}")
  endif()
  if(ARG_CTX)
    list(APPEND args "--ctx=${ARG_CTX}")
  endif()
  set(outputs "${lib}" "${header}")
  if(ARG_WEIGHTS)
    list(APPEND args "--weights=${ARG_WEIGHTS}")
    if(ARG_WEIGHTS STREQUAL "external")
      list(APPEND outputs "${lib}.weights")
    endif()
  endif()
  list(APPEND args ${ARG_EXTRA_ARGS})

  # The options in a file rewritten only when they change: a dependency
  # that recompiles on a new flag with Makefiles too (Ninja also compares
  # the command line).
  string(REPLACE ";" "\n" flags "${INGOT_COMPILER}\n${model}\n${args}")
  file(CONFIGURE OUTPUT "${dir}/${name}.flags" CONTENT "${flags}\n" @ONLY)

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${INGOT_COMPILER}" "${model}" ${args} -o "${lib}"
      -MD -MF "${depfile}" -MT "${lib}"
    DEPENDS "${model}" "${INGOT_COMPILER}" "${dir}/${name}.flags"
    DEPFILE "${depfile}"
    COMMENT "Compiling model ${ARG_MODEL} with ingotc"
    VERBATIM)
  add_custom_target(${target}_ingotc DEPENDS ${outputs})

  add_library(${target} STATIC IMPORTED GLOBAL)
  find_package(Threads REQUIRED)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${lib}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir};${INGOT_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "m;Threads::Threads;${CMAKE_DL_LIBS}")
  add_dependencies(${target} ${target}_ingotc)
endfunction()
cmake_policy(POP)
