/* Lock, RLock, Semaphore, Event, Condition, Barrier, Value: counts under contention, every
   timeout, the error paths, and the death of an owner. */

typedef struct sync_arg {
    mp_lock *lock;
    mp_semaphore *sem;
    mp_event *event;
    mp_condition *cond;
    mp_barrier *barrier;
    mp_value *value;
    shared_flags *f;
    int n;
} sync_arg;

static sync_arg *sync_arg_of(void *arg) {
    return *(sync_arg **)arg;
}

/* Starts n children running fn(&a) and joins them, checking they all exit with 0. */
static int run_children(int n, mp_target_fn fn, sync_arg *a) {
    mp_process p[8];
    int i, code;
    for (i = 0; i < n; i++) {
        CHECK_EQ(mp_process_init(&p[i], fn, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < n; i++) {
        CHECK_EQ(mp_process_join(&p[i], 60), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    return 0;
}
static sync_arg *sync_new(void) {
    sync_arg *a = (sync_arg *)mp_shared_alloc(sizeof *a);
    if (a) a->f = flags_new();
    return a;
}

#define COUNT_EACH 100000
static int add_under_lock(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int i;
    (void)size;
    for (i = 0; i < COUNT_EACH; i++) {
        if (mp_lock_acquire(a->lock, MP_FOREVER) != MP_OK) return 2;
        a->n++; /* a plain, non-atomic increment: only the lock protects it */
        if (mp_lock_release(a->lock) != MP_OK) return 3;
    }
    return 0;
}
static int test_lock_counter(void) {
    sync_arg *a = sync_new();
    int n;
    CHECK(a != NULL);
    for (n = 2; n <= 8; n *= 2) {
        a->lock = mp_lock_new();
        a->n = 0;
        CHECK(a->lock != NULL);
        CHECK_EQ(run_children(n, add_under_lock, a), 0);
        CHECK_EQ(a->n, n * COUNT_EACH);
        CHECK_EQ(mp_lock_free(a->lock), MP_OK);
    }
    return 0;
}

static int try_lock_in_child(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    double t0 = mp__os_now();
    (void)size;
    if (mp_lock_release(a->lock) != MP_ENOTOWNER) return 2; /* held by the parent */
    if (mp_lock_acquire(a->lock, 0) != MP_ETIMEDOUT) return 3;
    if (mp_lock_acquire(a->lock, 0.15) != MP_ETIMEDOUT) return 4;
    if (mp__os_now() - t0 < 0.14) return 5;
    flag_add(&a->f->ready);
    if (mp_lock_acquire(a->lock, 30) != MP_OK) return 6; /* the parent lets go */
    return mp_lock_release(a->lock) == MP_OK ? 0 : 7;
}
static int test_lock_timeouts_and_errors(void) {
    sync_arg *a = sync_new();
    mp_lock *l = mp_lock_new();
    mp_event *e = mp_event_new();
    mp_process p;
    int code = -1, local = 0;
    CHECK(a && l && e);
    a->lock = l;
    CHECK_EQ(mp_lock_release(l), MP_ENOTOWNER); /* not held */
    CHECK_EQ(mp_lock_is_mine(l), 0);
    CHECK_EQ(mp_lock_acquire(l, 0), MP_OK);
    CHECK_EQ(mp_lock_is_mine(l), 1);
    CHECK_EQ(mp_lock_acquire(l, 0), MP_ETIMEDOUT); /* a Lock is not re-entrant */
    CHECK_EQ(mp_process_init(&p, try_lock_in_child, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_lock_release(l), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    CHECK_EQ(mp_lock_acquire(NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_lock_acquire(l, -1), MP_EINVAL);
    CHECK_EQ(mp_lock_acquire((mp_lock *)(void *)&local, 1), MP_EINVAL); /* not in the arena */
    CHECK_EQ(mp_lock_acquire((mp_lock *)(void *)e, 1), MP_EINVAL);      /* not a lock */
    CHECK_EQ(mp_lock_release(NULL), MP_EINVAL);
    CHECK_EQ(mp_lock_free(NULL), MP_EINVAL);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    CHECK_EQ(mp_lock_acquire(l, 1), MP_ECLOSED);
    CHECK_EQ(mp_lock_release(l), MP_ECLOSED);
    CHECK_EQ(mp_lock_free(l), MP_ECLOSED);
    CHECK_EQ(mp_event_free(e), MP_OK);
    return 0;
}

/* Takes the lock (or the condition's lock), says so, then waits to be killed. */
static int hold_until_killed(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    if (mp_lock_acquire(a->lock, MP_FOREVER) != MP_OK) return 2;
    if (a->n == 2 && mp_lock_acquire(a->lock, MP_FOREVER) != MP_OK) return 3; /* RLock: twice */
    flag_add(&a->f->ready);
    for (;;) mp__wait(&a->f->go, 0, 10);
}
static int owner_dies(mp_lock *l, int depth) {
    sync_arg *a = sync_new();
    mp_process p;
    CHECK(a != NULL);
    a->lock = l;
    a->n = depth;
    CHECK_EQ(mp_process_init(&p, hold_until_killed, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_lock_acquire(l, 0.05), MP_ETIMEDOUT);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_lock_acquire(l, 30), MP_EOWNERDEAD); /* taken over, and we are told */
    CHECK_EQ(mp_lock_is_mine(l), 1);
    CHECK_EQ(mp_lock_release(l), MP_OK); /* one release: the dead owner's depth is gone */
    CHECK_EQ(mp_lock_release(l), MP_ENOTOWNER);
    CHECK_EQ(mp_lock_acquire(l, 1), MP_OK); /* and it works as before */
    CHECK_EQ(mp_lock_release(l), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
}
static int test_lock_owner_killed(void) {
    mp_lock *l = mp_lock_new(), *r = mp_rlock_new();
    CHECK(l && r);
    CHECK_EQ(owner_dies(l, 1), 0);
    CHECK_EQ(owner_dies(r, 2), 0);
    return 0;
}

static int rlock_in_child(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    if (mp_lock_acquire(a->lock, 0) != MP_ETIMEDOUT) return 2;
    if (mp_lock_release(a->lock) != MP_ENOTOWNER) return 3;
    return 0;
}
static int test_rlock(void) {
    sync_arg *a = sync_new();
    mp_lock *r = mp_rlock_new();
    CHECK(a && r);
    a->lock = r;
    CHECK_EQ(mp_lock_acquire(r, 0), MP_OK);
    CHECK_EQ(mp_lock_acquire(r, 0), MP_OK);
    CHECK_EQ(mp_lock_acquire(r, MP_FOREVER), MP_OK);
    CHECK_EQ(run_children(1, rlock_in_child, a), 0);
    CHECK_EQ(mp_lock_release(r), MP_OK);
    CHECK_EQ(mp_lock_release(r), MP_OK);
    CHECK_EQ(mp_lock_is_mine(r), 1);
    CHECK_EQ(mp_lock_release(r), MP_OK);
    CHECK_EQ(mp_lock_is_mine(r), 0);
    CHECK_EQ(mp_lock_release(r), MP_ENOTOWNER);
    CHECK_EQ(mp_lock_free(r), MP_OK);
    return 0;
}

static int inside_semaphore(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int i;
    (void)size;
    for (i = 0; i < 200; i++) {
        mp__u32 now;
        if (mp_semaphore_acquire(a->sem, MP_FOREVER) != MP_OK) return 2;
        now = mp__fetch_add(&a->f->counter, 1) + 1;
        if (now > 2) a->f->values[0] = now; /* more than two inside: a failure */
        mp__fetch_add(&a->f->counter, (mp__u32)-1);
        if (mp_semaphore_release(a->sem) != MP_OK) return 3;
    }
    return 0;
}
static int wait_on_semaphore(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    flag_add(&a->f->ready);
    return mp_semaphore_acquire(a->sem, MP_FOREVER) == MP_OK ? 0 : 2;
}
static int test_semaphore(void) {
    sync_arg *a = sync_new();
    mp_semaphore *s = mp_semaphore_new(2), *b = mp_bounded_semaphore_new(1);
    mp_process p;
    double t0;
    CHECK(a && s && b);
    a->sem = s;
    CHECK_EQ(mp_semaphore_get_value(s), 2);
    CHECK_EQ(run_children(4, inside_semaphore, a), 0);
    CHECK_EQ(a->f->values[0], 0);
    CHECK_EQ(mp_semaphore_get_value(s), 2);
    CHECK_EQ(mp_semaphore_acquire(s, 0), MP_OK);
    CHECK_EQ(mp_semaphore_acquire(s, 0), MP_OK);
    CHECK_EQ(mp_semaphore_acquire(s, 0), MP_ETIMEDOUT);
    t0 = mp__os_now();
    CHECK_EQ(mp_semaphore_acquire(s, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    /* a waiter killed while it waits takes no count with it */
    CHECK_EQ(mp_process_init(&p, wait_on_semaphore, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    CHECK_EQ(mp_semaphore_release(s), MP_OK);
    CHECK_EQ(mp_semaphore_get_value(s), 1);
    CHECK_EQ(mp_semaphore_release(s), MP_OK);
    CHECK_EQ(mp_semaphore_release(s), MP_OK); /* unbounded: past the initial value is fine */
    CHECK_EQ(mp_semaphore_get_value(s), 3);
    CHECK_EQ(mp_semaphore_release(b), MP_EOVERFLOW);
    CHECK_EQ(mp_semaphore_acquire(b, 0), MP_OK);
    CHECK_EQ(mp_semaphore_release(b), MP_OK);
    CHECK_EQ(mp_semaphore_release(b), MP_EOVERFLOW);
    CHECK_EQ(mp_semaphore_get_value(b), 1);
    CHECK_EQ(mp_semaphore_acquire(NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_semaphore_acquire(s, -2), MP_EINVAL);
    CHECK(mp_semaphore_new(0x80000000u) == NULL);
    CHECK_EQ(mp_semaphore_free(s), MP_OK);
    CHECK_EQ(mp_semaphore_release(s), MP_ECLOSED);
    CHECK_EQ(mp_semaphore_get_value(s), MP_ECLOSED);
    CHECK_EQ(mp_semaphore_free(b), MP_OK);
    return 0;
}

static int wait_event(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    flag_add(&a->f->ready);
    if (mp_event_wait(a->event, 30) != MP_OK) return 2;
    return mp_event_is_set(a->event) == 1 ? 0 : 3;
}
static int test_event(void) {
    sync_arg *a = sync_new();
    mp_event *e = mp_event_new();
    mp_process p[4];
    int i, code;
    double t0;
    CHECK(a && e);
    a->event = e;
    CHECK_EQ(mp_event_is_set(e), 0);
    t0 = mp__os_now();
    CHECK_EQ(mp_event_wait(e, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    CHECK_EQ(mp_event_wait(e, 0), MP_ETIMEDOUT);
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_init(&p[i], wait_event, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    flag_wait(&a->f->ready, 4);
    CHECK_EQ(mp_event_set(e), MP_OK);
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(mp_event_wait(e, 0), MP_OK);
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_event_clear(e), MP_OK);
    CHECK_EQ(mp_event_is_set(e), 0);
    CHECK_EQ(mp_event_wait(e, -1), MP_EINVAL);
    CHECK_EQ(mp_event_set(NULL), MP_EINVAL);
    CHECK_EQ(mp_event_free(e), MP_OK);
    CHECK_EQ(mp_event_set(e), MP_ECLOSED);
    CHECK_EQ(mp_event_wait(e, 0), MP_ECLOSED);
    return 0;
}

/* A bounded buffer guarded by one condition: producers and consumers. */
#define RING 8
typedef struct ring {
    int items[RING];
    int head, count, produced, consumed, sum;
} ring;
static int ring_not_full(void *arg) {
    return ((ring *)arg)->count < RING;
}
static int ring_not_empty(void *arg) {
    return ((ring *)arg)->count > 0;
}
static int produce(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    ring *r = (ring *)(void *)mp_value_ptr(a->value);
    int i;
    (void)size;
    for (i = 1; i <= 500; i++) {
        if (mp_condition_acquire(a->cond, MP_FOREVER) != MP_OK) return 2;
        if (mp_condition_wait_for(a->cond, ring_not_full, r, 30) != MP_OK) return 3;
        r->items[(r->head + r->count) % RING] = i;
        r->count++;
        r->produced++;
        mp_condition_notify_all(a->cond);
        mp_condition_release(a->cond);
    }
    return 0;
}
static int consume(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    ring *r = (ring *)(void *)mp_value_ptr(a->value);
    int i;
    (void)size;
    for (i = 0; i < 500; i++) {
        if (mp_condition_acquire(a->cond, MP_FOREVER) != MP_OK) return 2;
        if (mp_condition_wait_for(a->cond, ring_not_empty, r, 30) != MP_OK) return 3;
        r->sum += r->items[r->head];
        r->head = (r->head + 1) % RING;
        r->count--;
        r->consumed++;
        mp_condition_notify_all(a->cond);
        mp_condition_release(a->cond);
    }
    return 0;
}
static int test_condition_producer_consumer(void) {
    sync_arg *a = sync_new();
    mp_process p[4];
    ring *r;
    int i, code;
    CHECK(a != NULL);
    a->cond = mp_condition_new(NULL);
    a->value = mp_value_new(sizeof(ring));
    CHECK(a->cond && a->value);
    r = (ring *)mp_value_ptr(a->value);
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_init(&p[i], i < 2 ? produce : consume, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_join(&p[i], 60), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(r->produced, 1000);
    CHECK_EQ(r->consumed, 1000);
    CHECK_EQ(r->sum, 2 * 500 * 501 / 2);
    CHECK_EQ(mp_condition_free(a->cond), MP_OK);
    CHECK_EQ(mp_value_free(a->value), MP_OK);
    return 0;
}

static int cond_waiter(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int r;
    (void)size;
    if (mp_condition_acquire(a->cond, MP_FOREVER) != MP_OK) return 2;
    flag_add(&a->f->ready);
    r = mp_condition_wait(a->cond, 30);
    if (r != MP_OK) return 3;
    if (!mp_lock_is_mine(mp_condition_lock(a->cond))) return 4;
    mp__fetch_add(&a->f->counter, 1);
    mp_condition_release(a->cond);
    return 0;
}
static int test_condition_notify_n(void) {
    sync_arg *a = sync_new();
    mp_process p[3];
    mp_lock *l = mp_lock_new();
    int i, ended = 0;
    double t0;
    CHECK(a && l);
    a->cond = mp_condition_new(l);
    CHECK(a->cond != NULL);
    CHECK(mp_condition_lock(a->cond) == l);
    CHECK_EQ(mp_condition_wait(a->cond, 1), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_notify(a->cond, 1), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_acquire(a->cond, 1), MP_OK);
    t0 = mp__os_now();
    CHECK_EQ(mp_condition_wait(a->cond, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    CHECK_EQ(mp_lock_is_mine(l), 1); /* held again after the timeout */
    CHECK_EQ(mp_condition_notify(a->cond, -1), MP_EINVAL);
    CHECK_EQ(mp_condition_release(a->cond), MP_OK);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(mp_process_init(&p[i], cond_waiter, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    flag_wait(&a->f->ready, 3);
    /* all three are registered as sleepers once they released the lock in wait */
    CHECK_EQ(mp_condition_acquire(a->cond, 30), MP_OK);
    CHECK_EQ(mp_condition_notify(a->cond, 1), MP_OK);
    CHECK_EQ(mp_condition_release(a->cond), MP_OK);
    while (!ended) /* exactly one of them wakes */
        for (i = 0; i < 3; i++)
            if (mp_process_join(&p[i], 0.01) == MP_OK) ended++;
    CHECK_EQ(a->f->counter, 1);
    CHECK_EQ(ended, 1);
    CHECK_EQ(mp_condition_acquire(a->cond, 30), MP_OK);
    CHECK_EQ(mp_condition_notify_all(a->cond), MP_OK);
    CHECK_EQ(mp_condition_release(a->cond), MP_OK);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(a->f->counter, 3);
    CHECK_EQ(mp_condition_free(a->cond), MP_OK);
    CHECK_EQ(mp_condition_notify(a->cond, 1), MP_ECLOSED);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    CHECK(mp_condition_new((mp_lock *)(void *)a) == NULL);
    return 0;
}

static int test_condition_lock_owner_killed(void) {
    sync_arg *a = sync_new();
    mp_process p;
    CHECK(a != NULL);
    a->cond = mp_condition_new(NULL);
    CHECK(a->cond != NULL);
    a->lock = mp_condition_lock(a->cond);
    CHECK_EQ(mp_process_init(&p, hold_until_killed, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_condition_acquire(a->cond, 30), MP_EOWNERDEAD);
    CHECK_EQ(mp_condition_wait(a->cond, 0.01), MP_ETIMEDOUT);
    CHECK_EQ(mp_condition_release(a->cond), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
}

static mp__u32 *barrier_actions;
static int barrier_action(void) {
    mp__fetch_add(barrier_actions, 1);
    return 0;
}
static int barrier_party(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int round, r;
    (void)size;
    barrier_actions = (mp__u32 *)&a->f->values[15];
    for (round = 0; round < 3; round++) {
        r = mp_barrier_wait(a->barrier, 30);
        if (r < 0 || r >= 4) return 2;
        mp__fetch_add(&a->f->values[round * 4 + r], 1);
    }
    return 0;
}
static int test_barrier(void) {
    sync_arg *a = sync_new();
    int i;
    CHECK(a != NULL);
    CHECK(mp_barrier_new(0, NULL) == NULL);
    a->barrier = mp_barrier_new(4, barrier_action);
    CHECK(a->barrier != NULL);
    CHECK_EQ(mp_barrier_parties(a->barrier), 4);
    CHECK_EQ(mp_barrier_n_waiting(a->barrier), 0);
    CHECK_EQ(run_children(4, barrier_party, a), 0);
    for (i = 0; i < 12; i++) CHECK_EQ(a->f->values[i], 1); /* each index once per round */
    CHECK_EQ(a->f->values[15], 3);                         /* the action once per round */
    CHECK_EQ(mp_barrier_broken(a->barrier), 0);
    CHECK_EQ(mp_barrier_wait(a->barrier, -1), MP_EINVAL);
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    CHECK_EQ(mp_barrier_wait(a->barrier, 1), MP_ECLOSED);
    CHECK_EQ(mp_barrier_wait(NULL, 1), MP_EINVAL);
    return 0;
}

static int barrier_wait_long(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int r;
    (void)size;
    flag_add(&a->f->ready);
    r = mp_barrier_wait(a->barrier, 30);
    return r == MP_EBROKEN ? 0 : 10 - r;
}
static int test_barrier_timeout_abort_reset(void) {
    sync_arg *a = sync_new();
    mp_process p;
    double t0;
    int code = -1;
    CHECK(a != NULL);
    a->barrier = mp_barrier_new(2, NULL);
    CHECK(a->barrier != NULL);
    /* a party that never comes (it died): the waiter times out, the barrier breaks */
    t0 = mp__os_now();
    CHECK_EQ(mp_barrier_wait(a->barrier, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    CHECK_EQ(mp_barrier_broken(a->barrier), 1);
    CHECK_EQ(mp_barrier_wait(a->barrier, 1), MP_EBROKEN);
    CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
    CHECK_EQ(mp_barrier_broken(a->barrier), 0);
    /* abort wakes a waiter with MP_EBROKEN */
    CHECK_EQ(mp_process_init(&p, barrier_wait_long, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    while (mp_barrier_n_waiting(a->barrier) != 1) mp__os_sleep(0.001);
    CHECK_EQ(mp_barrier_abort(a->barrier), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    /* reset while a party waits: it sees the barrier broken, the barrier is usable after */
    CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
    CHECK_EQ(mp_process_init(&p, barrier_wait_long, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 2);
    while (mp_barrier_n_waiting(a->barrier) != 1) mp__os_sleep(0.001);
    CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    CHECK_EQ(mp_barrier_broken(a->barrier), 0);
    CHECK_EQ(mp_barrier_n_waiting(a->barrier), 0);
    return 0;
}

static int add_to_value(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    long *v = (long *)mp_value_ptr(a->value);
    int i;
    (void)size;
    for (i = 0; i < 20000; i++) MP_WITH_LOCK(mp_value_lock(a->value)) {
            *v += 1;
        }
    return 0;
}
static int test_value(void) {
    sync_arg *a = sync_new();
    double *arr;
    mp_value *v2;
    CHECK(a != NULL);
    a->value = mp_value_new(sizeof(long));
    CHECK(a->value != NULL);
    CHECK_EQ(mp_value_size(a->value), sizeof(long));
    CHECK_EQ(*(long *)mp_value_ptr(a->value), 0);
    CHECK_EQ(run_children(4, add_to_value, a), 0);
    CHECK_EQ(*(long *)mp_value_ptr(a->value), 80000);
    v2 = mp_value_new(10 * sizeof(double)); /* an Array('d', 10) */
    CHECK(v2 != NULL);
    arr = (double *)mp_value_ptr(v2);
    CHECK(((size_t)arr & 7) == 0);
    arr[9] = 1.5;
    CHECK(mp_value_new(0) == NULL);
    CHECK(mp_value_ptr(NULL) == NULL);
    CHECK_EQ(mp_value_free(v2), MP_OK);
    CHECK(mp_value_ptr(v2) == NULL);
    CHECK_EQ(mp_value_free(v2), MP_ECLOSED);
    CHECK_EQ(mp_value_free(a->value), MP_OK);
    return 0;
}

#ifndef _WIN32
#include <signal.h>
static void on_usr1(int sig) {
    (void)sig;
}
static int pester(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    while (mp__load(&a->f->go.value) == 0) {
        kill((pid_t)mp_getppid(), SIGUSR1);
        mp__wait(&a->f->go, 0, 0.01);
    }
    return 0;
}
#endif
static int test_wait_resumes_after_signal(void) {
#ifdef _WIN32
    SKIP("POSIX signals");
#else
    sync_arg *a = sync_new();
    struct sigaction sa;
    mp_process p;
    double t0;
    CHECK(a != NULL);
    a->event = mp_event_new();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: the kernel wait returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    CHECK_EQ(mp_process_init(&p, pester, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    t0 = mp__os_now();
    CHECK_EQ(mp_event_wait(a->event, 0.3), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.29);
    flag_set(&a->f->go, 1);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
#endif
}

/* A fork that mp.h did not make: the child is a process of its own for the locks. */
static int test_lock_raw_fork(void) {
#ifdef _WIN32
    SKIP("no fork on Windows");
#else
    mp_lock *l = mp_lock_new();
    int st = 0;
    pid_t pid;
    CHECK(l != NULL);
    CHECK_EQ(mp_lock_acquire(l, 0), MP_OK);
    pid = fork();
    if (pid == 0) {
        int ok = mp_lock_is_mine(l) == 0 && mp_lock_release(l) == MP_ENOTOWNER &&
                 mp_lock_acquire(l, 0) == MP_ETIMEDOUT && mp_getpid() == (long)getpid();
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(mp_lock_release(l), MP_OK);
    return 0;
#endif
}

/* Issue 8: a poll (timeout 0) takes back a lock whose owner died, for every primitive built
   on the robust mutex: Lock, RLock, a Condition's lock, a Value's lock. First with the owner
   a zombie not yet reaped (polled until the kill has landed), then with it reaped. */
static int poll_owner_dies(mp_lock *l, int depth, int reap_first) {
    sync_arg *a = sync_new();
    mp_process p;
    int r;
    CHECK(a != NULL);
    a->lock = l;
    a->n = depth;
    CHECK_EQ(mp_process_init(&p, hold_until_killed, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_lock_acquire(l, 0), MP_ETIMEDOUT); /* alive: a poll only fails */
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    if (reap_first) CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    while ((r = mp_lock_acquire(l, 0)) == MP_ETIMEDOUT) mp__os_sleep(0.001);
    CHECK_EQ(r, MP_EOWNERDEAD);
    CHECK_EQ(mp_lock_is_mine(l), 1);
    CHECK_EQ(mp_lock_release(l), MP_OK);
    CHECK_EQ(mp_lock_acquire(l, 0), MP_OK); /* and it works as before */
    CHECK_EQ(mp_lock_release(l), MP_OK);
    if (!reap_first) CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
}
static int test_lock_poll_owner_killed(void) {
    mp_lock *l = mp_lock_new(), *r = mp_rlock_new();
    mp_condition *c = mp_condition_new(NULL);
    mp_value *v = mp_value_new(8);
    int reap;
    CHECK(l && r && c && v);
    for (reap = 0; reap < 2; reap++) {
        CHECK_EQ(poll_owner_dies(l, 1, reap), 0);
        CHECK_EQ(poll_owner_dies(r, 2, reap), 0);
        CHECK_EQ(poll_owner_dies(mp_condition_lock(c), 1, reap), 0);
        CHECK_EQ(poll_owner_dies(mp_value_lock(v), 2, reap), 0);
    }
    CHECK_EQ(mp_condition_acquire(c, 0), MP_OK); /* the Condition's own calls see it too */
    CHECK_EQ(mp_condition_release(c), MP_OK);
    CHECK_EQ(mp_condition_free(c), MP_OK);
    CHECK_EQ(mp_value_free(v), MP_OK);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    CHECK_EQ(mp_lock_free(r), MP_OK);
    return 0;
}

/* Issue 8: set() then clear() wakes every waiter at once, and each reports the set. */
static int wait_event_long(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    flag_add(&a->f->ready);
    return mp_event_wait(a->event, 20) == MP_OK ? 0 : 2; /* MP_ETIMEDOUT: the set was missed */
}
static int test_event_set_clear_wakes(void) {
    sync_arg *a = sync_new();
    mp_process p[3];
    int i, code, round;
    CHECK(a != NULL);
    a->event = mp_event_new();
    CHECK(a->event != NULL);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 3; i++) {
            CHECK_EQ(mp_process_init(&p[i], wait_event_long, &a, sizeof a, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&p[i]), MP_OK);
        }
        flag_wait(&a->f->ready, (mp__u32)(3 * (round + 1)));
        while (mp__load(&a->event->flag.waiters) < 3) mp__os_sleep(0.001); /* all asleep */
        CHECK_EQ(mp_event_set(a->event), MP_OK);
        CHECK_EQ(mp_event_clear(a->event), MP_OK);
        CHECK_EQ(mp_event_is_set(a->event), 0);
        for (i = 0; i < 3; i++) {
            CHECK_EQ(mp_process_join(&p[i], 60), MP_OK);
            CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
            CHECK_EQ(code, 0);
            mp_process_close(&p[i]);
        }
    }
    CHECK_EQ(mp_event_wait(a->event, 0), MP_ETIMEDOUT); /* cleared: a new wait waits */
    CHECK_EQ(mp_event_clear(a->event), MP_OK);          /* clear twice: still clear */
    CHECK_EQ(mp_event_set(a->event), MP_OK);
    CHECK_EQ(mp_event_set(a->event), MP_OK); /* set twice: still set */
    CHECK_EQ(mp_event_is_set(a->event), 1);
    CHECK_EQ(mp_event_wait(a->event, 0), MP_OK);
    CHECK_EQ(mp_event_free(a->event), MP_OK);
    return 0;
}

/* Stops a child where it stands, or lets it go on (a waiter that does not run). */
#ifdef _WIN32
static int pause_process(long pid, int stop) {
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 te;
    int n = 0;
    if (snap == INVALID_HANDLE_VALUE) return -1;
    te.dwSize = sizeof te;
    if (Thread32First(snap, &te)) {
        do {
            if (te.th32OwnerProcessID == (DWORD)pid) {
                HANDLE t = OpenThread(THREAD_SUSPEND_RESUME, FALSE, te.th32ThreadID);
                if (t) {
                    n += (stop ? SuspendThread(t) : ResumeThread(t)) != (DWORD)-1;
                    CloseHandle(t);
                }
            }
        } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
    return n ? 0 : -1;
}
#else
/* A process that is not our child (the forkserver's): its state in /proc says stopped. */
static int stopped_not_ours(long pid) {
    for (;;) {
        char path[64], buf[512], *p;
        size_t k;
        FILE *f;
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        if (!(f = fopen(path, "r"))) return -1;
        k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = 0;
        p = strrchr(buf, ')');
        if (p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't')) return 0;
        sched_yield();
    }
}
static int pause_process(long pid, int stop) {
    siginfo_t si;
    if (kill((pid_t)pid, stop ? SIGSTOP : SIGCONT) != 0) return -1;
    memset(&si, 0, sizeof si);
    if (stop) /* wait until it is stopped (the report is consumed: mp.h only asks for exits) */
        while (waitid(P_PID, (id_t)pid, &si, WSTOPPED) != 0) {
            if (errno == ECHILD) return stopped_not_ours(pid); /* forkserver: the server's */
            if (errno != EINTR) return -1;
        }
    return 0;
}
#endif

/* Issue 8: a waiter that does not run while its generation is reset and more happens must
   still learn how its own generation ended. */
static int barrier_wait_report(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    flag_add(&a->f->ready);
    a->f->values[0] = (mp__u32)(mp_barrier_wait(a->barrier, 30) + 100);
    return 0;
}
static int barrier_party_once(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    return mp_barrier_wait(a->barrier, 30) >= 0 ? 0 : 2;
}
static int test_barrier_reset_while_stopped(void) {
    sync_arg *a = sync_new();
    mp_process w, x;
    int scenario;
    CHECK(a != NULL);
    a->barrier = mp_barrier_new(2, NULL);
    CHECK(a->barrier != NULL);
    for (scenario = 0; scenario < 4; scenario++) {
        int want = MP_EBROKEN;
        a->f->values[0] = 0;
        a->f->ready.value = 0;
        CHECK_EQ(mp_process_init(&w, barrier_wait_report, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&w), MP_OK);
        flag_wait(&a->f->ready, 1);
        /* asleep on the barrier's word, its lock released: now it may be stopped */
        while (mp__load(&a->barrier->seq.waiters) < 1) mp__os_sleep(0.001);
        CHECK_EQ(pause_process(mp_process_pid(&w), 1), 0);
        if (scenario == 0) { /* reset twice */
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
        } else if (scenario == 1) { /* reset, a whole pass of two others, reset */
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
            CHECK_EQ(mp_process_init(&x, barrier_party_once, &a, sizeof a, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&x), MP_OK);
            CHECK(mp_barrier_wait(a->barrier, 30) >= 0);
            CHECK_EQ(mp_process_join(&x, 30), MP_OK);
            mp_process_close(&x);
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
        } else if (scenario == 2) { /* its generation passes (we are the other party), then
                                       a reset: it passed */
            CHECK_EQ(mp_barrier_wait(a->barrier, 30), 1);
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
            want = 100; /* index 0 */
        } else {        /* abort, reset, abort */
            CHECK_EQ(mp_barrier_abort(a->barrier), MP_OK);
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
            CHECK_EQ(mp_barrier_abort(a->barrier), MP_OK);
            CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
        }
        CHECK_EQ(pause_process(mp_process_pid(&w), 0), 0);
        CHECK_EQ(mp_process_join(&w, 60), MP_OK);
        mp_process_close(&w);
        if (want == MP_EBROKEN) want += 100;
        CHECK_EQ(a->f->values[0], want);
        CHECK_EQ(mp_barrier_broken(a->barrier), 0);
        CHECK_EQ(mp_barrier_n_waiting(a->barrier), 0);
    }
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    return 0;
}

/* Threads of one process, all at once on every primitive (issue 8: ThreadSanitizer runs
   these; the RLock's owner field was a data race between threads). */
typedef struct test_thread {
#ifdef _WIN32
    HANDLE h;
#else
    pthread_t t;
#endif
    int (*fn)(void *);
    void *arg;
    int result;
} test_thread;
#ifdef _WIN32
static DWORD WINAPI test_thread_main(LPVOID p) {
    test_thread *t = (test_thread *)p;
    t->result = t->fn(t->arg);
    return 0;
}
#else
static void *test_thread_main(void *p) {
    test_thread *t = (test_thread *)p;
    t->result = t->fn(t->arg);
    return NULL;
}
#endif
static int thread_start(test_thread *t, int (*fn)(void *), void *arg) {
    t->fn = fn;
    t->arg = arg;
    t->result = -1;
#ifdef _WIN32
    t->h = CreateThread(NULL, 0, test_thread_main, t, 0, NULL);
    return t->h ? 0 : -1;
#else
    return pthread_create(&t->t, NULL, test_thread_main, t) == 0 ? 0 : -1;
#endif
}
static int thread_join(test_thread *t) {
#ifdef _WIN32
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
#else
    pthread_join(t->t, NULL);
#endif
    return t->result;
}

#define THREADS      4
#define THREAD_LOOPS 1000
typedef struct thread_shared {
    mp_lock *lock, *rlock;
    mp_semaphore *sem;
    mp_event *go;
    mp_condition *cond;
    mp_queue *q;
    mp_barrier *barrier;
    mp_value *value;
    long plain, rplain; /* plain counters: only the locks keep them right */
    volatile mp__u32 inside, too_many, qsum, barrier_index[THREADS];
    ring r; /* under the condition's lock */
} thread_shared;
typedef struct thread_arg {
    thread_shared *s;
    int id;
} thread_arg;
static int thread_mix(void *arg) {
    thread_arg *ta = (thread_arg *)arg;
    thread_shared *s = ta->s;
    int i, r;
    if (mp_event_wait(s->go, 30) != MP_OK) return 2;
    for (i = 0; i < THREAD_LOOPS; i++) {
        if (mp_lock_acquire(s->lock, 30) != MP_OK) return 3;
        s->plain++;
        if (mp_lock_release(s->lock) != MP_OK) return 4;
        if (mp_lock_acquire(s->rlock, 30) != MP_OK) return 5;
        if (mp_lock_acquire(s->rlock, 0) != MP_OK) return 6; /* ours: re-entered */
        s->rplain++;
        if (mp_lock_release(s->rlock) != MP_OK || mp_lock_release(s->rlock) != MP_OK) return 7;
        if (mp_lock_release(s->rlock) != MP_ENOTOWNER) return 8; /* not held by this thread */
        MP_WITH_LOCK(mp_value_lock(s->value)) {
            *(long *)mp_value_ptr(s->value) += 1;
        }
        if (mp_semaphore_acquire(s->sem, 30) != MP_OK) return 9;
        if (mp__fetch_add(&s->inside, 1) >= 2) mp__fetch_add(&s->too_many, 1);
        mp__fetch_add(&s->inside, (mp__u32)-1);
        if (mp_semaphore_release(s->sem) != MP_OK) return 10;
    }
    r = mp_barrier_wait(s->barrier, 30);
    if (r < 0 || r >= THREADS) return 11;
    mp__fetch_add(&s->barrier_index[r], 1);
    for (i = 1; i <= THREAD_LOOPS; i++) { /* threads 0, 1 produce; 2, 3 consume */
        if (mp_condition_acquire(s->cond, 30) != MP_OK) return 12;
        if (ta->id < 2) {
            if (mp_condition_wait_for(s->cond, ring_not_full, &s->r, 30) != MP_OK) return 13;
            s->r.items[(s->r.head + s->r.count) % RING] = i;
            s->r.count++;
            s->r.produced++;
        } else {
            if (mp_condition_wait_for(s->cond, ring_not_empty, &s->r, 30) != MP_OK) return 14;
            s->r.sum += s->r.items[s->r.head];
            s->r.head = (s->r.head + 1) % RING;
            s->r.count--;
            s->r.consumed++;
        }
        if (mp_condition_notify_all(s->cond) != MP_OK) return 15;
        if (mp_condition_release(s->cond) != MP_OK) return 16;
    }
    for (i = 0; i < THREAD_LOOPS; i++) { /* put one, get one (maybe another thread's) */
        mp__u32 v = (mp__u32)(ta->id * THREAD_LOOPS + i), got = 0;
        size_t n = 0;
        if (mp_queue_put(s->q, &v, sizeof v, 30) != MP_OK) return 17;
        if (mp_queue_get(s->q, &got, sizeof got, &n, 30) != MP_OK || n != sizeof got) return 18;
        mp__fetch_add(&s->qsum, got);
    }
    r = mp_barrier_wait(s->barrier, 30);
    return r >= 0 && r < THREADS ? 0 : 19;
}
static int test_threads_all_primitives(void) {
    thread_shared *s = (thread_shared *)calloc(1, sizeof *s); /* this process's memory */
    thread_arg ta[THREADS];
    test_thread t[THREADS];
    int i, round;
    mp__u32 want = 0;
    CHECK(s != NULL);
    s->lock = mp_lock_new();
    s->rlock = mp_rlock_new();
    s->sem = mp_semaphore_new(2);
    s->go = mp_event_new();
    s->cond = mp_condition_new(NULL);
    s->q = mp_queue_new(4096, 0);
    s->barrier = mp_barrier_new(THREADS, NULL);
    s->value = mp_value_new(sizeof(long));
    CHECK(s->lock && s->rlock && s->sem && s->go && s->cond && s->q && s->barrier && s->value);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < THREADS; i++) {
            ta[i].s = s;
            ta[i].id = i;
            CHECK_EQ(thread_start(&t[i], thread_mix, &ta[i]), 0);
        }
        CHECK_EQ(mp_event_set(s->go), MP_OK); /* the early ones wait, the late ones see it set */
        for (i = 0; i < THREADS; i++) CHECK_EQ(thread_join(&t[i]), 0);
        CHECK_EQ(mp_event_clear(s->go), MP_OK);
    }
    CHECK_EQ(s->plain, 2 * THREADS * THREAD_LOOPS);
    CHECK_EQ(s->rplain, 2 * THREADS * THREAD_LOOPS);
    CHECK_EQ(*(long *)mp_value_ptr(s->value), 2 * THREADS * THREAD_LOOPS);
    CHECK_EQ(s->too_many, 0);
    for (i = 0; i < THREADS; i++) CHECK_EQ(s->barrier_index[i], 2);
    CHECK_EQ(s->r.produced, 2 * 2 * THREAD_LOOPS);
    CHECK_EQ(s->r.consumed, 2 * 2 * THREAD_LOOPS);
    CHECK_EQ(s->r.sum, 2 * 2 * THREAD_LOOPS * (THREAD_LOOPS + 1) / 2);
    for (i = 0; i < THREADS * THREAD_LOOPS; i++) want += (mp__u32)i;
    CHECK_EQ(s->qsum, 2 * want);
    CHECK_EQ(mp_queue_qsize(s->q), 0);
    CHECK_EQ(mp_lock_is_mine(s->rlock), 0);
    CHECK_EQ(mp_lock_free(s->lock), MP_OK);
    CHECK_EQ(mp_lock_free(s->rlock), MP_OK);
    CHECK_EQ(mp_semaphore_free(s->sem), MP_OK);
    CHECK_EQ(mp_event_free(s->go), MP_OK);
    CHECK_EQ(mp_condition_free(s->cond), MP_OK);
    CHECK_EQ(mp_queue_free(s->q), MP_OK);
    CHECK_EQ(mp_barrier_free(s->barrier), MP_OK);
    CHECK_EQ(mp_value_free(s->value), MP_OK);
    free(s);
    return 0;
}

/* An RLock passed between threads: each takes it twice, checks that the others see it as
   theirs not, and lets go; a thread that is not the owner cannot release it. */
static int rlock_ping(void *arg) {
    mp_lock *l = (mp_lock *)arg;
    int i;
    for (i = 0; i < 20000; i++) {
        int r = mp_lock_acquire(l, i % 2 ? 0 : 30);
        if (r == MP_ETIMEDOUT) continue;
        if (r != MP_OK) return 2;
        if (!mp_lock_is_mine(l) || mp_lock_acquire(l, 0) != MP_OK) return 3;
        if (mp_lock_release(l) != MP_OK || !mp_lock_is_mine(l)) return 4;
        if (mp_lock_release(l) != MP_OK || mp_lock_is_mine(l)) return 5;
    }
    return mp_lock_release(l) == MP_ENOTOWNER ? 0 : 6;
}
static int test_threads_rlock(void) {
    mp_lock *l = mp_rlock_new();
    test_thread t[THREADS];
    int i;
    CHECK(l != NULL);
    for (i = 0; i < THREADS; i++) CHECK_EQ(thread_start(&t[i], rlock_ping, l), 0);
    for (i = 0; i < THREADS; i++) CHECK_EQ(thread_join(&t[i]), 0);
    CHECK_EQ(mp_lock_is_mine(l), 0);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    return 0;
}

/* Issue 8: bad input on every function of the section: NULL, a pointer that is not such an
   object, a freed object, every kind of bad or extreme timeout, an unheld lock, sizes at the
   limits. A clear error each time, and nothing held or changed by a refused call. */
static volatile double sync_zero = 0;
static int always_true(void *arg) {
    (void)arg;
    return 1;
}
static int test_sync_bad_input(void) {
    double nan = sync_zero / sync_zero, inf = 1.0 / sync_zero, bad[3], big[4];
    mp_lock *l = mp_lock_new(), *rl = mp_rlock_new(), *gone = mp_lock_new();
    mp_semaphore *s = mp_semaphore_new(1);
    mp_event *e = mp_event_new();
    mp_condition *c = mp_condition_new(l), *cg;
    mp_barrier *b = mp_barrier_new(1, NULL);
    mp_value *v = mp_value_new(8);
    mp__u32 *plain = (mp__u32 *)mp_shared_alloc(64);
    int local = 0, i;
    void *stack = &local, *odd;
    CHECK(l && rl && gone && s && e && c && b && v && plain);
    odd = (char *)(void *)plain + 2; /* in the arena, not aligned */
    bad[0] = nan;
    bad[1] = -1;
    bad[2] = -inf;
    big[0] = inf;
    big[1] = MP_FOREVER;
    big[2] = 1e20;
    big[3] = 5e8; /* years: neither "forever" nor a deadline that overflows */
    /* NULL, a foreign pointer, an unaligned one, an object of another type */
    CHECK(mp_lock_acquire(NULL, 0) == MP_EINVAL && mp_lock_release(NULL) == MP_EINVAL);
    CHECK(mp_lock_acquire((mp_lock *)stack, 0) == MP_EINVAL);
    CHECK(mp_lock_acquire((mp_lock *)odd, 0) == MP_EINVAL);
    CHECK(mp_lock_acquire((mp_lock *)(void *)e, 0) == MP_EINVAL);
    CHECK(mp_lock_is_mine(NULL) == 0 && mp_lock_free((mp_lock *)(void *)s) == MP_EINVAL);
    CHECK(mp_semaphore_acquire(NULL, 0) == MP_EINVAL && mp_semaphore_release(NULL) == MP_EINVAL);
    CHECK(mp_semaphore_get_value((mp_semaphore *)(void *)l) == MP_EINVAL);
    CHECK(mp_semaphore_free((mp_semaphore *)stack) == MP_EINVAL);
    CHECK(mp_event_set(NULL) == MP_EINVAL && mp_event_clear(NULL) == MP_EINVAL);
    CHECK(mp_event_is_set((mp_event *)odd) == MP_EINVAL && mp_event_wait(NULL, 0) == MP_EINVAL);
    CHECK(mp_event_free((mp_event *)(void *)b) == MP_EINVAL);
    CHECK(mp_condition_new((mp_lock *)(void *)e) == NULL);
    CHECK(mp_condition_lock(NULL) == NULL && mp_condition_acquire(NULL, 0) == MP_EINVAL);
    CHECK(mp_condition_release(NULL) == MP_EINVAL && mp_condition_wait(NULL, 0) == MP_EINVAL);
    CHECK(mp_condition_wait_for(NULL, always_true, NULL, 0) == MP_EINVAL);
    CHECK(mp_condition_notify(NULL, 1) == MP_EINVAL && mp_condition_notify_all(NULL) == MP_EINVAL);
    CHECK(mp_condition_free((mp_condition *)(void *)l) == MP_EINVAL);
    CHECK(mp_barrier_new(0, NULL) == NULL && mp_barrier_new(-5, NULL) == NULL);
    CHECK(mp_barrier_wait(NULL, 0) == MP_EINVAL && mp_barrier_abort(NULL) == MP_EINVAL);
    CHECK(mp_barrier_reset(NULL) == MP_EINVAL && mp_barrier_parties(NULL) == MP_EINVAL);
    CHECK(mp_barrier_n_waiting((mp_barrier *)stack) == MP_EINVAL);
    CHECK(mp_barrier_broken((mp_barrier *)odd) == MP_EINVAL);
    CHECK(mp_barrier_free((mp_barrier *)(void *)v) == MP_EINVAL);
    CHECK(mp_value_ptr(NULL) == NULL && mp_value_size((mp_value *)stack) == 0);
    CHECK(mp_value_lock((mp_value *)(void *)l) == NULL && mp_value_free(NULL) == MP_EINVAL);
    /* sizes at the limits */
    CHECK(mp_semaphore_new(0x80000000u) == NULL && mp_bounded_semaphore_new(~0u) == NULL);
    CHECK(mp_value_new(0) == NULL && mp_value_new((size_t)-1) == NULL);
    CHECK(mp_value_new((size_t)-1 / 2) == NULL && mp_value_new((size_t)-1 - 16) == NULL);
    /* bad timeouts: MP_EINVAL, and nothing taken */
    for (i = 0; i < 3; i++) {
        CHECK_EQ(mp_lock_acquire(l, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_lock_acquire(rl, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_semaphore_acquire(s, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_event_wait(e, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_condition_acquire(c, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_barrier_wait(b, bad[i]), MP_EINVAL);
    }
    CHECK_EQ(mp_lock_is_mine(l), 0);
    CHECK_EQ(mp_semaphore_get_value(s), 1);
    CHECK_EQ(mp_barrier_n_waiting(b), 0);
    CHECK_EQ(mp_condition_acquire(c, 0), MP_OK);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(mp_condition_wait(c, bad[i]), MP_EINVAL);
        CHECK_EQ(mp_condition_wait_for(c, always_true, NULL, bad[i]), MP_EINVAL);
    }
    CHECK_EQ(mp_condition_wait_for(c, NULL, NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_condition_notify(c, -1), MP_EINVAL);
    CHECK_EQ(mp_lock_is_mine(l), 1); /* still held after the refusals */
    CHECK_EQ(mp_condition_release(c), MP_OK);
    /* huge timeouts work where the answer is at hand, and poll cleanly otherwise */
    CHECK_EQ(mp_event_set(e), MP_OK);
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_lock_acquire(l, big[i]), MP_OK);
        CHECK_EQ(mp_lock_release(l), MP_OK);
        CHECK_EQ(mp_lock_acquire(rl, big[i]), MP_OK);
        CHECK_EQ(mp_lock_acquire(rl, big[i]), MP_OK);
        CHECK_EQ(mp_lock_release(rl), MP_OK);
        CHECK_EQ(mp_lock_release(rl), MP_OK);
        CHECK_EQ(mp_semaphore_acquire(s, big[i]), MP_OK);
        CHECK_EQ(mp_semaphore_release(s), MP_OK);
        CHECK_EQ(mp_event_wait(e, big[i]), MP_OK);
        CHECK_EQ(mp_condition_acquire(c, big[i]), MP_OK);
        CHECK_EQ(mp_condition_wait_for(c, always_true, NULL, big[i]), MP_OK);
        CHECK_EQ(mp_condition_release(c), MP_OK);
        CHECK_EQ(mp_barrier_wait(b, big[i]), 0); /* one party: passes at once */
    }
    CHECK_EQ(mp_condition_acquire(c, 0), MP_OK);
    CHECK_EQ(mp_condition_wait(c, 1e-300), MP_ETIMEDOUT); /* a tiny timeout is a poll */
    CHECK_EQ(mp_condition_release(c), MP_OK);
    /* release of what is not held */
    CHECK_EQ(mp_lock_release(l), MP_ENOTOWNER);
    CHECK_EQ(mp_lock_release(rl), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_release(c), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_wait(c, 0), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_wait_for(c, always_true, NULL, 0), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_notify(c, 1), MP_ENOTOWNER);
    CHECK_EQ(mp_condition_notify_all(c), MP_ENOTOWNER);
    CHECK_EQ(mp_semaphore_acquire(s, 0), MP_OK);
    CHECK_EQ(mp_semaphore_release(s), MP_OK);
    CHECK_EQ(mp_semaphore_release(s), MP_OK); /* unbounded: fine */
    {
        mp_semaphore *bs = mp_bounded_semaphore_new(0);
        CHECK(bs != NULL);
        CHECK_EQ(mp_semaphore_release(bs), MP_EOVERFLOW);
        CHECK_EQ(mp_semaphore_acquire(bs, 0), MP_ETIMEDOUT);
        CHECK_EQ(mp_semaphore_free(bs), MP_OK);
    }
    /* a Condition whose lock was freed (while held): its calls say so, not use it */
    cg = mp_condition_new(gone);
    CHECK(cg != NULL);
    CHECK_EQ(mp_condition_acquire(cg, 0), MP_OK);
    CHECK_EQ(mp_lock_free(gone), MP_OK);
    CHECK_EQ(mp_condition_wait(cg, 0), MP_ECLOSED);
    CHECK_EQ(mp_condition_wait_for(cg, always_true, NULL, 0), MP_ECLOSED);
    CHECK_EQ(mp_condition_notify(cg, 1), MP_ECLOSED);
    CHECK_EQ(mp_condition_notify_all(cg), MP_ECLOSED);
    CHECK_EQ(mp_condition_acquire(cg, 0), MP_ECLOSED);
    CHECK_EQ(mp_condition_release(cg), MP_ECLOSED);
    CHECK_EQ(mp_condition_free(cg), MP_OK);
    /* freed: MP_ECLOSED from everything, a second free included */
    CHECK_EQ(mp_lock_free(l), MP_OK);
    CHECK_EQ(mp_lock_free(rl), MP_OK);
    CHECK_EQ(mp_semaphore_free(s), MP_OK);
    CHECK_EQ(mp_event_free(e), MP_OK);
    CHECK_EQ(mp_condition_free(c), MP_OK);
    CHECK_EQ(mp_barrier_free(b), MP_OK);
    CHECK_EQ(mp_value_free(v), MP_OK);
    CHECK(mp_lock_acquire(l, 0) == MP_ECLOSED && mp_lock_release(rl) == MP_ECLOSED);
    CHECK(mp_lock_is_mine(l) == 0 && mp_lock_free(l) == MP_ECLOSED);
    CHECK(mp_semaphore_acquire(s, 0) == MP_ECLOSED && mp_semaphore_release(s) == MP_ECLOSED);
    CHECK(mp_semaphore_get_value(s) == MP_ECLOSED && mp_semaphore_free(s) == MP_ECLOSED);
    CHECK(mp_event_set(e) == MP_ECLOSED && mp_event_clear(e) == MP_ECLOSED);
    CHECK(mp_event_is_set(e) == MP_ECLOSED && mp_event_wait(e, 0) == MP_ECLOSED);
    CHECK(mp_event_free(e) == MP_ECLOSED);
    CHECK(mp_condition_lock(c) == NULL && mp_condition_acquire(c, 0) == MP_ECLOSED);
    CHECK(mp_condition_release(c) == MP_ECLOSED && mp_condition_wait(c, 0) == MP_ECLOSED);
    CHECK(mp_condition_notify(c, 1) == MP_ECLOSED && mp_condition_free(c) == MP_ECLOSED);
    CHECK(mp_barrier_wait(b, 0) == MP_ECLOSED && mp_barrier_abort(b) == MP_ECLOSED);
    CHECK(mp_barrier_reset(b) == MP_ECLOSED && mp_barrier_parties(b) == MP_ECLOSED);
    CHECK(mp_barrier_n_waiting(b) == MP_ECLOSED && mp_barrier_broken(b) == MP_ECLOSED);
    CHECK(mp_barrier_free(b) == MP_ECLOSED);
    CHECK(mp_value_ptr(v) == NULL && mp_value_size(v) == 0 && mp_value_lock(v) == NULL);
    CHECK(mp_value_free(v) == MP_ECLOSED);
    mp_shared_free(plain);
    return 0;
}

/* Issue 9: a waiter blocked for ever on a lock whose owner is killed gets MP_EOWNERDEAD (on
   Linux the kernel's robust list wakes it at once; elsewhere the liveness check, later). */
typedef struct forever_arg {
    mp_lock *lock;
    int result, release;
} forever_arg;
static int acquire_forever(void *arg) {
    forever_arg *fa = (forever_arg *)arg;
    fa->result = mp_lock_acquire(fa->lock, MP_FOREVER);
    /* an RLock is the thread's: it releases it; a Lock the process's: any thread may */
    return fa->release && mp_lock_release(fa->lock) != MP_OK;
}
static int test_lock_waiter_forever_owner_killed(void) {
    int round, depth;
    for (round = 0; round < test_rounds(2); round++) {
        for (depth = 1; depth <= 2; depth++) {
            sync_arg *a = sync_new();
            forever_arg fa;
            test_thread t;
            mp_process p;
            CHECK(a != NULL);
            a->lock = depth == 1 ? mp_lock_new() : mp_rlock_new();
            a->n = depth;
            CHECK(a->lock != NULL);
            CHECK_EQ(mp_process_init(&p, hold_until_killed, &a, sizeof a, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&p), MP_OK);
            flag_wait(&a->f->ready, 1);
            fa.lock = a->lock;
            fa.result = 1;
            fa.release = depth == 2;
            CHECK_EQ(thread_start(&t, acquire_forever, &fa), 0);
            /* the waiter has marked the lock contended: it sleeps, or is about to */
            while (!(mp__load(&a->lock->m.w.value) & MP__CONTENDED)) mp__os_sleep(0.001);
            CHECK_EQ(mp_process_kill(&p), MP_OK);
            CHECK_EQ(thread_join(&t), 0);
            CHECK_EQ(fa.result, MP_EOWNERDEAD);
            if (depth == 1) {
                CHECK_EQ(mp_lock_locked(a->lock), 1);
                CHECK_EQ(mp_lock_release(a->lock), MP_OK); /* any thread of the process */
            }
            CHECK_EQ(mp_lock_locked(a->lock), 0);
            CHECK_EQ(mp_process_join(&p, 30), MP_OK);
            mp_process_close(&p);
            CHECK_EQ(mp_lock_free(a->lock), MP_OK);
        }
    }
    return 0;
}

/* On Linux the kernel marks the dead owner's word itself (FUTEX_OWNER_DIED), before anyone
   looks: the robust list, not the liveness check, found it. */
static int test_lock_owner_killed_kernel_marks(void) {
#if !MP__POSIX || !MP__FUTEX
    SKIP("no robust futex list here (the liveness check finds a dead owner)");
#else
    int depth;
    if (!mp__os_rl.dist) SKIP("the C library's robust list cannot be used here");
    for (depth = 1; depth <= 2; depth++) {
        sync_arg *a = sync_new();
        mp_process p;
        CHECK(a != NULL);
        a->lock = depth == 1 ? mp_lock_new() : mp_rlock_new();
        a->n = depth;
        CHECK_EQ(mp_process_init(&p, hold_until_killed, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        flag_wait(&a->f->ready, 1);
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        CHECK((mp__load(&a->lock->m.w.value) & (MP__OWNER_DIED | 0x3fffffffu)) == MP__OWNER_DIED);
        CHECK_EQ(mp_lock_acquire(a->lock, 0), MP_EOWNERDEAD);
        CHECK_EQ(mp_lock_release(a->lock), MP_OK);
        mp_process_close(&p);
    }
    return 0;
#endif
}

/* Killed between taking the word and linking the lock (the list_op_pending window): the
   kernel still marks it, from the pending entry. */
#if MP__POSIX && MP__FUTEX
static int take_word_unlinked(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    mp__os_robust_pending(&a->lock->m.w.value);
    if (!mp__cas(&a->lock->m.w.value, 0, (mp__u32)mp_getpid())) return 2;
    flag_add(&a->f->ready); /* killed here, before mp__os_robust_link */
    for (;;) mp__wait(&a->f->go, 0, 10);
}
#endif
static int test_lock_killed_before_link(void) {
#if !MP__POSIX || !MP__FUTEX
    SKIP("no robust futex list here (the liveness check finds a dead owner)");
#else
    sync_arg *a = sync_new();
    mp_process p;
    if (!mp__os_rl.dist || !MP__ONE_THREAD()) SKIP("no robust list, or not one thread");
    CHECK(a != NULL);
    a->lock = mp_lock_new();
    CHECK(a->lock != NULL);
    CHECK_EQ(mp_process_init(&p, take_word_unlinked, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    flag_wait(&a->f->ready, 1);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp__load(&a->lock->m.w.value), MP__OWNER_DIED);
    CHECK_EQ(mp_lock_acquire(a->lock, 0), MP_EOWNERDEAD);
    CHECK_EQ(mp_lock_release(a->lock), MP_OK);
    mp_process_close(&p);
    CHECK_EQ(mp_lock_free(a->lock), MP_OK);
    return 0;
#endif
}

#if MP__POSIX && MP__FUTEX
static int robust_chain_length(void) {
    void *volatile *e;
    int n = 0;
    if (!mp__os_rl.dist) return 0;
    for (e = (void *volatile *)mp__os_rl.anchor[0]; (void *)e != mp__os_rl.head && n < 100;
         e = (void *volatile *)e[0])
        n++;
    return n;
}
#endif
static int take_and_release(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    if (mp_lock_locked(a->lock) != 1 || mp_lock_acquire(a->lock, 0) != MP_ETIMEDOUT) return 2;
    if (mp_lock_acquire(a->value->lock, 5) != MP_OK) return 3; /* its own lock */
    if (mp_lock_release(a->value->lock) != MP_OK) return 4;
    return 0;
}
/* The chain of held locks: a forked child owns nothing (its own takes and releases leave the
   parent's chain alone), a release from another thread, a free while held. */
static int test_lock_robust_chain(void) {
    sync_arg *a = sync_new();
    mp_lock *l2 = mp_lock_new(), *l3 = mp_lock_new();
    CHECK(a && l2 && l3);
    a->lock = mp_lock_new();
    a->value = mp_value_new(8);
    CHECK(a->lock && a->value);
    CHECK_EQ(mp_lock_acquire(a->lock, 0), MP_OK);
    CHECK_EQ(mp_lock_acquire(l2, 0), MP_OK);
    CHECK_EQ(run_children(2, take_and_release, a), 0);
#if MP__POSIX && MP__FUTEX
    if (mp__os_rl.dist) CHECK_EQ(robust_chain_length(), 2);
#endif
    CHECK_EQ(mp_lock_acquire(l3, 0), MP_OK);
    CHECK_EQ(mp_lock_free(l3), MP_OK); /* freed while held: it leaves the chain */
    CHECK_EQ(mp_lock_release(l2), MP_OK);
#if MP__POSIX && MP__FUTEX
    if (mp__os_rl.dist) CHECK_EQ(robust_chain_length(), 1);
#endif
    CHECK_EQ(mp_lock_release(a->lock), MP_OK);
#if MP__POSIX && MP__FUTEX
    if (mp__os_rl.dist) CHECK_EQ(robust_chain_length(), 0);
#endif
    CHECK_EQ(mp_lock_free(l2), MP_OK);
    return 0;
}

/* Lock.locked() (CPython's _TestLock with it), held by anyone. */
static int locked_in_child(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    (void)size;
    return mp_lock_locked(a->lock) == 1 && mp_lock_is_mine(a->lock) == 0 ? 0 : 2;
}
static int test_lock_locked(void) {
    sync_arg *a = sync_new();
    int k;
    CHECK(a != NULL);
    for (k = 0; k < 2; k++) {
        a->lock = k ? mp_rlock_new() : mp_lock_new();
        CHECK(a->lock != NULL);
        CHECK_EQ(mp_lock_locked(a->lock), 0);
        CHECK_EQ(mp_lock_acquire(a->lock, MP_FOREVER), MP_OK); /* acquire() -> True */
        CHECK_EQ(mp_lock_locked(a->lock), 1);
        if (k) CHECK_EQ(mp_lock_acquire(a->lock, 0), MP_OK);         /* RLock: again */
        if (!k) CHECK_EQ(mp_lock_acquire(a->lock, 0), MP_ETIMEDOUT); /* acquire(False) */
        CHECK_EQ(run_children(1, locked_in_child, a), 0);
        if (k) CHECK_EQ(mp_lock_release(a->lock), MP_OK);
        CHECK_EQ(mp_lock_locked(a->lock), 1);
        CHECK_EQ(mp_lock_release(a->lock), MP_OK);
        CHECK_EQ(mp_lock_locked(a->lock), 0);
        CHECK_EQ(mp_lock_release(a->lock), MP_ENOTOWNER); /* release() -> ValueError */
        CHECK_EQ(mp_lock_free(a->lock), MP_OK);
        CHECK_EQ(mp_lock_locked(a->lock), MP_ECLOSED);
    }
    CHECK_EQ(mp_lock_locked(NULL), MP_EINVAL);
    return 0;
}

/* CPython's _TestBarrier.test_default_timeout, test_action (with a context), and Value with
   an initial value (_TestValue). */
static int count_pass(void *ctx) {
    mp__fetch_add((volatile mp__u32 *)ctx, 1);
    return 0;
}
static int refuse_pass(void *ctx) {
    (void)ctx;
    return 1;
}
static int barrier_party_ctx(void *arg, size_t size) {
    sync_arg *a = sync_arg_of(arg);
    int i;
    (void)size;
    for (i = 0; i < 3; i++)
        if (mp_barrier_wait(a->barrier, 30) < 0) return 2;
    return 0;
}
static int test_barrier_options(void) {
    sync_arg *a = sync_new();
    mp_barrier_options o;
    volatile mp__u32 *passes = (volatile mp__u32 *)mp_shared_alloc(sizeof(mp__u32));
    int i;
    CHECK(a && passes);
    memset(&o, 0, sizeof o);
    o.action = count_pass;
    o.ctx = (void *)passes;
    a->barrier = mp_barrier_new2(3, &o);
    CHECK(a->barrier != NULL);
    CHECK_EQ(run_children(3, barrier_party_ctx, a), 0);
    CHECK_EQ(*passes, 3); /* once a pass, whoever came last */
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    /* the default timeout: wait(None) waits that long, then breaks it for everyone */
    memset(&o, 0, sizeof o);
    o.timeout = 0.1;
    a->barrier = mp_barrier_new2(2, &o);
    CHECK(a->barrier != NULL);
    CHECK_EQ(mp_barrier_wait(a->barrier, MP_FOREVER), MP_ETIMEDOUT);
    CHECK_EQ(mp_barrier_broken(a->barrier), 1);
    CHECK_EQ(mp_barrier_wait(a->barrier, MP_FOREVER), MP_EBROKEN);
    CHECK_EQ(mp_barrier_reset(a->barrier), MP_OK);
    CHECK_EQ(mp_barrier_wait(a->barrier, 0.05), MP_ETIMEDOUT); /* a timeout of its own */
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    /* an action that fails breaks the barrier; a single party passes alone */
    o.action = refuse_pass;
    o.timeout = 0;
    a->barrier = mp_barrier_new2(1, &o);
    CHECK_EQ(mp_barrier_wait(a->barrier, MP_FOREVER), MP_EBROKEN);
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    a->barrier = mp_barrier_new2(1, NULL);
    for (i = 0; i < 3; i++) CHECK_EQ(mp_barrier_wait(a->barrier, MP_FOREVER), 0);
    CHECK_EQ(mp_barrier_free(a->barrier), MP_OK);
    o.timeout = -1;
    CHECK(mp_barrier_new2(2, &o) == NULL);
    mp_shared_free((void *)passes);
    return 0;
}
typedef struct values_arg {
    mp_value *v[3];
} values_arg;
static int check_values(void *arg, size_t size) {
    values_arg *va = *(values_arg **)arg;
    double *d = (double *)mp_value_ptr(va->v[1]);
    (void)size;
    if (*(int *)mp_value_ptr(va->v[0]) != 34 || d[0] != 1.25 || d[2] != -3.5) return 2;
    if (*(char *)mp_value_ptr(va->v[2]) != 'x') return 3;
    MP_WITH_LOCK(mp_value_lock(va->v[0])) {
        *(int *)mp_value_ptr(va->v[0]) += 1;
    }
    return 0;
}
static int test_value_init(void) {
    values_arg *va = (values_arg *)mp_shared_alloc(sizeof *va);
    int i34 = 34, code = -1, i;
    double ds[3] = {1.25, 0, -3.5};
    mp_value *z;
    mp_process p;
    CHECK(va != NULL);
    va->v[0] = mp_value_new_init(sizeof i34, &i34); /* Value('i', 34) */
    va->v[1] = mp_array_new(sizeof(double), 3, ds); /* Array('d', [1.25, 0, -3.5]) */
    va->v[2] = mp_value_new_init(1, "x");           /* Value('c', b'x') */
    CHECK(va->v[0] && va->v[1] && va->v[2]);
    CHECK_EQ(mp_value_size(va->v[1]), 3 * sizeof(double));
    CHECK_EQ(mp_process_init(&p, check_values, &va, sizeof va, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 60), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    CHECK_EQ(*(int *)mp_value_ptr(va->v[0]), 35);
    CHECK(mp_array_new(8, (size_t)-1 / 4, NULL) == NULL); /* overflow */
    CHECK(mp_array_new(8, 0, NULL) == NULL);
    CHECK(mp_value_new_init(0, &i34) == NULL);
    z = mp_array_new(4, 4, NULL); /* Array('i', 4): zeroed */
    CHECK(z && ((int *)mp_value_ptr(z))[3] == 0);
    CHECK_EQ(mp_value_free(z), MP_OK);
    for (i = 0; i < 3; i++) CHECK_EQ(mp_value_free(va->v[i]), MP_OK);
    mp_shared_free(va);
    return 0;
}

/* Issue 14: mp_interrupt() from another thread or a signal handler ends every kind of wait
   that blocks for ever with MP_EINTERRUPTED; after mp_interrupt_clear() all works again. */
enum {
    INTR_LOCK,
    INTR_RLOCK,
    INTR_SEM,
    INTR_EVENT,
    INTR_COND,
    INTR_BARRIER,
    INTR_QGET,
    INTR_QPUT,
    INTR_QJOIN,
    INTR_JOIN,
    INTR_RECV,
    INTR_POLL,
    INTR_WAIT,
    INTR_POOL,
    INTR_KINDS
};
typedef struct intr_ctx {
    int kind, result;
    volatile mp__u32 entered;
    mp_lock *lock;
    mp_semaphore *sem;
    mp_event *event;
    mp_condition *cond;
    mp_barrier *barrier;
    mp_queue *q;
    mp_process proc;
    mp_conn *r, *w;
    mp_pool *pool;
    mp_async *task;
} intr_ctx;
static int intr_child(void *arg, size_t size) {
    mp_event *e = *(mp_event **)arg;
    (void)size;
    return mp_event_wait(e, 60) == MP_OK ? 0 : 2;
}
static int intr_task(const void *arg, size_t size, mp_task_out *out) {
    mp_event *e = *(mp_event *const *)arg;
    (void)size;
    (void)out;
    return mp_event_wait(e, 60) == MP_OK ? 0 : 2;
}
static int intr_blocked(void *arg) {
    intr_ctx *c = (intr_ctx *)arg;
    char buf[8];
    size_t n;
    int r = -1000, rd[2];
    mp_conn *conns[1];
    mp_process *procs[1];
    const void *res;
    mp__store(&c->entered, 1);
    switch (c->kind) {
    case INTR_LOCK:
    case INTR_RLOCK:
        r = mp_lock_acquire(c->lock, MP_FOREVER);
        break;
    case INTR_SEM:
        r = mp_semaphore_acquire(c->sem, MP_FOREVER);
        break;
    case INTR_EVENT:
        r = mp_event_wait(c->event, MP_FOREVER);
        break;
    case INTR_COND:
        if (mp_condition_acquire(c->cond, MP_FOREVER) != MP_OK) return 2;
        r = mp_condition_wait(c->cond, MP_FOREVER);
        if (!mp_lock_is_mine(mp_condition_lock(c->cond))) return 3; /* held again */
        mp_condition_release(c->cond);
        break;
    case INTR_BARRIER:
        r = mp_barrier_wait(c->barrier, MP_FOREVER);
        break;
    case INTR_QGET:
        r = mp_queue_get(c->q, buf, sizeof buf, &n, MP_FOREVER);
        break;
    case INTR_QPUT:
        r = mp_queue_put(c->q, "b", 1, MP_FOREVER);
        break;
    case INTR_QJOIN:
        r = mp_queue_join(c->q, MP_FOREVER);
        break;
    case INTR_JOIN:
        r = mp_process_join(&c->proc, MP_FOREVER);
        break;
    case INTR_RECV:
        r = mp_conn_recv_bytes(c->r, buf, sizeof buf, &n, MP_FOREVER);
        break;
    case INTR_POLL:
        r = mp_conn_poll(c->r, MP_FOREVER);
        break;
    case INTR_WAIT:
        conns[0] = c->r;
        procs[0] = &c->proc;
        r = mp_wait(conns, 1, procs, 1, MP_FOREVER, rd);
        break;
    case INTR_POOL:
        r = mp_async_get(c->task, MP_FOREVER, &res, &n);
        break;
    }
    c->result = r;
    return 0;
}
/* The objects for one kind of wait, made so that the wait blocks for ever. */
static int intr_setup(intr_ctx *c) {
    mp_event **ev;
    switch (c->kind) {
    case INTR_LOCK:
    case INTR_RLOCK:
        c->lock = c->kind == INTR_LOCK ? mp_lock_new() : mp_rlock_new();
        CHECK(c->lock && mp_lock_acquire(c->lock, 0) == MP_OK); /* held by this thread */
        break;
    case INTR_SEM:
        CHECK((c->sem = mp_semaphore_new(0)) != NULL);
        break;
    case INTR_EVENT:
        CHECK((c->event = mp_event_new()) != NULL);
        break;
    case INTR_COND:
        CHECK((c->cond = mp_condition_new(NULL)) != NULL);
        break;
    case INTR_BARRIER:
        CHECK((c->barrier = mp_barrier_new(2, NULL)) != NULL);
        break;
    case INTR_QGET:
        CHECK((c->q = mp_queue_new(0, 0)) != NULL);
        break;
    case INTR_QPUT:
        CHECK((c->q = mp_queue_new(0, 1)) != NULL);
        CHECK_EQ(mp_queue_put(c->q, "a", 1, 0), MP_OK);
        break;
    case INTR_QJOIN:
        CHECK((c->q = mp_joinable_queue_new(0, 0)) != NULL);
        CHECK_EQ(mp_queue_put(c->q, "a", 1, 0), MP_OK);
        break;
    case INTR_JOIN:
    case INTR_WAIT:
    case INTR_POOL:
        ev = (mp_event **)mp_shared_alloc(sizeof *ev);
        CHECK(ev && (*ev = mp_event_new()) != NULL);
        c->event = *ev;
        if (c->kind == INTR_POOL) {
            CHECK_EQ(mp_pool_new(&c->pool, 1, NULL), MP_OK);
            CHECK_EQ(mp_pool_apply_async(c->pool, intr_task, ev, sizeof *ev, NULL, &c->task),
                     MP_OK);
            break;
        }
        CHECK_EQ(mp_process_init(&c->proc, intr_child, ev, sizeof *ev, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&c->proc), MP_OK);
        if (c->kind == INTR_JOIN) break; /* mp_wait also watches a pipe: */
        /* fall through */
    case INTR_RECV:
    case INTR_POLL:
        CHECK_EQ(mp_pipe(0, &c->r, &c->w), MP_OK);
        break;
    }
    return 0;
}
/* After the interrupt, cleared: the object answers as before, and goes. */
static int intr_teardown(intr_ctx *c) {
    char buf[8];
    size_t n;
    const void *res;
    switch (c->kind) {
    case INTR_LOCK:
    case INTR_RLOCK:
        CHECK_EQ(mp_lock_acquire(c->lock, 0.01), c->kind == INTR_LOCK ? MP_ETIMEDOUT : MP_OK);
        if (c->kind == INTR_RLOCK) CHECK_EQ(mp_lock_release(c->lock), MP_OK);
        CHECK_EQ(mp_lock_release(c->lock), MP_OK);
        CHECK_EQ(mp_lock_free(c->lock), MP_OK);
        break;
    case INTR_SEM:
        CHECK_EQ(mp_semaphore_release(c->sem), MP_OK);
        CHECK_EQ(mp_semaphore_acquire(c->sem, 1), MP_OK);
        CHECK_EQ(mp_semaphore_free(c->sem), MP_OK);
        break;
    case INTR_EVENT:
        CHECK_EQ(mp_event_wait(c->event, 0.01), MP_ETIMEDOUT);
        CHECK_EQ(mp_event_free(c->event), MP_OK);
        break;
    case INTR_COND:
        CHECK_EQ(mp_condition_free(c->cond), MP_OK);
        break;
    case INTR_BARRIER:
        CHECK_EQ(mp_barrier_n_waiting(c->barrier), 0); /* the interrupted party left */
        CHECK_EQ(mp_barrier_broken(c->barrier), 0);
        CHECK_EQ(mp_barrier_free(c->barrier), MP_OK);
        break;
    case INTR_QGET:
    case INTR_QPUT:
    case INTR_QJOIN:
        if (c->kind == INTR_QJOIN) {
            CHECK_EQ(mp_queue_get(c->q, buf, sizeof buf, &n, 1), MP_OK);
            CHECK_EQ(mp_queue_task_done(c->q), MP_OK);
            CHECK_EQ(mp_queue_join(c->q, 5), MP_OK);
        } else {
            CHECK_EQ(mp_queue_put(c->q, "c", 1, c->kind == INTR_QPUT ? 0.01 : 1),
                     c->kind == INTR_QPUT ? MP_EFULL : MP_OK);
            CHECK_EQ(mp_queue_get(c->q, buf, sizeof buf, &n, 1), MP_OK);
            CHECK_EQ(n, 1);
        }
        CHECK_EQ(mp_queue_free(c->q), MP_OK);
        break;
    case INTR_JOIN:
    case INTR_WAIT:
    case INTR_POOL:
        CHECK_EQ(mp_event_set(c->event), MP_OK);
        if (c->kind == INTR_POOL) {
            CHECK_EQ(mp_async_get(c->task, 30, &res, &n), MP_OK);
            mp_async_free(c->task);
            CHECK_EQ(mp_pool_free(c->pool), MP_OK);
            break;
        }
        CHECK_EQ(mp_process_join(&c->proc, 30), MP_OK);
        mp_process_close(&c->proc);
        if (c->kind == INTR_JOIN) break;
        /* fall through */
    case INTR_RECV:
    case INTR_POLL:
        CHECK_EQ(mp_conn_send_bytes(c->w, "hi", 2), MP_OK);
        CHECK_EQ(mp_conn_poll(c->r, 5), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes(c->r, buf, sizeof buf, &n, 5), MP_OK);
        CHECK_EQ(n, 2);
        mp_conn_close(c->r);
        mp_conn_close(c->w);
        break;
    }
    return 0;
}
#ifndef _WIN32
static void on_interrupt_signal(int sig) {
    (void)sig;
    mp_interrupt(); /* async-signal-safe */
}
/* SIGUSR2 calls mp_interrupt; SA_RESTART, the worst case: the kernel restarts its waits. */
static void interrupt_on_sigusr2(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}
#endif
static int interrupt_each_wait(int by_signal) {
    int kind;
    (void)by_signal;
    for (kind = 0; kind < INTR_KINDS; kind++) {
        intr_ctx *c = (intr_ctx *)calloc(1, sizeof *c);
        test_thread t;
        CHECK(c != NULL);
        c->kind = kind;
        c->result = 1;
        CHECK_EQ(intr_setup(c), 0);
        CHECK_EQ(thread_start(&t, intr_blocked, c), 0);
        while (!mp__load(&c->entered)) mp__os_sleep(0.001);
        mp__os_sleep(0.02); /* most often it sleeps by now; either way it must end */
#ifndef _WIN32
        if (by_signal)
            kill(getpid(), SIGUSR2);
        else
#endif
            mp_interrupt();
        CHECK_EQ(thread_join(&t), 0);
        if (c->result != MP_EINTERRUPTED) fprintf(stderr, "  wait kind %d\n", kind);
        CHECK_EQ(c->result, MP_EINTERRUPTED);
        CHECK_EQ(mp_interrupted(), 1);
        mp_interrupt_clear();
        CHECK_EQ(mp_interrupted(), 0);
        CHECK_EQ(intr_teardown(c), 0);
        free(c);
    }
    return 0;
}
static int test_interrupt_from_thread(void) {
    return interrupt_each_wait(0);
}
static int test_interrupt_from_signal_handler(void) {
#ifdef _WIN32
    SKIP("POSIX signals (on Windows a console control handler calls mp_interrupt)");
#else
    interrupt_on_sigusr2();
    return interrupt_each_wait(1);
#endif
}
/* mp_interrupt at a random moment ends a lock wait wherever the waiter is: asleep, about to
   sleep, taking the lock; from another thread, or from a signal handler on the waiter's own
   thread (SA_RESTART: the kernel restarts its wait); on a lock that two children keep busy,
   or one that is held. The children, whose wake an interrupted waiter may have taken, go
   on (a lost wake would leave one asleep on a free lock: the test's timeout). */
typedef struct lock_intr {
    mp_lock *lock;
    mp_event *held, *go;
    volatile mp__u32 stop;
    volatile mp__u32 loops[3];
} lock_intr;
static int lock_intr_holder(void *arg, size_t size) {
    lock_intr *s = *(lock_intr **)arg;
    (void)size;
    if (mp_lock_acquire(s->lock, MP_FOREVER) != MP_OK) return 2;
    mp_event_set(s->held);
    if (mp_event_wait(s->go, 60) != MP_OK) return 3;
    return mp_lock_release(s->lock) == MP_OK ? 0 : 4;
}
typedef struct lock_intr_arg {
    lock_intr *s;
    int which;
} lock_intr_arg;
static int lock_intr_hammer(void *arg, size_t size) {
    lock_intr_arg a = *(lock_intr_arg *)arg;
    lock_intr *s = a.s;
    mp__u32 me = (mp__u32)a.which % 2, n = 0;
    double end = mp_monotonic() + 120; /* a failed test does not leave it running */
    (void)size;
    while (!mp__load(&s->stop) && mp_monotonic() < end) {
        if (mp_lock_acquire(s->lock, 60) != MP_OK) return 2; /* 60 s: a lost wake */
        mp__store(&s->loops[me], ++n);
        if (mp_lock_release(s->lock) != MP_OK) return 3;
    }
    return 0;
}
static int lock_intr_waiter(void *arg) {
    lock_intr *s = (lock_intr *)arg;
    for (;;) {
        int r = mp_lock_acquire(s->lock, MP_FOREVER);
        if (r == MP_EINTERRUPTED) return 0;
        if (r != MP_OK) return 2;
        mp__fetch_add(&s->loops[2], 1);
        if (mp_lock_release(s->lock) != MP_OK) return 3;
    }
}
static int join_ok(mp_process *p) { /* 0: it ended with code 0 */
    int code = -1;
    if (mp_process_join(p, 60) != MP_OK || mp_process_exitcode(p, &code) != 1) code = -1;
    mp_process_close(p);
    return code;
}
static int test_lock_interrupt_random(void) {
    lock_intr *s = (lock_intr *)mp_shared_alloc(sizeof *s);
    mp_process kids[2];
    int i, round, rounds = test_rounds(200);
#ifndef _WIN32
    interrupt_on_sigusr2();
#endif
    CHECK(s && (s->lock = mp_lock_new()) != NULL);
    CHECK((s->held = mp_event_new()) != NULL && (s->go = mp_event_new()) != NULL);
    for (i = 0; i < 2; i++) {
        lock_intr_arg a;
        a.s = s;
        a.which = i;
        CHECK_EQ(mp_process_init(&kids[i], lock_intr_hammer, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&kids[i]), MP_OK);
    }
    srand((unsigned)mp_getpid());
    for (round = 0; round < rounds; round++) {
        int held = round % 4 >= 2, by_signal = round % 2;
        test_thread t;
        mp_process holder;
        if (held) { /* by another process: the waiter sleeps with no timer */
            CHECK_EQ(mp_event_clear(s->held), MP_OK);
            CHECK_EQ(mp_event_clear(s->go), MP_OK);
            CHECK_EQ(mp_process_init(&holder, lock_intr_holder, &s, sizeof s, NULL), MP_OK);
            CHECK_EQ(mp_process_start(&holder), MP_OK);
            CHECK_EQ(mp_event_wait(s->held, 60), MP_OK);
        }
        CHECK_EQ(thread_start(&t, lock_intr_waiter, s), 0);
        mp_sleep((rand() % 300) * 1e-6);
        (void)by_signal;
#if !defined(_WIN32) && !defined(MP__TSAN) /* TSan runs a handler when the thread leaves the
                                               system call, which a restarted wait never does */
        if (by_signal)
            pthread_kill(t.t, SIGUSR2); /* the handler runs on the waiter's thread */
        else
#endif
            mp_interrupt();
        CHECK_EQ(thread_join(&t), 0);
        mp_interrupt_clear();
        if (held) {
            CHECK_EQ(mp_event_set(s->go), MP_OK);
            CHECK_EQ(join_ok(&holder), 0);
        }
    }
    mp__store(&s->stop, 1);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(join_ok(&kids[i]), 0);
        CHECK(mp__load(&s->loops[i]) > 0);
    }
    CHECK_EQ(mp_event_free(s->held), MP_OK);
    CHECK_EQ(mp_event_free(s->go), MP_OK);
    CHECK_EQ(mp_lock_free(s->lock), MP_OK);
    mp_shared_free(s);
    return 0;
}

/* The flag stays until cleared: later blocking calls end at once; calls that need not wait
   answer as usual. */
static int test_interrupt_sticky(void) {
    mp_lock *l = mp_lock_new();
    mp_event *e = mp_event_new();
    mp_queue *q = mp_queue_new(0, 0);
    char buf[4];
    size_t n;
    CHECK(l && e && q);
    mp_interrupt();
    CHECK_EQ(mp_event_wait(e, MP_FOREVER), MP_EINTERRUPTED);
    CHECK_EQ(mp_event_wait(e, 0), MP_ETIMEDOUT); /* a poll is a poll */
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0), MP_EEMPTY);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 5), MP_EINTERRUPTED);
    CHECK_EQ(mp_lock_acquire(l, MP_FOREVER), MP_OK); /* free: no wait */
    CHECK_EQ(mp_event_set(e), MP_OK);
    CHECK_EQ(mp_event_wait(e, MP_FOREVER), MP_OK);
    CHECK_EQ(mp_queue_put(q, "x", 1, MP_FOREVER), MP_OK);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, MP_FOREVER), MP_OK);
    mp_interrupt_clear();
    CHECK_EQ(mp_lock_release(l), MP_OK);
    CHECK_EQ(mp_event_clear(e), MP_OK);
    CHECK_EQ(mp_event_wait(e, 0.01), MP_ETIMEDOUT);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    CHECK_EQ(mp_event_free(e), MP_OK);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    return 0;
}

static const mp_test sync_tests[] = {
    {"lock_raw_fork", test_lock_raw_fork},
    {"lock_counter", test_lock_counter},
    {"lock_timeouts_and_errors", test_lock_timeouts_and_errors},
    {"lock_owner_killed", test_lock_owner_killed},
    {"lock_interrupt_random", test_lock_interrupt_random},
    {"rlock", test_rlock},
    {"semaphore", test_semaphore},
    {"event", test_event},
    {"condition_producer_consumer", test_condition_producer_consumer},
    {"condition_notify_n", test_condition_notify_n},
    {"condition_lock_owner_killed", test_condition_lock_owner_killed},
    {"barrier", test_barrier},
    {"barrier_timeout_abort_reset", test_barrier_timeout_abort_reset},
    {"value", test_value},
    {"wait_resumes_after_signal", test_wait_resumes_after_signal},
    {"lock_poll_owner_killed", test_lock_poll_owner_killed},
    {"event_set_clear_wakes", test_event_set_clear_wakes},
    {"barrier_reset_while_stopped", test_barrier_reset_while_stopped},
    {"threads_all_primitives", test_threads_all_primitives},
    {"threads_rlock", test_threads_rlock},
    {"sync_bad_input", test_sync_bad_input},
    {"lock_waiter_forever_owner_killed", test_lock_waiter_forever_owner_killed},
    {"lock_owner_killed_kernel_marks", test_lock_owner_killed_kernel_marks},
    {"lock_robust_chain", test_lock_robust_chain},
    {"lock_killed_before_link", test_lock_killed_before_link},
    {"lock_locked", test_lock_locked},
    {"barrier_options", test_barrier_options},
    {"value_init", test_value_init},
    {"interrupt_from_thread", test_interrupt_from_thread},
    {"interrupt_from_signal_handler", test_interrupt_from_signal_handler},
    {"interrupt_sticky", test_interrupt_sticky},
    {NULL, NULL}};
