# Install rules (docs/install.md): headers under include/physcnn/, the libraries, the `physcnn`
# command, a CMake package (find_package(physcnn) -> physcnn::physcnn and physcnn::<folder>), a
# pkg-config file, and `cpack -G DEB`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(physcnn_libs GLOBAL PROPERTY PHYSCNN_LIBRARIES)
# physcnn::physcnn: every library of the engine (what the `physcnn` command links, minus the CLI).
add_library(physcnn_all INTERFACE)
add_library(physcnn::physcnn ALIAS physcnn_all)
target_link_libraries(physcnn_all INTERFACE ${physcnn_libs})
set_target_properties(physcnn_all PROPERTIES EXPORT_NAME physcnn)

install(TARGETS ${physcnn_libs} physcnn_all EXPORT physcnnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(BUILD_SHARED_LIBS)
  # Each library finds the ones it links beside itself (RUNPATH is not inherited).
  set_target_properties(physcnn PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  set_target_properties(${physcnn_libs} PROPERTIES INSTALL_RPATH "$ORIGIN")
endif()
install(TARGETS physcnn RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/physcnn
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.inc" PATTERN "cli" EXCLUDE)
install(EXPORT physcnnTargets NAMESPACE physcnn:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/physcnn)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/physcnnConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/physcnnConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/physcnn)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/physcnnConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/physcnnConfig.cmake ${CMAKE_BINARY_DIR}/physcnnConfigVersion.cmake
              ${CMAKE_SOURCE_DIR}/cmake/FindFastJet.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/physcnn)

# pkg-config: the libraries in link order (dependents first), then what they link.
set(PHYSCNN_PC_LIBS "")
list(REVERSE physcnn_libs)
foreach(lib ${physcnn_libs})
  string(APPEND PHYSCNN_PC_LIBS " -l${lib}")
endforeach()
# physcnn_dist's MPI library (full paths, as FindMPI gives them) when built with MPI.
if(PHYSCNN_MPI)
  foreach(lib ${MPI_C_LIBRARIES})
    string(APPEND PHYSCNN_PC_LIBS " ${lib}")
  endforeach()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/physcnn.pc.in ${CMAKE_BINARY_DIR}/physcnn.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/physcnn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB: one package with the command, the libraries and the headers; it depends on the
# Debian -dev packages the headers and the package config use (they pull in the runtime ones).
set(CPACK_PACKAGE_NAME physcnn)
set(CPACK_PACKAGE_VENDOR physcnn)
set(CPACK_PACKAGE_CONTACT "physcnn maintainers <physcnn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CNNs on physics data: C++20 library and the physcnn command")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libdnnl-dev, ocl-icd-opencl-dev, libhdf5-dev, zlib1g-dev, libcairo2-dev, nlohmann-json3-dev, libtomlplusplus-dev, libonnx-dev, libprotobuf-dev, libfastjet-dev, pkg-config")
include(CPack)
