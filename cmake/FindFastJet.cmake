# FindFastJet: FastJet (Debian's libfastjet-dev) as the imported target FastJet::FastJet.
# FastJet ships neither a CMake package nor a pkg-config file; its fastjet-config gives the
# prefix, else the usual search paths are tried. Sets FastJet_FOUND, FastJet_VERSION.
find_program(FASTJET_CONFIG fastjet-config)
set(_fastjet_hints "")
if(FASTJET_CONFIG)
  execute_process(COMMAND ${FASTJET_CONFIG} --prefix OUTPUT_VARIABLE _fastjet_prefix
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${FASTJET_CONFIG} --version OUTPUT_VARIABLE FastJet_VERSION
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  set(_fastjet_hints ${_fastjet_prefix})
endif()
find_path(FASTJET_INCLUDE_DIR fastjet/ClusterSequence.hh HINTS ${_fastjet_hints}
          PATH_SUFFIXES include)
find_library(FASTJET_LIBRARY fastjet HINTS ${_fastjet_hints} PATH_SUFFIXES lib)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FastJet REQUIRED_VARS FASTJET_LIBRARY FASTJET_INCLUDE_DIR
                                  VERSION_VAR FastJet_VERSION)
if(FastJet_FOUND AND NOT TARGET FastJet::FastJet)
  add_library(FastJet::FastJet UNKNOWN IMPORTED)
  set_target_properties(FastJet::FastJet PROPERTIES IMPORTED_LOCATION ${FASTJET_LIBRARY}
                        INTERFACE_INCLUDE_DIRECTORIES ${FASTJET_INCLUDE_DIR})
endif()
mark_as_advanced(FASTJET_CONFIG FASTJET_INCLUDE_DIR FASTJET_LIBRARY)
