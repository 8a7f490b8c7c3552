/* A small program built against an installed or vendored mp.h (tests/consumer/CMakeLists.txt,
   or pkg-config: cc $(pkg-config --cflags mp) main.c other.c $(pkg-config --libs mp)).
   Runs a process under fork and spawn, a queue and a pool; prints "consumer: ok". */
#define MP_IMPLEMENTATION
#include <mp.h>

#include <stdio.h>
#include <string.h>

int other_square(int x); /* other.c: a second file that includes mp.h without the implementation */

static int greet(void *arg, size_t size) {
    return size == 6 && strcmp((const char *)arg, "hello") == 0 ? 0 : 1;
}
static int square(const void *arg, size_t size, mp_task_out *out) {
    int x;
    if (size != sizeof x) return 1;
    memcpy(&x, arg, sizeof x);
    x = other_square(x);
    return mp_task_return(out, &x, sizeof x);
}

int main(void) {
    int methods[2] = {MP_SPAWN, MP_FORK}, i, code = -1, x = 7;
    size_t size = 0;
    void *result = NULL;
    mp_pool *pool = NULL;
    mp_init();
    printf("consumer: mp.h %d.%d.%d\n", MP_VERSION_MAJOR, MP_VERSION_MINOR, MP_VERSION_PATCH);
    for (i = 0; i < 2; i++) {
        mp_process p;
        if (mp_set_start_method(methods[i]) != MP_OK) continue; /* Windows: spawn only */
        if (mp_process_init_str(&p, greet, "hello", NULL) != MP_OK ||
            mp_process_start(&p) != MP_OK || mp_process_join(&p, MP_FOREVER) != MP_OK ||
            mp_process_exitcode(&p, &code) != 1 || code != 0) {
            printf("consumer: process failed\n");
            return 1;
        }
        mp_process_close(&p);
    }
    if (mp_pool_new(&pool, 2, NULL) != MP_OK ||
        mp_pool_apply(pool, square, &x, sizeof x, &result, &size) != MP_OK || size != sizeof x ||
        *(const int *)result != 49) {
        printf("consumer: pool failed\n");
        return 1;
    }
    mp_free(result);
    mp_pool_free(pool);
    printf("consumer: ok\n");
    return 0;
}
