/* Listener, Client, authkey, hashes and named shared memory, C to C: the hash and HMAC test
   vectors of the RFCs, every address form, right and wrong keys, peers that do not speak the
   protocol, inheritance of the authkey and of an accepted connection, and shared memory by
   name. Python as the peer: tests/interop.sh. A NULL address is the platform's local kind
   (a Unix socket; a named pipe on Windows); a form the platform lacks skips on MP_ENOSYS. */

typedef struct conn_arg {
    char address[MP__ADDR_TEXT];
    char key[32];
    int keylen; /* -1: the process's authkey (NULL) */
    int mode;
    mp_conn *conn, *other;
} conn_arg;

static conn_arg conn_arg_of(void *arg) {
    conn_arg a;
    memcpy(&a, arg, sizeof a);
    return a;
}
static int conn_hex_is(const unsigned char *d, size_t n, const char *hex) {
    char s[129];
    size_t i;
    for (i = 0; i < n; i++) {
        s[2 * i] = "0123456789abcdef"[d[i] >> 4];
        s[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
    }
    s[2 * n] = 0;
    if (strcmp(s, hex) == 0) return 1;
    fprintf(stderr, "  got %s\n  not %s\n", s, hex);
    return 0;
}

static int conn_test_hash_vectors(void) {
    static const struct {
        const char *msg, *md5;
    } md5[] = {/* RFC 1321, A.5 */
               {"", "d41d8cd98f00b204e9800998ecf8427e"},
               {"a", "0cc175b9c0f1b6a831c399e269772661"},
               {"abc", "900150983cd24fb0d6963f7d28e17f72"},
               {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
               {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
               {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f"},
               {"1234567890123456789012345678901234567890123456789012345678901234567890123456789"
                "0",
                "57edf4a22be3c955ac49da2e2107b67a"}};
    unsigned char d[32], *big;
    mp__hash_state s;
    size_t i;
    for (i = 0; i < sizeof md5 / sizeof md5[0]; i++) {
        mp__digest(MP__MD5, md5[i].msg, strlen(md5[i].msg), d);
        CHECK(conn_hex_is(d, 16, md5[i].md5));
    }
    /* FIPS 180-2 appendix B */
    mp__digest(MP__SHA256, "abc", 3, d);
    CHECK(conn_hex_is(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    mp__digest(MP__SHA256, "", 0, d);
    CHECK(conn_hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    mp__digest(MP__SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    CHECK(conn_hex_is(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    big = (unsigned char *)malloc(1000000);
    CHECK(big != NULL);
    memset(big, 'a', 1000000);
    mp__hash_init(&s, MP__SHA256); /* in uneven pieces: the streaming path */
    for (i = 0; i < 1000000; i += 4999)
        mp__hash_update(&s, big + i, i + 4999 > 1000000 ? 1000000 - i : 4999);
    mp__hash_final(&s, d);
    CHECK(conn_hex_is(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    mp__digest(MP__MD5, big, 1000000, d);
    CHECK(conn_hex_is(d, 16, "7707d6ae4e027c70eea2a935c2296f21"));
    free(big);
    return 0;
}

static int conn_test_hmac_vectors(void) {
    unsigned char key[131], data[50], d[32];
    /* RFC 2104 (and RFC 2202) HMAC-MD5 */
    memset(key, 0x0b, 16);
    mp__hmac(MP__MD5, key, 16, "Hi There", 8, d);
    CHECK(conn_hex_is(d, 16, "9294727a3638bb1c13f48ef8158bfc9d"));
    mp__hmac(MP__MD5, "Jefe", 4, "what do ya want for nothing?", 28, d);
    CHECK(conn_hex_is(d, 16, "750c783e6ab0b503eaa86e310a5db738"));
    memset(key, 0xaa, 16);
    memset(data, 0xdd, 50);
    mp__hmac(MP__MD5, key, 16, data, 50, d);
    CHECK(conn_hex_is(d, 16, "56be34521d144c88dbb8c733f0e8b3f6"));
    memset(key, 0xaa, 80); /* RFC 2202 test 6: a key longer than a block */
    mp__hmac(MP__MD5, key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
    CHECK(conn_hex_is(d, 16, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"));
    /* RFC 4231 HMAC-SHA-256, test cases 1, 2, 3 and 6 */
    memset(key, 0x0b, 20);
    mp__hmac(MP__SHA256, key, 20, "Hi There", 8, d);
    CHECK(conn_hex_is(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    mp__hmac(MP__SHA256, "Jefe", 4, "what do ya want for nothing?", 28, d);
    CHECK(conn_hex_is(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    memset(key, 0xaa, 20);
    mp__hmac(MP__SHA256, key, 20, data, 50, d);
    CHECK(conn_hex_is(d, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
    memset(key, 0xaa, 131);
    mp__hmac(MP__SHA256, key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
    CHECK(conn_hex_is(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    CHECK(mp__ct_equal("abcd", "abcd", 4));
    CHECK(!mp__ct_equal("abcd", "abce", 4));
    CHECK(mp__ct_equal("", "x", 0));
    return 0;
}

/* A client process: connects, sends messages of several sizes, checks each echo. */
static const size_t conn_sizes[] = {0, 1, 3, 4, 127, 128, 65536, 1000003, 4u << 20};
static int conn_client_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    mp_conn *c;
    size_t i, n;
    int r;
    (void)size;
    r = mp_client(&c, a.address, a.keylen < 0 ? NULL : a.key, a.keylen < 0 ? 0 : (size_t)a.keylen,
                  20);
    if (r != MP_OK) return r == MP_EAUTH ? 100 : 10 - r;
    /* mode 1: two small messages, not empty (Windows: a wait does not see an empty one) */
    for (i = a.mode ? 1 : 0; i < (a.mode ? 3 : sizeof conn_sizes / sizeof conn_sizes[0]); i++) {
        unsigned char *m = (unsigned char *)malloc(conn_sizes[i] + 1);
        void *back;
        if (!m) return 3;
        pipe_fill(m, conn_sizes[i], i + 7);
        if (mp_conn_send_bytes(c, m, conn_sizes[i]) != MP_OK) return 4;
        if (mp_conn_recv_bytes_alloc(c, &back, &n, 20) != MP_OK) return 5;
        if (n != conn_sizes[i] || (n && memcmp(back, m, n) != 0)) return 6;
        mp_free(back);
        free(m);
    }
    mp_conn_close(c);
    return 0;
}
/* Serves one accepted connection: echoes until EOF. */
static int conn_echo(mp_conn *c) {
    for (;;) {
        void *m;
        size_t n;
        int r = mp_conn_recv_bytes_alloc(c, &m, &n, 20);
        if (r == MP_EOF) return 0;
        if (r != MP_OK) return 1;
        r = mp_conn_send_bytes(c, m, n);
        mp_free(m);
        if (r != MP_OK) return 2;
    }
}
static int conn_unix_path(char *buf, size_t cap, const char *tag) {
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/mp-test-%s-%ld", dir && dir[0] ? dir : "/tmp", tag, mp_getpid());
    return 0;
}
/* One listener, one client process: echo, then the client's exit code. */
static int conn_serve_one(const char *address, const char *key, int keylen, int ckeylen,
                          int *client_code, int *accept_result) {
    mp_listener *l;
    mp_process p;
    conn_arg a;
    mp_conn *c = NULL;
    int r = mp_listener_new(&l, address, keylen < 0 ? NULL : key, keylen < 0 ? 0 : (size_t)keylen);
    if (r != MP_OK) return r;
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    memcpy(a.key, key, strlen(key));
    a.keylen = ckeylen;
    if (mp_process_init(&p, conn_client_child, &a, sizeof a, NULL) != MP_OK ||
        mp_process_start(&p) != MP_OK)
        return -1000;
    *accept_result = mp_listener_accept(l, 30, &c);
    if (*accept_result == MP_OK) {
        if (conn_echo(c) != 0) *accept_result = -2000;
        mp_conn_close(c);
    }
    *client_code = join_code(&p);
    mp_listener_close(l);
    return MP_OK;
}

static int conn_test_unix(void) {
    char path[200];
    int code = -1, ar = -1;
    int r;
    conn_unix_path(path, sizeof path, "unix");
    r = conn_serve_one(path, "k1", 2, 2, &code, &ar);
    if (r == MP_ENOSYS) SKIP("no Unix sockets here");
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
#if MP__POSIX
    {
        struct stat st;
        mp_listener *l, *l2;
        CHECK_EQ(mp_listener_new(&l, path, "k", 1), MP_OK);
        CHECK_EQ(stat(path, &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
        CHECK_EQ(mp_listener_new(&l2, path, "k", 1), MP_EEXIST); /* in use: left alone */
        CHECK_EQ(stat(path, &st), 0);
        CHECK_EQ(mp_listener_close(l), MP_OK);
        CHECK(stat(path, &st) != 0); /* close removed the file */
    }
#endif
    return 0;
}
static int conn_test_tcp(void) {
    int code = -1, ar = -1, r = conn_serve_one("127.0.0.1:0", "key", 3, 3, &code, &ar);
    if (r == MP_ENOSYS) SKIP("no listeners on this platform yet");
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    r = conn_serve_one("[::1]:0", "key", 3, 3, &code, &ar);
    if (r == MP_ENOENT || r == MP_ENOSYS || r == MP_ESYS) SKIP("no IPv6 loopback here");
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    return 0;
}
static int conn_test_named_pipe(void) {
    char name[80];
    int code = -1, ar = -1, r;
    snprintf(name, sizeof name, "\\\\.\\pipe\\mp-test-%ld", mp_getpid());
    r = conn_serve_one(name, "k", 1, 1, &code, &ar);
    if (r == MP_ENOSYS) SKIP("named pipes are Windows'");
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    return 0;
}
static int conn_test_abstract(void) {
#ifdef __linux__
    char name[64];
    int code = -1, ar = -1;
    snprintf(name, sizeof name, "@mp-test-abstract-%ld", mp_getpid());
    CHECK_EQ(conn_serve_one(name, "k", 1, 1, &code, &ar), MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    return 0;
#else
    SKIP("the abstract namespace is Linux's");
#endif
}
static int conn_test_wrong_key(void) {
    int code = -1, ar = -1, r = conn_serve_one(NULL, "right", 5, 5, &code, &ar);
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    /* the client's key differs: both sides say so */
    CHECK_EQ(conn_serve_one(NULL, "right", 5, 4, &code, &ar), MP_OK);
    CHECK_EQ(ar, MP_EAUTH);
    CHECK_EQ(code, 100);
    /* no handshake on either side */
    CHECK_EQ(conn_serve_one(NULL, "", 0, 0, &code, &ar), MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    return 0;
}
/* The process's authkey: inherited by children under the start method in use, used when no
   key is given; set changes it for this process and its later children. */
static int conn_authkey_child(void *arg, size_t size) {
    unsigned char k[MP_AUTHKEY_MAX];
    size_t n = 0;
    if (mp_authkey_get(k, sizeof k, &n) != MP_OK) return 2;
    return n == size && memcmp(k, arg, n) == 0 ? 0 : 3;
}
static int conn_test_authkey(void) {
    unsigned char k[MP_AUTHKEY_MAX], k2[MP_AUTHKEY_MAX];
    size_t n = 0, n2 = 0;
    mp_process p;
    int code = -1, ar = -1, r;
    CHECK_EQ(mp_authkey_get(k, sizeof k, &n), MP_OK);
    CHECK_EQ(n, 32);
    CHECK_EQ(mp_authkey_get(k2, sizeof k2, &n2), MP_OK);
    CHECK(memcmp(k, k2, 32) == 0); /* made once */
    CHECK_EQ(mp_authkey_get(k2, 3, &n2), MP_ETOOBIG);
    CHECK_EQ(n2, 32);
    CHECK_EQ(mp_authkey_get(NULL, 0, NULL), MP_EINVAL);
    CHECK_EQ(mp_process_init(&p, conn_authkey_child, k, n, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_authkey_set("0123456789", 10), MP_OK);
    CHECK_EQ(mp_process_init(&p, conn_authkey_child, "0123456789", 10, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_authkey_set(NULL, 1), MP_EINVAL);
    CHECK_EQ(mp_authkey_set(k, MP_AUTHKEY_MAX + 1), MP_EINVAL);
    /* a listener and a child client with no key: the family's key */
    r = conn_serve_one(NULL, "", -1, -1, &code, &ar);
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(ar, MP_OK);
    CHECK_EQ(code, 0);
    return 0;
}

/* Many clients at once, each served by a child that inherits the accepted connection. */
static int conn_server_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    (void)size;
    return conn_echo(a.conn);
}
static int conn_many(const char *address) {
    enum { N = 8 };
    mp_process cl[N], sv[N];
    mp_listener *l;
    conn_arg a;
    int i, r = mp_listener_new(&l, address, NULL, 0);
    CHECK_EQ(r, MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    a.keylen = -1;
    a.mode = 1; /* small messages */
    for (i = 0; i < N; i++) {
        CHECK_EQ(mp_process_init(&cl[i], conn_client_child, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&cl[i]), MP_OK);
    }
    for (i = 0; i < N; i++) {
        CHECK_EQ(mp_listener_accept(l, 30, &a.conn), MP_OK);
        CHECK_EQ(mp_process_init(&sv[i], conn_server_child, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&sv[i]), MP_OK);
        CHECK_EQ(mp_conn_close(a.conn), MP_OK); /* the server child has its copy */
    }
    for (i = 0; i < N; i++) CHECK_EQ(join_code(&cl[i]), 0);
    for (i = 0; i < N; i++) CHECK_EQ(join_code(&sv[i]), 0);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}
static int conn_test_many_clients(void) {
    CHECK_EQ(conn_many(NULL), 0);          /* a Unix socket; Windows: a named pipe */
    CHECK_EQ(conn_many("127.0.0.1:0"), 0); /* TCP: on Windows, sockets inherited by spawn */
    return 0;
}

/* A peer that does not speak the protocol costs a bounded buffer and the handshake time. */
static int conn_badpeer_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    mp_conn *c;
    unsigned char junk[300];
    size_t n;
    (void)size;
    if (mp_client(&c, a.address, "", 0, 20) != MP_OK) return 2; /* no handshake of ours */
    memset(junk, 'x', sizeof junk);
    if (a.mode == 1) mp_conn_send_bytes(c, junk, sizeof junk); /* a too long answer */
    if (a.mode == 2) {                                         /* a huge length, raw */
        long long fd = mp_conn_fileno(c);
        mp_conn_recv_bytes(c, junk, sizeof junk, &n, 20); /* the challenge */
#if MP__POSIX
        if (write((int)fd, "\x7f\xff\xff\xf0zz", 6) != 6) return 3;
#else
        (void)fd;
#endif
    }
    if (a.mode == 3) mp_conn_send_bytes(c, "{sha384}abc", 11); /* a digest we lack */
    /* mode 0: says nothing. Wait for the listener to give up (EOF), then leave. */
    while (mp_conn_recv_bytes(c, junk, sizeof junk, &n, 20) == MP_OK) {}
    mp_conn_close(c);
    return 0;
}
static int conn_test_bad_peer(void) {
    mp_listener *l;
    conn_arg a;
    int mode, r = mp_listener_new(&l, NULL, "key", 3);
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(mp_listener_set_handshake_timeout(l, 0.3), MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    for (mode = 0; mode < 4; mode++) {
        mp_process p;
        mp_conn *c = NULL;
        if (mode == 2 && !MP__POSIX) continue; /* writes raw bytes into a descriptor */
        a.mode = mode;
        CHECK_EQ(mp_process_init(&p, conn_badpeer_child, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        r = mp_listener_accept(l, 20, &c);
        CHECK_EQ(r, mode == 0 ? MP_ETIMEDOUT : mode == 3 ? MP_EAUTH : MP_EPROTO);
        CHECK(c == NULL);
        CHECK_EQ(join_code(&p), 0);
    }
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}

/* A client killed at any moment of a stream of large messages (or, every other round, of
   1000-byte ones that the server reads ahead, receiving with no timeout): the server gets
   whole messages, then the end (MP_EOF, or MP_ECORRUPT in the middle of one), never a hang;
   the listener serves the next client. */
#define CONN_FLOOD_SIZE(mode) ((mode) ? (size_t)1000 : (size_t)1 << 22)
static int conn_flood_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    mp_conn *c;
    unsigned char *m = (unsigned char *)calloc(1, 1 << 22);
    (void)size;
    if (!m || mp_client(&c, a.address, NULL, 0, 20) != MP_OK) return 2;
    for (;;)
        if (mp_conn_send_bytes(c, m, CONN_FLOOD_SIZE(a.mode)) != MP_OK) return 3;
}
static int conn_test_peer_killed(void) {
    mp_listener *l;
    conn_arg a;
    int round, r = mp_listener_new(&l, NULL, NULL, 0);
    CHECK_EQ(r, MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    for (round = 0; round < test_rounds(4); round++) {
        mp_process p;
        mp_conn *c;
        void *m;
        size_t n;
        int k, code = 0;
        double t = round % 2 ? MP_FOREVER : 20;
        a.mode = round % 2;
        CHECK_EQ(mp_process_init(&p, conn_flood_child, &a, sizeof a, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_OK);
        CHECK_EQ(mp_listener_accept(l, 20, &c), MP_OK);
        for (k = 0; k < round % 3; k++) { /* a few whole messages first */
            CHECK_EQ(mp_conn_recv_bytes_alloc(c, &m, &n, t), MP_OK);
            CHECK_EQ(n, CONN_FLOOD_SIZE(a.mode));
            mp_free(m);
        }
        CHECK_EQ(mp_process_kill(&p), MP_OK);
        CHECK_EQ(mp_process_join(&p, 20), MP_OK);
        mp_process_exitcode(&p, &code);
        CHECK(code != 0);
        mp_process_close(&p);
        for (;;) { /* what was sent before the kill, then the end */
            r = mp_conn_recv_bytes_alloc(c, &m, &n, t);
            if (r != MP_OK) break;
            CHECK_EQ(n, CONN_FLOOD_SIZE(a.mode));
            mp_free(m);
        }
        CHECK(r == MP_EOF || r == MP_ECORRUPT);
        CHECK_EQ(mp_conn_close(c), MP_OK);
    }
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}

static int conn_test_errors(void) {
    mp_listener *l;
    mp_conn *c;
    char longpath[300];
    int r = mp_listener_new(&l, NULL, NULL, 0);
    CHECK_EQ(r, MP_OK);
    CHECK_EQ(mp_listener_new(NULL, "x", NULL, 0), MP_EINVAL);
    {
        mp_listener *l2;
        r = mp_listener_new(&l2, mp_listener_address(l), NULL, 0);
        if (MP__WIN && r == MP_OK) /* Wine lets a second listener have the pipe's name */
            mp_listener_close(l2);
        else
            CHECK_EQ(r, MP_EEXIST);
    }
    CHECK_EQ(mp_listener_accept(l, 0, &c), MP_ETIMEDOUT);
    CHECK_EQ(mp_listener_accept(l, -1, &c), MP_EINVAL);
    CHECK_EQ(mp_listener_accept(NULL, 0, &c), MP_EINVAL);
    CHECK(mp_listener_fileno(l) >= 0);
    CHECK_EQ(mp_listener_set_handshake_timeout(l, -1), MP_EINVAL);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    CHECK_EQ(mp_listener_close(NULL), MP_OK);
#if MP__POSIX
    CHECK_EQ(mp_client(&c, "/nonexistent/mp-test-socket", NULL, 0, 1), MP_ENOENT);
    CHECK_EQ(mp_client(&c, "127.0.0.1:1", NULL, 0, 1), MP_ENOENT);
#else
    CHECK_EQ(mp_client(&c, "\\\\.\\pipe\\mp-test-nobody-here", NULL, 0, 1), MP_ENOENT);
#endif
    CHECK_EQ(mp_client(&c, "", NULL, 0, 1), MP_EINVAL);
    CHECK_EQ(mp_client(&c, NULL, NULL, 0, 1), MP_EINVAL);
    CHECK_EQ(mp_client(&c, "::1:5", NULL, 0, 1), MP_EINVAL); /* IPv6 needs brackets */
    CHECK_EQ(mp_client(&c, "localhost:65536", NULL, 0, 1), MP_EINVAL);
    CHECK_EQ(mp_client(&c, "localhost:0000080", NULL, 0, 1), MP_EINVAL);
    CHECK_EQ(mp_listener_new(&l, "127.0.0.1:99999", NULL, 0), MP_EINVAL);
    CHECK_EQ(mp_client(&c, "x:1", "k", MP_AUTHKEY_MAX + 1, 1), MP_EINVAL);
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[200] = 0;
    if (MP__POSIX) CHECK_EQ(mp_client(&c, longpath, NULL, 0, 1), MP_ENAMETOOLONG);
    longpath[200] = 'a';
    longpath[sizeof longpath - 1] = 0;
    CHECK_EQ(mp_listener_new(&l, longpath, NULL, 0), MP_ENAMETOOLONG);
    CHECK(mp_conn_fileno(NULL) < 0);
    return 0;
}

/* An accepted connection beside a Pipe in mp_wait, its fileno, and poll. */
static int conn_test_wait_and_fileno(void) {
    mp_listener *l;
    mp_process p;
    mp_conn *c, *pa, *pb, *set[2];
    conn_arg a;
    int ready[2], r = mp_listener_new(&l, NULL, NULL, 0);
    CHECK_EQ(r, MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    a.keylen = -1;
    a.mode = 1;
    CHECK_EQ(mp_pipe(1, &pa, &pb), MP_OK);
    CHECK_EQ(mp_process_init(&p, conn_client_child, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_listener_accept(l, 30, &c), MP_OK);
    CHECK(mp_conn_fileno(c) >= 0);
    CHECK(mp_conn_fileno(c) != mp_listener_fileno(l));
    set[0] = pa;
    set[1] = c;
    CHECK_EQ(mp_wait(set, 2, NULL, 0, 30, ready), 1); /* the client's first message */
    CHECK_EQ(ready[0], 0);
    CHECK_EQ(ready[1], 1);
    CHECK_EQ(mp_conn_poll(c, 0), MP_OK);
    CHECK_EQ(conn_echo(c), 0);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(c), MP_OK);
    CHECK_EQ(mp_conn_close(pa), MP_OK);
    CHECK_EQ(mp_conn_close(pb), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}

/* A wait with a long timeout sleeps until the peer, another process, writes (an empty
   message, then one byte) or dies with its end open (Windows: a message-mode named pipe and a
   TCP socket, whose waits polled, and did not see an empty message, before issue 12). */
static int conn_waker_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    mp_conn *c;
    char go[8];
    size_t n;
    (void)size;
    if (mp_client(&c, a.address, NULL, 0, 20) != MP_OK) return 2;
    /* after each "go", a pause, so that the parent is usually asleep when woken */
    if (mp_conn_recv_bytes(c, go, sizeof go, &n, 30) != MP_OK) return 3;
    mp_sleep(0.05);
    if (mp_conn_send_bytes(c, "", 0) != MP_OK) return 4;
    if (mp_conn_recv_bytes(c, go, sizeof go, &n, 30) != MP_OK) return 5;
    mp_sleep(0.05);
    if (mp_conn_send_bytes(c, "x", 1) != MP_OK) return 6;
    if (mp_conn_recv_bytes(c, go, sizeof go, &n, 30) != MP_OK) return 7;
    mp_sleep(0.05);
    mp__os_exit(9); /* dies with its end open */
    return 0;
}
static int conn_wait_wakes(const char *address) {
    mp_listener *l;
    mp_process p, *procs[1];
    mp_conn *c;
    conn_arg a;
    char buf[8];
    size_t n = 99;
    int ready[2];
    CHECK_EQ(mp_listener_new(&l, address, NULL, 0), MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(l));
    a.keylen = -1;
    CHECK_EQ(mp_process_init(&p, conn_waker_child, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_listener_accept(l, 30, &c), MP_OK);
    procs[0] = &p;
    CHECK_EQ(mp_conn_send_bytes(c, "go", 2), MP_OK);
    CHECK_EQ(mp_wait(&c, 1, procs, 1, 60, ready), 1); /* the empty message */
    CHECK_EQ(ready[0], 1);
    CHECK_EQ(ready[1], 0);
    CHECK_EQ(mp_conn_poll(c, 0), MP_OK); /* still there: the wait kept it */
    CHECK_EQ(mp_conn_recv_bytes(c, buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(mp_conn_poll(c, 0), MP_ETIMEDOUT);
    CHECK_EQ(mp_conn_send_bytes(c, "go", 2), MP_OK);
    CHECK_EQ(mp_conn_poll(c, 60), MP_OK); /* one byte */
    CHECK_EQ(mp_conn_recv_bytes(c, buf, sizeof buf, &n, 0), MP_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(mp_conn_send_bytes(c, "go", 2), MP_OK);
    CHECK_EQ(mp_wait(&c, 1, NULL, 0, 60, ready), 1); /* its death: the end is at EOF */
    CHECK_EQ(mp_conn_recv_bytes(c, buf, sizeof buf, &n, 30), MP_EOF);
    CHECK_EQ(join_code(&p), 9);
    CHECK_EQ(mp_conn_close(c), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}
static int conn_test_wait_wakes(void) {
    CHECK_EQ(conn_wait_wakes(NULL), 0); /* a named pipe (Windows) or a Unix socket */
    CHECK_EQ(conn_wait_wakes("127.0.0.1:0"), 0);
    return 0;
}

/* Named shared memory: a child attaches by name and writes; errors of names. */
static int conn_shm_child(void *arg, size_t size) {
    mp_shm *s;
    (void)size;
    if (mp_shm_open(&s, (const char *)arg, 0, 0) != MP_OK) return 2;
    if (mp_shm_size(s) < 4096) return 3;
    memcpy(mp_shm_buf(s), "from the child", 15);
    mp_shm_close(s);
    return 0;
}
static int conn_test_shm(void) {
    mp_shm *s, *t;
    mp_process p;
    char name[MP_SHM_NAME_MAX];
    CHECK_EQ(mp_shm_open(&s, NULL, 1, 4096), MP_OK);
    CHECK(strncmp(mp_shm_name(s), MP__WIN ? "wnsm_" : "psm_", MP__WIN ? 5 : 4) == 0);
    CHECK_EQ(strlen(mp_shm_name(s)), MP__WIN ? 13 : 12);
    CHECK(mp_shm_size(s) >= 4096);
    CHECK_EQ(((unsigned char *)mp_shm_buf(s))[4095], 0);
    snprintf(name, sizeof name, "%s", mp_shm_name(s));
    CHECK_EQ(mp_shm_open(&t, name, 1, 4096), MP_EEXIST);
    CHECK_EQ(mp_process_init(&p, conn_shm_child, name, strlen(name) + 1, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK(memcmp(mp_shm_buf(s), "from the child", 15) == 0);
#if MP__POSIX && defined(__linux__)
    {
        char path[MP_SHM_NAME_MAX + 16];
        struct stat st;
        snprintf(path, sizeof path, "/dev/shm/%s", name);
        CHECK_EQ(stat(path, &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
    }
#endif
    CHECK_EQ(mp_shm_unlink(name), MP_OK);
    CHECK_EQ(mp_shm_close(s), MP_OK);
    if (!MP__WIN) CHECK_EQ(mp_shm_open(&t, name, 0, 0), MP_ENOENT);
    CHECK_EQ(mp_shm_open(&t, "mp-test-no-such-block", 0, 0), MP_ENOENT);
    CHECK_EQ(mp_shm_open(&t, NULL, 0, 0), MP_EINVAL);
    CHECK_EQ(mp_shm_open(&t, "x", 1, 0), MP_EINVAL);
    CHECK_EQ(mp_shm_open(&t, "a/b", 1, 10), MP_EINVAL);
    CHECK_EQ(mp_shm_open(&t, "", 1, 10), MP_EINVAL);
    CHECK_EQ(mp_shm_open(NULL, "x", 1, 10), MP_EINVAL);
    CHECK_EQ(mp_shm_unlink("a/b"), MP_EINVAL);
    CHECK_EQ(mp_shm_close(NULL), MP_OK);
    return 0;
}

/* Read-ahead (issue 11: a Listener's or Client's end reads past a message on POSIX). A raw
   writer, a child that frames bytes by hand on the descriptor of its end, in steps that the
   parent calls for through a Pipe ("go"), each acknowledged ("w"). */
#if MP__POSIX
static int conn_raw_write(long long fd, const void *p, size_t n) {
    const char *b = (const char *)p;
    while (n) {
        ssize_t w = write((int)fd, b, n);
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}
static size_t conn_frame(unsigned char *out, const char *m) {
    size_t n = strlen(m);
    out[0] = out[1] = out[2] = 0;
    out[3] = (unsigned char)n;
    memcpy(out + 4, m, n);
    return n + 4;
}
#endif
#define CONN_BIG 300000
static int conn_ahead_writer(void *arg, size_t size) {
#if MP__POSIX
    conn_arg a = conn_arg_of(arg);
    mp_conn *c, *go = a.conn;
    unsigned char buf[64], *big = (unsigned char *)malloc(CONN_BIG + 4);
    const char *piece[] = {"\x00\x06", "t", "hi", "rd!"};
    size_t n = 0, i, k, off;
    long long fd;
    char ack[4];
    (void)size;
    mp_conn_close(a.other); /* the parent's end of "go": its close is our EOF */
    if (!big || mp_client(&c, a.address, "", 0, 20) != MP_OK) return 2;
    fd = mp_conn_fileno(c);
    if (a.mode == 0) {
        /* two messages and two bytes of a third's head in one write */
        n = conn_frame(buf, "first");
        n += conn_frame(buf + n, "second");
        buf[n++] = 0, buf[n++] = 0;
        if (conn_raw_write(fd, buf, n) != 0) return 3;
        /* the rest of the third: its head's last 2 bytes, then 1, 2 and 3 bytes of it */
        for (i = 0; i < 4; i++) {
            if (mp_conn_recv_bytes(go, ack, sizeof ack, &k, 30) != MP_OK) return 4;
            if (conn_raw_write(fd, piece[i], i == 0 ? 2 : strlen(piece[i])) != 0) return 5;
            if (mp_conn_send_bytes(go, "w", 1) != MP_OK) return 6;
        }
        /* two large messages, in uneven pieces, the head cut after 1 byte */
        for (k = 0; k < 2; k++) {
            big[0] = 0, big[1] = (unsigned char)(CONN_BIG >> 16);
            big[2] = (unsigned char)(CONN_BIG >> 8), big[3] = (unsigned char)CONN_BIG;
            pipe_fill(big + 4, CONN_BIG, k + 3);
            if (conn_raw_write(fd, big, 1) != 0) return 7;
            for (off = 1; off < CONN_BIG + 4; off += 997)
                if (conn_raw_write(fd, big + off,
                                   off + 997 > CONN_BIG + 4 ? CONN_BIG + 4 - off : 997) != 0)
                    return 8;
        }
        /* the head of a 1000-byte message and 10 of its bytes, then the end */
        if (mp_conn_recv_bytes(go, ack, sizeof ack, &k, 30) != MP_OK) return 9;
        memset(buf, 'z', sizeof buf);
        buf[0] = buf[1] = 0, buf[2] = 0x03, buf[3] = 0xe8;
        if (conn_raw_write(fd, buf, 14) != 0) return 10;
    } else { /* "m0".."m<k-1>" in one write at each go "<k>", until the parent closes go */
        while (mp_conn_recv_bytes(go, ack, sizeof ack, &k, 30) == MP_OK && k == 1) {
            char m[4] = "m0";
            n = 0;
            for (i = 0; i < (size_t)(ack[0] - '0'); i++, m[1]++) n += conn_frame(buf + n, m);
            if (conn_raw_write(fd, buf, n) != 0) return 11;
        }
    }
    free(big);
    mp_conn_close(c);
    return 0;
#else
    (void)arg, (void)size;
    return 0;
#endif
}
/* Starts the raw writer (mode) on a new listener at address; its end and the "go" Pipe. */
static int conn_ahead_start(const char *address, int mode, mp_listener **l, mp_process *p,
                            mp_conn **c, mp_conn **go) {
    conn_arg a;
    mp_conn *theirs;
    CHECK_EQ(mp_listener_new(l, address, "", 0), MP_OK);
    CHECK_EQ(mp_pipe(1, go, &theirs), MP_OK);
    memset(&a, 0, sizeof a);
    snprintf(a.address, sizeof a.address, "%s", mp_listener_address(*l));
    a.mode = mode;
    a.conn = theirs;
    a.other = *go;
    CHECK_EQ(mp_process_init(p, conn_ahead_writer, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(p), MP_OK);
    CHECK_EQ(mp_conn_close(theirs), MP_OK);
    CHECK_EQ(mp_listener_accept(*l, 30, c), MP_OK);
    return 0;
}
static int conn_recv_is(mp_conn *c, double timeout, const char *want) {
    char buf[64];
    size_t n = 0;
    int r = mp_conn_recv_bytes(c, buf, sizeof buf, &n, timeout);
    if (r != MP_OK) return r;
    return n == strlen(want) && memcmp(buf, want, n) == 0 ? MP_OK : -1000;
}
/* Two messages in one segment (the second waits in the end: poll and mp_wait see it), a
   message in many segments with timeouts between them, large ones in uneven pieces, a peer
   gone in the middle of one. */
static int conn_ahead_segments(const char *address) {
    mp_listener *l;
    mp_process p;
    mp_conn *c, *go, *set[2];
    unsigned char *big = (unsigned char *)malloc(CONN_BIG),
                  *want = (unsigned char *)malloc(CONN_BIG);
    void *m;
    size_t n;
    char ack[4];
    int ready[2], i;
    CHECK(big && want);
    CHECK_EQ(conn_ahead_start(address, 0, &l, &p, &c, &go), 0);
    CHECK_EQ(conn_recv_is(c, MP_FOREVER, "first"), MP_OK);
    CHECK_EQ(mp_conn_poll(c, 0), MP_OK); /* "second" is here, maybe only in mp.h */
    set[0] = go;
    set[1] = c;
    CHECK_EQ(mp_wait(set, 2, NULL, 0, 0, ready), 1);
    CHECK_EQ(ready[0], 0);
    CHECK_EQ(ready[1], 1);
    CHECK_EQ(mp_wait(set, 2, NULL, 0, MP_FOREVER, ready), 1);
    CHECK_EQ(conn_recv_is(c, 0, "second"), MP_OK);
    for (i = 0; i < 4; i++) { /* the third comes in pieces: whole only with the last */
        CHECK_EQ(conn_recv_is(c, 0, "third!"), MP_ETIMEDOUT);
        CHECK_EQ(mp_conn_poll(c, 0), MP_ETIMEDOUT); /* a part is here, the socket empty */
        CHECK_EQ(mp_wait(set, 2, NULL, 0, 0, ready), MP_ETIMEDOUT);
        CHECK_EQ(mp_conn_send_bytes(go, "g", 1), MP_OK);
        CHECK_EQ(mp_conn_recv_bytes(go, ack, sizeof ack, &n, 30), MP_OK);
    }
    CHECK_EQ(conn_recv_is(c, 30, "third!"), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(c, big, CONN_BIG, &n, MP_FOREVER), MP_OK);
    CHECK_EQ(n, CONN_BIG);
    pipe_fill(want, CONN_BIG, 3);
    CHECK(memcmp(big, want, CONN_BIG) == 0);
    CHECK_EQ(mp_conn_recv_bytes_alloc(c, &m, &n, MP_FOREVER), MP_OK);
    CHECK_EQ(n, CONN_BIG);
    pipe_fill(want, CONN_BIG, 4);
    CHECK(memcmp(m, want, CONN_BIG) == 0);
    mp_free(m);
    CHECK_EQ(mp_conn_send_bytes(go, "g", 1), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(c, big, CONN_BIG, &n, MP_FOREVER), MP_ECORRUPT);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(c), MP_OK);
    CHECK_EQ(mp_conn_close(go), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    free(big);
    free(want);
    return 0;
}
static int conn_test_ahead_segments(void) {
    if (!MP__POSIX) SKIP("the raw writer writes on a descriptor");
    CHECK_EQ(conn_ahead_segments(NULL), 0);
    CHECK_EQ(conn_ahead_segments("127.0.0.1:0"), 0);
    return 0;
}

/* An end whose descriptor is in the program's own event loop reads no further than the
   message it receives: the descriptor stays readable while a message waits. */
static int conn_test_ahead_fileno(void) {
#if MP__POSIX
    mp_listener *l;
    mp_process p;
    mp_conn *c, *go;
    struct pollfd pf;
    CHECK_EQ(conn_ahead_start(NULL, 1, &l, &p, &c, &go), 0);
    pf.fd = (int)mp_conn_fileno(c);
    pf.events = POLLIN;
    CHECK(pf.fd >= 0);
    CHECK_EQ(mp_conn_send_bytes(go, "2", 1), MP_OK);
    CHECK_EQ(poll(&pf, 1, 30000), 1);
    CHECK_EQ(conn_recv_is(c, MP_FOREVER, "m0"), MP_OK);
    CHECK_EQ(poll(&pf, 1, 0), 1); /* "m1" is still the descriptor's */
    CHECK_EQ(conn_recv_is(c, MP_FOREVER, "m1"), MP_OK);
    CHECK_EQ(poll(&pf, 1, 0), 0);
    CHECK_EQ(mp_conn_close(go), MP_OK); /* the writer ends */
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(c), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
#else
    SKIP("POSIX poll on the descriptor");
#endif
}

/* An end that another process holds too reads exactly: two readers of one stream, one after
   the other, get one message each (reading at the same time needs a lock, as in Python: a
   message's head and body are two reads). Bytes read ahead before a child is started stay
   with the parent. */
static int conn_reader_child(void *arg, size_t size) {
    conn_arg a = conn_arg_of(arg);
    char buf[8];
    size_t n;
    int r = mp_conn_recv_bytes(a.conn, buf, sizeof buf, &n, a.mode == 1 ? 0.2 : 20);
    (void)size;
    if (a.mode == 1) return r == MP_ETIMEDOUT ? 0 : 2; /* nothing for it */
    return r == MP_OK && n == 2 && buf[0] == 'm' ? 10 + buf[1] - '0' : 3;
}
static int conn_test_ahead_shared(void) {
    mp_listener *l;
    mp_process p, r;
    mp_conn *c, *go;
    conn_arg a;
    char buf[8];
    size_t n;
    if (!MP__POSIX) SKIP("the raw writer writes on a descriptor");
    CHECK_EQ(conn_ahead_start(NULL, 2, &l, &p, &c, &go), 0);
    memset(&a, 0, sizeof a);
    a.conn = c;
    CHECK_EQ(mp_process_init(&r, conn_reader_child, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&r), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(go, "2", 1), MP_OK); /* m0 and m1 in one write */
    CHECK_EQ(join_code(&r), 10);                     /* the child took m0 and no more */
    CHECK_EQ(mp_conn_recv_bytes(c, buf, sizeof buf, &n, 20), MP_OK);
    CHECK(n == 2 && buf[0] == 'm' && buf[1] == '1');
    /* the end is the parent's alone again: it reads m1 and m2 ahead with m0 */
    CHECK_EQ(mp_conn_send_bytes(go, "3", 1), MP_OK);
    CHECK_EQ(conn_recv_is(c, MP_FOREVER, "m0"), MP_OK);
    a.mode = MP_CONN_READAHEAD > 0 ? 1 : 2; /* 2: it takes m1 */
    CHECK_EQ(mp_process_init(&r, conn_reader_child, &a, sizeof a, NULL), MP_OK);
    CHECK_EQ(mp_process_start(&r), MP_OK);
    CHECK_EQ(join_code(&r), a.mode == 1 ? 0 : 11);
    if (a.mode == 1) CHECK_EQ(conn_recv_is(c, 20, "m1"), MP_OK);
    CHECK_EQ(conn_recv_is(c, 20, "m2"), MP_OK);
    CHECK_EQ(mp_conn_close(go), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(c), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}

/* mp_interrupt ends a receive that blocks for ever on a Listener's end (which blocks in the
   read itself), from another thread or a signal handler; the end works on afterwards. */
typedef struct conn_intr {
    mp_conn *c;
    volatile mp__u32 entered;
} conn_intr;
static int conn_intr_blocked(void *arg) {
    conn_intr *x = (conn_intr *)arg;
    char buf[8];
    size_t n;
    mp__store(&x->entered, 1);
    return mp_conn_recv_bytes(x->c, buf, sizeof buf, &n, MP_FOREVER);
}
static int conn_test_ahead_interrupt(void) {
    mp_listener *l;
    mp_process p;
    mp_conn *go;
    conn_intr x;
    int by_signal;
    if (!MP__POSIX) SKIP("read-ahead is POSIX's");
#if MP__POSIX
    interrupt_on_sigusr2();
#endif
    CHECK_EQ(conn_ahead_start(NULL, 1, &l, &p, &x.c, &go), 0);
    for (by_signal = 0; by_signal < 2; by_signal++) {
        test_thread t;
        x.entered = 0;
        CHECK_EQ(thread_start(&t, conn_intr_blocked, &x), 0);
        while (!mp__load(&x.entered)) mp__os_sleep(0.001);
        mp__os_sleep(0.02); /* most often it blocks by now; either way it must end */
#if MP__POSIX
        if (by_signal)
            kill(getpid(), SIGUSR2);
        else
#endif
            mp_interrupt();
        CHECK_EQ(thread_join(&t), MP_EINTERRUPTED);
        mp_interrupt_clear();
        CHECK_EQ(mp_conn_send_bytes(go, "1", 1), MP_OK);
        CHECK_EQ(conn_recv_is(x.c, MP_FOREVER, "m0"), MP_OK);
    }
    CHECK_EQ(mp_conn_close(go), MP_OK);
    CHECK_EQ(join_code(&p), 0);
    CHECK_EQ(mp_conn_close(x.c), MP_OK);
    CHECK_EQ(mp_listener_close(l), MP_OK);
    return 0;
}

static const mp_test conn_tests[] = {{"conn_hash_vectors", conn_test_hash_vectors},
                                     {"conn_hmac_vectors", conn_test_hmac_vectors},
                                     {"conn_unix", conn_test_unix},
                                     {"conn_tcp", conn_test_tcp},
                                     {"conn_abstract", conn_test_abstract},
                                     {"conn_named_pipe", conn_test_named_pipe},
                                     {"conn_wrong_key", conn_test_wrong_key},
                                     {"conn_authkey", conn_test_authkey},
                                     {"conn_many_clients", conn_test_many_clients},
                                     {"conn_bad_peer", conn_test_bad_peer},
                                     {"conn_peer_killed", conn_test_peer_killed},
                                     {"conn_errors", conn_test_errors},
                                     {"conn_wait_and_fileno", conn_test_wait_and_fileno},
                                     {"conn_wait_wakes", conn_test_wait_wakes},
                                     {"conn_shm", conn_test_shm},
                                     {"conn_ahead_segments", conn_test_ahead_segments},
                                     {"conn_ahead_fileno", conn_test_ahead_fileno},
                                     {"conn_ahead_shared", conn_test_ahead_shared},
                                     {"conn_ahead_interrupt", conn_test_ahead_interrupt},
                                     {NULL, NULL}};
