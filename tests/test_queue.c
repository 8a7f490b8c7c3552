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

/* -- tools of the fault and corruption tests ------------------------------------------------ */

static unsigned qt_rand(unsigned *s) { /* xorshift32: a different sequence in every run */
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}
static unsigned qt_seed(unsigned salt) {
    unsigned s = (unsigned)mp_getpid() * 2654435761u ^ salt * 40503u ^
                 (unsigned)(mp__u64)(mp__os_now() * 1e6);
    return s ? s : 1;
}
static mp__u64 qt_load64(volatile mp__u64 *p) {
    return *p;
}
/* Writes bytes into the ring, wrapping, as a producer would (the tests build states with it). */
static void qt_write(mp_queue *q, mp__u64 pos, const void *src, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        ((unsigned char *)q->data)[(pos + i) & (q->cap - 1)] = ((const unsigned char *)src)[i];
}
static void qt_header(mp_queue *q, mp__u64 pos, unsigned kind, mp__u32 len, mp__u32 total) {
    mp__u32 h[2];
    h[0] = (mp__u32)kind << 29 | len;
    h[1] = total;
    qt_write(q, pos, h, sizeof h);
}
/* Appends one record: bytes off..off+len of the message of this seed, published at tail. */
static void qt_piece(mp_queue *q, unsigned kind, size_t off, mp__u32 len, mp__u32 total,
                     unsigned seed) {
    mp__u32 i;
    qt_header(q, q->tail, kind, len, total);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pattern_byte(off + i, seed);
        qt_write(q, q->tail + 8 + i, &c, 1);
    }
    q->tail += 8 + (((mp__u64)len + 7) & ~(mp__u64)7);
}

static int qt_exit_at_once(void *arg, size_t size) {
    (void)arg;
    (void)size;
    return 0;
}
/* A pid that is gone: a child that ended and was joined. */
static mp__u32 qt_dead_pid(void) {
    mp_process p;
    mp__u32 pid = 0;
    if (mp_process_init(&p, qt_exit_at_once, NULL, 0, NULL) != MP_OK) return 0;
    if (mp_process_start(&p) == MP_OK && mp_process_join(&p, 30) == MP_OK)
        pid = (mp__u32)mp_process_pid(&p);
    mp_process_close(&p);
    return pid;
}

/* -- a consumer killed in the middle of a get --------------------------------------------- */

typedef struct qt_round {
    mp_queue *q;
    size_t big;
    unsigned seed;
    mp__word started; /* the consumer is about to get */
} qt_round;
static int qt_get_one_big(void *arg, size_t size) {
    qt_round *k = *(qt_round **)arg;
    void *data = NULL;
    size_t n = 0;
    (void)size;
    mp__store(&k->started.value, 1);
    if (mp_queue_get_alloc(k->q, &data, &n, MP_FOREVER) != MP_OK) return 2;
    if (n != k->big || !check_fill((unsigned char *)data, n, k->seed)) return 3;
    mp_free(data);
    return 0;
}
static int qt_put_big_then_small(void *arg, size_t size) {
    qt_round *k = *(qt_round **)arg;
    unsigned char *b = (unsigned char *)malloc(k->big);
    (void)size;
    if (!b) return 2;
    fill(b, k->big, k->seed);
    if (mp_queue_put(k->q, b, k->big, 60) != MP_OK) return 3;
    free(b);
    return mp_queue_put(k->q, "after", 5, 60) == MP_OK ? 0 : 4;
}
/* The consumer is killed at a random point of the stream (before it began, holding the lock,
   between pieces, after it finished): the big message is then lost or arrives whole later,
   the next one always arrives whole, and nothing is left counted. */
static int test_queue_consumer_killed_mid_get(void) {
    qt_round *k = (qt_round *)mp_shared_alloc(sizeof *k);
    unsigned rng = qt_seed(1);
    int round, rounds = test_rounds(12);
    CHECK(k != NULL);
    for (round = 0; round < rounds; round++) {
        mp_process c, p;
        void *data = NULL;
        size_t n = 0, cap = (size_t)64 << 10;
        mp__u64 target;
        int code = -1, spins = 0;
        k->q = mp_queue_new(cap, 0);
        CHECK(k->q != NULL);
        k->big = (size_t)256 << 10 | qt_rand(&rng) % ((size_t)256 << 10);
        k->seed = (unsigned)round;
        mp__store(&k->started.value, 0);
        target = qt_rand(&rng) % (k->big + 2 * cap); /* where head must be for the kill */
        CHECK_EQ(mp_process_init(&c, qt_get_one_big, &k, sizeof k, NULL), MP_OK);
        CHECK_EQ(mp_process_init(&p, qt_put_big_then_small, &k, sizeof k, NULL), MP_OK);
        mp_process_set_daemon(&c, 1); /* a failed check must not wait for them */
        mp_process_set_daemon(&p, 1);
        CHECK_EQ(mp_process_start(&c), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        while (mp__load(&k->started.value) == 0) mp__os_sleep(0.0002);
        while (qt_load64(&k->q->head) < target && (++spins & 1023 || mp_process_is_alive(&c)))
            mp__pause();
        CHECK_EQ(mp_process_kill(&c), MP_OK);
        CHECK_EQ(mp_process_join(&c, 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&c, &code), 1);
        CHECK_EQ(mp_queue_get_alloc(k->q, &data, &n, 60), MP_OK);
        if (n == k->big) { /* it died before it took a piece: the message is intact */
            CHECK(code != 0);
            CHECK(check_fill((unsigned char *)data, n, k->seed));
            mp_free(data);
            CHECK_EQ(mp_queue_get_alloc(k->q, &data, &n, 60), MP_OK);
        }
        CHECK(n == 5 && memcmp(data, "after", 5) == 0);
        mp_free(data);
        CHECK_EQ(mp_process_join(&p, 60), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p, &code), 1);
        CHECK_EQ(code, 0);
        CHECK_EQ(mp_queue_qsize(k->q), 0);
        CHECK_EQ(mp_queue_get(k->q, NULL, 0, &n, 0), MP_EEMPTY);
        mp_process_close(&c);
        mp_process_close(&p);
        CHECK_EQ(mp_queue_free(k->q), MP_OK);
    }
    return 0;
}

/* -- a producer killed in the middle of a put --------------------------------------------- */

/* A message that says what it is: seq, size and a check word, then the pattern of seq. */
static void qt_make(unsigned char *b, mp__u32 seq, mp__u32 id, size_t size) {
    mp__u32 h[4];
    h[0] = id;
    h[1] = seq;
    h[2] = (mp__u32)size;
    h[3] = 0x5eed0000u ^ id ^ seq * 31u ^ (mp__u32)size;
    memcpy(b, h, sizeof h);
    fill(b + sizeof h, size - sizeof h, seq * 7919u + id);
}
/* 1 if b is a whole message made by qt_make; its id and seq. */
static int qt_valid(const unsigned char *b, size_t n, mp__u32 *id, mp__u32 *seq) {
    mp__u32 h[4];
    if (n < sizeof h) return 0;
    memcpy(h, b, sizeof h);
    if (h[2] != n || h[3] != (0x5eed0000u ^ h[0] ^ h[1] * 31u ^ h[2])) return 0;
    *id = h[0];
    *seq = h[1];
    return check_fill(b + sizeof h, n - sizeof h, h[1] * 7919u + h[0]);
}
static size_t qt_size(unsigned *rng, size_t ring) {
    switch (qt_rand(rng) % 4) {
    case 0:
    case 1:
        return 16 + qt_rand(rng) % 200;
    case 2:
        return 16 + qt_rand(rng) % (ring / 2 - 24); /* whole */
    default:
        return ring / 2 + qt_rand(rng) % (ring * 3); /* streamed through the ring */
    }
}
typedef struct qt_prod {
    mp_queue *q;
    size_t ring;
    unsigned seed;
} qt_prod;
static int qt_put_forever(void *arg, size_t size) {
    qt_prod *a = (qt_prod *)arg;
    unsigned rng = a->seed;
    unsigned char *b = (unsigned char *)malloc(a->ring * 4);
    mp__u32 seq;
    (void)size;
    if (!b) return 2;
    for (seq = 0;; seq++) {
        size_t n = qt_size(&rng, a->ring);
        qt_make(b, seq, 0, n);
        if (mp_queue_put(a->q, b, n, MP_FOREVER) != MP_OK) return 3;
    }
}
/* The producer is killed at a random moment while it streams and puts: every message that
   arrives is whole and in order, and the queue goes on with an exact count (maxsize). */
static int test_queue_producer_killed_mid_put(void) {
    unsigned rng = qt_seed(2);
    int round, rounds = test_rounds(12);
    unsigned char *buf = (unsigned char *)malloc((size_t)16 << 12);
    CHECK(buf != NULL);
    for (round = 0; round < rounds; round++) {
        qt_prod a;
        mp_process p;
        size_t n, i;
        mp__u32 id, seq, next = 0;
        unsigned want = qt_rand(&rng) % 6, got = 0;
        int r;
        a.ring = 16 << 10;
        a.q = mp_queue_new(a.ring, 4);
        a.seed = qt_rand(&rng) | 1;
        CHECK(a.q != NULL);
        CHECK_EQ(mp_process_init(&p, qt_put_forever, &a, sizeof a, NULL), MP_OK);
        mp_process_set_daemon(&p, 1);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        for (got = 0; got < want; got++) { /* take a few, then kill it while it puts */
            CHECK_EQ(mp_queue_get(a.q, buf, (size_t)16 << 12, &n, 60), MP_OK);
            CHECK(qt_valid(buf, n, &id, &seq) && seq == next++);
        }
        for (i = qt_rand(&rng) % 20000; i > 0; i--) mp__pause();
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        mp_process_close(&p);
        /* what it had put arrives whole and in order; its unfinished message never does */
        while ((r = mp_queue_get(a.q, buf, (size_t)16 << 12, &n, 0)) == MP_OK)
            CHECK(qt_valid(buf, n, &id, &seq) && seq == next++);
        CHECK_EQ(r, MP_EEMPTY);
        CHECK_EQ(mp_queue_qsize(a.q), 0);
        CHECK_EQ(mp_queue_empty(a.q), 1);
        for (i = 0; i < 4; i++) CHECK_EQ(mp_queue_put(a.q, "x", 1, 0), MP_OK); /* maxsize */
        CHECK_EQ(mp_queue_full(a.q), 1);
        CHECK_EQ(mp_queue_put(a.q, "x", 1, 0), MP_EFULL);
        for (i = 0; i < 4; i++) CHECK_EQ(mp_queue_get(a.q, buf, 16, &n, 0), MP_OK);
        CHECK_EQ(mp_queue_qsize(a.q), 0);
        CHECK_EQ(mp_queue_free(a.q), MP_OK);
    }
    free(buf);
    /* a process that dies holding the queue's lock (in the middle of a copy) */
    {
        mp_queue *q = mp_queue_new((size_t)64 << 10, 0);
        held_lock *h = (held_lock *)mp_shared_alloc(sizeof *h);
        mp__mutex *m = &q->m;
        unsigned char arg[2 * sizeof(void *)];
        mp__word *ready = &h->ready;
        mp_process p;
        char b[16];
        size_t n;
        CHECK(q != NULL && h != NULL);
        memcpy(arg, &m, sizeof m);
        memcpy(arg + sizeof m, &ready, sizeof ready);
        CHECK_EQ(mp_process_init(&p, hold_and_hang, arg, sizeof arg, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        mp__store(&ready->value, 1);
        mp__wake(ready, 1);
        while (mp__load(&ready->value) == 1) mp__wait(ready, 1, 1);
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_queue_put(q, "again", 5, 30), MP_OK);
        CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 30), MP_OK);
        CHECK(n == 5 && memcmp(b, "again", 5) == 0);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        mp_process_close(&p);
        CHECK_EQ(mp_queue_free(q), MP_OK);
    }
    return 0;
}

/* -- every moment a death can leave behind, built by hand ----------------------------------- */
/* A stream partner that died, with or without the lock: the state it leaves is built directly
   (the records a 4 KiB ring holds for a 3000-byte message: FIRST 1024, MORE 1024, LAST 952). */
static mp_queue *qt_streamed_3000(void) {
    mp_queue *q = mp_queue_new(4096, 2);
    unsigned char b[3000];
    if (!q) return NULL;
    fill(b, sizeof b, 9);
    if (mp_queue_put(q, b, sizeof b, 0) != MP_OK || q->stream_producer || q->tail != 3024)
        return NULL;
    return q;
}
static int test_queue_dead_partner_states(void) {
    mp__u32 dead = qt_dead_pid();
    unsigned char b[4096];
    void *data = NULL;
    size_t n;
    mp_queue *q;
    CHECK(dead != 0);
    /* a producer that died holding the lock after it began a stream, before its first piece
       was written: the count must not go down twice (maxsize 2) */
    q = mp_queue_new(4096, 2);
    CHECK(q != NULL);
    q->count = 1; /* what put had counted */
    q->stream_producer = dead;
    q->stream_start = q->tail;
    q->m.w.value = dead;
    CHECK_EQ(mp_queue_put(q, "a", 1, 2), MP_OK);
    CHECK_EQ(mp_queue_put(q, "b", 1, 2), MP_OK);
    CHECK_EQ(mp_queue_qsize(q), 2);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'b');
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_empty(q), 1);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a consumer that died holding the lock after it claimed a streamed message, before it
       took its first piece: the message is intact, even for get_nowait */
    q = qt_streamed_3000();
    CHECK(q != NULL);
    q->stream_consumer = dead;
    q->m.w.value = dead;
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 3000 && check_fill(b, n, 9));
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a consumer that died (not holding the lock) after it took the first piece: the rest is
       dropped, and the message is no longer counted */
    q = qt_streamed_3000();
    CHECK(q != NULL);
    q->head = 1032;
    q->stream_consumer = dead;
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_EEMPTY);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(q->head, q->tail);
    CHECK_EQ(mp_queue_put(q, "c", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'c');
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a consumer that died holding the lock after it took the last piece */
    q = qt_streamed_3000();
    CHECK(q != NULL);
    q->head = q->tail;
    q->stream_consumer = dead;
    q->m.w.value = dead;
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_EEMPTY);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a producer that died (not holding the lock) in the middle of a stream: put_nowait and
       get_nowait see it gone at once */
    q = mp_queue_new(4096, 1);
    CHECK(q != NULL);
    q->stream_producer = dead;
    q->stream_start = q->tail;
    qt_piece(q, MP__REC_FIRST, 0, 1024, 8000, 4);
    qt_piece(q, MP__REC_MORE, 1024, 1024, 8000, 4);
    q->count = 1;
    CHECK_EQ(mp_queue_put(q, "d", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_qsize(q), 1);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'd');
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* the same, with a consumer that had begun it: the consumer gets the rest dropped */
    q = mp_queue_new(4096, 1);
    CHECK(q != NULL);
    q->stream_producer = dead;
    q->stream_start = q->tail;
    qt_piece(q, MP__REC_FIRST, 0, 1024, 8000, 4);
    qt_piece(q, MP__REC_MORE, 1024, 1024, 8000, 4);
    q->count = 1;
    CHECK_EQ(mp_queue_get_alloc(q, &data, &n, 0), MP_EEMPTY);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_put(q, "e", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'e');
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a producer that died holding the lock after its last piece: whole or not at all */
    q = qt_streamed_3000();
    CHECK(q != NULL);
    q->stream_producer = dead;
    q->stream_start = 0;
    q->m.w.value = dead;
    n = 0;
    if (mp_queue_get(q, b, sizeof b, &n, 0) == MP_OK) CHECK(n == 3000 && check_fill(b, n, 9));
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_put(q, "f", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'f');
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* -- a get whose deadline passes while it takes a streamed message ------------------------- */
/* x is the live consumer of the message before, and the producer of the next one: once the
   test's get sleeps (its deadline set), x takes its last piece; once the get has begun x's
   stream, x ends, and the get finds the stream aborted after its deadline has passed. */
typedef struct qt_deadline {
    mp_queue *q;
    mp__u32 getter;
    mp__word ready, done;
} qt_deadline;
static int qt_finish_then_die(void *arg, size_t size) {
    qt_deadline *d = *(qt_deadline **)arg;
    mp_queue *q = d->q;
    mp__u32 h[2];
    (void)size;
    mp__store(&d->ready.value, 1);
    while (mp__load(&q->writable.waiters) == 0) {
        if (mp__load(&d->done.value)) return 0; /* too late: the get gave up first */
        mp__pause();
    }
    mp__mutex_lock(&q->cm, MP_FOREVER); /* both locks, as a slow get holds them */
    mp__mutex_lock(&q->m, MP_FOREVER);
    memcpy(h, (unsigned char *)q->data + (q->head & (q->cap - 1)), sizeof h);
    q->head += 8 + ((MP__REC_LEN(h[0]) + 7) & ~7u);
    q->stream_consumer = 0;
    q->count--;
    mp__fetch_add(&q->writable.value, 1);
    mp__mutex_unlock(&q->m);
    mp__mutex_unlock(&q->cm);
    mp__wake(&q->writable, 0xffffffffu);
    while (*(volatile mp__u32 *)&q->stream_consumer != d->getter && !mp__load(&d->done.value))
        mp__os_sleep(0.0001);
    return 0;
}
static int test_queue_get_deadline_in_stream(void) {
    qt_deadline *d = (qt_deadline *)mp_shared_alloc(sizeof *d);
    unsigned char *b = (unsigned char *)malloc(100000);
    mp_queue *q = mp_queue_new(4096, 0);
    mp_process x;
    size_t n;
    int round;
    CHECK(d != NULL && q != NULL && b != NULL);
    d->q = q;
    d->getter = (mp__u32)mp_getpid();
    for (round = 0; round < 3; round++) {
        mp__store(&d->done.value, 0);
        mp__store(&d->ready.value, 0);
        qt_piece(q, MP__REC_LAST, 4000, 100, 4100, 1); /* the end of x's message */
        q->stream_start = q->tail;
        qt_piece(q, MP__REC_FIRST, 0, 1024, 100000, 2); /* the beginning of x's stream */
        qt_piece(q, MP__REC_MORE, 1024, 1024, 100000, 2);
        q->count = 2;
        CHECK_EQ(mp_process_init(&x, qt_finish_then_die, &d, sizeof d, NULL), MP_OK);
        mp_process_set_daemon(&x, 1);
        CHECK_EQ(mp_process_start(&x), MP_OK);
        q->stream_consumer = (mp__u32)mp_process_pid(&x);
        q->stream_producer = (mp__u32)mp_process_pid(&x);
        while (mp__load(&d->ready.value) == 0) mp__os_sleep(0.0001);
        CHECK_EQ(mp_queue_get(q, b, 100000, &n, 0.05), MP_EEMPTY);
        mp__store(&d->done.value, 1);
        CHECK_EQ(mp_process_join(&x, 30), MP_OK);
        mp_process_close(&x);
        CHECK_EQ(mp_queue_get(q, b, 100000, &n, 0), MP_EEMPTY);
        CHECK_EQ(mp_queue_qsize(q), 0);
        CHECK_EQ(q->stream_producer, 0);
        CHECK_EQ(q->stream_consumer, 0);
    }
    free(b);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* -- empty messages, NULL buffers, sizes near SIZE_MAX, odd timeouts ------------------------ */
static int test_queue_edges(void) {
    mp_queue *q = mp_queue_new(4096, 0);
    volatile double zero = 0, huge = 1e308;
    double nan_ = zero / zero, inf = huge * 10;
    char x = 'x';
    void *data = NULL;
    size_t n = 7;
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, NULL, 0, 0), MP_OK);     /* an empty message from NULL */
    CHECK_EQ(mp_queue_get(q, NULL, 0, &n, 0), MP_OK); /* and into NULL */
    CHECK_EQ(n, 0);
    CHECK_EQ(mp_queue_put(q, &x, 0, inf), MP_OK);
    CHECK_EQ(mp_queue_get_alloc(q, &data, &n, inf), MP_OK);
    CHECK(n == 0 && data != NULL);
    mp_free(data);
    CHECK_EQ(mp_queue_put(q, &x, 1, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, NULL, 0, &n, 0), MP_ETOOBIG); /* told the size, left there */
    CHECK_EQ(n, 1);
    CHECK_EQ(mp_queue_get(q, &x, (size_t)-1, &n, 0), MP_OK); /* a huge cap is only a bound */
    CHECK_EQ(n, 1);
    /* sizes no message can have: a clear error, before the data is looked at */
    CHECK_EQ(mp_queue_put(q, &x, (size_t)-1, 0), MP_ETOOBIG);
    CHECK_EQ(mp_queue_put(q, &x, (size_t)-8, 0), MP_ETOOBIG);
    CHECK_EQ(mp_queue_put(q, &x, MP_MESSAGE_MAX + 1, 0), MP_ETOOBIG);
    if (sizeof(size_t) > 4) {
        CHECK_EQ(mp_queue_put(q, &x, (size_t)((mp__u64)1 << 32), 0), MP_ETOOBIG);
        CHECK_EQ(mp_queue_put(q, &x, (size_t)((mp__u64)1 << 32) + 1, 0), MP_ETOOBIG);
    }
    CHECK_EQ(mp_queue_put(q, NULL, (size_t)-1, 0), MP_EINVAL);
    /* timeouts: negative or NaN is MP_EINVAL, 0 polls */
    CHECK_EQ(mp_queue_put(q, &x, 1, nan_), MP_EINVAL);
    CHECK_EQ(mp_queue_put(q, &x, 1, -1e-9), MP_EINVAL);
    CHECK_EQ(mp_queue_put(q, &x, 1, -inf), MP_EINVAL);
    CHECK_EQ(mp_queue_get(q, &x, 1, &n, nan_), MP_EINVAL);
    CHECK_EQ(mp_queue_get(q, &x, 1, &n, -inf), MP_EINVAL);
    CHECK_EQ(mp_queue_get_alloc(q, &data, &n, nan_), MP_EINVAL);
    CHECK_EQ(mp_queue_get(q, &x, 1, &n, 0), MP_EEMPTY);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* -- a queue whose shared fields a buggy process overwrote --------------------------------- */
/* Every get and put variant on it gives MP_ECORRUPT (or a correct answer), never a crash, a
   hang or a read outside the queue; afterwards the queue works again. */
static int qt_all_ops(mp_queue *q, int *corrupt) {
    static unsigned char big[12000], b[20000];
    void *data = NULL;
    size_t n;
    long s;
    int r, i;
    for (i = 0; i < 8; i++) {
        switch (i) {
        case 0:
            r = mp_queue_get(q, b, sizeof b, &n, 0);
            break;
        case 1:
            r = mp_queue_get(q, NULL, 0, &n, 0);
            break;
        case 2:
            r = mp_queue_get_alloc(q, &data, &n, 0);
            break;
        case 3:
            r = mp_queue_get(q, b, sizeof b, &n, 0.01);
            break;
        case 4:
            r = mp_queue_put(q, "y", 1, 0);
            break;
        case 5:
            r = mp_queue_put(q, big, sizeof big, 0.01);
            break; /* streamed */
        case 6:
            s = mp_queue_qsize(q);
            r = s < 0 ? (int)s : MP_OK;
            break;
        default:
            r = mp_queue_empty(q) < 0 ? MP_ECORRUPT : MP_OK;
            break;
        }
        if (r == MP_OK && i == 2) mp_free(data);
        if (r == MP_ECORRUPT)
            (*corrupt)++;
        else if (r != MP_OK && r != MP_EEMPTY && r != MP_EFULL && r != MP_ETOOBIG) {
            fprintf(stderr, "  op %d: %s\n", i, mp_strerror(r));
            return 1;
        }
    }
    return 0;
}
static mp_queue *qt_two(void) { /* a 4 KiB ring holding "one" and "two" */
    mp_queue *q = mp_queue_new(4096, 0);
    if (!q || mp_queue_put(q, "one", 3, 0) != MP_OK || mp_queue_put(q, "two", 3, 0) != MP_OK)
        return NULL;
    return q;
}
static int qt_works(mp_queue *q) {
    char b[8];
    size_t n;
    void *data;
    int r;
    while ((r = mp_queue_get_alloc(q, &data, &n, 0)) == MP_OK) mp_free(data);
    if (r != MP_EEMPTY) return 0;
    if (mp_queue_put(q, "ok", 2, 0) != MP_OK) return 0;
    if (mp_queue_get(q, b, sizeof b, &n, 0) != MP_OK || n != 2 || memcmp(b, "ok", 2)) return 0;
    return mp_queue_qsize(q) == 0 && mp_queue_free(q) == MP_OK;
}
static int test_queue_corrupt(void) {
    int c, corrupt;
    for (c = 0; c < 25; c++) {
        mp_queue *q = qt_two();
        mp__u64 cap;
        CHECK(q != NULL);
        cap = q->cap;
        switch (c) {
        case 0:
            qt_header(q, q->head, MP__REC_WHOLE, 60000, 60000);
            break; /* past the ring */
        case 1:
            qt_header(q, q->head, MP__REC_WHOLE, 3, 0xffffffffu);
            break;
        case 2:
            qt_header(q, q->head, MP__REC_WHOLE, 0x1fffffffu, 0x1fffffffu);
            break;
        case 3:
            qt_header(q, q->head, MP__REC_FIRST, 8, 0xffffffffu);
            break;
        case 4:
            qt_header(q, q->head, MP__REC_FIRST, 16, 8);
            break; /* longer than total */
        case 5:
            qt_header(q, q->head, MP__REC_MORE, 0x1fffffffu, 0);
            break; /* > the ring */
        case 6:
            qt_header(q, q->head, 7, 3, 3);
            break; /* no such kind */
        case 7:
            q->head = q->tail + 8;
            break;
        case 8:
            q->tail = q->head + cap + 8;
            break;
        case 9:
            q->head += 3;
            break;
        case 10:
            q->cap = (mp__u64)1 << 29;
            break; /* larger than the object */
        case 11:
            q->cap = 12345;
            break;
        case 12:
            q->count = (mp__u64)-1;
            break;
        case 13:
            q->count = 100000;
            break;
        case 14:
            q->stream_producer = qt_dead_pid();
            q->stream_start = q->tail + 64;
            break;
        case 15:
            q->stream_consumer = (mp__u32)mp_getppid();
            break; /* alive; not a stream */
        case 16:
            q->tail = q->head; /* a stream whose pieces add up to more than its total */
            qt_piece(q, MP__REC_FIRST, 0, 1024, 3000, 1);
            qt_piece(q, MP__REC_MORE, 1024, 2048, 3000, 1);
            q->count = 1;
            break;
        case 17:
            q->tail = q->head; /* a stream whose last piece comes short */
            qt_piece(q, MP__REC_FIRST, 0, 1024, 3000, 1);
            qt_piece(q, MP__REC_LAST, 1024, 8, 3000, 1);
            q->count = 1;
            break;
        case 18:
            q->tail = q->head; /* a stream interrupted by a whole message */
            qt_piece(q, MP__REC_FIRST, 0, 1024, 3000, 1);
            qt_piece(q, MP__REC_WHOLE, 0, 8, 8, 1);
            q->count = 2;
            break;
        case 20:
            qt_header(q, q->head, MP__REC_FIRST, 0, 0);
            break; /* an empty stream */
        case 21:   /* found when the queue is counted again after a death inside the lock */
            qt_header(q, q->head + 16, MP__REC_WHOLE, 4000, 4000);
            q->m.w.value = qt_dead_pid();
            break;
        case 22:
            qt_header(q, q->head + 16, MP__REC_WHOLE, 4000, 4000);
            break; /* the 2nd */
        case 23:   /* a dead producer whose stream does not begin where it says */
            q->stream_producer = qt_dead_pid();
            q->stream_start = q->head;
            q->m.w.value = q->stream_producer; /* it died holding the lock */
            break;
        default:
            q->tail = q->head; /* a stream whose next piece runs past tail */
            qt_piece(q, MP__REC_FIRST, 0, 1024, 3000, 1);
            qt_header(q, q->tail, MP__REC_MORE, 1024, 3000);
            q->tail += 512;
            q->count = 1;
            break;
        }
        corrupt = 0;
        if (qt_all_ops(q, &corrupt) != 0) {
            fprintf(stderr, "  corruption %d\n", c);
            return 1;
        }
        if (!corrupt) fprintf(stderr, "  corruption %d: not reported\n", c);
        CHECK(corrupt > 0);
        if (c == 10 || c == 11) { /* nothing can be trusted: it stays corrupt until repaired */
            CHECK_EQ(mp_queue_put(q, "z", 1, 0), MP_ECORRUPT);
            q->cap = cap;
        }
        if (!qt_works(q)) {
            fprintf(stderr, "  corruption %d: the queue does not recover\n", c);
            return 1;
        }
    }
    return 0;
}

/* -- 4 producers and 4 consumers, random sizes, every timeout, maxsize ---------------------- */
#define QT_PRODUCERS 4
#define QT_MAX_MSGS  8192
typedef struct qt_stress {
    mp_queue *q;
    size_t ring;
    mp__u32 per, ids;
    volatile mp__u32 put[QT_PRODUCERS];
    volatile mp__u32 seen[QT_PRODUCERS][QT_MAX_MSGS / 32];
    volatile mp__u32 dups, bad, got;
} qt_stress;
static int qt_stress_producer(void *arg, size_t size) {
    qt_stress *s = *(qt_stress **)arg;
    mp__u32 id = mp__fetch_add(&s->ids, 1), seq;
    unsigned rng = qt_seed(id + 10);
    unsigned char *b = (unsigned char *)malloc(s->ring * 4);
    (void)size;
    if (!b || id >= QT_PRODUCERS) return 2;
    for (seq = 0; seq < s->per; seq++) {
        size_t n = qt_size(&rng, s->ring);
        unsigned mode = qt_rand(&rng) % 8, tries = 0;
        qt_make(b, seq, id, n);
        for (;;) { /* put_nowait, a short timeout, or forever (after 20 tries at most) */
            double t = tries++ > 20 ? MP_FOREVER : mode == 0 ? 0 : mode == 1 ? 0.001 : MP_FOREVER;
            int r = mp_queue_put(s->q, b, n, t);
            if (r == MP_OK) break;
            if (r != MP_EFULL || t == MP_FOREVER) return 3;
        }
        s->put[id] = seq + 1;
    }
    free(b);
    return 0;
}
static int qt_stress_consumer(void *arg, size_t size) {
    qt_stress *s = *(qt_stress **)arg;
    unsigned rng = qt_seed((unsigned)mp_getpid());
    size_t cap = s->ring * 4;
    unsigned char *b = (unsigned char *)malloc(cap);
    (void)size;
    if (!b) return 2;
    for (;;) {
        unsigned mode = qt_rand(&rng) % 8;
        void *data = NULL;
        const unsigned char *m = b;
        size_t n = 0;
        mp__u32 id, seq, bit, old;
        int r;
        if (mode == 0) { /* too small: told the size, then taken with get_alloc */
            r = mp_queue_get(s->q, b, 64, &n, MP_FOREVER);
            if (r == MP_ETOOBIG) r = mp_queue_get_alloc(s->q, &data, &n, MP_FOREVER);
        } else if (mode == 1) {
            r = mp_queue_get_alloc(s->q, &data, &n, MP_FOREVER);
        } else {
            r = mp_queue_get(s->q, b, cap, &n, mode == 2 ? 0 : mode == 3 ? 0.001 : MP_FOREVER);
        }
        if (r == MP_EOF) break;
        if (r == MP_EEMPTY && mode >= 2 && mode <= 3) continue;
        if (r != MP_OK) return 3;
        if (data) m = (const unsigned char *)data;
        if (!qt_valid(m, n, &id, &seq) || id >= QT_PRODUCERS || seq >= s->per) {
            mp__fetch_add(&s->bad, 1);
        } else {
            bit = 1u << (seq & 31);
            do old = mp__load(&s->seen[id][seq >> 5]);
            while (!mp__cas(&s->seen[id][seq >> 5], old, old | bit));
            if (old & bit) mp__fetch_add(&s->dups, 1);
            mp__fetch_add(&s->got, 1);
        }
        mp_free(data);
    }
    free(b);
    return 0;
}
static int test_queue_stress_random_sizes(void) {
    qt_stress *s = (qt_stress *)mp_shared_alloc(sizeof *s);
    mp_process p[2 * QT_PRODUCERS];
    mp__u32 i, j;
    int code;
    CHECK(s != NULL);
    s->ring = 16 << 10;
    s->per = (mp__u32)test_rounds(300);
    if (s->per > QT_MAX_MSGS) s->per = QT_MAX_MSGS;
    s->q = mp_queue_new(s->ring, 16);
    CHECK(s->q != NULL);
    for (i = 0; i < 2 * QT_PRODUCERS; i++) {
        CHECK_EQ(mp_process_init(&p[i], i < QT_PRODUCERS ? qt_stress_producer : qt_stress_consumer,
                                 &s, sizeof s, NULL),
                 MP_OK);
        mp_process_set_daemon(&p[i], 1);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
    }
    for (i = 0; i < QT_PRODUCERS; i++) CHECK_EQ(mp_process_join(&p[i], 120), MP_OK);
    CHECK_EQ(mp_queue_close(s->q), MP_OK); /* the consumers drain it, then see MP_EOF */
    for (i = 0; i < 2 * QT_PRODUCERS; i++) {
        CHECK_EQ(mp_process_join(&p[i], 120), MP_OK);
        CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
        CHECK_EQ(code, 0);
        mp_process_close(&p[i]);
    }
    CHECK_EQ(s->bad, 0);
    CHECK_EQ(s->dups, 0);
    CHECK_EQ(s->got, QT_PRODUCERS * s->per);
    for (i = 0; i < QT_PRODUCERS; i++) {
        CHECK_EQ(s->put[i], s->per);
        for (j = 0; j < s->per; j++) CHECK(s->seen[i][j >> 5] >> (j & 31) & 1);
    }
    CHECK_EQ(mp_queue_qsize(s->q), 0);
    CHECK_EQ(mp_queue_empty(s->q), 1);
    CHECK_EQ(mp_queue_free(s->q), MP_OK);
    return 0;
}

/* -- an unbounded queue (no capacity given): put never waits for a reader ------------------ */
static heap_stats qt_heap(void) {
    mp__heap v;
    heap_stats st;
    memset(&st, 0, sizeof st);
    if (mp__heap_view(&v, mp__g.arena, mp__g.arena_size)) (void)heap_check(&v, &st);
    return st;
}
/* As a Python user tries it: 20,000 puts of 100 bytes and one of 2 MiB into a default queue
   with no reader, each put_nowait; then all of it comes back, and the memory goes back. */
static int test_queue_unbounded_default(void) {
    size_t big = (size_t)2 << 20, n, i;
    unsigned char *b = (unsigned char *)malloc(big);
    unsigned char m[100];
    mp_queue *q = mp_queue_new(0, 0), *sq = mp_simple_queue_new();
    heap_stats before;
    CHECK(b != NULL && q != NULL && sq != NULL);
    CHECK_EQ(mp_queue_put(q, b, 64, 0), MP_OK); /* whatever a process makes once, made */
    CHECK_EQ(mp_queue_get(q, b, 64, &n, 0), MP_OK);
    before = qt_heap();
    for (i = 0; i < 20000; i++) {
        memset(m, (int)(i & 0xff), sizeof m);
        memcpy(m, &i, sizeof i);
        CHECK_EQ(mp_queue_put(q, m, sizeof m, 0), MP_OK);
    }
    fill(b, big, 5);
    CHECK_EQ(mp_queue_put(q, b, big, 0), MP_OK);
    CHECK_EQ(mp_queue_put(sq, b, big, 0), MP_OK);
    CHECK_EQ(mp_queue_qsize(q), 20001);
    CHECK_EQ(mp_queue_full(q), 0);
    for (i = 0; i < 20000; i++) {
        size_t k;
        CHECK_EQ(mp_queue_get(q, m, sizeof m, &n, 0), MP_OK);
        memcpy(&k, m, sizeof k);
        CHECK(n == sizeof m && k == i && m[99] == (unsigned char)(i & 0xff));
    }
    memset(b, 0, big);
    CHECK_EQ(mp_queue_get(q, b, big, &n, 0), MP_OK);
    CHECK(n == big && check_fill(b, n, 5));
    memset(b, 0, big);
    CHECK_EQ(mp_queue_get(sq, b, big, &n, 0), MP_OK);
    CHECK(n == big && check_fill(b, n, 5));
    CHECK_EQ(mp_queue_get(q, m, sizeof m, &n, 0), MP_EEMPTY);
    /* drained: the grown rings are gone (the heap is the family's: under spawn the parent
       may make an object of its own meanwhile, so each queue is asked too) */
    CHECK(q->ring == NULL && sq->ring == NULL);
    CHECK(qt_heap().used <= before.used + 1);
    /* maxsize still bounds the count of an unbounded queue */
    CHECK_EQ(mp_queue_free(q), MP_OK);
    q = mp_queue_new(0, 2);
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, b, big, 0), MP_OK);
    CHECK_EQ(mp_queue_put(q, "a", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_put(q, "b", 1, 0), MP_EFULL);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    CHECK_EQ(mp_queue_free(sq), MP_OK);
    free(b);
    return 0;
}
/* A queue alive for days: filled and drained many times, random sizes, runs in constant
   memory. */
static int test_queue_unbounded_constant_memory(void) {
    mp_queue *q = mp_queue_new(0, 0);
    unsigned rng = qt_seed(7);
    unsigned char *b = (unsigned char *)malloc((size_t)64 << 10);
    heap_stats base;
    int round;
    CHECK(q != NULL && b != NULL);
    memset(&base, 0, sizeof base);
    for (round = 0; round < test_rounds(40); round++) {
        mp__u32 k, count = qt_rand(&rng) % 3000, id, seq;
        size_t n;
        for (k = 0; k < count; k++) {
            n = qt_rand(&rng) % 8 ? 16 + qt_rand(&rng) % 300 : 16 + qt_rand(&rng) % 60000;
            qt_make(b, k, 1, n);
            CHECK_EQ(mp_queue_put(q, b, n, 0), MP_OK);
        }
        for (k = 0; k < count; k++) {
            CHECK_EQ(mp_queue_get(q, b, (size_t)64 << 10, &n, 0), MP_OK);
            CHECK(qt_valid(b, n, &id, &seq) && id == 1 && seq == k);
        }
        CHECK_EQ(mp_queue_qsize(q), 0);
        /* after one round: what a process makes once. Not equal later: under spawn the
           parent frees the child's boot block once the child has read it, which may come
           after round 0 (a leak would grow round after round past this bound) */
        if (round == 0) base = qt_heap();
        CHECK(q->ring == NULL);
        CHECK(qt_heap().used <= base.used);
    }
    free(b);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}
/* Up to what the arena allows, then MP_ENOMEM (never a wait); everything put comes back, and
   the queue works again once there is room. */
static int test_queue_unbounded_enomem(void) {
    static void *hog[4096];
    size_t nhog = 0, sz = (size_t)256 << 20, n, i, put = 0;
    unsigned char *b = (unsigned char *)malloc((size_t)100 << 10);
    mp_queue *q = mp_queue_new(0, 0);
    mp__u32 id, seq;
    int r;
    CHECK(q != NULL && b != NULL);
    while (sz >= ((size_t)4 << 20) && nhog < 4096) { /* leave the arena a few MiB */
        void *p = mp_shared_alloc(sz);
        if (p)
            hog[nhog++] = p;
        else
            sz /= 2;
    }
    for (;;) {
        qt_make(b, (mp__u32)put, 2, (size_t)100 << 10);
        r = mp_queue_put(q, b, (size_t)100 << 10, MP_FOREVER);
        if (r != MP_OK) break;
        put++;
    }
    CHECK_EQ(r, MP_ENOMEM);
    CHECK(put > 0);
    CHECK_EQ(mp_queue_qsize(q), (long)put);
    for (i = 0; i < nhog; i++) mp_shared_free(hog[i]);
    CHECK_EQ(mp_queue_put(q, "z", 1, 0), MP_OK);
    for (i = 0; i < put; i++) {
        CHECK_EQ(mp_queue_get(q, b, (size_t)100 << 10, &n, 0), MP_OK);
        CHECK(qt_valid(b, n, &id, &seq) && id == 2 && seq == i);
    }
    CHECK_EQ(mp_queue_get(q, b, 16, &n, 0), MP_OK);
    CHECK(n == 1 && b[0] == 'z');
    free(b);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* -- shutdown (Python 3.13's Queue.shutdown), ported from Lib/test/test_queue.py ------------ */
static int test_queue_shutdown(void) {
    char b[16];
    size_t n;
    int imm;
    mp_queue *q;
    /* test_shutdown_empty */
    for (imm = 0; imm < 2; imm++) {
        q = mp_queue_new(0, 0);
        CHECK(q != NULL);
        CHECK_EQ(mp_queue_shutdown(q, imm), MP_OK);
        CHECK_EQ(mp_queue_put(q, "data", 4, 0), MP_ESHUTDOWN);
        CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, MP_FOREVER), MP_ESHUTDOWN);
        CHECK_EQ(mp_queue_free(q), MP_OK);
    }
    /* test_shutdown_nonempty: gets drain, then ShutDown; immediate drops the items */
    for (imm = 0; imm < 2; imm++) {
        q = mp_queue_new(0, 1);
        CHECK(q != NULL);
        CHECK_EQ(mp_queue_put(q, "data", 4, 0), MP_OK);
        CHECK_EQ(mp_queue_shutdown(q, imm), MP_OK);
        CHECK_EQ(mp_queue_put(q, "more", 4, 0), MP_ESHUTDOWN);
        if (!imm) {
            CHECK_EQ(mp_queue_qsize(q), 1);
            CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
            CHECK(n == 4 && memcmp(b, "data", 4) == 0);
        } else {
            CHECK_EQ(mp_queue_qsize(q), 0);
        }
        CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, MP_FOREVER), MP_ESHUTDOWN);
        CHECK_EQ(mp_queue_free(q), MP_OK);
    }
    /* test_shutdown_allowed_transitions: then immediate is allowed; immediate stays */
    q = mp_queue_new(0, 0);
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, "x", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_shutdown(q, 0), MP_OK);
    CHECK_EQ(mp_queue_shutdown(q, 1), MP_OK);
    CHECK_EQ(mp_queue_qsize(q), 0);
    CHECK_EQ(mp_queue_shutdown(q, 0), MP_OK);
    CHECK_EQ(mp_queue_put(q, "y", 1, 0), MP_ESHUTDOWN);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_ESHUTDOWN);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* test_shutdown_immediate_put_join / _get_task_done_join: the dropped items are done */
    q = mp_joinable_queue_new(0, 0);
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, "Y", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_put(q, "Z", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK_EQ(mp_queue_join(q, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp_queue_shutdown(q, 1), MP_OK);
    CHECK_EQ(mp_queue_join(q, 0), MP_ETIMEDOUT); /* the one taken is not done yet */
    CHECK_EQ(mp_queue_task_done(q), MP_OK);
    CHECK_EQ(mp_queue_join(q, 0), MP_OK);
    CHECK_EQ(mp_queue_task_done(q), MP_EOVERFLOW);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    /* a bounded queue: the same */
    q = mp_queue_new(4096, 0);
    CHECK(q != NULL);
    CHECK_EQ(mp_queue_put(q, "x", 1, 0), MP_OK);
    CHECK_EQ(mp_queue_shutdown(q, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_OK);
    CHECK_EQ(mp_queue_get(q, b, sizeof b, &n, 0), MP_ESHUTDOWN);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}
/* Getters waiting on an empty queue and putters waiting on a full one, in other processes,
   wake at once with MP_ESHUTDOWN (test_shutdown_[immediate_]all_methods_in_many_threads). */
typedef struct qt_shut {
    mp_queue *empty, *full, *stream;
    mp__u32 waiting;
} qt_shut;
static int qt_shut_waiter(void *arg, size_t size) {
    qt_shut *s = *(qt_shut **)arg;
    static unsigned char big[20000];
    char b[16];
    size_t n;
    int r, kind = (int)(mp__fetch_add(&s->waiting, 1) % 3);
    (void)size;
    if (kind == 0)
        r = mp_queue_get(s->empty, b, sizeof b, &n, MP_FOREVER);
    else if (kind == 1)
        r = mp_queue_put(s->full, "w", 1, MP_FOREVER);
    else /* a stream into a 4 KiB ring that nobody reads */
        r = mp_queue_put(s->stream, big, sizeof big, MP_FOREVER);
    return r == MP_ESHUTDOWN ? 0 : 10 - r;
}
static int test_queue_shutdown_wakes_waiters(void) {
    qt_shut *s = (qt_shut *)mp_shared_alloc(sizeof *s);
    mp_process p[6];
    int imm, i, code;
    CHECK(s != NULL);
    for (imm = 0; imm < 2; imm++) {
        char b[16];
        size_t n;
        s->empty = mp_queue_new(0, 0);
        s->full = mp_queue_new(0, 1);
        s->stream = mp_queue_new(4096, 0);
        s->waiting = 0;
        CHECK(s->empty && s->full && s->stream);
        CHECK_EQ(mp_queue_put(s->full, "f", 1, 0), MP_OK);
        for (i = 0; i < 6; i++) {
            CHECK_EQ(mp_process_init(&p[i], qt_shut_waiter, &s, sizeof s, NULL), MP_OK);
            mp_process_set_daemon(&p[i], 1);
            CHECK_EQ(mp_process_start(&p[i]), MP_OK);
        }
        /* wait until they sleep: 2 getters, 2 putters, and 2 streams (one waits for the other) */
        while (mp__load(&s->empty->readable.waiters) + mp__load(&s->full->writable.waiters) +
                   mp__load(&s->stream->writable.waiters) <
               6)
            mp__os_sleep(0.001);
        CHECK_EQ(mp_queue_shutdown(s->empty, imm), MP_OK);
        CHECK_EQ(mp_queue_shutdown(s->full, imm), MP_OK);
        CHECK_EQ(mp_queue_shutdown(s->stream, imm), MP_OK);
        for (i = 0; i < 6; i++) {
            CHECK_EQ(mp_process_join(&p[i], 30), MP_OK);
            CHECK_EQ(mp_process_exitcode(&p[i], &code), 1);
            CHECK_EQ(code, 0);
            mp_process_close(&p[i]);
        }
        /* the full queue's item: kept for a drain, or dropped */
        CHECK_EQ(mp_queue_get(s->full, b, sizeof b, &n, 0), imm ? MP_ESHUTDOWN : MP_OK);
        CHECK_EQ(mp_queue_get(s->stream, b, sizeof b, &n, 0), MP_ESHUTDOWN);
        CHECK_EQ(mp_queue_qsize(s->stream), 0);
        CHECK_EQ(mp_queue_free(s->empty), MP_OK);
        CHECK_EQ(mp_queue_free(s->full), MP_OK);
        CHECK_EQ(mp_queue_free(s->stream), MP_OK);
    }
    return 0;
}

/* -- put_many / get_many -------------------------------------------------------------------- */
static int test_queue_put_get_many(void) {
    mp_queue *q = mp_queue_new(4096, 0);
    const void *d[8];
    size_t s[8], sizes[8], done = 99, got = 99, i;
    static unsigned char big[3000], buf[8192];
    char one[8] = "abcdefg";
    CHECK(q != NULL);
    for (i = 0; i < 8; i++) d[i] = one, s[i] = i;
    CHECK_EQ(mp_queue_put_many(q, d, s, 8, &done, 0), MP_OK);
    CHECK_EQ(done, 8);
    CHECK_EQ(mp_queue_qsize(q), 8);
    CHECK_EQ(mp_queue_get_many(q, buf, 10, sizes, 8, &got, 0), MP_OK); /* 0+1+2+3+4 fit */
    CHECK_EQ(got, 5);
    for (i = 0; i < got; i++) CHECK_EQ(sizes[i], i);
    CHECK(memcmp(buf, "aababcabcd", 10) == 0);
    CHECK_EQ(mp_queue_get_many(q, buf, 4, sizes, 8, &got, 0), MP_ETOOBIG); /* 5 > 4 */
    CHECK_EQ(sizes[0], 5);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 8, &got, 0), MP_OK);
    CHECK_EQ(got, 3);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 8, &got, 0), MP_EEMPTY);
    CHECK_EQ(got, 0);
    /* a streamed message in the middle, and a full ring: the timeout ends it */
    d[1] = big;
    s[1] = sizeof big;
    fill(big, sizeof big, 3);
    CHECK_EQ(mp_queue_put_many(q, d, s, 3, &done, 0), MP_OK); /* streams, with no reader */
    CHECK_EQ(done, 3);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 8, &got, 0), MP_OK);
    CHECK_EQ(got, 1); /* the stream is taken alone */
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 8, &got, 0), MP_OK);
    CHECK(got == 2 && sizes[0] == sizeof big && check_fill(buf, sizeof big, 3));
    CHECK(sizes[1] == 2 && memcmp(buf + sizeof big, "ab", 2) == 0); /* the next, whole */
    for (i = 0; i < 8; i++) d[i] = big, s[i] = 1000;
    CHECK_EQ(mp_queue_put_many(q, d, s, 8, &done, 0.01), MP_EFULL);
    CHECK_EQ(done, 4); /* 4 records of 1008 bytes fill a 4 KiB ring */
    /* bad input */
    CHECK_EQ(mp_queue_put_many(q, NULL, s, 1, &done, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(q, d, s, 0, NULL, 0), MP_OK);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, NULL, 8, &got, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 0, &got, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(q, buf, sizeof buf, sizes, 8, NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_put_many(NULL, d, s, 1, &done, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_get_many(q, NULL, 8, sizes, 8, &got, 0), MP_EINVAL);
    d[0] = NULL;
    CHECK_EQ(mp_queue_put_many(q, d, s, 1, &done, 0), MP_EINVAL);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* -- an unbounded queue whose producer and consumer are killed at random moments ----------- */
/* In the fast paths (one lock each), in the middle of growing the ring, in put_many and
   get_many: what arrives is whole and in order, the consumer loses at most what it was
   taking, the queue goes on with an exact count, and nobody hangs. */
typedef struct qt_kill {
    mp_queue *q;
    unsigned seed;
    mp__u32 last; /* the consumer's last seq seen, plus 1 */
    mp__u32 bad, started_p, started_c;
} qt_kill;
static int qt_kill_producer(void *arg, size_t size) {
    qt_kill *k = *(qt_kill **)arg;
    unsigned rng = k->seed;
    unsigned char *b = (unsigned char *)malloc((size_t)8 * 70000);
    mp__u32 seq;
    (void)size;
    if (!b) return 2;
    mp__store(&k->started_p, 1);
    for (seq = 0;;) {
        unsigned mode = qt_rand(&rng) % 4;
        if (mode == 0) { /* a batch of small ones */
            const void *d[8];
            size_t s[8], done, i;
            for (i = 0; i < 8; i++) {
                s[i] = 16 + qt_rand(&rng) % 100;
                qt_make(b + i * 128, seq + (mp__u32)i, 3, s[i]);
                d[i] = b + i * 128;
            }
            if (mp_queue_put_many(k->q, d, s, 8, &done, MP_FOREVER) != MP_OK) return 3;
            seq += 8;
        } else { /* one, now and then big enough to grow the ring */
            size_t n = mode == 1 ? 16 + qt_rand(&rng) % 60000 : 16 + qt_rand(&rng) % 200;
            qt_make(b, seq, 3, n);
            if (mp_queue_put(k->q, b, n, MP_FOREVER) != MP_OK) return 4;
            seq++;
        }
    }
}
static int qt_kill_consumer(void *arg, size_t size) {
    qt_kill *k = *(qt_kill **)arg;
    unsigned char *b = (unsigned char *)malloc((size_t)1 << 20);
    unsigned rng = k->seed * 3u + 1u;
    (void)size;
    if (!b) return 2;
    mp__store(&k->started_c, 1);
    for (;;) {
        size_t sizes[8], got = 0, i, off = 0;
        mp__u32 id, seq;
        int r;
        if (qt_rand(&rng) % 2) {
            r = mp_queue_get_many(k->q, b, (size_t)1 << 20, sizes, 8, &got, MP_FOREVER);
        } else {
            r = mp_queue_get(k->q, b, (size_t)1 << 20, &sizes[0], MP_FOREVER);
            got = 1;
        }
        if (r != MP_OK) return 3;
        for (i = 0; i < got; i++) {
            if (!qt_valid(b + off, sizes[i], &id, &seq) || id != 3 || seq + 1 <= k->last)
                mp__fetch_add(&k->bad, 1);
            else
                k->last = seq + 1;
            off += sizes[i];
        }
    }
}
static int test_queue_unbounded_killed(void) {
    qt_kill *k = (qt_kill *)mp_shared_alloc(sizeof *k);
    unsigned char *b = (unsigned char *)malloc((size_t)1 << 20);
    mp_queue *q = mp_queue_new(0, 0);
    unsigned rng = qt_seed(11);
    int round;
    CHECK(k != NULL && b != NULL && q != NULL);
    k->q = q;
    for (round = 0; round < test_rounds(10); round++) {
        mp_process p, c;
        mp__u32 id, seq, last;
        size_t n, i;
        int r;
        k->seed = qt_rand(&rng) | 1;
        k->last = 0;
        k->started_p = k->started_c = 0;
        CHECK_EQ(mp_process_init(&p, qt_kill_producer, &k, sizeof k, NULL), MP_OK);
        CHECK_EQ(mp_process_init(&c, qt_kill_consumer, &k, sizeof k, NULL), MP_OK);
        mp_process_set_daemon(&p, 1);
        mp_process_set_daemon(&c, 1);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        CHECK_EQ(mp_process_start(&c), MP_OK);
        while (!mp__load(&k->started_p) || !mp__load(&k->started_c)) mp__os_sleep(0.0005);
        for (i = qt_rand(&rng) % 200000; i > 0; i--) mp__pause();
        if (qt_rand(&rng) % 2) { /* in either order */
            CHECK_EQ(mp_process_kill(&p), MP_OK);
            for (i = qt_rand(&rng) % 20000; i > 0; i--) mp__pause();
            CHECK_EQ(mp_process_kill(&c), MP_OK);
        } else {
            CHECK_EQ(mp_process_kill(&c), MP_OK);
            for (i = qt_rand(&rng) % 20000; i > 0; i--) mp__pause();
            CHECK_EQ(mp_process_kill(&p), MP_OK);
        }
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        CHECK_EQ(mp_process_join(&c, 30), MP_OK);
        mp_process_close(&p);
        mp_process_close(&c);
        CHECK_EQ(k->bad, 0);
        /* the rest arrives whole, after what the consumer saw (it may have lost one) */
        last = k->last;
        while ((r = mp_queue_get(q, b, (size_t)1 << 20, &n, 0)) == MP_OK) {
            CHECK(qt_valid(b, n, &id, &seq) && id == 3 && seq + 1 > last);
            last = seq + 1;
        }
        CHECK_EQ(r, MP_EEMPTY);
        CHECK_EQ(mp_queue_qsize(q), 0);
        CHECK_EQ(mp_queue_put(q, "ok", 2, 5), MP_OK);
        CHECK_EQ(mp_queue_get(q, b, 16, &n, 5), MP_OK);
        CHECK(n == 2 && memcmp(b, "ok", 2) == 0);
    }
    free(b);
    CHECK_EQ(mp_queue_free(q), MP_OK);
    return 0;
}

/* A producer killed while it grows an unbounded queue's ring (the new block allocated, the
   records being copied into it) must not take the new block with it: the next process that
   takes the queue's locks frees it, and mp_queue_free frees a grown ring. Before, each such
   death leaked the block (up to half the arena: under Wine, whose arena is 256 MiB, one
   128 MiB leak in queue_unbounded_killed left the next tests of the run MP_ENOMEM). The
   producer puts 60 KB messages with no reader, so much of its time goes to growing. */
typedef struct qt_grow {
    mp_queue *q;
    volatile mp__u32 bytes_kib; /* put so far */
} qt_grow;
static int qt_grow_producer(void *arg, size_t size) {
    qt_grow *g = *(qt_grow **)arg;
    unsigned char *b = (unsigned char *)calloc(60000, 1);
    (void)size;
    if (!b) return 2;
    while (mp__load(&g->bytes_kib) < (16u << 10)) {
        if (mp_queue_put(g->q, b, 60000, 0) != MP_OK) return 3;
        mp__fetch_add(&g->bytes_kib, 60);
    }
    for (;;) mp__os_sleep(0.001); /* done: killed soon */
}
static int test_queue_grow_killed_no_leak(void) {
    qt_grow *g = (qt_grow *)mp_shared_alloc(sizeof *g);
    unsigned char *b = (unsigned char *)malloc(60000);
    unsigned rng = qt_seed(23);
    heap_stats base, now;
    int round, leaks = 0;
    CHECK(g != NULL && b != NULL);
    memset(&base, 0, sizeof base);
    for (round = 0; round < 1 + test_rounds(8); round++) {
        mp_process p;
        mp__u32 at = 256 + qt_rand(&rng) % (15u << 10);
        size_t n;
        int r;
        g->q = mp_queue_new(0, 0);
        g->bytes_kib = 0;
        CHECK(g->q != NULL);
        CHECK_EQ(mp_process_init(&p, qt_grow_producer, &g, sizeof g, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        while (mp__load(&g->bytes_kib) < at && mp_process_is_alive(&p)) mp__pause();
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_process_join(&p, 30), MP_OK);
        mp_process_close(&p);
        while ((r = mp_queue_get(g->q, b, 60000, &n, 0)) == MP_OK) CHECK_EQ(n, 60000);
        CHECK_EQ(r, MP_EEMPTY);
        CHECK_EQ(mp_queue_free(g->q), MP_OK);
        now = qt_heap();
        if (round == 0)
            base = now; /* what a process makes once, made */
        else if (now.free_units < base.free_units) {
            fprintf(stderr, "  round %d (killed after %u KiB): %lu KiB of the arena lost\n", round,
                    (unsigned)at, (unsigned long)((base.free_units - now.free_units) * 16 >> 10));
            leaks++;
            base = now;
        }
    }
    free(b);
    CHECK_EQ(leaks, 0);
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
    {"queue_dead_partner_states", test_queue_dead_partner_states},
    {"queue_get_deadline_in_stream", test_queue_get_deadline_in_stream},
    {"queue_edges", test_queue_edges},
    {"queue_corrupt", test_queue_corrupt},
    {"queue_stress_random_sizes", test_queue_stress_random_sizes},
    {"queue_unbounded_default", test_queue_unbounded_default},
    {"queue_unbounded_constant_memory", test_queue_unbounded_constant_memory},
    {"queue_unbounded_enomem", test_queue_unbounded_enomem},
    {"queue_shutdown", test_queue_shutdown},
    {"queue_shutdown_wakes_waiters", test_queue_shutdown_wakes_waiters},
    {"queue_put_get_many", test_queue_put_get_many},
    {"queue_unbounded_killed", test_queue_unbounded_killed},
    {"queue_grow_killed_no_leak", test_queue_grow_killed_no_leak},
    {NULL, NULL}};
