# physcnn_library(NAME folder DEPS ...): a library of every .cpp under src/<folder>, static unless
# BUILD_SHARED_LIBS; exported (cmake/physcnn_install.cmake) as physcnn::NAME.
function(physcnn_library name folder)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${folder}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_library(physcnn_${name} ${sources})
  add_library(physcnn::${name} ALIAS physcnn_${name})
  # Headers are included as "core/error.hpp": src/ in the build, include/physcnn installed.
  target_include_directories(physcnn_${name} PUBLIC $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/src>
                                                    $<INSTALL_INTERFACE:include/physcnn>)
  target_compile_features(physcnn_${name} PUBLIC cxx_std_20)
  target_link_libraries(physcnn_${name} PUBLIC ${ARG_DEPS})
  set_target_properties(physcnn_${name} PROPERTIES EXPORT_NAME ${name})
  set_property(GLOBAL APPEND PROPERTY PHYSCNN_LIBRARIES physcnn_${name})
endfunction()
