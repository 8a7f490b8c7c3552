/* Forced first (-include) by the MSVC-target syntax checks of tests/run_all.sh: clang with
   --target=x86_64-pc-windows-msvc over the mingw-w64 headers, which expect gcc or cl.exe.
   Without __GNUC__ they erase __attribute__ (clang's own intrinsic headers need it) and put
   __declspec after declarators (cl.exe accepts that, clang does not): the attribute macros get
   the forms clang takes before clang's intrinsics are read. mp.h is not changed. */
#include <_mingw.h>
#undef __attribute__
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED __attribute__((__deprecated__))
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN __attribute__((__noreturn__))
#undef __MINGW_NOTHROW
#define __MINGW_NOTHROW __attribute__((__nothrow__))
#include <x86intrin.h>
/* mp.h's cl.exe atomics include <intrin.h>: clang's declares _setjmp unlike mingw-w64's. */
#include <setjmp.h>
#define _setjmp mp__prelude_setjmp
#include <intrin.h>
#undef _setjmp
/* C4996 under /sdl: what cl.exe deprecates (mingw-w64's own list, __MINGW_MSVC_COMPAT_WARNINGS,
   also takes memcpy and more): redeclared deprecated, so that -Werror fails on any use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#define MP__C4996 __attribute__((__deprecated__("C4996 under cl.exe /sdl")))
#ifdef __cplusplus
extern "C" {
#endif
char *__cdecl getenv(const char *) MP__C4996;
char *__cdecl strcpy(char *, const char *) MP__C4996;
char *__cdecl strcat(char *, const char *) MP__C4996;
char *__cdecl strncpy(char *, const char *, size_t) MP__C4996;
char *__cdecl strncat(char *, const char *, size_t) MP__C4996;
char *__cdecl strtok(char *, const char *) MP__C4996;
char *__cdecl strerror(int) MP__C4996;
FILE *__cdecl fopen(const char *, const char *) MP__C4996;
size_t __cdecl mbstowcs(wchar_t *, const char *, size_t) MP__C4996;
size_t __cdecl wcstombs(char *, const wchar_t *, size_t) MP__C4996;
wchar_t *__cdecl wcscpy(wchar_t *, const wchar_t *) MP__C4996;
wchar_t *__cdecl wcscat(wchar_t *, const wchar_t *) MP__C4996;
#ifdef __cplusplus
}
#endif
