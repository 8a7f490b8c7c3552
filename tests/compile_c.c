/* Compile-matrix unit: the implementation and every public function, as C. */
#define MP_IMPLEMENTATION
#include "../mp.h"

static int target(void *arg, size_t size) {
    return (int)size + (arg != NULL);
}
static int task(const void *arg, size_t size, mp_task_out *out) {
    return mp_task_return(out, arg, size);
}
static int pred(void *arg) {
    return arg != NULL;
}
static int action(void) {
    return 0;
}
static int run(mp_process *self) {
    return mp_process_pid(self) != 0;
}

int compile_c_use(void);
int compile_c_use(void) {
    mp_process p, q, *list[4];
    int code = 0;
    void *mem = mp_shared_alloc(16);
    mp_init();
    mp_set_start_method(mp_get_start_method());
    mp_set_executable(NULL);
    mp_process_init(&p, target, NULL, 0, "p");
    mp_process_init_run(&q, run, sizeof q, NULL);
    mp_process_set_daemon(&p, 0);
    mp_process_set_name(&p, "p2");
    mp_process_start(&p);
    mp_process_run(&q);
    mp_process_is_alive(&p);
    mp_process_join(&p, MP_FOREVER);
    mp_process_terminate(&p);
    mp_process_kill(&p);
    mp_process_exitcode(&p, &code);
    mp_active_children(list, 4);
    code += (int)mp_process_pid(&p) + mp_process_daemon(&p) + (int)mp_getpid() + (int)mp_getppid() +
            mp_cpu_count() + (mp_process_name(mp_current_process())[0] != 0);
    {
        mp_conn *a = NULL, *b = NULL, *conns[1];
        mp_process *procs[1];
        char buf[8];
        void *data = NULL;
        size_t n = 0;
        int ready[2];
        mp_pipe(1, &a, &b);
        mp_conn_send_bytes(b, "x", 1);
        mp_conn_poll(a, 0);
        mp_conn_recv_bytes(a, buf, sizeof buf, &n, MP_FOREVER);
        mp_conn_send_bytes(b, "y", 1);
        mp_conn_recv_bytes_alloc(a, &data, &n, 0.5);
        mp_free(data);
        conns[0] = a;
        procs[0] = &p;
        code += mp_wait(conns, 1, procs, 1, 0, ready) + (int)(MP_MESSAGE_MAX > 0);
        mp_conn_close(a);
        mp_conn_close(b);
    }
    { /* synchronisation */
        mp_lock *l = mp_lock_new(), *r = mp_rlock_new();
        mp_semaphore *s = mp_semaphore_new(1), *bs = mp_bounded_semaphore_new(1);
        mp_event *e = mp_event_new();
        mp_condition *c = mp_condition_new(l);
        mp_barrier *b = mp_barrier_new(1, action);
        mp_value *v = mp_value_new(sizeof(long));
        mp_lock_acquire(r, 0);
        code += mp_lock_is_mine(r) + mp_lock_release(r);
        mp_semaphore_acquire(s, 0);
        code += mp_semaphore_release(s) + mp_semaphore_get_value(bs);
        mp_event_set(e);
        code += mp_event_is_set(e) + mp_event_wait(e, 0) + mp_event_clear(e);
        mp_condition_acquire(c, MP_FOREVER);
        code += mp_condition_wait(c, 0) + mp_condition_wait_for(c, pred, NULL, 0);
        code += mp_condition_notify(c, 1) + mp_condition_notify_all(c);
        code += mp_condition_release(c) + (mp_condition_lock(c) == l);
        code += mp_barrier_wait(b, 1) + mp_barrier_parties(b) + mp_barrier_n_waiting(b);
        code += mp_barrier_broken(b) + mp_barrier_abort(b) + mp_barrier_reset(b);
        MP_WITH_LOCK(mp_value_lock(v)) {
            *(long *)mp_value_ptr(v) += (long)mp_value_size(v);
        }
        mp_value_free(v);
        mp_barrier_free(b);
        mp_condition_free(c);
        mp_event_free(e);
        mp_semaphore_free(s);
        mp_semaphore_free(bs);
        mp_lock_free(r);
        mp_lock_free(l);
    }
    { /* queues */
        mp_queue *qu = mp_queue_new(0, 4), *sq = mp_simple_queue_new(),
                 *jq = mp_joinable_queue_new(0, 0);
        char buf[8];
        void *data = NULL;
        size_t n = 0;
        mp_queue_put(qu, "x", 1, 0);
        mp_queue_get(qu, buf, sizeof buf, &n, 0);
        mp_queue_put(sq, "y", 1, MP_FOREVER);
        mp_queue_get_alloc(sq, &data, &n, 0);
        mp_free(data);
        code += (int)mp_queue_qsize(qu) + mp_queue_empty(qu) + mp_queue_full(qu);
        code += mp_queue_task_done(jq) + mp_queue_join(jq, 0) + mp_queue_close(qu);
        mp_queue_free(qu);
        mp_queue_free(sq);
        mp_queue_free(jq);
    }
    { /* pool */
        mp_pool *pool = NULL;
        mp_pool_options o;
        mp_async_callbacks cb;
        mp_async *as = NULL;
        mp_batch *bt = NULL;
        mp_bytes items[1];
        long pids[2];
        void *res = NULL;
        const void *cres = NULL;
        size_t n = 0, index = 0;
        int status = 0;
        memset(&o, 0, sizeof o);
        memset(&cb, 0, sizeof cb);
        items[0].data = "z";
        items[0].size = 1;
        if (mp_pool_new(&pool, 1, &o) == MP_OK) {
            mp_pool_apply(pool, task, "a", 1, &res, &n);
            mp_free(res);
            mp_pool_apply_async(pool, task, "b", 1, &cb, &as);
            code += mp_async_wait(as, 0) + mp_async_ready(as) + mp_async_successful(as);
            code += mp_async_get(as, MP_FOREVER, &cres, &n) + mp_async_status(as);
            mp_async_free(as);
            mp_pool_map(pool, task, "cd", 1, 2, 0, MP_IMAP, &bt);
            code += mp_batch_next(bt, 1, &index, &cres, &n) + (int)mp_batch_size(bt);
            code += mp_batch_wait(bt, 1) + mp_batch_result(bt, 0, &cres, &n, &status);
            mp_batch_free(bt);
            mp_pool_map_bytes(pool, task, items, 1, 1, MP_MAP, &bt);
            mp_batch_free(bt);
            code += mp_pool_worker_pids(pool, pids, 2) + mp_pool_close(pool);
            code += mp_pool_join(pool) + mp_pool_terminate(pool) + mp_pool_free(pool);
        }
    }
    mp_process_close(&p);
    mp_process_close(&q);
    mp_shared_free(mem);
    return code + (mp_strerror(MP_OK)[0] != 0);
}
