// Compile-matrix unit: the implementation and the public API, as C++.
#define MP_IMPLEMENTATION
#include "../mp.h"

static int task(const void *arg, size_t size, mp_task_out *out) {
    return mp_task_return(out, arg, size);
}

static int target(void *arg, size_t size) {
    return static_cast<int>(size) + (arg != NULL);
}

int compile_cpp_use();
int compile_cpp_use() {
    mp_process p;
    int code = 0;
    int *shared = static_cast<int *>(mp_shared_alloc(sizeof(int)));
    if (mp_process_init(&p, target, shared, sizeof *shared, NULL) != MP_OK) return 1;
    if (mp_process_start(&p) == MP_OK) mp_process_join(&p, MP_FOREVER);
    mp_process_exitcode(&p, &code);
    mp_conn *a = NULL, *b = NULL;
    void *data = NULL;
    size_t n = 0;
    if (mp_pipe(1, &a, &b) == MP_OK && mp_conn_send_bytes(b, "x", 1) == MP_OK &&
        mp_conn_recv_bytes_alloc(a, &data, &n, MP_FOREVER) == MP_OK)
        mp_free(data);
    mp_conn_close(a);
    mp_conn_close(b);
    mp_queue *q = mp_queue_new(0, 0);
    mp_lock *l = mp_lock_new();
    mp_pool *pool = NULL;
    MP_WITH_LOCK(l) {
        mp_queue_put(q, "q", 1, MP_FOREVER);
    }
    if (mp_pool_new(&pool, 1, NULL) == MP_OK) {
        void *res = NULL;
        size_t size = 0;
        if (mp_pool_apply(pool, task, "t", 1, &res, &size) == MP_OK) mp_free(res);
        mp_pool_free(pool);
    }
    mp_queue_free(q);
    mp_lock_free(l);
    mp_process_close(&p);
    mp_shared_free(shared);
    return code;
}
