/* ctrl_c.c - Ctrl-C while the main process waits: every blocking mp.h call returns
   MP_EINTERRUPTED, and the program shuts down in order.
   Build alone (in examples/): cc -std=c99 ctrl_c.c -o ctrl_c -pthread && ./ctrl_c

   Python:
       def producer(q):
           i = 0
           while True:
               q.put(i)
               i += 1
               time.sleep(0.1)

       if __name__ == '__main__':
           q = Queue()
           p = Process(target=producer, args=(q,))
           p.start()
           try:
               while True:
                   print('got', q.get())          # blocks; Ctrl-C raises KeyboardInterrupt
           except KeyboardInterrupt:
               print('Ctrl-C: stopping')
               p.terminate()
               p.join()

   C differences:
   - C has no exceptions: a SIGINT (or SIGTERM) handler calls mp_interrupt(), which is
     async-signal-safe, and the call that was waiting (here mp_queue_get with MP_FOREVER)
     returns MP_EINTERRUPTED; so do lock, event, condition, barrier, semaphore and queue
     waits, joins, pipe receives, mp_wait and pool result waits, in every thread.
   - The flag stays set until mp_interrupt_clear(): clear it before the waits of the
     shutdown itself (the join below), or they would end at once too.
   - Here the program presses Ctrl-C itself, so that it ends on its own: the producer sends
     SIGINT to its parent after five items (on Windows, where a console control handler
     would call mp_interrupt, a thread calls it). Pressed in a terminal, Ctrl-C also reaches
     the children (one process group); the producer ignores it and is terminated below.
     A forked child inherits the parent's handlers: it restores SIGTERM's default, or
     mp_process_terminate would only interrupt it.
*/
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* kill and sigaction, with -std=c99 (mp.h may be built apart) */
#endif
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#include <string.h>
#endif

#ifdef _WIN32
static BOOL WINAPI on_ctrl(DWORD type) { /* runs on a thread of its own */
    (void)type;
    mp_interrupt();
    return TRUE;
}
static DWORD WINAPI press_ctrl_c(LPVOID arg) {
    (void)arg;
    mp_sleep(0.5);
    mp_interrupt(); /* what on_ctrl does when Ctrl-C is pressed */
    return 0;
}
#else
static void on_signal(int sig) {
    (void)sig;
    mp_interrupt(); /* async-signal-safe */
}
#endif

static int producer(void *arg, size_t size) {
    mp_queue *q = *(mp_queue **)arg;
    int i;
    (void)size;
#ifndef _WIN32
    signal(SIGINT, SIG_IGN);  /* a terminal's Ctrl-C is for the parent; it terminates us */
    signal(SIGTERM, SIG_DFL); /* a forked child inherits the parent's handlers */
#endif
    for (i = 0; i < 600; i++) { /* a minute at most */
        mp_queue_put(q, &i, sizeof i, MP_FOREVER);
#ifndef _WIN32
        if (i == 4) kill((pid_t)mp_getppid(), SIGINT); /* the demo presses Ctrl-C itself */
#endif
        mp_sleep(0.1);
    }
    return 0;
}

int main(void) {
    mp_queue *q;
    mp_process p;
    int item, r;
    size_t n;
#ifdef _WIN32
    SetConsoleCtrlHandler(on_ctrl, TRUE);
    CloseHandle(CreateThread(NULL, 0, press_ctrl_c, NULL, 0, NULL));
#else
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
#endif
    q = mp_queue_new(0, 0);
    mp_process_init(&p, producer, &q, sizeof q, "producer");
    mp_process_start(&p);
    for (;;) {
        r = mp_queue_get(q, &item, sizeof item, &n, MP_FOREVER);
        if (r != MP_OK) break;
        printf("got %d\n", item);
        fflush(stdout);
    }
    if (r == MP_EINTERRUPTED) printf("Ctrl-C: stopping\n");
    mp_interrupt_clear(); /* the shutdown's own waits must not be interrupted */
    mp_process_terminate(&p);
    mp_process_join(&p, MP_FOREVER);
    mp_process_close(&p);
    mp_queue_free(q);
    return r == MP_EINTERRUPTED ? 0 : 1;
}
