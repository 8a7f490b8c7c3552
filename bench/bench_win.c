/* Windows (run under Wine by `make bench` where it is installed): mp.h against raw Win32
   calls in the same run, as ratios. Rows: process start+join against CreateProcess +
   WaitForSingleObject; a Pipe round trip against a raw overlapped named pipe (also with an
   mp_wait before each answer is read: the connection wait); an Event and a Semaphore
   ping-pong against a raw named-semaphore ping-pong; the Queue round trip, and how long a
   waiter takes to get a Lock whose owner was killed (no raw counterparts: printed as rows,
   for before/after comparisons). */
#define MP_IMPLEMENTATION
#include "../mp.h"
#ifndef _WIN32
#include <stdio.h>
int main(void) {
    puts("bench_win: Windows only (skipped)");
    return 0;
}
#else
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 3

typedef struct shared {
    mp_event *ping, *pong;
    mp_semaphore *sping, *spong;
    mp_queue *q, *back;
    mp_conn *a, *b;
    mp_lock *lock;
    volatile LONG held;
    int n;
} shared;

static double now(void) {
    return mp__os_now();
}
static double best(double a, double b) {
    return a < b ? a : b;
}

/* -- raw children: this program again, with a word on its command line */
static wchar_t self[MAX_PATH];
static HANDLE raw_start(const wchar_t *args) {
    wchar_t cmd[1024];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    _snwprintf(cmd, 1023, L"\"%ls\" %ls", self, args);
    cmd[1023] = 0;
    if (!CreateProcessW(self, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) return NULL;
    CloseHandle(pi.hThread);
    return pi.hProcess;
}
static int raw_child(int argc, char **argv) {
    int i, n;
    if (strcmp(argv[1], "raw-exit") == 0) return 0;
    n = atoi(argv[3]);
    if (strcmp(argv[1], "raw-sem") == 0) { /* raw-sem NAME N: wait ping, release pong */
        char a[128], b[128];
        HANDLE ping, pong;
        snprintf(a, sizeof a, "%s-ping", argv[2]);
        snprintf(b, sizeof b, "%s-pong", argv[2]);
        ping = OpenSemaphoreA(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, a);
        pong = OpenSemaphoreA(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, b);
        if (!ping || !pong) return 1;
        for (i = 0; i < n; i++) {
            WaitForSingleObject(ping, INFINITE);
            ReleaseSemaphore(pong, 1, NULL);
        }
        return 0;
    }
    if (strcmp(argv[1], "raw-pipe") == 0) { /* raw-pipe NAME N: echo 64-byte messages */
        char msg[64];
        DWORD got, put;
        HANDLE h =
            CreateFileA(argv[2], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h == INVALID_HANDLE_VALUE) return 1;
        for (i = 0; i < n; i++) {
            if (!ReadFile(h, msg, sizeof msg, &got, NULL) || !WriteFile(h, msg, got, &put, NULL))
                return 1;
        }
        CloseHandle(h);
        return 0;
    }
    (void)argc;
    return 2;
}

/* -- process start + join */
static int nothing(void *arg, size_t size) {
    (void)arg;
    (void)size;
    return 0;
}
static double start_mp(int n) {
    double t0 = now();
    int i;
    for (i = 0; i < n; i++) {
        mp_process p;
        mp_process_init(&p, nothing, NULL, 0, NULL);
        mp_process_start(&p);
        mp_process_join(&p, MP_FOREVER);
        mp_process_close(&p);
    }
    return (now() - t0) / n * 1e3;
}
static double start_raw(int n) {
    double t0 = now();
    int i;
    for (i = 0; i < n; i++) {
        HANDLE h = raw_start(L"raw-exit");
        if (!h) return -1;
        WaitForSingleObject(h, INFINITE);
        CloseHandle(h);
    }
    return (now() - t0) / n * 1e3;
}

/* -- ping-pongs between two processes, microseconds per round trip */
static int event_ponger(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        mp_event_wait(s->ping, MP_FOREVER);
        mp_event_clear(s->ping);
        mp_event_set(s->pong);
    }
    return 0;
}
static int sem_ponger(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        mp_semaphore_acquire(s->sping, MP_FOREVER);
        mp_semaphore_release(s->spong);
    }
    return 0;
}
static int queue_echo(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    char msg[64];
    size_t n;
    int i;
    (void)size;
    for (i = 0; i < s->n; i++) {
        mp_queue_get(s->q, msg, sizeof msg, &n, MP_FOREVER);
        mp_queue_put(s->back, msg, n, MP_FOREVER);
    }
    return 0;
}
static int pipe_echo(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    char msg[64];
    size_t n;
    int i;
    (void)size;
    mp_conn_close(s->a);
    for (i = 0; i < s->n; i++) {
        if (mp_conn_recv_bytes(s->b, msg, sizeof msg, &n, MP_FOREVER) != MP_OK) return 1;
        mp_conn_send_bytes(s->b, msg, n);
    }
    return 0;
}
static double trips_mp(shared *s, mp_target_fn fn, int kind, int n) {
    mp_process p;
    char msg[64];
    size_t got;
    double t0;
    int i;
    s->n = n;
    memset(msg, 'y', sizeof msg);
    mp_process_init(&p, fn, &s, sizeof s, NULL);
    mp_process_start(&p);
    t0 = now();
    for (i = 0; i < n; i++) {
        if (kind == 0) {
            mp_event_set(s->ping);
            mp_event_wait(s->pong, MP_FOREVER);
            mp_event_clear(s->pong);
        } else if (kind == 1) {
            mp_semaphore_release(s->sping);
            mp_semaphore_acquire(s->spong, MP_FOREVER);
        } else if (kind == 2) {
            mp_queue_put(s->q, msg, sizeof msg, MP_FOREVER);
            mp_queue_get(s->back, msg, sizeof msg, &got, MP_FOREVER);
        } else if (kind == 3) {
            mp_conn_send_bytes(s->a, msg, sizeof msg);
            mp_conn_recv_bytes(s->a, msg, sizeof msg, &got, MP_FOREVER);
        } else { /* the answer awaited by mp_wait, then a receive with a timeout */
            mp_conn_send_bytes(s->a, msg, sizeof msg);
            mp_wait(&s->a, 1, NULL, 0, 30, NULL);
            mp_conn_recv_bytes(s->a, msg, sizeof msg, &got, 30);
        }
    }
    t0 = now() - t0;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    return t0 / n * 1e6;
}
/* -- a Lock's owner is killed while a thread of ours sleeps on it: milliseconds from the
   kill until the waiter has the lock (the mean of n) */
static int lock_holder(void *arg, size_t size) {
    shared *s = *(shared **)arg;
    (void)size;
    mp_lock_acquire(s->lock, MP_FOREVER);
    InterlockedExchange(&s->held, 1);
    while (s->n >= 0) Sleep(1000); /* killed here */
    return 0;
}
static double got_at;
static DWORD WINAPI lock_waiter(LPVOID arg) {
    shared *s = (shared *)arg;
    mp_lock_acquire(s->lock, MP_FOREVER); /* MP_EOWNERDEAD */
    got_at = now();
    mp_lock_release(s->lock);
    return 0;
}
static double owner_death(shared *s, int n) {
    double sum = 0;
    int i;
    for (i = 0; i < n; i++) {
        mp_process p;
        HANDLE t;
        double t0;
        s->held = 0;
        mp_process_init(&p, lock_holder, &s, sizeof s, NULL);
        mp_process_start(&p);
        while (!s->held) Sleep(1);
        t = CreateThread(NULL, 0, lock_waiter, s, 0, NULL);
        Sleep(300 + 47 * (DWORD)i); /* asleep, past any first short nap; phases vary */
        t0 = now();
        mp_process_kill(&p);
        WaitForSingleObject(t, INFINITE);
        CloseHandle(t);
        sum += got_at - t0;
        mp_process_join(&p, MP_FOREVER);
        mp_process_close(&p);
    }
    return sum / n * 1e3;
}
static double sem_raw(int n) {
    char base[64], a[80], b[80];
    wchar_t args[128];
    HANDLE ping, pong, h;
    double t0;
    int i;
    snprintf(base, sizeof base, "Local\\bench-win-%lu", (unsigned long)GetCurrentProcessId());
    snprintf(a, sizeof a, "%s-ping", base);
    snprintf(b, sizeof b, "%s-pong", base);
    ping = CreateSemaphoreA(NULL, 0, 1 << 30, a);
    pong = CreateSemaphoreA(NULL, 0, 1 << 30, b);
    _snwprintf(args, 127, L"raw-sem %hs %d", base, n);
    args[127] = 0;
    h = raw_start(args);
    if (!h || !ping || !pong) return -1;
    t0 = now();
    for (i = 0; i < n; i++) {
        ReleaseSemaphore(ping, 1, NULL);
        WaitForSingleObject(pong, INFINITE);
    }
    t0 = now() - t0;
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    CloseHandle(ping);
    CloseHandle(pong);
    return t0 / n * 1e6;
}
static double pipe_raw(int n) {
    char name[96], msg[64];
    wchar_t args[160];
    HANDLE srv, h;
    DWORD got, put;
    double t0;
    int i;
    snprintf(name, sizeof name, "\\\\.\\pipe\\bench-win-%lu", (unsigned long)GetCurrentProcessId());
    srv = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT, 1, 65536, 65536, 0,
                           NULL);
    if (srv == INVALID_HANDLE_VALUE) return -1;
    _snwprintf(args, 159, L"raw-pipe %hs %d", name, n);
    args[159] = 0;
    h = raw_start(args);
    if (!h) return -1;
    if (!ConnectNamedPipe(srv, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) return -1;
    memset(msg, 'y', sizeof msg);
    t0 = now();
    for (i = 0; i < n; i++) {
        WriteFile(srv, msg, sizeof msg, &put, NULL);
        ReadFile(srv, msg, sizeof msg, &got, NULL);
    }
    t0 = now() - t0;
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
    CloseHandle(srv);
    return t0 / n * 1e6;
}

static void row(const char *what, double mp_v, double raw_v, const char *unit, const char *label) {
    if (mp_v >= 1e9) return; /* not run (MP_BENCH_ONLY) */
    printf("%-44s %9.2f %s", what, mp_v, unit);
    if (raw_v > 0) {
        printf("   raw %9.2f %s   %5.2fx\n", raw_v, unit, raw_v / mp_v);
        printf("@ratio windows | %s | %.2f\n", label, raw_v / mp_v);
    } else
        printf("\n");
}

int main(int argc, char **argv) {
    shared *s;
    double st = 1e9, st_raw = 1e9, ev = 1e9, sem = 1e9, sem_r = 1e9, qu = 1e9, pi = 1e9, pi_r = 1e9,
           pw = 1e9, od = 1e9;
    const char *only = getenv("MP_BENCH_ONLY"); /* start, event, semaphore, queue, pipe, lock */
    int r, quick = getenv("MP_BENCH_QUICK") != NULL, trips = quick ? 2000 : 10000;
    if (argc >= 3) return raw_child(argc, argv);
    if (argc == 2) return raw_child(argc, argv);
    GetModuleFileNameW(NULL, self, MAX_PATH);
    s = (shared *)mp_shared_alloc(sizeof(shared));
    s->ping = mp_event_new();
    s->pong = mp_event_new();
    s->sping = mp_semaphore_new(0);
    s->spong = mp_semaphore_new(0);
    s->q = mp_queue_new(1 << 16, 0);
    s->back = mp_queue_new(1 << 16, 0);
    s->lock = mp_lock_new();
    for (r = 0; r < ROUNDS; r++) {
        if (!only || strstr("start", only)) {
            st_raw = best(st_raw, start_raw(quick ? 5 : 20));
            st = best(st, start_mp(quick ? 5 : 20));
        }
        if (!only || strstr("event semaphore", only)) {
            sem_r = best(sem_r, sem_raw(trips));
            ev = best(ev, trips_mp(s, event_ponger, 0, trips));
            sem = best(sem, trips_mp(s, sem_ponger, 1, trips));
        }
        if (!only || strstr("queue", only)) qu = best(qu, trips_mp(s, queue_echo, 2, trips));
        if ((!only || strstr("pipe", only)) && mp_pipe(1, &s->a, &s->b) == MP_OK) {
            pi_r = best(pi_r, pipe_raw(trips));
            pi = best(pi, trips_mp(s, pipe_echo, 3, trips));
            pw = best(pw, trips_mp(s, pipe_echo, 4, trips / 5));
            mp_conn_close(s->a);
            mp_conn_close(s->b);
        }
    }
    if (!only || strstr("lock", only)) od = owner_death(s, quick ? 3 : 10);
    printf("Windows: mp.h against raw Win32 between two processes (best of %d)\n", ROUNDS);
    row("process start+join", st, st_raw, "ms", "spawn start+join vs raw CreateProcess+Wait");
    row("Event ping-pong round trip", ev, sem_r, "us",
        "Event ping-pong vs raw semaphore ping-pong");
    row("Semaphore ping-pong round trip", sem, sem_r, "us",
        "Semaphore ping-pong vs raw semaphore ping-pong");
    row("Pipe round trip, 64 B", pi, pi_r, "us", "Pipe round trip 64 B vs raw named pipe");
    row("Pipe round trip, 64 B, mp_wait first", pw, pi_r, "us",
        "Pipe round trip 64 B with mp_wait vs raw named pipe");
    row("Queue round trip, 64 B", qu, 0, "us", "");
    row("Lock owner killed: waiter has the lock after", od, 0, "ms", "");
    return 0;
}
#endif
