# find_package(mp CONFIG): the header-only target mp::mp (mp.h, and the thread library on
# POSIX). Installed as <prefix>/share/cmake/mp/mpConfig.cmake by `make install` and by
# `cmake --install`; it finds the header relative to itself, so the prefix can move.
include(CMakeFindDependencyMacro)
if(NOT WIN32)
  set(THREADS_PREFER_PTHREAD_FLAG ON)
  find_dependency(Threads)
endif()
get_filename_component(_mp_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET mp::mp)
  add_library(mp::mp INTERFACE IMPORTED)
  set_target_properties(mp::mp PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_mp_prefix}/include")
  if(NOT WIN32)
    set_target_properties(mp::mp PROPERTIES INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
endif()
set(mp_INCLUDE_DIR "${_mp_prefix}/include")
unset(_mp_prefix)
