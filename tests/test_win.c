/* Windows as a platform (issue 12): no orphans (the job object), private kernel objects (no
   name to guess or squat), and the wake latency of a sleeping waiter (printed, never
   asserted: tests/stress.sh reads it). */

typedef struct win_shared {
    volatile mp__u32 ready, npids;
    volatile mp__u32 pids[8];
    wchar_t name[64];
    volatile double t_set, worst, sum;
    volatile mp__u32 rounds, woke, stalls;
    mp_event *ev, *ack;
} win_shared;

static win_shared *win_shared_new(void) {
    win_shared *w = (win_shared *)mp_shared_alloc(sizeof(win_shared));
    if (w) memset((void *)w, 0, sizeof *w);
    return w;
}
#ifdef _WIN32
static volatile int win_never; /* the loops below run until killed */
/* Waits (polling a shared condition, 30 s at most) until f(w) holds. */
static int win_until(int (*f)(win_shared *w), win_shared *w) {
    double t0 = mp__os_now();
    while (!f(w) && mp__os_now() - t0 < 30) mp__os_sleep(0.002);
    return f(w);
}

static void win_add_pid(win_shared *w, long pid) {
    mp__u32 k = mp__fetch_add(&w->npids, 1);
    if (k < 8) w->pids[k] = (mp__u32)pid;
}
static int win_forever(void *arg, size_t size) {
    (void)arg;
    (void)size;
    while (!win_never) Sleep(1000);
    return 0;
}
static int win_spin(void *arg, size_t size) {
    volatile unsigned long x = 0;
    (void)arg;
    (void)size;
    while (!win_never) x++;
    return 0;
}
static int win_spin_task(const void *arg, size_t size, mp_task_out *out) {
    volatile unsigned long x = 0;
    (void)arg;
    (void)size;
    (void)out;
    while (!win_never) x++;
    return 0;
}
/* A child that starts a grandchild of its own (a nested job), then sleeps. */
static int win_middle(void *arg, size_t size) {
    win_shared *w;
    mp_process g;
    (void)size;
    memcpy(&w, arg, sizeof w);
    if (mp_process_init(&g, win_forever, NULL, 0, NULL) != MP_OK || mp_process_start(&g) != MP_OK)
        return 2;
    win_add_pid(w, mp_process_pid(&g));
    while (!win_never) Sleep(1000);
    return 0;
}
/* The process that is killed: a sleeping child, a busy child, a child with a grandchild, and
   a pool whose two workers are in the middle of a task. */
static int win_owner(void *arg, size_t size) {
    win_shared *w;
    mp_process c[3];
    mp_target_fn fn[3];
    mp_pool *p;
    mp_async *a[2];
    long wp[2];
    int k;
    (void)size;
    memcpy(&w, arg, sizeof w);
    fn[0] = win_forever;
    fn[1] = win_spin;
    fn[2] = win_middle;
    for (k = 0; k < 3; k++) {
        if (mp_process_init(&c[k], fn[k], &w, sizeof w, NULL) != MP_OK ||
            mp_process_start(&c[k]) != MP_OK)
            return 2;
        win_add_pid(w, mp_process_pid(&c[k]));
    }
    if (mp_pool_new(&p, 2, NULL) != MP_OK) return 3;
    for (k = 0; k < 2; k++)
        if (mp_pool_apply_async(p, win_spin_task, NULL, 0, NULL, &a[k]) != MP_OK) return 4;
    while (!p->sh->slots[0].current || !p->sh->slots[1].current) mp__pool_pump(p, 0.01);
    mp_pool_worker_pids(p, wp, 2);
    win_add_pid(w, wp[0]);
    win_add_pid(w, wp[1]);
    mp__store(&w->ready, 1);
    while (!win_never) Sleep(1000);
    return 0;
}
static int win_all_in(win_shared *w) {
    return mp__load(&w->ready) && mp__load(&w->npids) == 6;
}
#endif

/* Issue 12: a parent killed by TerminateProcess takes every child, grandchild and pool worker
   with it, busy or asleep (they are in its job object, kill on close). */
static int test_win_parent_killed_no_orphans(void) {
#ifndef _WIN32
    SKIP("Windows (a job object); POSIX children outlive a killed parent, as in Python");
#else
    int round, rounds = test_rounds(1);
    for (round = 0; round < rounds; round++) {
        win_shared *w = win_shared_new();
        mp_process p;
        double t0;
        mp__u32 k;
        CHECK(w != NULL);
        CHECK_EQ(mp_process_init(&p, win_owner, &w, sizeof w, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        CHECK(win_until(win_all_in, w));
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        mp_process_close(&p);
        t0 = mp__os_now();
        for (k = 0; k < 6; k++) {
            while (mp__os_pid_alive((long)w->pids[k]) && mp__os_now() - t0 < 10) mp__os_sleep(0.01);
            if (mp__os_pid_alive((long)w->pids[k])) {
                HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)w->pids[k]);
                fprintf(stderr, "  survivor %u (pid %lu)\n", (unsigned)k,
                        (unsigned long)w->pids[k]);
                for (k = 0; k < 6; k++) { /* leave nothing behind for the next test */
                    h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)w->pids[k]);
                    if (h) TerminateProcess(h, 1), CloseHandle(h);
                }
                CHECK(!"a child outlived its killed parent");
            }
        }
        mp_shared_free(w);
    }
    return 0;
#endif
}

#ifdef _WIN32
/* A process of the same user that knows a pipe's name: it can neither connect to it (busy:
   one instance, already connected) nor make a second instance of it to intercept clients. */
static int win_squatter(void *arg, size_t size) {
    win_shared *w;
    HANDLE h;
    (void)size;
    memcpy(&w, arg, sizeof w);
    h = CreateFileW(w->name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE) return 10;
    h = CreateNamedPipeW(w->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT,
                         PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
    if (h != INVALID_HANDLE_VALUE) return 11;
    return 0;
}
#endif

/* Issue 12: a family's kernel objects have no name to guess (pipes: 128 random bits, not the
   pid and a clock), admit only their user, and cannot be opened or squatted by a second
   process; waits use unnamed events. */
static int test_win_names_private(void) {
#ifndef _WIN32
    SKIP("Windows kernel object names");
#else
    win_shared *w = win_shared_new();
    mp_conn *a, *b, *a2, *b2;
    mp_process p;
    char prefix[32], *t, buf[16];
    size_t n;
    int code = -1, i, same = 1;
    CHECK(w != NULL);
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    memcpy(w->name, mp__os_pipe_name, sizeof w->name);
    CHECK_EQ(mp_pipe(1, &a2, &b2), MP_OK);
    /* not "mp-<pid>-...", and two names share nothing but the prefix */
    memcpy(prefix, "\\\\.\\pipe\\mp-", 12);
    t = mp__put_hex(prefix + 12, (mp__u64)GetCurrentProcessId(), '-');
    for (i = 0; prefix[i] && same; i++) same = w->name[i] == (wchar_t)prefix[i];
    CHECK(!same);
    CHECK(wcslen(w->name) >= 12 + 24); /* two 64-bit random numbers in hex */
    CHECK(memcmp(w->name, mp__os_pipe_name, 12 * sizeof(wchar_t)) == 0);
    CHECK(wcscmp(w->name, mp__os_pipe_name) != 0);
    (void)t;
    /* its DACL: one entry, this user */
    {
        union {
            SECURITY_DESCRIPTOR sd;
            unsigned char bytes[1024];
        } u;
        union {
            TOKEN_USER user;
            unsigned char bytes[256];
        } me;
        DWORD len = 0;
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = NULL;
        HANDLE tok;
        void *ace = NULL;
        CHECK(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
        CHECK(GetTokenInformation(tok, TokenUser, &me, sizeof me, &len));
        CloseHandle(tok);
        mp__cent *e;
        mp__os_reg_lock();
        e = mp__reg_find(a);
        tok = e ? (HANDLE)(uintptr_t)e->h : NULL;
        mp__os_reg_unlock();
        CHECK(tok != NULL);
        if (GetKernelObjectSecurity(tok, DACL_SECURITY_INFORMATION, &u, sizeof u, &len) &&
            GetSecurityDescriptorDacl(&u.sd, &present, &dacl, &defaulted) && present && dacl) {
            CHECK_EQ(dacl->AceCount, 1);
            CHECK(GetAce(dacl, 0, &ace));
            CHECK(EqualSid((PSID) & ((ACCESS_ALLOWED_ACE *)ace)->SidStart, me.user.User.Sid));
        } else
            fprintf(stderr, "  (the pipe's DACL cannot be read back here)\n");
    }
    CHECK_EQ(mp_process_init(&p, win_squatter, &w, sizeof w, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 60), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    /* and the pipe still works */
    CHECK_EQ(mp_conn_send_bytes(a, "hello", 5), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, 10), MP_OK);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    mp_conn_close(a);
    mp_conn_close(b);
    mp_conn_close(a2);
    mp_conn_close(b2);
    mp_shared_free(w);
    return 0;
#endif
}

/* The time from mp_event_set to the return of a waiter asleep in another process, over
   test_rounds(20) wakes: printed as "wake latency: worst X ms, mean Y ms ..." (the wine-wake
   leg of tests/stress.sh collects the worst). No assertion here: a loaded machine is slow. */
static int win_waker_child(void *arg, size_t size) {
    win_shared *w;
    mp__u32 r;
    (void)size;
    memcpy(&w, arg, sizeof w);
    for (r = 0; r < w->rounds; r++) {
        double d;
        if (mp_event_wait(w->ev, 60) != MP_OK) return 2;
        d = mp__os_now() - w->t_set;
        mp_event_clear(w->ev);
        if (d > w->worst) w->worst = d;
        if (d >= 0.02) w->stalls++;
        w->sum += d;
        mp__store(&w->woke, r + 1);
        mp_event_set(w->ack);
    }
    return 0;
}
static int test_sync_wake_latency(void) {
    win_shared *w = win_shared_new();
    mp_process p;
    mp__u32 r;
    int code = -1;
    CHECK(w != NULL);
    w->rounds = (mp__u32)test_rounds(20);
    w->ev = mp_event_new();
    w->ack = mp_event_new();
    CHECK(w->ev && w->ack);
    CHECK_EQ(mp_process_init(&p, win_waker_child, &w, sizeof w, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    for (r = 0; r < w->rounds; r++) {
        double t0 = mp__os_now();
        /* the child is asleep in the kernel (or 50 ms have passed: it counts anyway) */
        while (!mp__load(&w->ev->flag.waiters) && mp__os_now() - t0 < 0.05) mp__os_sleep(0.0005);
        mp__os_sleep(0.001);
        w->t_set = mp__os_now();
        CHECK_EQ(mp_event_set(w->ev), MP_OK);
        CHECK_EQ(mp_event_wait(w->ack, 60), MP_OK);
        CHECK_EQ(mp_event_clear(w->ack), MP_OK);
    }
    CHECK_EQ(mp_process_join(&p, 60), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    fprintf(stderr,
            "  wake latency: worst %.3f ms, mean %.3f ms over %u wakes, %u of 20 ms or more\n",
            w->worst * 1e3, w->sum / w->rounds * 1e3, (unsigned)w->rounds, (unsigned)w->stalls);
    mp_event_free(w->ev);
    mp_event_free(w->ack);
    mp_shared_free(w);
    return 0;
}

/* A wake is not spent on a waiter that was killed while it slept: two waiters on a semaphore
   are woken once (so that the waker knows them), wait again and are killed asleep; a third
   one waits, and one release must wake the third (Windows: the dead waiters' slots are still
   in the wait table, first in the scan, and their events still open in the waker). */
typedef struct win_sem_arg {
    mp_semaphore *sem, *pre[2];
    volatile mp__u32 acquired, next;
} win_sem_arg;
static int win_sem_waiter(void *arg, size_t size) {
    win_sem_arg *a;
    (void)size;
    memcpy(&a, arg, sizeof a);
    return mp_semaphore_acquire(a->sem, 60) == MP_OK ? 0 : 2;
}
static int win_sem_victim(void *arg, size_t size) {
    win_sem_arg *a;
    (void)size;
    memcpy(&a, arg, sizeof a);
    if (mp_semaphore_acquire(a->pre[mp__fetch_add(&a->next, 1) & 1], 60) != MP_OK) return 2;
    mp__fetch_add(&a->acquired, 1);
    return mp_semaphore_acquire(a->sem, 60) == MP_OK ? 0 : 2;
}
static int win_sleepers(mp_semaphore *s, mp__u32 n) { /* n waiters counted on the word */
    double t0 = mp__os_now();
    while (mp__load(&s->value.waiters) < n && mp__os_now() - t0 < 30) mp__os_sleep(0.002);
    mp__os_sleep(0.05); /* from counted to asleep in the kernel: a few instructions */
    return mp__load(&s->value.waiters) >= n;
}
static int test_sync_waiter_killed_wake_not_lost(void) {
    int round, rounds = test_rounds(2);
    for (round = 0; round < rounds; round++) {
        win_sem_arg *a = (win_sem_arg *)mp_shared_alloc(sizeof(win_sem_arg));
        mp_process v[2], live;
        int k, code = -1;
        CHECK(a != NULL);
        a->acquired = a->next = 0;
        a->sem = mp_semaphore_new(0);
        a->pre[0] = mp_semaphore_new(0);
        a->pre[1] = mp_semaphore_new(0);
        CHECK(a->sem && a->pre[0] && a->pre[1]);
        for (k = 0; k < 2; k++) {
            CHECK_EQ(mp_process_init(&v[k], win_sem_victim, &a, sizeof a, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&v[k]), MP_OK);
        }
        for (k = 0; k < 2; k++) { /* each woken once, from its own semaphore */
            CHECK(win_sleepers(a->pre[k], 1));
            CHECK_EQ(mp_semaphore_release(a->pre[k]), MP_OK);
        }
        for (k = 0; k < 3000 && mp__load(&a->acquired) < 2; k++) mp__os_sleep(0.01);
        CHECK_EQ(a->acquired, 2);
        CHECK(win_sleepers(a->sem, 2));
        for (k = 0; k < 2; k++) {
            CHECK_EQ(mp_process_kill(&v[k]), MP_OK);
            CHECK_EQ(mp_process_join(&v[k], 30), MP_OK);
            mp_process_close(&v[k]);
        }
        CHECK_EQ(mp_process_init(&live, win_sem_waiter, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&live), MP_OK);
        CHECK(win_sleepers(a->sem, 3)); /* the dead never uncount themselves */
        CHECK_EQ(mp_semaphore_release(a->sem), MP_OK);
        CHECK_EQ(mp_process_join(&live, 60), MP_OK);
        CHECK_EQ(mp_process_exitcode(&live, &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&live);
        mp_semaphore_free(a->sem);
        mp_semaphore_free(a->pre[0]);
        mp_semaphore_free(a->pre[1]);
        mp_shared_free(a);
    }
    return 0;
}

/* No wait on connections polls (issue 12): a 0.5 s wait that nothing ends sleeps once in the
   kernel (mp__os_poll_sleeps counts its sleeps; the old loop slept every 1-10 ms, 50 times or
   more), over a pipe, a message-mode named pipe, a TCP socket, a process and 70 pipes. The
   thread's CPU time over the waits is printed, never asserted. */
static int test_win_wait_no_polling(void) {
#ifndef _WIN32
    SKIP("the Windows wait");
#else
    mp_conn *a, *b, *set[4], *many[70], *many_w[70];
    mp_listener *pl, *tl;
    mp_process p, *procs[1];
    FILETIME t0, t1, k0, k1, u0, u1;
    char buf[8];
    size_t n;
    int ready[70], i;
    mp__u32 before;
    double cpu;
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    CHECK_EQ(mp_listener_new(&pl, NULL, "", 0), MP_OK); /* no handshake */
    CHECK_EQ(mp_listener_new(&tl, "127.0.0.1:0", "", 0), MP_OK);
    CHECK_EQ(mp_client(&set[1], mp_listener_address(pl), "", 0, 20), MP_OK);
    CHECK_EQ(mp_client(&set[2], mp_listener_address(tl), "", 0, 20), MP_OK);
    CHECK_EQ(mp_listener_accept(pl, 20, &set[3]), MP_OK); /* kept open: no EOF on set[1] */
    set[0] = a;
    CHECK_EQ(mp_process_init(&p, win_forever, NULL, 0, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    procs[0] = &p;
    GetThreadTimes(GetCurrentThread(), &t0, &t1, &k0, &u0);
    for (i = 0; i < 3; i++) {
        before = mp__load(&mp__os_poll_sleeps);
        CHECK_EQ(mp_conn_poll(set[i], 0.5), MP_ETIMEDOUT);
        CHECK(mp__load(&mp__os_poll_sleeps) - before <= 2);
    }
    before = mp__load(&mp__os_poll_sleeps);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0.5), MP_ETIMEDOUT);
    CHECK(mp__load(&mp__os_poll_sleeps) - before <= 2);
    before = mp__load(&mp__os_poll_sleeps);
    CHECK_EQ(mp_wait(set, 3, procs, 1, 0.5, ready), MP_ETIMEDOUT);
    CHECK(mp__load(&mp__os_poll_sleeps) - before <= 2);
    for (i = 0; i < 70; i++) CHECK_EQ(mp_pipe(0, &many[i], &many_w[i]), MP_OK);
    before = mp__load(&mp__os_poll_sleeps); /* over 63 handles: threads wait on them */
    CHECK_EQ(mp_wait(many, 70, NULL, 0, 0.5, ready), MP_ETIMEDOUT);
    CHECK(mp__load(&mp__os_poll_sleeps) - before <= 2);
    for (i = 0; i < 70; i++) {
        CHECK_EQ(mp_conn_close(many[i]), MP_OK);
        CHECK_EQ(mp_conn_close(many_w[i]), MP_OK);
    }
    GetThreadTimes(GetCurrentThread(), &t0, &t1, &k1, &u1);
    cpu = ((double)(k1.dwLowDateTime - k0.dwLowDateTime) +
           (double)(u1.dwLowDateTime - u0.dwLowDateTime)) /
          1e4;
    fprintf(stderr, "  CPU time over 3 s of waits: %.2f ms\n", cpu);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    for (i = 0; i < 4; i++) CHECK_EQ(mp_conn_close(set[i]), MP_OK);
    CHECK_EQ(mp_conn_close(b), MP_OK);
    CHECK_EQ(mp_listener_close(pl), MP_OK);
    CHECK_EQ(mp_listener_close(tl), MP_OK);
    return 0;
#endif
}

static const mp_test win_tests[] = {
    {"sync_waiter_killed_wake_not_lost", test_sync_waiter_killed_wake_not_lost},
    {"win_parent_killed_no_orphans", test_win_parent_killed_no_orphans},
    {"win_names_private", test_win_names_private},
    {"sync_wake_latency", test_sync_wake_latency},
    {"win_wait_no_polling", test_win_wait_no_polling},
    {NULL, NULL},
};
