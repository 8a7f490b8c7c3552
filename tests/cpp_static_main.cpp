// C++ over two translation units: a Process target and Pool tasks that use a static object of
// the other unit (the registry). Built with this file linked first and last, and run under
// spawn (tests/run_all.sh): a spawned child must run its target only once every static object
// is constructed, from mp_init() at the top of main, and a child whose main forgets mp_init()
// must stop with a clear error instead of running main as a second parent.
#define MP_IMPLEMENTATION
#include "../mp.h"
#include "cpp_static_registry.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>

static int check_registry(void *arg, size_t size) {
    (void)arg;
    (void)size;
    if (!registry.name || std::strcmp(registry.name, "registry") != 0) return 3;
    return registry.total() == 11025 ? 0 : 4;
}

static int cube(const void *arg, size_t size, mp_task_out *out) {
    int i = 0, v = -100000;
    if (size != sizeof i) return 1;
    std::memcpy(&i, arg, sizeof i);
    if (i >= 0 && static_cast<size_t>(i) < registry.values.size()) v = registry.values[i];
    return mp_task_return(out, &v, sizeof v);
}

static int fail(const char *what, int r) {
    std::printf("FAIL %s: %d (%s)\n", what, r, mp_strerror(r));
    return 1;
}

int main() {
    if (!std::getenv("MP_TEST_SKIP_INIT")) mp_init(); // the rule for main in C++
    const int spawn = mp_get_start_method() == MP_SPAWN;
    mp_process p;
    int r, code = -1;

    r = mp_process_init(&p, check_registry, NULL, 0, NULL);
    if (r == MP_OK) r = mp_process_start(&p);
    if (r == MP_OK) r = mp_process_join(&p, 60);
    if (r != MP_OK) return fail("process", r);
    mp_process_exitcode(&p, &code);
    mp_process_close(&p);
    if (code != 0) return fail("process: the target did not see the registry", code);

    mp_pool *pool = NULL;
    mp_batch *batch = NULL;
    int items[14], total = 0;
    for (int i = 0; i < 14; i++) items[i] = i;
    r = mp_pool_new(&pool, 2, NULL);
    if (r == MP_OK) r = mp_pool_map(pool, cube, items, sizeof items[0], 14, 1, MP_MAP, &batch);
    for (size_t i = 0; r == MP_OK && i < 14; i++) {
        const void *res;
        size_t size;
        int v = 0, status;
        r = mp_batch_result(batch, i, &res, &size, &status);
        if (r == MP_OK && size == sizeof v) std::memcpy(&v, res, sizeof v);
        total += v;
    }
    if (batch) mp_batch_free(batch);
    if (pool) mp_pool_close(pool), mp_pool_join(pool), mp_pool_free(pool);
    if (r != MP_OK) return fail("pool", r);
    if (total != 11025) return fail("pool: the tasks did not see the registry", total);

    if (spawn) { // a child whose main does not call mp_init(): stopped, with a message
#ifdef _WIN32
        _putenv("MP_TEST_SKIP_INIT=1");
#else
        setenv("MP_TEST_SKIP_INIT", "1", 1);
#endif
        r = mp_process_init(&p, check_registry, NULL, 0, NULL);
        if (r == MP_OK) r = mp_process_start(&p);
        mp_process_close(&p);
        if (r != MP_ESPAWN) return fail("a child without mp_init() was not stopped", r);
    }
    std::printf("c++ static objects across translation units: ok (%s)\n", spawn ? "spawn" : "fork");
    return 0;
}
