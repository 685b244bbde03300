# Guest programs: GNU-as sources assembled for the emulated machine, linked flat at their load
# address, and embedded in C++ with their line tables (scripts/embed_guest.py), so a report names
# the guest instruction and source line behind every visible operation.
#
# Used by vcpucheck's own build (sim/CMakeLists.txt, the builtin programs) and installed with the
# package, where it gives a plugin
#
#   vcpucheck_add_guest_program(<target> <file.S> [NAME <name>] [BASE <address>] [DEFINE <symbol>...]
#                               [INCLUDE_DIRS <dir>...])
#
# which assembles file.S (32-bit GNU as; `.include "guest.inc"` finds the machine's memory map)
# and adds it to <target>, a model library: loading the library registers the program under
# <name> (default: the file's stem), and a MachineConfig names it as bsp_program or ap_program.
# BASE is the load address (default 0x8000, the SIPI address of vector 0x08); the program starts
# there in real mode. DEFINE sets symbols to 1 (`.ifdef FENCED`), for variants of one source.

find_program(VCPUCHECK_GUEST_AS as REQUIRED)
find_program(VCPUCHECK_GUEST_LD ld REQUIRED)
find_program(VCPUCHECK_PYTHON3 python3 REQUIRED)

# Assembles and links one program; appends "name:base:bin:lst:shown-path" to the list variable
# <specs_var> (the arguments of embed_guest.py) and the outputs to <outputs_var>.
function(vcpucheck_assemble_guest name source base shown specs_var outputs_var)
  cmake_parse_arguments(PARSE_ARGV 6 G "" "" "DEFINE;INCLUDE_DIRS")
  set(defsyms)
  foreach(symbol IN LISTS G_DEFINE)
    list(APPEND defsyms --defsym ${symbol}=1)
  endforeach()
  set(includes)
  set(depends ${source})
  foreach(dir IN LISTS G_INCLUDE_DIRS)
    list(APPEND includes -I${dir})
    if(EXISTS ${dir}/guest.inc)
      list(APPEND depends ${dir}/guest.inc)
    endif()
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/vcpucheck_guest)
  add_custom_command(OUTPUT ${out}/${name}.bin ${out}/${name}.lst
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND ${VCPUCHECK_GUEST_AS} --32 ${defsyms} ${includes} -alm=${out}/${name}.lst -o ${out}/${name}.o ${source}
    COMMAND ${VCPUCHECK_GUEST_LD} -m elf_i386 -Ttext=${base} -e _start --oformat binary -o ${out}/${name}.bin ${out}/${name}.o
    DEPENDS ${depends}
    COMMENT "Assembling guest program ${name}" VERBATIM)
  set(${specs_var} ${${specs_var}} "${name}:${base}:${out}/${name}.bin:${out}/${name}.lst:${shown}" PARENT_SCOPE)
  set(${outputs_var} ${${outputs_var}} ${out}/${name}.bin ${out}/${name}.lst PARENT_SCOPE)
endfunction()

# Set by the installed package config: where the embedder and guest.inc were installed.
if(DEFINED VCPUCHECK_GUEST_SHARE_DIR)
  function(vcpucheck_add_guest_program target source)
    cmake_parse_arguments(PARSE_ARGV 2 G "" "NAME;BASE" "DEFINE;INCLUDE_DIRS")
    if(G_UNPARSED_ARGUMENTS)
      message(FATAL_ERROR "vcpucheck_add_guest_program: unknown arguments ${G_UNPARSED_ARGUMENTS}")
    endif()
    get_filename_component(abs ${source} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    if(NOT G_NAME)
      get_filename_component(G_NAME ${abs} NAME_WE)
    endif()
    if(NOT G_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_.-]*$")
      message(FATAL_ERROR "vcpucheck_add_guest_program: '${G_NAME}' is not a program name (letters, digits, _ . -)")
    endif()
    if(NOT G_BASE)
      set(G_BASE 0x8000)
    endif()
    # Shown in reports relative to the model's source root, like the model's own source lines.
    file(RELATIVE_PATH shown ${VCPUCHECK_MODEL_SOURCE_ROOT} ${abs})
    set(specs)
    set(outputs)
    vcpucheck_assemble_guest(${G_NAME} ${abs} ${G_BASE} ${shown} specs outputs
      DEFINE ${G_DEFINE} INCLUDE_DIRS ${dir} ${G_INCLUDE_DIRS} ${VCPUCHECK_GUEST_SHARE_DIR})
    set(cpp ${CMAKE_CURRENT_BINARY_DIR}/vcpucheck_guest/${G_NAME}.cpp)
    add_custom_command(OUTPUT ${cpp}
      COMMAND ${VCPUCHECK_PYTHON3} ${VCPUCHECK_GUEST_SHARE_DIR}/embed_guest.py --register ${cpp} ${specs}
      DEPENDS ${outputs} ${VCPUCHECK_GUEST_SHARE_DIR}/embed_guest.py
      COMMENT "Embedding guest program ${G_NAME}" VERBATIM)
    target_sources(${target} PRIVATE ${cpp})
  endfunction()
endif()
