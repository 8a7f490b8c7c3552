/* The family arena: shared memory at one address, its allocator, and the robust lock that
   guards it. */

static int write_through(void *arg, size_t size) {
    int *p;
    (void)size;
    memcpy(&p, arg, sizeof p);
    p[0] += 1; /* the same address names the same memory in the child */
    p[1] = 1234;
    return 0;
}
static int test_arena_same_address(void) {
    int *p = (int *)mp_shared_alloc(2 * sizeof(int));
    mp_process c;
    CHECK(p != NULL);
    CHECK_EQ(p[0], 0);
    p[0] = 41;
    CHECK_EQ(mp_process_init(&c, write_through, &p, sizeof p, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&c), MP_OK);
    CHECK_EQ(mp_process_join(&c, 30), MP_OK);
    CHECK_EQ(p[0], 42);
    CHECK_EQ(p[1], 1234);
    mp_process_close(&c);
    mp_shared_free(p);
    return 0;
}

static int test_arena_alloc_free(void) {
    char *a, *b, *c, local = 0;
    size_t i;
    CHECK(mp_shared_alloc(0) == NULL);
    CHECK(mp_shared_alloc((size_t)-1) == NULL);
    CHECK(mp_shared_alloc(MP_ARENA_SIZE) == NULL);
    a = (char *)mp_shared_alloc(100);
    b = (char *)mp_shared_alloc(100);
    CHECK(a && b && a != b);
    CHECK(((size_t)a & 15) == 0);
    for (i = 0; i < 100; i++) CHECK_EQ(a[i], 0);
    memset(a, 0x5a, 100);
    mp_shared_free(a);
    c = (char *)mp_shared_alloc(90); /* same size class: the freed block comes back, zeroed */
    CHECK(c == a);
    for (i = 0; i < 90; i++) CHECK_EQ(c[i], 0);
    mp_shared_free(NULL);
    mp_shared_free(&local); /* not arena memory: ignored */
    mp_shared_free(c + 1);  /* not a block: ignored */
    mp_shared_free(c);
    mp_shared_free(c); /* twice: ignored */
    CHECK(mp_shared_alloc(90) == c);
    CHECK(mp_shared_alloc(90) != c);
    a = (char *)mp_shared_alloc((size_t)32 << 20); /* large blocks are lazily committed */
    CHECK(a != NULL);
    a[((size_t)32 << 20) - 1] = 1;
    mp_shared_free(a);
    mp_shared_free(b);
    return 0;
}

static int alloc_many(void *arg, size_t size) {
    void **slots;
    int i;
    (void)size;
    memcpy(&slots, arg, sizeof slots);
    for (i = 0; i < 2000; i++) {
        void *p = mp_shared_alloc((size_t)(16 + i % 300));
        if (!p) return 2;
        if (i % 3) mp_shared_free(p);
    }
    return 0;
}
static int test_arena_concurrent_alloc(void) {
    mp_process p[4];
    int i, code;
    void *dummy = NULL;
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_init(&p[i], alloc_many, &dummy, sizeof dummy, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    return 0;
}

typedef struct held_lock {
    mp__mutex m;
    mp__word ready; /* 1: parent says lock it; 2: child holds it */
} held_lock;
static int hold_and_hang(void *arg, size_t size) {
    mp__mutex *m;
    mp__word *ready;
    (void)size;
    memcpy(&m, arg, sizeof m);
    memcpy(&ready, (char *)arg + sizeof m, sizeof ready);
    while (mp__load(&ready->value) == 0) mp__wait(ready, 0, 1);
    if (mp__mutex_lock(m, MP_FOREVER) != MP_OK) return 2;
    mp__store(&ready->value, 2);
    mp__wake(ready, 1);
    for (;;) mp__wait(ready, 2, 10); /* hold it until killed */
}
static int kill_holder(mp__mutex *m, int join_first) {
    held_lock *h = (held_lock *)mp_shared_alloc(sizeof *h);
    unsigned char arg[2 * sizeof(void *)];
    mp__word *ready;
    mp_process p;
    CHECK(h != NULL);
    if (!m) m = &h->m;
    ready = &h->ready;
    memcpy(arg, &m, sizeof m);
    memcpy(arg + sizeof m, &ready, sizeof ready);
    CHECK_EQ(mp_process_init(&p, hold_and_hang, arg, sizeof arg, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    mp__store(&ready->value, 1); /* only now: starting a child takes the arena's lock */
    mp__wake(ready, 1);
    while (mp__load(&ready->value) == 1) mp__wait(ready, 1, 1);
    CHECK_EQ(mp__mutex_lock(m, 0.05), MP_ETIMEDOUT); /* alive: the lock stays held */
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    if (join_first) CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp__mutex_lock(m, 30), MP_EOWNERDEAD);
    CHECK_EQ(mp__mutex_unlock(m), MP_OK);
    CHECK_EQ(mp__mutex_unlock(m), MP_ENOTOWNER);
    CHECK_EQ(mp__mutex_lock(m, 1), MP_OK);
    CHECK_EQ(mp__mutex_unlock(m), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    mp_process_close(&p);
    return 0;
}
static int test_mutex_owner_killed(void) {
    CHECK_EQ(kill_holder(NULL, 0), 0); /* the dead owner is still an unreaped zombie */
    CHECK_EQ(kill_holder(NULL, 1), 0);
    return 0;
}
static int test_arena_lock_owner_killed(void) {
    void *p;
    CHECK(mp_shared_alloc(8) != NULL);
    CHECK_EQ(kill_holder(&((mp__arena_hdr *)mp__g.arena)->lock, 0), 0);
    p = mp_shared_alloc(64); /* the allocator still works after its lock's owner died */
    CHECK(p != NULL);
    mp_shared_free(p);
    return 0;
}

static const mp_test arena_tests[] = {{"arena_same_address", test_arena_same_address},
                                      {"arena_alloc_free", test_arena_alloc_free},
                                      {"arena_concurrent_alloc", test_arena_concurrent_alloc},
                                      {"mutex_owner_killed", test_mutex_owner_killed},
                                      {"arena_lock_owner_killed", test_arena_lock_owner_killed},
                                      {NULL, NULL}};
