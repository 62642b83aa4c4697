# The layering the tree promises, written where tests can read it: for each
# library named, every library it links, directly or through others, one
# name a line, sorted (<build>/layering/<target>.links). A lit test
# (test/Tools/layering-links.test) fails when a library the target must
# not link shows up there.

# Appends to ${out} the targets and libraries `target` links, transitively.
function(_ingot_link_closure target out)
  set(seen ${${out}})
  get_target_property(imported ${target} IMPORTED)
  if(imported)
    get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
  else()
    get_target_property(libs ${target} LINK_LIBRARIES)
  endif()
  if(NOT libs)
    return()
  endif()
  foreach(lib ${libs})
    # Only a library's own name (no generator expressions, no flags).
    if(lib MATCHES "^\\$<" OR lib MATCHES "^-")
      continue()
    endif()
    if(lib IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${lib})
    if(TARGET ${lib})
      _ingot_link_closure(${lib} seen)
    endif()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# Writes <build>/layering/<target>.links for each target given.
function(ingot_write_link_closures)
  foreach(target ${ARGN})
    set(closure)
    _ingot_link_closure(${target} closure)
    list(SORT closure)
    list(JOIN closure "\n" text)
    file(WRITE ${PROJECT_BINARY_DIR}/layering/${target}.links "${text}\n")
  endforeach()
endfunction()
