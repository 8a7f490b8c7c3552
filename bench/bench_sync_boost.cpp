// Boost.Interprocess on the lock workloads of bench_sync.c (built and run by it when the
// headers are installed). Prints "<row> <value>".
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <new>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

using boost::interprocess::interprocess_mutex;

struct shared {
    interprocess_mutex m;
    volatile long counter;
};

static double now() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 5000000, i;
    int rounds = argc > 2 ? atoi(argv[2]) : 3, r, k;
    void *mem = mmap(NULL, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 1;
    shared *s = new (mem) shared();
    double best_unc = 1e9, best_ops = 0;
    for (r = 0; r < rounds; r++) {
        double t0 = now();
        for (i = 0; i < 2000000; i++) {
            s->m.lock();
            s->m.unlock();
        }
        double unc = (now() - t0) / 2000000 * 1e9;
        if (unc < best_unc) best_unc = unc;
        s->counter = 0;
        t0 = now();
        pid_t pids[2];
        for (k = 0; k < 2; k++) {
            pids[k] = fork();
            if (pids[k] == 0) {
                for (i = 0; i < n; i++) {
                    s->m.lock();
                    s->counter++;
                    s->m.unlock();
                }
                _exit(0);
            }
        }
        for (k = 0; k < 2; k++) waitpid(pids[k], NULL, 0);
        double ops = 2.0 * n / (now() - t0);
        if (s->counter != 2 * n) fprintf(stderr, "boost: lost updates\n");
        if (ops > best_ops) best_ops = ops;
    }
    printf("uncontended_ns %.1f\n", best_unc);
    printf("contended_ops %.0f\n", best_ops);
    return 0;
}
