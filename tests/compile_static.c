/* Compile-matrix unit: MP_STATIC, linked beside compile_c.c, which has a second, extern
   implementation: the static one must neither clash nor warn about what it does not use. */
#define MP_STATIC
#define MP_IMPLEMENTATION
#include "../mp.h"

int compile_c_use(void);
int main(void) {
    (void)compile_c_use;
    return mp_cpu_count() > 0 ? 0 : 1;
}
