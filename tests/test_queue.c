/* Queue, SimpleQueue, JoinableQueue: contents and boundaries from 0 bytes to 64 MiB, many
   producers and consumers, every timeout, close, task_done/join, and producers and
   consumers killed in the middle of a message. */

static unsigned pattern_byte(size_t i, unsigned seed) {
    return (unsigned)((i * 2654435761u) >> 13 ^ seed) & 0xff;
}
static void fill(unsigned char *b, size_t n, unsigned seed) {
    size_t i;
    for (i = 0; i < n; i++) b[i] = (unsigned char)pattern_byte(i, seed);
}
static int check_fill(const unsigned char *b, size_t n, unsigned seed) {
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != (unsigned char)pattern_byte(i, seed)) return 0;
    return 1;
}

static int test_queue_basic(void) {
    mp_queue *q = mp_queue_new(0, 3);
    char buf[64];
    size_t n = 0;
    void *data = NULL;
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_empty(q), 1);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0), MP_EEMPTY); /* get_nowait */
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0.05), MP_EEMPTY);
    CHECK_EQ(mp_queue_put(q, "one", 3, 0), MP_OK);
    CHECK_EQ(mp_queue_put(q, "", 0, 0), MP_OK); /* an empty message is a message */
    CHECK_EQ(mp_queue_put(q, "three", 5, MP_FOREVER), MP_OK);
    CHECK_EQ(mp_queue_qsize(q), 3);
    CHECK_EQ(mp_queue_full(q), 1);
    CHECK_EQ(mp_queue_put(q, "four", 4, 0), MP_EFULL); /* put_nowait on a full queue */
    CHECK_EQ(mp_queue_put(q, "four", 4, 0.05), MP_EFULL);
    CHECK_EQ(mp_queue_get(q, buf, 2, &n, 0), MP_ETOOBIG); /* too small: told the size */
    CHECK_EQ(n, 3);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0), MP_OK); /* and it is still there */
    CHECK(n == 3 && memcmp(buf, "one", 3) == 0);
    CHECK_EQ(mp_queue_get(q, buf, 0, &n, 0), MP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(mp_queue_get_alloc(q, &data, &n, 0), MP_OK);
    CHECK(n == 5 && memcmp(data, "three", 5) == 0);
    mp_free(data);
    CHECK_EQ(mp_queue_empty(q), 1);
    CHECK_EQ(mp_queue_full(q), 0);
    /* bad input */
    CHECK_EQ(mp_queue_put(NULL, "x", 1, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put(q, NULL, 1, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put(q, "x", 1, -1), MP_EINVAL);
    CHECK_EQ(mp_queue_put(q, "x", MP_MESSAGE_MAX + 1, 0), MP_ETOOBIG);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get(q, NULL, 5, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_alloc(q, NULL, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, -0.5), MP_EINVAL);
    CHECK_EQ(mp_queue_task_done(q), MP_EINVAL); /* not a JoinableQueue */
    CHECK_EQ(mp_queue_join(q, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_qsize(NULL), MP_EINVAL);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    CHECK_EQ(mp_queue_put(q, "x", 1, 0), MP_ECLOSED);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0), MP_ECLOSED);
    CHECK_EQ(mp_queue_free(q), MP_ECLOSED);
    CHECK(mp_queue_new((size_t)1 << 31, 0) == NULL);
    return 0;
}

static int test_queue_close(void) {
    mp_queue *q = mp_simple_queue_new();
    char buf[8];
    size_t n;
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, "a", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_close(q), MP_OK);
    CHECK_EQ(mp_queue_put(q, "b", 1, 0), MP_ECLOSED);
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 0), MP_OK); /* drains */
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, MP_FOREVER), MP_EOF);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

static const size_t queue_sizes[] = {
    0, 1, 100, 4095, 65535, 65536, 1000003, (size_t)16 << 20, (size_t)64 << 20};
#define NSIZES (sizeof queue_sizes / sizeof queue_sizes[0])
static int put_sizes(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    unsigned char *b = (unsigned char *)malloc(queue_sizes[NSIZES - 1]);
    size_t i;
    (void)size;
    if (!b) return 2;
    for (i = 0; i < NSIZES; i++) {
        fill(b, queue_sizes[i], (unsigned)i);
        if (mp_queue_put(q, b, queue_sizes[i], 60) != MP_OK) return 3;
    }
    free(b);
    return 0;
}
static int test_queue_message_sizes(void) {
    mp_queue *q = mp_queue_new((size_t)256 << 10, 0); /* the big ones stream through */
    mp_process p;
    size_t i, n;
    int code = -1;
    CHECK(q != NULL);
    CHECK_EQ(mp_process_init(&p, put_sizes, &q, sizeof q, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    for (i = 0; i < NSIZES; i++) {
        void *data = NULL;
        CHECK_EQ(mp_queue_get_alloc(q, &data, &n, 60), MP_OK);
        CHECK_EQ(n, queue_sizes[i]);
        CHECK(check_fill((unsigned char *)data, n, (unsigned)i));
        mp_free(data);
    }
    CHECK_EQ(mp_process_join(&p, 60), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* 4 producers, 4 consumers, 1,000,000 messages: each seen exactly once. */
#define MANY_PRODUCERS    4
#define MANY_PER_PRODUCER 250000
typedef struct many {
    mp_queue *q;
    volatile mp__u32 seen[MANY_PRODUCERS][MANY_PER_PRODUCER / 32 + 1];
    volatile mp__u32 dups, got, id;
} many;
static int many_producer(void *arg, size_t size) {
    many *m = *(many **)arg;
    mp__u32 id = mp__fetch_add(&m->id, 1), i, msg[4];
    (void)size;
    for (i = 0; i < MANY_PER_PRODUCER; i++) {
        msg[0] = id;
        msg[1] = i;
        msg[2] = id ^ i;
        msg[3] = 0xabcdef;
        if (mp_queue_put(m->q, msg, sizeof msg, 60) != MP_OK) return 2;
    }
    return 0;
}
static int many_consumer(void *arg, size_t size) {
    many *m = *(many **)arg;
    (void)size;
    for (;;) {
        mp__u32 msg[4], bit, old;
        size_t n;
        int r = mp_queue_get(m->q, msg, sizeof msg, &n, 60);
        if (r == MP_EOF) return 0;
        if (r != MP_OK || n != sizeof msg || msg[0] >= MANY_PRODUCERS ||
            msg[1] >= MANY_PER_PRODUCER || msg[2] != (msg[0] ^ msg[1]) || msg[3] != 0xabcdef)
            return 3;
        bit = 1u << (msg[1] & 31);
        do old = mp__load(&m->seen[msg[0]][msg[1] >> 5]);
        while (!mp__cas(&m->seen[msg[0]][msg[1] >> 5], old, old | bit));
        if (old & bit) mp__fetch_add(&m->dups, 1);
        mp__fetch_add(&m->got, 1);
    }
}
static int test_queue_many_producers_consumers(void) {
    many *m = (many *)mp_shared_alloc(sizeof(many));
    mp_process p[2 * MANY_PRODUCERS];
    int i, code;
    CHECK(m != NULL);
    m->q = mp_queue_new((size_t)64 << 10, 0);
    CHECK(m->q != NULL);
    for (i = 0; i < 2 * MANY_PRODUCERS; i++) {
        CHECK_EQ(mp_process_init(&p[i], i < MANY_PRODUCERS ? many_producer : many_consumer, &m,
                                 sizeof m, NULL),
                 MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < MANY_PRODUCERS; i++) CHECK_EQ(mp_process_join(&p[i], 120), MP_OK);
    CHECK_EQ(mp_queue_close(m->q), MP_OK); /* the consumers drain it, then see MP_EOF */
    for (i = 0; i < 2 * MANY_PRODUCERS; i++) {
        CHECK_EQ(mp_process_join(&p[i], 120), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(m->got, MANY_PRODUCERS * MANY_PER_PRODUCER);
    CHECK_EQ(m->dups, 0);
    CHECK_EQ(mp_queue_qsize(m->q), 0);
    return 0;
}

static int joinable_worker(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    (void)size;
    for (;;) {
        int v;
        size_t n;
        int r = mp_queue_get(q, &v, sizeof v, &n, 30);
        if (r == MP_EOF) return 0;
        if (r != MP_OK) return 2;
        if (mp_queue_task_done(q) != MP_OK) return 3;
    }
}
static int test_joinable_queue(void) {
    mp_queue *q = mp_joinable_queue_new(0, 0);
    mp_process p[2];
    int i;
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_join(q, 0), MP_OK); /* nothing unfinished */
    CHECK_EQ(mp_queue_task_done(q), MP_EOVERFLOW);
    for (i = 0; i < 100; i++) CHECK_EQ(mp_queue_put(q, &i, sizeof i, 0), MP_OK);
    CHECK_EQ(mp_queue_join(q, 0.05), MP_ETIMEDOUT);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(mp_process_init(&p[i], joinable_worker, &q, sizeof q, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    CHECK_EQ(mp_queue_join(q, 60), MP_OK); /* every item was task_done */
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_close(q), MP_OK);
    for (i = 0; i < 2; i++) {
        CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(mp_queue_task_done(q), MP_EOVERFLOW);
    CHECK_EQ(mp_queue_join(q, -1), MP_EINVAL);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

static int put_huge_forever(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    size_t n = (size_t)8 << 20;
    unsigned char *b = (unsigned char *)malloc(n);
    (void)size;
    if (!b) return 2;
    fill(b, n, 7);
    return mp_queue_put(q, b, n, MP_FOREVER) == MP_OK ? 0 : 3; /* nobody reads: it blocks */
}
static int test_queue_producer_killed_mid_put(void) {
    mp_queue *q = mp_queue_new((size_t)64 << 10, 0);
    mp_process p;
    char buf[16];
    size_t n;
    CHECK(q != NULL);
    CHECK_EQ(mp_process_init(&p, put_huge_forever, &q, sizeof q, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    while (q->stream_producer != (mp__u32)mp_process_pid(&p)) mp__os_sleep(0.0005);
    CHECK_EQ(mp_process_kill(&p), MP_OK); /* in the middle of its message */
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_queue_put(q, "after", 5, 30), MP_OK); /* the queue goes on */
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 30), MP_OK);
    CHECK(n == 5 && memcmp(buf, "after", 5) == 0); /* half a message is never delivered */
    CHECK_EQ(mp_queue_qsize(q), 0);
    mp_process_close(&p);
    /* a process that dies holding the queue's lock (in the middle of a copy) */
    {
        held_lock *h = (held_lock *)mp_shared_alloc(sizeof *h);
        mp__mutex *m = &q->m;
        unsigned char arg[2 * sizeof(void *)];
        mp__word *ready = &h->ready;
        memcpy(arg, &m, sizeof m);
        memcpy(arg + sizeof m, &ready, sizeof ready);
        CHECK_EQ(mp_process_init(&p, hold_and_hang, arg, sizeof arg, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        mp__store(&ready->value, 1);
        mp__wake(ready, 1);
        while (mp__load(&ready->value) == 1) mp__wait(ready, 1, 1);
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_queue_put(q, "again", 5, 30), MP_OK);
        CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 30), MP_OK);
        CHECK(n == 5 && memcmp(buf, "again", 5) == 0);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        mp_process_close(&p);
    }
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

static int get_one_big(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    void *data;
    size_t n;
    (void)size;
    return mp_queue_get_alloc(q, &data, &n, MP_FOREVER) == MP_OK ? 0 : 2;
}
static int put_big_then_small(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    size_t n = (size_t)64 << 20;
    unsigned char *b = (unsigned char *)malloc(n);
    (void)size;
    if (!b) return 2;
    fill(b, n, 3);
    if (mp_queue_put(q, b, n, 60) != MP_OK) return 3;
    return mp_queue_put(q, "after", 5, 60) == MP_OK ? 0 : 4;
}
static int test_queue_consumer_killed_mid_get(void) {
    mp_queue *q = mp_queue_new((size_t)64 << 10, 0);
    mp_process c, p;
    char buf[16];
    size_t n;
    int code = -1;
    CHECK(q != NULL);
    CHECK_EQ(mp_process_init(&c, get_one_big, &q, sizeof q, NULL), MP_OK);
    CHECK_EQ(mp_process_init(&p, put_big_then_small, &q, sizeof q, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&c), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    while (q->stream_consumer != (mp__u32)mp_process_pid(&c)) mp__os_sleep(0.0005);
    CHECK_EQ(mp_process_kill(&c), MP_OK); /* in the middle of its get */
    CHECK_EQ(mp_process_join(&c, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&c, &code), 1);
    CHECK(code != 0);
    /* the rest of the big message is dropped; the next one arrives whole */
    CHECK_EQ(mp_queue_get(q, buf, sizeof buf, &n, 60), MP_OK);
    CHECK(n == 5 && memcmp(buf, "after", 5) == 0);
    CHECK_EQ(mp_process_join(&p, 60), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    CHECK_EQ(mp_queue_qsize(q), 0);
    mp_process_close(&c);
    mp_process_close(&p);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

static const mp_test queue_tests[] = {
    {"queue_basic", test_queue_basic},
    {"queue_close", test_queue_close},
    {"queue_message_sizes", test_queue_message_sizes},
    {"queue_many_producers_consumers", test_queue_many_producers_consumers},
    {"queue_joinable", test_joinable_queue},
    {"queue_producer_killed_mid_put", test_queue_producer_killed_mid_put},
    {"queue_consumer_killed_mid_get", test_queue_consumer_killed_mid_get},
    {NULL, NULL}};
