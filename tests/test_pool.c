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
    CHECK_EQ(mp_pool_new(&p, -1, NULL), MP_EINVAL); /* 0 workers: mp_cpu_count() (pool_defaults) */
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
/* Kills a process that made a pool (owner publishes its workers' pids, then waits): the
   workers must end with it, soon, whatever they were doing. */
static int kill_pool_owner(mp_target_fn owner) {
    shared_flags *f = flags_new();
    mp_process p;
    double t0;
    int w;
    CHECK(f != NULL);
    CHECK_EQ(mp_process_init(&p, owner, &f, sizeof f, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(flag_wait_child(&f->ready, 1, &p), 0);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    t0 = mp__os_now();
    for (w = 0; w < 2; w++) {
        while (mp__os_pid_alive((long)f->values[w]) && mp__os_now() - t0 < 10) mp__os_sleep(0.01);
        CHECK(!mp__os_pid_alive((long)f->values[w])); /* not a minute later, at a task's end */
    }
    mp_shared_free(f);
    return 0;
}
static int test_pool_parent_killed(void) {
    return kill_pool_owner(pool_owner);
}

/* A: the pool's own bookkeeping does not grow with the number of tasks it has run. */
static int test_pool_bookkeeping_constant(void) {
#ifdef _WIN32
    const size_t rounds = 20; /* Wine moves messages slowly */
#else
    const size_t rounds = 200;
#endif
    long long *items = (long long *)malloc(5000 * sizeof(long long));
    mp__heap v;
    heap_stats st, first;
    mp_pool *p;
    size_t r, i;
    CHECK(items != NULL);
    for (i = 0; i < 5000; i++) items[i] = (long long)i;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK(mp__heap_view(&v, mp__g.arena, mp__g.arena_size));
    memset(&first, 0, sizeof first);
    for (r = 0; r < rounds; r++) { /* 1,000,000 tasks in 200 chunks a round */
        mp_batch *b;
        mp_async *a[50];
        long long x = (long long)r;
        CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 5000, 25, MP_MAP, &b), MP_OK);
        CHECK_EQ(mp_batch_result(b, 4999, NULL, NULL, NULL), MP_OK);
        mp_batch_free(b);
        for (i = 0; i < 50; i++)
            CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a[i]), MP_OK);
        for (i = 0; i < 50; i++) {
            const void *d;
            size_t sz;
            CHECK_EQ(mp_async_get(a[i], 60, &d, &sz), MP_OK);
            CHECK(check_square(d, sz, x));
            mp_async_free(a[i]);
        }
        CHECK_EQ(p->nchunks, 0); /* no chunk record outlives its chunk */
        CHECK_EQ(heap_check(&v, &st), 0);
        if (r == 0) first = st;
        CHECK_EQ(st.used, first.used); /* no arena growth after the first round */
        CHECK_EQ(st.free_units, first.free_units);
    }
    CHECK(p->cap_chunks <= 256); /* the most chunks ever in flight at once: 200 */
    CHECK(p->pend_cap <= 256);
    free(items);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* A: freeing a result that is not finished touches nothing but that result: the chunk table
   is hidden while 20,000 pending results and a pending batch are freed. */
static int test_pool_free_pending(void) {
    static mp_async *a[20000];
    mp_event *e = mp_event_new();
    mp_async *block;
    mp_batch *b;
    mp__chunk **table;
    mp_pool *p;
    long long x = 4, items[100];
    size_t i;
    CHECK(e != NULL);
    memset(items, 0, sizeof items);
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &block), MP_OK);
    for (i = 0; i < 20000; i++)
        CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a[i]), MP_OK);
    CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 100, 1, MP_MAP_ASYNC, &b), MP_OK);
    table = p->chunks;
    p->chunks = NULL; /* a free that looked at other chunks would crash here */
    for (i = 0; i < 20000; i++) mp_async_free(a[i]);
    mp_batch_free(b);
    p->chunks = table;
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_async_get(block, 60, NULL, NULL), MP_OK);
    mp_async_free(block);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(p->nchunks, 0);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* B: sizes near SIZE_MAX fail cleanly, never overflow a sum. */
static int huge_return_task(const void *arg, size_t size, mp_task_out *out) {
    long long v = 0;
    char c = 1;
    (void)arg;
    (void)size;
    if (mp_task_return(out, &c, (size_t)-1 / 2 + 1) != MP_ETOOBIG) return 1;
    if (mp_task_return(out, &c, (size_t)-1) != MP_ETOOBIG) return 2;
    if (mp_task_return(out, &c, MP_MESSAGE_MAX + 1) != MP_ETOOBIG) return 3;
    return mp_task_return(out, &v, sizeof v); /* still usable */
}
static int test_pool_size_overflow(void) {
    mp_pool *p;
    mp_async *a;
    mp_batch *b = NULL;
    mp_bytes bufs[3];
    mp_task_out o;
    long long x = 1;
    char c = 0;
    void *res;
    size_t sz;
    const void *d;
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply(p, square_task, &x, (size_t)-1, &res, &sz), MP_ETOOBIG);
    CHECK_EQ(mp_pool_apply(p, square_task, &x, (size_t)-8, &res, &sz), MP_ETOOBIG);
    CHECK_EQ(mp_pool_apply(p, square_task, &x, MP_MESSAGE_MAX, &res, &sz), MP_ETOOBIG);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, (size_t)-5, NULL, &a), MP_ETOOBIG);
    CHECK(a == NULL);
    CHECK_EQ(mp_pool_map(p, square_task, &x, (size_t)-1, 3, 1, MP_MAP, &b), MP_ETOOBIG);
    CHECK(b == NULL);
    CHECK_EQ(
        mp_pool_map(p, square_task, &x, ((size_t)1 << 20), (size_t)-1 / 1024, 1, MP_MAP_ASYNC, &b),
        MP_ETOOBIG); /* n * item_size overflows: no such buffer */
    CHECK_EQ(mp_pool_map(p, square_task, &x, 0, ((size_t)1 << 59) + 1, 0, MP_MAP_ASYNC, &b),
             MP_ENOMEM);
    CHECK_EQ(mp_pool_map(p, square_task, &x, 0, (size_t)-1, 0, MP_IMAP_UNORDERED, &b), MP_ENOMEM);
    CHECK(b == NULL);
    bufs[0].data = &c;
    bufs[0].size = (size_t)-1 / 2;
    bufs[1].data = &c;
    bufs[1].size = (size_t)-1 / 2;
    bufs[2].data = &c;
    bufs[2].size = 16;
    CHECK_EQ(mp_pool_map_bytes(p, square_task, bufs, 3, 3, MP_MAP, &b), MP_ETOOBIG);
    bufs[0].size = 8;
    bufs[1].size = MP_MESSAGE_MAX - 16; /* with its header, more than a message holds */
    CHECK_EQ(mp_pool_map_bytes(p, square_task, bufs, 3, 1, MP_MAP, &b), MP_ETOOBIG);
    CHECK(b == NULL);
    /* the result side */
    memset(&o, 0, sizeof o);
    CHECK_EQ(mp_task_return(&o, &c, (size_t)-1), MP_ETOOBIG);
    CHECK_EQ(mp_task_return(&o, &c, (size_t)-1 / 2 + 1), MP_ETOOBIG);
    CHECK_EQ(mp_task_return(&o, NULL, 0), MP_OK);
    MP_FREE(o.buf);
    CHECK_EQ(mp_pool_apply_async(p, huge_return_task, NULL, 0, NULL, &a), MP_OK);
    CHECK_EQ(mp_async_get(a, 60, &d, &sz), MP_OK);
    CHECK_EQ(sz, sizeof x);
    mp_async_free(a);
    CHECK_EQ(mp_pool_terminate(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* B: every pool function answers bad input with a code. */
static int test_pool_bad_input_all(void) {
    mp_pool_options o;
    mp_pool *p;
    mp_async *a = NULL;
    mp_batch *b = NULL;
    long long x = 1;
    void *res;
    size_t sz, idx;
    long pids[2];
    double nan = 0.0;
    nan = nan / nan;
    CHECK_EQ(mp_pool_apply(NULL, square_task, &x, sizeof x, &res, &sz), MP_EINVAL);
    CHECK_EQ(mp_pool_apply_async(NULL, square_task, &x, sizeof x, NULL, &a), MP_EINVAL);
    CHECK_EQ(mp_pool_map(NULL, square_task, &x, sizeof x, 1, 0, MP_MAP, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes(NULL, square_task, NULL, 0, 0, MP_MAP, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_close(NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_join(NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_terminate(NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_free(NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_worker_pids(NULL, pids, 2), MP_EINVAL);
    CHECK_EQ(mp_async_wait(NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_async_ready(NULL), 0);
    CHECK_EQ(mp_async_successful(NULL), MP_EINVAL);
    CHECK_EQ(mp_async_status(NULL), MP_EINVAL);
    CHECK_EQ(mp_batch_wait(NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_batch_next(NULL, 1, &idx, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_batch_result(NULL, 0, NULL, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_batch_size(NULL), 0);
    CHECK_EQ(mp_task_return(NULL, NULL, 0), MP_EINVAL);
    memset(&o, 0, sizeof o);
    o.task_timeout = nan;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    o.task_timeout = 0;
    o.initargs = &x;
    o.initargs_size = (size_t)-1;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_ETOOBIG);
    CHECK_EQ(mp_pool_new(&p, 4097, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply(p, NULL, &x, sizeof x, &res, &sz), MP_EINVAL);
    CHECK_EQ(mp_pool_map(p, NULL, &x, sizeof x, 1, 0, MP_MAP, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes(p, NULL, NULL, 0, 0, MP_MAP, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_map_bytes(p, square_task, NULL, 0, 0, MP_MAP, NULL), MP_EINVAL);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 1, 0, 0, &b), MP_EINVAL);
    CHECK_EQ(mp_pool_worker_pids(p, NULL, 2), MP_EINVAL);
    CHECK_EQ(mp_pool_worker_pids(p, pids, -1), MP_EINVAL);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a), MP_OK);
    CHECK_EQ(mp_async_wait(a, nan), MP_EINVAL);
    CHECK_EQ(mp_async_wait(a, -0.5), MP_EINVAL);
    CHECK_EQ(mp_async_get(a, nan, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_async_get(a, 60, NULL, NULL), MP_OK);
    mp_async_free(a);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 1, 1, MP_IMAP, &b), MP_OK);
    CHECK_EQ(mp_batch_wait(b, nan), MP_EINVAL);
    CHECK_EQ(mp_batch_wait(b, -1), MP_EINVAL);
    CHECK_EQ(mp_batch_next(b, nan, &idx, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_batch_next(b, -2, &idx, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_batch_next(b, 60, &idx, NULL, NULL), MP_OK);
    CHECK_EQ(mp_batch_next(b, 60, &idx, NULL, NULL), MP_EOF);
    mp_batch_free(b);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_apply(p, square_task, &x, sizeof x, &res, &sz), MP_ECLOSED);
    CHECK_EQ(mp_pool_map(p, square_task, &x, sizeof x, 1, 0, MP_MAP, &b), MP_ECLOSED);
    CHECK(b == NULL);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_terminate(p), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a), MP_ECLOSED);
    CHECK_EQ(mp_pool_map_bytes(p, square_task, NULL, 0, 0, MP_MAP, &b), MP_ECLOSED);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    /* a terminated pool, never closed */
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_terminate(p), MP_OK);
    CHECK_EQ(mp_pool_apply(p, square_task, &x, sizeof x, &res, &sz), MP_ECLOSED);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* D: a callback that calls back into the pool runs once per task, and what it submits runs. */
static volatile int reentrant_calls[4];
static mp_async *reentrant_made[64];
static volatile int reentrant_count;
static mp_pool *reentrant_pool;
static void reentrant_error(void *user, int err, int status) {
    long long x = 5;
    int which = (int)(size_t)user;
    (void)status;
    reentrant_calls[which]++;
    if (err == MP_OK) reentrant_calls[3]++; /* never: this is the error callback */
    mp__os_sleep(0.02);                     /* longer than the pool's 5 ms watch interval */
    if (reentrant_count < 64)
        mp_pool_apply_async(reentrant_pool, square_task, &x, sizeof x, NULL,
                            &reentrant_made[reentrant_count++]);
}
static void reentrant_ok(void *user, const void *data, size_t size) {
    (void)data;
    (void)size;
    reentrant_error(user, -1, 0);
}
static mp_async *self_freeing;
static volatile int self_freed;
static void free_own_result(void *user, const void *data, size_t size) {
    (void)user;
    (void)data;
    (void)size;
    mp_async_free(self_freeing); /* its own result, from inside its callback */
    self_freed++;
}
static int test_pool_callback_reentrant(void) {
    mp_pool *p;
    mp_async *a[3];
    mp_async_callbacks cb[3];
    int round, how = 1, k;
    long long x = 3;
    for (round = 0; round < 3; round++) {
        memset((void *)reentrant_calls, 0, sizeof reentrant_calls);
        reentrant_count = 0;
        CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
        reentrant_pool = p;
        for (k = 0; k < 3; k++) {
            memset(&cb[k], 0, sizeof cb[k]);
            cb[k].error_callback = reentrant_error;
            cb[k].callback = reentrant_ok;
            cb[k].user = (void *)(size_t)k;
        }
        CHECK_EQ(mp_pool_apply_async(p, dying_task, &how, sizeof how, &cb[0], &a[0]), MP_OK);
        CHECK_EQ(mp_pool_apply_async(p, failing_task, NULL, 0, &cb[1], &a[1]), MP_OK);
        CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, &cb[2], &a[2]), MP_OK);
        CHECK_EQ(mp_async_get(a[0], 60, NULL, NULL), MP_EWORKERDIED);
        CHECK_EQ(mp_async_get(a[1], 60, NULL, NULL), MP_ETASK);
        CHECK_EQ(mp_async_get(a[2], 60, NULL, NULL), MP_OK);
        {
            mp_async_callbacks own;
            memset(&own, 0, sizeof own);
            own.callback = free_own_result;
            self_freed = 0;
            CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, &own, &self_freeing), MP_OK);
            while (!self_freed) mp__pool_pump(p, 0.01);
        }
        CHECK_EQ(mp_pool_close(p), MP_OK);
        CHECK_EQ(mp_pool_join(p), MP_OK); /* what the callbacks submitted ran */
        CHECK_EQ(reentrant_calls[0], 1);
        CHECK_EQ(reentrant_calls[1], 1);
        CHECK_EQ(reentrant_calls[2], 1);
        CHECK_EQ(reentrant_calls[3], 0);
        CHECK_EQ(reentrant_count, 3);
        for (k = 0; k < reentrant_count; k++) {
            const void *d;
            size_t sz;
            CHECK_EQ(mp_async_get(reentrant_made[k], 0, &d, &sz), MP_OK);
            CHECK(check_square(d, sz, 5));
            mp_async_free(reentrant_made[k]);
        }
        for (k = 0; k < 3; k++) mp_async_free(a[k]);
        CHECK_EQ(p->nchunks, 0);
        CHECK_EQ(mp_pool_free(p), MP_OK);
    }
    return 0;
}

/* E: a failing initializer breaks the pool, as in concurrent.futures; no fork storm. */
static int failing_init(void *arg, size_t size) {
    shared_flags *f;
    if (size != sizeof f) return 5;
    memcpy(&f, arg, sizeof f);
    mp__fetch_add(&f->counter, 1);
    if (f->values[0] == 1) exit(1);
    return 3;
}
static int test_pool_initializer_fails(void) {
    shared_flags *f = flags_new();
    mp_pool_options o;
    int how;
    CHECK(f != NULL);
    for (how = 0; how < 2; how++) {
        mp_pool *p;
        mp_async *a, *later = NULL;
        mp_batch *b = NULL;
        long long x = 2, items[4] = {1, 2, 3, 4};
        f->counter = 0;
        f->values[0] = (mp__u32)how;
        memset(&o, 0, sizeof o);
        o.initializer = failing_init;
        o.initargs = &f;
        o.initargs_size = sizeof f;
        CHECK_EQ(mp_pool_new(&p, 2, &o), MP_OK);
        CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &a), MP_OK);
        CHECK_EQ(mp_async_get(a, 60, NULL, NULL), MP_EBROKENPOOL);
        CHECK_EQ(mp_async_status(a), how == 0 ? 3 : 1); /* the initializer's status */
        mp_async_free(a);
        CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &later), MP_EBROKENPOOL);
        CHECK(later == NULL);
        CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 4, 1, MP_MAP, &b),
                 MP_EBROKENPOOL);
        CHECK(b == NULL);
        CHECK(mp__load(&f->counter) <= 2); /* each first worker once; none restarted */
        CHECK_EQ(mp_pool_close(p), MP_OK);
        CHECK_EQ(mp_pool_join(p), MP_OK);
        CHECK(mp__load(&f->counter) <= 2);
        CHECK_EQ(mp_pool_free(p), MP_OK);
    }
    return 0;
}

/* F: imap and imap_unordered default to chunks of 1 item, as in Python: one worker death
   fails one item. */
static int die_on_five(const void *arg, size_t size, mp_task_out *out) {
    long long v;
    if (size != sizeof v) return 1;
    memcpy(&v, arg, sizeof v);
    if (v == 5) _exit(4);
    return mp_task_return(out, &v, sizeof v);
}
static int test_pool_imap_chunksize_default(void) {
    long long items[40];
    mp_pool *p;
    int mode;
    size_t i;
    for (i = 0; i < 40; i++) items[i] = (long long)i;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    for (mode = MP_IMAP; mode <= MP_IMAP_UNORDERED; mode++) {
        mp_batch *b;
        size_t index;
        int r, failed = 0, ok = 0;
        CHECK_EQ(mp_pool_map(p, die_on_five, items, sizeof items[0], 40, 0, mode, &b), MP_OK);
        while ((r = mp_batch_next(b, 60, &index, NULL, NULL)) != MP_EOF) {
            if (r == MP_OK)
                ok++;
            else {
                CHECK_EQ(r, MP_EWORKERDIED);
                CHECK_EQ(index, 5);
                failed++;
            }
        }
        CHECK_EQ(failed, 1);
        CHECK_EQ(ok, 39);
        mp_batch_free(b);
    }
    CHECK_EQ(mp_pool_terminate(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* C: a pool made by a thread that then exits keeps its workers (Linux's parent-death signal
   follows the creating thread, not the process). */
typedef struct pool_maker {
    mp_pool *pool;
    mp_async *inflight;
    mp_event *e;
    long tid;
    int r;
} pool_maker;
static void pool_maker_run(pool_maker *m) {
    m->r = mp_pool_new(&m->pool, 2, NULL);
    if (m->r == MP_OK)
        m->r =
            mp_pool_apply_async(m->pool, wait_event_task, &m->e, sizeof m->e, NULL, &m->inflight);
    if (m->r == MP_OK) m->r = mp_async_wait(m->inflight, 0.2) == MP_ETIMEDOUT ? MP_OK : -100;
#ifdef __linux__
    m->tid = (long)syscall(SYS_gettid);
#endif
}
#ifdef _WIN32
static DWORD WINAPI pool_maker_thread(LPVOID arg) {
    pool_maker_run((pool_maker *)arg);
    return 0;
}
#else
static void *pool_maker_thread(void *arg) {
    pool_maker_run((pool_maker *)arg);
    return NULL;
}
#endif
static int test_pool_thread_creator_exits(void) {
    pool_maker m;
    mp_async *a[10];
    long long i;
    memset(&m, 0, sizeof m);
    m.e = mp_event_new();
    CHECK(m.e != NULL);
#ifdef _WIN32
    {
        HANDLE t = CreateThread(NULL, 0, pool_maker_thread, &m, 0, NULL);
        CHECK(t != NULL);
        WaitForSingleObject(t, INFINITE);
        CloseHandle(t);
    }
#else
    {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, pool_maker_thread, &m), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
#endif
    CHECK_EQ(m.r, MP_OK);
#ifdef __linux__
    while (kill((pid_t)m.tid, 0) == 0) mp__os_sleep(0.001); /* the thread is gone for good */
#endif
    CHECK_EQ(mp_event_set(m.e), MP_OK);
    CHECK_EQ(mp_async_get(m.inflight, 60, NULL, NULL), MP_OK); /* its worker still lives */
    mp_async_free(m.inflight);
    for (i = 0; i < 10; i++)
        CHECK_EQ(mp_pool_apply_async(m.pool, square_task, &i, sizeof i, NULL, &a[i]), MP_OK);
    for (i = 0; i < 10; i++) {
        const void *d;
        size_t sz;
        CHECK_EQ(mp_async_get(a[i], 60, &d, &sz), MP_OK);
        CHECK(check_square(d, sz, i));
        mp_async_free(a[i]);
    }
    CHECK_EQ(mp_pool_close(m.pool), MP_OK);
    CHECK_EQ(mp_pool_join(m.pool), MP_OK);
    CHECK_EQ(mp_pool_free(m.pool), MP_OK);
    return 0;
}

/* Idle workers join in at once: a worker is woken only for a cell that no awake worker will
   see (mp__pool_look), so the tasks of each round meet at a barrier that needs every one
   of them running at the same time. The rounds submit all at once, behind a task that holds
   its worker, and as a map of chunksize 1. On Windows a missed wake hangs a round until the
   barrier's timeout (an idle worker sleeps on its parent's handle); on POSIX it does not (a
   sleeping worker looks at the cells every 0.5 s, to see whether its parent lives): it
   shows as rounds that take that long, so the check is that most rounds take far less (a
   loaded machine may slow a few). */
static int barrier_task(const void *arg, size_t size, mp_task_out *out) {
    mp_barrier *b;
    int r;
    (void)out;
    if (size != sizeof b) return 1;
    memcpy(&b, arg, sizeof b);
    r = mp_barrier_wait(b, 60);
    return r >= 0 ? 0 : 100 - r; /* the status says why */
}
static int run_barrier_round(mp_pool *p, mp_barrier *b, int n, int map) {
    mp_async *a[8];
    mp_barrier *bs[8];
    mp_batch *batch;
    int i, r;
    if (map) {
        for (i = 0; i < n; i++) bs[i] = b;
        r = mp_pool_map(p, barrier_task, bs, sizeof bs[0], (size_t)n, 1, MP_MAP, &batch);
        CHECK(r == MP_OK || r == MP_ETASK);
        for (i = 0; i < n; i++) {
            int status = 0;
            mp_batch_result(batch, (size_t)i, NULL, NULL, &status);
            CHECK_EQ(status, 0);
        }
        CHECK_EQ(r, MP_OK);
        mp_batch_free(batch);
        return 0;
    }
    for (i = 0; i < n; i++)
        CHECK_EQ(mp_pool_apply_async(p, barrier_task, &b, sizeof b, NULL, &a[i]), MP_OK);
    for (i = 0; i < n; i++) {
        CHECK_EQ(mp_async_get(a[i], 90, NULL, NULL), MP_OK);
        CHECK_EQ(mp_async_status(a[i]), 0);
        mp_async_free(a[i]);
    }
    return 0;
}
static int test_pool_idle_workers_join_in(void) {
    int round, rounds = test_rounds(20), n = 4, slow = 0;
    mp_barrier *all = mp_barrier_new(n, NULL), *rest = mp_barrier_new(n - 1, NULL);
    mp_event *e = mp_event_new();
    mp_pool *p;
    CHECK(all && rest && e);
    CHECK_EQ(mp_pool_new(&p, n, NULL), MP_OK);
    for (round = 0; round < rounds; round++) {
        mp_async *hold;
        double t0 = mp_monotonic(), t1;
        CHECK_EQ(run_barrier_round(p, all, n, round % 2), 0);
        t1 = mp_monotonic();
        slow += t1 - t0 >= 0.25;
        CHECK_EQ(mp_event_clear(e), MP_OK);
        CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &hold), MP_OK);
        CHECK_EQ(run_barrier_round(p, rest, n - 1, round % 2), 0);
        slow += mp_monotonic() - t1 >= 0.25;
        CHECK_EQ(mp_event_set(e), MP_OK);
        CHECK_EQ(mp_async_get(hold, 60, NULL, NULL), MP_OK);
        mp_async_free(hold);
        CHECK((mp__i32)p->sh->looking <= n && (mp__i32)p->sh->spinning <= n);
    }
    if (slow > rounds) fprintf(stderr, "%d of %d rounds took 0.25 s or more\n", slow, 2 * rounds);
    CHECK(slow <= rounds);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    mp_barrier_free(all);
    mp_barrier_free(rest);
    mp_event_free(e);
    return 0;
}

/* Fault: workers killed at random moments while tasks, chunks and callbacks are under way;
   every result is right or MP_EWORKERDIED, every callback runs once, the pool drains. */
static volatile int fault_calls[200];
static void fault_ok(void *user, const void *data, size_t size) {
    (void)data;
    (void)size;
    fault_calls[(size_t)user]++;
}
static void fault_err(void *user, int err, int status) {
    (void)err;
    (void)status;
    fault_calls[(size_t)user]++;
}
static int spin_square_task(const void *arg, size_t size, mp_task_out *out) {
    volatile long spin = 0;
    while (spin < 20000) spin++;
    return square_task(arg, size, out);
}
static int test_pool_killed_fault(void) {
#ifdef _WIN32
    int round, rounds = test_rounds(3); /* Wine starts processes slowly */
#else
    int round, rounds = test_rounds(10);
#endif
    mp_barrier *pair = mp_barrier_new(2, NULL);
    srand((unsigned)mp_getpid());
    for (round = 0; round < rounds; round++) {
        mp_pool *p;
        mp_async *a[200];
        mp_batch *b;
        mp_async_callbacks cb;
        long long items[200];
        int kills = 0, killed_at[3], k, got = 0;
        size_t i;
        CHECK(pair != NULL);
        memset((void *)fault_calls, 0, sizeof fault_calls);
        for (k = 0; k < 3; k++) killed_at[k] = rand() % 200;
        CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
        memset(&cb, 0, sizeof cb);
        cb.callback = fault_ok;
        cb.error_callback = fault_err;
        for (i = 0; i < 200; i++) {
            items[i] = (long long)i;
            cb.user = (void *)i;
            CHECK_EQ(
                mp_pool_apply_async(p, spin_square_task, &items[i], sizeof items[i], &cb, &a[i]),
                MP_OK);
        }
        CHECK_EQ(mp_pool_map(p, spin_square_task, items, sizeof items[0], 200, 1 + rand() % 4,
                             MP_MAP_ASYNC, &b),
                 MP_OK);
        for (i = 0; i < 200; i++) {
            const void *d;
            size_t sz;
            int r;
            for (k = 0; k < 3; k++)
                if (killed_at[k] == (int)i) {
                    int w = rand() % 2;
                    if (p->workers[w].mp__state == MP__STARTED) {
                        mp_process_kill(&p->workers[w]);
                        kills++;
                    }
                }
            r = mp_async_get(a[i], 60, &d, &sz);
            if (r == MP_OK)
                CHECK(check_square(d, sz, (long long)i));
            else
                CHECK_EQ(r, MP_EWORKERDIED);
            got += r == MP_OK;
        }
        CHECK_EQ(mp_batch_wait(b, 60), MP_OK);
        for (i = 0; i < 200; i++) {
            const void *d;
            size_t sz;
            int r = mp_batch_result(b, i, &d, &sz, NULL);
            if (r == MP_OK)
                CHECK(check_square(d, sz, (long long)i));
            else
                CHECK_EQ(r, MP_EWORKERDIED);
        }
        mp_batch_free(b);
        /* a worker killed while it looked or spun left no count that keeps a sleeper asleep:
           two tasks that must run at the same time still do */
        CHECK((mp__i32)p->sh->looking <= 2 && (mp__i32)p->sh->spinning <= 2);
        CHECK_EQ(run_barrier_round(p, pair, 2, round % 2), 0);
        CHECK_EQ(mp_pool_close(p), MP_OK);
        CHECK_EQ(mp_pool_join(p), MP_OK);
        for (i = 0; i < 200; i++) {
            CHECK_EQ(fault_calls[i], 1);
            mp_async_free(a[i]);
        }
        CHECK(got >= 200 - 3 * 4);
        CHECK_EQ(p->nchunks, 0);
        CHECK_EQ(mp_pool_free(p), MP_OK);
        (void)kills;
    }
    mp_barrier_free(pair);
    return 0;
}

/* An owner's end: once both workers run a task, it publishes their pids and waits to be
   killed. */
static int park_owner(shared_flags *f, mp_pool *p) {
    long pids[2];
    while (!p->sh->slots[0].current || !p->sh->slots[1].current) mp__pool_pump(p, 0.01);
    mp_pool_worker_pids(p, pids, 2);
    f->values[0] = (mp__u32)pids[0];
    f->values[1] = (mp__u32)pids[1];
    flag_add(&f->ready);
    for (;;)
        if (mp__wait(&f->go, 0, 10) == MP_EINVAL) return 1;
}

/* The same with both workers in the middle of a task that would run for a minute. */
static int pool_busy_owner(void *arg, size_t size) {
    shared_flags *f;
    mp_pool *p;
    mp_async *a[2];
    mp_event *e = mp_event_new();
    int k;
    (void)size;
    memcpy(&f, arg, sizeof f);
    if (!e || mp_pool_new(&p, 2, NULL) != MP_OK) return 2;
    for (k = 0; k < 2; k++)
        if (mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &a[k]) != MP_OK) return 3;
    return park_owner(f, p);
}
static int test_pool_parent_killed_busy(void) {
    return kill_pool_owner(pool_busy_owner);
}

/* The pool's shared blocks (its state, results queue, task messages) outlive a killed owner
   only until the next pool is made (or the arena is full): a family that kills a pool's
   process again and again keeps its arena. The owner leaves tasks running and chunks laid
   out in the cells; it makes nothing else in the arena, so that what is free must come back
   to the byte. */
static int park_task(const void *arg, size_t size, mp_task_out *out) {
    shared_flags *f;
    (void)out;
    if (size != sizeof f) return 1;
    memcpy(&f, arg, sizeof f);
    while (!mp__load(&f->go.value)) mp__wait(&f->go, 0, 1); /* until the owner is killed */
    return 0;
}
static int pool_parked_owner(void *arg, size_t size) {
    shared_flags *f;
    mp_pool *p;
    mp_async *a[2];
    mp_batch *b;
    long items[64];
    int k;
    (void)size;
    memcpy(&f, arg, sizeof f);
    for (k = 0; k < 64; k++) items[k] = k;
    if (mp_pool_new(&p, 2, NULL) != MP_OK) return 2;
    for (k = 0; k < 2; k++)
        if (mp_pool_apply_async(p, park_task, &f, sizeof f, NULL, &a[k]) != MP_OK) return 3;
    if (mp_pool_map(p, square_task, items, sizeof items[0], 64, 4, MP_MAP_ASYNC, &b) != MP_OK)
        return 4;
    return park_owner(f, p);
}
/* A pool made and freed: what a process makes for its first pool is there after it, and
   what pools of dead processes left is gone. */
static int pool_made_and_freed(int n) {
    mp_pool *p;
    CHECK_EQ(mp_pool_new(&p, n, NULL), MP_OK);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}
/* The arena before a reclaim test's kills: after a pool, so that what a process makes for
   its first pool is counted in. */
static int arena_before_kills(mp__heap *v, heap_stats *st) {
    CHECK_EQ(pool_made_and_freed(2), 0);
    CHECK(mp__heap_view(v, mp__g.arena, mp__g.arena_size));
    CHECK_EQ(heap_check(v, st), 0);
    return 0;
}
static int test_pool_parent_killed_reclaimed(void) {
#ifdef _WIN32
    int round, rounds = test_rounds(3); /* Wine starts processes slowly */
#else
    int round, rounds = test_rounds(10);
#endif
    mp__heap v;
    heap_stats before, after;
    CHECK_EQ(arena_before_kills(&v, &before), 0);
    for (round = 0; round < rounds; round++)
        CHECK_EQ(kill_pool_owner(round % 2 ? pool_owner : pool_parked_owner), 0);
    CHECK_EQ(pool_made_and_freed(2), 0); /* frees what the last owner left */
    CHECK_EQ(heap_check(&v, &after), 0);
    CHECK_EQ(after.free_units, before.free_units);
    CHECK_EQ(after.used, before.used);
    return 0;
}

/* The same, killed at random moments: while it makes a pool, starts its workers, lays out
   tasks, terminates and frees it. What it loses outside the pool's group (a spawn's boot
   block, when killed during a start) is a few KiB; a pool's group was 4 MiB. */
static int pool_churn_owner(void *arg, size_t size) {
    long items[256];
    int k;
    (void)arg;
    (void)size;
    for (k = 0; k < 256; k++) items[k] = k;
    for (;;) {
        mp_pool *p;
        mp_batch *b;
        if (mp_pool_new(&p, 2, NULL) != MP_OK) return 2;
        if (mp_pool_map(p, spin_square_task, items, sizeof items[0], 256, 1 + rand() % 8,
                        MP_MAP_ASYNC, &b) != MP_OK)
            return 3;
        (void)mp_batch_wait(b, rand() % 2 ? 0.001 : 60);
        mp_batch_free(b);
        if (mp_pool_terminate(p) != MP_OK || mp_pool_join(p) != MP_OK || mp_pool_free(p) != MP_OK)
            return 4;
    }
}
static int test_pool_parent_killed_random_reclaimed(void) {
#ifdef _WIN32
    int round, rounds = test_rounds(4); /* Wine starts processes slowly */
#else
    int round, rounds = test_rounds(20);
#endif
    mp__heap v;
    heap_stats before, after;
    double until;
    srand((unsigned)mp_getpid());
    CHECK_EQ(arena_before_kills(&v, &before), 0);
    for (round = 0; round < rounds; round++) {
        mp_process owner;
        int code;
        CHECK_EQ(mp_process_init(&owner, pool_churn_owner, NULL, 0, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&owner), MP_OK);
        mp_sleep((rand() % 40) / 1000.0); /* a random moment of its churn */
        CHECK_EQ(mp_process_kill(&owner), MP_OK);
        CHECK_EQ(mp_process_join(&owner, 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&owner, &code), 1);
        CHECK_EQ(code, -9); /* killed, not failed */
        mp_process_close(&owner);
    }
    /* its workers end soon after it (Linux: at once; elsewhere within their parent checks) */
    until = mp__os_now() + 30;
    do {
        CHECK_EQ(pool_made_and_freed(1), 0);
        CHECK_EQ(heap_check(&v, &after), 0);
    } while ((before.free_units - after.free_units) * 16 > (size_t)rounds * 16384 &&
             mp__os_now() < until && mp_sleep(0.05) == MP_OK);
    CHECK((before.free_units - after.free_units) * 16 <= (size_t)rounds * 16384);
    return 0;
}

/* Issue 9: tasks start in submission order. Each task records its start in shared memory;
   the first n tasks wait until n have started, so the first wave is exactly tasks 1..n, and
   no task starts while an older one is still waiting to be taken (compared by start order,
   not time, so it holds under any load). Before, a pool of 4 started 1-10 as 9, 1, 5, 10. */
typedef struct start_log {
    volatile mp__u32 started;
    volatile int order[256];
    int wave; /* the first `wave` tasks wait until that many have started */
} start_log;
static start_log *start_log_mem;
static int log_start_task(const void *arg, size_t size, mp_task_out *out) {
    int task;
    start_log *log;
    double until = mp__os_now() + 30;
    (void)out;
    if (size != sizeof(int) + sizeof log) return 1;
    memcpy(&task, arg, sizeof task);
    memcpy(&log, (const char *)arg + sizeof task, sizeof log);
    log->order[mp__fetch_add(&log->started, 1) & 255] = task;
    if (task <= log->wave) /* polls a shared condition: every worker holds one of them */
        while (mp__load(&log->started) < (mp__u32)log->wave)
            if (mp__os_now() > until) return 2;
    return 0;
}
static int check_start_order(start_log *log, int ntasks, int workers) {
    int pos[257], i, j, seen = 0;
    CHECK_EQ(log->started, ntasks);
    for (i = 0; i < ntasks; i++) pos[log->order[i]] = i;
    for (i = 0; i < workers; i++) seen |= 1 << (log->order[i] - 1);
    CHECK_EQ(seen, (1 << workers) - 1); /* the first wave: tasks 1..workers, in any order */
    /* When task j starts, every older task has been taken by a worker: those not begun yet
       are each held by another worker, between taking it and beginning it (a worker may be
       descheduled there for any time), so there are at most workers - 1 of them. */
    for (j = 1; j <= ntasks; j++) {
        int behind = 0;
        for (i = 1; i < j; i++) behind += pos[i] > pos[j];
        if (behind > workers - 1) {
            fprintf(stderr, "  task %d started at %d while %d older tasks had not\n", j, pos[j],
                    behind);
            return 1;
        }
    }
    return 0;
}
static int test_pool_fair_start_order(void) {
    static const int sizes[] = {1, 2, 4};
    start_log *log = (start_log *)mp_shared_alloc(sizeof *log);
    size_t k;
    CHECK(log != NULL);
    start_log_mem = log;
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int n = sizes[k], i, mode;
        mp_pool *p;
        CHECK_EQ(mp_pool_new(&p, n, NULL), MP_OK);
        for (mode = 0; mode < 2; mode++) { /* apply_async, then map with chunksize 1 */
            unsigned char args[40][sizeof(int) + sizeof(void *)];
            mp_async *a[40];
            mp_batch *b;
            memset((void *)log, 0, sizeof *log);
            log->wave = n;
            for (i = 0; i < 40; i++) {
                int task = i + 1;
                memcpy(args[i], &task, sizeof task);
                memcpy(args[i] + sizeof task, &log, sizeof log);
            }
            if (mode == 0) {
                for (i = 0; i < 40; i++)
                    CHECK_EQ(mp_pool_apply_async(p, log_start_task, args[i], sizeof args[i], NULL,
                                                 &a[i]),
                             MP_OK);
                for (i = 0; i < 40; i++) {
                    CHECK_EQ(mp_async_get(a[i], 60, NULL, NULL), MP_OK);
                    mp_async_free(a[i]);
                }
            } else {
                CHECK_EQ(mp_pool_map(p, log_start_task, args, sizeof args[0], 40, 1, MP_MAP, &b),
                         MP_OK);
                mp_batch_free(b);
            }
            if (check_start_order(log, 40, n)) return 1;
        }
        CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
        CHECK_EQ(mp_pool_free(p), MP_OK);
    }
    mp_shared_free(log);
    return 0;
}

/* Issue 14: 0 workers is mp_cpu_count() (Python's Pool(None)); maxtasksperchild 0 is "no
   limit" (C's None), negative MP_EINVAL. */
static int test_pool_defaults(void) {
    mp_pool_options o;
    mp_pool *p;
    long pids[4096];
    long long x = 3, v;
    void *res;
    size_t sz;
    memset(&o, 0, sizeof o);
    CHECK_EQ(mp_pool_new(&p, 0, NULL), MP_OK);
    CHECK_EQ(mp_pool_worker_pids(p, pids, 4096), mp_cpu_count());
    CHECK_EQ(mp_pool_apply(p, square_task, &x, sizeof x, &res, &sz), MP_OK);
    CHECK(check_square(res, sz, 3));
    mp_free(res);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    o.maxtasksperchild = -1;
    CHECK_EQ(mp_pool_new(&p, 1, &o), MP_EINVAL);
    CHECK_EQ(mp_pool_new(&p, -1, NULL), MP_EINVAL);
    (void)v;
    return 0;
}

/* Issue 14: why a task failed. A failing task's bytes reach get, apply, the batch and the
   error callback (CPython: the exception travels back with the failure). */
static int fail_with_message(const void *arg, size_t size, mp_task_out *out) {
    long long v;
    char msg[64];
    if (size != sizeof v) return 99;
    memcpy(&v, arg, sizeof v);
    if (v % 3) return mp_task_return(out, &v, sizeof v);
    snprintf(msg, sizeof msg, "bad item %lld", v);
    mp_task_return(out, msg, strlen(msg) + 1);
    return 40 + (int)v;
}
static char failure_seen[64];
static int failure_status;
static void on_error_bytes(void *user, int err, int status, const void *data, size_t size) {
    (void)user;
    if (err == MP_ETASK && data && size <= sizeof failure_seen) memcpy(failure_seen, data, size);
    failure_status = status;
}
static int test_pool_failure_bytes(void) {
    mp_async_callbacks cb;
    mp_async *a;
    mp_batch *b;
    mp_pool *p;
    long long x = 6, items[7] = {0, 1, 2, 3, 4, 5, 6};
    const void *d;
    size_t sz, i;
    void *res;
    int st;
    memset(&cb, 0, sizeof cb);
    cb.error_bytes_callback = on_error_bytes;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, fail_with_message, &x, sizeof x, &cb, &a), MP_OK);
    CHECK_EQ(mp_async_get(a, 60, &d, &sz), MP_ETASK);
    CHECK_EQ(mp_async_status(a), 46);
    CHECK(d != NULL && sz == strlen("bad item 6") + 1 &&
          strcmp((const char *)d, "bad item 6") == 0);
    CHECK(strcmp(failure_seen, "bad item 6") == 0); /* the callback ran inside get */
    CHECK_EQ(failure_status, 46);
    mp_async_free(a);
    x = 9;
    CHECK_EQ(mp_pool_apply(p, fail_with_message, &x, sizeof x, &res, &sz), MP_ETASK);
    CHECK(res != NULL && strcmp((const char *)res, "bad item 9") == 0);
    mp_free(res);
    /* a failure without bytes: NULL, 0 */
    CHECK_EQ(mp_pool_apply_async(p, failing_task, &x, sizeof x, NULL, &a), MP_OK);
    CHECK_EQ(mp_async_get(a, 60, &d, &sz), MP_ETASK);
    CHECK(d == NULL && sz == 0);
    mp_async_free(a);
    CHECK_EQ(mp_pool_map(p, fail_with_message, items, sizeof items[0], 7, 2, MP_MAP, &b), MP_ETASK);
    for (i = 0; i < 7; i++) {
        int r = mp_batch_result(b, i, &d, &sz, &st);
        if (i % 3) {
            CHECK_EQ(r, MP_OK);
        } else {
            char want[32];
            snprintf(want, sizeof want, "bad item %d", (int)i);
            CHECK_EQ(r, MP_ETASK);
            CHECK_EQ(st, 40 + (int)i);
            CHECK(d && strcmp((const char *)d, want) == 0);
        }
    }
    mp_batch_free(b);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* Issue 14: map_async(callback, error_callback), after _TestPool.test_map_async_callbacks and
   test_async_error_callback: one call, once every item is done. */
static int batch_ok_calls, batch_err_calls;
static size_t batch_err_index;
static long long batch_sum;
static void on_batch(void *user, mp_batch *b) {
    size_t i;
    (void)user;
    batch_ok_calls++;
    for (i = 0; i < mp_batch_size(b); i++) {
        const void *d;
        long long v;
        if (mp_batch_result(b, i, &d, NULL, NULL) != MP_OK) return;
        memcpy(&v, d, sizeof v);
        batch_sum += v;
    }
}
static void on_batch_error(void *user, mp_batch *b, size_t index, int err, int status) {
    const void *d;
    (void)user;
    (void)status;
    batch_err_calls++;
    batch_err_index = index;
    if (err == MP_ETASK && mp_batch_result(b, index, &d, NULL, NULL) == MP_ETASK && d)
        snprintf(failure_seen, sizeof failure_seen, "%s", (const char *)d);
    mp_batch_free(b); /* a callback may free its batch */
}
static int test_pool_map_async_callbacks(void) {
    mp_batch_callbacks cb;
    mp_batch *b;
    mp_pool *p;
    long long items[20], want = 0;
    size_t i;
    for (i = 0; i < 20; i++) {
        items[i] = (long long)i;
        want += (long long)(i * i + 1);
    }
    memset(&cb, 0, sizeof cb);
    cb.callback = on_batch;
    cb.error_callback = on_batch_error;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_map_async(p, square_task, items, sizeof items[0], 20, 0, &cb, &b), MP_OK);
    CHECK_EQ(mp_batch_wait(b, 60), MP_OK);
    CHECK_EQ(batch_ok_calls, 1);
    CHECK_EQ(batch_err_calls, 0);
    CHECK_EQ(batch_sum, want);
    mp_batch_free(b);
    {
        mp_bytes bytes[3];
        long long three[3] = {1, 2, 4};
        for (i = 0; i < 3; i++) {
            bytes[i].data = &three[i];
            bytes[i].size = sizeof three[i];
        }
        batch_sum = 0;
        CHECK_EQ(mp_pool_map_bytes_async(p, square_task, bytes, 3, 1, &cb, &b), MP_OK);
        CHECK_EQ(mp_batch_wait(b, 60), MP_OK);
        CHECK_EQ(batch_ok_calls, 2);
        CHECK_EQ(batch_sum, 2 + 5 + 17);
        mp_batch_free(b);
    }
    items[0] = 1; /* then 3, 6, ... fail: the first failed item is index 3 */
    memset(failure_seen, 0, sizeof failure_seen);
    CHECK_EQ(mp_pool_map_async(p, fail_with_message, items, sizeof items[0], 20, 1, &cb, &b),
             MP_OK);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK); /* joins: the callbacks run in there */
    CHECK_EQ(batch_err_calls, 1);
    CHECK_EQ(batch_err_index, 3);
    CHECK(strcmp(failure_seen, "bad item 3") == 0);
    CHECK_EQ(batch_ok_calls, 2);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    return 0;
}

/* Issue 14: Future.cancel, after test_future.py (test_cancel): a pending task cancels (and
   says so again), a running or finished one does not; get answers MP_ECANCELLED and the
   error callback runs with it; the task never runs. */
static int cancel_errors;
static void on_cancel_error(void *user, int err, int status) {
    (void)user;
    (void)status;
    if (err == MP_ECANCELLED) cancel_errors++;
}
static int count_task(const void *arg, size_t size, mp_task_out *out) {
    volatile mp__u32 *n;
    (void)out;
    if (size != sizeof n) return 1;
    memcpy((void *)&n, arg, sizeof n);
    mp__fetch_add(n, 1);
    return 0;
}
static int test_pool_cancel(void) {
    mp_event *e = mp_event_new();
    volatile mp__u32 *ran = (volatile mp__u32 *)mp_shared_alloc(sizeof *ran);
    mp_async_callbacks cb;
    mp_async *block, *a[10], *done;
    mp_pool *p;
    int i;
    CHECK(e && ran);
    *ran = 0;
    memset(&cb, 0, sizeof cb);
    cb.error_callback = on_cancel_error;
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, count_task, &ran, sizeof ran, NULL, &done), MP_OK);
    CHECK_EQ(mp_async_get(done, 60, NULL, NULL), MP_OK);
    CHECK_EQ(mp_async_cancel(done), 0); /* finished */
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &block), MP_OK);
    for (i = 0; i < 10; i++)
        CHECK_EQ(mp_pool_apply_async(p, count_task, &ran, sizeof ran, &cb, &a[i]), MP_OK);
    while (p->sh->slots[0].current != block->chunk) /* it has begun */
        CHECK_EQ(mp_async_wait(block, 0.01), MP_ETIMEDOUT);
    CHECK_EQ(mp_async_cancel(block), 0); /* running */
    for (i = 0; i < 10; i += 2) CHECK_EQ(mp_async_cancel(a[i]), 1);
    CHECK_EQ(mp_async_cancel(a[0]), 1); /* cancelled stays cancelled */
    CHECK_EQ(cancel_errors, 5);
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_async_get(block, 60, NULL, NULL), MP_OK);
    for (i = 0; i < 10; i++) {
        CHECK_EQ(mp_async_get(a[i], 60, NULL, NULL), i % 2 ? MP_OK : MP_ECANCELLED);
        CHECK_EQ(mp_async_ready(a[i]), 1);
        CHECK_EQ(mp_async_successful(a[i]), i % 2);
        mp_async_free(a[i]);
    }
    CHECK_EQ(*ran, 6); /* the first, and the five not cancelled */
    CHECK_EQ(cancel_errors, 5);
    CHECK_EQ(mp_async_cancel(NULL), MP_EINVAL);
    mp_async_free(block);
    mp_async_free(done);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(p->nchunks, 0);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    mp_shared_free((void *)ran);
    mp_event_free(e);
    return 0;
}

/* Issue 14: concurrent.futures.wait(FIRST_COMPLETED) and as_completed over any results,
   after test_wait.py (test_first_completed, ..._some_already_completed, test_timeout) and
   test_as_completed.py (test_no_timeout, test_zero_timeout, futures of two pools). */
static int test_pool_wait_any(void) {
    mp_event *e = mp_event_new();
    mp_async *set[6], *slow, *fast;
    mp_pool *p, *q;
    long long x = 5;
    int idx, i, seen = 0, r;
    CHECK(e != NULL);
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    CHECK_EQ(mp_pool_new(&q, 1, NULL), MP_OK);
    /* first completed: a slow one and a fast one, the fast one is found */
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &slow), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, square_task, &x, sizeof x, NULL, &fast), MP_OK);
    set[0] = slow;
    set[1] = fast;
    CHECK_EQ(mp_async_wait_any(set, 2, 60, &idx), MP_OK);
    CHECK_EQ(idx, 1);
    CHECK_EQ(mp_async_ready(slow), 0);
    /* some already completed: answered at once, even with timeout 0 */
    CHECK_EQ(mp_async_wait_any(set, 2, 0, &idx), MP_OK);
    CHECK_EQ(idx, 1);
    /* timeout: only the slow one */
    set[1] = NULL;
    CHECK_EQ(mp_async_wait_any(set, 2, 0.05, &idx), MP_ETIMEDOUT);
    CHECK_EQ(idx, -1);
    CHECK_EQ(mp_async_wait_any(set, 2, 0, &idx), MP_ETIMEDOUT);
    mp_async_free(fast);
    /* as_completed over two pools: every result once, the slow one last */
    set[0] = slow;
    for (i = 1; i < 6; i++) {
        x = i;
        CHECK_EQ(mp_pool_apply_async(i % 2 ? q : p, square_task, &x, sizeof x, NULL, &set[i]),
                 MP_OK);
    }
    for (i = 0; i < 5; i++) {
        CHECK_EQ(mp_async_wait_any(set, 6, 60, &idx), MP_OK);
        CHECK(idx >= 1 && idx < 6 && !(seen & (1 << idx)));
        CHECK_EQ(mp_async_get(set[idx], 0, NULL, NULL), MP_OK);
        seen |= 1 << idx;
        mp_async_free(set[idx]);
        set[idx] = NULL;
    }
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_async_wait_any(set, 6, 60, &idx), MP_OK);
    CHECK_EQ(idx, 0);
    mp_async_free(slow);
    set[0] = NULL;
    CHECK_EQ(mp_async_wait_any(set, 6, 60, &idx), MP_EOF); /* nothing left */
    r = mp_async_wait_any(NULL, 1, 0, &idx);
    CHECK_EQ(r, MP_EINVAL);
    CHECK_EQ(mp_async_wait_any(set, -1, 0, &idx), MP_EINVAL);
    CHECK_EQ(mp_async_wait_any(set, 6, -1, &idx), MP_EINVAL);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(mp_pool_shutdown(q, 1, 0), MP_OK);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    CHECK_EQ(mp_pool_free(q), MP_OK);
    mp_event_free(e);
    return 0;
}

/* Issue 14: shutdown, after test_shutdown.py: cancel_futures cancels what has not started
   while running tasks finish (test_cancel_futures); wait waits for everything submitted
   (test_hang_issue12364-like: many tasks, then shutdown(wait) returns with all done);
   submitting after shutdown fails; shutdown twice is fine. */
static int test_pool_shutdown(void) {
    static mp_async *a[200];
    mp_event *e = mp_event_new();
    volatile mp__u32 *ran = (volatile mp__u32 *)mp_shared_alloc(sizeof *ran);
    mp_async *block[2], *first;
    mp_batch *b;
    mp_pool *p;
    long long items[50];
    int i, cancelled = 0;
    CHECK(e && ran);
    memset(items, 0, sizeof items);
    *ran = 0;
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    for (i = 0; i < 2; i++)
        CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &block[i]), MP_OK);
    first = block[1];
    for (i = 0; i < 200; i++)
        CHECK_EQ(mp_pool_apply_async(p, count_task, &ran, sizeof ran, NULL, &a[i]), MP_OK);
    CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 50, 5, MP_MAP_ASYNC, &b), MP_OK);
    while (p->sh->slots[0].current + p->sh->slots[1].current != block[0]->chunk + block[1]->chunk)
        CHECK_EQ(mp_async_wait(block[0], 0.01), MP_ETIMEDOUT); /* both have begun */
    CHECK_EQ(mp_pool_shutdown(p, 0, 1), MP_OK); /* no wait: the two running keep running */
    CHECK_EQ(mp_pool_apply_async(p, count_task, &ran, sizeof ran, NULL, &block[1]), MP_ECLOSED);
    CHECK(block[1] == NULL);
    block[1] = first;
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_pool_shutdown(p, 1, 1), MP_OK);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(mp_async_get(block[i], 0, NULL, NULL), MP_OK);
        mp_async_free(block[i]);
    }
    for (i = 0; i < 200; i++) {
        CHECK_EQ(mp_async_get(a[i], 0, NULL, NULL), MP_ECANCELLED);
        cancelled++;
        mp_async_free(a[i]);
    }
    for (i = 0; i < 50; i++)
        CHECK_EQ(mp_batch_result(b, (size_t)i, NULL, NULL, NULL), MP_ECANCELLED);
    mp_batch_free(b);
    CHECK_EQ(*ran, 0);
    CHECK_EQ(cancelled, 200);
    CHECK_EQ(mp_pool_free(p), MP_OK);

    /* wait: everything submitted runs, then the workers are gone */
    CHECK_EQ(mp_pool_new(&p, 2, NULL), MP_OK);
    for (i = 0; i < 200; i++)
        CHECK_EQ(mp_pool_apply_async(p, count_task, &ran, sizeof ran, NULL, &a[i]), MP_OK);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(*ran, 200);
    for (i = 0; i < 200; i++) {
        CHECK_EQ(mp_async_get(a[i], 0, NULL, NULL), MP_OK);
        mp_async_free(a[i]);
    }
    CHECK_EQ(mp_pool_shutdown(p, 1, 1), MP_OK); /* twice */
    CHECK_EQ(mp_pool_shutdown(NULL, 1, 0), MP_EINVAL);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    mp_shared_free((void *)ran);
    mp_event_free(e);
    return 0;
}

/* Issue 9: a worker killed after it took a task and before it began it gives the task back
   (it runs on the new worker, it does not fail, nothing waits for ever); a cell whose state
   names no worker (shared memory is input) is given back too. The claim is forged, since
   the real window is a few instructions wide. */
static int test_pool_killed_after_taking(void) {
    mp_event *e = mp_event_new();
    mp_async *block, *a[6];
    mp_pool *p;
    long long x[6];
    int i, forged = 0, garbage = 0;
    CHECK(e != NULL);
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &block), MP_OK);
    while (p->sh->slots[0].current != block->chunk)
        CHECK_EQ(mp_async_wait(block, 0.01), MP_ETIMEDOUT);
    for (i = 0; i < 6; i++) {
        x[i] = i;
        CHECK_EQ(mp_pool_apply_async(p, square_task, &x[i], sizeof x[i], NULL, &a[i]), MP_OK);
    }
    for (i = 0; i < MP__POOL_CELLS; i++) { /* all six are laid out: forge two states */
        mp__pool_cell *cell = &p->sh->cells[i];
        if (cell->id == a[0]->chunk)
            forged = mp__cas(&cell->state, MP__CELL_READY, MP__CELL_TAKEN + 0);
        if (cell->id == a[3]->chunk) garbage = mp__cas(&cell->state, MP__CELL_READY, 777);
    }
    CHECK(forged && garbage);
    CHECK_EQ(mp_process_kill(&p->workers[0]), MP_OK);
    CHECK_EQ(mp_async_get(block, 60, NULL, NULL), MP_EWORKERDIED);
    for (i = 0; i < 6; i++) {
        const void *d;
        size_t sz;
        CHECK_EQ(mp_async_get(a[i], 60, &d, &sz), MP_OK);
        CHECK(check_square(d, sz, i));
        mp_async_free(a[i]);
    }
    mp_async_free(block);
    CHECK_EQ(mp_pool_shutdown(p, 1, 0), MP_OK);
    CHECK_EQ(p->nchunks, 0);
    CHECK_EQ(mp_pool_free(p), MP_OK);
    mp_event_free(e);
    return 0;
}

/* Issue 14 (with mp_interrupt): an error of the wait itself ends a wait on results with that
   error, never a hang or a silent timeout. Stood in for here by the result queue's own
   answer once it is closed (MP_EOF). */
static int test_pool_wait_error_propagates(void) {
    mp_event *e = mp_event_new();
    mp_async *block;
    mp_batch *b;
    mp_pool *p;
    long long items[4] = {1, 2, 3, 4};
    int idx;
    CHECK(e != NULL);
    CHECK_EQ(mp_pool_new(&p, 1, NULL), MP_OK);
    CHECK_EQ(mp_pool_apply_async(p, wait_event_task, &e, sizeof e, NULL, &block), MP_OK);
    CHECK_EQ(mp_pool_map(p, square_task, items, sizeof items[0], 4, 1, MP_IMAP, &b), MP_OK);
    CHECK_EQ(mp_async_wait(block, 0.05), MP_ETIMEDOUT);
    CHECK_EQ(mp_queue_close(p->sh->results), MP_OK);
    CHECK_EQ(mp_async_get(block, 60, NULL, NULL), MP_EOF);
    CHECK_EQ(mp_async_wait_any(&block, 1, 60, &idx), MP_EOF);
    CHECK_EQ(mp_batch_next(b, 60, NULL, NULL, NULL), MP_EOF);
    CHECK_EQ(mp_batch_wait(b, 60), MP_EOF);
    CHECK_EQ(mp_pool_close(p), MP_OK);
    CHECK_EQ(mp_pool_join(p), MP_EOF);
    CHECK_EQ(mp_event_set(e), MP_OK);
    mp_batch_free(b);
    mp_async_free(block);
    CHECK_EQ(mp_pool_free(p), MP_OK); /* terminates what is left */
    mp_event_free(e);
    return 0;
}

static const mp_test pool_tests[] = {
    {"pool_map_matches_serial", test_pool_map_matches_serial},
    {"pool_imap", test_pool_imap},
    {"pool_apply_async", test_pool_apply_async},
    {"pool_idle_workers_join_in", test_pool_idle_workers_join_in},
    {"pool_initializer_maxtasks", test_pool_initializer_maxtasks},
    {"pool_worker_dies", test_pool_worker_dies},
    {"pool_task_timeout", test_pool_task_timeout},
    {"pool_close_join_terminate", test_pool_close_join_terminate},
    {"pool_bad_input", test_pool_bad_input},
    {"pool_parent_killed", test_pool_parent_killed},
    {"pool_parent_killed_busy", test_pool_parent_killed_busy},
    {"pool_parent_killed_reclaimed", test_pool_parent_killed_reclaimed},
    {"pool_parent_killed_random_reclaimed", test_pool_parent_killed_random_reclaimed},
    {"pool_bookkeeping_constant", test_pool_bookkeeping_constant},
    {"pool_free_pending", test_pool_free_pending},
    {"pool_size_overflow", test_pool_size_overflow},
    {"pool_bad_input_all", test_pool_bad_input_all},
    {"pool_callback_reentrant", test_pool_callback_reentrant},
    {"pool_initializer_fails", test_pool_initializer_fails},
    {"pool_imap_chunksize_default", test_pool_imap_chunksize_default},
    {"pool_thread_creator_exits", test_pool_thread_creator_exits},
    {"pool_killed_fault", test_pool_killed_fault},
    {"pool_fair_start_order", test_pool_fair_start_order},
    {"pool_defaults", test_pool_defaults},
    {"pool_failure_bytes", test_pool_failure_bytes},
    {"pool_map_async_callbacks", test_pool_map_async_callbacks},
    {"pool_cancel", test_pool_cancel},
    {"pool_wait_any", test_pool_wait_any},
    {"pool_shutdown", test_pool_shutdown},
    {"pool_killed_after_taking", test_pool_killed_after_taking},
    {"pool_wait_error_propagates", test_pool_wait_error_propagates},
    {NULL, NULL}};
