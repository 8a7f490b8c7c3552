/* A counting allocator (MP_MALLOC/MP_REALLOC/MP_FREE): after a program that frees what it
   was given (mp_free, mp_*_free, mp_process_close), no allocation of mp.h's may be live when
   the main process exits, under fork, spawn and on Windows. Run by tests/run_all.sh:
       cc -std=c99 -o build/alloc_count tests/alloc_count.c && build/alloc_count
   prints "alloc_count: 0 live at exit" and exits 0, or names the count and exits 1. */
#include <stddef.h>

static long live_blocks;
static void *count_malloc(size_t size);
static void *count_realloc(void *p, size_t size);
static void count_free(void *p);
#define MP_MALLOC(size)     count_malloc(size)
#define MP_REALLOC(p, size) count_realloc(p, size)
#define MP_FREE(p)          count_free(p)
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *count_malloc(size_t size) {
    void *p = malloc(size);
    if (p) live_blocks++;
    return p;
}
static void *count_realloc(void *p, size_t size) {
    void *q = realloc(p, size);
    if (!p && q) live_blocks++;
    return q;
}
static void count_free(void *p) {
    if (p) live_blocks--;
    free(p);
}

/* Registered first, so it runs after mp.h's own exit handler (which joins the children). */
static void check_at_exit(void) {
    if (live_blocks != 0) {
        fprintf(stderr, "alloc_count: %ld allocation(s) of mp.h live at exit (%s)\n", live_blocks,
                mp_get_start_method() == MP_SPAWN ? "spawn" : "fork");
        fflush(stderr);
        _Exit(1);
    }
    printf("alloc_count: 0 live at exit\n");
    fflush(stdout);
}

static int target(void *arg, size_t size) {
    return size == 6 && strcmp((const char *)arg, "hello") == 0 ? 7 : 1;
}
static int send_target(void *arg, size_t size) {
    mp_conn *c = NULL;
    mp_queue *q = NULL;
    (void)size;
    memcpy(&c, arg, sizeof c);
    memcpy(&q, (char *)arg + sizeof c, sizeof q);
    mp_conn_send_bytes(c, "pipe", 5);
    mp_queue_put(q, "queue", 6, MP_FOREVER);
    return 0;
}
static int square(const void *arg, size_t size, mp_task_out *out) {
    int x;
    if (size != sizeof x) return 1;
    memcpy(&x, arg, sizeof x);
    x *= x;
    return mp_task_return(out, &x, sizeof x);
}

int main(void) {
    mp_process p;
    mp_conn *a = NULL, *b = NULL;
    mp_queue *q;
    mp_pool *pool = NULL;
    mp_batch *batch = NULL;
    char arg[sizeof(mp_conn *) + sizeof(mp_queue *)];
    void *data = NULL;
    size_t size = 0;
    int code = -1, items[16], i, failed = 0, x = 3;
    void *result = NULL;

    atexit(check_at_exit);
    mp_init();
    if (mp_set_executable(NULL) != MP_OK) failed |= 1;

    if (mp_process_init_str(&p, target, "hello", NULL) != MP_OK || mp_process_start(&p) != MP_OK ||
        mp_process_join(&p, MP_FOREVER) != MP_OK || mp_process_exitcode(&p, &code) != 1 ||
        code != 7 || mp_process_close(&p) != MP_OK)
        failed |= 2;

    q = mp_queue_new(0, 0);
    if (!q || mp_pipe(1, &a, &b) != MP_OK) return 1;
    memcpy(arg, &b, sizeof b);
    memcpy(arg + sizeof b, &q, sizeof q);
    if (mp_process_init(&p, send_target, arg, sizeof arg, "sender") != MP_OK ||
        mp_process_start(&p) != MP_OK)
        failed |= 4;
    if (mp_conn_recv_bytes_alloc(a, &data, &size, MP_FOREVER) != MP_OK || size != 5) failed |= 8;
    mp_free(data);
    if (mp_queue_get_alloc(q, &data, &size, MP_FOREVER) != MP_OK || size != 6) failed |= 16;
    mp_free(data);
    if (mp_process_join(&p, MP_FOREVER) != MP_OK || mp_process_close(&p) != MP_OK) failed |= 32;
    mp_conn_close(a);
    mp_conn_close(b);
    mp_queue_free(q);

    for (i = 0; i < 16; i++) items[i] = i;
    if (mp_pool_new(&pool, 2, NULL) != MP_OK) return 1;
    if (mp_pool_map(pool, square, items, sizeof *items, 16, 0, MP_MAP, &batch) != MP_OK)
        failed |= 64;
    mp_batch_free(batch);
    if (mp_pool_apply(pool, square, &x, sizeof x, &result, &size) != MP_OK) failed |= 128;
    mp_free(result);
    mp_pool_close(pool);
    mp_pool_join(pool);
    mp_pool_free(pool);

    if (failed) fprintf(stderr, "alloc_count: a call failed (mask %d)\n", failed);
    return failed ? 1 : 0;
}
