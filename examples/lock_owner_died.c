/* lock_owner_died.c - a process dies holding a Lock: the next acquirer is told, repairs the
   shared state, and the lock goes on working. Python has no counterpart for this.
   Build alone (in examples/): cc -std=c99 lock_owner_died.c -o lock_owner_died -pthread

   Python:
       def transfer(lock, acct, held, amount):
           with lock:
               acct.pending = amount
               acct.a -= amount                  # half of the transfer done ...
               held.set()
               while True: time.sleep(1)         # ... and killed here, holding the lock

       lock, held = Lock(), Event()
       acct = Value(Account, 100, 0, 0, lock=False)     # a + b == 100 under the lock
       p = Process(target=transfer, args=(lock, acct, held, 30))
       p.start()
       held.wait()
       print(lock.acquire(timeout=0.1))          # False: the child holds it
       p.kill()
       p.join()
       lock.acquire()                            # blocks forever: in Python the lock died
                                                 # locked, and the whole family deadlocks

   C differences:
   - mp_lock_acquire gives the lock to the next acquirer with MP_EOWNERDEAD instead of MP_OK
     when its owner died holding it (found within about 100 ms: a waiter checks the owner's
     liveness after 10 ms of waiting, then every 100 ms at most). The caller holds the lock
     as usual, but the state it guards may be half updated: here the dead child took 30
     from a and never added it to b. The parent finishes the transfer from the `pending`
     note, releases, and the lock works normally again: a second child takes it with MP_OK.
   - The same holds for RLock, a Value's lock and a Condition's lock (mp_condition_wait
     returns MP_EOWNERDEAD too); MP_WITH_LOCK ignores the code, so check it where an owner
     may die.
   - p.kill() is mp_process_kill: SIGKILL on POSIX, TerminateProcess on Windows; the child
     gets no chance to release anything.
*/
#define MP_IMPLEMENTATION
#include "../mp.h"

#include <stdio.h>

static int fail(const char *what, int err) {
    fprintf(stderr, "%s failed: %s\n", what, mp_strerror(err));
    return 1;
}

/* Two accounts whose sum is 100 whenever nobody holds the lock, and the amount of a transfer
   under way: what the next owner needs to finish it. */
struct account {
    long a, b, pending;
};

/* The argument of each child: pointers to the shared objects, and what to do. */
struct job {
    mp_lock *lock;
    mp_event *held;
    struct account *acct;
    long amount;
    int die_halfway;
};

static void show(const char *who, const struct account *acct) {
    printf("%s: a=%ld b=%ld pending=%ld (a+b=%ld)\n", who, acct->a, acct->b, acct->pending,
           acct->a + acct->b);
    fflush(stdout);
}

static int transfer(void *arg, size_t size) {
    struct job *job = (struct job *)arg;
    struct account *acct = job->acct;
    int r;
    if (size != sizeof *job) return 2;
    r = mp_lock_acquire(job->lock, MP_FOREVER);
    printf("child (pid %ld): mp_lock_acquire -> %s\n", mp_getpid(),
           r == MP_OK ? "MP_OK" : mp_strerror(r));
    fflush(stdout);
    if (r != MP_OK) return fail("mp_lock_acquire", r);
    acct->pending = job->amount;
    acct->a -= job->amount;
    if (job->die_halfway) {
        show("child, halfway", acct);
        if ((r = mp_event_set(job->held)) != MP_OK) return fail("mp_event_set", r);
        for (;;) mp_sleep(1); /* until killed, holding the lock */
    }
    acct->b += job->amount;
    acct->pending = 0;
    show("child, done", acct);
    if ((r = mp_lock_release(job->lock)) != MP_OK) return fail("mp_lock_release", r);
    return 0;
}

int main(void) {
    mp_process p;
    struct job job;
    struct account *acct;
    int r, code;

    job.lock = mp_lock_new();  /* Lock() */
    job.held = mp_event_new(); /* Event() */
    acct = (struct account *)mp_shared_alloc(sizeof *acct);
    if (!job.lock || !job.held || !acct) return fail("mp_lock_new", MP_ENOMEM);
    acct->a = 100;
    job.acct = acct;
    job.amount = 30;
    job.die_halfway = 1;
    show("parent, before", acct);

    /* 1. A child takes the lock, does half of a transfer, and is killed. */
    if ((r = mp_process_init(&p, transfer, &job, sizeof job, NULL)) != MP_OK)
        return fail("mp_process_init", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start", r);
    if ((r = mp_event_wait(job.held, 10.0)) != MP_OK) return fail("mp_event_wait", r);
    r = mp_lock_acquire(job.lock, 0.1);
    printf("parent: mp_lock_acquire(lock, 0.1) -> %s (the child holds it)\n",
           r == MP_ETIMEDOUT ? "MP_ETIMEDOUT" : mp_strerror(r));
    fflush(stdout);
    if (r != MP_ETIMEDOUT) return fail("mp_lock_acquire (expected MP_ETIMEDOUT)", r);
    if ((r = mp_process_kill(&p)) != MP_OK) return fail("mp_process_kill", r);
    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
    if (mp_process_exitcode(&p, &code) == 1)
        printf("parent: killed the child, exitcode %d\n", code);
    fflush(stdout);
    mp_process_close(&p);

    /* 2. The parent gets the lock, told that its owner died, and repairs the state. */
    r = mp_lock_acquire(job.lock, MP_FOREVER);
    printf("parent: mp_lock_acquire -> %s\n",
           r == MP_EOWNERDEAD ? "MP_EOWNERDEAD" : mp_strerror(r));
    fflush(stdout);
    if (r != MP_EOWNERDEAD) return fail("mp_lock_acquire (expected MP_EOWNERDEAD)", r);
    show("parent, found", acct);
    if (acct->pending) { /* finish the transfer the dead owner started */
        acct->b += acct->pending;
        acct->pending = 0;
    }
    show("parent, repaired", acct);
    if ((r = mp_lock_release(job.lock)) != MP_OK) return fail("mp_lock_release", r);

    /* 3. The lock works as before: another transfer, to the end this time. */
    job.amount = 20;
    job.die_halfway = 0;
    if ((r = mp_process_init(&p, transfer, &job, sizeof job, NULL)) != MP_OK)
        return fail("mp_process_init", r);
    if ((r = mp_process_start(&p)) != MP_OK) return fail("mp_process_start", r);
    if ((r = mp_process_join(&p, MP_FOREVER)) != MP_OK) return fail("mp_process_join", r);
    if (mp_process_exitcode(&p, &code) != 1 || code != 0) return fail("the second child", code);
    mp_process_close(&p);
    show("parent, after", acct);

    mp_shared_free(acct);
    mp_event_free(job.held);
    mp_lock_free(job.lock);
    return 0;
}
