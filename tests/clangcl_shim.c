/* Linked into the clang-cl + lld-link build of the suite (tests/run_all.sh), which uses the
   mingw-w64 C runtime and import libraries in place of the MSVC ones: the one symbol an
   MSVC-target object expects from the MSVC runtime that mingw-w64's does not define. */
int _fltused = 0;
