/* Pipe and wait: messages of every size between processes, duplex and simplex, EOF, a peer
   that dies, corrupt streams, every timeout, wait over connections and processes, the
   descriptors a spawned child holds, and bad input. */

typedef struct pipe_arg {
    mp_conn *a, *b; /* a: the parent's end, b: the child's */
    mp_conn *c, *d;
    shared_flags *f;
    mp__u64 size;
    int mode;
} pipe_arg;

static pipe_arg pipe_arg_of(void *arg) {
    pipe_arg a;
    memcpy(&a, arg, sizeof a);
    return a;
}
/* This process's OS handle of an end (the tests write garbage straight into it). */
static long long conn_handle(mp_conn *c) {
    mp__cent *e;
    return mp__conn_get(c, MP__CONN_R | MP__CONN_W, &e) == MP_OK ? e->h : -1;
}
static mp__u64 checksum(const unsigned char *p, size_t n) {
    mp__u64 h = 1469598103934665603ull;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h ^ n;
}
static void pipe_fill(unsigned char *p, size_t n, mp__u64 seed) {
    mp__u64 x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t i;
    for (i = 0; i < n; i++) {
        if ((i & 7) == 0) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        p[i] = (unsigned char)(x >> ((i & 7) * 8));
    }
}
static int start(mp_process *p, mp_target_fn fn, const pipe_arg *a) {
    if (mp_process_init(p, fn, a, sizeof *a, NULL) != MP_OK) return -1;
    return mp_process_start(p);
}
static int join_code(mp_process *p) {
    int code = -1000;
    if (mp_process_join(p, 60) != MP_OK) return -1001;
    mp_process_exitcode(p, &code);
    mp_process_close(p);
    return code;
}

/* Receives messages on b and sends each back, until EOF. */
static int echo_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    if (mp_conn_close(a.a) != MP_OK) return 2; /* the parent's end: not ours to use */
    for (;;) {
        void *m;
        size_t n;
        int r = mp_conn_recv_bytes_alloc(a.b, &m, &n, MP_FOREVER);
        if (r == MP_EOF) return 0;
        if (r != MP_OK) return 10 - r;
        r = mp_conn_send_bytes(a.b, m, n);
        mp_free(m);
        if (r != MP_OK) return 40 - r;
    }
}
static int pipe_test_message_sizes(void) {
    static const size_t sizes[] = {0, 1, 100, 65535, 65536, (1u << 20) + 7, 16u << 20, 64u << 20};
    pipe_arg a;
    mp_process p;
    unsigned char *buf = (unsigned char *)malloc(64u << 20);
    size_t i;
    CHECK(buf != NULL);
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, echo_child, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *back = NULL;
        size_t n = 12345;
        mp__u64 sum;
        pipe_fill(buf, sizes[i], i + 1);
        sum = checksum(buf, sizes[i]);
        CHECK_EQ(mp_conn_send_bytes(a.a, buf, sizes[i]), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &back, &n, 60), MP_OK);
        CHECK_EQ(n, sizes[i]);
        CHECK(checksum((unsigned char *)back, n) == sum);
        mp_free(back);
    }
    /* into a caller's buffer, the exact size */
    pipe_fill(buf, 100000, 99);
    CHECK_EQ(mp_conn_send_bytes(a.a, buf, 100000), MP_OK);
    {
        unsigned char *into = (unsigned char *)malloc(100000);
        size_t n = 0;
        CHECK(into != NULL);
        CHECK_EQ(mp_conn_recv_bytes(a.a, into, 100000, &n, 60), MP_OK);
        CHECK_EQ(n, 100000);
        CHECK(memcmp(into, buf, n) == 0);
        free(into);
    }
    CHECK_EQ(mp_conn_close(a.a), MP_OK); /* the child sees EOF and returns 0 */
    CHECK_EQ(join_code(&p), 0);
    free(buf);
    return 0;
}

static int talk_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    char buf[64];
    size_t n;
    int i;
    (void)size;
    mp_conn_close(a.a);
    if (mp_conn_send_bytes(a.b, "hello from the child", 20) != MP_OK) return 2;
    for (i = 0; i < 50; i++) {
        char want[32];
        if (mp_conn_recv_bytes(a.b, buf, sizeof buf, &n, 30) != MP_OK) return 3;
        sprintf(want, "question %d", i);
        if (n != strlen(want) || memcmp(buf, want, n) != 0) return 4;
        sprintf(buf, "answer %d", i * i);
        if (mp_conn_send_bytes(a.b, buf, strlen(buf)) != MP_OK) return 5;
    }
    /* both sides send before either receives: the two directions are independent */
    if (mp_conn_send_bytes(a.b, "crossing", 8) != MP_OK) return 6;
    if (mp_conn_recv_bytes(a.b, buf, sizeof buf, &n, 30) != MP_OK) return 7;
    return n == 8 && memcmp(buf, "crossing", 8) == 0 ? 0 : 8;
}
static int pipe_test_duplex_conversation(void) {
    pipe_arg a;
    mp_process p;
    char buf[64];
    size_t n = 0;
    int i;
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, talk_child, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_OK);
    CHECK_EQ(n, 20);
    CHECK(memcmp(buf, "hello from the child", 20) == 0);
    for (i = 0; i < 50; i++) {
        char want[32];
        sprintf(buf, "question %d", i);
        CHECK_EQ(mp_conn_send_bytes(a.a, buf, strlen(buf)), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_OK);
        sprintf(want, "answer %d", i * i);
        CHECK_EQ(n, strlen(want));
        CHECK(memcmp(buf, want, n) == 0);
    }
    CHECK_EQ(mp_conn_send_bytes(a.a, "crossing", 8), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_OK);
    CHECK_EQ(n, 8);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_EOF);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    return 0;
}

/* Simplex: a only receives, b only sends. */
static int simplex_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    char buf[8];
    size_t n;
    int i;
    (void)size;
    mp_conn_close(a.a);
    if (mp_conn_recv_bytes(a.b, buf, sizeof buf, &n, 0) != MP_EINVAL) return 2;
    for (i = 0; i < 10; i++)
        if (mp_conn_send_bytes(a.b, &i, sizeof i) != MP_OK) return 3;
    return 0;
}
static int pipe_test_simplex(void) {
    pipe_arg a;
    mp_process p;
    char buf[8];
    void *data = NULL;
    size_t n = 0;
    int i, v, ready[1];
    mp_conn *w[1];
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(0, &a.a, &a.b), MP_OK);
    /* the wrong direction, in this process */
    CHECK_EQ(mp_conn_send_bytes(a.a, "x", 1), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(a.b, buf, sizeof buf, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a.b, &data, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(a.b, 0), MP_EINVAL);
    w[0] = a.b;
    CHECK_EQ(mp_wait(w, 1, NULL, 0, 0, ready), MP_EINVAL);
    CHECK_EQ(start(&p, simplex_child, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    for (i = 0; i < 10; i++) {
        CHECK_EQ(mp_conn_recv_bytes(a.a, &v, sizeof v, &n, 30), MP_OK);
        CHECK_EQ(n, sizeof v);
        CHECK_EQ(v, i);
    }
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_EOF);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    /* the writer of a simplex pipe whose reader is closed: MP_EOF, no SIGPIPE */
    CHECK_EQ(mp_pipe(0, &a.a, &a.b), MP_OK);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(a.b, "x", 1), MP_EOF);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    return 0;
}

static int pipe_test_buffer_too_small(void) {
    mp_conn *a, *b;
    unsigned char msg[1000], buf[1000];
    void *p = NULL;
    size_t n = 0;
    pipe_fill(msg, sizeof msg, 7);
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(b, msg, sizeof msg), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(b, msg, 10), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(b, NULL, 0), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, 10, &n, 5), MP_ETOOBIG);
    CHECK_EQ(n, 1000);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, 999, &n, 0), MP_ETOOBIG); /* it stayed */
    CHECK_EQ(n, 1000);
    CHECK_EQ(mp_conn_recv_bytes(a, NULL, 0, &n, 0), MP_ETOOBIG);
    CHECK_EQ(mp_conn_poll(a, 0), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 1000);
    CHECK(memcmp(buf, msg, sizeof msg) == 0);
    /* a message that stayed can be taken by the allocating receive too */
    CHECK_EQ(mp_conn_recv_bytes(a, buf, 9, &n, 5), MP_ETOOBIG);
    CHECK_EQ(n, 10);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, &p, &n, 0), MP_OK);
    CHECK_EQ(n, 10);
    CHECK(memcmp(p, msg, 10) == 0);
    mp_free(p);
    CHECK_EQ(mp_conn_recv_bytes(a, NULL, 0, &n, 5), MP_OK); /* the empty message */
    CHECK_EQ(n, 0);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_ETIMEDOUT);
    mp_conn_close(a);
    mp_conn_close(b);
    return 0;
}

static int wait_go_pipe(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    flag_add(&a.f->ready);
    flag_wait(&a.f->go, 1);
    return 0;
}
static int pipe_test_timeouts(void) {
    pipe_arg a;
    mp_process p, *procs[1];
    mp_conn *conns[1];
    char buf[8];
    void *data = NULL;
    size_t n = 0;
    int ready[2];
    double t0;
    memset(&a, 0, sizeof a);
    a.f = flags_new();
    CHECK(a.f != NULL);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, wait_go_pipe, &a), MP_OK);
    flag_wait(&a.f->ready, 1);
    conns[0] = a.a;
    procs[0] = &p;
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &data, &n, 0), MP_ETIMEDOUT);
    CHECK(data == NULL);
    CHECK_EQ(mp_conn_poll(a.a, 0), MP_ETIMEDOUT);
    ready[0] = ready[1] = 7;
    CHECK_EQ(mp_wait(conns, 1, procs, 1, 0, ready), MP_ETIMEDOUT);
    CHECK(ready[0] == 0 && ready[1] == 0);
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &data, &n, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_poll(a.a, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    t0 = mp__os_now();
    CHECK_EQ(mp_wait(conns, 1, procs, 1, 0.1, ready), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    CHECK(mp__os_now() - t0 < 5);
    /* a message arrives: every wait says so at once */
    CHECK_EQ(mp_conn_send_bytes(a.b, "ok", 2), MP_OK);
    CHECK_EQ(mp_conn_poll(a.a, 0), MP_OK);
    CHECK_EQ(mp_conn_poll(a.a, 0.1), MP_OK);
    CHECK_EQ(mp_wait(conns, 1, procs, 1, 0, ready), 1);
    CHECK(ready[0] == 1 && ready[1] == 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 2);
    flag_set(&a.f->go, 1);
    CHECK_EQ(mp_wait(conns, 1, procs, 1, 30, ready), 1);
    CHECK(ready[0] == 0 && ready[1] == 1);
    CHECK_EQ(join_code(&p), 0);
    mp_conn_close(a.a);
    mp_conn_close(a.b);
    return 0;
}

/* Closes its end, says so, and waits. */
static int close_and_wait(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    mp_conn_close(a.a);
    if (a.mode == 0) mp_conn_close(a.b);
    flag_add(&a.f->ready);
    if (a.mode == 1) { /* wait in a receive, to be killed */
        char buf[4];
        size_t n;
        mp_conn_recv_bytes(a.b, buf, sizeof buf, &n, MP_FOREVER);
        return 3;
    }
    flag_wait(&a.f->go, 1);
    return 0;
}
static int pipe_test_eof(void) {
    pipe_arg a;
    mp_process p;
    mp_conn *conns[1];
    char buf[8];
    size_t n;
    int mode, ready[1];
    memset(&a, 0, sizeof a);
    for (mode = 0; mode < 2; mode++) { /* 0: the peer closes its end; 1: it is killed */
        a.f = flags_new();
        a.mode = mode;
        CHECK(a.f != NULL);
        CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
        CHECK_EQ(start(&p, close_and_wait, &a), MP_OK);
        CHECK_EQ(mp_conn_close(a.b), MP_OK); /* every copy of b must close for EOF */
        flag_wait(&a.f->ready, 1);
        if (mode == 1) {
            CHECK_EQ(mp_conn_poll(a.a, 0.05), MP_ETIMEDOUT); /* alive and holding b */
            CHECK_EQ(mp_process_kill(&p), MP_OK);
        }
        CHECK_EQ(mp_conn_poll(a.a, 30), MP_OK); /* EOF is ready */
        conns[0] = a.a;
        CHECK_EQ(mp_wait(conns, 1, NULL, 0, 30, ready), 1);
        CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_EOF);
        CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, MP_FOREVER), MP_EOF);
        /* writing to a closed peer: MP_EOF, and no SIGPIPE to kill this test */
        CHECK_EQ(mp_conn_send_bytes(a.a, "anyone?", 7), MP_EOF);
        CHECK_EQ(mp_conn_send_bytes(a.a, buf, 0), MP_EOF);
        flag_set(&a.f->go, 1);
        if (mode == 0)
            CHECK_EQ(join_code(&p), 0);
        else
            CHECK_EQ(join_code(&p), -9);
        CHECK_EQ(mp_conn_close(a.a), MP_OK);
    }
    return 0;
}

static int send_big(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    unsigned char *buf = (unsigned char *)calloc(1, (size_t)a.size);
    (void)size;
    mp_conn_close(a.a);
    if (!buf) return 2;
    mp_conn_send_bytes(a.b, buf, (size_t)a.size); /* blocks: nobody reads until we die */
    return 3;
}
static int pipe_test_peer_killed_mid_message(void) {
    pipe_arg a;
    mp_process p;
    mp_conn *conns[1];
    void *data = NULL;
    size_t n = 1;
    int ready[1];
    memset(&a, 0, sizeof a);
    a.size = 64u << 20;
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, send_big, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    CHECK_EQ(mp_conn_poll(a.a, 30), MP_OK); /* the message has begun */
    mp__os_sleep(0.05);
    CHECK_EQ(mp_process_kill(&p), MP_OK);
    CHECK_EQ(join_code(&p), -9);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &data, &n, 30), MP_ECORRUPT);
    CHECK(data == NULL);
    CHECK_EQ(n, 0);
    /* broken for good, and a broken connection is "ready" (its answer is waiting) */
    CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &data, &n, 30), MP_ECORRUPT);
    CHECK_EQ(mp_conn_recv_bytes(a.a, NULL, 0, &n, 0), MP_ECORRUPT);
    CHECK_EQ(mp_conn_poll(a.a, 0), MP_OK);
    conns[0] = a.a;
    CHECK_EQ(mp_wait(conns, 1, NULL, 0, 0, ready), 1);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    return 0;
}

/* Garbage written straight into the OS handle; the sender's copies then close. */
static int write_junk_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    unsigned char junk[3000];
    (void)size;
    mp_conn_close(a.a);
    pipe_fill(junk, sizeof junk, a.size);
    return mp__os_send(conn_handle(a.b), junk, (size_t)(a.size % sizeof junk) + 1, NULL, 0) == MP_OK
               ? 0
               : 2;
}
static int expect_corrupt(mp_conn *a) {
    unsigned char buf[64];
    void *data = NULL;
    size_t n = 0;
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 30), MP_ECORRUPT);
    CHECK(data == NULL);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 30), MP_ECORRUPT);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, MP_FOREVER), MP_ECORRUPT);
    CHECK_EQ(mp_conn_poll(a, 0), MP_OK);
    return 0;
}
/* A whole head (header and padding), with a header that may be wrong. */
static void put_header(unsigned char *h, mp__u32 magic, mp__u64 n, int good_check) {
    memset(h, 0, MP__HEAD);
    mp__put32(h, magic);
    mp__put32(h + 4, mp__hdr_check(n) ^ (good_check ? 0u : 1u));
    mp__put32(h + 8, (mp__u32)n);
    mp__put32(h + 12, (mp__u32)(n >> 32));
}
static int pipe_test_fuzz(void) {
    unsigned char junk[4096], h[MP__HEAD];
    mp_conn *a, *b;
    mp__u64 seed;
    int k;
    for (seed = 1; seed <= 12; seed++) { /* random bytes of random lengths, in this process */
        size_t len = (size_t)(seed * 997 % sizeof junk) + 1;
        CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
        pipe_fill(junk, len, seed);
        CHECK_EQ(mp__os_send(conn_handle(b), junk, len, NULL, 0), MP_OK);
        CHECK_EQ(mp_conn_close(b), MP_OK);
        CHECK_EQ(expect_corrupt(a), 0);
        CHECK_EQ(mp_conn_close(a), MP_OK);
    }
    for (k = 0; k < 6; k++) { /* headers that are almost right */
        CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
        CHECK_EQ(mp_conn_send_bytes(b, "fine", 4), MP_OK); /* good messages first */
        CHECK_EQ(mp_conn_send_bytes(b, NULL, 0), MP_OK);
        if (k == 0) put_header(h, MP__MSG_MAGIC, 1000, 1); /* truncated: 122 bytes of 1000 */
        if (k == 1) put_header(h, MP__MSG_MAGIC, (mp__u64)MP_MESSAGE_MAX + 1, 1); /* too big */
        if (k == 2) put_header(h, MP__MSG_MAGIC, (mp__u64)-1, 1);
        if (k == 3) put_header(h, MP__MSG_MAGIC, 4, 0);      /* bad check */
        if (k == 4) put_header(h, MP__MSG_MAGIC ^ 1u, 4, 1); /* bad magic */
        if (k == 5) put_header(h, MP__MSG_MAGIC, 4, 1);      /* a head cut short */
        CHECK_EQ(mp__os_send(conn_handle(b), h, k == 5 ? 7 : sizeof h, "0123456789", 10), MP_OK);
        CHECK_EQ(mp_conn_close(b), MP_OK);
        {
            char buf[8];
            size_t n = 0;
            CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 30), MP_OK);
            CHECK_EQ(n, 4);
            CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 30), MP_OK);
            CHECK_EQ(n, 0);
        }
        CHECK_EQ(expect_corrupt(a), 0);
        CHECK_EQ(mp_conn_close(a), MP_OK);
    }
    for (seed = 100; seed < 104; seed++) { /* from another process, which then ends */
        pipe_arg pa;
        mp_process p;
        memset(&pa, 0, sizeof pa);
        pa.size = seed * 7919;
        CHECK_EQ(mp_pipe(1, &pa.a, &pa.b), MP_OK);
        CHECK_EQ(start(&p, write_junk_child, &pa), MP_OK);
        CHECK_EQ(mp_conn_close(pa.b), MP_OK);
        CHECK_EQ(join_code(&p), 0);
        CHECK_EQ(expect_corrupt(pa.a), 0);
        CHECK_EQ(mp_conn_close(pa.a), MP_OK);
    }
    return 0;
}

/* A head that arrives in pieces, or stops: a receive with a timeout times out (keeping what
   it read) instead of hanging, and the next one goes on from there. */
static int pipe_test_stalled_head(void) {
    unsigned char msg[MP__HEAD + 200], buf[200];
    mp_conn *a, *b;
    long long hb;
    size_t n = 0;
    double t0;
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    hb = conn_handle(b);
    put_header(msg, MP__MSG_MAGIC, 200, 1);
    pipe_fill(msg + MP__HDR, 200, 5); /* the message's bytes follow the header directly */
    CHECK_EQ(mp__os_send(hb, msg, 5, NULL, 0), MP_OK);
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0.1), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.09);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp__os_send(hb, msg + 5, 50, NULL, 0), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp_conn_poll(a, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp__os_send(hb, msg + 55, MP__HDR + 200 - 55, NULL, 0), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0.5), MP_OK);
    CHECK_EQ(n, 200);
    CHECK(memcmp(buf, msg + MP__HDR, 200) == 0);
    /* garbage that stops short of a head, its writer still there: no hang */
    CHECK_EQ(mp__os_send(hb, "garbage", 7, NULL, 0), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0.05), MP_ETIMEDOUT);
    CHECK_EQ(mp_conn_close(b), MP_OK);
    CHECK_EQ(expect_corrupt(a), 0);
    CHECK_EQ(mp_conn_close(a), MP_OK);
    return 0;
}

/* Issue 8: a header that announces 1 GiB, then silence. The receive times out in time, and
   what it allocated is bounded by what came, not by what the header announced; when the
   writer goes, MP_ECORRUPT. */
static size_t body_cap(mp_conn *c) { /* what this process holds of a message in progress */
    mp__cent *e;
    return mp__conn_get(c, MP__CONN_R, &e) == MP_OK ? e->cap : (size_t)-1;
}
static int pipe_test_crafted_header(void) {
    unsigned char h[MP__HEAD], junk[1000];
    mp_conn *a, *b;
    void *data = NULL;
    size_t n = 7;
    double t0, took;
    int alloc;
    for (alloc = 0; alloc < 2; alloc++) {
        CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
        put_header(h, MP__MSG_MAGIC, (mp__u64)MP_MESSAGE_MAX, 1);
        pipe_fill(junk, sizeof junk, 3);
        CHECK_EQ(mp__os_send(conn_handle(b), h, sizeof h, junk, sizeof junk), MP_OK);
        t0 = mp__os_now();
        if (alloc) {
            CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 1.0), MP_ETIMEDOUT);
            CHECK(data == NULL);
            CHECK_EQ(n, 0);
        } else {
            unsigned char small[64];
            CHECK_EQ(mp_conn_recv_bytes(a, small, sizeof small, &n, 1.0), MP_ETOOBIG);
            CHECK_EQ(n, MP_MESSAGE_MAX);
            CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 1.0), MP_ETIMEDOUT);
        }
        took = mp__os_now() - t0;
        CHECK(took < 4.0);                       /* generous: before the fix it never returned */
        CHECK(body_cap(a) <= ((size_t)1 << 20)); /* not the 1 GiB announced */
        CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 0), MP_ETIMEDOUT);
        CHECK(body_cap(a) <= ((size_t)1 << 20));
        CHECK_EQ(mp_conn_poll(a, 0), MP_ETIMEDOUT); /* nothing more to read */
        CHECK_EQ(mp_conn_close(b), MP_OK);          /* the writer goes */
        CHECK_EQ(mp_conn_poll(a, 5), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, alloc ? MP_FOREVER : 5), MP_ECORRUPT);
        CHECK(data == NULL);
        CHECK_EQ(body_cap(a), 0); /* given back */
        CHECK_EQ(expect_corrupt(a), 0);
        CHECK_EQ(mp_conn_close(a), MP_OK);
    }
    return 0;
}

/* A message that comes in pieces, with receives that time out between them (allocating and
   not, alternately): each keeps what came, and the last one has the whole message. */
static int pipe_test_body_in_pieces(void) {
    enum { SIZE = 300000 };
    unsigned char *msg = (unsigned char *)malloc(MP__HDR + SIZE),
                  *buf = (unsigned char *)malloc(SIZE);
    size_t sent = 0, n = 0;
    mp_conn *a, *b;
    void *data = NULL;
    int round;
    CHECK(msg && buf);
    for (round = 0; round < 2; round++) {
        int k = 0;
        CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
        put_header(msg, MP__MSG_MAGIC, SIZE, 1);
        pipe_fill(msg + MP__HDR, SIZE, 11 + (mp__u64)round);
        sent = 0;
        while (sent < MP__HDR + SIZE) {
            size_t step = 1000 + (size_t)k * 7919 % 60000;
            int r;
            if (step > MP__HDR + SIZE - sent) step = MP__HDR + SIZE - sent;
            CHECK_EQ(mp__os_send(conn_handle(b), msg + sent, step, NULL, 0), MP_OK);
            sent += step;
            if (sent == MP__HDR + SIZE) break;
            if ((k + round) % 2)
                r = mp_conn_recv_bytes_alloc(a, &data, &n, k % 3 ? 0 : 0.01);
            else
                r = mp_conn_recv_bytes(a, buf, SIZE, &n, k % 3 ? 0 : 0.01);
            CHECK_EQ(r, MP_ETIMEDOUT);
            CHECK_EQ(mp_conn_poll(a, 0), MP_ETIMEDOUT); /* all of it taken: nothing to read */
            CHECK(body_cap(a) <= ((size_t)1 << 20));    /* at most the first step of growth */
            k++;
        }
        CHECK(k > 3);
        if (round) {
            CHECK_EQ(mp_conn_recv_bytes(a, buf, SIZE, &n, 5), MP_OK);
            CHECK_EQ(n, SIZE);
            CHECK(memcmp(buf, msg + MP__HDR, SIZE) == 0);
        } else {
            CHECK_EQ(mp_conn_recv_bytes(a, buf, 10, &n, 5), MP_ETOOBIG); /* it stays */
            CHECK_EQ(mp_conn_poll(a, 0), MP_OK);                         /* whole, here */
            CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 5), MP_OK);
            CHECK_EQ(n, SIZE);
            CHECK(memcmp(data, msg + MP__HDR, SIZE) == 0);
            mp_free(data);
        }
        CHECK_EQ(body_cap(a), 0);
        CHECK_EQ(mp_conn_send_bytes(b, "next", 4), MP_OK); /* the stream goes on */
        CHECK_EQ(mp_conn_recv_bytes(a, buf, SIZE, &n, 5), MP_OK);
        CHECK_EQ(n, 4);
        mp_conn_close(a);
        mp_conn_close(b);
    }
    free(msg);
    free(buf);
    return 0;
}

/* wait over three connections and two processes. Each child closes every end it inherited
   but the one it uses (child 0: none, child 1: w[0]). */
typedef struct wait_arg {
    mp_conn *r[3], *w[3];
    shared_flags *f;
    int which;
} wait_arg;
static int wait_child(void *arg, size_t size) {
    wait_arg a;
    int i;
    (void)size;
    memcpy(&a, arg, sizeof a);
    for (i = 0; i < 3; i++) {
        mp_conn_close(a.r[i]);
        if (!(a.which == 1 && i == 0)) mp_conn_close(a.w[i]);
    }
    flag_add(&a.f->ready);
    flag_wait(&a.f->go, a.which == 0 ? 1 : 2);
    if (a.which == 0) return 0;
    if (mp_conn_send_bytes(a.w[0], "from 1", 6) != MP_OK) return 2;
    flag_wait(&a.f->go, 3);
    return 0;
}
static int pipe_test_wait_many(void) {
    wait_arg a;
    mp_process p[2], *procs[2];
    int i, ready[5];
    char buf[16];
    size_t n;
    memset(&a, 0, sizeof a);
    a.f = flags_new();
    CHECK(a.f != NULL);
    for (i = 0; i < 3; i++) CHECK_EQ(mp_pipe(0, &a.r[i], &a.w[i]), MP_OK);
    for (i = 0; i < 2; i++) {
        a.which = i;
        CHECK_EQ(mp_process_init(&p[i], wait_child, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p[i]), MP_OK);
        procs[i] = &p[i];
    }
    flag_wait(&a.f->ready, 2);
    for (i = 0; i < 5; i++) ready[i] = 9;
    CHECK_EQ(mp_wait(a.r, 3, procs, 2, 0, ready), MP_ETIMEDOUT);
    for (i = 0; i < 5; i++) CHECK_EQ(ready[i], 0);
    /* a message on the middle one */
    CHECK_EQ(mp_conn_send_bytes(a.w[1], "m", 1), MP_OK);
    CHECK_EQ(mp_wait(a.r, 3, procs, 2, 30, ready), 1);
    CHECK(!ready[0] && ready[1] && !ready[2] && !ready[3] && !ready[4]);
    CHECK_EQ(mp_conn_recv_bytes(a.r[1], buf, sizeof buf, &n, 0), MP_OK);
    /* EOF on the last one: its last writer (ours) closes */
    CHECK_EQ(mp_conn_close(a.w[2]), MP_OK);
    CHECK_EQ(mp_wait(a.r, 3, procs, 2, 30, ready), 1);
    CHECK(!ready[0] && !ready[1] && ready[2] && !ready[3] && !ready[4]);
    CHECK_EQ(mp_conn_recv_bytes(a.r[2], buf, sizeof buf, &n, 0), MP_EOF);
    /* child 0 ends: wait returns for it (r[2] at EOF stays ready) */
    flag_set(&a.f->go, 1);
    CHECK_EQ(mp_wait(NULL, 0, procs, 2, 30, ready), 1);
    CHECK(ready[0] && !ready[1]);
    CHECK_EQ(mp_wait(a.r, 3, procs, 2, 0, ready), 2);
    CHECK(!ready[0] && !ready[1] && ready[2] && ready[3] && !ready[4]);
    CHECK_EQ(mp_process_join(&p[0], 30), MP_OK);
    CHECK_EQ(mp_wait(NULL, 0, procs, 2, 0, ready), 1); /* joined: still ready */
    CHECK(ready[0] && !ready[1]);
    /* child 1 sends on r[0] from the other process; wait on r[0], r[1] wakes for it */
    CHECK_EQ(mp_conn_close(a.w[0]), MP_OK);
    flag_set(&a.f->go, 2);
    CHECK_EQ(mp_wait(a.r, 2, procs + 1, 1, 30, ready), 1);
    CHECK(ready[0] && !ready[1] && !ready[2]);
    CHECK_EQ(mp_conn_recv_bytes(a.r[0], buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 6);
    flag_set(&a.f->go, 3);
    CHECK_EQ(mp_wait(NULL, 0, procs + 1, 1, 30, ready), 1);
    CHECK_EQ(ready[0], 1);
    CHECK_EQ(mp_wait(a.r, 1, NULL, 0, 30, NULL), 1); /* r[0] at EOF now; ready may be NULL */
    for (i = 0; i < 2; i++) CHECK_EQ(join_code(&p[i]), 0);
    for (i = 0; i < 3; i++) {
        mp_conn_close(a.r[i]);
        mp_conn_close(a.w[i]);
    }
    return 0;
}

/* Started before the pipe existed: the end is not open here. */
static int late_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    mp_conn *late;
    (void)size;
    flag_add(&a.f->ready);
    flag_wait(&a.f->go, 1);
    memcpy(&late, (const void *)a.f->values, sizeof late);
    if (mp_conn_send_bytes(late, "x", 1) != MP_ECLOSED) return 2;
    if (mp_conn_poll(late, 0) != MP_ECLOSED) return 3;
    if (mp_conn_close(late) != MP_OK) return 4;
    return 0;
}
static volatile double nan_zero_pipe = 0;
static int pipe_test_bad_input(void) {
    mp_conn *a, *b, *c[1];
    mp_process p, q, *procs[1];
    pipe_arg pa;
    char buf[8];
    void *data;
    size_t n;
    int local = 0, ready[2];
    CHECK_EQ(mp_pipe(1, NULL, &b), MP_EINVAL);
    CHECK_EQ(mp_pipe(1, &a, NULL), MP_EINVAL);
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(NULL, "x", 1), MP_EINVAL);
    CHECK_EQ(mp_conn_send_bytes((mp_conn *)(void *)&local, "x", 1), MP_EINVAL);
    CHECK_EQ(mp_conn_send_bytes(a, NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_conn_send_bytes(a, buf, MP_MESSAGE_MAX + 1), MP_ETOOBIG);
    CHECK_EQ(mp_conn_poll(b, 0), MP_ETIMEDOUT); /* nothing was written */
    CHECK_EQ(mp_conn_recv_bytes(NULL, buf, sizeof buf, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(a, NULL, 4, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, -1), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, nan_zero_pipe / nan_zero_pipe), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, NULL, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, -0.5), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(a, -1), MP_EINVAL);
    CHECK_EQ(mp_conn_close(NULL), MP_EINVAL);
    CHECK_EQ(mp_conn_close((mp_conn *)(void *)&local), MP_EINVAL);
    c[0] = a;
    CHECK_EQ(mp_wait(c, -1, NULL, 0, 0, ready), MP_EINVAL);
    CHECK_EQ(mp_wait(NULL, 1, NULL, 0, 0, ready), MP_EINVAL);
    CHECK_EQ(mp_wait(c, 1, NULL, 1, 0, ready), MP_EINVAL);
    CHECK_EQ(mp_wait(NULL, 0, NULL, 0, 0, ready), MP_EINVAL); /* nothing to wait for */
    CHECK_EQ(mp_wait(c, 1, NULL, 0, -1, ready), MP_EINVAL);
    CHECK_EQ(mp_process_init(&q, ret_arg, &local, sizeof local, NULL), MP_OK);
    procs[0] = &q;
    CHECK_EQ(mp_wait(c, 1, procs, 1, 0, ready), MP_ENOTSTARTED);
    mp_process_close(&q);
    CHECK_EQ(mp_wait(c, 1, procs, 1, 0, ready), MP_ECLOSED);
    /* closed: every use answers MP_ECLOSED; closing again is fine */
    CHECK_EQ(mp_conn_close(a), MP_OK);
    CHECK_EQ(mp_conn_close(a), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(a, "x", 1), MP_ECLOSED);
    CHECK_EQ(mp_conn_recv_bytes(a, buf, sizeof buf, &n, 0), MP_ECLOSED);
    CHECK_EQ(mp_conn_recv_bytes_alloc(a, &data, &n, 0), MP_ECLOSED);
    CHECK_EQ(mp_conn_poll(a, 0), MP_ECLOSED);
    CHECK_EQ(mp_wait(c, 1, NULL, 0, 0, ready), MP_ECLOSED);
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, 5), MP_EOF);
    CHECK_EQ(mp_conn_close(b), MP_OK);
    /* a pipe made after a child started is not open in that child */
    memset(&pa, 0, sizeof pa);
    pa.f = flags_new();
    CHECK(pa.f != NULL);
    CHECK_EQ(start(&p, late_child, &pa), MP_OK);
    flag_wait(&pa.f->ready, 1);
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    memcpy((void *)pa.f->values, &a, sizeof a);
    flag_set(&pa.f->go, 1);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_send_bytes(a, "still", 5), MP_OK); /* ours still works */
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, 5), MP_OK);
    mp_conn_close(a);
    mp_conn_close(b);
    return 0;
}

/* Issue 8: sizes at the limits and extreme timeouts, on every pipe function. */
static int pipe_test_bad_input_limits(void) {
    double nan = nan_zero_pipe / nan_zero_pipe, inf = 1.0 / nan_zero_pipe;
    double big[4];
    mp_conn *a, *b, *w[2];
    mp_lock *l = mp_lock_new();
    char buf[16];
    void *data = NULL;
    size_t n = 0;
    int i, ready[2];
    big[0] = inf;
    big[1] = MP_FOREVER;
    big[2] = 1e20;
    big[3] = 5e8;
    CHECK(l != NULL);
    CHECK_EQ(mp_pipe(1, &a, &b), MP_OK);
    /* a size near SIZE_MAX: refused before anything is written, with no overflow */
    CHECK_EQ(mp_conn_send_bytes(a, buf, (size_t)-1), MP_ETOOBIG);
    CHECK_EQ(mp_conn_send_bytes(a, buf, (size_t)-1 - MP__HDR + 1), MP_ETOOBIG);
    CHECK_EQ(mp_conn_send_bytes(a, buf, (size_t)-1 / 2 + 1), MP_ETOOBIG);
    CHECK_EQ(mp_conn_send_bytes(a, NULL, (size_t)-1), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(b, 0), MP_ETIMEDOUT);
    /* a pointer that is no end, bad timeouts */
    CHECK_EQ(mp_conn_send_bytes((mp_conn *)(void *)l, "x", 1), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes((mp_conn *)(void *)l, buf, sizeof buf, &n, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_poll((mp_conn *)(void *)l, 0), MP_EINVAL);
    CHECK_EQ(mp_conn_close((mp_conn *)(void *)l), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, nan), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, -inf), MP_EINVAL);
    CHECK_EQ(mp_conn_recv_bytes_alloc(b, &data, &n, nan), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(b, nan), MP_EINVAL);
    CHECK_EQ(mp_conn_poll(b, -1e-9), MP_EINVAL);
    w[0] = b;
    w[1] = NULL;
    CHECK_EQ(mp_wait(w, 1, NULL, 0, nan, ready), MP_EINVAL);
    CHECK_EQ(mp_wait(w, 2, NULL, 0, 0, ready), MP_EINVAL); /* a NULL among them */
    CHECK_EQ(mp_wait(w, 0x7fffffff, NULL, 0, 0, ready), MP_EINVAL);
    CHECK_EQ(mp_wait(NULL, 0, NULL, -1, 0, ready), MP_EINVAL);
    /* huge timeouts, where the answer is at hand; a cap of SIZE_MAX is only compared */
    for (i = 0; i < 4; i++) {
        CHECK_EQ(mp_conn_send_bytes(a, "0123456789", 10), MP_OK);
        CHECK_EQ(mp_conn_poll(b, big[i]), MP_OK);
        CHECK_EQ(mp_wait(w, 1, NULL, 0, big[i], ready), 1);
        if (i % 2) {
            CHECK_EQ(mp_conn_recv_bytes(b, buf, (size_t)-1, &n, big[i]), MP_OK);
            CHECK(memcmp(buf, "0123456789", 10) == 0);
        } else {
            CHECK_EQ(mp_conn_recv_bytes_alloc(b, &data, &n, big[i]), MP_OK);
            CHECK(memcmp(data, "0123456789", 10) == 0);
            mp_free(data);
        }
        CHECK_EQ(n, 10);
    }
    CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, 1e-300), MP_ETIMEDOUT);
    CHECK_EQ(mp_conn_close(a), MP_OK);
    for (i = 0; i < 4; i++) CHECK_EQ(mp_conn_recv_bytes(b, buf, sizeof buf, &n, big[i]), MP_EOF);
    CHECK_EQ(mp_conn_close(b), MP_OK);
    CHECK_EQ(mp_conn_close(b), MP_OK);
    CHECK_EQ(mp_lock_free(l), MP_OK);
    return 0;
}

/* A child that starts a grandchild; the grandchild sends on an end that it got from its
   parent, who got it from ours; both the pointer and the handle travel two generations. */
static int grandchild_send(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    mp_conn_close(a.a);
    return mp_conn_send_bytes(a.b, "from the grandchild", 19) == MP_OK ? 0 : 2;
}
static int middle_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    mp_process g;
    int code = -1;
    (void)size;
    mp_conn_close(a.a);
    if (mp_process_init(&g, grandchild_send, &a, sizeof a, NULL) != MP_OK) return 2;
    if (mp_process_start(&g) != MP_OK) return 3;
    mp_conn_close(a.b);
    if (mp_process_join(&g, 30) != MP_OK) return 4;
    mp_process_exitcode(&g, &code);
    mp_process_close(&g);
    return code;
}
static int pipe_test_grandchild(void) {
    pipe_arg a;
    mp_process p;
    char buf[32];
    size_t n = 0;
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, middle_child, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_OK);
    CHECK_EQ(n, 19);
    CHECK(memcmp(buf, "from the grandchild", 19) == 0);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_EOF);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    return 0;
}

/* The arena object goes when the last copy closes: a child that returns closes its own. */
static int just_return(void *arg, size_t size) {
    (void)arg;
    (void)size;
    return 0;
}
static int pipe_test_objects_freed(void) {
    pipe_arg a;
    mp_process p;
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(a.a->refs, 1);
    CHECK_EQ(start(&p, just_return, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(a.a->refs, 1); /* the child's copy is gone */
    CHECK_EQ(*(volatile mp__u32 *)a.b, MP__T_DEAD);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    CHECK_EQ(*(volatile mp__u32 *)a.a, MP__T_DEAD);
    return 0;
}

#ifndef _WIN32
/* Reports the descriptors it holds, and sends its number on each duplex end. */
static int list_fds_pipe(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    int fd, n = 0;
    (void)size;
    for (fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1) {
            if (n < 16) a.f->values[n] = (mp__u32)fd;
            n++;
        }
    a.f->counter = (mp__u32)n;
    if (mp_conn_send_bytes(a.b, "b", 1) != MP_OK) return 2;
    if (mp_conn_send_bytes(a.c, "c", 1) != MP_OK) return 3;
    return 0;
}
/* Moves this process's handle of an end to a given (free) descriptor number. */
static int move_fd(mp_conn *c, int to) {
    mp__cent *e;
    if (mp__conn_get(c, MP__CONN_R | MP__CONN_W, &e) != MP_OK) return -1;
    if (dup2((int)e->h, to) != to) return -1;
    fcntl(to, F_SETFD, FD_CLOEXEC);
    close((int)e->h);
    e->h = to;
    return 0;
}
#endif
static int pipe_test_child_descriptors(void) {
#ifdef _WIN32
    SKIP("descriptor listing is POSIX; the Windows tests use the duplicated handles throughout");
#else
    pipe_arg a;
    mp_process p;
    mp_conn *x, *y;
    int want[8], nwant = 0, i, j, moved = 0;
    char buf[4];
    size_t n;
    memset(&a, 0, sizeof a);
    a.f = flags_new();
    CHECK(a.f != NULL);
    CHECK_EQ(mp_set_start_method(MP_SPAWN), MP_OK);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(mp_pipe(0, &a.d, &a.c), MP_OK);
    CHECK_EQ(mp_pipe(1, &x, &y), MP_OK);
    /* The ends take 4, 5, ... (the arena is at 3): the sentinel of a spawned child (no pidfd)
       must not land on 4. One end far up too, with a gap of closed numbers around it. */
    if (fcntl(100, F_GETFD) == -1) {
        CHECK_EQ(move_fd(a.b, 100), 0);
        moved = 1;
    }
    CHECK_EQ(mp_conn_close(y), MP_OK); /* closed before the start: not passed */
    want[nwant++] = (int)conn_handle(a.a);
    want[nwant++] = (int)conn_handle(a.b);
    want[nwant++] = (int)conn_handle(a.c);
    want[nwant++] = (int)conn_handle(a.d);
    want[nwant++] = (int)conn_handle(x);
    CHECK_EQ(start(&p, list_fds_pipe, &a), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 5), MP_OK);
    CHECK_EQ(buf[0], 'b');
    CHECK_EQ(mp_conn_recv_bytes(a.d, buf, sizeof buf, &n, 5), MP_OK);
    CHECK_EQ(buf[0], 'c');
    /* stdio, the arena, the sentinel (without pidfd), and exactly the open ends */
    CHECK(a.f->counter == 3 + 1 + (mp__u32)nwant || a.f->counter == 3 + 2 + (mp__u32)nwant);
    for (i = 0; i < 3; i++) CHECK_EQ(a.f->values[i], i);
    for (j = 0; j < nwant; j++) {
        int found = 0;
        for (i = 0; i < (int)a.f->counter; i++) found |= a.f->values[i] == (mp__u32)want[j];
        CHECK(found);
    }
    if (moved) CHECK_EQ(want[1], 100);
    mp_conn_close(a.a);
    mp_conn_close(a.b);
    mp_conn_close(a.c);
    mp_conn_close(a.d);
    mp_conn_close(x);
    return 0;
#endif
}

#ifndef _WIN32
#include <signal.h>
static void pipe_on_usr1(int sig) {
    (void)sig;
}
static int pipe_pester(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    mp_conn_close(a.a);
    mp_conn_close(a.b);
    while (mp__load(&a.f->go.value) == 0) {
        kill((pid_t)mp_getppid(), SIGUSR1);
        mp__wait(&a.f->go, 0, 0.001);
    }
    return 0;
}
#endif
/* Signals (no SA_RESTART) all along: waits resume with the time left, and big messages
   survive interrupted, partial reads and writes. */
static int pipe_test_signals(void) {
#ifdef _WIN32
    SKIP("POSIX signals");
#else
    struct sigaction sa;
    pipe_arg a;
    mp_process echo, pest, *procs[1];
    unsigned char *buf = (unsigned char *)malloc(16u << 20);
    char small[8];
    size_t n;
    int i, ready[2];
    double t0;
    CHECK(buf != NULL);
    memset(&a, 0, sizeof a);
    a.f = flags_new();
    CHECK(a.f != NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pipe_on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&echo, echo_child, &a), MP_OK);
    CHECK_EQ(start(&pest, pipe_pester, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    procs[0] = &echo;
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_recv_bytes(a.a, small, sizeof small, &n, 0.3), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.29);
    t0 = mp__os_now();
    CHECK_EQ(mp_conn_poll(a.a, 0.3), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.29);
    t0 = mp__os_now();
    CHECK_EQ(mp_wait(&a.a, 1, procs, 1, 0.3, ready), MP_ETIMEDOUT);
    CHECK(mp__os_now() - t0 >= 0.29);
    for (i = 0; i < 3; i++) {
        size_t size = (16u << 20) - (size_t)i * 4099;
        void *back = NULL;
        mp__u64 sum;
        pipe_fill(buf, size, (mp__u64)i + 40);
        sum = checksum(buf, size);
        CHECK_EQ(mp_conn_send_bytes(a.a, buf, size), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes_alloc(a.a, &back, &n, MP_FOREVER), MP_OK);
        CHECK_EQ(n, size);
        CHECK(checksum((unsigned char *)back, n) == sum);
        mp_free(back);
    }
    flag_set(&a.f->go, 1);
    CHECK_EQ(join_code(&pest), 0);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    CHECK_EQ(join_code(&echo), 0);
    free(buf);
    return 0;
#endif
}

/* A program that closed stdin gets an end at descriptor 0: a spawned child keeps it there. */
#ifndef _WIN32
static int recv_on_a(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    char buf[8];
    size_t n = 0;
    (void)size;
    if (mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30) != MP_OK) return 2;
    return n == 5 && memcmp(buf, "stdin", 5) == 0 && conn_handle(a.a) == 0 ? 0 : 3;
}
#endif
static int pipe_test_end_at_descriptor_0(void) {
#ifdef _WIN32
    SKIP("descriptor numbers are POSIX");
#else
    pipe_arg a;
    mp_process p;
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_set_start_method(MP_SPAWN), MP_OK);
    close(0);
    CHECK_EQ(mp_pipe(0, &a.a, &a.b), MP_OK);
    CHECK_EQ(conn_handle(a.a), 0);
    CHECK_EQ(start(&p, recv_on_a, &a), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(a.b, "stdin", 5), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    mp_conn_close(a.a);
    mp_conn_close(a.b);
    return 0;
#endif
}

/* A wait with a long timeout sleeps until the peer (another process) writes, then until it
   dies holding its end: mp_wait beside the process, mp_conn_poll, a receive with a deadline. */
static int waker_child(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    char go[8];
    size_t n;
    (void)size;
    if (mp_conn_close(a.a) != MP_OK) return 2;
    /* after each "go", a pause, so that the parent is usually asleep when woken */
    if (mp_conn_recv_bytes(a.b, go, sizeof go, &n, 30) != MP_OK) return 3;
    mp_sleep(0.05);
    if (mp_conn_send_bytes(a.b, "x", 1) != MP_OK) return 4;
    if (mp_conn_recv_bytes(a.b, go, sizeof go, &n, 30) != MP_OK) return 5;
    mp_sleep(0.05);
    if (mp_conn_send_bytes(a.b, "yz", 2) != MP_OK) return 6;
    if (mp_conn_recv_bytes(a.b, go, sizeof go, &n, 30) != MP_OK) return 7;
    mp_sleep(0.05);
    mp__os_exit(9); /* dies with its end open */
    return 0;
}
static int pipe_test_wait_wakes(void) {
    pipe_arg a;
    mp_process p, *procs[1];
    char buf[8];
    size_t n = 0;
    int ready[2];
    memset(&a, 0, sizeof a);
    CHECK_EQ(mp_pipe(1, &a.a, &a.b), MP_OK);
    CHECK_EQ(start(&p, waker_child, &a), MP_OK);
    CHECK_EQ(mp_conn_close(a.b), MP_OK);
    procs[0] = &p;
    CHECK_EQ(mp_conn_send_bytes(a.a, "go", 2), MP_OK);
    CHECK_EQ(mp_wait(&a.a, 1, procs, 1, 60, ready), 1);
    CHECK_EQ(ready[0], 1);
    CHECK_EQ(ready[1], 0);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(mp_conn_send_bytes(a.a, "go", 2), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 60), MP_OK); /* a receive's wait */
    CHECK_EQ(n, 2);
    CHECK_EQ(mp_conn_send_bytes(a.a, "go", 2), MP_OK);
    CHECK_EQ(mp_conn_poll(a.a, 60), MP_OK); /* its death: EOF */
    CHECK_EQ(mp_conn_recv_bytes(a.a, buf, sizeof buf, &n, 30), MP_EOF);
    CHECK_EQ(join_code(&p), 9);
    CHECK_EQ(mp_conn_close(a.a), MP_OK);
    return 0;
}

/* mp_wait over more ends than one Windows wait takes (63; there, threads wait on the rest):
   the one another process writes to, then the one at EOF, is found. */
static int late_writer(void *arg, size_t size) {
    pipe_arg a = pipe_arg_of(arg);
    (void)size;
    mp_sleep(0.05); /* the parent is usually asleep in its wait by now */
    return mp_conn_send_bytes(a.a, "m", 1) == MP_OK ? 0 : 2;
}
static int pipe_test_wait_many_ends(void) {
    enum { N = 70 };
    mp_conn *r[N], *w[N];
    mp_process p;
    pipe_arg a;
    int i, ready[N];
    char buf[4];
    size_t n;
    for (i = 0; i < N; i++) CHECK_EQ(mp_pipe(0, &r[i], &w[i]), MP_OK);
    CHECK_EQ(mp_wait(r, N, NULL, 0, 0, ready), MP_ETIMEDOUT);
    memset(&a, 0, sizeof a);
    a.a = w[67];
    CHECK_EQ(start(&p, late_writer, &a), MP_OK);
    CHECK_EQ(mp_wait(r, N, NULL, 0, 60, ready), 1);
    for (i = 0; i < N; i++) CHECK_EQ(ready[i], i == 67);
    CHECK_EQ(mp_conn_recv_bytes(r[67], buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(w[3]), MP_OK);
    CHECK_EQ(mp_wait(r, N, NULL, 0, 30, ready), 1);
    for (i = 0; i < N; i++) CHECK_EQ(ready[i], i == 3);
    for (i = 0; i < N; i++) {
        CHECK_EQ(mp_conn_close(r[i]), MP_OK);
        if (i != 3) CHECK_EQ(mp_conn_close(w[i]), MP_OK);
    }
    return 0;
}

static const mp_test pipe_tests[] = {
    {"pipe_message_sizes", pipe_test_message_sizes},
    {"pipe_duplex_conversation", pipe_test_duplex_conversation},
    {"pipe_simplex", pipe_test_simplex},
    {"pipe_buffer_too_small", pipe_test_buffer_too_small},
    {"pipe_timeouts", pipe_test_timeouts},
    {"pipe_eof", pipe_test_eof},
    {"pipe_peer_killed_mid_message", pipe_test_peer_killed_mid_message},
    {"pipe_fuzz", pipe_test_fuzz},
    {"pipe_stalled_head", pipe_test_stalled_head},
    {"pipe_crafted_header", pipe_test_crafted_header},
    {"pipe_body_in_pieces", pipe_test_body_in_pieces},
    {"pipe_signals", pipe_test_signals},
    {"pipe_wait_many", pipe_test_wait_many},
    {"pipe_wait_wakes", pipe_test_wait_wakes},
    {"pipe_wait_many_ends", pipe_test_wait_many_ends},
    {"pipe_bad_input", pipe_test_bad_input},
    {"pipe_bad_input_limits", pipe_test_bad_input_limits},
    {"pipe_grandchild", pipe_test_grandchild},
    {"pipe_objects_freed", pipe_test_objects_freed},
    {"pipe_child_descriptors", pipe_test_child_descriptors},
    {"pipe_end_at_descriptor_0", pipe_test_end_at_descriptor_0},
    {NULL, NULL}};
