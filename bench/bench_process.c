/* Process start + join: mp.h under fork, spawn and forkserver against the raw system calls
   (fork + waitpid, posix_spawn + waitpid of this same program) and against Python's
   multiprocessing (fork, spawn, forkserver), measured in one run and printed as ratios.
   POSIX only: on Windows there is one way to start a process and nothing rawer to compare
   with. */
#define MP_IMPLEMENTATION
#include "../mp.h"
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int noop(void *arg, size_t size) {
    (void)arg;
    (void)size;
    return 0;
}

/* One start + join of each kind, timed alone: the rounds interleave the kinds one start at a
   time, and each row is the median of its samples, so that load from other processes on the
   machine falls on every row alike. */
static double raw_fork_once(void) {
    double t0 = mp__os_now();
    int st;
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, &st, 0);
    return mp__os_now() - t0;
}
static double raw_posix_spawn_once(const char *self) {
    char *argv[3];
    double t0 = mp__os_now();
    int st;
    pid_t pid;
    argv[0] = (char *)self;
    argv[1] = (char *)"--noop";
    argv[2] = NULL;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0) return -1;
    waitpid(pid, &st, 0);
    return mp__os_now() - t0;
}
static double mp_once(int method) {
    double t0 = mp__os_now();
    mp_process p;
    mp_process_init(&p, noop, NULL, 0, NULL);
    mp_process_set_start_method(&p, method);
    if (mp_process_start(&p) != MP_OK) return -1;
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    return mp__os_now() - t0;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median_us(double *v, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (v[i] < 0) return -1;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2] * 1e6;
}

/* Python's numbers, from bench_process.py, or -1 when python3 is missing. */
static void python(double *fork_us, double *spawn_us, double *fs_us) {
    char line[128];
    FILE *f = popen("python3 bench/bench_process.py 200 20 2>/dev/null", "r");
    *fork_us = *spawn_us = *fs_us = -1;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "fork ", 5) == 0) *fork_us = atof(line + 5);
        if (strncmp(line, "spawn ", 6) == 0) *spawn_us = atof(line + 6);
        if (strncmp(line, "forkserver ", 11) == 0) *fs_us = atof(line + 11);
    }
    pclose(f);
}

static void row(const char *name, double us, double base, const char *target) {
    if (us < 0)
        printf("%-34s %10s\n", name, "n/a");
    else
        printf("%-34s %10.1f us  %7.2fx raw fork  %s\n", name, us, us / base, target);
}
/* "@ratio process | label | factor": how many times faster mp.h is than the baseline. */
static void ratio(const char *label, double base_us, double mp_us) {
    if (base_us > 0 && mp_us > 0) printf("@ratio process | %s | %.2f\n", label, base_us / mp_us);
}

int main(int argc, char **argv) {
    int n = 3000, ns = 300, i;
    double rf, rs, mf, ms, mfs, pf, ps, pfs;
    double *v[5];
    if (argc > 1 && strcmp(argv[1], "--noop") == 0) return 0;
    if (argc > 1) n = atoi(argv[1]), ns = n / 10 + 1;
    if (mp_forkserver_start() != MP_OK) return 1; /* started once, as Python's is */
    for (i = 0; i < 5; i++) v[i] = (double *)malloc((size_t)n * sizeof(double));
    for (i = 0; i < n; i++) { /* interleaved, one start of each at a time */
        v[0][i] = raw_fork_once();
        v[1][i] = mp_once(MP_FORK);
        v[2][i] = mp_once(MP_FORKSERVER);
    }
    for (i = 0; i < ns; i++) {
        v[3][i] = raw_posix_spawn_once(mp__os_exe_path());
        v[4][i] = mp_once(MP_SPAWN);
    }
    rf = median_us(v[0], n);
    mf = median_us(v[1], n);
    mfs = median_us(v[2], n);
    rs = median_us(v[3], ns);
    ms = median_us(v[4], ns);
    python(&pf, &ps, &pfs);
    printf("process start + join (medians of %d interleaved forks, %d spawns)\n", n, ns);
    row("raw fork + waitpid", rf, rf, "");
    row("raw posix_spawn + waitpid", rs, rf, "");
    row("mp.h fork start + join", mf, rf, "target <= 1.2x");
    row("mp.h forkserver start + join", mfs, rf, "target <= 2x");
    row("mp.h spawn start + join", ms, rf, "target < 10x");
    row("python multiprocessing fork", pf, rf, "");
    row("python multiprocessing forkserver", pfs, rf, "");
    row("python multiprocessing spawn", ps, rf, "");
    printf("mp.h spawn / raw posix_spawn: %.2fx\n", ms / rs);
    if (pfs > 0) printf("python forkserver / mp.h forkserver: %.1fx (target >= 5x)\n", pfs / mfs);
    ratio("fork start+join vs raw fork+waitpid", rf, mf);
    ratio("forkserver start+join vs raw fork+waitpid", rf, mfs);
    ratio("spawn start+join vs raw posix_spawn+waitpid", rs, ms);
    ratio("fork start+join vs Python fork", pf, mf);
    ratio("forkserver start+join vs Python forkserver", pfs, mfs);
    ratio("spawn start+join vs Python spawn", ps, ms);
    return 0;
}
