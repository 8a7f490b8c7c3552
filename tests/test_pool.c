/* Pool: results against a serial run, initializer and maxtasksperchild, workers that die in
   every way in the middle of a task, the task timeout, close/join/terminate, bad input, and
   a parent that dies under its workers. */
#ifdef _WIN32
#include <windows.h>
#endif

static int square_task(const void *arg, size_t size, mp_task_out *out) {
    long long v;
    if (size != sizeof v) return 99;
    memcpy(&v, arg, sizeof v);
    v = v * v + 1;
    return mp_task_return(out, &v, sizeof v);
}
static int check_square(const void *data, size_t size, long long i) {
    long long v;
    if (size != sizeof v) return 0;
    memcpy(&v, data, sizeof v);
    return v == i * i + 1;
}

static int test_pool_map_matches_serial(void) {
    static const size_t sizes[] = {1, 7, 1000, 100000};
    static const size_t chunks[] = {0, 1, 7, 1000};
    long long *items = (long long *)malloc(100000 * sizeof(long long));
    mp_pool *p;
    size_t s, c, i;
    CHECK(items != NULL);
    for (i = 0; i < 100000; i++) items[i] = (long long)i;
    CHECK_EQ(mp_pool_new(&p, 3, NULL), MP_OK);
    for (s = 0; s < 4; s++)
        for (c = 0; c < 4; c++) {
            mp_batch *b;
            size_t n = sizes[s];
            if (n == 100000 && chunks[c] == 1) n = 20000; /* keep Wine's share of time sane */
            CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], n, chunks[c], MP_MAP, &b),
                     MP_OK);
            CHECK_EQ(mp_batch_size(b), n);
            for (i = 0; i < n; i++) {
                const void *d;
                size_t sz;
                CHECK_EQ(mp_batch_result(b, i, &d, &sz, NULL), MP_OK);
                CHECK(check_square(d, sz, (long long)i));
            }
            mp_batch_free(b);
        }
    free(items);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static int test_pool_imap(void) {
    long long items[3000];
    mp_pool *p;
    size_t i, chunk;
    for (i = 0; i < 3000; i++) items[i] = (long long)i;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    for (chunk = 1; chunk <= 1000; chunk *= 10) {
        mp_batch *b;
        unsigned char *seen = (unsigned char *)calloc(3000, 1);
        size_t index, n = 0, sz;
        const void *d;
        int r;
        CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 3000, chunk, MP_IMAP, &b),
                 MP_OK);
        while ((r = mp_batch_next(b, 30, &index, &d, &sz)) != MP_EOF) {
            CHECK_EQ(r, MP_OK);
            CHECK_EQ(index, n); /* in order */
            CHECK(check_square(d, sz, (long long)index));
            n++;
        }
        CHECK_EQ(n, 3000);
        mp_batch_free(b);
        CHECK_EQ(
            mp_pool_map(p, square_task, items, sizeof items[0], 3000, chunk, MP_IMAP_UNORDERED, &b),
            MP_OK);
        n = 0;
        while ((r = mp_batch_next(b, 30, &index, &d, &sz)) != MP_EOF) {
            CHECK_EQ(r, MP_OK);
            CHECK(index < 3000 && !seen[index]);
            seen[index] = 1;
            CHECK(check_square(d, sz, (long long)index));
            n++;
        }
        CHECK_EQ(n, 3000);
        CHECK_EQ(mp_batch_next(b, 0, &index, &d, &sz), MP_EOF);
        mp_batch_free(b);
        free(seen);
    }
    /* map over byte buffers of different sizes */
    {
        mp_bytes bufs[3];
        mp_batch *b;
        long long x = 5, y = 6;
        const void *d;
        size_t sz;
        bufs[0].data = &x;
        bufs[0].size = sizeof x;
        bufs[1].data = "abc";
        bufs[1].size = 3; /* the wrong size for square_task: an orderly failure */
        bufs[2].data = &y;
        bufs[2].size = sizeof y;
        CHECK_EQ(mp_pool_map_bytes(p, square_task, bufs, 3, 1, MP_MAP, &b), MP_ETASK);
        CHECK_EQ(mp_batch_result(b, 0, &d, &sz, NULL), MP_OK);
        CHECK(check_square(d, sz, 5));
        {
            int status = 0;
            CHECK_EQ(mp_batch_result(b, 1, &d, &sz, &status), MP_ETASK);
            CHECK_EQ(status, 99);
        }
        CHECK_EQ(mp_batch_result(b, 2, &d, &sz, NULL), MP_OK);
        CHECK(check_square(d, sz, 6));
        mp_batch_free(b);
    }
    CHECK_EQ(mp_pool_terminate(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static volatile int callback_sum, error_calls;
static void on_result(void *user, const void *data, size_t size) {
    long long v;
    (void)user;
    if (size == sizeof v) {
        memcpy(&v, data, sizeof v);
        callback_sum += (int)v;
    }
}
static void on_error(void *user, int err, int status) {
    (void)user;
    (void)err;
    (void)status;
    error_calls++;
}
static int wait_event_task(const void *arg, size_t size, mp_task_out *out) {
    mp_event *e;
    (void)out;
    if (size != sizeof e) return 1;
    memcpy(&e, arg, sizeof e);
    return mp_event_wait(e, 60) == MP_OK ? 0 : 2;
}
static int failing_task(const void *arg, size_t size, mp_task_out *out) {
    (void)arg;
    (void)size;
    (void)out;
    return 7;
}
static int test_pool_apply_async(void) {
    mp_async *a[100], *slow, *bad;
    mp_async_callbacks cb;
    mp_event *e = mp_event_new();
    mp_pool *p;
    long long i;
    int expect = 0;
    CHECK(e != NULL);
    memset(&cb, 0, sizeof cb);
    cb.callback = on_result;
    cb.error_callback = on_error;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &slow), MP_OK);
    CHECK_EQ(mp_async_get(slow, 0, NULL, NULL), MP_ETIMEDOUT); /* pending: timeout 0 */
    CHECK_EQ(mp_async_wait(slow, 0.05), MP_ETIMEDOUT);
    CHECK_EQ(mp_async_ready(slow), 0);
    CHECK_EQ(mp_async_successful(slow), MP_EINVAL); /* not ready yet */
    for (i = 0; i < 100; i++) {
        CHECK_EQ(mp_pool_apply_async(p, square_task, &i, sizeof i, &cb, &a[i]), MP_OK);
        expect += (int)(i * i + 1);
    }
    CHECK_EQ(mp_pool_apply_async(p, failing_task, NULL, 0, &cb, &bad), MP_OK);
    for (i = 0; i < 100; i++) {
        const void *d;
        size_t sz;
        CHECK_EQ(mp_async_get(a[i], 30, &d, &sz), MP_OK);
        CHECK(check_square(d, sz, i));
        CHECK_EQ(mp_async_successful(a[i]), 1);
        mp_async_free(a[i]);
    }
    CHECK_EQ(mp_async_get(bad, 30, NULL, NULL), MP_ETASK); /* an orderly failure */
    CHECK_EQ(mp_async_status(bad), 7);
    CHECK_EQ(mp_async_successful(bad), 0);
    CHECK_EQ(callback_sum, expect); /* callbacks ran in this process */
    CHECK_EQ(error_calls, 1);
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_async_get(slow, 30, NULL, NULL), MP_OK);
    {
        long long x = 9;
        void *res = NULL;
        size_t sz = 0;
        CHECK_EQ(mp_pool_apply(p, square_task, &x, sizeof x, &res, &sz), MP_OK);
        CHECK(check_square(res, sz, 9));
        mp_free(res);
        CHECK_EQ(mp_pool_apply(p, failing_task, NULL, 0, &res, &sz), MP_ETASK);
        CHECK(res == NULL);
    }
    mp_async_free(slow);
    mp_async_free(bad);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static long long init_value = 0;
static int pool_init(void *arg, size_t size) {
    if (size == sizeof init_value) memcpy(&init_value, arg, size);
    return 0;
}
static int pid_and_init(const void *arg, size_t size, mp_task_out *out) {
    long long v[2];
    (void)arg;
    (void)size;
    v[0] = mp_getpid();
    v[1] = init_value;
    return mp_task_return(out, v, sizeof v);
}
static int test_pool_initializer_maxtasks(void) {
    mp_pool_options o;
    mp_pool *p;
    mp_batch *b;
    long long seed = 4242, pids[40];
    long before[2], after[2];
    size_t i, j;
    int distinct = 0;
    memset(&o, 0, sizeof o);
    o.initializer = pool_init;
    o.initargs = &seed;
    o.initargs_size = sizeof seed;
    o.maxtasksperchild = 2;
    CHECK_EQ(mp_pool_new(&p, 2, &o), MP_OK);
    CHECK_EQ(mp_pool_worker_pids(p, before, 2), 2);
    CHECK_EQ(mp_pool_map(p, pid_and_init, NULL, 0, 40, 1, MP_MAP, &b), MP_EINVAL); /* no items */
    {
        char dummy[40];
        CHECK_EQ(mp_pool_map(p, pid_and_init, dummy, 1, 40, 1, MP_MAP, &b), MP_OK);
    }
    for (i = 0; i < 40; i++) {
        const void *d;
        size_t sz;
        long long v[2];
        CHECK_EQ(mp_batch_result(b, i, &d, &sz, NULL), MP_OK);
        CHECK_EQ(sz, sizeof v);
        memcpy(v, d, sizeof v);
        CHECK_EQ(v[1], 4242); /* the initializer ran in that worker */
        pids[i] = v[0];
        for (j = 0; j < i && pids[j] != v[0]; j++) {}
        if (j == i) distinct++;
    }
    CHECK(distinct >= 20); /* two tasks per worker, then a new one */
    CHECK_EQ(mp_pool_worker_pids(p, after, 2), 2);
    CHECK(after[0] != before[0] && after[1] != before[1]);
    mp_batch_free(b);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static int dying_task(const void *arg, size_t size, mp_task_out *out) {
    int how;
    (void)out;
    if (size != sizeof how) return 1;
    memcpy(&how, arg, sizeof how);
    switch (how) {
    case 0:
        abort();
    case 1:
        _exit(3);
#ifdef _WIN32
    case 2:
        *(volatile int *)(size_t)(how - 2) = 1;
        break;
    case 3:
        TerminateProcess(GetCurrentProcess(), 9);
        break;
#else
    case 2:
        raise(SIGSEGV);
        break;
    case 3:
        raise(SIGKILL);
        break;
#endif
    }
    return 0;
}
static int test_pool_worker_dies(void) {
    mp_pool *p;
    mp_async *a[4], *ok[20];
    int how;
    long long i;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    for (i = 0; i < 20; i++) {
        if (i % 5 == 0) {
            how = (int)(i / 5);
            CHECK_EQ(mp_pool_apply_async(p, dying_task, &how, sizeof how, NULL, &a[how]), MP_OK);
        }
        CHECK_EQ(mp_pool_apply_async(p, square_task, &i, sizeof i, NULL, &ok[i]), MP_OK);
    }
    for (how = 0; how < 4; how++) {
        CHECK_EQ(mp_async_get(a[how], 60, NULL, NULL), MP_EWORKERDIED);
#ifndef _WIN32
        {
            static const int status[4] = {-SIGABRT, 3, -SIGSEGV, -SIGKILL};
            CHECK_EQ(mp_async_status(a[how]), status[how]);
        }
#else
        CHECK(mp_async_status(a[how]) != 0);
#endif
        mp_async_free(a[how]);
    }
    for (i = 0; i < 20; i++) { /* every other task completes */
        const void *d;
        size_t sz;
        CHECK_EQ(mp_async_get(ok[i], 60, &d, &sz), MP_OK);
        CHECK(check_square(d, sz, i));
        mp_async_free(ok[i]);
    }
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static int test_pool_task_timeout(void) {
    mp_pool_options o;
    mp_pool *p;
    mp_async *slow, *fast;
    mp_event *e = mp_event_new();
    long long x = 3;
    const void *d;
    size_t sz;
    double t0;
    CHECK(e != NULL);
    memset(&o, 0, sizeof o);
    o.task_timeout = 0.3;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_OK);
    t0 = mp__os_now();
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &slow), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &fast), MP_OK);
    CHECK_EQ(mp_async_get(slow, 30, NULL, NULL), MP_ETASKTIMEOUT);
    CHECK(mp__os_now() - t0 >= 0.29);
    CHECK_EQ(mp_async_get(fast, 30, &d, &sz), MP_OK); /* on the replacement worker */
    CHECK(check_square(d, sz, 3));
    mp_async_free(slow);
    mp_async_free(fast);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static int test_pool_close_join_terminate(void) {
    mp_pool *p;
    mp_async *a, *b;
    mp_batch *m;
    mp_event *e = mp_event_new();
    long long x = 2;
    CHECK(e != NULL);
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_EINVAL); /* close() or terminate() first */
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &a), MP_OK);
    CHECK_EQ(mp_pool_map(p, wait_event_task, &e, sizeof e, 1, 1, MP_MAP_ASYNC, &m), MP_OK);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &b), MP_ECLOSED);
    CHECK(b == NULL);
    CHECK_EQ(mp_pool_terminate(p), MP_OK); /* pending work is failed */
    CHECK_EQ(mp_async_get(a, 1, NULL, NULL), MP_ECLOSED);
    CHECK_EQ(mp_batch_wait(m, 1), MP_OK);
    CHECK_EQ(mp_batch_result(m, 0, NULL, NULL, NULL), MP_ECLOSED);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    CHECK_EQ(mp_async_get(a, 0, NULL, NULL), MP_ECLOSED); /* results outlive the pool */
    mp_async_free(a);
    mp_batch_free(m);
    /* freeing a pool with work pending: defined, the work reports MP_ECLOSED */
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &a), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    CHECK_EQ(mp_async_get(a, 0, NULL, NULL), MP_ECLOSED);
    mp_async_free(a);
    /* close then join waits for the work */
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a), MP_OK);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_async_ready(a), 1);
    CHECK_EQ(mp_async_get(a, 0, NULL, NULL), MP_OK);
    mp_async_free(a);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

static int test_pool_bad_input(void) {
    mp_pool_options o;
    mp_pool *p = NULL;
    mp_async *a;
    mp_batch *b;
    long long x = 1;
    memset(&o, 0, sizeof o);
    CHECK_EQ(mp_pool_new(NULL, 2, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_new(&p, 0, NULL), MP_EINVAL); /* zero workers */
    CHECK_EQ(mp_pool_new(&p, -3, NULL), MP_EINVAL);
    o.maxtasksperchild = -1;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    o.maxtasksperchild = 0;
    o.task_timeout = -1;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    o.task_timeout = 0;
    o.initargs_size = 4;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    CHECK(p == NULL);
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, NULL, &x, sizeof x, NULL, &a), MP_EINVAL);
    CHECK_EQ(mp_pool_apply_async(p, square_task, NULL, 8, NULL, &a), MP_EINVAL);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 1, 0, 99, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 1, 0, MP_MAP, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes(p, square_task, NULL, 3, 0, MP_MAP, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 0, 0, MP_MAP, &b), MP_OK); /* empty */
    CHECK_EQ(mp_batch_size(b), 0);
    CHECK_EQ(mp_batch_next(b, 0, NULL, NULL, NULL), MP_EINVAL); /* not an imap */
    CHECK_EQ(mp_batch_result(b, 0, NULL, NULL, NULL), MP_EINVAL);
    mp_batch_free(b);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a), MP_OK);
    CHECK_EQ(mp_async_wait(a, -1), MP_EINVAL);
    CHECK_EQ(mp_async_get(a, 30, NULL, NULL), MP_OK);
    mp_async_free(a);
    mp_async_free(NULL);
    mp_batch_free(NULL);
    CHECK_EQ(mp_async_get(NULL, 0, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_close(NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_free(NULL), MP_EINVAL);
    CHECK_EQ(mp_task_return(NULL, &x, 1), MP_EINVAL);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* A process that makes a pool and is then killed: its workers must not linger. */
static int pool_owner(void *arg, size_t size) {
    shared_flags *f;
    mp_pool *p;
    long pids[2];
    (void)size;
    memcpy(&f, arg, sizeof f);
    if (mp_pool_new(&p, 2, NULL) != MP_OK) return 2;
    mp_pool_worker_pids(p, pids, 2);
    f->values[0] = (mp__u32)pids[0];
    f->values[1] = (mp__u32)pids[1];
    flag_add(&f->ready);
    for (;;) mp__wait(&f->go, 0, 10);
}
static int test_pool_parent_killed(void) {
    shared_flags *f = flags_new();
    mp_process p;
    double t0;
    int w;
    CHECK(f != NULL);
    CHECK_EQ(mp_process_init(&p, pool_owner, &f, sizeof f, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&f->ready, 1);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    t0 = mp__os_now();
    for (w = 0; w < 2; w++) {
        while (mp__os_pid_alive((long)f->values[w]) && mp__os_now() - t0 < 10) mp__os_sleep(0.01);
        CHECK(!mp__os_pid_alive((long)f->values[w]));
    }
    return 0;
}

static const mp_test pool_tests[] = {{"pool_map_matches_serial", test_pool_map_matches_serial},
                                     {"pool_imap", test_pool_imap},
                                     {"pool_apply_async", test_pool_apply_async},
                                     {"pool_initializer_maxtasks", test_pool_initializer_maxtasks},
                                     {"pool_worker_dies", test_pool_worker_dies},
                                     {"pool_task_timeout", test_pool_task_timeout},
                                     {"pool_close_join_terminate", test_pool_close_join_terminate},
                                     {"pool_bad_input", test_pool_bad_input},
                                     {"pool_parent_killed", test_pool_parent_killed},
                                     {NULL, NULL}};
