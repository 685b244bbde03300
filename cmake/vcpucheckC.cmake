# C code under the checker: kernel-style C compiled with GCC's ThreadSanitizer instrumentation
# only (the hooks are vcpucheck's runtime, vcpucheck_c: sim/c/), against vcpucheck's kernel shim
# headers (sim/c/shim: linux/mutex.h, linux/slab.h, ...; vcpucheck/c.h).
#
# Used by vcpucheck's own build (models/c) and installed with the package:
#
#   vcpucheck_c_sources(<target> <file.c>...)
#       compiles the C files into <target> (a model library with a C++ harness) with the
#       instrumentation, the shim headers first on the include path, line tables, and source
#       paths relative to the model's source root; links the runtime.
#   vcpucheck_add_c_model(<name> SOURCES <file.c>... HARNESS <harness.cpp>...)
#       a model library loaded with `vcpucheck --load lib<name>.so`: the harness registers the
#       model (vcpucheck_register_models) and its operations call the C entry points.
#
# The project must enable C (`project(x LANGUAGES C CXX)`).

# -fvisibility=hidden: a model's C functions stay its own (two models' vm_create in two libraries
# would otherwise resolve to whichever was loaded first).
set(VCPUCHECK_C_FLAGS -fsanitize=thread --param=tsan-distinguish-volatile=1 -g -O1 -fno-omit-frame-pointer
    -fvisibility=hidden -Wno-tsan)

function(vcpucheck_c_sources target)
  if(NOT CMAKE_C_COMPILER_LOADED)
    message(FATAL_ERROR "vcpucheck_c_sources: enable C in the project (project(... LANGUAGES C CXX))")
  endif()
  set(flags ${VCPUCHECK_C_FLAGS})
  # A sanitizer build of the harness: the C code keeps only the TSan instrumentation (the
  # sanitizers cannot be combined).
  list(APPEND flags -fno-sanitize=address,undefined)
  foreach(src IN LISTS ARGN)
    get_filename_component(abs ${src} ABSOLUTE)
    target_sources(${target} PRIVATE ${abs})
    set_source_files_properties(${abs} TARGET_DIRECTORY ${target} PROPERTIES
      COMPILE_OPTIONS "${flags};-ffile-prefix-map=${VCPUCHECK_C_SOURCE_ROOT}/="
      INCLUDE_DIRECTORIES "${VCPUCHECK_C_SHIM_DIR}/linux;${VCPUCHECK_C_SHIM_DIR}/freebsd;${VCPUCHECK_C_SHIM_DIR}")
  endforeach()
  target_link_libraries(${target} PRIVATE ${VCPUCHECK_C_RUNTIME})
endfunction()

function(vcpucheck_add_c_model name)
  cmake_parse_arguments(PARSE_ARGV 1 M "" "" "SOURCES;HARNESS")
  if(M_UNPARSED_ARGUMENTS OR NOT M_SOURCES OR NOT M_HARNESS)
    message(FATAL_ERROR "vcpucheck_add_c_model(<name> SOURCES <file.c>... HARNESS <file.cpp>...)")
  endif()
  add_library(${name} MODULE ${M_HARNESS})
  target_link_libraries(${name} PRIVATE vcpucheck::vcpucheck_models)
  vcpucheck_c_sources(${name} ${M_SOURCES})
endfunction()
