/* Compile-matrix unit: <windows.h> included after mp.h. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <windows.h>

int compile_win_use(void);
int compile_win_use(void) {
    return (int)GetCurrentProcessId() + mp_cpu_count();
}
