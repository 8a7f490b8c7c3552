/* Issue 10: the forkserver start method, per-object start methods, and processes started from
   a multi-threaded parent. Each test picks its start method per object, so they run in every
   leg (the whole suite also runs under MP_START_METHOD=forkserver as legs of its own). */
#ifndef _WIN32
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

typedef struct fs_shared {
    mp__word go, ready;
    volatile mp__u32 count;
    volatile long pids[16];
    volatile long server, parent;
    char name[MP_NAME_MAX], parent_name[MP_NAME_MAX];
} fs_shared;

#ifndef _WIN32
static fs_shared *fs_new(void) {
    return (fs_shared *)mp_shared_alloc(sizeof(fs_shared));
}
static void fs_flag_set(mp__word *w, mp__u32 v) {
    mp__store(&w->value, v);
    mp__wake(w, 0x7fffffff);
}
#endif
static void fs_flag_wait(mp__word *w, mp__u32 at_least) {
    mp__u32 v;
    while ((v = mp__load(&w->value)) < at_least) mp__wait(w, v, 1.0);
}

/* The child: what a child sees of itself and its parent, then an exit code from its arg. */
static int fs_child(void *arg, size_t size) {
    fs_shared *s;
    mp_process *parent = mp_parent_process();
    int code;
    if (size != sizeof s + sizeof code) return 100;
    memcpy(&s, arg, sizeof s);
    memcpy(&code, (char *)arg + sizeof s, sizeof code);
    s->parent = mp_getppid();
    strcpy(s->name, mp_process_name(mp_current_process()));
    if (!parent || mp_process_pid(parent) != mp_getppid() || mp_process_is_alive(parent) != 1)
        return 101;
    strcpy(s->parent_name, mp_process_name(parent));
    mp__fetch_add(&s->count, 1);
    mp__fetch_add(&s->ready.value, 1);
    mp__wake(&s->ready, 0x7fffffff);
    if (code < 0) fs_flag_wait(&s->go, 1); /* wait to be ended */
    return code;
}
#ifndef _WIN32
static int fs_start(mp_process *p, fs_shared *s, int code, int method, const char *name) {
    unsigned char arg[sizeof s + sizeof code];
    int r;
    memcpy(arg, &s, sizeof s);
    memcpy(arg + sizeof s, &code, sizeof code);
    r = mp_process_init(p, fs_child, arg, sizeof arg, name);
    if (r == MP_OK) r = mp_process_set_start_method(p, method);
    if (r == MP_OK) r = mp_process_start(p);
    return r;
}
#endif

/* Everything a Process does, under forkserver, chosen per object (the global method stays). */
static int test_forkserver_process(void) {
#ifdef _WIN32
    mp_process p;
    CHECK_EQ(mp_process_init(&p, fs_child, NULL, 0, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORKSERVER), MP_ENOSYS);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORK), MP_ENOSYS);
    CHECK_EQ(mp_forkserver_start(), MP_ENOSYS);
    CHECK_EQ(mp_process_set_start_method(&p, MP_SPAWN), MP_OK);
    mp_process_close(&p);
    SKIP("forkserver is POSIX only: MP_ENOSYS checked");
#else
    fs_shared *s = fs_new();
    mp_process a, b, c, *list[4];
    mp_process *procs[1];
    int code = 0, global = mp_get_start_method(), ready[1];
    CHECK(s != NULL);
    CHECK_EQ(mp_forkserver_start(), MP_OK); /* the preload: now, before any thread */
    CHECK_EQ(mp_forkserver_start(), MP_OK); /* twice is fine */
    /* arguments, exit code, names, the parent as the child sees it */
    CHECK_EQ(fs_start(&a, s, 7, MP_FORKSERVER, NULL), MP_OK);
    CHECK_EQ(mp_process_join(&a, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&a, &code), 1);
    CHECK_EQ(code, 7);
    CHECK_EQ(s->parent, mp_getpid());
    CHECK_EQ(strcmp(s->name, mp_process_name(&a)), 0);
    CHECK_EQ(strcmp(s->parent_name, mp_process_name(mp_current_process())), 0);
    CHECK_EQ(mp_get_start_method(), global);
    mp_process_close(&a);
    /* join with a timeout, is_alive, mp_wait, active_children, terminate, kill, daemon */
    CHECK_EQ(fs_start(&a, s, -1, MP_FORKSERVER, "waiter"), MP_OK);
    CHECK_EQ(mp_process_init(&b, fs_child, NULL, 0, NULL), MP_OK);
    mp_process_close(&b);
    {
        unsigned char arg[sizeof s + sizeof code];
        int minus = -1;
        memcpy(arg, &s, sizeof s);
        memcpy(arg + sizeof s, &minus, sizeof minus);
        CHECK_EQ(mp_process_init(&b, fs_child, arg, sizeof arg, NULL), MP_OK);
        CHECK_EQ(mp_process_set_daemon(&b, 1), MP_OK);
        CHECK_EQ(mp_process_set_start_method(&b, MP_FORKSERVER), MP_OK);
        CHECK_EQ(mp_process_start(&b), MP_OK);
        CHECK_EQ(mp_process_set_start_method(&b, MP_SPAWN), MP_ESTARTED);
    }
    fs_flag_wait(&s->ready, 3);
    CHECK_EQ(mp_process_join(&a, 0.05), MP_ETIMEDOUT);
    CHECK_EQ(mp_process_is_alive(&a), 1);
    CHECK_EQ(mp_process_exitcode(&a, &code), 0);
    CHECK_EQ(mp_active_children(list, 4), 2);
    procs[0] = &a;
    CHECK_EQ(mp_wait(NULL, 0, procs, 1, 0.05, ready), MP_ETIMEDOUT);
    CHECK_EQ(mp_process_terminate(&a), MP_OK);
    CHECK_EQ(mp_wait(NULL, 0, procs, 1, 30, ready), 1);
    CHECK_EQ(mp_process_join(&a, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&a, &code), 1);
    CHECK_EQ(code, -SIGTERM);
    CHECK_EQ(mp_process_is_alive(&a), 0);
    CHECK_EQ(mp_process_kill(&b), MP_OK);
    CHECK_EQ(mp_process_join(&b, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&b, &code), 1);
    CHECK_EQ(code, -SIGKILL);
    CHECK_EQ(mp_active_children(list, 4), 0);
    mp_process_close(&a);
    mp_process_close(&b);
    /* Process-N numbering goes on across methods: named or not, each takes a number */
    CHECK_EQ(fs_start(&c, s, 0, MP_FORKSERVER, NULL), MP_OK);
    CHECK_EQ(strcmp(mp_process_name(&c) + strlen(mp_process_name(&c)) - 2, ":5"), 0);
    CHECK_EQ(mp_process_join(&c, 30), MP_OK);
    mp_process_close(&c);
    CHECK_EQ(mp_process_set_start_method(&c, MP_SPAWN), MP_ECLOSED);
    return 0;
#endif
}

#ifndef _WIN32
/* A connection end open in the parent reaches the child (SCM_RIGHTS through the server). */
static int fs_echo(void *arg, size_t size) {
    mp_conn *c;
    char buf[64];
    size_t n = 0;
    (void)size;
    memcpy(&c, arg, sizeof c);
    if (mp_conn_recv_bytes(c, buf, sizeof buf, &n, 30) != MP_OK) return 2;
    if (mp_conn_send_bytes(c, buf, n) != MP_OK) return 3;
    return 0;
}
/* Children starting children: a forkserver child starts its own under forkserver. */
static int fs_grandparent(void *arg, size_t size) {
    fs_shared *s;
    mp_process c;
    int code = -1;
    (void)size;
    memcpy(&s, arg, sizeof s);
    if (fs_start(&c, s, 5, MP_FORKSERVER, NULL) != MP_OK) return 2;
    if (mp_process_join(&c, 30) != MP_OK) return 3;
    if (mp_process_exitcode(&c, &code) != 1 || code != 5) return 4;
    if (s->parent != mp_getpid()) return 5;
    /* Process-K:1's first child is Process-K:1:1, and knows its parent by name */
    if (strncmp(s->name, mp_process_name(mp_current_process()),
                strlen(mp_process_name(mp_current_process()))) != 0 ||
        strcmp(s->name + strlen(mp_process_name(mp_current_process())), ":1") != 0)
        return 6;
    if (strcmp(s->parent_name, mp_process_name(mp_current_process())) != 0) return 7;
    return 0;
}
static int fs_square(const void *arg, size_t size, mp_task_out *out) {
    int v;
    (void)size;
    memcpy(&v, arg, sizeof v);
    v *= v;
    return mp_task_return(out, &v, sizeof v);
}
#endif
static int test_forkserver_pipes_pools_grandchildren(void) {
#ifdef _WIN32
    mp_pool *pool = NULL;
    mp_pool_options o;
    memset(&o, 0, sizeof o);
    o.start_method = MP_FORKSERVER;
    CHECK_EQ(mp_pool_new(&pool, 2, &o), MP_ENOSYS);
    SKIP("forkserver is POSIX only");
#else
    fs_shared *s = fs_new();
    mp_conn *x, *y;
    mp_process p;
    mp_pool *pool = NULL;
    mp_pool_options o;
    mp_batch *batch = NULL;
    int items[20], i, code = -1;
    char buf[64];
    size_t n = 0;
    mp_conn *extra[80];
    CHECK(s != NULL);
    /* more ends than one request message carries (MP__FS_CHUNK): y goes in a later one */
    for (i = 0; i < 80; i += 2) CHECK_EQ(mp_pipe(1, &extra[i], &extra[i + 1]), MP_OK);
    CHECK_EQ(mp_pipe(1, &x, &y), MP_OK);
    CHECK_EQ(mp_process_init(&p, fs_echo, &y, sizeof y, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORKSERVER), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_conn_close(y), MP_OK);
    CHECK_EQ(mp_conn_send_bytes(x, "hello", 5), MP_OK);
    CHECK_EQ(mp_conn_recv_bytes(x, buf, sizeof buf, &n, 30), MP_OK);
    CHECK_EQ(n, 5);
    CHECK_EQ(memcmp(buf, "hello", 5), 0);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    /* the child's copy is gone with it, and ours is closed: the server holds none */
    CHECK_EQ(mp_conn_recv_bytes(x, buf, sizeof buf, &n, 30), MP_EOF);
    mp_conn_close(x);
    for (i = 0; i < 80; i++) mp_conn_close(extra[i]);
    mp_process_close(&p);

    CHECK_EQ(mp_process_init(&p, fs_grandparent, &s, sizeof s, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORKSERVER), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);

    /* a pool of its own start method (a library's pool under forkserver) */
    memset(&o, 0, sizeof o);
    o.start_method = 9;
    CHECK_EQ(mp_pool_new(&pool, 2, &o), MP_EINVAL);
    o.start_method = MP_FORKSERVER;
    CHECK_EQ(mp_pool_new(&pool, 2, &o), MP_OK);
    for (i = 0; i < 20; i++) items[i] = i;
    CHECK_EQ(mp_pool_map(pool, fs_square, items, sizeof items[0], 20, 0, MP_MAP, &batch), MP_OK);
    for (i = 0; i < 20; i++) {
        const void *r;
        size_t sz;
        int st, v;
        CHECK_EQ(mp_batch_result(batch, (size_t)i, &r, &sz, &st), MP_OK);
        memcpy(&v, r, sizeof v);
        CHECK_EQ(v, i * i);
    }
    mp_batch_free(batch);
    CHECK_EQ(mp_pool_close(pool), MP_OK);
    CHECK_EQ(mp_pool_join(pool), MP_OK);
    CHECK_EQ(mp_pool_free(pool), MP_OK);
    return 0;
#endif
}

/* MP_START_METHOD: an unknown or misspelt value is an error at the start, never a guess. */
static int test_start_method_env_invalid(void) {
    mp_process p;
    int saved = mp_get_start_method();
    const char *bad[] = {"spwan", "Spawn", "FORK", "fork "};
    int i;
    for (i = 0; i < 4; i++) {
        mp__method_from_env(bad[i]);
        CHECK_EQ(mp_get_start_method(), MP_EINVAL);
        CHECK_EQ(mp_process_init(&p, fs_child, NULL, 0, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&p), MP_EINVAL);
        /* an object with its own method does not depend on the environment */
        CHECK_EQ(mp_process_set_start_method(&p, MP_SPAWN), MP_OK);
        mp_process_close(&p);
    }
    mp__method_from_env("forkserver");
    CHECK_EQ(mp_get_start_method(), MP__WIN ? (int)MP_ENOSYS : (int)MP_FORKSERVER);
    mp__method_from_env("spwan");
    CHECK_EQ(mp_set_start_method(saved > 0 ? saved : MP_SPAWN), MP_OK); /* the program's word */
    CHECK(mp_get_start_method() > 0);
    CHECK_EQ(mp_process_set_start_method(NULL, MP_SPAWN), MP_EINVAL);
    return 0;
}

#ifndef _WIN32
/* 8 threads that constantly take malloc's, stdio's and their own lock. */
typedef struct fs_busy {
    pthread_mutex_t mutex;
    volatile mp__u32 stop;
    FILE *sink;
} fs_busy;
static fs_busy fs_busy_state = {PTHREAD_MUTEX_INITIALIZER, 0, NULL};
static void *fs_busy_thread(void *arg) {
    (void)arg;
    while (!mp__load(&fs_busy_state.stop)) {
        void *m = malloc(100 + (size_t)(rand() % 4000));
        pthread_mutex_lock(&fs_busy_state.mutex);
        fprintf(fs_busy_state.sink, "busy %p\n", m);
        pthread_mutex_unlock(&fs_busy_state.mutex);
        free(m);
    }
    return NULL;
}
/* What a child of a threaded program does first: all three locks, which a fork may have
   copied locked (and then it hangs); a forkserver or spawned child has them fresh. */
static int fs_uses_locks(void *arg, size_t size) {
    void *m = malloc(1000);
    FILE *f = fopen("/dev/null", "w");
    (void)arg;
    (void)size;
    pthread_mutex_lock(&fs_busy_state.mutex);
    if (f) fprintf(f, "child %p\n", m), fclose(f);
    pthread_mutex_unlock(&fs_busy_state.mutex);
    free(m);
    return 3;
}
#endif
static int test_forkserver_threaded_parent_many_children(void) {
#ifdef _WIN32
    SKIP("POSIX: fork and forkserver");
#else
    pthread_t t[8];
    int i, k, methods[2] = {MP_FORKSERVER, MP_SPAWN}, n = test_rounds(1) > 1 ? 1000 : 150;
    CHECK_EQ(mp_forkserver_start(), MP_OK); /* the preload, before the threads */
    fs_busy_state.sink = fopen("/dev/null", "w");
    CHECK(fs_busy_state.sink != NULL);
    for (i = 0; i < 8; i++) CHECK_EQ(pthread_create(&t[i], NULL, fs_busy_thread, NULL), 0);
    CHECK(mp_thread_count() >= 9 || mp_thread_count() == MP_ENOSYS);
    for (k = 0; k < 2; k++) {
        int m = k == 1 && n < 1000 ? n / 10 : n; /* spawn: an exec each (1,000 in stress) */
        for (i = 0; i < m; i += 4) {
            mp_process p[4];
            int j, code;
            for (j = 0; j < 4; j++) {
                CHECK_EQ(mp_process_init(&p[j], fs_uses_locks, NULL, 0, NULL), MP_OK);
                CHECK_EQ(mp_process_set_start_method(&p[j], methods[k]), MP_OK);
                CHECK_EQ(mp_process_start(&p[j]), MP_OK);
            }
            for (j = 0; j < 4; j++) {
                CHECK_EQ(mp_process_join(&p[j], 60), MP_OK);
                CHECK_EQ(mp_process_exitcode(&p[j], &code), 1);
                CHECK_EQ(code, 3);
                mp_process_close(&p[j]);
            }
        }
    }
    mp__store(&fs_busy_state.stop, 1);
    for (i = 0; i < 8; i++) pthread_join(t[i], NULL);
    fclose(fs_busy_state.sink);
    return 0;
#endif
}

#ifndef _WIN32
/* The fork hazard, shown deterministically: a thread holds a mutex at the moment of the fork
   (by construction, not by chance); the forked child's copy of it stays locked for ever, while
   a forkserver child has it fresh. */
static pthread_mutex_t fs_held = PTHREAD_MUTEX_INITIALIZER;
static mp__word fs_held_state; /* 1: the thread holds it; 2: it may let go */
static void *fs_holder(void *arg) {
    (void)arg;
    pthread_mutex_lock(&fs_held);
    fs_flag_set(&fs_held_state, 1);
    fs_flag_wait(&fs_held_state, 2);
    pthread_mutex_unlock(&fs_held);
    return NULL;
}
static int fs_try_held(void *arg, size_t size) {
    (void)arg;
    (void)size;
    if (pthread_mutex_trylock(&fs_held) != 0) return 1; /* locked, and no thread to unlock it */
    pthread_mutex_unlock(&fs_held);
    return 0;
}
static int fs_seen;
static int fs_refuse(int threads, void *user) {
    fs_seen = threads;
    return *(int *)user;
}
#endif
static int test_fork_hazard_threads(void) {
#ifdef _WIN32
    CHECK(mp_thread_count() >= 1);
    SKIP("POSIX: fork");
#else
    pthread_t t;
    mp_process p;
    int code = -1, refuse = 1, n1 = mp_thread_count();
    CHECK(n1 == 1 || n1 == MP_ENOSYS || getenv("TSAN_OPTIONS") != NULL);
    mp__store(&fs_held_state.value, 0);
    CHECK_EQ(pthread_create(&t, NULL, fs_holder, NULL), 0);
    fs_flag_wait(&fs_held_state, 1);
    if (n1 > 0) CHECK(mp_thread_count() > n1); /* (TSan adds threads of its own) */
    /* the hook sees the threads and may refuse the fork */
    mp_set_fork_hook(fs_refuse, &refuse);
    CHECK_EQ(mp_process_init(&p, fs_try_held, NULL, 0, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORK), MP_OK);
    if (n1 > 0) {
        CHECK_EQ(mp_process_start(&p), MP_ETHREADS);
        CHECK(fs_seen > n1);
    }
    /* or let it happen: the child finds the mutex held by a thread it does not have */
    refuse = 0;
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 1);
    mp_process_close(&p);
    mp_set_fork_hook(NULL, NULL);
    /* under forkserver (and spawn) the child's mutex is its own, fresh */
    CHECK_EQ(mp_process_init(&p, fs_try_held, NULL, 0, NULL), MP_OK);
    CHECK_EQ(mp_process_set_start_method(&p, MP_FORKSERVER), MP_OK);
    CHECK_EQ(mp_process_start(&p), MP_OK);
    CHECK_EQ(mp_process_join(&p, 30), MP_OK);
    CHECK_EQ(mp_process_exitcode(&p, &code), 1);
    CHECK_EQ(code, 0);
    mp_process_close(&p);
    fs_flag_set(&fs_held_state, 2);
    pthread_join(t, NULL);
    return 0;
#endif
}

#ifndef _WIN32
static int fs_server_gone(long pid) {
    char path[64], buf[512], *p;
    size_t k;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r"))) return 1;
    k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}
#endif
/* The server killed with SIGKILL between two starts: the next start makes a new one; the
   children started before keep their exit codes. */
static int test_forkserver_killed_between_starts(void) {
#ifdef _WIN32
    SKIP("POSIX: forkserver");
#else
    fs_shared *s = fs_new();
    int round, rounds = test_rounds(5), code;
    CHECK(s != NULL);
    for (round = 0; round < rounds; round++) {
        mp_process a, b;
        long old;
        mp__store(&s->go.value, 0);
        mp__store(&s->ready.value, 0);
        CHECK_EQ(fs_start(&a, s, -1, MP_FORKSERVER, NULL), MP_OK); /* running meanwhile */
        fs_flag_wait(&s->ready, 1);
        old = mp__fs.pid;
        CHECK(old > 0);
        CHECK_EQ(kill((pid_t)old, SIGKILL), 0);
        while (!fs_server_gone(old)) sched_yield();
        CHECK_EQ(fs_start(&b, s, 4, MP_FORKSERVER, NULL), MP_OK);
        CHECK(mp__fs.pid != old);
        CHECK_EQ(mp_process_join(&b, 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&b, &code), 1);
        CHECK_EQ(code, 4);
        fs_flag_set(&s->go, 1); /* the orphan of the old server ends and says how */
        CHECK_EQ(mp_process_join(&a, 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&a, &code), 1);
        CHECK_EQ(code, -1 & 0xff);
        mp_process_close(&a);
        mp_process_close(&b);
    }
    return 0;
#endif
}

#ifndef _WIN32
static int fs_killer(void *arg, size_t size) {
    long pid;
    unsigned delay;
    (void)size;
    memcpy(&pid, arg, sizeof pid);
    memcpy(&delay, (char *)arg + sizeof pid, sizeof delay);
    while (delay--) mp__pause();
    kill((pid_t)pid, SIGKILL);
    return 0;
}
#endif
/* The server killed at a random moment of a start: that start fails with MP_EFORKSERVER (or
   succeeds, if the child was already forked), never hangs; the next start works. */
static int test_forkserver_killed_during_start_fault(void) {
#ifdef _WIN32
    SKIP("POSIX: forkserver");
#else
    fs_shared *s = fs_new();
    int round, rounds = test_rounds(20), failed = 0, code;
    CHECK(s != NULL);
    CHECK_EQ(mp_forkserver_start(), MP_OK);
    for (round = 0; round < rounds; round++) {
        mp_process k, a, b;
        unsigned char arg[sizeof(long) + sizeof(unsigned)];
        unsigned delay = (unsigned)(rand() % 200000);
        long pid = mp__fs.pid;
        int r;
        CHECK(pid > 0);
        memcpy(arg, &pid, sizeof pid);
        memcpy(arg + sizeof pid, &delay, sizeof delay);
        CHECK_EQ(mp_process_init(&k, fs_killer, arg, sizeof arg, NULL), MP_OK);
        CHECK_EQ(mp_process_set_start_method(&k, MP_FORK), MP_OK);
        CHECK_EQ(mp_process_start(&k), MP_OK);
        r = fs_start(&a, s, 2, MP_FORKSERVER, NULL);
        CHECK(r == MP_OK || r == MP_EFORKSERVER);
        if (r == MP_OK) {
            CHECK_EQ(mp_process_join(&a, 30), MP_OK);
            CHECK_EQ(mp_process_exitcode(&a, &code), 1);
            CHECK(code == 2 || code == -SIGKILL); /* killed with the server's children */
        } else {
            failed++;
        }
        mp_process_close(&a);
        CHECK_EQ(mp_process_join(&k, 30), MP_OK);
        mp_process_close(&k);
        while (!fs_server_gone(pid)) sched_yield();
        /* the next start always works (a new server if that one is gone) */
        CHECK_EQ(fs_start(&b, s, 3, MP_FORKSERVER, NULL), MP_OK);
        CHECK_EQ(mp_process_join(&b, 30), MP_OK);
        CHECK_EQ(mp_process_exitcode(&b, &code), 1);
        CHECK_EQ(code, 3);
        mp_process_close(&b);
    }
    fprintf(stderr, "  %d of %d starts met a dead server\n", failed, rounds);
    return 0;
#endif
}

#ifndef _WIN32
/* A program that starts children under forkserver, then waits to be killed. */
static int fs_program(void *arg, size_t size) {
    fs_shared *s;
    mp_process p[3];
    int i;
    (void)size;
    memcpy(&s, arg, sizeof s);
    for (i = 0; i < 3; i++)
        if (fs_start(&p[i], s, -1, MP_FORKSERVER, NULL) != MP_OK) return 2;
    for (i = 0; i < 3; i++) s->pids[i] = mp_process_pid(&p[i]);
    s->server = mp__fs.pid;
    fs_flag_wait(&s->ready, 3);
    fs_flag_set(&s->ready, 100);
    for (;;) mp__wait(&s->go, 0, 1.0); /* until killed */
    return 0;
}
#endif
/* The program killed while its server has children: the server and the children go (no
   orphans, as /proc shows). */
static int test_forkserver_parent_killed_no_orphans(void) {
#ifdef _WIN32
    SKIP("POSIX: forkserver");
#else
    int round, rounds = test_rounds(2);
    for (round = 0; round < rounds; round++) {
        fs_shared *s = fs_new();
        mp_process prog;
        int i;
        CHECK(s != NULL);
        CHECK_EQ(mp_process_init(&prog, fs_program, &s, sizeof s, NULL), MP_OK);
        CHECK_EQ(mp_process_start(&prog), MP_OK);
        fs_flag_wait(&s->ready, 100);
        CHECK(s->server > 0);
        CHECK_EQ(mp_process_kill(&prog), MP_OK);
        CHECK_EQ(mp_process_join(&prog, 30), MP_OK);
        while (!fs_server_gone(s->server)) sched_yield();
        for (i = 0; i < 3; i++) {
            CHECK(s->pids[i] > 0);
            while (!fs_server_gone(s->pids[i])) sched_yield();
        }
        mp_process_close(&prog);
        mp_shared_free(s);
    }
    return 0;
#endif
}

static const mp_test forkserver_tests[] = {
    {"forkserver_process", test_forkserver_process},
    {"forkserver_pipes_pools_grandchildren", test_forkserver_pipes_pools_grandchildren},
    {"forkserver_start_method_env_invalid", test_start_method_env_invalid},
    {"forkserver_threaded_parent_many_children", test_forkserver_threaded_parent_many_children},
    {"forkserver_fork_hazard_threads", test_fork_hazard_threads},
    {"forkserver_killed_between_starts", test_forkserver_killed_between_starts},
    {"forkserver_killed_during_start_fault", test_forkserver_killed_during_start_fault},
    {"forkserver_parent_killed_no_orphans", test_forkserver_parent_killed_no_orphans},
    {NULL, NULL},
};
