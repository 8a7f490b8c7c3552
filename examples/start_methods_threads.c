/* start_methods_threads.c - why a multi-threaded program starts its processes with forkserver
   (or spawn) rather than fork, and how mp.h tells you that a fork copies only one thread.
   Build alone (in examples/): cc -std=c99 start_methods_threads.c -o start_methods_threads -pthread && ./start_methods_threads

   Python (3.12 warns on the fork; 3.14 makes forkserver the default on Linux):
       import multiprocessing as mp, threading

       lock = threading.Lock()
       go = threading.Event()

       def holder():              # another thread of the program, holding a lock
           with lock:
               go.wait()

       def child():
           if lock.acquire(timeout=0.5):
               print("child: the lock is free")
           else:
               print("child: the lock is held, and no thread here will ever release it")

       if __name__ == '__main__':
           mp.set_forkserver_preload([])   # (the server starts at the first forkserver start)
           threading.Thread(target=holder).start()
           for method in ('fork', 'forkserver', 'spawn'):
               p = mp.get_context(method).Process(target=child)
               p.start(); p.join()
           go.set()

   C differences:
   - mp_forkserver_start() starts the server at the top of main, while the program has one
     thread (Python's preload); without it the server starts at the first forkserver start,
     as a fresh run of the program, which is just as clean.
   - The start method is chosen per process with mp_process_set_start_method (Python's
     get_context(method).Process); mp_set_start_method sets the program's default.
   - mp_set_fork_hook is called before each fork from a process with more than one thread:
     here it prints a warning, as Python 3.12 does; returning non-zero would make the start
     fail with MP_ETHREADS instead.
   - The forked child's copy of the mutex is locked for ever: the thread that held it was not
     copied. A real program would hang at that point (in malloc, printf or its own lock); the
     example uses trylock to show it without hanging.
   - Windows has only spawn: the example says so and stops.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
int main(void) {
    mp_init();
    printf("fork and forkserver are POSIX start methods (here: %s); Windows starts every "
           "process by spawn, which is safe from threads\n",
           mp_strerror(mp_set_start_method(MP_FORKSERVER)));
    return 0;
}
#else
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static mp_event *holding, *go;

static void *holder(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    mp_event_set(holding);
    mp_event_wait(go, MP_FOREVER);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int child(void *arg, size_t size) {
    (void)arg;
    (void)size;
    if (pthread_mutex_trylock(&lock) == 0) {
        printf("  child: the lock is free\n");
        pthread_mutex_unlock(&lock);
        return 0;
    }
    printf("  child: the lock is held, and no thread here will ever release it\n");
    return 1;
}

static int warn(int threads, void *user) {
    (void)user;
    printf("  warning: fork from a process with %d threads: only the calling thread is "
           "copied\n",
           threads);
    return 0; /* 0: fork anyway; non-zero: refuse (MP_ETHREADS) */
}

int main(void) {
    static const int methods[3] = {MP_FORK, MP_FORKSERVER, MP_SPAWN};
    static const char *const names[3] = {"fork", "forkserver", "spawn"};
    pthread_t t;
    int i;
    mp_init();
    mp_forkserver_start(); /* now, while the program has one thread */
    holding = mp_event_new();
    go = mp_event_new();
    mp_set_fork_hook(warn, NULL);
    pthread_create(&t, NULL, holder, NULL);
    mp_event_wait(holding, MP_FOREVER);
    for (i = 0; i < 3; i++) {
        mp_process p;
        printf("%s:\n", names[i]);
        mp_process_init(&p, child, NULL, 0, NULL);
        mp_process_set_start_method(&p, methods[i]);
        if (mp_process_start(&p) == MP_OK) mp_process_join(&p, MP_FOREVER);
        mp_process_close(&p);
    }
    mp_event_set(go);
    pthread_join(t, NULL);
    return 0;
}
#endif
