/* Compile-matrix unit: system headers first, then mp.h with the implementation (what a user
   who defines MP_MALLOC does). Compiles, or stops at once with mp.h's one #error that says
   what to do; with -D_GNU_SOURCE it compiles everywhere. Also compiled as C++. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define MP_MALLOC(size)     malloc(size)
#define MP_REALLOC(p, size) realloc(p, size)
#define MP_FREE(p)          free(p)
#define MP_IMPLEMENTATION
#include "../mp.h"

int compile_order_use(void);
int compile_order_use(void) {
    return mp_cpu_count() + (int)strlen(mp_strerror(MP_OK)) + (mp_monotonic() > 0);
}
