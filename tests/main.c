/* The test runner: every test runs in a child process of its own (started with mp.h), with a
   timeout, so that a crash or a hang fails one test and not the suite.
   Usage: tests [-t SECONDS] [-l] [-x] [NAME-SUBSTRING...]; MP_START_METHOD picks fork or spawn.
   -l lists the selected tests; -x takes the arguments as whole names (tests/stress.sh). */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include "test.h"
#include <stdlib.h>

#include "test_process.c"
#include "test_arena.c"
#include "test_sync.c"
#include "test_queue.c"
#include "test_pool.c"
#include "test_pipe.c"
#include "test_badinput.c"
#include "test_helpers.c"
#include "test_conn.c"
#include "test_forkserver.c"
#include "test_win.c"

static const mp_test *const test_groups[] = {
    process_tests,  arena_tests,   sync_tests, queue_tests,      pool_tests, pipe_tests,
    badinput_tests, helpers_tests, conn_tests, forkserver_tests, win_tests};

static const mp_test *test_at(int index) {
    size_t g;
    for (g = 0; g < sizeof test_groups / sizeof test_groups[0]; g++) {
        int k;
        for (k = 0; test_groups[g][k].name; k++)
            if (index-- == 0) return &test_groups[g][k];
    }
    return NULL;
}

static int run_one(void *arg, size_t size) {
    int index;
    (void)size;
    memcpy(&index, arg, sizeof index);
    return test_at(index)->fn();
}

static int selected(const char *name, int argc, char **argv, int first, int exact) {
    int i;
    if (first >= argc) return 1;
    for (i = first; i < argc; i++)
        if (exact ? strcmp(name, argv[i]) == 0 : strstr(name, argv[i]) != NULL) return 1;
    return 0;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0, first = 1, i, list = 0, exact = 0;
    double limit = 60;
    const mp_test *t;
    mp_init();         /* the rule for main: needed with tcc, which ignores constructors */
    (void)test_rounds; /* used by the fault loops; referenced here so no build warns */
    setvbuf(stdout, NULL, _IONBF, 0);
    while (first < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "-t") == 0 && first + 1 < argc)
            limit = atof(argv[++first]);
        else if (strcmp(argv[first], "-l") == 0)
            list = 1;
        else if (strcmp(argv[first], "-x") == 0)
            exact = 1;
        first++;
    }
    printf("mp.h tests: start method %s, %s\n",
           mp_get_start_method() == MP_FORK         ? "fork"
           : mp_get_start_method() == MP_FORKSERVER ? "forkserver"
           : mp_get_start_method() == MP_SPAWN      ? "spawn"
                                                    : "invalid (MP_START_METHOD)",
#ifdef _WIN32
           "windows"
#elif defined(MP_PORTABLE)
           "posix (portable fallbacks)"
#else
           "posix"
#endif
    );
    for (i = 0; (t = test_at(i)) != NULL; i++) {
        mp_process p;
        int r, code = 0;
        if (!selected(t->name, argc, argv, first, exact)) continue;
        if (list) {
            printf("%s\n", t->name);
            continue;
        }
        r = mp_process_init(&p, run_one, &i, sizeof i, t->name);
        if (r == MP_OK) r = mp_process_start(&p);
        if (r != MP_OK) {
            printf("FAIL %s: could not start: %s\n", t->name, mp_strerror(r));
            failed++;
            continue;
        }
        if (mp_process_join(&p, limit) == MP_ETIMEDOUT) {
            mp_process_kill(&p);
            mp_process_join(&p, MP_FOREVER);
            printf("FAIL %s: timed out after %.0f s\n", t->name, limit);
            failed++;
        } else if (mp_process_exitcode(&p, &code) == 1 && code == 0) {
            printf("ok   %s\n", t->name);
            passed++;
        } else {
            printf("FAIL %s: exit code %d\n", t->name, code);
            failed++;
        }
        mp_process_close(&p);
    }
    if (!list) printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
