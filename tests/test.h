/* The test framework: each test is a function returning 0 on success, run by main.c in its
   own child process (started with mp.h itself) with a timeout. */
#ifndef MP_TEST_H
#define MP_TEST_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef struct mp_test {
    const char *name;
    int (*fn)(void);
} mp_test;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            fprintf(stderr, "  %s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_, check_b_);                                         \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

/* A test that cannot run on this platform passes and says so. */
#define SKIP(why)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "  skipped: %s\n", why);                                                   \
        return 0;                                                                                  \
    } while (0)

/* How many rounds a fault loop runs: its own count times MP_TEST_ROUNDS (make stress sets it). */
static int test_rounds(int base) {
    const char *s = getenv("MP_TEST_ROUNDS");
    int k = s ? atoi(s) : 1;
    return base * (k < 1 ? 1 : k);
}

#endif
