# cmake/install.cmake — `cmake --install`, the pkg-config file, the CMake package,
# man pages, bash completion and the Debian package (cpack -G DEB). README, "Install".
#
# Installed layout (PREFIX = CMAKE_INSTALL_PREFIX, or /usr in the .deb):
#   bin/vmmsim (bin/vmmsim-mpi when built)
#   lib/vmmsim/lib*.a          the static libraries, in their own folder so that
#                              generic names (libengine.a, libvmm.a) claim nothing
#   include/vmmsim/M/M.h       one public header per module (vmm/ has two)
#   lib/pkgconfig/vmmsim.pc    and lib/cmake/vmmsim/ (find_package(vmmsim))
#   share/vmmsim/include       vmm.inc, vmm_services.inc, client.inc (scen/scen_asm.c finds them
#                              from the binary's own location)
#   share/vmmsim/scenarios     the bundled scenarios
#   share/vmmsim/schemas       the JSON Schemas of docs/schemas/
#   share/man/man1             vmmsim.1 and vmmsim-COMMAND.1
#   share/bash-completion/completions/vmmsim
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(VMMSIM_LIBDIR ${CMAKE_INSTALL_LIBDIR}/vmmsim)
set(VMMSIM_INCDIR ${CMAKE_INSTALL_INCLUDEDIR}/vmmsim)
set(VMMSIM_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vmmsim)

# The libraries an embedding program links, in link order, with the names their
# imported targets get (vmmsim::NAME) and their public headers.
set(VMMSIM_LIBS explore vmmsim_bench vmmsim_scen vmm engine cpu386)
set(VMMSIM_EXPORT_explore explore)
set(VMMSIM_EXPORT_vmmsim_bench bench)
set(VMMSIM_EXPORT_vmmsim_scen scen)
set(VMMSIM_EXPORT_vmm vmm)
set(VMMSIM_EXPORT_engine engine)
set(VMMSIM_EXPORT_cpu386 cpu386)
set(VMMSIM_HEADERS engine/engine.h cpu386/cpu386.h vmm/vmm.h vmm/vmm_trace.h scen/scen.h
    explore/explore.h bench/lib/bench.h)

# The modules name source folders as their usage requirements; an installed target
# names include/vmmsim instead. Done here so that each module's CMakeLists.txt keeps
# its plain form.
function(vmmsim_install_interface tgt)
  get_target_property(dirs ${tgt} INTERFACE_INCLUDE_DIRECTORIES)
  set(out "")
  foreach(d IN LISTS dirs)
    list(APPEND out "$<BUILD_INTERFACE:${d}>")
  endforeach()
  list(APPEND out "$<INSTALL_INTERFACE:${VMMSIM_INCDIR}>")
  set_target_properties(${tgt} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${out}"
                        EXPORT_NAME ${VMMSIM_EXPORT_${tgt}})
endfunction()
foreach(lib IN LISTS VMMSIM_LIBS)
  vmmsim_install_interface(${lib})
endforeach()

# vmmsim::vmmsim: everything an embedding program needs (explore/explore.h and below).
add_library(vmmsim_all INTERFACE)
set_target_properties(vmmsim_all PROPERTIES EXPORT_NAME vmmsim)
target_link_libraries(vmmsim_all INTERFACE explore vmmsim_bench)

set(VMMSIM_PROGRAMS vmmsim)
if(TARGET vmmsim-mpi)
  list(APPEND VMMSIM_PROGRAMS vmmsim-mpi)
endif()
install(TARGETS ${VMMSIM_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${VMMSIM_LIBS} vmmsim_all EXPORT vmmsimTargets
        ARCHIVE DESTINATION ${VMMSIM_LIBDIR})
foreach(h IN LISTS VMMSIM_HEADERS)
  get_filename_component(hdir ${h} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${h} DESTINATION ${VMMSIM_INCDIR}/${hdir})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/scenarios/include/vmm.inc
              ${PROJECT_SOURCE_DIR}/scenarios/include/vmm_services.inc
              ${PROJECT_SOURCE_DIR}/scenarios/include/client.inc
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vmmsim/include)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vmmsim/scenarios
        FILES_MATCHING PATTERN "*.yaml" PATTERN "README.md"
        PATTERN "golden" EXCLUDE PATTERN "include" EXCLUDE)
# JSON Schemas (the scenario format, ...), for editors that validate and complete.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vmmsim/schemas
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples/embed.c ${PROJECT_SOURCE_DIR}/examples/CMakeLists.txt
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The CMake package: vmmsimTargets.cmake, vmmsimConfig.cmake (which finds libuv,
# libyaml and xxhash the way this build does), vmmsimConfigVersion.cmake.
install(EXPORT vmmsimTargets NAMESPACE vmmsim:: DESTINATION ${VMMSIM_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/vmmsimConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/vmmsimConfig.cmake INSTALL_DESTINATION ${VMMSIM_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vmmsimConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vmmsimConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/vmmsimConfigVersion.cmake
        DESTINATION ${VMMSIM_CMAKEDIR})

# pkg-config: paths relative to ${pcfiledir}, so that a relocated prefix still works.
set(VMMSIM_PC_LIBS "")
foreach(lib IN LISTS VMMSIM_LIBS)
  string(APPEND VMMSIM_PC_LIBS " -l${lib}")
endforeach()
file(RELATIVE_PATH VMMSIM_PC_TO_PREFIX
     ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${CMAKE_CURRENT_LIST_DIR}/vmmsim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/vmmsim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vmmsim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages, generated from the commands' own --help texts (tools/gen-man), so that
# they cannot drift from the program.
set(VMMSIM_MAN_DIR ${CMAKE_BINARY_DIR}/man)
add_custom_command(OUTPUT ${VMMSIM_MAN_DIR}/vmmsim.1
  COMMAND ${PYTHON3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/gen-man
          $<TARGET_FILE:vmmsim> ${PROJECT_VERSION} ${VMMSIM_MAN_DIR}
  DEPENDS vmmsim ${PROJECT_SOURCE_DIR}/tools/gen-man
  COMMENT "Man pages from vmmsim's --help texts" VERBATIM)
add_custom_target(vmmsim_man ALL DEPENDS ${VMMSIM_MAN_DIR}/vmmsim.1)
install(DIRECTORY ${VMMSIM_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
install(FILES ${PROJECT_SOURCE_DIR}/tools/completion/vmmsim
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Every subcommand has a man page that groff renders without a warning.
add_test(NAME man_pages
  COMMAND ${PROJECT_SOURCE_DIR}/tools/check-man $<TARGET_FILE:vmmsim> ${VMMSIM_MAN_DIR})
# Install to a temporary prefix (with DESTDIR), run the installed vmmsim from a moved
# copy, build examples/embed.c with pkg-config and with find_package, compare hashes.
add_test(NAME install_embed
  COMMAND ${PROJECT_SOURCE_DIR}/tools/check-install ${CMAKE_BINARY_DIR} ${PROJECT_VERSION})
set_tests_properties(install_embed PROPERTIES TIMEOUT 300
  ENVIRONMENT "VMMSIM_EXTRA_CFLAGS=$<$<BOOL:${VMMSIM_SANITIZE}>:-fsanitize=address,undefined>")

# The Debian package: cpack -G DEB in the build folder -> vmmsim_VERSION_ARCH.deb.
set(CPACK_PACKAGE_NAME vmmsim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vmmsim developers <vmmsim@invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "deterministic cycle-level simulator of the Windows 3.1 VMM's callback scheduling")
set(CPACK_PACKAGE_DESCRIPTION
    "vmmsim runs VxD scenarios (YAML + NASM) on a simulated Windows 3.1 VMM and i386,\
 checks their expectations, fuzzes and shrinks schedules, and measures callback\
 latency. Includes the static libraries, headers, pkg-config and CMake files.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# dpkg-shlibdeps finds libc6, libuv1, libyaml-0-2 and libxxhash0 from the binaries;
# nasm is run, not linked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nasm")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libuv1-dev, libyaml-dev, libxxhash-dev, zlib1g-dev, pkg-config")
set(CPACK_GENERATOR DEB)
include(CPack)
