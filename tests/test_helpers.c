/* What a first program needs besides processes: mp_sleep, mp_time, mp_monotonic,
   mp_process_init_str, and process names as long as a user needs (issue 13). */

static int helpers_str_child(void *arg, size_t size) {
    const char *s = (const char *)arg;
    return size == 5 && s[4] == 0 && strcmp(s, "egon") == 0 ? 42 : 1;
}
static int test_helpers_process_init_str(void) {
    mp_process p;
    int code = 0;
    CHECK_EQ(mp_process_init_str(&p, helpers_str_child, "egon", "piao"), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, MP_FOREVER), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 42);
    CHECK_EQ(strcmp(mp_process_name(&p), "piao"), 0);
    CHECK_EQ(mp_process_close(&p), MP_OK);
    CHECK_EQ(mp_process_init_str(&p, helpers_str_child, NULL, NULL), MP_EINVAL);
    CHECK_EQ(mp_process_init_str(NULL, helpers_str_child, "x", NULL), MP_EINVAL);
    CHECK_EQ(mp_process_init_str(&p, NULL, "x", NULL), MP_EINVAL);
    return 0;
}

static int test_helpers_sleep_clocks(void) {
    volatile double zero = 0;
    double t0 = mp_monotonic(), w0 = mp_time(), t1, w1;
    /* time.time(): seconds since 1970, so after 2020-01-01 and before 2200 */
    CHECK(w0 > 1577836800.0 && w0 < 7258118400.0);
    CHECK_EQ(mp_sleep(0.05), MP_OK);
    t1 = mp_monotonic();
    w1 = mp_time();
    CHECK(t1 - t0 >= 0.05); /* never less than asked (no upper bound: the machine is loaded) */
    CHECK(w1 > w0 - 1.0);
    CHECK_EQ(mp_sleep(0), MP_OK);
    CHECK_EQ(mp_sleep(-1), MP_EINVAL);
    CHECK_EQ(mp_sleep(-0.0), MP_OK);
    CHECK_EQ(mp_sleep(zero / zero), MP_EINVAL); /* NaN */
    CHECK(mp_monotonic() >= t1);
    return 0;
}

/* A sleep that a signal interrupts goes on for the time that is left (POSIX only). */
#ifndef _WIN32
static void helpers_on_signal(int sig) {
    (void)sig;
}
static int helpers_sleeper(void *arg, size_t size) {
    volatile double *out = *(double **)arg;
    double t0;
    struct sigaction sa;
    (void)size;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = helpers_on_signal; /* no SA_RESTART: the sleep returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    t0 = mp_monotonic();
    out[0] = 1; /* asleep now (almost) */
    mp_sleep(0.3);
    out[1] = mp_monotonic() - t0;
    return 0;
}
#endif
static int test_helpers_sleep_interrupted(void) {
#ifdef _WIN32
    SKIP("no signals on Windows");
#else
    mp_process p;
    volatile double *shared = (volatile double *)mp_shared_alloc(2 * sizeof(double));
    int i;
    CHECK(shared != NULL);
    CHECK_EQ(mp_process_init(&p, helpers_sleeper, (const void *)&shared, sizeof shared, NULL),
             MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    while (shared[0] == 0) mp_sleep(0.001);
    for (i = 0; i < 5; i++) {
        kill((pid_t)mp_process_pid(&p), SIGUSR1);
        mp_sleep(0.01);
    }
    CHECK_EQ(mp_process_join(&p, MP_FOREVER), MP_OK);
    CHECK(shared[1] >= 0.3);
    mp_process_close(&p);
    mp_shared_free((void *)shared);
    return 0;
#endif
}

static int helpers_name_child(void *arg, size_t size) {
    char *out = *(char **)arg;
    (void)size;
    strcpy(out, mp_process_name(mp_current_process()));
    return 0;
}
/* 85 three-byte characters: 255 bytes, the longest name that fits the default MP_NAME_MAX. */
static int test_helpers_long_utf8_name(void) {
    mp_process p;
    char name[MP_NAME_MAX + 8], *shared = (char *)mp_shared_alloc(MP_NAME_MAX);
    size_t i;
    CHECK(shared != NULL);
    CHECK(MP_NAME_MAX >= 256);
    for (i = 0; i + 3 <= 255; i += 3) memcpy(name + i, "\xe8\xbf\x9b", 3); /* 进 */
    name[i] = 0;
    CHECK_EQ(strlen(name), 255);
    CHECK_EQ(mp_process_init(&p, helpers_name_child, &shared, sizeof shared, name), MP_OK);
    CHECK_EQ(strcmp(mp_process_name(&p), name), 0);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, MP_FOREVER), MP_OK);
    CHECK_EQ(strcmp(shared, name), 0); /* the child has it whole, under fork and spawn */
    mp_process_close(&p);
    mp_shared_free(shared);
    return 0;
}

/* Where a name is cut (mp.h's own names, a child's copy), it is cut before a whole character:
   never in the middle of a UTF-8 sequence. */
static int test_helpers_name_cut_utf8(void) {
    char src[MP_NAME_MAX + 16], dst[MP_NAME_MAX];
    size_t i, n, shift;
    for (shift = 0; shift < 4; shift++) {
        memset(src, 'a', shift);
        for (i = shift; i + 4 <= sizeof src - 1; i += 4) memcpy(src + i, "\xf0\x9f\x98\x80", 4);
        src[i] = 0;
        mp__copy_name(dst, src);
        n = strlen(dst);
        CHECK(n <= MP_NAME_MAX - 1 && n >= MP_NAME_MAX - 4);
        CHECK_EQ(memcmp(dst, src, n), 0);
        CHECK(n < shift || (n - shift) % 4 == 0); /* whole 4-byte characters only */
    }
    mp__copy_name(dst, "short");
    CHECK_EQ(strcmp(dst, "short"), 0);
    return 0;
}

static const mp_test helpers_tests[] = {
    {"helpers_process_init_str", test_helpers_process_init_str},
    {"helpers_sleep_clocks", test_helpers_sleep_clocks},
    {"helpers_sleep_interrupted", test_helpers_sleep_interrupted},
    {"helpers_long_utf8_name", test_helpers_long_utf8_name},
    {"helpers_name_cut_utf8", test_helpers_name_cut_utf8},
    {NULL, NULL},
};
