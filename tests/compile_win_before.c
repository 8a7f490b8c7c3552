/* Compile-matrix unit: <windows.h> included before mp.h. */
#include <windows.h>
#define MP_IMPLEMENTATION
#include "../mp.h"

int compile_win_use(void);
int compile_win_use(void) {
    return (int)GetCurrentProcessId() + mp_cpu_count();
}
