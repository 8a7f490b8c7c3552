/* The bad-input sweep: every public function of mp.h called with NULL for each pointer, with
   a freed or closed object where the API can tell, with sizes of SIZE_MAX scale and sizes
   whose sums overflow, with NaN, negative, -0.0, zero, tiny and huge timeouts, out of order
   (a second start, a join before start, a wait without the lock). Each call must give its
   MP_E* code: never a crash, an abort or a hang (each test runs in a child of its own with a
   timeout, so any of those fails the test). One test per area, so a failure names the area.

   The functions, in the order of mp.h's declarations (every one is called below):
   badinput_process  mp_init mp_strerror mp_set_start_method mp_get_start_method
                     mp_set_executable mp_process_init mp_process_init_run
                     mp_process_set_daemon mp_process_set_name mp_process_start mp_process_run
                     mp_process_join mp_process_is_alive mp_process_terminate mp_process_kill
                     mp_process_close mp_process_pid mp_process_name mp_process_daemon
                     mp_process_exitcode mp_current_process mp_getpid mp_getppid mp_cpu_count
                     mp_active_children
   badinput_arena    mp_shared_alloc mp_shared_free mp_free
   badinput_lock     mp_lock_new mp_rlock_new mp_lock_acquire mp_lock_release mp_lock_is_mine
                     mp_lock_free MP_WITH_LOCK
   badinput_sync     mp_semaphore_new mp_bounded_semaphore_new mp_semaphore_acquire
                     mp_semaphore_release mp_semaphore_get_value mp_semaphore_free
                     mp_event_new mp_event_set mp_event_clear mp_event_is_set mp_event_wait
                     mp_event_free mp_condition_new mp_condition_lock mp_condition_acquire
                     mp_condition_release mp_condition_wait mp_condition_wait_for
                     mp_condition_notify mp_condition_notify_all mp_condition_free
                     mp_barrier_new mp_barrier_wait mp_barrier_abort mp_barrier_reset
                     mp_barrier_parties mp_barrier_n_waiting mp_barrier_broken mp_barrier_free
                     mp_value_new mp_value_ptr mp_value_size mp_value_lock mp_value_free
   badinput_queue    mp_queue_new mp_simple_queue_new mp_joinable_queue_new mp_queue_put
                     mp_queue_get mp_queue_get_alloc mp_queue_qsize mp_queue_empty
                     mp_queue_full mp_queue_close mp_queue_task_done mp_queue_join
                     mp_queue_free
   badinput_pool     mp_task_return mp_pool_new mp_pool_apply mp_pool_apply_async mp_async_get
                     mp_async_wait mp_async_ready mp_async_successful mp_async_status
                     mp_async_free mp_pool_map mp_pool_map_bytes mp_batch_wait mp_batch_size
                     mp_batch_result mp_batch_next mp_batch_free mp_pool_close mp_pool_join
                     mp_pool_terminate mp_pool_free mp_pool_worker_pids
   badinput_pipe     mp_pipe mp_conn_send_bytes mp_conn_recv_bytes mp_conn_recv_bytes_alloc
                     mp_conn_poll mp_conn_close mp_wait
   badinput_new_api  mp_process_set_start_method mp_thread_count mp_set_fork_hook
                     mp_parent_process mp_sleep mp_time mp_monotonic mp_process_init_str
                     mp_interrupt mp_interrupted mp_interrupt_clear mp_lock_locked
                     mp_barrier_new2 mp_value_new_init mp_array_new mp_queue_shutdown
                     mp_queue_put_many mp_queue_get_many mp_async_cancel mp_async_wait_any
                     mp_pool_map_async mp_pool_map_bytes_async mp_pool_shutdown mp_authkey_get
                     mp_authkey_set mp_listener_new mp_listener_accept mp_listener_address
                     mp_listener_fileno mp_listener_set_handshake_timeout mp_listener_close
                     mp_client mp_conn_fileno mp_shm_open mp_shm_buf mp_shm_size mp_shm_name
                     mp_shm_close mp_shm_unlink
   Not detectable, so not tried: a pointer to freed process-local memory (a freed pool,
   async or batch, mp_free of a foreign pointer), a buffer smaller than the size passed with
   it, and an arena object whose memory was reused. */
#include <float.h>
#include <limits.h>
#include <stdint.h>

#define BI_EQ(expr, want)                                                                          \
    do {                                                                                           \
        long long bi_r_ = (long long)(expr), bi_w_ = (long long)(want);                            \
        if (bi_r_ != bi_w_) {                                                                      \
            fprintf(stderr, "  %s:%d: %s gave %lld (%s), want %s\n", __FILE__, __LINE__, #expr,    \
                    bi_r_, mp_strerror((int)bi_r_), #want);                                        \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)
/* expr, evaluated with each value of the array in turn as the variable var, gives want. */
#define BI_EACH(type, var, values, n, expr, want)                                                  \
    do {                                                                                           \
        int bi_k_;                                                                                 \
        for (bi_k_ = 0; bi_k_ < (n); bi_k_++) {                                                    \
            type var = (values)[bi_k_];                                                            \
            long long bi_r_ = (long long)(expr), bi_w_ = (long long)(want);                        \
            if (bi_r_ != bi_w_) {                                                                  \
                fprintf(stderr, "  %s:%d: %s with %s = %s[%d] gave %lld (%s), want %s\n",          \
                        __FILE__, __LINE__, #expr, #var, #values, bi_k_, bi_r_,                    \
                        mp_strerror((int)bi_r_), #want);                                           \
                return 1;                                                                          \
            }                                                                                      \
        }                                                                                          \
    } while (0)
/* The same for a timeout t, which it names by value. */
#define BI_EACH_T(values, n, expr, want)                                                           \
    do {                                                                                           \
        int bi_k_;                                                                                 \
        for (bi_k_ = 0; bi_k_ < (n); bi_k_++) {                                                    \
            double t = (values)[bi_k_];                                                            \
            long long bi_r_ = (long long)(expr), bi_w_ = (long long)(want);                        \
            if (bi_r_ != bi_w_) {                                                                  \
                fprintf(stderr, "  %s:%d: %s with t = %g gave %lld (%s), want %s\n", __FILE__,     \
                        __LINE__, #expr, t, bi_r_, mp_strerror((int)bi_r_), #want);                \
                return 1;                                                                          \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Timeouts. Bad: MP_EINVAL. Short: a poll (0, -0.0 and positive values below any clock's
   resolution). Long: no limit in practice, so they must wait as MP_FOREVER does; none may
   overflow into "already expired" or into a busy loop. Built at run time (NaN, infinity). */
static volatile double bi_zero = 0.0;
#define BI_NBAD   7
#define BI_NSHORT 5
#define BI_NLONG  8
static double bi_bad[BI_NBAD], bi_short[BI_NSHORT], bi_long[BI_NLONG];
static void bi_timeouts(void) {
    double inf = 1.0 / bi_zero, nan = bi_zero / bi_zero;
    bi_bad[0] = -1;
    bi_bad[1] = -1e-9;
    bi_bad[2] = -DBL_MIN;
    bi_bad[3] = -1e300;
    bi_bad[4] = -DBL_MAX;
    bi_bad[5] = -inf;
    bi_bad[6] = nan;
    bi_short[0] = 0;
    bi_short[1] = -bi_zero; /* -0.0: not negative, a poll (as in Python) */
    bi_short[2] = DBL_MIN;
    bi_short[3] = DBL_MIN / 4; /* subnormal */
    bi_short[4] = 1e-12;
    bi_long[0] = 1e8;
    bi_long[1] = 1e9 - 1;
    bi_long[2] = 1e9;
    bi_long[3] = 4294967.296; /* 2^32 milliseconds */
    bi_long[4] = 1e18;
    bi_long[5] = MP_FOREVER;
    bi_long[6] = DBL_MAX;
    bi_long[7] = inf;
}

/* Sizes no buffer can have, or whose sum with a header wraps around. */
#define BI_NHUGE 8
static size_t bi_huge[BI_NHUGE];
static void bi_sizes(void) {
    bi_huge[0] = SIZE_MAX;
    bi_huge[1] = SIZE_MAX - 1;
    bi_huge[2] = SIZE_MAX - 7; /* + 8 wraps to 0 */
    bi_huge[3] = SIZE_MAX - 15;
    bi_huge[4] = SIZE_MAX / 2;
    bi_huge[5] = SIZE_MAX / 2 + 1;
    bi_huge[6] = (size_t)1 << (sizeof(size_t) * 8 - 1);
    bi_huge[7] = MP_MESSAGE_MAX + 1;
}
/* Zeroed shared memory of our own: a pointer into it is in the arena but no object. */
static char *bi_blank;
static void bi_setup(void) {
    bi_timeouts();
    bi_sizes();
    bi_blank = (char *)mp_shared_alloc(4096);
}

/* A child that acts once per round: it waits for the parent's go (a semaphore count), pauses
   a little so that the parent is likely already waiting, acts, and goes on. The result is
   the same whichever comes first: the pause only makes the long wait path more likely. */
enum {
    BI_SET_EVENT = 1,
    BI_RELEASE_SEM,
    BI_HOLD_LOCK,
    BI_NOTIFY,
    BI_BARRIER,
    BI_PUT,
    BI_GET_DONE,
    BI_SEND
};
typedef struct bi_arg {
    int action, rounds;
    mp_semaphore *go, *ready;
    mp_event *never; /* never set: waiting on it is a pause */
    mp_event *event;
    mp_semaphore *sem;
    mp_lock *lock;
    mp_condition *cond;
    volatile int flag;
    mp_barrier *barrier;
    mp_queue *q;
    mp_conn *conn;
} bi_arg;

static bi_arg *bi_arg_new(int action, int rounds) {
    bi_arg *a = (bi_arg *)mp_shared_alloc(sizeof *a);
    if (!a) return NULL;
    a->action = action;
    a->rounds = rounds;
    a->go = mp_semaphore_new(0);
    a->ready = mp_semaphore_new(0);
    a->never = mp_event_new();
    return a->go && a->ready && a->never ? a : NULL;
}
static int bi_ticker(void *arg, size_t size) {
    bi_arg *a;
    int k;
    (void)size;
    memcpy(&a, arg, sizeof a);
    for (k = 0; k < a->rounds; k++) {
        void *msg;
        size_t n;
        if (a->action == BI_HOLD_LOCK) { /* hold it while the parent starts to wait */
            if (mp_semaphore_acquire(a->sem, 60) != MP_OK) return 9; /* the parent had it */
            if (mp_lock_acquire(a->lock, 60) != MP_OK) return 10;
            mp_semaphore_release(a->ready);
        }
        if (mp_semaphore_acquire(a->go, 60) != MP_OK) return 11;
        mp_event_wait(a->never, 0.02); /* the pause */
        switch (a->action) {
        case BI_SET_EVENT:
            if (mp_event_set(a->event) != MP_OK) return 12;
            break;
        case BI_RELEASE_SEM:
            if (mp_semaphore_release(a->sem) != MP_OK) return 13;
            break;
        case BI_HOLD_LOCK:
            if (mp_lock_release(a->lock) != MP_OK) return 14;
            break;
        case BI_NOTIFY:
            if (mp_condition_acquire(a->cond, 60) != MP_OK) return 15;
            a->flag = 1;
            mp_condition_notify_all(a->cond);
            mp_condition_release(a->cond);
            break;
        case BI_BARRIER:
            if (mp_barrier_wait(a->barrier, 60) < 0) return 16;
            break;
        case BI_PUT:
            if (mp_queue_put(a->q, &k, sizeof k, 60) != MP_OK) return 17;
            break;
        case BI_GET_DONE:
            if (mp_queue_get_alloc(a->q, &msg, &n, 60) != MP_OK) return 18;
            mp_free(msg);
            if (mp_queue_task_done(a->q) != MP_OK) return 19;
            break;
        case BI_SEND:
            if (mp_conn_send_bytes(a->conn, &k, sizeof k) != MP_OK) return 20;
            break;
        }
    }
    return 0;
}
static int bi_start(mp_process *p, mp_target_fn fn, const void *arg, size_t size) {
    int r = mp_process_init(p, fn, arg, size, NULL);
    return r == MP_OK ? mp_process_start(p) : r;
}
static int bi_start_ticker(mp_process *p, bi_arg *a) {
    return bi_start(p, bi_ticker, &a, sizeof a);
}
/* Joins a child and gives its exit code (or a negative MP_E* code). */
static int bi_join(mp_process *p) {
    int code = -1000, r = mp_process_join(p, 60);
    if (r != MP_OK) {
        mp_process_kill(p);
        mp_process_join(p, MP_FOREVER);
        mp_process_close(p);
        return r;
    }
    mp_process_exitcode(p, &code);
    mp_process_close(p);
    return code;
}
static int bi_ret(void *arg, size_t size) {
    int v = 0;
    if (arg && size == sizeof v) memcpy(&v, arg, sizeof v);
    return v;
}
static int bi_run(mp_process *self) {
    (void)self;
    return 5;
}
/* Waits until go is set (or 60 s), then exits with 0. */
static int bi_wait_event(void *arg, size_t size) {
    mp_event *e;
    (void)size;
    memcpy(&e, arg, sizeof e);
    return mp_event_wait(e, 60) == MP_OK ? 0 : 2;
}

/* ---------------------------------------------------------------------------------------- */
static int test_badinput_process(void) {
    mp_process p, q, garbage, zeroed, *list[4];
    mp_process *self = (mp_process *)(void *)mp_current_process();
    mp_event *go = mp_event_new();
    char name[MP_NAME_MAX + 1], big[64] = {0};
    int v = 7, code = -1, i, method;
    bi_setup();
    CHECK(go != NULL);
    mp_init(); /* again: harmless */
    mp_init();

    /* mp_strerror: every code has its own text, anything else is "unknown error" */
    for (i = MP_EINTERRUPTED; i <= MP_OK; i++) {
        CHECK(mp_strerror(i) != NULL);
        CHECK(strcmp(mp_strerror(i), "unknown error") != 0);
    }
    CHECK_EQ(strcmp(mp_strerror(INT_MIN), "unknown error"), 0);
    CHECK_EQ(strcmp(mp_strerror(INT_MAX), "unknown error"), 0);
    CHECK_EQ(strcmp(mp_strerror(1), "unknown error"), 0);
    CHECK_EQ(strcmp(mp_strerror(MP_EINTERRUPTED - 1), "unknown error"), 0); /* past the last */

    /* start method */
    method = mp_get_start_method();
    CHECK(method == MP_FORK || method == MP_SPAWN || method == MP_FORKSERVER);
    BI_EQ(mp_set_start_method(0), MP_EINVAL);
    BI_EQ(mp_set_start_method(-1), MP_EINVAL);
    BI_EQ(mp_set_start_method(4), MP_EINVAL);
    BI_EQ(mp_set_start_method(INT_MAX), MP_EINVAL);
    BI_EQ(mp_set_start_method(INT_MIN), MP_EINVAL);
    CHECK_EQ(mp_get_start_method(), method);
#ifdef _WIN32
    BI_EQ(mp_set_start_method(MP_FORK), MP_ENOSYS);
    BI_EQ(mp_set_start_method(MP_FORKSERVER), MP_ENOSYS);
#endif
    BI_EQ(mp_set_start_method(method), MP_OK);

    /* executable */
    BI_EQ(mp_set_executable(""), MP_EINVAL);
    BI_EQ(mp_set_executable(NULL), MP_OK);
    BI_EQ(mp_set_executable(NULL), MP_OK);

    /* init */
    memset(&garbage, 0xab, sizeof garbage);
    memset(&zeroed, 0, sizeof zeroed);
    BI_EQ(mp_process_init(NULL, bi_ret, &v, sizeof v, NULL), MP_EINVAL);
    BI_EQ(mp_process_init(&p, NULL, &v, sizeof v, NULL), MP_EINVAL);
    BI_EQ(mp_process_init(&p, bi_ret, NULL, sizeof v, NULL), MP_EINVAL);
    BI_EQ(mp_process_init(&p, bi_ret, NULL, SIZE_MAX, NULL), MP_EINVAL);
    BI_EACH(size_t, n, bi_huge, BI_NHUGE, mp_process_init(&p, bi_ret, big, n, NULL), MP_ETOOBIG);
    memset(name, 'n', sizeof name);
    name[MP_NAME_MAX] = 0; /* MP_NAME_MAX bytes: one too many */
    BI_EQ(mp_process_init(&p, bi_ret, &v, sizeof v, name), MP_ENAMETOOLONG);
    name[MP_NAME_MAX - 1] = 0; /* the longest that fits */
    BI_EQ(mp_process_init(&p, bi_ret, &v, sizeof v, name), MP_OK);
    CHECK_EQ(strcmp(mp_process_name(&p), name), 0);
    BI_EQ(mp_process_close(&p), MP_OK);
    BI_EQ(mp_process_init(&p, bi_ret, NULL, 0, ""), MP_OK); /* no argument, an empty name */
    BI_EQ(mp_process_close(&p), MP_OK);

    /* init_run */
    BI_EQ(mp_process_init_run(NULL, bi_run, sizeof p, NULL), MP_EINVAL);
    BI_EQ(mp_process_init_run(&p, NULL, sizeof p, NULL), MP_EINVAL);
    BI_EQ(mp_process_init_run(&p, bi_run, 0, NULL), MP_EINVAL);
    BI_EQ(mp_process_init_run(&p, bi_run, sizeof p - 1, NULL), MP_EINVAL);
    BI_EQ(mp_process_init_run(&p, bi_run, sizeof p, name), MP_OK);
    BI_EQ(mp_process_close(&p), MP_OK);
    BI_EACH(size_t, n, bi_huge, BI_NHUGE, mp_process_init_run(&p, bi_run, n, NULL), MP_ETOOBIG);

    /* what an object that was never initialised (or is garbage) answers */
    BI_EQ(mp_process_set_daemon(NULL, 1), MP_EINVAL);
    BI_EQ(mp_process_set_daemon(&garbage, 1), MP_EINVAL);
    BI_EQ(mp_process_set_name(NULL, "x"), MP_EINVAL);
    BI_EQ(mp_process_set_name(&garbage, "x"), MP_EINVAL);
    BI_EQ(mp_process_start(NULL), MP_EINVAL);
    BI_EQ(mp_process_start(&garbage), MP_EINVAL);
    BI_EQ(mp_process_start(&zeroed), MP_EINVAL);
    BI_EQ(mp_process_run(NULL), MP_EINVAL);
    BI_EQ(mp_process_run(&garbage), MP_EINVAL);
    BI_EQ(mp_process_join(NULL, 1), MP_EINVAL);
    BI_EQ(mp_process_join(&garbage, 1), MP_EINVAL);
    BI_EQ(mp_process_join(&zeroed, 1), MP_EINVAL);
    BI_EQ(mp_process_is_alive(NULL), MP_EINVAL);
    BI_EQ(mp_process_is_alive(&garbage), MP_EINVAL);
    BI_EQ(mp_process_terminate(NULL), MP_EINVAL);
    BI_EQ(mp_process_terminate(&garbage), MP_EINVAL);
    BI_EQ(mp_process_kill(NULL), MP_EINVAL);
    BI_EQ(mp_process_kill(&garbage), MP_EINVAL);
    BI_EQ(mp_process_close(NULL), MP_EINVAL);
    BI_EQ(mp_process_close(&garbage), MP_EINVAL);
    BI_EQ(mp_process_pid(NULL), 0);
    BI_EQ(mp_process_pid(&garbage), 0);
    CHECK_EQ(strcmp(mp_process_name(NULL), ""), 0);
    CHECK_EQ(strcmp(mp_process_name(&garbage), ""), 0);
    BI_EQ(mp_process_daemon(NULL), 0);
    BI_EQ(mp_process_daemon(&garbage), 0);
    BI_EQ(mp_process_exitcode(NULL, &code), MP_EINVAL);
    BI_EQ(mp_process_exitcode(&garbage, &code), MP_EINVAL);

    /* before start */
    BI_EQ(mp_process_init(&p, bi_wait_event, &go, sizeof go, NULL), MP_OK);
    BI_EQ(mp_process_set_name(&p, NULL), MP_EINVAL);
    BI_EQ(mp_process_set_name(&p, name), MP_OK);
    name[MP_NAME_MAX - 1] = 'n';
    BI_EQ(mp_process_set_name(&p, name), MP_ENAMETOOLONG);
    BI_EQ(mp_process_set_daemon(&p, 42), MP_OK);
    BI_EQ(mp_process_daemon(&p), 1);
    BI_EQ(mp_process_set_daemon(&p, 0), MP_OK);
    BI_EQ(mp_process_join(&p, 1), MP_ENOTSTARTED);
    BI_EQ(mp_process_terminate(&p), MP_ENOTSTARTED);
    BI_EQ(mp_process_kill(&p), MP_ENOTSTARTED);
    BI_EQ(mp_process_is_alive(&p), 0);
    BI_EQ(mp_process_exitcode(&p, NULL), MP_EINVAL);
    BI_EQ(mp_process_exitcode(&p, &code), 0);
    BI_EQ(mp_process_pid(&p), 0);

    /* running */
    BI_EQ(mp_process_start(&p), MP_OK);
    BI_EQ(mp_process_start(&p), MP_ESTARTED);
    BI_EQ(mp_process_set_daemon(&p, 1), MP_ESTARTED);
    CHECK(mp_process_pid(&p) > 0);
    BI_EQ(mp_process_is_alive(&p), 1);
    BI_EQ(mp_process_exitcode(&p, &code), 0);
    BI_EQ(mp_process_exitcode(&p, NULL), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_process_join(&p, t), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_process_join(&p, t), MP_ETIMEDOUT);
    BI_EQ(mp_process_close(&p), MP_ERUNNING);
    BI_EQ(mp_active_children(NULL, 1), MP_EINVAL);
    BI_EQ(mp_active_children(list, -1), MP_EINVAL);
    BI_EQ(mp_active_children(list, INT_MIN), MP_EINVAL);
    BI_EQ(mp_active_children(NULL, 0), 1);
    BI_EQ(mp_active_children(list, 1), 1);
    CHECK(list[0] == &p);
    mp_event_set(go);
    BI_EQ(mp_process_join(&p, MP_FOREVER), MP_OK);
    BI_EQ(mp_process_start(&p), MP_ESTARTED); /* a second start, after the end */
    BI_EQ(mp_process_is_alive(&p), 0);
    BI_EQ(mp_process_exitcode(&p, &code), 1);
    BI_EQ(code, 0);
    BI_EQ(mp_process_terminate(&p), MP_OK); /* nothing left to end */
    BI_EQ(mp_process_kill(&p), MP_OK);
    BI_EQ(mp_active_children(NULL, 0), 0);
    BI_EQ(mp_process_close(&p), MP_OK);

    /* closed */
    BI_EQ(mp_process_close(&p), MP_OK);
    BI_EQ(mp_process_start(&p), MP_ECLOSED);
    BI_EQ(mp_process_run(&p), MP_ECLOSED);
    BI_EQ(mp_process_join(&p, 1), MP_ECLOSED);
    BI_EQ(mp_process_is_alive(&p), MP_ECLOSED);
    BI_EQ(mp_process_terminate(&p), MP_ECLOSED);
    BI_EQ(mp_process_kill(&p), MP_ECLOSED);
    BI_EQ(mp_process_exitcode(&p, &code), MP_ECLOSED);
    BI_EQ(mp_process_set_daemon(&p, 1), MP_ECLOSED);
    BI_EQ(mp_process_set_name(&p, "x"), MP_ECLOSED);

    /* a process that is not our child: the current one */
    CHECK(self != NULL);
    BI_EQ(mp_process_start(self), MP_ESTARTED);
    BI_EQ(mp_process_join(self, 0), MP_EINVAL);
    BI_EQ(mp_process_terminate(self), MP_EINVAL);
    BI_EQ(mp_process_kill(self), MP_EINVAL);
    BI_EQ(mp_process_is_alive(self), 1);
    BI_EQ(mp_process_exitcode(self, &code), 0);
    CHECK_EQ(mp_process_pid(self), mp_getpid());
    CHECK(mp_getpid() > 0);
    CHECK(mp_getppid() > 0);
    CHECK(mp_cpu_count() >= 1);

    /* run in this process, and a run-object started */
    BI_EQ(mp_process_init(&q, bi_ret, &v, sizeof v, NULL), MP_OK);
    BI_EQ(mp_process_run(&q), 7);
    BI_EQ(mp_process_close(&q), MP_OK);
    BI_EQ(mp_process_init_run(&q, bi_run, sizeof q, NULL), MP_OK);
    BI_EQ(mp_process_start(&q), MP_OK);
    BI_EQ(bi_join(&q), 5);

    /* long timeouts: each waits for the end, none expires at once */
    for (i = 0; i < BI_NLONG; i++) {
        mp_event_clear(go);
        BI_EQ(mp_process_init(&q, bi_wait_event, &go, sizeof go, NULL), MP_OK);
        BI_EQ(mp_process_start(&q), MP_OK);
        mp_event_set(go);
        if (mp_process_join(&q, bi_long[i]) != MP_OK) {
            fprintf(stderr, "  join with timeout %g did not wait for the end\n", bi_long[i]);
            return 1;
        }
        BI_EQ(mp_process_close(&q), MP_OK);
    }

    /* an executable that cannot be run: an error from start, then all is as before */
    BI_EQ(mp_set_start_method(MP_SPAWN), MP_OK);
    BI_EQ(mp_set_executable("/nonexistent/\xff\xfe/program"), MP_OK);
    BI_EQ(mp_process_init(&q, bi_ret, &v, sizeof v, NULL), MP_OK);
    BI_EQ(mp_process_start(&q), MP_EEXEC);
    BI_EQ(mp_process_close(&q), MP_OK);
    BI_EQ(mp_set_executable(NULL), MP_OK);
    BI_EQ(mp_process_init(&q, bi_ret, &v, sizeof v, NULL), MP_OK);
    BI_EQ(mp_process_start(&q), MP_OK);
    BI_EQ(bi_join(&q), 7);
    BI_EQ(mp_set_start_method(method), MP_OK);
    mp_event_free(go);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
static int test_badinput_arena(void) {
    unsigned char *a, *b;
    int local = 0, i;
    void *heap = malloc(64);
    bi_setup();
    CHECK(heap != NULL && bi_blank != NULL);
    CHECK(mp_shared_alloc(0) == NULL);
    for (i = 0; i < BI_NHUGE; i++)
        if (mp_shared_alloc(bi_huge[i]) != NULL) {
            fprintf(stderr, "  mp_shared_alloc(%.17g) did not fail\n", (double)bi_huge[i]);
            return 1;
        }
    CHECK(mp_shared_alloc((size_t)1 << 40) == NULL); /* more than the arena */
    a = (unsigned char *)mp_shared_alloc(100);
    CHECK(a != NULL);
    for (i = 0; i < 100; i++) CHECK_EQ(a[i], 0);
    memset(a, 0x5a, 100);
    mp_shared_free(NULL);
    mp_shared_free(&local);          /* not in the arena */
    mp_shared_free(heap);            /* not in the arena */
    mp_shared_free(a + 1);           /* misaligned */
    mp_shared_free(a + 16);          /* inside a block */
    mp_shared_free(bi_blank + 2048); /* in the arena, no block there */
    CHECK_EQ(a[0], 0x5a);
    mp_shared_free(a);
    mp_shared_free(a); /* twice */
    b = (unsigned char *)mp_shared_alloc(100);
    CHECK(b != NULL);
    for (i = 0; i < 100; i++) CHECK_EQ(b[i], 0);
    a = (unsigned char *)mp_shared_alloc(100);
    CHECK(a != NULL && a != b); /* the double free did not put the block on a list twice */
    mp_shared_free(a);
    mp_shared_free(b);
    mp_free(NULL);
    free(heap);
    return 0;
}

/* Pointers that are not the object asked for: each must give MP_EINVAL. */
#define BI_NOT_OBJECTS(type, obj, other)                                                           \
    type *bi_wrong[5];                                                                             \
    bi_wrong[0] = NULL;                                                                            \
    bi_wrong[1] = (type *)(void *)&bi_local;                                                       \
    bi_wrong[2] = (type *)(void *)((char *)(obj) + 1);                                             \
    bi_wrong[3] = (type *)(void *)(bi_blank + 2048);                                               \
    bi_wrong[4] = (type *)(void *)(other)
static int bi_local;

/* ---------------------------------------------------------------------------------------- */
static int test_badinput_lock(void) {
    mp_lock *l = mp_lock_new(), *r = mp_rlock_new(), *dead = mp_lock_new();
    mp_event *other = mp_event_new();
    mp_process p;
    bi_arg *a = bi_arg_new(BI_HOLD_LOCK, BI_NLONG);
    int i;
    bi_setup();
    CHECK(l && r && dead && other && a && bi_blank);
    {
        BI_NOT_OBJECTS(mp_lock, l, other);
        BI_EACH(mp_lock *, x, bi_wrong, 5, mp_lock_acquire(x, 1), MP_EINVAL);
        BI_EACH(mp_lock *, x, bi_wrong, 5, mp_lock_release(x), MP_EINVAL);
        BI_EACH(mp_lock *, x, bi_wrong, 5, mp_lock_is_mine(x), 0);
        BI_EACH(mp_lock *, x, bi_wrong, 5, mp_lock_free(x), MP_EINVAL);
    }
    BI_EQ(mp_lock_free(dead), MP_OK);
    BI_EQ(mp_lock_free(dead), MP_ECLOSED);
    BI_EQ(mp_lock_acquire(dead, 0), MP_ECLOSED);
    BI_EQ(mp_lock_release(dead), MP_ECLOSED);
    BI_EQ(mp_lock_is_mine(dead), 0);
    BI_EQ(mp_condition_new(dead) == NULL, 1);

    BI_EQ(mp_lock_release(l), MP_ENOTOWNER);
    BI_EQ(mp_lock_release(r), MP_ENOTOWNER);
    BI_EACH_T(bi_bad, BI_NBAD, mp_lock_acquire(l, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_lock_acquire(r, t), MP_EINVAL);
    BI_EQ(mp_lock_is_mine(l), 0);
    BI_EQ(mp_lock_acquire(l, -bi_zero), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_lock_acquire(l, t), MP_ETIMEDOUT); /* not re-entrant */
    BI_EACH_T(bi_bad, BI_NBAD, mp_lock_acquire(l, t), MP_EINVAL);
    BI_EQ(mp_lock_release(l), MP_OK);
    BI_EQ(mp_lock_release(l), MP_ENOTOWNER); /* twice */
    BI_EACH_T(bi_long, BI_NLONG, mp_lock_acquire(l, t) + mp_lock_release(l), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_lock_acquire(r, t), MP_OK); /* re-entrant */
    for (i = 0; i < BI_NSHORT; i++) BI_EQ(mp_lock_release(r), MP_OK);
    BI_EQ(mp_lock_release(r), MP_ENOTOWNER);
    MP_WITH_LOCK(r) {
        BI_EQ(mp_lock_is_mine(r), 1);
    }
    BI_EQ(mp_lock_is_mine(r), 0);

    /* long timeouts against a holder that lets go */
    a->lock = l;
    a->sem = mp_semaphore_new(1); /* the child's turn to take the lock */
    CHECK(a->sem != NULL);
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        BI_EQ(mp_semaphore_acquire(a->ready, 60), MP_OK); /* the child holds it */
        BI_EQ(mp_lock_acquire(l, 0), MP_ETIMEDOUT);
        BI_EQ(mp_semaphore_release(a->go), MP_OK);
        BI_EACH_T(bi_long + i, 1, mp_lock_acquire(l, t), MP_OK);
        BI_EQ(mp_lock_release(l), MP_OK);
        BI_EQ(mp_semaphore_release(a->sem), MP_OK);
    }
    BI_EQ(bi_join(&p), 0);
    BI_EQ(mp_lock_free(l), MP_OK);
    BI_EQ(mp_lock_free(r), MP_OK);
    BI_EQ(mp_event_free(other), MP_OK);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
static int bi_flag_set(void *arg) {
    return ((bi_arg *)arg)->flag != 0;
}
static int bi_false(void *arg) {
    (void)arg;
    return 0;
}
static int test_badinput_sync(void) {
    mp_semaphore *s = mp_semaphore_new(1), *bs = mp_bounded_semaphore_new(1), *sdead;
    mp_event *e = mp_event_new(), *edead;
    mp_condition *c = mp_condition_new(NULL), *cdead;
    mp_barrier *b = mp_barrier_new(1, NULL), *bdead, *big;
    mp_value *v = mp_value_new(sizeof(long)), *vdead;
    mp_lock *other = mp_lock_new(), *cl;
    mp_process p;
    bi_arg *a;
    int i, k;
    bi_setup();
    CHECK(s && bs && e && c && b && v && other);

    /* Semaphore */
    CHECK(mp_semaphore_new(0x80000000u) == NULL);
    CHECK(mp_semaphore_new(UINT_MAX) == NULL);
    CHECK(mp_bounded_semaphore_new(UINT_MAX) == NULL);
    {
        BI_NOT_OBJECTS(mp_semaphore, s, other);
        BI_EACH(mp_semaphore *, x, bi_wrong, 5, mp_semaphore_acquire(x, 0), MP_EINVAL);
        BI_EACH(mp_semaphore *, x, bi_wrong, 5, mp_semaphore_release(x), MP_EINVAL);
        BI_EACH(mp_semaphore *, x, bi_wrong, 5, mp_semaphore_get_value(x), MP_EINVAL);
        BI_EACH(mp_semaphore *, x, bi_wrong, 5, mp_semaphore_free(x), MP_EINVAL);
    }
    BI_EACH_T(bi_bad, BI_NBAD, mp_semaphore_acquire(s, t), MP_EINVAL);
    BI_EQ(mp_semaphore_get_value(s), 1);
    BI_EQ(mp_semaphore_acquire(s, -bi_zero), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_semaphore_acquire(s, t), MP_ETIMEDOUT);
    BI_EQ(mp_semaphore_release(bs), MP_EOVERFLOW);
    BI_EQ(mp_semaphore_get_value(bs), 1);
    sdead = mp_semaphore_new(0x7fffffffu);
    CHECK(sdead != NULL);
    BI_EQ(mp_semaphore_release(sdead), MP_EOVERFLOW); /* the largest count */
    BI_EQ(mp_semaphore_free(sdead), MP_OK);
    BI_EQ(mp_semaphore_free(sdead), MP_ECLOSED);
    BI_EQ(mp_semaphore_acquire(sdead, 0), MP_ECLOSED);
    BI_EQ(mp_semaphore_release(sdead), MP_ECLOSED);
    BI_EQ(mp_semaphore_get_value(sdead), MP_ECLOSED);

    /* Event */
    {
        BI_NOT_OBJECTS(mp_event, e, other);
        BI_EACH(mp_event *, x, bi_wrong, 5, mp_event_set(x), MP_EINVAL);
        BI_EACH(mp_event *, x, bi_wrong, 5, mp_event_clear(x), MP_EINVAL);
        BI_EACH(mp_event *, x, bi_wrong, 5, mp_event_is_set(x), MP_EINVAL);
        BI_EACH(mp_event *, x, bi_wrong, 5, mp_event_wait(x, 0), MP_EINVAL);
        BI_EACH(mp_event *, x, bi_wrong, 5, mp_event_free(x), MP_EINVAL);
    }
    BI_EACH_T(bi_bad, BI_NBAD, mp_event_wait(e, t), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_event_wait(e, t), MP_ETIMEDOUT);
    BI_EQ(mp_event_set(e), MP_OK);
    BI_EQ(mp_event_set(e), MP_OK);
    BI_EACH_T(bi_bad, BI_NBAD, mp_event_wait(e, t), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_event_wait(e, t), MP_OK);
    BI_EACH_T(bi_long, BI_NLONG, mp_event_wait(e, t), MP_OK);
    BI_EQ(mp_event_clear(e), MP_OK);
    BI_EQ(mp_event_clear(e), MP_OK);
    BI_EQ(mp_event_is_set(e), 0);
    edead = mp_event_new();
    CHECK(edead != NULL);
    BI_EQ(mp_event_free(edead), MP_OK);
    BI_EQ(mp_event_free(edead), MP_ECLOSED);
    BI_EQ(mp_event_set(edead), MP_ECLOSED);
    BI_EQ(mp_event_clear(edead), MP_ECLOSED);
    BI_EQ(mp_event_is_set(edead), MP_ECLOSED);
    BI_EQ(mp_event_wait(edead, 0), MP_ECLOSED);

    /* Condition */
    CHECK(mp_condition_new((mp_lock *)(void *)e) == NULL); /* not a lock */
    CHECK(mp_condition_new((mp_lock *)(void *)&bi_local) == NULL);
    {
        BI_NOT_OBJECTS(mp_condition, c, other);
        for (k = 0; k < 5; k++) CHECK(mp_condition_lock(bi_wrong[k]) == NULL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_acquire(x, 0), MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_release(x), MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_wait(x, 0), MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_wait_for(x, bi_false, NULL, 0),
                MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_notify(x, 1), MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_notify_all(x), MP_EINVAL);
        BI_EACH(mp_condition *, x, bi_wrong, 5, mp_condition_free(x), MP_EINVAL);
    }
    cl = mp_condition_lock(c);
    CHECK(cl != NULL);
    /* without the lock */
    BI_EQ(mp_condition_release(c), MP_ENOTOWNER);
    BI_EQ(mp_condition_wait(c, 0), MP_ENOTOWNER);
    BI_EQ(mp_condition_wait_for(c, bi_false, NULL, 0), MP_ENOTOWNER);
    BI_EQ(mp_condition_notify(c, 1), MP_ENOTOWNER);
    BI_EQ(mp_condition_notify_all(c), MP_ENOTOWNER);
    BI_EACH_T(bi_bad, BI_NBAD, mp_condition_acquire(c, t), MP_EINVAL);
    /* with it */
    BI_EQ(mp_condition_acquire(c, -bi_zero), MP_OK);
    BI_EACH_T(bi_bad, BI_NBAD, mp_condition_wait(c, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_condition_wait_for(c, bi_false, NULL, t), MP_EINVAL);
    BI_EQ(mp_condition_wait_for(c, NULL, NULL, 0), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_condition_wait(c, t), MP_ETIMEDOUT);
    BI_EACH_T(bi_short, BI_NSHORT, mp_condition_wait_for(c, bi_false, NULL, t), MP_ETIMEDOUT);
    BI_EQ(mp_lock_is_mine(cl), 1); /* held again after every return */
    BI_EQ(mp_condition_notify(c, -1), MP_EINVAL);
    BI_EQ(mp_condition_notify(c, INT_MIN), MP_EINVAL);
    BI_EQ(mp_condition_notify(c, 0), MP_OK);
    BI_EQ(mp_condition_notify(c, INT_MAX), MP_OK); /* nobody waits */
    BI_EQ(mp_condition_notify_all(c), MP_OK);
    BI_EQ(mp_condition_release(c), MP_OK);
    BI_EQ(mp_condition_release(c), MP_ENOTOWNER);
    cdead = mp_condition_new(NULL);
    CHECK(cdead != NULL);
    BI_EQ(mp_condition_free(cdead), MP_OK);
    BI_EQ(mp_condition_free(cdead), MP_ECLOSED);
    CHECK(mp_condition_lock(cdead) == NULL);
    BI_EQ(mp_condition_acquire(cdead, 0), MP_ECLOSED);
    BI_EQ(mp_condition_release(cdead), MP_ECLOSED);
    BI_EQ(mp_condition_wait(cdead, 0), MP_ECLOSED);
    BI_EQ(mp_condition_wait_for(cdead, bi_false, NULL, 0), MP_ECLOSED);
    BI_EQ(mp_condition_notify(cdead, 1), MP_ECLOSED);
    BI_EQ(mp_condition_notify_all(cdead), MP_ECLOSED);

    /* Barrier */
    CHECK(mp_barrier_new(0, NULL) == NULL);
    CHECK(mp_barrier_new(-1, NULL) == NULL);
    CHECK(mp_barrier_new(INT_MIN, NULL) == NULL);
    {
        BI_NOT_OBJECTS(mp_barrier, b, other);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_wait(x, 0), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_abort(x), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_reset(x), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_parties(x), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_n_waiting(x), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_broken(x), MP_EINVAL);
        BI_EACH(mp_barrier *, x, bi_wrong, 5, mp_barrier_free(x), MP_EINVAL);
    }
    BI_EACH_T(bi_bad, BI_NBAD, mp_barrier_wait(b, t), MP_EINVAL);
    BI_EQ(mp_barrier_broken(b), 0);                           /* a bad timeout breaks nothing */
    BI_EACH_T(bi_short, BI_NSHORT, mp_barrier_wait(b, t), 0); /* one party: at once */
    BI_EACH_T(bi_long, BI_NLONG, mp_barrier_wait(b, t), 0);
    BI_EQ(mp_barrier_parties(b), 1);
    BI_EQ(mp_barrier_n_waiting(b), 0);
    BI_EQ(mp_barrier_abort(b), MP_OK);
    BI_EQ(mp_barrier_abort(b), MP_OK);
    BI_EQ(mp_barrier_broken(b), 1);
    BI_EQ(mp_barrier_wait(b, 0), MP_EBROKEN);
    BI_EQ(mp_barrier_reset(b), MP_OK);
    BI_EQ(mp_barrier_reset(b), MP_OK);
    BI_EQ(mp_barrier_wait(b, 0), 0);
    big = mp_barrier_new(INT_MAX, NULL);
    CHECK(big != NULL);
    BI_EQ(mp_barrier_parties(big), INT_MAX);
    BI_EQ(mp_barrier_wait(big, DBL_MIN), MP_ETIMEDOUT); /* a timeout breaks it, as in Python */
    BI_EQ(mp_barrier_broken(big), 1);
    BI_EQ(mp_barrier_free(big), MP_OK);
    bdead = mp_barrier_new(2, NULL);
    CHECK(bdead != NULL);
    BI_EQ(mp_barrier_free(bdead), MP_OK);
    BI_EQ(mp_barrier_free(bdead), MP_ECLOSED);
    BI_EQ(mp_barrier_wait(bdead, 0), MP_ECLOSED);
    BI_EQ(mp_barrier_abort(bdead), MP_ECLOSED);
    BI_EQ(mp_barrier_reset(bdead), MP_ECLOSED);
    BI_EQ(mp_barrier_parties(bdead), MP_ECLOSED);
    BI_EQ(mp_barrier_n_waiting(bdead), MP_ECLOSED);
    BI_EQ(mp_barrier_broken(bdead), MP_ECLOSED);

    /* Value */
    CHECK(mp_value_new(0) == NULL);
    for (i = 0; i < BI_NHUGE; i++)
        if (mp_value_new(bi_huge[i]) != NULL) {
            fprintf(stderr, "  mp_value_new(%.17g) did not fail\n", (double)bi_huge[i]);
            return 1;
        }
    {
        BI_NOT_OBJECTS(mp_value, v, other);
        for (k = 0; k < 5; k++) {
            CHECK(mp_value_ptr(bi_wrong[k]) == NULL);
            CHECK_EQ(mp_value_size(bi_wrong[k]), 0);
            CHECK(mp_value_lock(bi_wrong[k]) == NULL);
            BI_EQ(mp_value_free(bi_wrong[k]), MP_EINVAL);
        }
    }
    CHECK(mp_value_ptr(v) != NULL);
    CHECK_EQ(mp_value_size(v), sizeof(long));
    CHECK(mp_value_lock(v) != NULL);
    vdead = mp_value_new(8);
    CHECK(vdead != NULL);
    BI_EQ(mp_value_free(vdead), MP_OK);
    BI_EQ(mp_value_free(vdead), MP_ECLOSED);
    CHECK(mp_value_ptr(vdead) == NULL);
    CHECK_EQ(mp_value_size(vdead), 0);
    CHECK(mp_value_lock(vdead) == NULL);

    /* long timeouts that end when another process acts */
    a = bi_arg_new(BI_SET_EVENT, BI_NLONG);
    CHECK(a != NULL);
    a->event = e;
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        mp_event_clear(e);
        mp_semaphore_release(a->go);
        BI_EACH_T(bi_long + i, 1, mp_event_wait(e, t), MP_OK);
    }
    BI_EQ(bi_join(&p), 0);
    a->action = BI_RELEASE_SEM;
    a->sem = s; /* at 0 now */
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        mp_semaphore_release(a->go);
        BI_EACH_T(bi_long + i, 1, mp_semaphore_acquire(s, t), MP_OK);
    }
    BI_EQ(bi_join(&p), 0);
    a->action = BI_NOTIFY;
    a->cond = c;
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        BI_EQ(mp_condition_acquire(c, 60), MP_OK);
        a->flag = 0;
        mp_semaphore_release(a->go); /* the child can notify only once we wait */
        BI_EACH_T(bi_long + i, 1, mp_condition_wait_for(c, bi_flag_set, a, t), MP_OK);
        BI_EQ(mp_condition_release(c), MP_OK);
    }
    BI_EQ(bi_join(&p), 0);
    a->action = BI_BARRIER;
    a->barrier = mp_barrier_new(2, NULL);
    CHECK(a->barrier != NULL);
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        mp_semaphore_release(a->go);
        k = mp_barrier_wait(a->barrier, bi_long[i]);
        if (k != 0 && k != 1) {
            fprintf(stderr, "  barrier wait with timeout %g gave %d\n", bi_long[i], k);
            return 1;
        }
    }
    BI_EQ(bi_join(&p), 0);

    BI_EQ(mp_barrier_free(a->barrier), MP_OK);
    BI_EQ(mp_semaphore_free(s), MP_OK);
    BI_EQ(mp_semaphore_free(bs), MP_OK);
    BI_EQ(mp_event_free(e), MP_OK);
    BI_EQ(mp_condition_free(c), MP_OK);
    BI_EQ(mp_lock_is_mine(cl), 0);
    BI_EQ(mp_barrier_free(b), MP_OK);
    BI_EQ(mp_value_free(v), MP_OK);
    BI_EQ(mp_lock_free(other), MP_OK);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
static int test_badinput_queue(void) {
    mp_queue *q = mp_queue_new(0, 2), *jq = mp_joinable_queue_new(4096, 0), *sq, *dead;
    mp_lock *other = mp_lock_new();
    mp_process p;
    bi_arg *a = bi_arg_new(BI_PUT, BI_NLONG);
    char buf[16] = "abc", small[2];
    void *data = NULL;
    size_t n = 0;
    int i, k;
    bi_setup();
    CHECK(q && jq && other && a);
    sq = mp_simple_queue_new();
    CHECK(sq != NULL);
    for (i = 0; i < BI_NHUGE; i++)
        if (mp_queue_new(bi_huge[i], 0) || mp_joinable_queue_new(bi_huge[i], 0)) {
            fprintf(stderr, "  a queue of %.17g bytes was made\n", (double)bi_huge[i]);
            return 1;
        }
    CHECK(mp_queue_new((size_t)1 << 40, 0) == NULL);
    dead = mp_queue_new(1, SIZE_MAX); /* a tiny ring, no limit on the count: both fine */
    CHECK(dead != NULL);
    BI_EQ(mp_queue_full(dead), 0);
    {
        BI_NOT_OBJECTS(mp_queue, q, other);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_put(x, buf, 1, 0), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_get(x, buf, sizeof buf, &n, 0), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_get_alloc(x, &data, &n, 0), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_qsize(x), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_empty(x), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_full(x), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_close(x), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_task_done(x), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_join(x, 0), MP_EINVAL);
        BI_EACH(mp_queue *, x, bi_wrong, 5, mp_queue_free(x), MP_EINVAL);
    }
    /* put */
    BI_EQ(mp_queue_put(q, NULL, 1, 0), MP_EINVAL);
    BI_EQ(mp_queue_put(q, NULL, SIZE_MAX, 0), MP_EINVAL);
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE, mp_queue_put(q, buf, sz, 0), MP_ETOOBIG);
    BI_EACH_T(bi_bad, BI_NBAD, mp_queue_put(q, buf, 1, t), MP_EINVAL);
    BI_EQ(mp_queue_qsize(q), 0);
    BI_EQ(mp_queue_put(q, NULL, 0, -bi_zero), MP_OK); /* an empty message */
    BI_EQ(mp_queue_put(q, buf, 3, 0), MP_OK);
    BI_EQ(mp_queue_full(q), 1);
    BI_EACH_T(bi_short, BI_NSHORT, mp_queue_put(q, buf, 1, t), MP_EFULL);
    /* get */
    BI_EQ(mp_queue_get(q, buf, sizeof buf, NULL, 0), MP_EINVAL);
    BI_EQ(mp_queue_get(q, NULL, 4, &n, 0), MP_EINVAL);
    BI_EQ(mp_queue_get_alloc(q, NULL, &n, 0), MP_EINVAL);
    BI_EQ(mp_queue_get_alloc(q, &data, NULL, 0), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_queue_get(q, buf, sizeof buf, &n, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_queue_get_alloc(q, &data, &n, t), MP_EINVAL);
    BI_EQ(mp_queue_get(q, NULL, 0, &n, 0), MP_OK); /* the empty message fits in no buffer */
    CHECK_EQ(n, 0);
    n = 0;
    BI_EQ(mp_queue_get(q, small, sizeof small, &n, 0), MP_ETOOBIG); /* it stays */
    CHECK_EQ(n, 3);
    BI_EQ(mp_queue_get(q, NULL, 0, &n, 0), MP_ETOOBIG);
    BI_EQ(mp_queue_qsize(q), 1);
    BI_EQ(mp_queue_get_alloc(q, &data, &n, 0), MP_OK);
    CHECK(n == 3 && memcmp(data, "abc", 3) == 0);
    mp_free(data);
    BI_EACH_T(bi_short, BI_NSHORT, mp_queue_get(q, buf, sizeof buf, &n, t), MP_EEMPTY);
    BI_EACH_T(bi_short, BI_NSHORT, mp_queue_get_alloc(q, &data, &n, t), MP_EEMPTY);
    BI_EQ(mp_queue_empty(q), 1);
    /* JoinableQueue calls on a plain queue, and too many task_done */
    BI_EQ(mp_queue_task_done(q), MP_EINVAL);
    BI_EQ(mp_queue_join(q, 0), MP_EINVAL);
    BI_EQ(mp_queue_task_done(jq), MP_EOVERFLOW);
    BI_EACH_T(bi_bad, BI_NBAD, mp_queue_join(jq, t), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_queue_join(jq, t), MP_OK); /* nothing unfinished */
    BI_EQ(mp_queue_put(jq, buf, 1, 0), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_queue_join(jq, t), MP_ETIMEDOUT);
    BI_EQ(mp_queue_get(jq, buf, sizeof buf, &n, 0), MP_OK);
    BI_EQ(mp_queue_task_done(jq), MP_OK);
    BI_EQ(mp_queue_task_done(jq), MP_EOVERFLOW);
    BI_EQ(mp_queue_join(jq, 0), MP_OK);
    /* closed: puts fail, gets drain then give MP_EOF */
    BI_EQ(mp_queue_put(sq, buf, 2, 0), MP_OK);
    BI_EQ(mp_queue_close(sq), MP_OK);
    BI_EQ(mp_queue_close(sq), MP_OK);
    BI_EQ(mp_queue_put(sq, buf, 1, 0), MP_ECLOSED);
    BI_EQ(mp_queue_put(sq, buf, 1, MP_FOREVER), MP_ECLOSED);
    BI_EQ(mp_queue_get(sq, buf, sizeof buf, &n, 0), MP_OK);
    BI_EQ(mp_queue_get(sq, buf, sizeof buf, &n, 0), MP_EOF);
    BI_EQ(mp_queue_get(sq, buf, sizeof buf, &n, MP_FOREVER), MP_EOF);
    BI_EQ(mp_queue_get_alloc(sq, &data, &n, MP_FOREVER), MP_EOF);
    /* freed */
    BI_EQ(mp_queue_free(dead), MP_OK);
    BI_EQ(mp_queue_free(dead), MP_ECLOSED);
    BI_EQ(mp_queue_put(dead, buf, 1, 0), MP_ECLOSED);
    BI_EQ(mp_queue_get(dead, buf, sizeof buf, &n, 0), MP_ECLOSED);
    BI_EQ(mp_queue_get_alloc(dead, &data, &n, 0), MP_ECLOSED);
    BI_EQ(mp_queue_qsize(dead), MP_ECLOSED);
    BI_EQ(mp_queue_empty(dead), MP_ECLOSED);
    BI_EQ(mp_queue_full(dead), MP_ECLOSED);
    BI_EQ(mp_queue_close(dead), MP_ECLOSED);
    BI_EQ(mp_queue_task_done(dead), MP_ECLOSED);
    BI_EQ(mp_queue_join(dead, 0), MP_ECLOSED);

    /* long timeouts: get waits for a producer, join for a consumer */
    a->q = q;
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        mp_semaphore_release(a->go);
        if (i % 2) {
            BI_EACH_T(bi_long + i, 1, mp_queue_get(q, &k, sizeof k, &n, t), MP_OK);
        } else {
            BI_EACH_T(bi_long + i, 1, mp_queue_get_alloc(q, &data, &n, t), MP_OK);
            memcpy(&k, data, sizeof k);
            mp_free(data);
        }
        CHECK_EQ(k, i);
    }
    BI_EQ(bi_join(&p), 0);
    a->action = BI_GET_DONE;
    a->q = jq;
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    for (i = 0; i < BI_NLONG; i++) {
        BI_EQ(mp_queue_put(jq, &i, sizeof i, 0), MP_OK);
        mp_semaphore_release(a->go);
        BI_EACH_T(bi_long + i, 1, mp_queue_join(jq, t), MP_OK);
    }
    BI_EQ(bi_join(&p), 0);
    /* put waits for room: q holds at most 2 */
    BI_EQ(mp_queue_put(q, buf, 1, 0), MP_OK);
    BI_EQ(mp_queue_put(q, buf, 1, 0), MP_OK);
    a->action = BI_GET_DONE;
    a->q = q;
    a->rounds = 1; /* task_done fails on a plain queue: the child's exit code says so */
    BI_EQ(bi_start_ticker(&p, a), MP_OK);
    mp_semaphore_release(a->go);
    BI_EQ(mp_queue_put(q, buf, 1, MP_FOREVER), MP_OK);
    BI_EQ(bi_join(&p), 19);

    BI_EQ(mp_queue_free(q), MP_OK);
    BI_EQ(mp_queue_free(jq), MP_OK);
    BI_EQ(mp_queue_free(sq), MP_OK);
    BI_EQ(mp_lock_free(other), MP_OK);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
static int bi_square(const void *arg, size_t size, mp_task_out *out) {
    long long x = 0;
    if (size != sizeof x) return 1;
    memcpy(&x, arg, sizeof x);
    x *= x;
    return mp_task_return(out, &x, sizeof x) == MP_OK ? 0 : 2;
}
/* Waits on the event whose pointer is the argument (a task that takes as long as we like). */
static int bi_block(const void *arg, size_t size, mp_task_out *out) {
    mp_event *e;
    (void)size;
    (void)out;
    memcpy(&e, arg, sizeof e);
    return mp_event_wait(e, 60) == MP_OK ? 0 : 1;
}
/* mp_task_return with bad arguments, inside a task: the codes are the result. */
static int bi_task_return_bad(const void *arg, size_t size, mp_task_out *out) {
    int codes[BI_NHUGE + 3], k = 0, i;
    char small[8] = {0};
    (void)arg;
    (void)size;
    bi_sizes();
    codes[k++] = mp_task_return(NULL, small, 1);
    codes[k++] = mp_task_return(out, NULL, 1);
    for (i = 0; i < BI_NHUGE; i++) codes[k++] = mp_task_return(out, small, bi_huge[i]);
    codes[k++] = mp_task_return(out, NULL, 0);
    return mp_task_return(out, codes, sizeof codes) == MP_OK ? 0 : 3;
}
static int test_badinput_pool(void) {
    mp_pool_options o;
    mp_pool *p = NULL, *q = NULL, *garbage;
    mp_async *a = NULL, *slow;
    mp_batch *b = NULL;
    mp_bytes items[3];
    mp_event *e = mp_event_new();
    long long x = 3, xs[3] = {1, 2, 3};
    const void *res;
    void *got;
    size_t n, idx;
    long pids[4];
    int status, i, codes[BI_NHUGE + 3];
    bi_setup();
    CHECK(e != NULL);
    memset(&o, 0, sizeof o);
    garbage = (mp_pool *)malloc(4096); /* a pool never made: zeroed, it answers MP_EINVAL */
    CHECK(garbage != NULL);
    memset(garbage, 0, 4096);

    /* new */
    BI_EQ(mp_pool_new(NULL, 1, NULL), MP_EINVAL);
    BI_EQ(mp_pool_new(&p, -1, NULL), MP_EINVAL);
    BI_EQ(mp_pool_new(&p, INT_MIN, NULL), MP_EINVAL);
    BI_EQ(mp_pool_new(&p, INT_MAX, NULL), MP_EINVAL);
    o.maxtasksperchild = -1;
    BI_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    o.maxtasksperchild = INT_MIN;
    BI_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    o.maxtasksperchild = 0;
    BI_EACH_T(bi_bad, BI_NBAD, (o.task_timeout = t, mp_pool_new(&p, 1, &o)), MP_EINVAL);
    o.task_timeout = 0;
    o.initializer = bi_ret;
    o.initargs_size = 4;
    BI_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL); /* initargs NULL */
    o.initargs = &x;
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE, (o.initargs_size = sz, mp_pool_new(&p, 1, &o)),
            MP_ETOOBIG);
    CHECK(p == NULL);
    memset(&o, 0, sizeof o);
    o.task_timeout = 1.0 / bi_zero; /* no limit */
    BI_EQ(mp_pool_new(&p, 2, &o), MP_OK);
    CHECK(p != NULL);

    /* task_return, from inside a task */
    BI_EQ(mp_task_return(NULL, &x, sizeof x), MP_EINVAL);
    BI_EQ(mp_pool_apply(p, bi_task_return_bad, NULL, 0, &got, &n), MP_OK);
    CHECK_EQ(n, sizeof codes);
    memcpy(codes, got, sizeof codes);
    mp_free(got);
    BI_EQ(codes[0], MP_EINVAL);
    BI_EQ(codes[1], MP_EINVAL);
    for (i = 0; i < BI_NHUGE; i++) BI_EQ(codes[2 + i], MP_ETOOBIG);
    BI_EQ(codes[2 + BI_NHUGE], MP_OK);

    /* apply, apply_async */
    BI_EQ(mp_pool_apply(NULL, bi_square, &x, sizeof x, &got, &n), MP_EINVAL);
    BI_EQ(mp_pool_apply(garbage, bi_square, &x, sizeof x, &got, &n), MP_EINVAL);
    BI_EQ(mp_pool_apply(p, NULL, &x, sizeof x, &got, &n), MP_EINVAL);
    BI_EQ(mp_pool_apply(p, bi_square, NULL, sizeof x, &got, &n), MP_EINVAL);
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE, mp_pool_apply(p, bi_square, &x, sz, &got, &n),
            MP_ETOOBIG);
    BI_EQ(mp_pool_apply(p, bi_square, &x, sizeof x, NULL, NULL), MP_OK);
    BI_EQ(mp_pool_apply_async(NULL, bi_square, &x, sizeof x, NULL, &a), MP_EINVAL);
    BI_EQ(mp_pool_apply_async(p, NULL, &x, sizeof x, NULL, &a), MP_EINVAL);
    BI_EQ(mp_pool_apply_async(p, bi_square, NULL, sizeof x, NULL, &a), MP_EINVAL);
    BI_EQ(mp_pool_apply_async(p, bi_square, &x, sizeof x, NULL, NULL), MP_EINVAL);
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE, mp_pool_apply_async(p, bi_square, &x, sz, NULL, &a),
            MP_ETOOBIG);
    CHECK(a == NULL);

    /* async */
    BI_EQ(mp_async_get(NULL, 0, &res, &n), MP_EINVAL);
    BI_EQ(mp_async_wait(NULL, 0), MP_EINVAL);
    BI_EQ(mp_async_ready(NULL), 0);
    BI_EQ(mp_async_successful(NULL), MP_EINVAL);
    BI_EQ(mp_async_status(NULL), MP_EINVAL);
    mp_async_free(NULL);
    BI_EQ(mp_pool_apply_async(p, bi_block, &e, sizeof e, NULL, &slow), MP_OK);
    BI_EACH_T(bi_bad, BI_NBAD, mp_async_wait(slow, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_async_get(slow, t, &res, &n), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_async_wait(slow, t), MP_ETIMEDOUT);
    BI_EACH_T(bi_short, BI_NSHORT, mp_async_get(slow, t, &res, &n), MP_ETIMEDOUT);
    BI_EQ(mp_async_ready(slow), 0);
    BI_EQ(mp_async_successful(slow), MP_EINVAL); /* not ready */
    mp_event_set(e);
    BI_EACH_T(bi_long, BI_NLONG, mp_async_get(slow, t, NULL, NULL), MP_OK);
    BI_EQ(mp_async_successful(slow), 1);
    BI_EQ(mp_async_status(slow), 0);
    mp_async_free(slow);
    for (i = 0; i < BI_NLONG; i++) { /* long waits for a task still to come */
        mp_event_clear(e);
        BI_EQ(mp_pool_apply_async(p, bi_block, &e, sizeof e, NULL, &slow), MP_OK);
        mp_event_set(e);
        BI_EACH_T(bi_long + i, 1, mp_async_wait(slow, t), MP_OK);
        mp_async_free(slow);
    }

    /* map, map_bytes */
    BI_EQ(mp_pool_map(NULL, bi_square, xs, sizeof *xs, 3, 0, MP_MAP, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(garbage, bi_square, xs, sizeof *xs, 3, 0, MP_MAP, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(p, NULL, xs, sizeof *xs, 3, 0, MP_MAP, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(p, bi_square, NULL, sizeof *xs, 3, 0, MP_MAP, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 0, MP_MAP, NULL), MP_EINVAL);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 0, 0, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 0, -1, &b), MP_EINVAL);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 0, MP_IMAP_UNORDERED + 1, &b), MP_EINVAL);
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE,
            mp_pool_map(p, bi_square, xs, sz, 1, 0, MP_MAP_ASYNC, &b), MP_ETOOBIG);
    /* n items of item_size: a product that wraps around (not the last size: 2^30 items of
       8 bytes could be real) */
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE - 1,
            mp_pool_map(p, bi_square, xs, sizeof *xs, sz, 0, MP_MAP_ASYNC, &b), MP_ETOOBIG);
    /* the array could exist, its n results cannot */
    BI_EQ(mp_pool_map(p, bi_square, xs, 1, SIZE_MAX, 1, MP_IMAP, &b), MP_ENOMEM);
    BI_EQ(mp_pool_map(p, bi_square, xs, (size_t)1 << 32, (size_t)1 << 32, 1, MP_IMAP, &b),
          MP_ETOOBIG);
    CHECK(b == NULL);
    BI_EQ(mp_pool_map_bytes(p, bi_square, NULL, 3, 0, MP_MAP, &b), MP_EINVAL);
    items[0].data = &xs[0];
    items[0].size = sizeof xs[0];
    items[1].data = NULL; /* NULL with a size */
    items[1].size = sizeof xs[1];
    items[2].data = &xs[2];
    items[2].size = sizeof xs[2];
    BI_EQ(mp_pool_map_bytes(p, bi_square, items, 3, 0, MP_MAP_ASYNC, &b), MP_EINVAL);
    CHECK(b == NULL);
    items[1].data = &xs[1];
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE,
            (items[1].size = sz, mp_pool_map_bytes(p, bi_square, items, 3, 0, MP_MAP_ASYNC, &b)),
            MP_ETOOBIG);
    CHECK(b == NULL);
    items[1].size = sizeof xs[1];
    items[1].data = NULL;
    items[1].size = 0; /* NULL with no bytes is fine: the task says 1 (wrong size) */
    BI_EQ(mp_pool_map_bytes(p, bi_square, items, 3, SIZE_MAX, MP_MAP, &b), MP_ETASK);
    mp_batch_free(b);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 0, 0, MP_MAP, &b), MP_OK); /* no items */
    BI_EQ(mp_batch_size(b), 0);
    BI_EQ(mp_batch_result(b, 0, &res, &n, &status), MP_EINVAL);
    mp_batch_free(b);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, SIZE_MAX, MP_MAP, &b), MP_OK);
    BI_EQ(mp_batch_next(b, 0, &idx, &res, &n), MP_EINVAL); /* not an imap */
    mp_batch_free(b);

    /* batch */
    BI_EQ(mp_batch_wait(NULL, 0), MP_EINVAL);
    BI_EQ(mp_batch_size(NULL), 0);
    BI_EQ(mp_batch_result(NULL, 0, &res, &n, &status), MP_EINVAL);
    BI_EQ(mp_batch_next(NULL, 0, &idx, &res, &n), MP_EINVAL);
    mp_batch_free(NULL);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 1, MP_IMAP, &b), MP_OK);
    BI_EACH_T(bi_bad, BI_NBAD, mp_batch_wait(b, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_batch_next(b, t, &idx, &res, &n), MP_EINVAL);
    BI_EQ(mp_batch_result(b, 3, &res, &n, &status), MP_EINVAL);
    BI_EQ(mp_batch_result(b, SIZE_MAX, &res, &n, &status), MP_EINVAL);
    for (i = 0; i < 3; i++) {
        BI_EACH_T(bi_long + i, 1, mp_batch_next(b, t, NULL, NULL, NULL), MP_OK);
    }
    BI_EACH_T(bi_short, BI_NSHORT, mp_batch_next(b, t, &idx, &res, &n), MP_EOF);
    BI_EACH_T(bi_long, BI_NLONG, mp_batch_next(b, t, &idx, &res, &n), MP_EOF);
    BI_EACH_T(bi_long, BI_NLONG, mp_batch_wait(b, t), MP_OK);
    BI_EQ(mp_batch_result(b, 2, NULL, NULL, NULL), MP_OK);
    mp_batch_free(b);
    mp_event_clear(e);
    BI_EQ(mp_pool_map(p, bi_block, &e, sizeof e, 1, 0, MP_MAP_ASYNC, &b), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_batch_wait(b, t), MP_ETIMEDOUT);
    BI_EQ(mp_batch_result(b, 0, &res, &n, &status), MP_ETIMEDOUT);
    mp_event_set(e);
    BI_EACH_T(bi_long, BI_NLONG, mp_batch_wait(b, t), MP_OK);
    mp_batch_free(b);

    /* workers */
    BI_EQ(mp_pool_worker_pids(NULL, pids, 4), MP_EINVAL);
    BI_EQ(mp_pool_worker_pids(garbage, pids, 4), MP_EINVAL);
    BI_EQ(mp_pool_worker_pids(p, NULL, 1), MP_EINVAL);
    BI_EQ(mp_pool_worker_pids(p, pids, -1), MP_EINVAL);
    BI_EQ(mp_pool_worker_pids(p, pids, INT_MIN), MP_EINVAL);
    BI_EQ(mp_pool_worker_pids(p, NULL, 0), 0);
    BI_EQ(mp_pool_worker_pids(p, pids, 4), 2);

    /* close, join, terminate, free: out of order and twice */
    BI_EQ(mp_pool_close(NULL), MP_EINVAL);
    BI_EQ(mp_pool_close(garbage), MP_EINVAL);
    BI_EQ(mp_pool_join(NULL), MP_EINVAL);
    BI_EQ(mp_pool_join(garbage), MP_EINVAL);
    BI_EQ(mp_pool_terminate(NULL), MP_EINVAL);
    BI_EQ(mp_pool_terminate(garbage), MP_EINVAL);
    BI_EQ(mp_pool_free(NULL), MP_EINVAL);
    BI_EQ(mp_pool_free(garbage), MP_EINVAL);
    BI_EQ(mp_pool_join(p), MP_EINVAL); /* not closed yet, as in Python */
    BI_EQ(mp_pool_close(p), MP_OK);
    BI_EQ(mp_pool_close(p), MP_OK);
    BI_EQ(mp_pool_apply(p, bi_square, &x, sizeof x, &got, &n), MP_ECLOSED);
    BI_EQ(mp_pool_apply_async(p, bi_square, &x, sizeof x, NULL, &a), MP_ECLOSED);
    BI_EQ(mp_pool_map(p, bi_square, xs, sizeof *xs, 3, 0, MP_MAP, &b), MP_ECLOSED);
    BI_EQ(mp_pool_map_bytes(p, bi_square, items, 3, 0, MP_MAP, &b), MP_ECLOSED);
    BI_EQ(mp_pool_join(p), MP_OK);
    BI_EQ(mp_pool_join(p), MP_OK);
    BI_EQ(mp_pool_terminate(p), MP_OK);
    BI_EQ(mp_pool_terminate(p), MP_OK);
    BI_EQ(mp_pool_apply_async(p, bi_square, &x, sizeof x, NULL, &a), MP_ECLOSED);
    BI_EQ(mp_pool_free(p), MP_OK);

    /* freed with work under way: its results say MP_ECLOSED and stay readable */
    BI_EQ(mp_pool_new(&q, 1, NULL), MP_OK);
    mp_event_clear(e);
    BI_EQ(mp_pool_apply_async(q, bi_block, &e, sizeof e, NULL, &slow), MP_OK);
    BI_EQ(mp_pool_map(q, bi_block, &e, sizeof e, 1, 0, MP_IMAP, &b), MP_OK);
    BI_EQ(mp_pool_terminate(q), MP_OK);
    BI_EQ(mp_pool_close(q), MP_OK);
    BI_EQ(mp_pool_free(q), MP_OK);
    BI_EQ(mp_async_get(slow, MP_FOREVER, &res, &n), MP_ECLOSED);
    BI_EQ(mp_async_ready(slow), 1);
    BI_EQ(mp_async_successful(slow), 0);
    BI_EQ(mp_batch_next(b, MP_FOREVER, &idx, &res, &n), MP_ECLOSED);
    BI_EQ(mp_batch_next(b, MP_FOREVER, &idx, &res, &n), MP_EOF);
    BI_EQ(mp_batch_wait(b, MP_FOREVER), MP_OK);
    mp_async_free(slow);
    mp_batch_free(b);
    free(garbage);
    mp_event_free(e);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
static int test_badinput_pipe(void) {
    mp_conn *a, *b, *r, *w, *c[3];
    mp_lock *other = mp_lock_new();
    mp_process p, q, *procs[2];
    mp_process *self = (mp_process *)(void *)mp_current_process();
    bi_arg *arg = bi_arg_new(BI_SEND, BI_NLONG);
    char buf[16], small[2];
    void *data = NULL;
    size_t n = 0;
    int ready[4], i, k, v = 0;
    bi_setup();
    procs[0] = procs[1] = NULL;
    CHECK(other && arg);
    BI_EQ(mp_pipe(1, NULL, &b), MP_EINVAL);
    BI_EQ(mp_pipe(1, &a, NULL), MP_EINVAL);
    BI_EQ(mp_pipe(1, NULL, NULL), MP_EINVAL);
    BI_EQ(mp_pipe(-7, &a, &b), MP_OK); /* any non-zero: duplex */
    BI_EQ(mp_pipe(0, &r, &w), MP_OK);
    {
        BI_NOT_OBJECTS(mp_conn, a, other);
        BI_EACH(mp_conn *, x, bi_wrong, 5, mp_conn_send_bytes(x, "x", 1), MP_EINVAL);
        BI_EACH(mp_conn *, x, bi_wrong, 5, mp_conn_recv_bytes(x, buf, sizeof buf, &n, 0),
                MP_EINVAL);
        BI_EACH(mp_conn *, x, bi_wrong, 5, mp_conn_recv_bytes_alloc(x, &data, &n, 0), MP_EINVAL);
        BI_EACH(mp_conn *, x, bi_wrong, 5, mp_conn_poll(x, 0), MP_EINVAL);
        BI_EACH(mp_conn *, x, bi_wrong, 5, mp_conn_close(x), MP_EINVAL);
        for (k = 0; k < 5; k++) {
            c[0] = a;
            c[1] = bi_wrong[k];
            BI_EQ(mp_wait(c, 2, NULL, 0, 0, ready), MP_EINVAL);
        }
    }
    /* send */
    BI_EQ(mp_conn_send_bytes(a, NULL, 1), MP_EINVAL);
    BI_EQ(mp_conn_send_bytes(a, NULL, SIZE_MAX), MP_EINVAL);
    BI_EACH(size_t, sz, bi_huge, BI_NHUGE, mp_conn_send_bytes(a, buf, sz), MP_ETOOBIG);
    BI_EQ(mp_conn_send_bytes(r, "x", 1), MP_EINVAL); /* the receiving end of a simplex pipe */
    BI_EQ(mp_conn_poll(b, 0), MP_ETIMEDOUT);         /* nothing went out */
    /* receive */
    BI_EQ(mp_conn_recv_bytes(w, buf, sizeof buf, &n, 0), MP_EINVAL); /* the sending end */
    BI_EQ(mp_conn_recv_bytes_alloc(w, &data, &n, 0), MP_EINVAL);
    BI_EQ(mp_conn_poll(w, 0), MP_EINVAL);
    c[0] = w;
    BI_EQ(mp_wait(c, 1, NULL, 0, 0, ready), MP_EINVAL);
    BI_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, NULL, 0), MP_EINVAL);
    BI_EQ(mp_conn_recv_bytes(b, NULL, 4, &n, 0), MP_EINVAL);
    BI_EQ(mp_conn_recv_bytes_alloc(b, NULL, &n, 0), MP_EINVAL);
    BI_EQ(mp_conn_recv_bytes_alloc(b, &data, NULL, 0), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_conn_recv_bytes(b, buf, sizeof buf, &n, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_conn_recv_bytes_alloc(b, &data, &n, t), MP_EINVAL);
    BI_EACH_T(bi_bad, BI_NBAD, mp_conn_poll(b, t), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_conn_recv_bytes(b, buf, sizeof buf, &n, t), MP_ETIMEDOUT);
    BI_EACH_T(bi_short, BI_NSHORT, mp_conn_recv_bytes_alloc(b, &data, &n, t), MP_ETIMEDOUT);
    BI_EACH_T(bi_short, BI_NSHORT, mp_conn_poll(b, t), MP_ETIMEDOUT);
    BI_EQ(mp_conn_send_bytes(a, NULL, 0), MP_OK); /* empty */
    BI_EQ(mp_conn_send_bytes(a, "abc", 3), MP_OK);
    BI_EACH_T(bi_short, BI_NSHORT, mp_conn_poll(b, t), MP_OK);
    BI_EACH_T(bi_long, BI_NLONG, mp_conn_poll(b, t), MP_OK);
    BI_EQ(mp_conn_recv_bytes(b, NULL, 0, &n, 0), MP_OK);
    CHECK_EQ(n, 0);
    BI_EQ(mp_conn_recv_bytes(b, small, sizeof small, &n, 0), MP_ETOOBIG); /* it stays */
    CHECK_EQ(n, 3);
    BI_EQ(mp_conn_recv_bytes(b, NULL, 0, &n, MP_FOREVER), MP_ETOOBIG);
    BI_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, -bi_zero), MP_OK);
    CHECK(n == 3 && memcmp(buf, "abc", 3) == 0);
    /* mp_wait */
    c[0] = b;
    c[1] = r;
    BI_EQ(mp_wait(NULL, 1, NULL, 0, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, 1, NULL, 1, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, -1, NULL, 0, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, INT_MIN, NULL, 0, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, 1, procs, -1, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, INT_MAX, procs, INT_MAX, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(c, INT_MAX, NULL, 0, 0, ready), MP_EINVAL);
    BI_EQ(mp_wait(NULL, 0, NULL, 0, 0, ready), MP_EINVAL); /* nothing to wait for */
    BI_EACH_T(bi_bad, BI_NBAD, mp_wait(c, 2, NULL, 0, t, ready), MP_EINVAL);
    BI_EACH_T(bi_short, BI_NSHORT, mp_wait(c, 2, NULL, 0, t, ready), MP_ETIMEDOUT);
    BI_EACH_T(bi_short, BI_NSHORT, mp_wait(c, 2, NULL, 0, t, NULL), MP_ETIMEDOUT);
    procs[0] = self; /* not our child */
    BI_EQ(mp_wait(c, 2, procs, 1, 0, ready), MP_EINVAL);
    procs[0] = NULL;
    BI_EQ(mp_wait(c, 2, procs, 1, 0, ready), MP_EINVAL);
    BI_EQ(mp_process_init(&q, bi_ret, &v, sizeof v, NULL), MP_OK);
    procs[0] = &q;
    BI_EQ(mp_wait(c, 2, procs, 1, 0, ready), MP_ENOTSTARTED);
    BI_EQ(mp_process_close(&q), MP_OK);
    BI_EQ(mp_wait(c, 2, procs, 1, 0, ready), MP_ECLOSED);
    BI_EQ(mp_process_init(&q, bi_ret, &v, sizeof v, NULL), MP_OK);
    BI_EQ(mp_process_start(&q), MP_OK);
    BI_EACH_T(bi_long, BI_NLONG, mp_wait(NULL, 0, procs, 1, t, ready), 1);
    BI_EQ(bi_join(&q), 0);

    /* long timeouts: receive, poll and wait for a message still to come */
    arg->conn = a;
    BI_EQ(bi_start_ticker(&p, arg), MP_OK);
    procs[0] = &p;
    for (i = 0; i < BI_NLONG; i++) {
        mp_semaphore_release(arg->go);
        switch (i % 4) {
        case 0:
            BI_EACH_T(bi_long + i, 1, mp_conn_recv_bytes(b, &k, sizeof k, &n, t), MP_OK);
            break;
        case 1:
            BI_EACH_T(bi_long + i, 1, mp_conn_recv_bytes_alloc(b, &data, &n, t), MP_OK);
            memcpy(&k, data, sizeof k);
            mp_free(data);
            break;
        case 2:
            BI_EACH_T(bi_long + i, 1, mp_conn_poll(b, t), MP_OK);
            BI_EQ(mp_conn_recv_bytes(b, &k, sizeof k, &n, 0), MP_OK);
            break;
        default: /* the message, and after the last one maybe the child's end too */
            c[0] = b;
            k = mp_wait(c, 1, procs, 1, bi_long[i], ready);
            if (k < 1 || !ready[0]) {
                fprintf(stderr, "  mp_wait with timeout %g gave %d, ready[0] %d\n", bi_long[i], k,
                        ready[0]);
                return 1;
            }
            BI_EQ(mp_conn_recv_bytes(b, &k, sizeof k, &n, 0), MP_OK);
        }
        CHECK_EQ(k, i);
    }
    BI_EQ(bi_join(&p), 0);

    /* closed here: every use says MP_ECLOSED; closing again is fine */
    BI_EQ(mp_conn_close(a), MP_OK);
    BI_EQ(mp_conn_close(a), MP_OK);
    BI_EQ(mp_conn_send_bytes(a, "x", 1), MP_ECLOSED);
    BI_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_ECLOSED);
    BI_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 0), MP_ECLOSED);
    BI_EQ(mp_conn_poll(a, 0), MP_ECLOSED);
    c[0] = a;
    BI_EQ(mp_wait(c, 1, NULL, 0, 0, ready), MP_ECLOSED);
    BI_EACH_T(bi_long, BI_NLONG, mp_conn_recv_bytes(b, buf, sizeof buf, &n, t), MP_EOF);
    BI_EACH_T(bi_long, BI_NLONG, mp_conn_poll(b, t), MP_OK); /* EOF is ready */
    BI_EQ(mp_conn_send_bytes(b, "x", 1), MP_EOF);
    BI_EQ(mp_conn_close(b), MP_OK);
    BI_EQ(mp_conn_close(w), MP_OK);
    BI_EQ(mp_conn_recv_bytes(r, buf, sizeof buf, &n, MP_FOREVER), MP_EOF);
    BI_EQ(mp_conn_close(r), MP_OK);
    /* every copy closed: the objects are gone, and still answer */
    BI_EQ(mp_conn_close(r), MP_OK);
    BI_EQ(mp_conn_send_bytes(w, "x", 1), MP_ECLOSED);
    BI_EQ(mp_conn_poll(r, 0), MP_ECLOSED);
    BI_EQ(mp_lock_free(other), MP_OK);
    return 0;
}

/* The functions of issues 10, 11, 13 and 14, the same way: NULL for each pointer, values out
   of range, objects used after close. */
static int test_badinput_new_api(void) {
    mp_process p;
    mp_queue *q;
    mp_pool *pool;
    mp_async *set[2] = {NULL, NULL};
    mp_batch *b = NULL;
    mp_listener *l = NULL;
    mp_conn *c = NULL;
    mp_shm *sh = NULL;
    mp_barrier_options bo;
    const void *data[1] = {NULL};
    size_t sizes[2] = {0, 0}, n = 0, len = 0;
    unsigned char key[64], buf[64];
    int idx = -1, item = 3;
    double nan_ = 0.0;
    nan_ = nan_ / nan_;
    mp_init();
    /* start methods, forkserver, threads, parent */
    CHECK_EQ(mp_process_set_start_method(NULL, MP_SPAWN), MP_EINVAL);
    CHECK_EQ(mp_process_init(&p, bi_ret, NULL, 0, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, 12345), MP_EINVAL);
    CHECK_EQ(mp_process_set_start_method(&p, -1), MP_EINVAL);
    CHECK_EQ(mp_process_close(&p), MP_OK);
    CHECK(mp_process_set_start_method(&p, MP_SPAWN) < 0); /* closed */
    CHECK(mp_thread_count() >= 1 || mp_thread_count() == MP_ENOSYS);
    mp_set_fork_hook(NULL, NULL); /* no hook: allowed */
    (void)mp_parent_process();    /* a child of the runner: the runner, or NULL */
    /* helpers */
    CHECK_EQ(mp_sleep(-1), MP_EINVAL);
    CHECK_EQ(mp_sleep(nan_), MP_EINVAL);
    CHECK_EQ(mp_sleep(0), MP_OK);
    CHECK(mp_time() > 0 && mp_monotonic() >= 0);
    CHECK_EQ(mp_process_init_str(NULL, bi_ret, "x", NULL), MP_EINVAL);
    CHECK_EQ(mp_process_init_str(&p, NULL, "x", NULL), MP_EINVAL);
    CHECK_EQ(mp_process_init_str(&p, bi_ret, NULL, NULL), MP_EINVAL);
    /* interrupt: set, seen, cleared (nothing waits here) */
    mp_interrupt();
    CHECK_EQ(mp_interrupted(), 1);
    mp_interrupt_clear();
    CHECK_EQ(mp_interrupted(), 0);
    /* sync */
    CHECK_EQ(mp_lock_locked(NULL), MP_EINVAL);
    CHECK(mp_barrier_new2(0, NULL) == NULL);
    CHECK(mp_barrier_new2(-1, NULL) == NULL);
    memset(&bo, 0, sizeof bo);
    bo.timeout = -1;
    CHECK(mp_barrier_new2(2, &bo) == NULL);
    bo.timeout = nan_;
    CHECK(mp_barrier_new2(2, &bo) == NULL);
    CHECK(mp_value_new_init(0, NULL) == NULL);
    CHECK(mp_array_new(0, 4, NULL) == NULL);
    CHECK(mp_array_new((size_t)-1 / 2, 4, NULL) == NULL); /* the product overflows */
    CHECK(mp_array_new(8, (size_t)-1 / 4, NULL) == NULL);
    /* queue */
    CHECK_EQ(mp_queue_shutdown(NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(NULL, data, sizes, 1, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(NULL, buf, sizeof buf, sizes, 2, &n, 0), MP_EINVAL);
    q = mp_queue_new(0, 0);
    CHECK(q != NULL);
    data[0] = buf;
    sizes[0] = 8;
    CHECK_EQ(mp_queue_put_many(q, NULL, sizes, 1, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(q, data, NULL, 1, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(q, data, sizes, 1, &n, -1), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(q, data, sizes, 1, &n, nan_), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, NULL, 2, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 2, &n, -1), MP_EINVAL);
    CHECK_EQ(mp_queue_shutdown(q, 1), MP_OK);
    CHECK_EQ(mp_queue_shutdown(q, 1), MP_OK); /* again: harmless */
    CHECK_EQ(mp_queue_put_many(q, data, sizes, 1, &n, 0), MP_ESHUTDOWN);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    CHECK(mp_queue_shutdown(q, 0) < 0); /* freed: its magic is gone */
    /* pool */
    CHECK_EQ(mp_async_cancel(NULL), MP_EINVAL);
    CHECK_EQ(mp_async_wait_any(NULL, 1, 0, &idx), MP_EINVAL);
    CHECK_EQ(mp_async_wait_any(set, -1, 0, &idx), MP_EINVAL);
    CHECK(mp_async_wait_any(set, 2, 0, &idx) < 0); /* nothing to wait for */
    CHECK_EQ(mp_pool_shutdown(NULL, 1, 0), MP_EINVAL);
    CHECK_EQ(mp_pool_map_async(NULL, bi_square, &item, sizeof item, 1, 1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes_async(NULL, bi_square, NULL, 1, 1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_new(&pool, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_map_async(pool, NULL, &item, sizeof item, 1, 1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_async(pool, bi_square, NULL, sizeof item, 1, 1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_async(pool, bi_square, &item, sizeof item, 1, 1, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes_async(pool, bi_square, NULL, 1, 1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_shutdown(pool, 1, 1), MP_OK);
    CHECK(mp_pool_map_async(pool, bi_square, &item, sizeof item, 1, 1, NULL, &b) < 0); /* shut */
    CHECK_EQ(mp_pool_free(pool), MP_OK);
    /* authkey, listener, client, shared memory */
    CHECK_EQ(mp_authkey_get(NULL, sizeof key, &len), MP_EINVAL);
    CHECK(mp_authkey_get(key, 1, &len) < 0); /* too small for 32 bytes */
    CHECK_EQ(mp_authkey_get(key, sizeof key, &len), MP_OK);
    CHECK_EQ(mp_authkey_set(NULL, 4), MP_EINVAL);
    CHECK(mp_authkey_set(key, (size_t)-1) < 0);
    CHECK_EQ(mp_listener_new(NULL, NULL, NULL, 0), MP_EINVAL);
    CHECK(mp_listener_new(&l, "[::1", NULL, 0) < 0); /* an unclosed bracket */
    CHECK(mp_listener_new(&l, "127.0.0.1:99999", NULL, 0) < 0);
    CHECK(mp_listener_new(&l, "", NULL, 0) < 0);
    CHECK_EQ(mp_listener_accept(NULL, 0, &c), MP_EINVAL);
    (void)mp_listener_address(NULL); /* no crash: NULL or "" */
    CHECK(mp_listener_fileno(NULL) < 0);
    CHECK_EQ(mp_listener_set_handshake_timeout(NULL, 1), MP_EINVAL);
    (void)mp_listener_close(NULL); /* as free(NULL) */
    CHECK_EQ(mp_client(NULL, "127.0.0.1:1", NULL, 0, 0), MP_EINVAL);
    CHECK_EQ(mp_client(&c, NULL, NULL, 0, 0), MP_EINVAL);
    CHECK(mp_client(&c, "127.0.0.1:1", NULL, 0, -1) < 0);
    CHECK(mp_conn_fileno(NULL) < 0);
    CHECK_EQ(mp_shm_open(NULL, "x", 1, 16), MP_EINVAL);
    CHECK(mp_shm_open(&sh, NULL, 0, 0) < 0);         /* attach needs a name */
    CHECK(mp_shm_open(&sh, "a/b", 1, 16) < 0);       /* no slash in a name */
    CHECK(mp_shm_open(&sh, "mp_bi_zero", 1, 0) < 0); /* create needs a size */
    CHECK(mp_shm_buf(NULL) == NULL);
    CHECK_EQ(mp_shm_size(NULL), 0);
    (void)mp_shm_name(NULL);
    (void)mp_shm_close(NULL); /* as free(NULL) */
    CHECK_EQ(mp_shm_unlink(NULL), MP_EINVAL);
    return 0;
}

static const mp_test badinput_tests[] = {{"badinput_process", test_badinput_process},
                                         {"badinput_arena", test_badinput_arena},
                                         {"badinput_lock", test_badinput_lock},
                                         {"badinput_sync", test_badinput_sync},
                                         {"badinput_queue", test_badinput_queue},
                                         {"badinput_pool", test_badinput_pool},
                                         {"badinput_pipe", test_badinput_pipe},
                                         {"badinput_new_api", test_badinput_new_api},
                                         {NULL, NULL}};
