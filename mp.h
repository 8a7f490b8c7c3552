/* mp.h - v0.1.0 - Python's multiprocessing for C, in one header.
   Public domain or MIT, your choice: licence at the end of the file.

   Do this:
      #define MP_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the implementation.
   In that file, include mp.h before any system header (or #define _GNU_SOURCE at its top, or
   compile it with -D_GNU_SOURCE), because the implementation needs the POSIX feature macros
   it sets; otherwise one #error says so. Other files include mp.h anywhere.

      #define MP_IMPLEMENTATION
      #include "mp.h"

   THE RULE FOR MAIN (the C twin of `if __name__ == '__main__':`)
   Under the spawn start method (and always on Windows) a child is a fresh run of the same
   executable. In C, mp.h catches that run before main() with a constructor (gcc, clang,
   mingw-w64, MSVC), runs the child's target and exits, so main() never runs in a child and a
   program needs no line at all. In C++ (the implementation file compiled as C++), with tcc
   (which ignores constructors), or if you define MP_NO_AUTO_INIT, call mp_init() as the
   first statement of main() instead: the child's target runs there.

      int main(void) { mp_init(); ... }

   Why C++ differs: the static objects of the other translation units may be constructed
   after mp.h's constructor (it depends on the link order), and a target that used one would
   silently see it unconstructed. mp_init() at the top of main runs after every static
   object. Until then the child has only mapped the family arena, so static objects may make
   shared objects. A child whose main goes on without calling mp_init() is stopped with a
   message on stderr at its first process start, or at exit, and its parent's
   mp_process_start reports MP_ESPAWN: main never does the parent's work twice. A C program
   linked with C++ units whose static objects its targets use: define MP_NO_AUTO_INIT.

   A spawned child is told where its boot data is by MP_SPAWN_FD (POSIX), a descriptor
   number, not a secret. Only a socketpair made by the child's real parent is accepted, and a
   privileged program (set-user-ID, set-group-ID, file capabilities) never boots one: spawn
   is not available to such programs (fork is).

   PYTHON TO C
      Process(target=f, args=..., name=n)  mp_process_init(&p, f, &arg, sizeof arg, n)
      Process(target=f, args=("egon",))    mp_process_init_str(&p, f, "egon", NULL)
      class P(Process): def run(self)      struct P { mp_process base; ... };
                                           mp_process_init_run(&obj.base, run, sizeof obj, n)
      p.daemon = True                      mp_process_set_daemon(&p, 1)
      p.start() / p.run()                  mp_process_start(&p) / mp_process_run(&p)
      p.join() / p.join(1.5)               mp_process_join(&p, MP_FOREVER) / (&p, 1.5)
      p.is_alive()                         mp_process_is_alive(&p)
      p.terminate() / p.kill()             mp_process_terminate(&p) / mp_process_kill(&p)
      p.close()                            mp_process_close(&p)
      p.name, p.pid, p.exitcode            mp_process_name(&p), mp_process_pid(&p),
                                           mp_process_exitcode(&p, &code)
      current_process().name               mp_process_name(mp_current_process())
      parent_process()                     mp_parent_process() (NULL in the main process)
      os.getpid(), os.getppid()            mp_getpid(), mp_getppid()
      cpu_count(), active_children()       mp_cpu_count(), mp_active_children(list, max)
      time.sleep(s), time.time()           mp_sleep(s), mp_time()
      time.monotonic()                     mp_monotonic()
      set_start_method('spawn')            mp_set_start_method(MP_SPAWN)
      get_context('forkserver').Process    mp_process_set_start_method(&p, MP_FORKSERVER)
      get_context('spawn').Pool            options.start_method = MP_SPAWN; mp_pool_new(...)
      set_forkserver_preload([...])        mp_forkserver_start() (early, before threads)
      RawValue / RawArray                  mp_shared_alloc(size) / mp_shared_free(ptr)
      Value('l') / Array('d', 10)          mp_value_new(sizeof(long)) / (10 * sizeof(double))
      Value('l', 7) / Array('d', [1, 2])   mp_value_new_init(sizeof x, &x) /
                                           mp_array_new(sizeof(double), 2, init)
      with v.get_lock(): v.value += 1      MP_WITH_LOCK(mp_value_lock(v)) { *(long *)ptr += 1; }
      Lock() / RLock()                     mp_lock_new() / mp_rlock_new()
      l.acquire(timeout=t) / l.release()   mp_lock_acquire(l, t) / mp_lock_release(l)
      l.locked()                           mp_lock_locked(l)
      Semaphore(n) / BoundedSemaphore(n)   mp_semaphore_new(n) / mp_bounded_semaphore_new(n)
      Event(): set, clear, is_set, wait    mp_event_new(), mp_event_set(e) ... mp_event_wait(e, t)
      Condition(l): wait, wait_for, notify mp_condition_new(l), mp_condition_wait(c, t), ...
      Barrier(n, action): wait, abort      mp_barrier_new(n, action), mp_barrier_wait(b, t), ...
      Queue(maxsize) / SimpleQueue()       mp_queue_new(0, maxsize) / mp_simple_queue_new()
                                           (0: unbounded; capacity > 0 bounds the bytes)
      JoinableQueue(): task_done, join     mp_joinable_queue_new(0, 0), mp_queue_task_done(q) ...
      q.put(b, timeout=t) / q.get()        mp_queue_put(q, data, size, t) / mp_queue_get(q, ...)
      q.put_nowait(b) / q.get_nowait()     mp_queue_put(q, data, size, 0) / (..., 0)
      q.shutdown(immediate=False) (3.13)   mp_queue_shutdown(q, 0) (MP_ESHUTDOWN, not ShutDown)
      (several at once, no Python twin)    mp_queue_put_many / mp_queue_get_many
      Pool(n, initializer, ...)            mp_pool_new(&pool, n, &options)
      Pool() (cpu_count() workers)         mp_pool_new(&pool, 0, NULL)
      pool.apply(f, (x,))                  mp_pool_apply(pool, f, &x, sizeof x, &res, &size)
      r = pool.apply_async(f, (x,))        mp_pool_apply_async(pool, f, &x, sizeof x, NULL, &r)
      r.get(timeout) / r.ready()           mp_async_get(r, t, &res, &size) / mp_async_ready(r)
      pool.map / imap / imap_unordered     mp_pool_map(pool, f, items, size, n, chunksize,
                                                       MP_MAP / MP_IMAP / MP_IMAP_UNORDERED, &b)
      pool.map_async(f, xs, cs, callback, error_callback)
                                           mp_pool_map_async(pool, f, xs, size, n, cs, &cbs, &b)
      pool.close() / join() / terminate()  mp_pool_close(pool) / mp_pool_join / mp_pool_terminate
      future.cancel()                      mp_async_cancel(r) (1 or 0; get: MP_ECANCELLED)
      wait(fs, t, FIRST_COMPLETED)         mp_async_wait_any(set, n, t, &i)
      for f in as_completed(fs):           while (mp_async_wait_any(set, n, t, &i) == MP_OK)
                                               { ... set[i]; set[i] = NULL; }
      executor.shutdown(wait, cancel_futures=True)
                                           mp_pool_shutdown(pool, wait, 1); mp_pool_free(pool)
      raise inside a task (its exception)  mp_task_return(out, why, n); return status;
                                           (get: MP_ETASK with those bytes)
      a, b = Pipe() / r, w = Pipe(False)   mp_pipe(1, &a, &b) / mp_pipe(0, &r, &w)
      c.send_bytes(buf)                    mp_conn_send_bytes(c, buf, size)
      c.recv_bytes()                       mp_conn_recv_bytes_alloc(c, &data, &size, MP_FOREVER)
                                           (then mp_free(data))
      c.recv_bytes_into(buf)               mp_conn_recv_bytes(c, buf, cap, &size, MP_FOREVER)
      c.poll(t) / c.close()                mp_conn_poll(c, t) / mp_conn_close(c)
      connection.wait([c1, p.sentinel], t) mp_wait(conns, 1, procs, 1, t, ready)
      c.fileno()                           mp_conn_fileno(c)
      Listener(addr, authkey=k)            mp_listener_new(&l, "127.0.0.1:6000", k, len)
      l.accept() / l.address / l.close()   mp_listener_accept(l, t, &c) / mp_listener_address(l)
                                           / mp_listener_close(l)
      Client(addr, authkey=k)              mp_client(&c, "127.0.0.1:6000", k, len, t)
      current_process().authkey            mp_authkey_get(buf, cap, &len) / mp_authkey_set
      SharedMemory(name, True, n)          mp_shm_open(&s, name, 1, n) (name NULL: generated)
      SharedMemory(name) .buf .size        mp_shm_open(&s, name, 0, 0), mp_shm_buf, mp_shm_size
      shm.close() / shm.unlink()           mp_shm_close(s) / mp_shm_unlink(name)
      KeyboardInterrupt in a blocked call  a SIGINT handler calls mp_interrupt(): the call
                                           returns MP_EINTERRUPTED; mp_interrupt_clear()

   CONVENTIONS
   - Functions return 0 (MP_OK) on success and a negative MP_E* code on failure;
     mp_strerror(code) describes it. Nothing aborts on bad input.
   - Timeouts are seconds as a double, measured on a monotonic clock: 0 polls, MP_FOREVER waits
     without limit; a negative or NaN timeout is MP_EINVAL. A wait interrupted by a signal
     resumes with the time that remains.
   - Process arguments are bytes (pointer + size) that mp.h copies, so they reach the child
     under every start method. Pointers into the family arena (mp_shared_alloc and every
     shared object of mp.h) are valid in every process of the family, at the same address.

   START METHODS
   - MP_FORK (POSIX default): fork(); the child is a copy of the parent. The fastest, but a
     fork copies only the thread that calls it: a lock that another thread held at that
     moment (malloc's, stdio's, the program's own) stays locked for ever in the child, which
     hangs when it takes it. Fork only from a single-threaded process.
   - MP_SPAWN (POSIX, and the only method on Windows): the child re-executes the program
     (/proc/self/exe or the platform's equivalent; CreateProcess on Windows), inherits
     nothing but the family arena, and runs the target found relative to the module that
     contains it, so address-space randomisation does not matter. Safe from threads, and
     several times slower than a fork.
   - MP_FORKSERVER (POSIX): a server process, itself a spawn of the program (so it has one
     thread and nothing of the parent but the arena), forks each child on request. Safe from
     threads, about as fast as a fork; the child is like a spawned one (fresh globals, the
     argument bytes, the arena, the connection ends open in the parent, passed by
     SCM_RIGHTS). Its parent (mp_getppid, mp_parent_process) is the process that started
     it. The server starts at the first forkserver start, or early with
     mp_forkserver_start(); it belongs to the process that started it (a child that starts
     children under forkserver gets its own) and ends with it, leaving nothing behind; if
     the program dies, the server kills the children it still has. A server that is killed
     is replaced at the next start; a start it was serving fails with MP_EFORKSERVER.
   Which: fork for a single-threaded program that wants speed; forkserver (or spawn) for a
   program with threads, or a library that cannot know; spawn where a child must be a fresh
   program, and on Windows.
   The environment variable MP_START_METHOD=fork|spawn|forkserver sets the default start
   method, so a whole program (or test suite) can be run under any of them without changes;
   any other value (spwan, Spawn) makes every start that uses the default fail with
   MP_EINVAL (MP_ENOSYS for fork or forkserver on Windows) and a message, until the program
   calls mp_set_start_method. A child keeps the start method of its parent
   (mp_set_start_method included), as in Python. A process (mp_process_set_start_method)
   and a pool (mp_pool_options.start_method) can have their own, as with Python's
   get_context(method).
   Fork from threads: mp_set_fork_hook(hook, user) has hook(threads, user) called before
   each fork start from a process with more than one thread (mp_thread_count: /proc/self/task
   on Linux and where there is a /proc; MP_ENOSYS elsewhere); a non-zero return refuses the
   fork with MP_ETHREADS (treat it as an error, or warn and go on as Python 3.12 does).

   THE FAMILY ARENA
   A block of shared memory created on first use and mapped at the same address in every
   process of the family: inherited by fork, mapped before any of the child's code runs
   under spawn (on Windows the range is reserved in the suspended child, as PostgreSQL
   does). If a child cannot get the address, its start fails with MP_EADDR.
   Its allocator (mp_shared_alloc and every shared object) splits and merges blocks, so
   freed memory serves any size again; a block costs a 16-byte header, sizes round up to
   16. A process killed inside it loses at most the block it was handling; a corrupted arena
   gives NULL or loses memory, never a pointer outside the arena.

   WINDOWS
   Waits sleep on a per-thread event registered in a wait table in the family's section (a
   futex's protocol: no polling, no lost or stolen wakeups); a lock or queue waiter sleeps on
   the owner's (a stream partner's) process handle as well. Children and pool workers run
   in a job object of their parent (kill on close): a parent killed by TerminateProcess takes
   them with it. Kernel objects are unnamed and passed by handle duplication, except a
   Pipe's named pipe: 128 random bits, a DACL for the current user only, no remote clients,
   one instance. Link with advapi32 (mingw-w64 does by default; MSVC: a #pragma does it).
   Builds with mingw-w64, clang-cl and (as far as CI can check without it) cl.exe.

   COMPILE-TIME OPTIONS (define before including mp.h in the implementation file)
      MP_STATIC          all functions static (one translation unit only)
      MP_NO_IMPLEMENTATION  ignore MP_IMPLEMENTATION: the implementation is linked from
                         another object (a build that compiles it once, as make run does,
                         while each example keeps its #define MP_IMPLEMENTATION)
      MP_NAME_MAX        bytes of a process name with its NUL (default 256; same in every file)
      MP_MALLOC, MP_REALLOC, MP_FREE  allocator for process-local memory (all or none)
      MP_ASSERT(x)       internal consistency checks (default assert)
      MP_ARENA_SIZE      bytes of address space reserved for the arena (default 1 GiB on
                         64-bit POSIX, 256 MiB on Windows and 32-bit systems)
      MP_NO_AUTO_INIT    no constructor; call mp_init() at the top of main
      MP_MESSAGE_MAX     the largest message (queue, pipe, pool argument or result), at
                         most 2^31 - 1 (default 1 GiB); define it the same in every file
      MP_HANDSHAKE_TIMEOUT  seconds a listener gives a client to authenticate (default 10)
      MP_CONN_READAHEAD  bytes a Listener/Client end may read past a message (default 4096;
                         0: read no further than each message, as before issue 11)
      MP_PORTABLE        force the portable POSIX fallbacks instead of the Linux fast paths
                         (futex and the robust futex list, memfd, pidfd, dl_iterate_phdr,
                         close_range), the path that macOS and the BSDs take
      MP_NO_FUTEX, MP_NO_MEMFD, MP_NO_PIDFD, MP_NO_DL_ITERATE_PHDR, MP_NO_CLOSE_RANGE
                         the same, one fast path at a time

   NAMES
   Process-N as in Python: N counts the processes made by the creator (named or not), and a
   child of Process-3 names its own Process-3:1, Process-3:2, ...

   PLATFORM NOTES
   - exitcode: the value the target returned (or passed to exit), or minus the signal number
     when a signal ended the process (POSIX). On Windows, terminate and kill end the child
     with a reserved status that reads back as -15 and -9; a crash reads back as the
     NTSTATUS code (for example 0xC0000005) cast to int.
   - Without dl_iterate_phdr (MP_PORTABLE) a spawn target must live in the same module
     (executable or shared library) as the mp.h implementation.
*/

#ifndef MP_H_INCLUDED
#define MP_H_INCLUDED

#include <stddef.h>

#define MP_VERSION_MAJOR 0
#define MP_VERSION_MINOR 1
#define MP_VERSION_PATCH 0

#ifndef MPDEF
#if defined(MP_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define MPDEF static __attribute__((unused))
#elif defined(MP_STATIC)
#define MPDEF static
#else
#define MPDEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Every error: its code, its name and its text, kept in one table so they cannot drift. */
#define MP_ERROR_LIST(X)                                                                           \
    X(MP_OK, 0, "success")                                                                         \
    X(MP_EINVAL, -1, "invalid argument (NULL pointer, bad size, negative or NaN timeout)")         \
    X(MP_ENOMEM, -2, "out of memory")                                                              \
    X(MP_ETIMEDOUT, -3, "timed out")                                                               \
    X(MP_ESTARTED, -4, "process already started")                                                  \
    X(MP_ENOTSTARTED, -5, "process not started")                                                   \
    X(MP_ECLOSED, -6, "object is closed")                                                          \
    X(MP_ERUNNING, -7, "process is still running")                                                 \
    X(MP_ENAMETOOLONG, -8, "name too long (at most MP_NAME_MAX - 1 bytes)")                        \
    X(MP_EDAEMON, -9, "daemonic processes are not allowed to have children")                       \
    X(MP_ENOSYS, -10, "not supported on this platform or start method")                            \
    X(MP_ESYS, -11, "system call failed")                                                          \
    X(MP_EEXEC, -12, "spawn: could not execute the program")                                       \
    X(MP_EADDR, -13, "spawn: the family arena's address is not free in the child")                 \
    X(MP_ESPAWN, -14, "spawn: the child died before it ran its target")                            \
    X(MP_EMODULE, -15, "spawn: the target's module is not loaded in the child")                    \
    X(MP_ENOTOWNER, -16, "not the owner")                                                          \
    X(MP_EOWNERDEAD, -17, "acquired; the previous owner died while holding it")                    \
    X(MP_ETOOBIG, -18, "too large")                                                                \
    X(MP_EOVERFLOW, -19, "released too many times")                                                \
    X(MP_EBROKEN, -20, "the barrier is broken")                                                    \
    X(MP_EOF, -21, "end of file: the other end is closed or died")                                 \
    X(MP_ECORRUPT, -22, "corrupted or truncated message")                                          \
    X(MP_EEMPTY, -23, "empty")                                                                     \
    X(MP_EFULL, -24, "full")                                                                       \
    X(MP_ETASK, -25, "the task reported an error (see its status)")                                \
    X(MP_EWORKERDIED, -26, "the worker running the task died (see its status: the exit code)")     \
    X(MP_ETASKTIMEOUT, -27, "the task ran past the pool's task timeout; its worker was replaced")  \
    X(MP_EBROKENPOOL, -28, "the pool is broken: an initializer failed or a worker cannot start")   \
    X(MP_ESHUTDOWN, -29, "the queue was shut down")                                                \
    X(MP_ECANCELLED, -30, "the task was cancelled before it started")                              \
    X(MP_EFORKSERVER, -31, "forkserver: the server died during this start (the next restarts it)") \
    X(MP_ETHREADS, -32, "fork refused: the process has other threads (see mp_set_fork_hook)")      \
    X(MP_EAUTH, -33,                                                                               \
      "authentication failed: the peer holds another authkey (AuthenticationError)")               \
    X(MP_EEXIST, -34, "the name exists already (an address in use, a shared memory name)")         \
    X(MP_ENOENT, -35, "nothing of that name (nobody listens at the address, no such memory)")      \
    X(MP_EPROTO, -36, "protocol error: the peer does not speak multiprocessing.connection")        \
    X(MP_EINTERRUPTED, -37, "interrupted by mp_interrupt()")

enum mp_error {
#define MP__ENUM(name, value, text) name = value,
    MP_ERROR_LIST(MP__ENUM)
#undef MP__ENUM
        MP__ERROR_END
};

#ifndef MP_NAME_MAX
#define MP_NAME_MAX 256 /* bytes of a process name, the terminating NUL included */
#endif
#define MP_FOREVER 1e300

enum mp_start_method { MP_FORK = 1, MP_SPAWN = 2, MP_FORKSERVER = 3 };

typedef struct mp_process mp_process;

/* A target: receives the copy of the argument bytes; its return value is the exit code. */
typedef int (*mp_target_fn)(void *arg, size_t size);
/* A run function ("subclassing Process"): receives the process object (a copy of it in the
   child, object_size bytes starting at the embedded mp_process, which must come first). */
typedef int (*mp_run_fn)(mp_process *self);

/* Complete so that it can be embedded and placed anywhere; its fields are private. */
struct mp_process {
    unsigned mp__magic;
    int mp__state;
    mp_target_fn mp__target;
    mp_run_fn mp__run;
    void *mp__arg;
    size_t mp__arg_size;
    size_t mp__object_size;
    int mp__daemon;
    int mp__exitcode;
    long mp__pid;
    void *mp__child;
    int mp__method;      /* 0: the global start method */
    unsigned mp__number; /* its place among its creator's processes (Process-N) */
    char mp__name[MP_NAME_MAX];
    volatile unsigned *mp__pid_word; /* shared memory told the pid as soon as it is known */
    const void *mp__group;           /* the arena group of the blocks its start makes */
};

MPDEF void mp_init(void);
MPDEF const char *mp_strerror(int err);
MPDEF int mp_set_start_method(int method); /* MP_FORK, MP_SPAWN or MP_FORKSERVER */
MPDEF int mp_get_start_method(void);       /* or MP_EINVAL: MP_START_METHOD is not a method */
/* get_context(method).Process: this process's own start method (0: the global one). */
MPDEF int mp_process_set_start_method(mp_process *p, int method);
/* set_forkserver_preload's twin: starts the forkserver now (while the program has one
   thread), instead of at the first forkserver start. MP_OK if it runs already. */
MPDEF int mp_forkserver_start(void);
/* The threads of this process (1 when single-threaded), or MP_ENOSYS where unknown. */
MPDEF int mp_thread_count(void);
/* Called before each fork start (MP_FORK) from a process that has more than one thread,
   with their number: return 0 to fork anyway, non-zero to refuse (the start returns
   MP_ETHREADS). NULL (the default) forks without looking. See START METHODS. */
typedef int (*mp_fork_hook_fn)(int threads, void *user);
MPDEF void mp_set_fork_hook(mp_fork_hook_fn hook, void *user);
/* The program a spawned child runs (UTF-8 path); NULL restores the running executable.
   The twin of multiprocessing.set_executable(). */
MPDEF int mp_set_executable(const char *path);

/* arg_size (and object_size) at most MP_MESSAGE_MAX bytes, else MP_ETOOBIG. */
MPDEF int mp_process_init(mp_process *p, mp_target_fn target, const void *arg, size_t arg_size,
                          const char *name);
MPDEF int mp_process_init_run(mp_process *p, mp_run_fn run, size_t object_size, const char *name);
MPDEF int mp_process_set_daemon(mp_process *p, int daemon);
MPDEF int mp_process_set_name(mp_process *p, const char *name);
MPDEF int mp_process_start(mp_process *p);
MPDEF int mp_process_run(mp_process *p);
MPDEF int mp_process_join(mp_process *p, double timeout); /* MP_OK: ended; MP_ETIMEDOUT */
MPDEF int mp_process_is_alive(mp_process *p);             /* 1, 0, or an error */
MPDEF int mp_process_terminate(mp_process *p);
MPDEF int mp_process_kill(mp_process *p);
MPDEF int mp_process_close(mp_process *p);
MPDEF long mp_process_pid(const mp_process *p); /* 0 before start */
MPDEF const char *mp_process_name(const mp_process *p);
MPDEF int mp_process_daemon(const mp_process *p);
MPDEF int mp_process_exitcode(mp_process *p, int *code); /* 1: *code set; 0: none yet */

MPDEF const mp_process *mp_current_process(void);
/* parent_process(): the process that started this one (its pid and name; is_alive, and
   mp_wait reports it when it ends), or NULL in the main process. */
MPDEF mp_process *mp_parent_process(void);
MPDEF long mp_getpid(void);
MPDEF long mp_getppid(void);
MPDEF int mp_cpu_count(void);
MPDEF int mp_active_children(mp_process **out, int max); /* count; fills up to max */

/* What a first program needs besides processes (Python's time module and a string argument):
   mp_sleep(s): time.sleep(s), MP_OK or MP_EINVAL (negative or NaN); signals do not cut it
   short. mp_time(): time.time(), seconds since 1970 (wall clock, may jump). mp_monotonic():
   time.monotonic(), seconds from an arbitrary start that never goes back (measure with it).
   mp_process_init_str: mp_process_init with the C string str as the argument, its
   terminating NUL included (the target gets it as a const char *). */
MPDEF int mp_sleep(double seconds);
MPDEF double mp_time(void);
MPDEF double mp_monotonic(void);
MPDEF int mp_process_init_str(mp_process *p, mp_target_fn target, const char *str,
                              const char *name);

/* Plain shared memory in the family arena (zero-filled), valid at the same address in every
   process of the family. NULL when size is 0 or the arena is full. */
MPDEF void *mp_shared_alloc(size_t size);
MPDEF void mp_shared_free(void *ptr);
/* Frees what an mp.h function allocated for the caller (received messages). */
MPDEF void mp_free(void *ptr);

/* Ctrl-C (Python's KeyboardInterrupt reaching a blocked call). mp_interrupt() is
   async-signal-safe: call it from a SIGINT or SIGTERM handler, or from any thread. Every
   call of this process that blocks then returns MP_EINTERRUPTED promptly: lock, semaphore,
   event, condition and barrier waits, queue put, get and join, process join, pipe receive
   and poll, mp_wait, pool result waits. The flag stays set, so that every thread (and every
   later blocking call) sees it, until mp_interrupt_clear() re-arms: clear it before the
   waits of an orderly shutdown (join the children...). A call that need not wait (a free
   lock, a ready result, timeout 0) answers as usual; a Condition wait returns with its lock
   held again; a receive keeps what came of a message for the next one. A forked child
   starts cleared. Windows: word and handle waits sleep on its event too; POSIX: a receive with no
   timeout on a Listener/Client end blocks in the read itself: a signal caught by that thread
   ends it at once, else it sees the flag within 50 ms. See examples/ctrl_c.c. */
MPDEF void mp_interrupt(void);
MPDEF void mp_interrupt_clear(void);
MPDEF int mp_interrupted(void); /* 1 while set, else 0 */

/* Synchronisation between the processes of a family. Every object lives in the family arena,
   so a pointer to it (passed as a process argument, or stored in shared memory) works in
   every process, under every start method, whether made before or after a child started.
   The *_new functions return NULL when the arena is full; *_free on an object in use by
   another process is undefined, and a freed object answers MP_ECLOSED until its memory is
   reused.

   Owner death: when a process dies holding a Lock or RLock (or a Condition's lock), the next
   acquirer gets the lock and MP_EOWNERDEAD instead of MP_OK, repairs the shared state, and
   goes on: the lock works normally afterwards. On Linux (glibc) a lock a process holds is on
   the kernel's robust futex list of its main thread, as a robust pthread mutex is: when the
   process dies, the kernel marks the lock and wakes a waiter at once (about 0.1 ms). On
   Windows a waiter sleeps on the owner's process handle too, and wakes when it ends (about
   1 ms under Wine); a queue waiter does the same with a stream's producer and consumer.
   Elsewhere (macOS, BSDs, musl, MP_PORTABLE, a process whose first mp.h call was
   not on its main thread), and in a process with several threads for the few instructions
   between taking a lock and linking it, a waiter checks the owner's liveness after 10 ms of
   waiting, then every 100 ms at most; a poll (timeout 0) of a held lock checks it at once (a few system calls). A process
   whose main thread ends (pthread_exit) while other threads go on loses the locks it holds
   to the next acquirers. The objects may also be shared by the threads of a process. */
typedef struct mp_lock mp_lock; /* Lock and RLock */
typedef struct mp_semaphore mp_semaphore;
typedef struct mp_event mp_event;
typedef struct mp_condition mp_condition;
typedef struct mp_barrier mp_barrier;
typedef struct mp_value mp_value;

MPDEF mp_lock *mp_lock_new(void);  /* owned by a process: any of its threads may release */
MPDEF mp_lock *mp_rlock_new(void); /* re-entrant; owned by one thread of one process */
MPDEF int mp_lock_acquire(mp_lock *l, double timeout); /* MP_OK, MP_EOWNERDEAD, MP_ETIMEDOUT */
MPDEF int mp_lock_release(mp_lock *l);                 /* MP_ENOTOWNER if not ours */
MPDEF int mp_lock_is_mine(mp_lock *l);                 /* 1 or 0 */
/* Lock.locked(): 1 if held by anyone (a thread of this process or another process; a dead
   owner's lock counts until someone takes it back), 0 if free, or an error. */
MPDEF int mp_lock_locked(mp_lock *l);
MPDEF int mp_lock_free(mp_lock *l);

MPDEF mp_semaphore *mp_semaphore_new(unsigned value);
MPDEF mp_semaphore *mp_bounded_semaphore_new(unsigned value);    /* release past value fails */
MPDEF int mp_semaphore_acquire(mp_semaphore *s, double timeout); /* MP_OK, MP_ETIMEDOUT */
MPDEF int mp_semaphore_release(mp_semaphore *s);                 /* MP_EOVERFLOW if bounded */
MPDEF int mp_semaphore_get_value(mp_semaphore *s);               /* >= 0, or an error */
MPDEF int mp_semaphore_free(mp_semaphore *s);

MPDEF mp_event *mp_event_new(void);
MPDEF int mp_event_set(mp_event *e);
MPDEF int mp_event_clear(mp_event *e);
MPDEF int mp_event_is_set(mp_event *e); /* 1 or 0, or an error */
/* MP_OK once set, MP_ETIMEDOUT. A set during the wait wakes it with MP_OK even if a clear
   follows at once (threading.Event's answer; multiprocessing's may say False then). */
MPDEF int mp_event_wait(mp_event *e, double timeout);
MPDEF int mp_event_free(mp_event *e);

/* lock: the Condition's lock (a Lock or an RLock), or NULL for a new RLock of its own. */
MPDEF mp_condition *mp_condition_new(mp_lock *lock);
MPDEF mp_lock *mp_condition_lock(mp_condition *c);
MPDEF int mp_condition_acquire(mp_condition *c, double timeout);
MPDEF int mp_condition_release(mp_condition *c);
/* With the lock held: MP_OK when notified, MP_ETIMEDOUT, or MP_EOWNERDEAD when the lock had
   to be taken back from a dead owner. The lock is held again on return in every case. */
MPDEF int mp_condition_wait(mp_condition *c, double timeout);
/* Waits until pred(arg) is true: MP_OK, MP_ETIMEDOUT (pred still false) or MP_EOWNERDEAD. */
MPDEF int mp_condition_wait_for(mp_condition *c, int (*pred)(void *arg), void *arg, double timeout);
MPDEF int mp_condition_notify(mp_condition *c, int n);
MPDEF int mp_condition_notify_all(mp_condition *c);
MPDEF int mp_condition_free(mp_condition *c);

/* action: run by the last process to arrive, before the others are released (may be NULL);
   a non-zero return breaks the barrier. It is found in each process like a spawn target. */
MPDEF mp_barrier *mp_barrier_new(int parties, int (*action)(void));
/* Barrier(parties, action, timeout): the same with the options below (opts may be NULL). */
typedef struct mp_barrier_options {
    int (*action)(void *ctx); /* as above, called with ctx; found like a spawn target */
    void *ctx;      /* passed as it is, in whichever process runs the action: point it into
                       the family arena (mp_shared_alloc) for state every process sees */
    double timeout; /* the default timeout: what mp_barrier_wait(b, MP_FOREVER) waits (as
                       Python's wait() with no timeout); 0: none, wait for ever */
} mp_barrier_options;
MPDEF mp_barrier *mp_barrier_new2(int parties, const mp_barrier_options *opts);
/* 0..parties-1; MP_EBROKEN when the barrier breaks or its generation is reset (even if the
   waiter only runs after more resets and passes); MP_ETIMEDOUT (which breaks it). A timeout
   of MP_FOREVER means the barrier's default timeout, if it has one. */
MPDEF int mp_barrier_wait(mp_barrier *b, double timeout);
MPDEF int mp_barrier_abort(mp_barrier *b);
MPDEF int mp_barrier_reset(mp_barrier *b);
MPDEF int mp_barrier_parties(mp_barrier *b);
MPDEF int mp_barrier_n_waiting(mp_barrier *b);
MPDEF int mp_barrier_broken(mp_barrier *b); /* 1 or 0, or an error */
MPDEF int mp_barrier_free(mp_barrier *b);

/* Value / Array with lock=True: size bytes of zeroed shared memory and an RLock. */
MPDEF mp_value *mp_value_new(size_t size);
/* Value('l', 7): size bytes copied from init (NULL: zeroed). */
MPDEF mp_value *mp_value_new_init(size_t size, const void *init);
/* Array('d', [1.0, 2.0, 3.0]) / Array('d', 10): n items of item_size bytes, copied from init
   (NULL: zeroed); NULL when n * item_size overflows or is 0. */
MPDEF mp_value *mp_array_new(size_t item_size, size_t n, const void *init);
MPDEF void *mp_value_ptr(mp_value *v);
MPDEF size_t mp_value_size(mp_value *v);
MPDEF mp_lock *mp_value_lock(mp_value *v); /* get_lock() */
MPDEF int mp_value_free(mp_value *v);

/* Queue, SimpleQueue and JoinableQueue: messages of bytes, of any size, between any number of
   producers and consumers, kept in the family arena (no pipe, no feeder thread).
   - capacity 0 (and mp_simple_queue_new): UNBOUNDED, as Python's Queue(): a put never waits
     for a reader (unless maxsize is reached). The ring (64 KiB at first) grows in the arena
     to hold what is put, up to what the arena has (then MP_ENOMEM) and to 512 MiB of
     records (a larger message is streamed, and then waits for a reader); it goes back to
     64 KiB once a get leaves 16 KiB or less in it, so a queue used for days stays in
     constant memory.
   - capacity > 0: BOUNDED to a ring of that many bytes (rounded up to a power of two, at
     least 4 KiB): put waits for room; a message larger than half the ring is streamed
     through it in pieces, never interleaved with another producer's message.
   - maxsize > 0: at most maxsize messages in either kind (put waits, as in Python).
   - put: MP_OK, MP_EFULL (timeout; 0 is put_nowait), MP_ECLOSED, MP_ESHUTDOWN,
     MP_ETOOBIG (> MP_MESSAGE_MAX), MP_ENOMEM (unbounded: the arena is full)
   - get: MP_OK, MP_EEMPTY (timeout; 0 is get_nowait), MP_EOF (closed and drained),
     MP_ESHUTDOWN, MP_ETOOBIG (cap too small: *size is set and the message stays queued)
   - a wait that another part of the program interrupts returns that error (as it is) from
     put, get, join.
   - close (any process): later puts fail with MP_ECLOSED; gets drain what is left, then
     return MP_EOF.
   - shutdown (Python 3.13's Queue.shutdown): later puts, and puts and gets waiting now,
     return MP_ESHUTDOWN at once; gets drain what is left, then return MP_ESHUTDOWN. With
     immediate != 0 what is left is dropped (and counted done for mp_queue_join). A second
     call may make it immediate, never the reverse.
   - put_many(q, data, sizes, n, &done, t): n messages in order, under one lock while they
     fit; MP_OK, or the error that stopped it, with *done (may be NULL) put.
   - get_many(q, buf, cap, sizes, max, &got, t): waits as get for the first message, then
     takes those that are there, up to max, while they fit in buf; they are packed one
     after another (message i is sizes[i] bytes). MP_OK and *got >= 1, or get's errors.
   Speed: producers take one lock and consumers another, so one producer and one consumer
   never wait for each other; a whole message is published by one store, and a put or get
   makes a system call only when someone sleeps. put_many and get_many take the lock once
   for many messages.
   Faults: a producer killed in the middle of a put never delivers half a message (a
   streamed one is dropped whole); a consumer killed in the middle of a get loses that message
   and nothing else; nobody else deadlocks, and put_nowait/get_nowait see the dead at once.
   The queue's shared memory is checked as input: a length or position that a buggy process
   wrote there gives MP_ECORRUPT (from put, get, qsize, empty, full), never an access outside
   the queue; the messages in the ring are then dropped and the queue goes on. */
#ifndef MP_MESSAGE_MAX
#define MP_MESSAGE_MAX ((size_t)1 << 30) /* bytes of one message (queue, pipe, pool): 1 GiB */
#endif
typedef struct mp_queue mp_queue;
MPDEF mp_queue *mp_queue_new(size_t capacity, size_t maxsize);
MPDEF mp_queue *mp_simple_queue_new(void);
MPDEF mp_queue *mp_joinable_queue_new(size_t capacity, size_t maxsize);
MPDEF int mp_queue_put(mp_queue *q, const void *data, size_t size, double timeout);
MPDEF int mp_queue_get(mp_queue *q, void *buf, size_t cap, size_t *size, double timeout);
MPDEF int mp_queue_get_alloc(mp_queue *q, void **data, size_t *size, double timeout);
MPDEF long mp_queue_qsize(mp_queue *q); /* messages in the queue, or an error */
MPDEF int mp_queue_empty(mp_queue *q);  /* 1 or 0, or an error */
MPDEF int mp_queue_full(mp_queue *q);   /* 1 or 0, or an error */
MPDEF int mp_queue_close(mp_queue *q);
MPDEF int mp_queue_shutdown(mp_queue *q, int immediate);
MPDEF int mp_queue_put_many(mp_queue *q, const void *const *data, const size_t *sizes, size_t n,
                            size_t *done, double timeout);
MPDEF int mp_queue_get_many(mp_queue *q, void *buf, size_t cap, size_t *sizes, size_t max,
                            size_t *got, double timeout);
MPDEF int mp_queue_task_done(mp_queue *q); /* JoinableQueue; MP_EOVERFLOW if too many */
MPDEF int mp_queue_join(mp_queue *q, double timeout);
MPDEF int mp_queue_free(mp_queue *q);

/* Pool: N worker processes that run tasks (0: mp_cpu_count(), Python's Pool(None)). A task
   is a function and its argument bytes; it returns 0 (success) or a non-zero status (an
   orderly failure), and its result bytes (any size) through mp_task_return. A failing task
   may return bytes too (a message, a serialized error: Python's exception): get, apply and
   mp_batch_result hand them over with MP_ETASK, and the error_bytes_callback sees them.
   Task functions are found in each worker as spawn targets are, so they work under every
   start method.
   Tasks start in submission order, as with Python's one task queue: an idle worker takes
   the oldest task not yet taken (a finished worker takes the next one itself, without a
   round trip through the pool's process). The exception: a task that a worker had taken
   but not begun when it was killed goes back in front of those not yet taken. A worker
   that finds no task looks on for up to 0.2 ms, yielding its core, before it sleeps (at
   most two do): a task that comes meanwhile wakes no one.
   Faults, where Python's Pool hangs: a worker that dies in the middle of a task (segfault,
   abort, _exit, SIGKILL) fails that task with MP_EWORKERDIED (status: its exit code, minus
   the signal number) and is replaced; with a task_timeout, a task that runs too long fails
   with MP_ETASKTIMEOUT and its worker is killed and replaced; every other task completes.
   With chunksize > 1 the whole chunk of the dead worker's task fails. Workers exit when the
   pool's process dies, busy or idle, whichever of its threads made the pool: a thread in
   each worker watches the process (at once on Linux and Windows, within 0.1 s on other
   POSIX systems).
   An initializer that returns non-zero, or a worker that dies in it, breaks the pool (as in
   concurrent.futures, never a restart loop): every unfinished task fails with MP_EBROKENPOOL
   (status: what the initializer returned, or the worker's exit code) and later submissions
   return MP_EBROKENPOOL. So does a worker that cannot be restarted (status: the error).
   The pool and its results are used from one thread at a time of the process that made it
   (any thread: not necessarily the one that made it); results arrive, and callbacks run,
   inside the pool's calls (get, wait, ready, next, map, join; a submission takes them every
   32 submissions, or when 32 wait). A callback runs once, after
   the pool has recorded the result; it may call the pool again (submit, wait, free
   results), but not mp_pool_free (MP_EINVAL). A result freed before it is ready gets no
   callback. Memory stays constant however many tasks run: what a task needs goes when it
   ends, and freeing a result, ready or not, costs O(1).
   Sizes: an argument is at most MP_MESSAGE_MAX - 40 bytes, and the results of one chunk at
   most MP_MESSAGE_MAX in all (else MP_ETOOBIG, from the submission or from mp_task_return).
   Freeing a pool with work pending terminates it: unfinished results report MP_ECLOSED;
   to let every task finish first, mp_pool_shutdown(p, 1, 0) (or close and join) before it.
   A wait on results (get, wait, wait_any, next, map, join) that fails itself, for example
   when mp_interrupt() interrupts it, returns that error; the pool stays whole.
   Arena: a pending task costs none until a worker is about to take it (up to 64 tasks and
   4 MiB of arguments are laid out ahead); a pool keeps a 4 MiB result queue. */
typedef struct mp_pool mp_pool;
typedef struct mp_async mp_async; /* AsyncResult */
typedef struct mp_batch mp_batch; /* the results of map, map_async, imap, imap_unordered */
typedef struct mp_task_out mp_task_out;
typedef int (*mp_task_fn)(const void *arg, size_t size, mp_task_out *out);
/* Copies the task's result (a second call replaces the first). MP_ETOOBIG when it does not
   fit in a message: the item then fails with MP_ETOOBIG, unless a later call succeeds. */
MPDEF int mp_task_return(mp_task_out *out, const void *data, size_t size);

typedef struct mp_pool_options {
    mp_target_fn initializer; /* run once in each worker before its first task, or NULL */
    const void *initargs;
    size_t initargs_size;
    /* tasks (chunks) before a worker is replaced; 0: no limit (C's None: Python rejects 0),
       negative: MP_EINVAL */
    int maxtasksperchild;
    double task_timeout; /* seconds; 0: no limit */
    int start_method;    /* the workers' start method; 0: the global one */
} mp_pool_options;
typedef struct mp_async_callbacks {
    void (*callback)(void *user, const void *result, size_t size);
    void (*error_callback)(void *user, int err, int status);
    void *user;
    /* instead of error_callback, if set: also the bytes a failing task returned (or NULL, 0) */
    void (*error_bytes_callback)(void *user, int err, int status, const void *data, size_t size);
} mp_async_callbacks;
/* map_async's callbacks, run once, when every item is done: callback if all succeeded, else
   error_callback with the first failed item (read its bytes with mp_batch_result). */
typedef struct mp_batch_callbacks {
    void (*callback)(void *user, mp_batch *b);
    void (*error_callback)(void *user, mp_batch *b, size_t index, int err, int status);
    void *user;
} mp_batch_callbacks;
typedef struct mp_bytes {
    const void *data;
    size_t size;
} mp_bytes;
enum mp_map_mode { MP_MAP = 1, MP_MAP_ASYNC, MP_IMAP, MP_IMAP_UNORDERED };

MPDEF int mp_pool_new(mp_pool **out, int processes, const mp_pool_options *opts); /* NULL ok */
/* *result: the result, or a failed task's bytes (NULL if none): mp_free it in both cases */
MPDEF int mp_pool_apply(mp_pool *p, mp_task_fn fn, const void *arg, size_t size, void **result,
                        size_t *result_size);
MPDEF int mp_pool_apply_async(mp_pool *p, mp_task_fn fn, const void *arg, size_t size,
                              const mp_async_callbacks *cb, mp_async **out);
/* MP_OK with the result (valid until mp_async_free), MP_ETIMEDOUT, or the task's error
   (MP_ETASK: *result and *size are the bytes the failing task returned, or NULL and 0). */
MPDEF int mp_async_get(mp_async *a, double timeout, const void **result, size_t *size);
MPDEF int mp_async_wait(mp_async *a, double timeout); /* MP_OK once ready, MP_ETIMEDOUT */
MPDEF int mp_async_ready(mp_async *a);                /* 1 or 0 */
MPDEF int mp_async_successful(mp_async *a);           /* 1 or 0; MP_EINVAL if not ready */
MPDEF int mp_async_status(mp_async *a); /* the task's status, or the dead worker's exit code */
MPDEF void mp_async_free(mp_async *a);
/* Future.cancel(): 1 if the task had not been taken by a worker (it never runs; get returns
   MP_ECANCELLED and the error callback runs with it; 1 again if asked again), 0 if it runs
   or has finished. */
MPDEF int mp_async_cancel(mp_async *a);
/* concurrent.futures.wait(set, timeout, FIRST_COMPLETED): MP_OK and *index = the first ready
   entry (the lowest index among those ready), MP_ETIMEDOUT, MP_EOF when every entry is
   NULL. NULL entries are skipped, so as_completed is: loop, handle set[i], set set[i] = NULL.
   The results may come from different pools. */
MPDEF int mp_async_wait_any(mp_async *const *set, int n, double timeout, int *index);
/* n items of item_size bytes each. chunksize 0 chooses one as Python does: about
   n / (4 x workers) for MP_MAP and MP_MAP_ASYNC, 1 for MP_IMAP and MP_IMAP_UNORDERED (so a
   worker's death fails one item); a chunk is also cut short to fit MP_MESSAGE_MAX. Sizes are
   checked before anything is queued: MP_ETOOBIG (an item too large, or n items of item_size
   bytes that overflow the address space), MP_ENOMEM (no room for n results). MP_MAP waits and returns MP_OK
   if every item succeeded, else the first item's error. */
MPDEF int mp_pool_map(mp_pool *p, mp_task_fn fn, const void *items, size_t item_size, size_t n,
                      size_t chunksize, int mode, mp_batch **out);
MPDEF int mp_pool_map_bytes(mp_pool *p, mp_task_fn fn, const mp_bytes *items, size_t n,
                            size_t chunksize, int mode, mp_batch **out);
/* map_async(f, items, chunksize, callback, error_callback): MP_MAP_ASYNC with callbacks. */
MPDEF int mp_pool_map_async(mp_pool *p, mp_task_fn fn, const void *items, size_t item_size,
                            size_t n, size_t chunksize, const mp_batch_callbacks *cb,
                            mp_batch **out);
MPDEF int mp_pool_map_bytes_async(mp_pool *p, mp_task_fn fn, const mp_bytes *items, size_t n,
                                  size_t chunksize, const mp_batch_callbacks *cb, mp_batch **out);
MPDEF int mp_batch_wait(mp_batch *b, double timeout); /* all done: MP_OK, else MP_ETIMEDOUT */
MPDEF size_t mp_batch_size(mp_batch *b);
/* Item i's result: MP_OK and its bytes, its error (MP_ETASK: with the bytes the failing task
   returned, if any), or MP_ETIMEDOUT while it is pending. */
MPDEF int mp_batch_result(mp_batch *b, size_t i, const void **result, size_t *size, int *status);
/* imap (in order) / imap_unordered (as they finish): the next item's index and result;
   MP_EOF after the last one. */
MPDEF int mp_batch_next(mp_batch *b, double timeout, size_t *index, const void **result,
                        size_t *size);
MPDEF void mp_batch_free(mp_batch *b);
MPDEF int mp_pool_close(mp_pool *p);     /* no more tasks */
MPDEF int mp_pool_join(mp_pool *p);      /* after close or terminate: waits for the workers */
MPDEF int mp_pool_terminate(mp_pool *p); /* kills the workers; pending tasks fail */
/* ProcessPoolExecutor.shutdown(wait, cancel_futures): closes the pool; cancel_futures: every
   task no worker has taken fails with MP_ECANCELLED (callbacks run), running ones finish;
   wait: waits for every remaining task and the workers (close + join). Then mp_pool_free. */
MPDEF int mp_pool_shutdown(mp_pool *p, int wait, int cancel_futures);
/* The pool's shared memory goes back to the arena. A pool whose process ended without this
   (killed) gives it back once its workers have ended too, at the next mp_pool_new in the
   family or when an allocation finds the arena full. */
MPDEF int mp_pool_free(mp_pool *p);
MPDEF int mp_pool_worker_pids(mp_pool *p, long *pids, int max); /* the workers now */

/* with lock: ...  ->  MP_WITH_LOCK(lock) { ... }   (leave it by its end, not by break/return) */
#define MP_WITH_LOCK(lock)                                                                         \
    for (int mp__with_ = (mp_lock_acquire((lock), MP_FOREVER), 1); mp__with_;                      \
         mp__with_ = (mp_lock_release(lock), 0))

/* Pipe and connection.wait. A connection end is an object in the family arena, so a pointer
   to it can travel inside a process argument or be stored in shared memory; the OS handle
   behind it (one end of an AF_UNIX socketpair on POSIX, of a named pipe on Windows) is each
   process's own:
   - Every child gets its own copy of every end that is open in its parent when it starts,
     under fork, spawn and on Windows (as a Pipe passed to a Process in Python). An end made
     after a child started, or closed in a process, answers MP_ECLOSED there.
   - EOF (MP_EOF from receive and from send) comes only once every copy of the other end is
     closed, in every process; a process that ends closes its copies. So, as in Python, each
     process closes the ends it does not use: typically the parent closes the child's end
     right after start.
   - Messages are whole, never split or merged, at most MP_MESSAGE_MAX bytes: a 16-byte
     header and the bytes, in a head of at least 128 bytes (a small message is padded, and
     is received in one read). A corrupt or truncated stream (garbage, a sender that died in
     the middle of a message) answers MP_ECORRUPT from then on.
   - The timeout of a receive covers the whole message, from its head to its last byte. A
     receive that times out in the middle keeps what came (memory that grows with the bytes
     that come, never with what a header announces), and the next receive goes on from there.
   - An end is used by one thread of one process at a time, as in Python: to share one end
     between processes or threads, guard it with a Lock. What a process has taken of a
     message (after MP_ETOOBIG, or part of a head when a receive timed out) is its own: a
     child started meanwhile does not see it, so do not hand the end over at that point.
   - Windows: mp_conn_poll, mp_wait and receives with a timeout sleep in the kernel, in one
     WaitForMultipleObjects over a zero-byte overlapped read per pipe end or socket (as
     Python's connection.wait), the process handles and mp_interrupt's event; over 63
     handles, a helper thread sleeps on each 63. Only beyond 3969 handles do they poll.
   - The object is freed when the last copy is closed; the copies of a killed process are
     never counted down, so such a pipe's few bytes of arena stay allocated. */
typedef struct mp_conn mp_conn;

/* duplex: both ends send and receive. Simplex (duplex = 0): *a only receives and *b only
   sends (Python: r, w = Pipe(False)). MP_ENOMEM when the arena is full, MP_ESYS when the
   system has no descriptors left. */
MPDEF int mp_pipe(int duplex, mp_conn **a, mp_conn **b);
/* One whole message of size bytes (0 is fine); MP_ETOOBIG above MP_MESSAGE_MAX, nothing
   written; MP_EOF when the other end is closed everywhere (never SIGPIPE). */
MPDEF int mp_conn_send_bytes(mp_conn *c, const void *data, size_t size);
/* Receives one whole message into buf (recv_bytes_into). MP_ETOOBIG when cap is too small:
   *size is set to the message's size and the message stays, to be received with a larger
   buffer. MP_EOF at the end, MP_ETIMEDOUT, MP_ECORRUPT. */
MPDEF int mp_conn_recv_bytes(mp_conn *c, void *buf, size_t cap, size_t *size, double timeout);
/* The same into memory it allocates (recv_bytes): free *data with mp_free. */
MPDEF int mp_conn_recv_bytes_alloc(mp_conn *c, void **data, size_t *size, double timeout);
MPDEF int mp_conn_poll(mp_conn *c, double timeout); /* MP_OK: a message or EOF; MP_ETIMEDOUT */
MPDEF int mp_conn_close(mp_conn *c); /* this process's copy of the end; twice is fine */
/* multiprocessing.connection.wait: ready[i] = 1 for each ready connection (a message or EOF
   to receive), then ready[nconns + j] = 1 for each ended process (ready may be NULL).
   Returns how many are ready (>= 1) or MP_ETIMEDOUT. Connections must be receiving ends
   open in this process; processes must be children of this process. */
MPDEF int mp_wait(mp_conn *const *conns, int nconns, mp_process *const *procs, int nprocs,
                  double timeout, int *ready);

/* Listener and Client (multiprocessing.connection), wire-compatible with Python's: a C
   program and a Python program connect with nothing but mp.h on the C side.
   - Addresses (text): "/path/to/socket" (a Unix socket, created 0600 and removed by close),
     "@name" (Linux's abstract namespace, Python's '\0name'), "host:port" or "[v6addr]:port"
     (TCP; port 0 lets the system pick: mp_listener_address tells it; an empty host is
     127.0.0.1, and nothing listens beyond the machine unless host says so, e.g. "0.0.0.0"),
     "\\.\pipe\name" (a Windows named pipe); a Unix path that ends in ":digits" is written
     "./name:1" or "/dir/name:1". NULL: a fresh Unix socket in $TMPDIR or /tmp
     (Windows: a fresh pipe name), Python's arbitrary_address.
   - authkey: NULL uses the process's authkey (below), so the processes of one family connect
     with no configuration; a key of authkey_len bytes (at most MP_AUTHKEY_MAX); a non-NULL
     key of length 0 means no handshake at all (Python: authkey=None). The handshake is
     Python's HMAC challenge both ways, and speaks both generations: HMAC-MD5 with Python
     3.11 and older, "{sha256}" with 3.12 and later. A wrong key: MP_EAUTH on both sides
     (AuthenticationError on a Python side); a peer that does not speak the protocol:
     MP_EPROTO. The listener's handshake is bounded by a timeout (MP_HANDSHAKE_TIMEOUT, 10 s;
     mp_listener_set_handshake_timeout), and a peer that sends garbage, a huge length or
     nothing costs the listener 256 bytes and that time, then accept returns the error (the
     listener goes on; accept again).
   - The connection returned is an mp_conn like a Pipe's end (send_bytes, recv_bytes, poll,
     close, mp_wait, inherited by children), with Python's framing: a 4-byte big-endian
     length, or -1 and an 8-byte length for 2^31 - 1 bytes or more. A message longer than
     MP_MESSAGE_MAX from the peer breaks the connection (MP_ECORRUPT), as Python's
     recv_bytes(maxlength) closes it.
   - Windows: named pipes in message mode, as Python's PipeListener (a message is one write,
     no length on the wire; remote clients are refused), and TCP through Winsock2, which mp.h
     loads at run time (no -lws2_32 to add, and no clash with <winsock2.h> included before
     mp.h). Unix sockets there: MP_ENOSYS. A wait or poll sees an empty message on a named
     pipe (it takes it, as Python's does, and the next receive returns it).
   - Errors: MP_EEXIST (address in use), MP_ENOENT (nobody listens there), MP_ETIMEDOUT,
     MP_ENAMETOOLONG (a Unix path over 107 bytes), MP_ENOSYS (a form this platform lacks). */
#define MP_AUTHKEY_MAX 256
typedef struct mp_listener mp_listener;
/* The process's authkey (current_process().authkey): 32 random bytes made by the first
   process, inherited by its children under every start method. get: MP_ETOOBIG (and *len)
   when cap is too small. set: for this process and the children it starts afterwards. */
MPDEF int mp_authkey_get(void *key, size_t cap, size_t *len);
MPDEF int mp_authkey_set(const void *key, size_t len);
MPDEF int mp_listener_new(mp_listener **out, const char *address, const void *authkey,
                          size_t authkey_len);
/* The next client, authenticated: MP_OK, MP_ETIMEDOUT (nobody came), MP_EAUTH, MP_EPROTO. */
MPDEF int mp_listener_accept(mp_listener *l, double timeout, mp_conn **conn);
MPDEF const char *mp_listener_address(const mp_listener *l); /* with the real port */
MPDEF long long mp_listener_fileno(const mp_listener *l);    /* readable: a client waits */
MPDEF int mp_listener_set_handshake_timeout(mp_listener *l, double timeout);
MPDEF int mp_listener_close(mp_listener *l); /* frees it; removes its Unix socket file */
/* Connects and authenticates within timeout (Python's Client(address, authkey=...)). */
MPDEF int mp_client(mp_conn **out, const char *address, const void *authkey, size_t authkey_len,
                    double timeout);
/* conn.fileno(): the descriptor (Windows: the HANDLE) of this process's copy of an end, for
   an event loop of the program's own (epoll, kqueue, libuv); or an MP_E* error (< 0). Read
   and write through mp.h only: the receive state lives in mp.h.
   Read-ahead (POSIX): an end of a Listener or Client reads what is there, up to
   MP_CONN_READAHEAD bytes past the message (a small message costs one read, and a stream of
   them fewer), and keeps it for the next receive; mp_conn_poll and mp_wait see a message
   kept so. It does so only while no other process holds a copy of the end and this function
   was never called for it: from then on it reads no further than each message, so that the
   descriptor is readable while a message waits (call it before the first receive), and so
   that two processes reading one stream in turn each get whole messages (reading at the
   same time needs a lock, as in Python). Bytes read ahead before a child is started stay
   with the process that read them. */
MPDEF long long mp_conn_fileno(mp_conn *c);

/* Named shared memory (multiprocessing.shared_memory.SharedMemory), the same memory as
   Python's of the same name: SharedMemory("frames") in Python and mp_shm_open(&s, "frames",
   ...) in C. POSIX: shm_open("/" + name), mode 0600; Windows: a named file mapping.
   create: a new block of size bytes (zero-filled; MP_EEXIST if the name is taken); name
   NULL generates one ("psm_" and 8 hex digits, as Python). !create: attach by name
   (MP_ENOENT); size is ignored and mp_shm_size tells it (Windows: rounded up to pages).
   close: this process's mapping; unlink: the name (the memory goes when the last process
   closes it; on Windows it goes with the last handle, and unlink does nothing). Link with
   -lrt on glibc older than 2.34. */
#define MP_SHM_NAME_MAX 248 /* bytes of a name, the terminating NUL included */
typedef struct mp_shm mp_shm;
MPDEF int mp_shm_open(mp_shm **out, const char *name, int create, size_t size);
MPDEF void *mp_shm_buf(const mp_shm *s);
MPDEF size_t mp_shm_size(const mp_shm *s);
MPDEF const char *mp_shm_name(const mp_shm *s);
MPDEF int mp_shm_close(mp_shm *s);
MPDEF int mp_shm_unlink(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* MP_H_INCLUDED */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
/* The implementation needs the POSIX and GNU declarations that _GNU_SOURCE turns on. The C
   library fixes what its headers declare at its first header (<features.h>): if the user's
   file included one before mp.h without _GNU_SOURCE, defining it here is too late, so stop
   with this one message and skip the implementation (no dozen errors from deep inside the
   system headers). glibc says so by __USE_GNU; musl gives the POSIX set by default, but not
   in strict modes (-std=c99: no _BSD_SOURCE). */
#if defined(MP_IMPLEMENTATION) && !defined(MP_NO_IMPLEMENTATION) && !defined(_WIN32) &&            \
    defined(_FEATURES_H) && !defined(_GNU_SOURCE) &&                                               \
    ((defined(__GLIBC__) && !defined(__USE_GNU)) ||                                                \
     (!defined(__GLIBC__) && !defined(_BSD_SOURCE)))
#error "mp.h: include it before any system header in this file, or #define _GNU_SOURCE first"
#define MP__IMPLEMENTATION_DONE /* the one error is enough: skip the implementation */
#endif
#if defined(MP_IMPLEMENTATION) && !defined(MP_NO_IMPLEMENTATION)
#ifndef MP__IMPLEMENTATION_DONE
#define MP__IMPLEMENTATION_DONE

/* >>config ------------------------------------------------------------------------------- */
#if defined(_WIN32)
#define MP__WIN   1
#define MP__POSIX 0
#else
#define MP__WIN   0
#define MP__POSIX 1
#endif

#ifdef MP_PORTABLE
#ifndef MP_NO_FUTEX
#define MP_NO_FUTEX
#endif
#ifndef MP_NO_MEMFD
#define MP_NO_MEMFD
#endif
#ifndef MP_NO_PIDFD
#define MP_NO_PIDFD
#endif
#ifndef MP_NO_DL_ITERATE_PHDR
#define MP_NO_DL_ITERATE_PHDR
#endif
#ifndef MP_NO_CLOSE_RANGE
#define MP_NO_CLOSE_RANGE
#endif
#endif

#if defined(__linux__) && !defined(MP_NO_FUTEX)
#define MP__FUTEX 1
#else
#define MP__FUTEX 0
#endif
#if defined(__linux__) && !defined(MP_NO_MEMFD)
#define MP__MEMFD 1
#else
#define MP__MEMFD 0
#endif
#if defined(__linux__) && !defined(MP_NO_PIDFD)
#define MP__PIDFD 1
#else
#define MP__PIDFD 0
#endif
#if defined(__linux__) && !defined(MP_NO_CLOSE_RANGE)
#define MP__CLOSE_RANGE 1
#else
#define MP__CLOSE_RANGE 0
#endif
#if MP__POSIX && !defined(MP_NO_DL_ITERATE_PHDR) && !defined(__TINYC__) &&                         \
    (defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||  \
     defined(__sun))
#define MP__DL_ITERATE 1
#else
#define MP__DL_ITERATE 0
#endif

#if MP__POSIX
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/auxv.h>
#include <sys/syscall.h>
#endif
#if MP__DL_ITERATE
#include <link.h>
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif
extern char **environ;
#else
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#include <windows.h>
#include <tlhelp32.h>
#include <ntsecapi.h> /* RtlGenRandom */
#ifdef _MSC_VER
#pragma comment(lib, "advapi32.lib") /* OpenProcessToken: a spawned child's integrity check */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#endif
#include <stdint.h>

#if defined(MP_MALLOC) && defined(MP_REALLOC) && defined(MP_FREE)
#elif !defined(MP_MALLOC) && !defined(MP_REALLOC) && !defined(MP_FREE)
#define MP_MALLOC(sz)     malloc(sz)
#define MP_REALLOC(p, sz) realloc(p, sz)
#define MP_FREE(p)        free(p)
#else
#error "mp.h: define all of MP_MALLOC, MP_REALLOC and MP_FREE, or none of them"
#endif
#ifndef MP_ASSERT
#include <assert.h>
#define MP_ASSERT(x) assert(x)
#endif

#ifndef MP_ARENA_SIZE
#if MP__POSIX && UINTPTR_MAX > 0xffffffffu
#define MP_ARENA_SIZE ((size_t)1 << 30)
#else
#define MP_ARENA_SIZE ((size_t)256 << 20)
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MP__FN static __attribute__((unused))
/* The few small functions on a lock's and a queue's fast path: a call each was a third of
   a lock+unlock's instructions. */
#define MP__HOT static __attribute__((unused, always_inline)) __inline__
/* The rest of a function whose hot path is inlined: kept out of line, so that the hot path
   does not pay for the registers the rest uses. */
#define MP__COLD        static __attribute__((unused, noinline))
#define MP__PREFETCH(p) __builtin_prefetch(p)
#elif defined(_MSC_VER)
#define MP__FN   static
#define MP__HOT  static __forceinline
#define MP__COLD static __declspec(noinline)
#else
#define MP__FN   static
#define MP__HOT  static
#define MP__COLD static
#endif
#ifndef MP__PREFETCH
#define MP__PREFETCH(p) ((void)(p))
#endif

typedef uint32_t mp__u32;
/* MP_MESSAGE_MAX may be set lower; records keep a message's size in 31 bits. */
typedef char mp__message_max_fits[MP_MESSAGE_MAX >= 4096 && MP_MESSAGE_MAX <= 0x7fffffffu ? 1 : -1];
typedef int32_t mp__i32;
typedef unsigned long long mp__u64;

/* Exit statuses a spawned child uses before its target runs, to tell the parent why. */
#define MP__EXIT_EXEC   121
#define MP__EXIT_ADDR   122
#define MP__EXIT_MODULE 123
#define MP__EXIT_BOOT   124
#define MP__EXIT_NOINIT 125 /* a spawned child whose main went on without calling mp_init() */
/* Windows: TerminateProcess status that reads back as minus a signal number. */
#define MP__WIN_SIGNALLED 0x10000

/* The paths that only cl.exe takes (clang-cl takes the GCC ones). MP__TEST_MSVC_PATHS forces
   them under clang, so that CI compiles them (tests/run_all.sh, with clang's MSVC target). */
#if defined(_MSC_VER) && (!defined(__clang__) || defined(MP__TEST_MSVC_PATHS))
#define MP__MSVC 1
#else
#define MP__MSVC 0
#endif

/* >>atomics: 32-bit words (and 64-bit loads and stores), sequentially consistent --------- */
#if MP__MSVC
#include <intrin.h>
MP__FN mp__u32 mp__load(volatile mp__u32 *p) {
    return (mp__u32)_InterlockedOr((volatile long *)p, 0);
}
MP__FN void mp__store(volatile mp__u32 *p, mp__u32 v) {
    _InterlockedExchange((volatile long *)p, (long)v);
}
MP__FN mp__u32 mp__xchg(volatile mp__u32 *p, mp__u32 v) {
    return (mp__u32)_InterlockedExchange((volatile long *)p, (long)v);
}
MP__FN mp__u32 mp__fetch_add(volatile mp__u32 *p, mp__u32 v) {
    return (mp__u32)_InterlockedExchangeAdd((volatile long *)p, (long)v);
}
MP__FN int mp__cas(volatile mp__u32 *p, mp__u32 expect, mp__u32 v) {
    return (mp__u32)_InterlockedCompareExchange((volatile long *)p, (long)v, (long)expect) ==
           expect;
}
MP__FN void mp__pause(void) {
    _mm_pause();
}
MP__FN mp__u64 mp__load64(volatile mp__u64 *p) {
    return (mp__u64)_InterlockedCompareExchange64((volatile long long *)p, 0, 0);
}
MP__FN void mp__store64(volatile mp__u64 *p, mp__u64 v) {
    long long old = *(volatile long long *)p;
    for (;;) {
        long long seen = _InterlockedCompareExchange64((volatile long long *)p, (long long)v, old);
        if (seen == old) return;
        old = seen;
    }
}
/* publishing a position: the release and acquire halves (here the full fences) */
MP__FN mp__u64 mp__load64_acquire(volatile mp__u64 *p) {
    return mp__load64(p);
}
MP__FN void mp__store64_release(volatile mp__u64 *p, mp__u64 v) {
    mp__store64(p, v);
}
#elif defined(__TINYC__) && defined(__x86_64__)
/* tcc has no __atomic builtins: x86-64 is TSO, so a locked instruction is a full fence. */
MP__FN mp__u32 mp__xchg(volatile mp__u32 *p, mp__u32 v) {
    __asm__ __volatile__("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    return v;
}
MP__FN mp__u32 mp__load(volatile mp__u32 *p) {
    mp__u32 v = *p;
    __asm__ __volatile__("" : : : "memory");
    return v;
}
MP__FN void mp__store(volatile mp__u32 *p, mp__u32 v) {
    (void)mp__xchg(p, v);
}
MP__FN mp__u32 mp__fetch_add(volatile mp__u32 *p, mp__u32 v) {
    __asm__ __volatile__("lock; xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    return v;
}
MP__FN int mp__cas(volatile mp__u32 *p, mp__u32 expect, mp__u32 v) {
    mp__u32 prev;
    __asm__ __volatile__("lock; cmpxchgl %2, %1"
                         : "=a"(prev), "+m"(*p)
                         : "r"(v), "0"(expect)
                         : "memory");
    return prev == expect;
}
MP__FN void mp__pause(void) {
    __asm__ __volatile__("pause");
}
MP__FN mp__u64 mp__load64(volatile mp__u64 *p) { /* an aligned 8-byte load is atomic */
    mp__u64 v = *p;
    __asm__ __volatile__("" : : : "memory");
    return v;
}
MP__FN void mp__store64(volatile mp__u64 *p, mp__u64 v) {
    __asm__ __volatile__("xchgq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
}
MP__FN mp__u64 mp__load64_acquire(volatile mp__u64 *p) {
    return mp__load64(p);
}
MP__FN void mp__store64_release(volatile mp__u64 *p, mp__u64 v) { /* TSO */
    __asm__ __volatile__("" : : : "memory");
    *p = v;
}
#else
MP__FN mp__u32 mp__load(volatile mp__u32 *p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
MP__FN void mp__store(volatile mp__u32 *p, mp__u32 v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
MP__FN mp__u32 mp__xchg(volatile mp__u32 *p, mp__u32 v) {
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
MP__FN mp__u32 mp__fetch_add(volatile mp__u32 *p, mp__u32 v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
MP__FN int mp__cas(volatile mp__u32 *p, mp__u32 expect, mp__u32 v) {
    return __atomic_compare_exchange_n(p, &expect, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
MP__FN mp__u64 mp__load64(volatile mp__u64 *p) {
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
MP__FN void mp__store64(volatile mp__u64 *p, mp__u64 v) {
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
MP__FN mp__u64 mp__load64_acquire(volatile mp__u64 *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
MP__FN void mp__store64_release(volatile mp__u64 *p, mp__u64 v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
#if defined(__x86_64__) || defined(__i386__)
MP__FN void mp__pause(void) {
    __builtin_ia32_pause();
}
#elif defined(__aarch64__)
MP__FN void mp__pause(void) {
    __asm__ __volatile__("yield");
}
#else
MP__FN void mp__pause(void) {}
#endif
#endif

/* A word that processes sleep on. `waiters` lets a waker skip the system call when nobody
   sleeps, and is what the Windows emulation of a futex needs. */
typedef struct mp__word {
    volatile mp__u32 value;
    volatile mp__u32 waiters;
} mp__word;

/* Process-wide state; the platform layer reads the arena fields. */
#define MP__IDENT_MAX 48
struct mp__child;
static struct {
    int inited;
    int method;
    long pid;
    long ppid;
    volatile mp__u32 counter;
    mp_process self;
    struct mp__child *children;
    int atexit_set;
    char *arena;
    size_t arena_size;
    char *executable;    /* mp_set_executable, UTF-8 */
    int boot_pending;    /* a spawned child whose target has not run yet (see >>autoinit) */
    size_t boot_off;     /* its boot block in the arena */
    int method_error;    /* MP_START_METHOD names no start method: starts fail, they do not guess */
    int fs_child;        /* forked by a forkserver: the parent is ppid, not the server */
    long long fs_status; /* then: its status channel (see >>forkserver) */
    char identity[MP__IDENT_MAX];  /* "3:1" for Process-3:1; "" in the main process */
    char parent_name[MP_NAME_MAX]; /* for mp_parent_process */
    mp_process parent;             /* mp_parent_process, made on first use */
    mp_fork_hook_fn fork_hook;
    void *fork_hook_user;
} mp__g;
MP__FN void mp__fs_forget(void); /* a forked child has no forkserver of its own yet */

MP__HOT int mp__bad_timeout(double t) {
    return !(t >= 0.0); /* also true for NaN */
}
MP__FN void mp__copy_name(char *dst, const char *src) {
    size_t n = strlen(src);
    if (n > MP_NAME_MAX - 1) { /* cut before a whole UTF-8 character, never inside one */
        n = MP_NAME_MAX - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80) n--;
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}
MP__FN void mp__fmt_name(char *dst, const char *prefix, unsigned long n) {
    char digits[24];
    int k = 0;
    size_t len = strlen(prefix);
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    memcpy(dst, prefix, len);
    while (k) dst[len++] = digits[--k];
    dst[len] = 0;
}
/* "a:b:c" hex fields, used for the spawn token on every platform. */
MP__FN int mp__parse_hex(const char *s, mp__u64 *out, int n) {
    int i;
    for (i = 0; i < n; i++) {
        mp__u64 v = 0;
        int digits = 0;
        for (;; s++, digits++) {
            char c = *s;
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) break;
            v = v * 16 + (mp__u64)d;
        }
        if (!digits) return -1;
        out[i] = v;
        if (i + 1 < n && *s++ != ':') return -1;
    }
    return 0;
}
MP__FN char *mp__put_hex(char *dst, mp__u64 v, char sep) {
    char tmp[17];
    int k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (k) *dst++ = tmp[--k];
    if (sep) *dst++ = sep;
    *dst = 0;
    return dst;
}
MP__FN void *mp__fn_addr(void (*fn)(void)) {
    void *a;
    memcpy(&a, &fn, sizeof a);
    return a;
}
MP__FN void (*mp__addr_fn(void *a))(void) {
    void (*fn)(void);
    memcpy(&fn, &a, sizeof fn);
    return fn;
}
MP__FN void mp__anchor(void) {}

/* A connection end handed to a spawned child: the end (its offset in the arena) and the
   child's handle for it, written by the parent into the arena next to the boot block. */
typedef struct mp__pass {
    mp__u64 conn;
    long long handle;
} mp__pass;

/* An address of a Listener or Client, parsed (>>connection) for the platform layer. */
enum { MP__AF_UNIX = 1, MP__AF_TCP, MP__AF_PIPE };
#define MP__ADDR_TEXT 300 /* an address as text, the longest Unix path and a TCP one included */
typedef struct mp__addr {
    int family;
    int abstract;   /* Unix: Linux's abstract namespace ("@name") */
    unsigned port;  /* TCP */
    size_t len;     /* of name */
    char name[256]; /* Unix: the path; TCP: the host; a Windows pipe: its whole name */
} mp__addr;
/* Forkserver (POSIX): what the server hands the child it forked (see >>forkserver), and the
   records that go back to the parent on the child's status channel. */
typedef struct mp__fs_job {
    mp__u64 boot_off;
    long long status; /* the child's end of its status channel */
    long long *fds;   /* the connection ends the parent had open, in its pass table's order */
    int nfds;
} mp__fs_job;
enum { MP__FS_STARTED = 1, MP__FS_EXITED, MP__FS_SELF_EXIT, MP__FS_FAILED };
typedef struct mp__fs_rec {
    mp__u32 kind; /* MP__FS_* */
    mp__i32 code; /* exit code, minus a signal, or an MP_E* error */
    mp__u64 pid;
} mp__fs_rec;

/* ======================================================================================== */
/* >>os: the platform layer. Each primitive has its POSIX and its Win32 half; everything    */
/* above this section is written once.                                                      */
/*   mp__os_getpid/getppid/now/sleep/yield/cpu_count/pid_alive  identity, clock, liveness    */
/*   mp__os_lock/unlock                                  one process-local mutex             */
/*   mp__os_wait/wake                                    sleep on a 32-bit word in the arena */
/*   mp__os_arena_create/attach                          the family arena at one address     */
/*   mp__os_fork/spawn/child_token                       starting children                   */
/*   mp__os_proc_wait/signal/release                     waiting for and ending them         */
/*   mp__os_module_locate/resolve                        functions across ASLR               */
/*   mp__os_pipe/send/recv/poll/close_handle/adopt       connection ends, waiting on handles */
/*   mp__os_reg_lock/unlock                              the lock of the connection registry */
/*   mp__os_listen/accept/connect/listen_close           Listener and Client (>>connection)  */
/*   mp__os_msg_send/msg_recv                            Windows message-mode pipes          */
/*   mp__os_shm_open/close/unlink/prefix                 named shared memory (>>shm)         */
/* ======================================================================================== */
#if MP__POSIX /* >>posix */

static pthread_mutex_t mp__os_mutex = PTHREAD_MUTEX_INITIALIZER;
static int mp__os_arena_fd = -1;
static int mp__os_sentinel_w = -1; /* our end of the parent's sentinel pipe (no pidfd) */
static char *mp__os_exe;

MP__FN long mp__os_getpid(void) {
    return (long)getpid();
}
#define MP__OS_FORKS 1 /* fork is a start method here */
MP__FN long mp__os_getppid(void) {
    return (long)getppid(); /* asked each time: an orphan is adopted by another process */
}
/* A fork that mp.h did not make still gets its own identity: locks are owned by pid. */
MP__FN void mp__os_robust_init(void);
MP__FN void mp__os_interrupt_forked(void);
static void mp__os_atfork_child(void) {
    mp__g.ppid = mp__g.pid;
    mp__g.pid = (long)getpid();
    mp__g.self.mp__pid = mp__g.pid;
    /* The C library emptied our robust list (a forked child owns no lock): hang the anchor
       on it again, from this thread, the child's main thread. */
    mp__os_robust_init();
    mp__os_interrupt_forked();
    mp__fs_forget();
}
MP__FN void mp__os_init(void) {
    pthread_atfork(NULL, NULL, mp__os_atfork_child);
    mp__os_robust_init();
}
MP__FN mp__u64 mp__os_tid(void) {
    pthread_t t = pthread_self();
    mp__u64 id = 0;
    memcpy(&id, &t, sizeof t < sizeof id ? sizeof t : sizeof id);
    return id;
}
MP__FN void mp__os_lock(void) {
    pthread_mutex_lock(&mp__os_mutex);
}
MP__FN void mp__os_unlock(void) {
    pthread_mutex_unlock(&mp__os_mutex);
}
MP__FN double mp__os_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
MP__FN void mp__os_at_exit(void) {} /* nothing cached (see the Windows half) */
MP__FN double mp__os_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
MP__FN void mp__os_sleep(double s) {
    struct timespec ts;
    if (s <= 0) return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}
MP__FN void mp__os_yield(void) {
    sched_yield();
}
MP__FN int mp__os_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
MP__FN int mp__os_ms(double timeout) {
    double ms = timeout * 1000.0 + 0.999;
    return ms > 2147483647.0 ? -1 : (int)ms;
}

/* Dead, or a zombie nobody has reaped yet: a lock owner in either state is gone. */
MP__FN int mp__os_pid_alive(long pid) {
    siginfo_t si;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return 0;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
        return 0;
#ifdef __linux__
    {
        char path[40], buf[512], *p;
        int fd;
        ssize_t n;
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        /* gone since kill() saw it, or no /proc here (a container): then kill() says alive */
        if (fd < 0) return errno == ENOENT && access("/proc/self/stat", F_OK) == 0 ? 0 : 1;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) return 1;
        buf[n] = 0;
        p = strrchr(buf, ')');
        if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) return 0;
    }
#endif
    return 1;
}
/* A parent that died: its pid is gone, or we were adopted by another process. */
MP__FN int mp__os_parent_alive(long parent) {
    return mp__os_pid_alive(parent) && (long)getppid() == parent;
}

#if MP__FUTEX
MP__FN int mp__os_wait(volatile mp__u32 *addr, mp__u32 expect, double timeout) {
    struct timespec ts, *tp = NULL;
    if (timeout < 1e8) {
        ts.tv_sec = (time_t)timeout;
        ts.tv_nsec = (long)((timeout - (double)ts.tv_sec) * 1e9);
        tp = &ts;
    }
    /* FUTEX_WAIT without FUTEX_PRIVATE_FLAG: the word is shared between processes. */
    if (syscall(SYS_futex, addr, 0, expect, tp, NULL, 0) == -1 && errno == ETIMEDOUT)
        return MP_ETIMEDOUT;
    return MP_OK;
}
MP__FN void mp__os_wake(volatile mp__u32 *addr, mp__u32 n) {
    syscall(SYS_futex, addr, 1, n > 0x7fffffffu ? 0x7fffffff : (int)n, NULL, NULL, 0);
}
#else
/* Portable fallback: no process-shared futex everywhere, so poll with a short backoff. */
MP__FN int mp__os_wait(volatile mp__u32 *addr, mp__u32 expect, double timeout) {
    double start = mp__os_now(), delay = 20e-6;
    for (;;) {
        double left;
        if (mp__load(addr) != expect) return MP_OK;
        left = timeout - (mp__os_now() - start);
        if (left <= 0) return MP_ETIMEDOUT;
        mp__os_sleep(delay < left ? delay : left);
        if (delay < 1e-3) delay *= 2;
    }
}
MP__FN void mp__os_wake(volatile mp__u32 *addr, mp__u32 n) {
    (void)addr;
    (void)n;
}
#endif

/* mp_interrupt: a flag that every interruptible wait looks at; the futex waits also sleep on
   it (futex_waitv, Linux 5.16), or are kicked (a lock's, mp__os_wait_kick); the waits on
   descriptors watch a pipe that it makes readable. The flag stays set until
   mp_interrupt_clear. */
static volatile mp__u32 mp__os_intr;
static volatile mp__u32 mp__os_intr_rd, mp__os_intr_wr; /* the pipe's fds + 1, made on the
                                                             first poll that needs it */
#if MP__FUTEX
MP__FN void mp__os_kick_all(void);
/* The sleepers of mp__os_wait_kick, for mp_interrupt to find without a lock (it may run in a
   signal handler): a slot is a thread's while gen is odd, and published once addr is set. */
#define MP__OS_KICKS      32
#define MP__OS_KICK_TRIES 20000 /* wakes (and yields) for a sleeper of another thread */
static struct {
    volatile mp__u32 gen, pad;
    volatile mp__u64 addr, tid, word; /* the word slept on; the thread; expect | kick << 32 */
} mp__os_kicks[MP__OS_KICKS];
#endif
MP__FN int mp__os_interrupted(void) {
    return mp__load(&mp__os_intr) != 0;
}
MP__FN void mp__os_interrupt(void) { /* async-signal-safe: atomics and system calls */
    int saved = errno, fd;
    mp__store(&mp__os_intr, 1);
#if MP__FUTEX
    syscall(SYS_futex, &mp__os_intr, 1 | 128 /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */, 0x7fffffff,
            NULL, NULL, 0);
    mp__os_kick_all();
#endif
    fd = (int)mp__load(&mp__os_intr_wr) - 1;
    if (fd >= 0 && write(fd, "!", 1) < 0) {} /* full already: it is readable, that is enough */
    errno = saved;
}
MP__FN void mp__os_interrupt_clear(void) {
    char buf[64];
    int fd = (int)mp__load(&mp__os_intr_rd) - 1;
    mp__store(&mp__os_intr, 0);
    if (fd >= 0)
        while (read(fd, buf, sizeof buf) > 0) {}
}
/* The read end of the interrupt pipe, for a poll (-1 if none could be made). Made without
   mp__os_lock: a wait under it (the exit-time joins of mp__reap_all) may be the first. The
   write end is claimed by a compare-and-swap; a thread that loses closes its pipe. */
MP__FN int mp__os_intr_pollfd(void) {
    int fds[2], i;
    if (mp__load(&mp__os_intr_rd)) return (int)mp__load(&mp__os_intr_rd) - 1;
    if (pipe(fds) != 0) return -1;
    for (i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
    if (mp__cas(&mp__os_intr_wr, 0, (mp__u32)fds[1] + 1)) {
        mp__store(&mp__os_intr_rd, (mp__u32)fds[0] + 1);
        if (mp__os_interrupted() && write(fds[1], "!", 1) < 0) {}
    } else {
        close(fds[0]);
        close(fds[1]);
        while (!mp__load(&mp__os_intr_rd)) sched_yield(); /* the winner publishes it at once */
    }
    return (int)mp__load(&mp__os_intr_rd) - 1;
}
/* A forked child starts uninterrupted, with a pipe of its own (made when needed). */
MP__FN void mp__os_interrupt_forked(void) {
    if (mp__os_intr_rd) close((int)mp__os_intr_rd - 1), close((int)mp__os_intr_wr - 1);
    mp__os_intr_rd = mp__os_intr_wr = 0;
    mp__store(&mp__os_intr, 0);
#if MP__FUTEX
    memset((void *)mp__os_kicks, 0, sizeof mp__os_kicks); /* the other threads' are gone */
#endif
}
/* mp__os_wait that mp_interrupt ends (MP_EINTERRUPTED). It may return MP_OK early: callers
   look at the word again. */
MP__FN int mp__os_wait_intr(volatile mp__u32 *addr, mp__u32 expect, double timeout) {
#if MP__FUTEX
    static int have_waitv = 1;
    int r;
    if (mp__os_interrupted()) return MP_EINTERRUPTED;
    if (have_waitv) {
        struct {
            mp__u64 val, uaddr;
            mp__u32 flags, reserved;
        } w[2];
        struct timespec ts, *tp = NULL;
        long rc;
        w[0].val = expect;
        w[0].uaddr = (mp__u64)(uintptr_t)addr;
        w[0].flags = 2; /* FUTEX_32, shared between processes */
        w[1].val = 0;
        w[1].uaddr = (mp__u64)(uintptr_t)&mp__os_intr;
        w[1].flags = 2 | 128; /* FUTEX_32 | FUTEX_PRIVATE_FLAG */
        w[0].reserved = w[1].reserved = 0;
        if (timeout < 1e8) { /* futex_waitv takes an absolute time */
            double t;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            t = (double)ts.tv_nsec * 1e-9 + timeout;
            ts.tv_sec += (time_t)t;
            ts.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
            if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
            tp = &ts;
        }
        rc = syscall(449 /* SYS_futex_waitv */, w, 2, 0, tp, CLOCK_MONOTONIC);
        if (rc >= 0 || errno != ENOSYS) {
            if (mp__os_interrupted()) return MP_EINTERRUPTED;
            return rc < 0 && errno == ETIMEDOUT ? MP_ETIMEDOUT : MP_OK;
        }
        have_waitv = 0;
    }
    /* older kernels: slices of 50 ms, looking at the flag between them */
    r = mp__os_wait(addr, expect, timeout < 0.05 ? timeout : 0.05);
    if (mp__os_interrupted()) return MP_EINTERRUPTED;
    return r == MP_ETIMEDOUT && timeout > 0.05 ? MP_OK : r;
#else
    double start = mp__os_now(), delay = 20e-6;
    for (;;) {
        double left;
        if (mp__os_interrupted()) return MP_EINTERRUPTED;
        if (mp__load(addr) != expect) return MP_OK;
        left = timeout - (mp__os_now() - start);
        if (left <= 0) return MP_ETIMEDOUT;
        mp__os_sleep(delay < left ? delay : left);
        if (delay < 1e-3) delay *= 2;
    }
#endif
}
/* An interruptible wait on a lock's word, where kick is a bit that the lock lets anyone flip
   while it is held (it changes nothing for the lock). A plain futex wait, no futex_waitv and
   no timer without a timeout: measured, either of them halves a contended lock's throughput
   (2 processes in a VM: 10-13 M ops/s against 20-31 M), for the sleeper loses the race to
   sleep more often. mp_interrupt finds the sleeper in mp__os_kicks and ends its wait:
   - from another thread, it wakes the word until the sleeper has left its slot (a wake that
     comes before the sleeper is in the kernel is lost);
   - from a signal handler on the sleeper's own thread, it flips kick in the word if the word
     still holds what the sleeper expects: the kernel restarts the wait (SA_RESTART) or enters
     it (the handler ran just before), and its comparison fails. A lock released, taken and
     contended again in between (the same value) only delays the end to the lock's next
     release. */
MP__FN int mp__os_wait_kick(volatile mp__u32 *addr, mp__u32 expect, mp__u32 kick, double timeout) {
#if MP__FUTEX
    mp__u64 me = mp__os_tid();
    int i, k, r;
    for (k = 0, i = (int)(me % MP__OS_KICKS); k < MP__OS_KICKS; k++, i = (i + 1) % MP__OS_KICKS) {
        mp__u32 g = mp__load(&mp__os_kicks[i].gen);
        if (!(g & 1) && mp__cas(&mp__os_kicks[i].gen, g, g + 1)) break;
    }
    if (k == MP__OS_KICKS) return mp__os_wait_intr(addr, expect, timeout); /* all taken */
    mp__store64_release(&mp__os_kicks[i].tid, me);
    mp__store64_release(&mp__os_kicks[i].word, expect | (mp__u64)kick << 32);
    mp__store64(&mp__os_kicks[i].addr, (mp__u64)(uintptr_t)addr); /* a full fence: then the flag */
    r = mp__os_interrupted() ? MP_EINTERRUPTED : mp__os_wait(addr, expect, timeout);
    mp__store64_release(&mp__os_kicks[i].addr, 0);
    mp__fetch_add(&mp__os_kicks[i].gen, 1);
    return mp__os_interrupted() ? MP_EINTERRUPTED : r;
#else
    (void)kick;
    return mp__os_wait_intr(addr, expect, timeout);
#endif
}
#if MP__FUTEX
MP__FN void mp__os_kick_all(void) {
    mp__u64 me = mp__os_tid();
    int i, n;
    for (i = 0; i < MP__OS_KICKS; i++) {
        mp__u32 g = mp__load(&mp__os_kicks[i].gen), expect, kick;
        volatile mp__u32 *addr = (volatile mp__u32 *)(uintptr_t)mp__load64(&mp__os_kicks[i].addr);
        if (!(g & 1) || !addr) continue; /* free, or not yet published: it sees the flag */
        if (mp__load64(&mp__os_kicks[i].tid) == me) { /* our own thread, stopped in its wait */
            mp__u64 w = mp__load64(&mp__os_kicks[i].word);
            expect = (mp__u32)w;
            kick = (mp__u32)(w >> 32);
            while (mp__load(addr) == expect && !mp__cas(addr, expect, expect ^ kick)) {}
            continue;
        }
        /* another thread: it is in the kernel, or about to be; the word stays valid while
           it is (the slot is left first). Bounded, in case it is stopped (SIGSTOP). */
        for (n = 0; n < MP__OS_KICK_TRIES && mp__load(&mp__os_kicks[i].gen) == g; n++) {
            mp__os_wake(addr, 0x7fffffff);
            if (n) sched_yield();
        }
    }
}
#endif

/* Sleeps on a word until it changes or a process that it waits for ends (owner[0..1], 0:
   none; a lock's owner, a stream's partners): MP_OK (woken, or the word changed),
   MP_EOWNERDEAD (one of them has ended), MP_ETIMEDOUT (the time, or a slice of it, passed:
   the caller looks again), MP_EINTERRUPTED (intr: mp_interrupt). POSIX has no wait on the
   end of a process that is not our child, so a death is looked for when a slice (at most
   slice seconds) passes; on Linux the robust list reports a lock's dead owner at once (the
   kernel changes the word and wakes), so there the slices are a backstop. */
MP__FN int mp__os_wait_owner(volatile mp__u32 *addr, mp__u32 expect, double timeout, double slice,
                             const mp__u32 owner[2], int intr, mp__u32 kick) {
    double t = timeout < slice ? timeout : slice;
    int r = !intr  ? mp__os_wait(addr, expect, t)
            : kick ? mp__os_wait_kick(addr, expect, kick, t)
                   : mp__os_wait_intr(addr, expect, t);
    int i;
    if (r != MP_ETIMEDOUT) return r;
    for (i = 0; i < 2; i++)
        if (owner[i] && owner[i] != (mp__u32)mp__g.pid && !mp__os_pid_alive((long)owner[i]))
            return MP_EOWNERDEAD;
    return MP_ETIMEDOUT;
}

/* The kernel's robust futex list (Documentation/locking/robust-futex-ABI): when a thread
   ends, the kernel walks the list it registered and, in every word (entry + futex_offset)
   that holds its thread id, sets FUTEX_OWNER_DIED and wakes a waiter. A lock word holds the
   owner's pid, the thread id of the process's main thread, which ends last when a process
   dies: so mp.h links the locks a process holds into its main thread's list. The C library
   owns that list (glibc registers one per thread); mp.h hangs one anchor node of its own at
   its tail, from the main thread, and keeps its locks in a chain behind the anchor, which
   the library never touches. A node lives in the lock, where the library's futex_offset
   puts it: (entry - futex_offset) is the word; the slot before the entry holds the link
   back. Where none of this works (no list, an offset that does not fit, another thread than
   the main one made the first call, MP_PORTABLE), the liveness check alone remains. */
#define MP__RL_ROOM (8 + 4 * sizeof(void *)) /* bytes of an mp__mutex: the word, the node */
static struct {
    size_t dist; /* entry = word + dist; 0: the list is not used */
    void *head;  /* the list's head: the end marker of every chain */
    void *volatile *anchor;
    void *volatile *pending; /* the list's list_op_pending */
    volatile mp__u32 spin;   /* the chain is the process's: its threads take turns */
    mp__u32 anchor_word[MP__RL_ROOM / 4 + 2];
} mp__os_rl;
MP__FN void mp__os_robust_init(void) {
#if MP__FUTEX && defined(SYS_get_robust_list) && defined(SYS_gettid)
    struct {
        void *list;
        long off;
        void *pending;
    } * h;
    size_t len = 0, dist;
    void *volatile *e;
    char *word;
    int k;
    mp__os_rl.dist = 0;
    mp__os_rl.spin = 0;
    if (syscall(SYS_gettid) != (long)getpid()) return;
    h = NULL;
    if (syscall(SYS_get_robust_list, 0, &h, &len) != 0 || !h || len != sizeof *h) return;
    if (h->off >= 0) return;
    dist = (size_t)-h->off;
    if (dist % sizeof(void *) || dist < 8 + sizeof(void *) || dist + sizeof(void *) > MP__RL_ROOM)
        return;
    word = (char *)mp__os_rl.anchor_word;
    word += (8 - (uintptr_t)word % 8) % 8; /* the anchor's word: 0 for ever */
    mp__os_rl.anchor = (void *volatile *)(word + dist);
    mp__os_rl.head = (void *)&h->list;
    /* to the tail: the library only ever adds at the head, so it never links behind us */
    e = (void *volatile *)&h->list;
    for (k = 0; ((uintptr_t)*e & ~(uintptr_t)1) != (uintptr_t)mp__os_rl.head; k++) {
        if (k > 2048) return; /* the kernel's own limit */
        e = (void *volatile *)((uintptr_t)*e & ~(uintptr_t)1);
    }
    mp__os_rl.anchor[0] = mp__os_rl.head;
    mp__os_rl.anchor[-1] = (void *)e;
    mp__os_rl.pending = (void *volatile *)&h->pending;
    *e = (void *)mp__os_rl.anchor;
    mp__os_rl.dist = dist;
#endif
}
/* The chain's turn-taking costs two atomic operations a lock and a release, as much as the
   lock itself: a process with one thread (glibc says so) needs none, as no other thread
   can appear while this one links. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#include <sys/single_threaded.h>
#define MP__ONE_THREAD() (__libc_single_threaded != 0)
#else
#define MP__ONE_THREAD() 0
#endif
MP__HOT int mp__os_rl_take(void) {
    if (MP__ONE_THREAD()) return 0;
    while (mp__xchg(&mp__os_rl.spin, 1)) sched_yield();
    return 1;
}
MP__HOT void mp__os_rl_give(int taken) {
    if (taken) mp__store(&mp__os_rl.spin, 0);
}
/* The list_op_pending protocol: the lock about to be taken (before the word changes) or
   released (before its node leaves the chain), so that a death between the word and the
   chain is seen by the kernel too; NULL when done. The field is the C library's, used only
   inside its own robust mutex calls: a process with one thread may borrow it between them.
   With several threads the few instructions stay uncovered (the liveness check sees them). */
MP__HOT void mp__os_robust_pending(volatile mp__u32 *word) {
    if (!mp__os_rl.dist || !MP__ONE_THREAD()) return;
    *mp__os_rl.pending = word ? (void *)((char *)word + mp__os_rl.dist) : NULL;
}
/* After the word is ours: its node joins the chain. */
MP__HOT void mp__os_robust_link(volatile mp__u32 *word) {
    void **n, **first, **anchor = (void **)mp__os_rl.anchor;
    int taken;
    if (!mp__os_rl.dist) return;
    n = (void **)((char *)word + mp__os_rl.dist);
    taken = mp__os_rl_take();
    first = (void **)anchor[0];
    n[0] = (void *)first;
    n[-1] = (void *)anchor;
    if ((void *)first != mp__os_rl.head) first[-1] = (void *)n;
    /* last: a walk (the kernel's, once the process died) sees the node whole or not at all */
    *(void *volatile *)anchor = (void *)n;
    if (taken) /* several threads: the pending field is not ours to clear */
        mp__os_rl_give(taken);
    else
        *mp__os_rl.pending = NULL;
}
/* 1 if a lock this process holds is in its robust list (the kernel wakes a waiter when it
   dies), so that a waiter need not look at it now and then. */
MP__HOT int mp__os_robust_covers(void) {
    return mp__os_rl.dist != 0;
}
/* Before the word is released: its node leaves the chain. */
MP__HOT void mp__os_robust_unlink(volatile mp__u32 *word) {
    void **n, **next, **prev;
    int taken;
    if (!mp__os_rl.dist) return;
    n = (void **)((char *)word + mp__os_rl.dist);
    taken = mp__os_rl_take();
    next = (void **)n[0];
    prev = (void **)n[-1];
    *(void *volatile *)prev = (void *)next;
    if ((void *)next != mp__os_rl.head) next[-1] = (void *)prev;
    mp__os_rl_give(taken);
}

/* Far from where Linux puts heaps, libraries, stacks and ASan's shadow, so that a spawned
   child, laid out afresh by ASLR, almost always finds the range free. ThreadSanitizer keeps
   that range for its shadow and refuses it: its programs get one in the low range it leaves
   to applications (below 512 GiB in every layout of x86-64; the binary and MAP_32BIT
   mappings stay far below). */
#if defined(__SANITIZE_THREAD__)
#define MP__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP__TSAN 1
#endif
#endif
MP__FN void *mp__os_arena_hint(void) {
#if defined(__linux__) && defined(__x86_64__) && defined(MP__TSAN)
    return (void *)(uintptr_t)0x7000000000ull;
#elif defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
    return (void *)(uintptr_t)0x200000000000ull;
#else
    return NULL;
#endif
}
MP__FN void *mp__os_map(void *want, size_t size, int fd, int exact) {
    int flags = MAP_SHARED;
    void *p;
#if defined(MAP_FIXED_NOREPLACE) && !defined(MP_PORTABLE)
    if (want) flags |= MAP_FIXED_NOREPLACE;
#endif
    p = mmap(want, size, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (p == MAP_FAILED && want && !exact)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return NULL;
    if (exact && p != want) {
        munmap(p, size);
        return NULL;
    }
    return p;
}
MP__FN int mp__os_arena_create(size_t size, char **base) {
    int fd = -1;
    void *p;
#if MP__MEMFD
    fd = (int)syscall(SYS_memfd_create, "mp-arena", 1u /* MFD_CLOEXEC */);
#endif
    if (fd < 0) {
        char name[64];
        int tries;
        for (tries = 0; tries < 100 && fd < 0; tries++) {
            snprintf(name, sizeof name, "/mp-%ld-%d-%ld", (long)getpid(), tries,
                     (long)(mp__os_now() * 1e6));
            fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
            if (fd >= 0) shm_unlink(name);
        }
        if (fd < 0) return MP_ESYS;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return MP_ENOMEM;
    }
    p = mp__os_map(mp__os_arena_hint(), size, fd, 0);
    if (!p) {
        close(fd);
        return MP_ENOMEM;
    }
    mp__os_arena_fd = fd;
    *base = (char *)p;
    return MP_OK;
}

/* How a spawned child boots, and who may make it boot. A program that finds MP_SPAWN_FD in
   its environment runs a function named by the boot data instead of main, and whoever
   starts a program chooses its environment and descriptors. So:
   - A program that runs with privileges its starter lacks (set-user-ID, set-group-ID, file
     capabilities: AT_SECURE, issetugid, or real and effective ids that differ) never boots:
     it exits with a message (spawn is not available to such programs; fork is).
   - Otherwise the starter gains nothing by forging (it could run the same code itself),
     unless it is not the parent: someone who controls only the environment, and perhaps
     what an inherited descriptor carries, of a program that another process starts. So the
     boot data must come from the real parent: it is read only from a socketpair made for
     this child, whose creator the kernel vouches for (SO_PEERCRED: the creator's pid must be
     getppid(); elsewhere getpeereid: our own user); the record in it must name getppid() and
     carry a 128-bit random nonce that the boot block in the arena it names must carry too.
   - Nothing secret is in the environment or on the command line, which /proc shows for the
     process's whole life (unsetenv does not change /proc/PID/environ): MP_SPAWN_FD is only
     the channel's number, and the record is read once and the channel closed. */
#define MP__SPAWN_VAR   "MP_SPAWN_FD"
#define MP__SPAWN_MAGIC 0x6d702d737061776eull /* "mp-spawn" */
typedef struct mp__spawn_rec {
    mp__u64 magic, parent_pid, arena_fd, arena_addr, arena_size, boot_off, sentinel_fd;
    mp__u64 nonce[2];
} mp__spawn_rec;

MP__FN int mp__os_privileged(void) {
#if defined(__linux__) && defined(AT_SECURE)
    if (getauxval(AT_SECURE)) return 1;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
    if (issetugid()) return 1;
#endif
    return getuid() != geteuid() || getgid() != getegid();
}
/* The kernel's word on who made the socket: our parent (Linux), or at least our user. */
MP__FN int mp__os_peer_is_parent(int fd) {
#if defined(__linux__) && defined(SO_PEERCRED)
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 || len != sizeof uc) return 0;
    return (long)uc.pid == (long)getppid() && uc.uid == getuid();
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
    uid_t uid;
    gid_t gid;
    return getpeereid(fd, &uid, &gid) == 0 && uid == getuid();
#else
    (void)fd; /* no way to ask here: the parent pid and nonce checks remain */
    return 1;
#endif
}
MP__FN void mp__os_random(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    size_t got = 0;
#if defined(__linux__) && defined(SYS_getrandom)
    while (got < n) {
        long r = (long)syscall(SYS_getrandom, p + got, n - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || errno != EINTR)
            break;
    }
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
    arc4random_buf(buf, n);
    got = n;
#endif
    if (got < n) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        while (fd >= 0 && got < n) {
            ssize_t r = read(fd, p + got, n - got);
            if (r > 0)
                got += (size_t)r;
            else if (r == 0 || errno != EINTR)
                break;
        }
        if (fd >= 0) close(fd);
    }
    while (got < n) { /* no randomness source: unique, though not secret */
        mp__u64 v = (mp__u64)(mp__os_now() * 1e9) ^ ((mp__u64)getpid() << 40) ^
                    (mp__u64)(uintptr_t)&v ^ ((mp__u64)got * 0x9e3779b97f4a7c15ull);
        size_t k = n - got < sizeof v ? n - got : sizeof v;
        memcpy(p + got, &v, k);
        got += k;
    }
}

MP__FN const char *mp__os_child_token(void) {
    return getenv(MP__SPAWN_VAR);
}
/* An environment variable's value, or NULL (buf: room for it where the C library keeps none). */
MP__FN const char *mp__os_getenv(const char *name, char *buf, size_t cap) {
    (void)buf, (void)cap;
    return getenv(name);
}
/* 0, or the exit status that says why the child cannot boot. */
MP__FN int mp__os_arena_attach(const char *token, size_t *boot_off, mp__u64 nonce[2]) {
    mp__spawn_rec rec;
    struct stat st;
    int bfd = 0;
    ssize_t n;
    void *p;
    const char *s;
    for (s = token; *s >= '0' && *s <= '9' && bfd < 1000000; s++) bfd = bfd * 10 + (*s - '0');
    if (s == token || *s) return MP__EXIT_BOOT;
    if (mp__os_privileged()) {
        fprintf(stderr, "mp.h: " MP__SPAWN_VAR " is set in a privileged (set-user-ID, "
                        "set-group-ID or capability) program: not booting a spawned child\n");
        return MP__EXIT_BOOT;
    }
    /* Nothing but looks at a descriptor that is not our parent's socket. */
    n = -1;
    if (fstat(bfd, &st) == 0 && S_ISSOCK(st.st_mode) && mp__os_peer_is_parent(bfd)) {
        n = recv(bfd, &rec, sizeof rec, MSG_DONTWAIT);
        close(bfd);
    }
    if (n != (ssize_t)sizeof rec || rec.magic != MP__SPAWN_MAGIC ||
        (long)rec.parent_pid != (long)getppid() || rec.arena_fd > 0x7fffffff ||
        rec.sentinel_fd > 0x7fffffff || rec.arena_size > (mp__u64)(size_t)-1 ||
        rec.boot_off >= rec.arena_size) {
        fprintf(stderr, "mp.h: " MP__SPAWN_VAR " is set, but the boot data is not from this "
                        "process's parent: not booting\n");
        return MP__EXIT_BOOT;
    }
    p = mp__os_map((void *)(uintptr_t)rec.arena_addr, (size_t)rec.arena_size, (int)rec.arena_fd, 1);
    if (!p) return MP__EXIT_ADDR;
    mp__os_arena_fd = (int)rec.arena_fd;
    fcntl(mp__os_arena_fd, F_SETFD, FD_CLOEXEC);
    if (rec.sentinel_fd) {
        mp__os_sentinel_w = (int)rec.sentinel_fd;
        fcntl(mp__os_sentinel_w, F_SETFD, FD_CLOEXEC);
    }
    mp__g.arena = (char *)p;
    mp__g.arena_size = (size_t)rec.arena_size;
    *boot_off = (size_t)rec.boot_off;
    nonce[0] = rec.nonce[0];
    nonce[1] = rec.nonce[1];
    unsetenv(MP__SPAWN_VAR); /* not for the programs this child may run */
    return 0;
}

static int mp__os_have_pidfd = -1;
MP__FN int mp__os_pidfd_open(long pid) {
#if MP__PIDFD
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
    if (mp__os_have_pidfd != 0) {
        int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (mp__os_have_pidfd < 0) mp__os_have_pidfd = fd >= 0;
        return fd;
    }
#else
    (void)pid;
#endif
    return -1;
}
/* Without pidfd, a pipe whose write end only the child holds: EOF when the child ends. */
MP__FN int mp__os_sentinel(int fds[2]) {
    fds[0] = fds[1] = -1;
    if (mp__os_have_pidfd < 0) {
        int fd = mp__os_pidfd_open((long)getpid());
        if (fd >= 0) close(fd);
        if (mp__os_have_pidfd < 0) mp__os_have_pidfd = 0;
    }
    if (mp__os_have_pidfd == 1) return 0;
    if (pipe(fds) != 0) return MP_ESYS;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}
MP__FN void mp__os_parent_side(long pid, int fds[2], long long *handle) {
    if (fds[1] >= 0) close(fds[1]);
    *handle = fds[0] >= 0 ? fds[0] : mp__os_pidfd_open(pid);
}

/* Pool workers end with the pool's process, busy or idle. Not PR_SET_PDEATHSIG: it follows
   the *thread* that forked the worker, so a pool made by a thread that then ends would lose
   its workers. A watcher thread waits instead on the parent's pidfd, which fires only once
   the whole process is gone; without pidfd it looks at getppid() every 100 ms. */
static long mp__os_watched;
static int mp__os_watch_fd = -1;
static void *mp__os_watch(void *arg) {
    (void)arg;
    if (mp__os_watch_fd >= 0) {
        struct pollfd pf;
        pf.fd = mp__os_watch_fd;
        pf.events = POLLIN;
        pf.revents = 0;
        while (poll(&pf, 1, -1) < 0 && errno == EINTR) {}
    } else {
        while ((long)getppid() == mp__os_watched) mp__os_sleep(0.1);
    }
    _exit(0);
    return NULL;
}
MP__FN void mp__os_worker_init(long parent) {
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;
    if (mp__g.fs_child) parent = (long)getppid(); /* the server: it ends with the program */
    mp__os_watched = parent;
    mp__os_watch_fd = mp__os_pidfd_open(parent);
    if ((long)getppid() != parent) _exit(0); /* it died before we could watch it */
    sigfillset(&all);                        /* the watcher takes none of the process's signals */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* if it cannot start, the idle worker still checks its parent every half second */
        pthread_create(&t, &attr, mp__os_watch, NULL);
        pthread_attr_destroy(&attr);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}
/* Returns 0 in the child, 1 in the parent, or an error. */
MP__FN int mp__os_fork(long *pid, long long *handle) {
    int fds[2];
    pid_t r;
    if (mp__os_sentinel(fds) != 0) return MP_ESYS;
    r = fork();
    if (r < 0) {
        if (fds[0] >= 0) close(fds[0]), close(fds[1]);
        return MP_ESYS;
    }
    if (r == 0) {
        if (fds[0] >= 0) close(fds[0]);
        if (mp__os_sentinel_w >= 0) close(mp__os_sentinel_w);
        mp__os_sentinel_w = fds[1];
        return 0;
    }
    *pid = (long)r;
    mp__os_parent_side(*pid, fds, handle);
    return 1;
}

MP__FN void mp__os_exe_reset(void) {
    MP_FREE(mp__os_exe);
    mp__os_exe = NULL;
}
MP__FN const char *mp__os_exe_path(void) {
    if (mp__g.executable) return mp__g.executable;
    if (!mp__os_exe) {
        char buf[4096];
        ssize_t n = -1;
#if defined(__APPLE__)
        uint32_t size = sizeof buf;
        n = _NSGetExecutablePath(buf, &size) == 0 ? (ssize_t)strlen(buf) : -1;
#else
        n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n < 0) n = readlink("/proc/curproc/file", buf, sizeof buf - 1);
        if (n < 0) n = readlink("/proc/curproc/exe", buf, sizeof buf - 1);
#endif
        if (n <= 0 || n >= (ssize_t)sizeof buf) return NULL;
        mp__os_exe = (char *)MP_MALLOC((size_t)n + 1);
        if (!mp__os_exe) return NULL;
        memcpy(mp__os_exe, buf, (size_t)n);
        mp__os_exe[n] = 0;
    }
    return mp__os_exe;
}

/* The descriptors a spawned child keeps: stdio, the open connection ends at their own
   numbers (keep[0..nkeep-1], sorted), the arena and the sentinel at the lowest numbers from 3
   that no connection end uses (3 and 4 when there are none). */
MP__FN int mp__os_lowest_free(const int *keep, int nkeep, int from) {
    int i;
    for (i = 0; i < nkeep; i++)
        if (keep[i] == from) from++;
    return from;
}
MP__FN void mp__os_insert_fd(int *v, int *n, int fd) { /* sorted, without duplicates */
    int at = *n;
    while (at > 0 && v[at - 1] > fd) at--;
    if (at > 0 && v[at - 1] == fd) return;
    memmove(v + at + 1, v + at, (size_t)(*n - at) * sizeof *v);
    v[at] = fd;
    (*n)++;
}
/* One past the highest descriptor number a spawned child must close. A descriptor can be
   open above the soft limit (opened before the limit was lowered), so where the open ones
   can be listed (/proc/self/fd; /dev/fd on macOS) the highest of them counts too. With such
   a listing the brute-force close stops at 65536 unless something is open above: a
   descriptor that another thread opens meanwhile takes the lowest free number, far below.
   Without one it runs to the limit itself, as CPython's does. */
MP__FN int mp__os_fd_end(int top) {
    struct rlimit rl;
    long lim = -1, hi = -1;
    DIR *d = NULL;
#if MP__CLOSE_RANGE /* close_range needs no bound: only a kernel without it (< 5.9) does */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
    static int have_close_range = -1;
    if (have_close_range < 0) /* an empty range: 0 if the call exists */
        have_close_range = syscall(SYS_close_range, ~0u - 1, ~0u, 0u) == 0;
    if (!have_close_range) d = opendir("/proc/self/fd");
#else
    d = opendir("/proc/self/fd");
#ifdef __APPLE__
    if (!d) d = opendir("/dev/fd");
#endif
#endif
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        lim = rl.rlim_cur > 0x7fffffff ? 0x7fffffff : (long)rl.rlim_cur;
    if (lim <= 0) lim = sysconf(_SC_OPEN_MAX);
    if (lim <= 0 || lim > 1048576) lim = 1048576; /* no limit: Linux's own ceiling (nr_open) */
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            const char *c = e->d_name;
            long v = 0;
            if (*c < '0' || *c > '9') continue;
            for (; *c >= '0' && *c <= '9' && v < 0x7fffffff / 10; c++) v = v * 10 + (*c - '0');
            if (v > hi) hi = v;
        }
        closedir(d);
        if (lim > 65536) lim = 65536;
    }
    if (hi + 1 > lim) lim = hi + 1;
    if ((long)top + 1 > lim) lim = (long)top + 1;
    return (int)lim;
}
/* Closes [lo, hi] (hi = -1: every number from lo up); async-signal-safe. */
MP__FN void mp__os_close_from(int lo, int hi, int maxfd) {
    int fd;
#if MP__CLOSE_RANGE
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
    if (syscall(SYS_close_range, (unsigned)lo, hi < 0 ? ~0u : (unsigned)hi, 0u) == 0) return;
#elif defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) ||                       \
    defined(__DragonFly__) || defined(__sun)
    if (hi < 0) {
        closefrom(lo);
        return;
    }
#endif
    if (hi < 0 || hi > maxfd - 1) hi = maxfd - 1;
    for (fd = lo; fd <= hi; fd++) close(fd);
}

/* fork + exec of the program itself. Between fork and exec the child only makes
   async-signal-safe calls: it moves the arena, the sentinel and the boot channel to free low
   numbers, clears close-on-exec on the connection ends it inherits, and closes every other
   descriptor, so nothing else of the parent leaks into it. The boot record goes into the
   channel before the fork; the parent closes its copies after it. */
MP__FN int mp__os_spawn(size_t boot_off, const mp__u64 nonce[2], const mp__pass *pass, int npass,
                        long *pid, long long *handle) {
    const char *exe = mp__os_exe_path();
    char marker[40], *t;
    char **envp;
    char *argv[2];
    size_t n = 0, i, k = 0;
    int fds[2], bc[2], *keep, nkeep = 0, *all, nall, afd, sfd = -1, bfd, j, top, end;
    mp__spawn_rec rec;
    pid_t r;
    if (!exe) return MP_EEXEC;
    keep = (int *)MP_MALLOC(((size_t)npass * 2 + 3) * sizeof *keep);
    if (!keep) return MP_ENOMEM;
    for (j = 0; j < npass; j++)
        if (pass[j].handle >= 0) mp__os_insert_fd(keep, &nkeep, (int)pass[j].handle);
    if (mp__os_sentinel(fds) != 0) {
        MP_FREE(keep);
        return MP_ESYS;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, bc) != 0) {
        if (fds[0] >= 0) close(fds[0]), close(fds[1]);
        MP_FREE(keep);
        return MP_ESYS;
    }
    fcntl(bc[0], F_SETFD, FD_CLOEXEC);
    fcntl(bc[1], F_SETFD, FD_CLOEXEC);
    afd = mp__os_lowest_free(keep, nkeep, 3);
    if (fds[1] >= 0) sfd = mp__os_lowest_free(keep, nkeep, afd + 1);
    bfd = mp__os_lowest_free(keep, nkeep, (sfd >= 0 ? sfd : afd) + 1);
    all = keep + nkeep; /* every number the child keeps from 3 up, sorted */
    memcpy(all, keep, (size_t)nkeep * sizeof *keep);
    nall = nkeep;
    mp__os_insert_fd(all, &nall, afd);
    if (sfd >= 0) mp__os_insert_fd(all, &nall, sfd);
    mp__os_insert_fd(all, &nall, bfd);
    top = all[nall - 1];
    memset(&rec, 0, sizeof rec);
    rec.magic = MP__SPAWN_MAGIC;
    rec.parent_pid = (mp__u64)getpid();
    rec.arena_fd = (mp__u64)afd;
    rec.arena_addr = (mp__u64)(uintptr_t)mp__g.arena;
    rec.arena_size = (mp__u64)mp__g.arena_size;
    rec.boot_off = (mp__u64)boot_off;
    rec.sentinel_fd = sfd >= 0 ? (mp__u64)sfd : 0;
    rec.nonce[0] = nonce[0];
    rec.nonce[1] = nonce[1];
    memcpy(marker, MP__SPAWN_VAR "=", sizeof(MP__SPAWN_VAR));
    t = marker + sizeof(MP__SPAWN_VAR);
    if (bfd >= 10000) *t++ = (char)('0' + bfd / 10000 % 10);
    if (bfd >= 1000) *t++ = (char)('0' + bfd / 1000 % 10);
    if (bfd >= 100) *t++ = (char)('0' + bfd / 100 % 10);
    if (bfd >= 10) *t++ = (char)('0' + bfd / 10 % 10);
    *t++ = (char)('0' + bfd % 10);
    *t = 0;
    while (environ && environ[n]) n++;
    envp = (char **)MP_MALLOC((n + 2) * sizeof *envp);
    if (!envp || bfd >= 100000 || send(bc[0], &rec, sizeof rec, 0) != (ssize_t)sizeof rec) {
        MP_FREE(envp);
        if (fds[0] >= 0) close(fds[0]), close(fds[1]);
        close(bc[0]);
        close(bc[1]);
        MP_FREE(keep);
        return envp ? MP_ESYS : MP_ENOMEM;
    }
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], MP__SPAWN_VAR "=", sizeof(MP__SPAWN_VAR)) != 0)
            envp[k++] = environ[i];
    envp[k++] = marker;
    envp[k] = NULL;
    argv[0] = (char *)exe;
    argv[1] = NULL;
    end = mp__os_fd_end(top);
    r = fork();
    if (r == 0) {
        int src[3], dst[3], tmp[3], lo = 3;
        src[0] = mp__os_arena_fd, dst[0] = afd;
        src[1] = fds[1], dst[1] = sfd;
        src[2] = bc[1], dst[2] = bfd;
        /* Each through a number above all the targets first, so no move clobbers another. */
        for (j = 0; j < 3; j++) {
            tmp[j] = -1;
            if (src[j] >= 0 && ((tmp[j] = fcntl(src[j], F_DUPFD, top + 1)) < 0 ||
                                fcntl(tmp[j], F_SETFD, FD_CLOEXEC) != 0))
                _exit(MP__EXIT_BOOT);
        }
        for (j = 0; j < 3; j++) /* dup2 clears close-on-exec on the target */
            if (tmp[j] >= 0 && dup2(tmp[j], dst[j]) != dst[j]) _exit(MP__EXIT_BOOT);
        for (j = 0; j < nkeep; j++) fcntl(keep[j], F_SETFD, 0);
        for (j = 0; j < nall; j++) {   /* close the gaps between the kept numbers */
            if (all[j] < lo) continue; /* an end at 0, 1 or 2, where stdio was */
            if (all[j] > lo) mp__os_close_from(lo, all[j] - 1, end);
            lo = all[j] + 1;
        }
        mp__os_close_from(lo, -1, end);
        execve(exe, argv, envp);
        _exit(MP__EXIT_EXEC);
    }
    close(bc[0]);
    close(bc[1]);
    MP_FREE(envp);
    MP_FREE(keep);
    if (r < 0) {
        if (fds[0] >= 0) close(fds[0]), close(fds[1]);
        return MP_ESYS;
    }
    *pid = (long)r;
    mp__os_parent_side(*pid, fds, handle);
    return MP_OK;
}

/* MP_OK with *code set once the child has ended (and is reaped), else MP_ETIMEDOUT. */
MP__FN int mp__os_proc_wait(long pid, long long *handle, double timeout, int *code) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout), delay = 1e-4;
    int pollable = *handle >= 0;
    for (;;) {
        int st = 0;
        double left;
        /* no deadline and nothing to poll: block in waitpid itself */
        pid_t r = waitpid((pid_t)pid, &st, timeout >= 1e9 && !pollable ? 0 : WNOHANG);
        if (r == (pid_t)pid) {
            *code = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
            if (*handle >= 0) close((int)*handle);
            *handle = -1;
            return MP_OK;
        }
        if (r < 0 && errno != EINTR) return MP_ESYS;
        left = deadline - mp__os_now();
        if (left <= 0) return MP_ETIMEDOUT;
        if (mp__os_interrupted()) return MP_EINTERRUPTED;
        if (pollable) {
            struct pollfd pfd[2];
            pfd[0].fd = (int)*handle;
            pfd[1].fd = mp__os_intr_pollfd(); /* mp_interrupt makes it readable */
            pfd[0].events = pfd[1].events = POLLIN;
            pfd[0].revents = pfd[1].revents = 0;
            if (poll(pfd, 2, mp__os_ms(left)) > 0 && pfd[0].revents && mp__os_have_pidfd != 1)
                pollable = 0; /* sentinel EOF: a grandchild may still hold it, so poll */
        } else if (timeout >= 1e9) {
            continue; /* the blocking waitpid: a signal's EINTR brings it back here */
        } else {
            mp__os_sleep(delay < left ? delay : left);
            if (delay < 0.02) delay *= 2;
        }
    }
}
MP__FN int mp__os_proc_signal(long pid, long long handle, int hard) {
    (void)handle;
    return kill((pid_t)pid, hard ? SIGKILL : SIGTERM) == 0 || errno == ESRCH ? MP_OK : MP_ESYS;
}
MP__FN void mp__os_proc_release(long long *handle) {
    if (*handle >= 0) close((int)*handle);
    *handle = -1;
}
/* _exit through a pointer that the loader fills in when the program starts: a direct call
   would be bound lazily, in every child anew (the parent never calls it), and that costs
   each fork child a symbol lookup and a copy-on-write fault or two, a fifth of a start. */
static void (*volatile mp__os_exit_now)(int) = _exit;
MP__FN void mp__os_exit(int code) {
    fflush(NULL);
    mp__os_exit_now(code);
    _exit(code); /* not reached: tells the compiler that this does not return */
}

/* Connection ends: AF_UNIX stream socketpairs, close-on-exec (a spawned child gets the ones
   it should have explicitly). A send never raises SIGPIPE: a closed peer is MP_EOF. */
#ifdef MSG_NOSIGNAL
#define MP__NOSIGNAL MSG_NOSIGNAL
#else
#define MP__NOSIGNAL 0
#endif
static pthread_mutex_t mp__os_reg_mutex = PTHREAD_MUTEX_INITIALIZER;
MP__FN void mp__os_reg_lock(void) {
    pthread_mutex_lock(&mp__os_reg_mutex);
}
MP__FN void mp__os_reg_unlock(void) {
    pthread_mutex_unlock(&mp__os_reg_mutex);
}
MP__FN int mp__os_pipe(int duplex, long long h[2]) {
    int sv[2], r = -1;
#if defined(SOCK_CLOEXEC) && !defined(MP_PORTABLE)
    r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
#endif
    if (r != 0) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return MP_ESYS;
        fcntl(sv[0], F_SETFD, FD_CLOEXEC);
        fcntl(sv[1], F_SETFD, FD_CLOEXEC);
    }
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
        setsockopt(sv[1], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
    if (!duplex) { /* sv[0] only receives, sv[1] only sends */
        shutdown(sv[0], SHUT_WR);
        shutdown(sv[1], SHUT_RD);
    }
    h[0] = sv[0];
    h[1] = sv[1];
    return MP_OK;
}
MP__FN void mp__os_close_handle(long long h) {
    if (h >= 0) close((int)h);
}
/* A spawned child's inherited end: keep it from the programs it may exec. 0 if it is open.
   extra: MP__OS_PASS_EXTRA bytes the parent's spawn wrote for it (none here). */
#define MP__OS_PASS_EXTRA 0
MP__FN int mp__os_adopt(long long *h, const void *extra) {
    (void)extra;
    return fcntl((int)*h, F_SETFD, FD_CLOEXEC) == 0 ? 0 : -1;
}
/* Writes a then b, all of them: MP_OK, MP_EOF (the peer is closed) or MP_ESYS. */
MP__FN int mp__os_send(long long h, const void *a, size_t na, const void *b, size_t nb) {
    struct iovec iov[2];
    struct msghdr m;
    int k = 0;
    iov[0].iov_base = (void *)(uintptr_t)a;
    iov[0].iov_len = na;
    iov[1].iov_base = (void *)(uintptr_t)b;
    iov[1].iov_len = nb;
    memset(&m, 0, sizeof m);
    while (k < 2 && iov[k].iov_len == 0) k++;
    while (k < 2) {
        ssize_t w;
        m.msg_iov = iov + k;
        m.msg_iovlen = (k == 0 && nb) ? 2 : 1;
        w = sendmsg((int)h, &m, MP__NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN ? MP_EOF : MP_ESYS;
        }
        while (k < 2 && w > 0) { /* a partial write: go on from where it stopped */
            size_t step = (size_t)w < iov[k].iov_len ? (size_t)w : iov[k].iov_len;
            iov[k].iov_base = (char *)iov[k].iov_base + step;
            iov[k].iov_len -= step;
            w -= (ssize_t)step;
            if (iov[k].iov_len == 0) k++;
        }
        while (k < 2 && iov[k].iov_len == 0) k++;
    }
    return MP_OK;
}
MP__FN int mp__os_poll(const long long *h, const unsigned char *is_proc, int n, double timeout,
                       int *ready);
#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0 /* then a receive blocks in recv, and mp_interrupt cannot end it */
#endif
/* Reads exactly n bytes: MP_OK, MP_EOF with *got < n, MP_EINTERRUPTED or MP_ESYS. */
MP__FN int mp__os_recv(long long h, void *buf, size_t n, size_t *got) {
    size_t k = 0;
    while (k < n) {
        /* what is there at once; to wait, a poll that mp_interrupt can end */
        ssize_t r = recv((int)h, (char *)buf + k, n - k, MSG_WAITALL | MSG_DONTWAIT);
        if (r > 0) {
            k += (size_t)r;
            continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int ready = 0;
            unsigned char is_proc = 0;
            r = mp__os_poll(&h, &is_proc, 1, MP_FOREVER, &ready);
            if (r == MP_EINTERRUPTED) {
                *got = k;
                return r;
            }
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        *got = k;
        /* ECONNRESET: the peer closed with data of ours unread; for us it is the end */
        return r == 0 || errno == ECONNRESET ? MP_EOF : MP_ESYS;
    }
    *got = k;
    return MP_OK;
}
/* Reads what is there, at most n bytes, without waiting: MP_OK (*got may be 0), MP_EOF or
   MP_ESYS. Called after a poll said the end is readable. */
MP__FN int mp__os_recv_some(long long h, void *buf, size_t n, size_t *got) {
    ssize_t r;
#ifdef MSG_DONTWAIT
    r = recv((int)h, buf, n, MSG_DONTWAIT);
#else
    r = recv((int)h, buf, n, 0);
#endif
    *got = r > 0 ? (size_t)r : 0;
    if (r > 0) return MP_OK;
    if (r == 0 || errno == ECONNRESET) return MP_EOF;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? MP_OK : MP_ESYS;
}
/* Read-ahead (>>pipe): what is there, into a then b, in one call: MP_OK (*got may be 0),
   MP_EOF or MP_ESYS. A stream socket fills a first, so a message and the start of the next
   one come in one read. wait 0: at once; wait 1: a blocking read, which the socket's
   receive timeout (mp__os_ahead_setup) and a signal's EINTR end early (*got may be 0), so
   that the caller sees mp_interrupt: no poll before every read; wait 2: the same until a is
   full (b unused): a large message wakes its reader once, not at every segment. */
#define MP__OS_READAHEAD  1
#define MP__OS_AHEAD_TICK 0.05 /* the longest a blocking read sleeps before it looks again */
MP__FN int mp__os_ahead_setup(long long h, int on) {
    struct timeval tv;
    tv.tv_sec = 0;
    tv.tv_usec = on ? (long)(MP__OS_AHEAD_TICK * 1e6) : 0;
    return setsockopt((int)h, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 ? MP_OK : MP_ESYS;
}
MP__FN int mp__os_recv_ahead(long long h, void *a, size_t na, void *b, size_t nb, int wait,
                             size_t *got) {
    struct iovec iov[2];
    struct msghdr m;
    ssize_t r;
    iov[0].iov_base = a;
    iov[0].iov_len = na;
    iov[1].iov_base = b;
    iov[1].iov_len = nb;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = wait == 2 ? 1 : 2;
    r = recvmsg((int)h, &m, wait == 2 ? MSG_WAITALL : wait ? 0 : MSG_DONTWAIT);
    *got = r > 0 ? (size_t)r : 0;
    if (r > 0) return MP_OK;
    if (r == 0 || errno == ECONNRESET) return MP_EOF;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? MP_OK : MP_ESYS;
}
/* Waits until one of the handles is ready: a connection end readable (or at EOF), a child's
   pidfd or sentinel readable (ended). Handle -1 is skipped. ready[i] set to 0 or 1; returns
   how many are ready (0 when the timeout passed) or MP_ESYS / MP_ENOMEM. */
MP__FN int mp__os_poll(const long long *h, const unsigned char *is_proc, int n, double timeout,
                       int *ready) {
    struct pollfd small[17], *p = small;
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    int i, r;
    (void)is_proc;
    if (timeout > 0 && mp__os_interrupted()) return MP_EINTERRUPTED;
    if (n > 16) {
        p = (struct pollfd *)MP_MALLOC((size_t)(n + 1) * sizeof *p);
        if (!p) return MP_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        p[i].fd = h[i] >= 0 ? (int)h[i] : -1;
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    p[n].fd = timeout > 0 ? mp__os_intr_pollfd() : -1; /* mp_interrupt makes it readable */
    p[n].events = POLLIN;
    p[n].revents = 0;
    for (;;) {
        double left = deadline - mp__os_now();
        r = poll(p, (nfds_t)n + 1, timeout >= 1e9 ? -1 : left > 0 ? mp__os_ms(left) : 0);
        if (r >= 0 || errno != EINTR) break;
        if (mp__os_interrupted()) break;
    }
    if (timeout > 0 && mp__os_interrupted()) r = MP_EINTERRUPTED;
    if (r > 0)
        for (i = 0, r = 0; i < n; i++) r += ready[i] = p[i].revents != 0;
    else
        for (i = 0; i < n; i++) ready[i] = 0;
    if (p != small) MP_FREE(p);
    return r == MP_EINTERRUPTED ? r : r < 0 ? MP_ESYS : r;
}

/* Listener and Client sockets (>>connection): Unix (path or Linux abstract) and TCP. */
MP__FN void mp__os_default_address(char *buf, size_t cap) {
    unsigned char r[8];
    const char *dir = getenv("TMPDIR");
    char *p;
    int i;
    if (!dir || !dir[0] || strlen(dir) > 60) dir = "/tmp";
    mp__os_random(r, sizeof r);
    p = buf + snprintf(buf, cap, "%s/mp-listener-", dir);
    for (i = 0; i < 8; i++, p += 2) snprintf(p, 3, "%02x", r[i]);
}
/* Close-on-exec from the start where the system can (a thread's exec cannot take it). */
#if defined(SOCK_CLOEXEC) && !defined(MP_PORTABLE)
#define MP__SOCK_CLOEXEC SOCK_CLOEXEC
#else
#define MP__SOCK_CLOEXEC 0
#endif
MP__FN int mp__os_sock_cloexec(int fd) {
    if (fd < 0) return -1;
    if (!MP__SOCK_CLOEXEC) fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    }
#endif
    return fd;
}
MP__FN int mp__os_unix_addr(const mp__addr *a, struct sockaddr_un *sa, socklen_t *len) {
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (a->len + (size_t)a->abstract >= sizeof sa->sun_path) return MP_ENAMETOOLONG;
#ifndef __linux__
    if (a->abstract) return MP_ENOSYS; /* the abstract namespace is Linux's */
#endif
    memcpy(sa->sun_path + a->abstract, a->name, a->len);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)a->abstract + a->len +
                       (a->abstract ? 0 : 1));
    return MP_OK;
}
MP__FN int mp__os_sock_error(int e) {
    return e == EADDRINUSE ? MP_EEXIST
           : e == ECONNREFUSED || e == ENOENT || e == EADDRNOTAVAIL || e == ENETUNREACH ||
                   e == EHOSTUNREACH
               ? MP_ENOENT
           : e == ENAMETOOLONG ? MP_ENAMETOOLONG
           : e == EAFNOSUPPORT ? MP_ENOSYS
                               : MP_ESYS;
}
MP__FN int mp__os_resolve(const mp__addr *a, struct addrinfo **res) {
    struct addrinfo hint;
    char port[8];
    memset(&hint, 0, sizeof hint);
    hint.ai_family = AF_UNSPEC;
    hint.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%u", a->port);
    return getaddrinfo(a->name, port, &hint, res) == 0 ? MP_OK : MP_ENOENT;
}
/* A connected TCP socket: no Nagle (a message is one write: it would only delay a round
   trip); to a peer on this machine, a send buffer of 256 KiB (128 KiB asked, Linux doubles
   it) instead of the autotuned megabytes: the bytes then cross while they are in the
   cache, 2-3x the throughput on loopback. A remote peer keeps the autotuning its distance
   needs. */
MP__FN void mp__os_tcp_nodelay(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int one = 1, local = 0, sndbuf = 128 << 10;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) return;
    if (ss.ss_family == AF_INET)
        local = (ntohl(((struct sockaddr_in *)(void *)&ss)->sin_addr.s_addr) >> 24) == 127;
    else if (ss.ss_family == AF_INET6)
        local = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr);
    if (local) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}
MP__FN int mp__os_listen(const mp__addr *a, long long *h, char *text, size_t cap) {
    int fd, r = MP_OK, one = 1;
    if (a->family == MP__AF_PIPE) return MP_ENOSYS;
    if (a->family == MP__AF_UNIX) {
        struct sockaddr_un sa;
        socklen_t len;
        if ((r = mp__os_unix_addr(a, &sa, &len)) != MP_OK) return r;
        fd = mp__os_sock_cloexec(socket(AF_UNIX, SOCK_STREAM | MP__SOCK_CLOEXEC, 0));
        if (fd < 0) return MP_ESYS;
        fchmod(fd, 0600); /* Linux gives the socket file this mode at bind: no window */
        if (bind(fd, (struct sockaddr *)&sa, len) != 0)
            r = mp__os_sock_error(errno);
        else if (!a->abstract && chmod(a->name, 0600) != 0)
            r = MP_ESYS;
        else if (listen(fd, 128) != 0)
            r = MP_ESYS;
        if (r != MP_OK && r != MP_EEXIST && !a->abstract) unlink(a->name);
        snprintf(text, cap, "%s%s", a->abstract ? "@" : "", a->name);
    } else {
        struct addrinfo *res = NULL;
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        char host[64];
        if ((r = mp__os_resolve(a, &res)) != MP_OK) return r;
        fd = mp__os_sock_cloexec(socket(res->ai_family, SOCK_STREAM | MP__SOCK_CLOEXEC, 0));
        if (fd < 0) {
            r = mp__os_sock_error(errno);
            freeaddrinfo(res);
            return r;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* as Python on POSIX */
        if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
            getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
            r = mp__os_sock_error(errno);
        freeaddrinfo(res);
        if (r == MP_OK && ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
            snprintf(text, cap, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
        } else if (r == MP_OK) {
            struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
            inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
            snprintf(text, cap, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
        }
    }
    if (r == MP_OK && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) r = MP_ESYS;
    if (r != MP_OK) {
        close(fd);
        return r;
    }
    *h = fd;
    return MP_OK;
}
MP__FN void mp__os_listen_close(const mp__addr *a, long long h) {
    close((int)h);
    if (a->family == MP__AF_UNIX && !a->abstract) unlink(a->name);
}
MP__FN int mp__os_set_blocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl != -1 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0 ? 0 : -1;
}
/* The next client: MP_OK, MP_ETIMEDOUT. The listening socket does not block, so a client
   that another process (or thread) took between the poll and the accept only costs a loop. */
MP__FN int mp__os_accept(long long *lh, const mp__addr *a, double timeout, long long *h) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    for (;;) {
        int fd, ready = 0, r;
        unsigned char is_proc = 0;
        double left;
#if MP__SOCK_CLOEXEC && defined(__linux__)
        fd = accept4((int)*lh, NULL, NULL, SOCK_CLOEXEC);
#else
        fd = accept((int)*lh, NULL, NULL);
#endif
        if (fd >= 0) {
            mp__os_sock_cloexec(fd);
            mp__os_set_blocking(fd); /* the BSDs pass O_NONBLOCK on */
            if (a->family == MP__AF_TCP) mp__os_tcp_nodelay(fd);
            *h = fd;
            return MP_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            return MP_ESYS;
        left = deadline - mp__os_now();
        if (left <= 0 && timeout < 1e9) return MP_ETIMEDOUT;
        r = mp__os_poll(lh, &is_proc, 1, timeout >= 1e9 ? 1e300 : left, &ready);
        if (r < 0) return r;
    }
}
/* Connects within the timeout: MP_OK, MP_ENOENT (nobody listens), MP_ETIMEDOUT. A Unix
   listener whose backlog is full answers EAGAIN: tried again, as a blocking connect waits. */
MP__FN int mp__os_connect(const mp__addr *a, double timeout, long long *h) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout), pause = 0.001;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int r;
    if (a->family == MP__AF_PIPE) return MP_ENOSYS;
    if (a->family == MP__AF_UNIX) {
        if ((r = mp__os_unix_addr(a, (struct sockaddr_un *)(void *)&ss, &len)) != MP_OK) return r;
    } else {
        struct addrinfo *res = NULL;
        if ((r = mp__os_resolve(a, &res)) != MP_OK) return r;
        if (res->ai_addrlen > sizeof ss)
            r = MP_ENOSYS;
        else
            memcpy(&ss, res->ai_addr, len = (socklen_t)res->ai_addrlen);
        freeaddrinfo(res);
        if (r != MP_OK) return r;
    }
    for (;;) {
        int fd = mp__os_sock_cloexec(socket(ss.ss_family, SOCK_STREAM | MP__SOCK_CLOEXEC, 0)),
            e = 0;
        double left;
        if (fd < 0) return mp__os_sock_error(errno);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, (struct sockaddr *)&ss, len) != 0) e = errno;
        if (e == EINPROGRESS || e == EINTR) {
            socklen_t el = sizeof e;
            struct pollfd p;
            p.fd = fd;
            p.events = POLLOUT;
            p.revents = 0;
            left = deadline - mp__os_now();
            while ((r = poll(&p, 1,
                             timeout >= 1e9 ? -1
                             : left > 0     ? mp__os_ms(left)
                                            : 0)) < 0 &&
                   errno == EINTR)
                left = deadline - mp__os_now();
            if (r == 0)
                e = ETIMEDOUT;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
        }
        if (e == 0 && mp__os_set_blocking(fd) == 0) {
            if (a->family == MP__AF_TCP) mp__os_tcp_nodelay(fd);
            *h = fd;
            return MP_OK;
        }
        close(fd);
        left = deadline - mp__os_now();
        if (e == ETIMEDOUT || (left <= 0 && timeout < 1e9)) return MP_ETIMEDOUT;
        if (e != EAGAIN) return mp__os_sock_error(e);
        mp__os_sleep(pause < left ? pause : left);
        if (pause < 0.01) pause *= 2;
    }
}

/* Message-mode pipes are Windows': no end of this kind exists here. */
MP__FN int mp__os_msg_send(long long h, const void *data, size_t size) {
    (void)h, (void)data, (void)size;
    return MP_ENOSYS;
}
MP__FN int mp__os_msg_recv(long long h, void *buf, size_t cap, size_t *got, mp__u64 *left,
                           double timeout) {
    (void)h, (void)buf, (void)cap, (void)timeout;
    *got = 0;
    *left = 0;
    return MP_ENOSYS;
}

/* Named shared memory (>>shm): shm_open("/" + name), as Python's _posixshmem. */
MP__FN const char *mp__os_shm_prefix(void) {
    return "psm_";
}
MP__FN int mp__os_shm_open(const char *name, int create, size_t *size, void **buf, long long *h) {
    char path[MP_SHM_NAME_MAX + 1];
    struct stat st;
    void *p;
    int fd;
    path[0] = '/';
    memcpy(path + 1, name, strlen(name) + 1);
    fd = shm_open(path, create ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0600);
    if (fd < 0)
        return errno == EEXIST         ? MP_EEXIST
               : errno == ENOENT       ? MP_ENOENT
               : errno == ENAMETOOLONG ? MP_ENAMETOOLONG
                                       : MP_ESYS;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (create && ftruncate(fd, (off_t)*size) != 0) {
        close(fd);
        shm_unlink(path);
        return MP_ENOMEM;
    }
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (mp__u64)st.st_size > (mp__u64)SIZE_MAX) {
        close(fd);
        if (create) shm_unlink(path);
        return MP_EINVAL; /* an empty object cannot be mapped (Python: ValueError) */
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        if (create) shm_unlink(path);
        return MP_ENOMEM;
    }
    *size = (size_t)st.st_size;
    *buf = p;
    *h = fd;
    return MP_OK;
}
MP__FN void mp__os_shm_close(void *buf, size_t size, long long h) {
    munmap(buf, size);
    close((int)h);
}
MP__FN int mp__os_shm_unlink(const char *name) {
    char path[MP_SHM_NAME_MAX + 1];
    path[0] = '/';
    memcpy(path + 1, name, strlen(name) + 1);
    return shm_unlink(path) == 0 ? MP_OK : errno == ENOENT ? MP_ENOENT : MP_ESYS;
}

/* Forkserver primitives. The request channel is a socketpair, so nothing is left in the file
   system. A request is one or more fixed-size messages that carry descriptors (SCM_RIGHTS):
   first the child's status channel, then the connection ends the parent has open. */
#define MP__OS_FORKSERVER 1
#define MP__FS_MAGIC      0x6d702d6673727672ull /* "mp-fsrvr" */
#define MP__FS_CHUNK      64                    /* descriptors per message */
typedef struct mp__fs_msg {
    mp__u64 magic, boot_off, nfds, nhere;
} mp__fs_msg;
MP__FN int mp__os_fs_sendfds(int sock, const mp__fs_msg *m, const int *fds) {
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MP__FS_CHUNK)];
    } u;
    struct msghdr mh;
    struct iovec iov;
    size_t len = sizeof(int) * (size_t)m->nhere;
    memset(&mh, 0, sizeof mh);
    memset(&u, 0, sizeof u);
    iov.iov_base = (void *)(uintptr_t)m;
    iov.iov_len = sizeof *m;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (len) {
        struct cmsghdr *cm;
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(len);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(len);
        memcpy(CMSG_DATA(cm), fds, len);
    }
    for (;;) {
        ssize_t w = sendmsg(sock, &mh, MP__NOSIGNAL);
        if (w == (ssize_t)sizeof *m) return MP_OK;
        if (w < 0 && errno == EINTR) continue;
        return w < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN) ? MP_EOF
                                                                                     : MP_ESYS;
    }
}
/* The parent asks for a child. *status: our end of the child's status channel, where the
   child says it started and the server says how it ended. MP_EOF: the server is gone. */
MP__FN int mp__os_fs_request(long long sock, mp__u64 boot_off, const mp__pass *pass, int npass,
                             long long *status) {
    long long st[2];
    int fds[MP__FS_CHUNK], i = -1, r;
    mp__fs_msg m;
    r = mp__os_pipe(0, st); /* st[0] receives, st[1] sends */
    if (r != MP_OK) return r;
    m.magic = MP__FS_MAGIC;
    m.boot_off = boot_off;
    m.nfds = (mp__u64)npass + 1;
    do {
        m.nhere = 0;
        for (; m.nhere < MP__FS_CHUNK && i < npass; i++)
            fds[m.nhere++] = i < 0 ? (int)st[1] : (int)pass[i].handle;
        r = mp__os_fs_sendfds((int)sock, &m, fds);
    } while (r == MP_OK && i < npass);
    close((int)st[1]);
    if (r != MP_OK) {
        close((int)st[0]);
        return r;
    }
    *status = st[0];
    return MP_OK;
}
MP__FN void mp__os_fs_note(long long h, int kind, int code, long pid) {
    mp__fs_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = (mp__u32)kind;
    rec.code = (mp__i32)code;
    rec.pid = (mp__u64)pid;
    if (h >= 0) (void)mp__os_send(h, &rec, sizeof rec, NULL, 0);
}
static int mp__os_fs_wake_w = -1;
static void mp__os_fs_sigchld(int sig) {
    int e = errno;
    char c = 0;
    (void)sig;
    if (write(mp__os_fs_wake_w, &c, 1) < 0) {} /* full: a wake-up is pending anyway */
    errno = e;
}
/* Receives one message of a request into fds[*got...]: 1 when the request is whole, 0 when
   more is to come, -1 when the program is gone (or broke the protocol). */
MP__FN int mp__os_fs_take(int sock, mp__fs_msg *m, long long **fds, int *want, int *got) {
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * MP__FS_CHUNK)];
    } u;
    struct msghdr mh;
    struct iovec iov;
    struct cmsghdr *cm;
    ssize_t k;
    int flags = 0, bad = 0, here = 0;
#ifdef MSG_CMSG_CLOEXEC
    flags = MSG_CMSG_CLOEXEC;
#endif
    memset(&mh, 0, sizeof mh);
    iov.iov_base = m;
    iov.iov_len = sizeof *m;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    do k = recvmsg(sock, &mh, flags);
    while (k < 0 && errno == EINTR);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (k != (ssize_t)sizeof *m || m->magic != MP__FS_MAGIC || m->nfds < 1 || m->nfds > 1048576 ||
        m->nhere > MP__FS_CHUNK || (*want && m->nfds != (mp__u64)*want) ||
        (mh.msg_flags & MSG_CTRUNC))
        bad = 1;
    if (!bad && !*want) {
        *fds = (long long *)MP_MALLOC((size_t)m->nfds * sizeof **fds);
        if (!*fds) bad = 1;
        *want = (int)m->nfds;
    }
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        int *v = (int *)(void *)CMSG_DATA(cm), j, nv;
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        nv = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (j = 0; j < nv; j++) {
            int fd;
            memcpy(&fd, v + j, sizeof fd);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            if (bad || *got >= *want)
                close(fd), bad = 1;
            else
                (*fds)[(*got)++] = fd, here++;
        }
    }
    if (bad || (mp__u64)here != m->nhere) {
        while (*got) close((int)(*fds)[--(*got)]);
        return -1;
    }
    return *got == *want;
}
/* The server's loop. It forks a child for each request and returns 0 in that child, with the
   job; the server itself reaps its children and writes how each ended on its status channel.
   It returns MP_EOF once the program that owns it is gone (EOF on the request channel):
   then it has killed and reaped the children it still had, so none is left an orphan. */
MP__FN int mp__os_fs_serve(long long sock, mp__fs_job *job) {
    struct sigaction sa;
    int wake[2], n = 0, cap = 0, want = 0, got = 0, i, st;
    long *pids = NULL;
    int *sts = NULL;
    long long *fds = NULL;
    mp__fs_msg m;
    if (pipe(wake) != 0) return MP_ESYS;
    for (i = 0; i < 2; i++) {
        fcntl(wake[i], F_SETFD, FD_CLOEXEC);
        fcntl(wake[i], F_SETFL, O_NONBLOCK);
    }
    mp__os_fs_wake_w = wake[1];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = mp__os_fs_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C is for the program, which then ends us by closing */
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        struct pollfd pf[2];
        pid_t pid;
        int r;
        pf[0].fd = (int)sock;
        pf[1].fd = wake[0];
        pf[0].events = pf[1].events = POLLIN;
        pf[0].revents = pf[1].revents = 0;
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pf[1].revents) {
            char buf[64];
            while (read(wake[0], buf, sizeof buf) > 0) {}
            while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
                for (i = 0; i < n && pids[i] != (long)pid; i++) {}
                if (i == n) continue;
                mp__os_fs_note(sts[i], MP__FS_EXITED,
                               WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st), (long)pid);
                close(sts[i]);
                pids[i] = pids[n - 1];
                sts[i] = sts[--n];
            }
        }
        if (!pf[0].revents) continue;
        r = mp__os_fs_take((int)sock, &m, &fds, &want, &got);
        if (r < 0) break;
        if (r == 0) continue;
        if (n == cap) { /* room first: a child is never forked that we could not track */
            int c2 = cap ? cap * 2 : 16;
            long *p2 = (long *)MP_REALLOC(pids, (size_t)c2 * sizeof *pids);
            int *s2 = p2 ? (int *)MP_REALLOC(sts, (size_t)c2 * sizeof *sts) : NULL;
            if (p2) pids = p2;
            if (s2) sts = s2, cap = c2;
        }
        pid = n < cap ? fork() : -1;
        if (pid == 0) {
            close((int)sock);
            close(wake[0]);
            close(wake[1]);
            for (i = 0; i < n; i++) close(sts[i]);
            MP_FREE(pids);
            MP_FREE(sts);
            signal(SIGCHLD, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            signal(SIGPIPE, SIG_DFL);
            if (mp__os_sentinel_w >= 0) close(mp__os_sentinel_w); /* the server's, not ours */
            mp__os_sentinel_w = -1;
            job->boot_off = m.boot_off;
            job->status = fds[0];
            job->fds = fds + 1;
            job->nfds = want - 1;
            return MP_OK;
        }
        for (i = 1; i < want; i++) close((int)fds[i]);
        if (pid < 0) {
            mp__os_fs_note(fds[0], MP__FS_FAILED, n < cap ? MP_ESYS : MP_ENOMEM, 0);
            close((int)fds[0]);
        } else {
            pids[n] = (long)pid;
            sts[n++] = (int)fds[0];
        }
        MP_FREE(fds);
        fds = NULL;
        want = got = 0;
    }
    for (i = 0; i < n; i++) kill((pid_t)pids[i], SIGKILL);
    for (i = 0; i < n; i++) {
        while (waitpid((pid_t)pids[i], &st, 0) < 0 && errno == EINTR) {}
        close(sts[i]);
    }
    MP_FREE(pids);
    MP_FREE(sts);
    MP_FREE(fds);
    return MP_EOF;
}

/* A handle that becomes ready when a process that is not our child ends (-1: none here). */
MP__FN long long mp__os_proc_open(long pid) {
    return mp__os_pidfd_open(pid);
}
/* How many threads this process has, or MP_ENOSYS where the system does not say. Linux
   counts them in the link count of /proc/self/task (one stat); elsewhere the entries of a
   /proc task directory are counted where there is one. */
MP__FN int mp__os_thread_count(void) {
    DIR *d;
    int n = 0;
#if defined(__linux__) && !defined(MP_PORTABLE)
    struct stat st;
    if (stat("/proc/self/task", &st) == 0 && st.st_nlink > 2) return (int)st.st_nlink - 2;
#endif
    d = opendir("/proc/self/task");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.') n++;
        closedir(d);
    }
    return n > 0 ? n : MP_ENOSYS;
}

#if MP__DL_ITERATE
struct mp__dl_query {
    uintptr_t addr; /* locate: address to find; resolve: unused */
    const char *name;
    int index, found;
    uintptr_t base;
    char found_name[4096];
};
static int mp__dl_cb(struct dl_phdr_info *info, size_t size, void *data) {
    struct mp__dl_query *q = (struct mp__dl_query *)data;
    int i, me = q->index++;
    (void)size;
    if (q->name) { /* resolve: index 0 is the executable, the rest go by name */
        if ((q->name[0] == 0 && me == 0) ||
            (q->name[0] && info->dlpi_name && strcmp(q->name, info->dlpi_name) == 0)) {
            q->base = (uintptr_t)info->dlpi_addr;
            q->found = 1;
            return 1;
        }
        return 0;
    }
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = (uintptr_t)info->dlpi_addr + (uintptr_t)ph->p_vaddr;
        if (ph->p_type == PT_LOAD && q->addr >= lo && q->addr < lo + ph->p_memsz) {
            q->base = (uintptr_t)info->dlpi_addr;
            q->found = 1;
            q->found_name[0] = 0;
            if (me != 0 && info->dlpi_name && strlen(info->dlpi_name) < sizeof q->found_name)
                strcpy(q->found_name, info->dlpi_name);
            return 1;
        }
    }
    return 0;
}
#endif
/* A function is named by its module (empty: the executable) and its offset in it. */
MP__FN int mp__os_module_locate(void *fn, char *module, size_t cap, mp__u64 *offset) {
#if MP__DL_ITERATE
    struct mp__dl_query q;
    memset(&q, 0, sizeof q);
    q.addr = (uintptr_t)fn;
    dl_iterate_phdr(mp__dl_cb, &q);
    if (q.found && strlen(q.found_name) < cap) {
        strcpy(module, q.found_name);
        *offset = (mp__u64)(q.addr - q.base);
        return MP_OK;
    }
#endif
    if (cap == 0) return MP_EINVAL;
    module[0] = 0;
    *offset = (mp__u64)((uintptr_t)fn - (uintptr_t)mp__fn_addr(mp__anchor));
    return MP_OK;
}
MP__FN void *mp__os_module_resolve(const char *module, mp__u64 offset) {
#if MP__DL_ITERATE
    struct mp__dl_query q;
    memset(&q, 0, sizeof q);
    q.name = module;
    dl_iterate_phdr(mp__dl_cb, &q);
    return q.found ? (void *)(q.base + (uintptr_t)offset) : NULL;
#else
    if (module[0]) return NULL;
    return (void *)((uintptr_t)mp__fn_addr(mp__anchor) + (uintptr_t)offset);
#endif
}

#else /* >>windows ------------------------------------------------------------------------ */

static SRWLOCK mp__os_srw = SRWLOCK_INIT;
static HANDLE mp__os_section;
static mp__u64 mp__os_arena_id;
static wchar_t *mp__os_exe;

MP__FN long mp__os_getpid(void) {
    return (long)GetCurrentProcessId();
}
static HANDLE mp__os_intr_ev;
MP__FN void mp__os_init(void) {
    mp__os_intr_ev = CreateEventW(NULL, TRUE, FALSE, NULL); /* mp_interrupt's */
}
MP__FN void mp__os_at_exit(void) {} /* nothing allocated: the waits keep handles only */
/* Pool workers: a crashing worker must die, not wait in an error dialog; and a thread ends
   the worker when the pool's process ends, busy or idle (the parent waits for a spawned
   child's boot, so its pid still names it here). */
static HANDLE mp__os_watch_h;
static DWORD WINAPI mp__os_watch(LPVOID arg) {
    (void)arg;
    WaitForSingleObject(mp__os_watch_h, INFINITE);
    TerminateProcess(GetCurrentProcess(), 0);
    return 0;
}
MP__FN void mp__os_worker_init(long parent) {
    HANDLE t;
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    mp__os_watch_h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)parent);
    if (!mp__os_watch_h) return; /* the idle worker still checks every half second */
    t = CreateThread(NULL, 64 << 10, mp__os_watch, NULL, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (t) CloseHandle(t);
}
MP__FN mp__u64 mp__os_tid(void) {
    return (mp__u64)GetCurrentThreadId();
}
#define MP__OS_FORKS        0
/* The process that created this one, as the system records it. */
MP__FN long mp__os_real_parent(void) {
    DWORD me = GetCurrentProcessId(), parent = 0;
    PROCESSENTRY32W pe;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) return 0;
    pe.dwSize = sizeof pe;
    if (Process32FirstW(snap, &pe)) {
        do {
            if (pe.th32ProcessID == me) {
                parent = pe.th32ParentProcessID;
                break;
            }
        } while (Process32NextW(snap, &pe));
    }
    CloseHandle(snap);
    return (long)parent;
}
/* A spawned child knows its parent from its boot block; the first process asks the system. */
MP__FN long mp__os_getppid(void) {
    return mp__g.ppid ? mp__g.ppid : mp__os_real_parent();
}
MP__FN void mp__os_lock(void) {
    AcquireSRWLockExclusive(&mp__os_srw);
}
MP__FN void mp__os_unlock(void) {
    ReleaseSRWLockExclusive(&mp__os_srw);
}
MP__FN double mp__os_now(void) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}
MP__FN DWORD mp__os_ms(double timeout) {
    double ms = timeout * 1000.0 + 0.999;
    return ms >= 4294967294.0 ? INFINITE : (DWORD)ms;
}
MP__FN void mp__os_sleep(double s) {
    if (s > 0) Sleep(mp__os_ms(s));
}
MP__FN double mp__os_wall(void) {
    FILETIME ft; /* 100 ns units since 1601 */
    GetSystemTimeAsFileTime(&ft);
    return (double)(((mp__u64)ft.dwHighDateTime << 32 | ft.dwLowDateTime) - 116444736000000000ull) *
           1e-7;
}
MP__FN void mp__os_yield(void) {
    SwitchToThread();
}
MP__FN int mp__os_cpu_count(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
}
MP__FN int mp__os_pid_alive(long pid) {
    HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
    DWORD r;
    if (!h) return GetLastError() == ERROR_INVALID_PARAMETER ? 0 : 1;
    r = WaitForSingleObject(h, 0);
    CloseHandle(h);
    return r != WAIT_OBJECT_0;
}
MP__FN int mp__os_parent_alive(long parent) {
    return mp__os_pid_alive(parent);
}

/* Random bytes from the system (RtlGenRandom, advapi32): 128 of them name a pipe, others
   tie a boot block to its token. Should it fail, a mix of counters and clocks stands in. */
MP__FN void mp__os_random(void *buf, size_t n) {
    static volatile mp__u32 seq;
    unsigned char *p = (unsigned char *)buf;
    size_t got = 0;
    if (n <= 0xffffffffu && RtlGenRandom(buf, (ULONG)n)) return;
    while (got < n) {
        LARGE_INTEGER c;
        mp__u64 v;
        size_t k;
        QueryPerformanceCounter(&c);
        v = (mp__u64)c.QuadPart ^ ((mp__u64)GetCurrentProcessId() << 32) ^
            ((mp__u64)mp__fetch_add(&seq, 1) * 0x9e3779b97f4a7c15ull) ^ (mp__u64)(uintptr_t)&c;
        k = n - got < sizeof v ? n - got : sizeof v;
        memcpy(p + got, &v, k);
        got += k;
    }
}

/* >>windows wait: a futex for Windows. WaitOnAddress does not cross processes, so a waiting
   thread sleeps on its own unnamed auto-reset event and registers in a wait table kept just
   past the end of the arena (the same section, at the same address in every process). A
   waker that changed the word scans the slots of the word's bucket and moves exactly the
   waiters it wakes from WAITING to WOKEN, then sets their events (duplicated out of the
   waiter's process, and cached): a wakeup cannot be lost (a waiter rechecks the word after
   it is WAITING, a waker scans after its store, both sequentially consistent) nor stolen (a
   waker signals only the waiters it moved). No locks: every change of a slot is one CAS, so a
   process killed anywhere leaves at most slots whose owner is dead; a waker finds such an
   owner when it signals, and a waiter that finds the table full collects them. A waker
   killed between its CAS and its signal leaves a waiter WOKEN and asleep: the waiter finds
   that at its next look (MP__WIN_RECHECK), the one wait a kill can make late. Shared memory
   is input: indices are computed here, spans are clamped, handles from a slot are used only
   through DuplicateHandle out of the process the slot names. */
#define MP__WIN_SLOTS       1024u /* threads of a family that sleep at once (more: 1 ms naps) */
/* How often a sleeper looks at its slot (measured: pool workers killed at random while they
   woke each other left a sleeper WOKEN and asleep for good, under Wine). */
#define MP__WIN_RECHECK     1.0
#define MP__WIN_BUCKETS     64u
#define MP__WIN_SPAN        (MP__WIN_SLOTS / MP__WIN_BUCKETS)
enum { MP__WS_FREE, MP__WS_CLAIMED, MP__WS_WAITING, MP__WS_WOKEN };
typedef struct mp__win_slot {
    volatile mp__u32 state;
    volatile mp__u32 pid;
    volatile mp__u32 word;      /* the word's offset in the arena / 4 */
    volatile mp__u32 evid;      /* which event of that process (its events are numbered) */
    volatile mp__u32 handle[2]; /* the event's handle value in that process */
    volatile mp__u32 spare[2];
} mp__win_slot;
typedef struct mp__win_table {
    volatile mp__u32 span[MP__WIN_BUCKETS]; /* slots a waker scans from the bucket's first */
    mp__win_slot slot[MP__WIN_SLOTS];
} mp__win_table;
#define MP__WIN_TABLE_BYTES ((sizeof(mp__win_table) + 65535) & ~(size_t)65535)

/* This thread's event, closed when the thread ends (a fiber-local slot's callback). */
static volatile mp__u32 mp__os_fls_state; /* 0, 1: being made, 2: made, 3: failed */
static DWORD mp__os_fls;
static volatile mp__u32 mp__os_evids;
typedef struct mp__win_ev {
    HANDLE h;
    mp__u32 id;
    HANDLE io; /* a manual-reset event for this thread's overlapped pipe I/O */
    HANDLE poll[MAXIMUM_WAIT_OBJECTS]; /* mp__os_poll's, one per handle, made as needed */
    HANDLE own[8];                     /* mp__os_wait_owner's: processes waited for, */
    mp__u32 own_pid[8], own_next;      /* by pid (held open: the pid names no other) */
} mp__win_ev;
static void WINAPI mp__os_ev_free(PVOID p) {
    mp__win_ev *e = (mp__win_ev *)p;
    int i;
    if (!e) return;
    CloseHandle(e->h);
    if (e->io) CloseHandle(e->io);
    for (i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
        if (e->poll[i]) CloseHandle(e->poll[i]);
    for (i = 0; i < 8; i++)
        if (e->own[i]) CloseHandle(e->own[i]);
    HeapFree(GetProcessHeap(), 0, e);
}
MP__FN mp__win_ev *mp__os_ev(void) {
    mp__win_ev *e;
    if (mp__os_fls_state != 2) {
        if (mp__cas(&mp__os_fls_state, 0, 1)) {
            mp__os_fls = FlsAlloc(mp__os_ev_free);
            mp__store(&mp__os_fls_state, mp__os_fls == FLS_OUT_OF_INDEXES ? 3 : 2);
        }
        while (mp__load(&mp__os_fls_state) == 1) Sleep(0);
        if (mp__os_fls_state != 2) return NULL;
    }
    e = (mp__win_ev *)FlsGetValue(mp__os_fls);
    if (e) return e;
    e = (mp__win_ev *)HeapAlloc(GetProcessHeap(), 0, sizeof *e);
    if (!e) return NULL;
    e->h = CreateEventW(NULL, FALSE, FALSE, NULL);
    e->id = mp__fetch_add(&mp__os_evids, 1);
    e->io = NULL;
    memset(e->poll, 0, sizeof e->poll);
    memset(e->own, 0, sizeof e->own);
    memset(e->own_pid, 0, sizeof e->own_pid);
    e->own_next = 0;
    if (!e->h || !FlsSetValue(mp__os_fls, e)) {
        if (e->h) CloseHandle(e->h);
        HeapFree(GetProcessHeap(), 0, e);
        return NULL;
    }
    return e;
}

/* A waker's cache: (pid, handle, event id) -> the event duplicated here, and the process
   (which, held open, keeps the pid from being reused while the entry lives). */
#define MP__WIN_CACHE       64u
static struct mp__win_peer {
    mp__u32 pid, evid;
    mp__u64 handle;
    HANDLE ev, proc;
} mp__os_peers[MP__WIN_CACHE];
static SRWLOCK mp__os_peer_srw = SRWLOCK_INIT;

MP__FN mp__win_table *mp__os_table(void) {
    return mp__g.arena ? (mp__win_table *)(void *)(mp__g.arena + mp__g.arena_size) : NULL;
}
/* Sets the event of the waiter in slot s (already moved to WOKEN). 1: delivered; 0: its
   process is gone (check_alive: looked at, for a wake that must not be spent on the dead). */
MP__FN int mp__os_signal(mp__win_slot *s, int check_alive) {
    mp__u32 pid = mp__load(&s->pid), evid = mp__load(&s->evid);
    mp__u64 hv = (mp__u64)mp__load(&s->handle[0]) | (mp__u64)mp__load(&s->handle[1]) << 32;
    struct mp__win_peer *p;
    int ok = 1;
    if (pid == GetCurrentProcessId()) { /* a thread of ours: its handle is valid here */
        SetEvent((HANDLE)(uintptr_t)hv);
        return 1;
    }
    AcquireSRWLockExclusive(&mp__os_peer_srw);
    p = &mp__os_peers[((pid * 0x9e3779b1u) ^ evid ^ (mp__u32)(hv >> 2)) % MP__WIN_CACHE];
    if (!p->ev || p->pid != pid || p->evid != evid || p->handle != hv) {
        HANDLE proc, ev = NULL;
        if (p->ev) CloseHandle(p->ev);
        if (p->proc) CloseHandle(p->proc);
        p->ev = p->proc = NULL;
        proc = OpenProcess(PROCESS_DUP_HANDLE | SYNCHRONIZE, FALSE, pid);
        if (proc && !DuplicateHandle(proc, (HANDLE)(uintptr_t)hv, GetCurrentProcess(), &ev,
                                     EVENT_MODIFY_STATE, FALSE, 0))
            ev = NULL;
        if (!ev) {
            if (proc) CloseHandle(proc);
            ReleaseSRWLockExclusive(&mp__os_peer_srw);
            return 0;
        }
        p->pid = pid;
        p->evid = evid;
        p->handle = hv;
        p->ev = ev;
        p->proc = proc;
        check_alive = 0; /* it had the handle a moment ago */
    }
    SetEvent(p->ev);
    if (check_alive && WaitForSingleObject(p->proc, 0) == WAIT_OBJECT_0) ok = 0;
    ReleaseSRWLockExclusive(&mp__os_peer_srw);
    return ok;
}
/* The table is full: free the slots of processes that are gone (rare: only killed waiters
   leave slots behind). */
MP__FN void mp__os_collect(mp__win_table *t) {
    mp__u32 i, me = GetCurrentProcessId();
    for (i = 0; i < MP__WIN_SLOTS; i++) {
        mp__win_slot *s = &t->slot[i];
        mp__u32 st = mp__load(&s->state), pid = mp__load(&s->pid);
        if (st != MP__WS_FREE && pid != me && !mp__os_pid_alive((long)pid))
            mp__cas(&s->state, st, MP__WS_FREE);
    }
}
MP__FN mp__u32 mp__os_bucket(mp__u32 word) {
    return ((word * 0x9e3779b1u) >> 26) % MP__WIN_BUCKETS;
}
/* also: up to 3 more handles the wait sleeps on (mp_interrupt's event, processes whose end
   ends it); the signal of also[k] ends the wait with 1 + k. */
MP__FN int mp__os_wait_handles(volatile mp__u32 *addr, mp__u32 expect, double timeout,
                               const HANDLE *also, DWORD nalso) {
    mp__win_table *t = mp__os_table();
    size_t off = (size_t)((char *)addr - mp__g.arena);
    mp__win_ev *e = mp__os_ev();
    mp__win_slot *s = NULL;
    mp__u32 word, b, i, k, me = GetCurrentProcessId();
    double deadline;
    HANDLE hs[4];
    if (mp__load(addr) != expect) return MP_OK;
    if (timeout <= 0) return MP_ETIMEDOUT;
    if (timeout > 1e9) timeout = 1e9;
    deadline = mp__os_now() + timeout;
    if (!t || !e || (char *)addr < mp__g.arena || off >= mp__g.arena_size || (off & 3) ||
        off / 4 > 0xffffffffu) {
        Sleep(1); /* not a word of the arena, or no event: a nap, then the caller looks */
        return MP_OK;
    }
    word = (mp__u32)(off / 4);
    b = mp__os_bucket(word);
    for (k = 0; k < 2 && !s; k++) {
        for (i = 0; i < MP__WIN_SLOTS; i++) {
            mp__win_slot *c = &t->slot[(b * MP__WIN_SPAN + i) % MP__WIN_SLOTS];
            if (mp__load(&c->state) == MP__WS_FREE &&
                mp__cas(&c->state, MP__WS_FREE, MP__WS_CLAIMED)) {
                mp__u32 span;
                while ((span = mp__load(&t->span[b])) < i + 1 && !mp__cas(&t->span[b], span, i + 1))
                    ;
                s = c;
                break;
            }
        }
        if (!s && k == 0) mp__os_collect(t);
    }
    if (!s) {
        Sleep(1); /* more sleepers than slots: a nap, then the caller looks */
        return MP_OK;
    }
    mp__store(&s->pid, me);
    mp__store(&s->word, word);
    mp__store(&s->evid, e->id);
    mp__store(&s->handle[0], (mp__u32)(uintptr_t)e->h);
    mp__store(&s->handle[1], (mp__u32)((mp__u64)(uintptr_t)e->h >> 32));
    mp__store(&s->state, MP__WS_WAITING);
    if (nalso > 3) nalso = 3;
    hs[0] = e->h;
    for (i = 0; i < nalso; i++) hs[1 + i] = also[i];
    for (;;) {
        double left;
        DWORD r;
        if (mp__load(addr) != expect) break;
        left = deadline - mp__os_now();
        if (left <= 0) break;
        r = WaitForMultipleObjects(1 + nalso, hs, FALSE,
                                   mp__os_ms(left < MP__WIN_RECHECK ? left : MP__WIN_RECHECK));
        if (mp__load(&s->state) == MP__WS_WOKEN) { /* ours, whatever r says */
            mp__store(&s->state, MP__WS_FREE);
            return MP_OK;
        }
        if (r >= WAIT_OBJECT_0 + 1 && r <= WAIT_OBJECT_0 + nalso) {
            if (mp__cas(&s->state, MP__WS_WAITING, MP__WS_FREE)) return (int)(r - WAIT_OBJECT_0);
            continue; /* woken meanwhile */
        }
        if (r == WAIT_FAILED) Sleep(1);
        /* WAIT_OBJECT_0 with the slot still WAITING: a late signal of an earlier wait */
    }
    /* The word changed or the time is up: leave, unless a waker chose us meanwhile. */
    if (mp__cas(&s->state, MP__WS_WAITING, MP__WS_FREE))
        return mp__load(addr) != expect ? MP_OK : MP_ETIMEDOUT;
    mp__store(&s->state, MP__WS_FREE); /* woken: its signal comes as a late one, skipped */
    return MP_OK;
}
MP__FN int mp__os_wait(volatile mp__u32 *addr, mp__u32 expect, double timeout) {
    return mp__os_wait_handles(addr, expect, timeout, NULL, 0);
}
MP__FN void mp__os_wake(volatile mp__u32 *addr, mp__u32 n) {
    mp__win_table *t = mp__os_table();
    size_t off = (size_t)((char *)addr - mp__g.arena);
    mp__u32 word, b, i, span, done = 0, many = 0;
    if (!t || (char *)addr < mp__g.arena || off >= mp__g.arena_size || (off & 3) || !n) return;
    word = (mp__u32)(off / 4);
    b = mp__os_bucket(word);
    span = mp__load(&t->span[b]);
    if (span > MP__WIN_SLOTS) span = MP__WIN_SLOTS;
    /* More waiters than wakes: each chosen one is looked at, so that no wake is spent on a
       waiter that was killed (that costs a call; a ping-pong has one waiter and skips it). */
    for (i = 0; i < span && many <= n; i++) {
        mp__win_slot *s = &t->slot[(b * MP__WIN_SPAN + i) % MP__WIN_SLOTS];
        many += mp__load(&s->state) == MP__WS_WAITING && mp__load(&s->word) == word;
    }
    for (i = 0; i < span && done < n; i++) {
        mp__win_slot *s = &t->slot[(b * MP__WIN_SPAN + i) % MP__WIN_SLOTS];
        if (mp__load(&s->state) != MP__WS_WAITING || mp__load(&s->word) != word) continue;
        if (!mp__cas(&s->state, MP__WS_WAITING, MP__WS_WOKEN)) continue;
        if (mp__os_signal(s, many > n))
            done++;
        else
            mp__cas(&s->state, MP__WS_WOKEN, MP__WS_FREE); /* its process is gone */
    }
}

/* mp_interrupt: a flag, and a manual-reset event that the handle waits and the
   interruptible word waits also sleep on. */
static volatile mp__u32 mp__os_intr;
/* The interrupt event: set by mp_interrupt until mp_interrupt_clear (NULL if none). */
MP__FN HANDLE mp__os_intr_event(void) {
    return mp__os_intr_ev;
}
MP__FN int mp__os_interrupted(void) {
    return mp__load(&mp__os_intr) != 0;
}
MP__FN void mp__os_interrupt(void) {
    mp__store(&mp__os_intr, 1);
    if (mp__os_intr_ev) SetEvent(mp__os_intr_ev);
}
MP__FN void mp__os_interrupt_clear(void) {
    mp__store(&mp__os_intr, 0);
    if (mp__os_intr_ev) ResetEvent(mp__os_intr_ev);
}
MP__FN void mp__os_interrupt_forked(void) {}
MP__FN int mp__os_wait_intr(volatile mp__u32 *addr, mp__u32 expect, double timeout) {
    int r;
    if (mp__os_interrupted()) return MP_EINTERRUPTED;
    r = mp__os_wait_handles(addr, expect, timeout, &mp__os_intr_ev, mp__os_intr_ev ? 1 : 0);
    return mp__os_interrupted() || r > 0 ? MP_EINTERRUPTED : r;
}
/* A handle of process pid that is signalled when it ends, from this thread's cache (held
   open, so that the pid names no other process while it is there); NULL if there is none
   to wait on: *dead says whether the process has ended. A pid used again before it was
   opened is not seen (as with the liveness check): comparing the creation time with the
   time of the read was tried, but under Wine the two clocks differ by up to a tick (16 ms),
   which made a process just started look like a reused pid, and its lock was taken. */
MP__FN HANDLE mp__os_owner_handle(mp__win_ev *e, mp__u32 pid, int *dead) {
    HANDLE h;
    mp__u32 i;
    for (i = 0; i < 8; i++)
        if (e->own[i] && e->own_pid[i] == pid) return e->own[i];
    h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
    if (!h) {
        *dead = GetLastError() == ERROR_INVALID_PARAMETER; /* no such process */
        return NULL;
    }
    i = e->own_next++ % 8;
    if (e->own[i]) CloseHandle(e->own[i]);
    e->own[i] = h;
    e->own_pid[i] = pid;
    return h;
}
/* Windows: one WaitForMultipleObjects on the thread's event, the processes' handles and
   mp_interrupt's event, so a death wakes the waiter at once and nothing polls. slice is used
   only for a process that cannot be opened (another user's: access denied), looked at when a
   slice passes. */
MP__FN int mp__os_wait_owner(volatile mp__u32 *addr, mp__u32 expect, double timeout, double slice,
                             const mp__u32 owner[2], int intr, mp__u32 kick) {
    mp__win_ev *e = mp__os_ev();
    HANDLE hs[3];
    mp__u32 blind[2], me = GetCurrentProcessId(), i, k;
    DWORD n = 0;
    int r, nblind = 0;
    (void)kick; /* the interrupt's event ends the wait */
    if (intr && mp__os_interrupted()) return MP_EINTERRUPTED;
    if (mp__load(addr) != expect) return MP_OK;
    if (intr && mp__os_intr_ev) hs[n++] = mp__os_intr_ev;
    for (i = 0; i < 2; i++) {
        HANDLE h = NULL;
        int dead = 0;
        if (!owner[i] || owner[i] == me || (i == 1 && owner[1] == owner[0])) continue;
        if (e) h = mp__os_owner_handle(e, owner[i], &dead);
        if (dead) return MP_EOWNERDEAD;
        if (h)
            hs[n++] = h;
        else
            blind[nblind++] = owner[i];
    }
    r = mp__os_wait_handles(addr, expect, nblind && timeout > slice ? slice : timeout, hs, n);
    if (r > 0) {
        HANDLE h = hs[r - 1];
        if (h == mp__os_intr_ev && intr) return MP_EINTERRUPTED;
        for (k = 0; k < 8; k++) /* it has ended: let its pid go */
            if (e && e->own[k] == h) {
                CloseHandle(h);
                e->own[k] = NULL;
            }
        return MP_EOWNERDEAD;
    }
    if (intr && mp__os_interrupted()) return MP_EINTERRUPTED;
    if (r == MP_ETIMEDOUT)
        for (i = 0; i < (mp__u32)nblind; i++)
            if (!mp__os_pid_alive((long)blind[i])) return MP_EOWNERDEAD;
    return r;
}
/* No robust list: the liveness check finds a dead owner. */
MP__FN void mp__os_robust_link(volatile mp__u32 *word) {
    (void)word;
}
MP__FN int mp__os_robust_covers(void) {
    return 0;
}
MP__FN void mp__os_robust_unlink(volatile mp__u32 *word) {
    (void)word;
}
MP__FN void mp__os_robust_pending(volatile mp__u32 *word) {
    (void)word;
}
#define MP__RL_ROOM         (8 + 4 * sizeof(void *))

MP__FN void *mp__os_arena_hint(void) {
#ifdef _WIN64
    return (void *)(uintptr_t)0x200000000000ull;
#else
    return NULL;
#endif
}
/* The section: the arena, then the wait table (>>windows wait). */
MP__FN size_t mp__os_map_size(size_t arena) {
    return arena + MP__WIN_TABLE_BYTES;
}
MP__FN int mp__os_arena_create(size_t size, char **base) {
    size_t all = mp__os_map_size(size);
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                  (DWORD)((mp__u64)all >> 32), (DWORD)all, NULL);
    void *p;
    if (!h) return MP_ENOMEM;
    p = MapViewOfFileEx(h, FILE_MAP_ALL_ACCESS, 0, 0, all, mp__os_arena_hint());
    if (!p) p = MapViewOfFileEx(h, FILE_MAP_ALL_ACCESS, 0, 0, all, NULL);
    if (!p) {
        CloseHandle(h);
        return MP_ENOMEM;
    }
    mp__os_section = h;
    mp__os_random(&mp__os_arena_id, sizeof mp__os_arena_id); /* names nothing: the token's */
    *base = (char *)p;
    return MP_OK;
}

/* The token follows this marker on a spawned child's command line:
   parent pid : section handle : arena address : arena size : boot offset : arena id :
   nonce : nonce. Windows boots from the command line, not the environment; the child
   checks that the pid is its real parent's (the one that created it), duplicates the
   section out of that parent (which needs PROCESS_DUP_HANDLE on it), refuses to boot when
   it runs at a higher integrity level than that parent (an elevated program started with a
   forged command line), and the boot block must carry the nonce. */
static const wchar_t mp__os_marker[] = L" --mp-spawn-token=";
static char mp__os_token[256];
/* GetEnvironmentVariableA, not getenv (C4996 under /sdl); a value too long for buf is
   reported as one that names nothing. */
MP__FN const char *mp__os_getenv(const char *name, char *buf, size_t cap) {
    DWORD n = GetEnvironmentVariableA(name, buf, (DWORD)cap);
    if (n == 0) return NULL;
    return n < cap ? buf : "(too long)";
}
MP__FN const char *mp__os_child_token(void) {
    const wchar_t *cmd = GetCommandLineW(), *m = wcsstr(cmd, mp__os_marker);
    size_t i;
    if (!m) return NULL;
    m += (sizeof mp__os_marker / sizeof(wchar_t)) - 1;
    for (i = 0; i + 1 < sizeof mp__os_token && m[i] > ' ' && m[i] < 127; i++)
        mp__os_token[i] = (char)m[i];
    mp__os_token[i] = 0;
    return mp__os_token;
}
MP__FN DWORD mp__os_integrity(HANDLE process) { /* 0 when unknown */
    union {
        TOKEN_MANDATORY_LABEL label;
        unsigned char bytes[128];
    } u;
    HANDLE tok;
    DWORD len = 0, rid = 0;
    if (!OpenProcessToken(process, TOKEN_QUERY, &tok)) return 0;
    if (GetTokenInformation(tok, TokenIntegrityLevel, &u, sizeof u, &len) && u.label.Label.Sid &&
        *GetSidSubAuthorityCount(u.label.Label.Sid) > 0)
        rid = *GetSidSubAuthority(u.label.Label.Sid,
                                  (DWORD)*GetSidSubAuthorityCount(u.label.Label.Sid) - 1);
    CloseHandle(tok);
    return rid;
}
MP__FN int mp__os_arena_attach(const char *token, size_t *boot_off, mp__u64 nonce[2]) {
    mp__u64 f[8];
    HANDLE parent, h = NULL;
    void *want, *p;
    DWORD mine, theirs;
    if (mp__parse_hex(token, f, 8) != 0) return MP__EXIT_BOOT;
    if ((long)f[0] != mp__os_getppid()) { /* the creator (mp__g.ppid is not set from us yet) */
        fprintf(stderr, "mp.h: a spawn token that is not from this process's parent: not "
                        "booting\n");
        return MP__EXIT_BOOT;
    }
    parent =
        OpenProcess(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)f[0]);
    if (!parent) return MP__EXIT_BOOT;
    mine = mp__os_integrity(GetCurrentProcess());
    theirs = mp__os_integrity(parent);
    if (mine && theirs && mine > theirs) {
        CloseHandle(parent);
        fprintf(stderr, "mp.h: a spawn token in an elevated program started by a lower one: "
                        "not booting a spawned child\n");
        return MP__EXIT_BOOT;
    }
    if (!DuplicateHandle(parent, (HANDLE)(uintptr_t)f[1], GetCurrentProcess(), &h, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        h = NULL;
    CloseHandle(parent);
    if (!h) return MP__EXIT_BOOT;
    if (f[4] >= f[3] || f[3] > (mp__u64)(SIZE_MAX - MP__WIN_TABLE_BYTES)) {
        CloseHandle(h);
        return MP__EXIT_BOOT;
    }
    want = (void *)(uintptr_t)f[2];
    VirtualFree(want, 0, MEM_RELEASE); /* the parent's reservation, made while we slept */
    p = MapViewOfFileEx(h, FILE_MAP_ALL_ACCESS, 0, 0, mp__os_map_size((size_t)f[3]), want);
    if (p != want) {
        if (p) UnmapViewOfFile(p);
        CloseHandle(h);
        return MP__EXIT_ADDR;
    }
    mp__os_section = h;
    mp__os_arena_id = f[5];
    mp__g.arena = (char *)p;
    mp__g.arena_size = (size_t)f[3];
    *boot_off = (size_t)f[4];
    nonce[0] = f[6];
    nonce[1] = f[7];
    return 0;
}

MP__FN int mp__os_fork(long *pid, long long *handle) {
    (void)pid;
    (void)handle;
    return MP_ENOSYS;
}

MP__FN void mp__os_exe_reset(void) {
    MP_FREE(mp__os_exe);
    mp__os_exe = NULL;
}
MP__FN const wchar_t *mp__os_exe_path(void) {
    if (!mp__os_exe) {
        DWORD cap = 32768;
        wchar_t *buf = (wchar_t *)MP_MALLOC(cap * sizeof(wchar_t));
        if (!buf) return NULL;
        if (mp__g.executable) {
            if (!MultiByteToWideChar(CP_UTF8, 0, mp__g.executable, -1, buf, (int)cap)) {
                MP_FREE(buf);
                return NULL;
            }
        } else if (GetModuleFileNameW(NULL, buf, cap) - 1 >= cap - 1) {
            MP_FREE(buf);
            return NULL;
        }
        mp__os_exe = buf;
    }
    return mp__os_exe;
}

/* TCP on Windows (>>connection): Winsock2, loaded when the first TCP listener or client is
   made (LoadLibrary("ws2_32.dll")), so that a program links with nothing more (no -lws2_32,
   no #pragma comment) and pays nothing without TCP. Its own declarations carry mp__ names,
   so that <winsock.h> or <winsock2.h>, included by the program before or after mp.h, never
   clashes. The sockets made here are listed, so that the connection primitives (send,
   receive, poll, close) use Winsock calls on them and pipe calls on the rest. */
typedef UINT_PTR mp__sock;
#define MP__BAD_SOCK   (~(UINT_PTR)0)
typedef struct mp__ws_addrinfo { /* ADDRINFOA */
    int ai_flags, ai_family, ai_socktype, ai_protocol;
    size_t ai_addrlen;
    char *ai_canonname;
    void *ai_addr;
    struct mp__ws_addrinfo *ai_next;
} mp__ws_addrinfo;
typedef struct mp__ws_pollfd { /* WSAPOLLFD */
    mp__sock fd;
    short events, revents;
} mp__ws_pollfd;
enum {
    MP__WS_AF_UNSPEC = 0,
    MP__WS_SOCK_STREAM = 1,
    MP__WS_IPPROTO_TCP = 6,
    MP__WS_TCP_NODELAY = 1,
    MP__WS_SOL_SOCKET = 0xffff,
    MP__WS_SO_ERROR = 0x1007,
    MP__WS_SO_TYPE = 0x1008,
    MP__WS_POLLRDNORM = 0x100,
    MP__WS_POLLWRNORM = 0x10,
    MP__WS_EWOULDBLOCK = 10035,
    MP__WS_EINPROGRESS = 10036,
    MP__WS_EADDRINUSE = 10048,
    MP__WS_ECONNREFUSED = 10061,
    MP__WS_ECONNRESET = 10054,
    MP__WS_ECONNABORTED = 10053,
    MP__WS_MSG_WAITALL = 8
};
#define MP__WS_FIONBIO ((long)0x8004667e)
static struct {
    volatile LONG state; /* 0: not tried, 1: loaded, -1: not available */
    int(WINAPI *startup)(WORD, void *);
    mp__sock(WINAPI *socket)(int, int, int);
    int(WINAPI *bind)(mp__sock, const void *, int);
    int(WINAPI *listen)(mp__sock, int);
    mp__sock(WINAPI *accept)(mp__sock, void *, int *);
    int(WINAPI *connect)(mp__sock, const void *, int);
    int(WINAPI *getsockname)(mp__sock, void *, int *);
    int(WINAPI *getsockopt)(mp__sock, int, int, char *, int *);
    int(WINAPI *setsockopt)(mp__sock, int, int, const char *, int);
    int(WINAPI *closesocket)(mp__sock);
    int(WINAPI *getaddrinfo)(const char *, const char *, const mp__ws_addrinfo *,
                             mp__ws_addrinfo **);
    void(WINAPI *freeaddrinfo)(mp__ws_addrinfo *);
    int(WINAPI *ioctlsocket)(mp__sock, long, unsigned long *);
    int(WINAPI *recv)(mp__sock, char *, int, int);
    int(WINAPI *send)(mp__sock, const char *, int, int);
    int(WINAPI *poll)(mp__ws_pollfd *, unsigned long, int);
    int(WINAPI *lasterror)(void);
    int(WINAPI *share)(mp__sock, DWORD, void *); /* WSADuplicateSocketW */
    mp__sock(WINAPI *socket_from)(int, int, int, const void *, unsigned, DWORD); /* WSASocketW */
    int(WINAPI *recv_ov)(mp__sock, void *, DWORD, DWORD *, DWORD *, OVERLAPPED *,
                         void *); /* WSARecv: mp__os_poll's zero-byte read */
} mp__ws;
static SRWLOCK mp__ws_srw = SRWLOCK_INIT;
static mp__sock *mp__ws_list; /* this process's sockets */
static int mp__ws_n, mp__ws_cap;

MP__FN void (*mp__ws_fn(HMODULE m, const char *name, int *ok))(void) {
    FARPROC f = GetProcAddress(m, name);
    if (!f) *ok = 0;
    return (void (*)(void))f;
}
MP__FN int mp__ws_load(void) {
    AcquireSRWLockExclusive(&mp__ws_srw);
    if (mp__ws.state == 0) {
        HMODULE m = LoadLibraryW(L"ws2_32.dll");
        unsigned char wsadata[512]; /* WSADATA, larger on 64-bit */
        int ok = m != NULL;
        mp__ws.state = -1;
        if (ok) {
#define MP__WS(field, name)                                                                        \
    do {                                                                                           \
        void (*f_)(void) = mp__ws_fn(m, name, &ok);                                                \
        memcpy((void *)&mp__ws.field, (const void *)&f_, sizeof f_);                               \
    } while (0)
            MP__WS(startup, "WSAStartup");
            MP__WS(socket, "socket");
            MP__WS(bind, "bind");
            MP__WS(listen, "listen");
            MP__WS(accept, "accept");
            MP__WS(connect, "connect");
            MP__WS(getsockname, "getsockname");
            MP__WS(getsockopt, "getsockopt");
            MP__WS(setsockopt, "setsockopt");
            MP__WS(closesocket, "closesocket");
            MP__WS(getaddrinfo, "getaddrinfo");
            MP__WS(freeaddrinfo, "freeaddrinfo");
            MP__WS(ioctlsocket, "ioctlsocket");
            MP__WS(recv, "recv");
            MP__WS(send, "send");
            MP__WS(poll, "WSAPoll");
            MP__WS(lasterror, "WSAGetLastError");
            MP__WS(share, "WSADuplicateSocketW");
            MP__WS(socket_from, "WSASocketW");
            MP__WS(recv_ov, "WSARecv");
#undef MP__WS
        }
        if (ok && mp__ws.startup(0x0202, wsadata) == 0) mp__ws.state = 1;
    }
    ReleaseSRWLockExclusive(&mp__ws_srw);
    return mp__ws.state == 1 ? MP_OK : MP_ENOSYS;
}
MP__FN int mp__ws_find(long long h) { /* with the lock held: its index, or -1 */
    int i;
    for (i = 0; i < mp__ws_n; i++)
        if (mp__ws_list[i] == (mp__sock)h) return i;
    return -1;
}
MP__FN int mp__os_is_sock(long long h) {
    int r;
    if (mp__ws_n == 0) return 0; /* no socket was ever made here: the usual case */
    AcquireSRWLockShared(&mp__ws_srw);
    r = mp__ws_find(h) >= 0;
    ReleaseSRWLockShared(&mp__ws_srw);
    return r;
}
MP__FN int mp__ws_add(mp__sock s) {
    int r = MP_OK;
    AcquireSRWLockExclusive(&mp__ws_srw);
    if (mp__ws_n == mp__ws_cap) {
        int cap = mp__ws_cap ? mp__ws_cap * 2 : 16;
        mp__sock *v = (mp__sock *)MP_REALLOC(mp__ws_list, (size_t)cap * sizeof *v);
        if (v)
            mp__ws_list = v, mp__ws_cap = cap;
        else
            r = MP_ENOMEM;
    }
    if (r == MP_OK) mp__ws_list[mp__ws_n++] = s;
    ReleaseSRWLockExclusive(&mp__ws_srw);
    return r;
}
/* Takes a socket off the list and closes it; 0 if it was not a socket. */
MP__FN int mp__ws_close(long long h) {
    int i;
    if (mp__ws_n == 0) return 0;
    AcquireSRWLockExclusive(&mp__ws_srw);
    i = mp__ws_find(h);
    if (i >= 0) mp__ws_list[i] = mp__ws_list[--mp__ws_n];
    ReleaseSRWLockExclusive(&mp__ws_srw);
    if (i < 0) return 0;
    mp__ws.closesocket((mp__sock)h);
    return 1;
}
/* A new socket of ours: not inherited by programs we start, listed. */
MP__FN int mp__ws_new(int family, mp__sock *out) {
    mp__sock s = mp__ws.socket(family, MP__WS_SOCK_STREAM, MP__WS_IPPROTO_TCP);
    if (s == MP__BAD_SOCK) return MP_ESYS;
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    if (mp__ws_add(s) != MP_OK) {
        mp__ws.closesocket(s);
        return MP_ENOMEM;
    }
    *out = s;
    return MP_OK;
}
MP__FN int mp__ws_error(int e) {
    return e == MP__WS_EADDRINUSE ? MP_EEXIST : e == MP__WS_ECONNREFUSED ? MP_ENOENT : MP_ESYS;
}
MP__FN int mp__ws_resolve(const mp__addr *a, mp__ws_addrinfo **res) {
    mp__ws_addrinfo hint;
    char port[8];
    memset(&hint, 0, sizeof hint);
    hint.ai_family = MP__WS_AF_UNSPEC;
    hint.ai_socktype = MP__WS_SOCK_STREAM;
    snprintf(port, sizeof port, "%u", a->port);
    return mp__ws.getaddrinfo(a->name, port, &hint, res) == 0 ? MP_OK : MP_ENOENT;
}
MP__FN void mp__ws_nodelay(mp__sock s) {
    int one = 1;
    mp__ws.setsockopt(s, MP__WS_IPPROTO_TCP, MP__WS_TCP_NODELAY, (const char *)&one, sizeof one);
}
MP__FN int mp__ws_listen(const mp__addr *a, long long *h, char *text, size_t cap) {
    mp__ws_addrinfo *res = NULL;
    unsigned char ss[128];
    int len = sizeof ss, r = mp__ws_load();
    mp__sock s;
    if (r == MP_OK) r = mp__ws_resolve(a, &res);
    if (r != MP_OK) return r;
    r = mp__ws_new(res->ai_family, &s);
    if (r == MP_OK) {
        unsigned long nb = 1; /* accept does not block: the wait is a poll */
        int excl = 1;         /* SO_EXCLUSIVEADDRUSE: no other socket may take the port */
        mp__ws.setsockopt(s, MP__WS_SOL_SOCKET, ~4, (const char *)&excl, sizeof excl);
        if (mp__ws.bind(s, res->ai_addr, (int)res->ai_addrlen) != 0 || mp__ws.listen(s, 128) != 0 ||
            mp__ws.getsockname(s, ss, &len) != 0 || mp__ws.ioctlsocket(s, MP__WS_FIONBIO, &nb) != 0)
            r = mp__ws_error(mp__ws.lasterror());
        if (r != MP_OK) mp__ws_close((long long)s);
    }
    mp__ws.freeaddrinfo(res);
    if (r != MP_OK) return r;
    /* the port is at the same place in sockaddr_in and sockaddr_in6 */
    snprintf(text, cap, strchr(a->name, ':') ? "[%s]:%u" : "%s:%u", a->name,
             (unsigned)(ss[2] << 8 | ss[3]));
    *h = (long long)s;
    return MP_OK;
}
MP__FN int mp__ws_accept(long long lh, double timeout, long long *h) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    for (;;) {
        mp__ws_pollfd p;
        mp__sock s = mp__ws.accept((mp__sock)lh, NULL, NULL);
        double left;
        if (s != MP__BAD_SOCK) {
            unsigned long nb = 0;
            SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
            mp__ws.ioctlsocket(s, MP__WS_FIONBIO, &nb); /* it inherits the listener's mode */
            mp__ws_nodelay(s);
            if (mp__ws_add(s) != MP_OK) {
                mp__ws.closesocket(s);
                return MP_ENOMEM;
            }
            *h = (long long)s;
            return MP_OK;
        }
        if (mp__ws.lasterror() != MP__WS_EWOULDBLOCK && mp__ws.lasterror() != MP__WS_ECONNRESET &&
            mp__ws.lasterror() != MP__WS_ECONNABORTED)
            return MP_ESYS;
        left = deadline - mp__os_now();
        if (left <= 0 && timeout < 1e9) return MP_ETIMEDOUT;
        p.fd = (mp__sock)lh;
        p.events = MP__WS_POLLRDNORM;
        p.revents = 0;
        mp__ws.poll(&p, 1, timeout >= 1e9 ? -1 : (int)mp__os_ms(left));
    }
}
MP__FN int mp__ws_connect(const mp__addr *a, double timeout, long long *h) {
    mp__ws_addrinfo *res = NULL;
    mp__ws_pollfd p;
    unsigned long nb = 1;
    int err = 0, elen = sizeof err, r = mp__ws_load();
    mp__sock s;
    if (r == MP_OK) r = mp__ws_resolve(a, &res);
    if (r != MP_OK) return r;
    r = mp__ws_new(res->ai_family, &s);
    if (r != MP_OK) {
        mp__ws.freeaddrinfo(res);
        return r;
    }
    mp__ws.ioctlsocket(s, MP__WS_FIONBIO, &nb);
    if (mp__ws.connect(s, res->ai_addr, (int)res->ai_addrlen) != 0) {
        err = mp__ws.lasterror();
        if (err == MP__WS_EWOULDBLOCK || err == MP__WS_EINPROGRESS) {
            p.fd = s;
            p.events = MP__WS_POLLWRNORM;
            p.revents = 0;
            if (mp__ws.poll(&p, 1, timeout >= 1e9 ? -1 : (int)mp__os_ms(timeout)) == 0)
                err = -1; /* timed out */
            else if (mp__ws.getsockopt(s, MP__WS_SOL_SOCKET, MP__WS_SO_ERROR, (char *)&err,
                                       &elen) != 0)
                err = mp__ws.lasterror();
        }
    }
    mp__ws.freeaddrinfo(res);
    if (err != 0) {
        mp__ws_close((long long)s);
        return err == -1 ? MP_ETIMEDOUT : mp__ws_error(err);
    }
    nb = 0;
    mp__ws.ioctlsocket(s, MP__WS_FIONBIO, &nb);
    mp__ws_nodelay(s);
    *h = (long long)s;
    return MP_OK;
}
/* The connection primitives on a socket. */
MP__FN int mp__ws_gone(void) {
    int e = mp__ws.lasterror();
    return e == MP__WS_ECONNRESET || e == MP__WS_ECONNABORTED ? MP_EOF : MP_ESYS;
}
MP__FN int mp__ws_send(long long h, const char *p, size_t n) {
    while (n) {
        int w = mp__ws.send((mp__sock)h, p, n > 0x40000000u ? 0x40000000 : (int)n, 0);
        if (w <= 0) return mp__ws_gone();
        p += w;
        n -= (size_t)w;
    }
    return MP_OK;
}
MP__FN int mp__ws_recv(long long h, void *buf, size_t n, size_t *got) {
    size_t k = 0;
    while (k < n) {
        size_t want = n - k > 0x40000000u ? 0x40000000u : n - k;
        int r = mp__ws.recv((mp__sock)h, (char *)buf + k, (int)want, MP__WS_MSG_WAITALL);
        if (r <= 0) {
            *got = k;
            return r == 0 ? MP_EOF : mp__ws_gone();
        }
        k += (size_t)r;
    }
    *got = k;
    return MP_OK;
}
MP__FN int mp__ws_readable(long long h) {
    mp__ws_pollfd p;
    p.fd = (mp__sock)h;
    p.events = MP__WS_POLLRDNORM;
    p.revents = 0;
    return mp__ws.poll(&p, 1, 0) > 0; /* data, EOF or an error: a receive answers at once */
}
MP__FN int mp__ws_recv_some(long long h, void *buf, size_t n, size_t *got) {
    int r;
    *got = 0;
    if (n == 0 || !mp__ws_readable(h)) return MP_OK;
    r = mp__ws.recv((mp__sock)h, (char *)buf, n > 0x40000000u ? 0x40000000 : (int)n, 0);
    if (r == 0) return MP_EOF;
    if (r < 0) return mp__ws_gone();
    *got = (size_t)r;
    return MP_OK;
}

/* A socket is not handed to a child by DuplicateHandle but by WSADuplicateSocket: its
   WSAPROTOCOL_INFOW (628 bytes) travels in the extra bytes of its mp__pass entry. */
#define MP__OS_PASS_EXTRA 640
#define MP__PASS_SOCK     (-2LL)
/* No orphans: every child goes, still suspended, into one job object of this process that
   kills its members when its last handle closes, so a parent killed by TerminateProcess
   takes its children (and theirs, through their own jobs) with it, mid-task too. A program
   that already runs in a job (an IDE, a CI runner) nests ours in it (Windows 8 and later);
   where a job cannot be made or joined, the child runs without one, as before (pool workers
   still watch their parent). BREAKAWAY_OK: a child may start a process of its own outside
   the job with CREATE_BREAKAWAY_FROM_JOB. Called under mp__os_lock. */
static HANDLE mp__os_job;
static int mp__os_job_failed;
MP__FN void mp__os_job_add(HANDLE proc) {
    if (!mp__os_job && !mp__os_job_failed) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
        HANDLE j = CreateJobObjectW(NULL, NULL);
        memset(&li, 0, sizeof li);
        li.BasicLimitInformation.LimitFlags =
            JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
        if (j && !SetInformationJobObject(j, JobObjectExtendedLimitInformation, &li, sizeof li)) {
            CloseHandle(j);
            j = NULL;
        }
        mp__os_job = j;
        mp__os_job_failed = j == NULL;
    }
    if (mp__os_job) AssignProcessToJobObject(mp__os_job, proc);
}

MP__FN int mp__auto_init_kept(void); /* >>autoinit: keeps the MSVC constructor linked in */

/* CreateProcess suspended, reserve the arena's range in the child before any of its code
   runs (PostgreSQL's technique), then let it go: the child swaps the reservation for the
   mapping. Only the standard handles are inherited; the open connection ends are duplicated
   into the suspended child, and pass[i].handle becomes the child's value for each. */
MP__FN int mp__os_spawn(size_t boot_off, const mp__u64 nonce[2], mp__pass *pass, int npass,
                        long *pid, long long *handle) {
    const wchar_t *exe = mp__os_exe_path();
    wchar_t *cmd;
    char token[256], *t;
    size_t elen, i, k = 0;
    STARTUPINFOEXW si;
    PROCESS_INFORMATION pi;
    HANDLE std[3];
    int nstd = 0;
    SIZE_T alsize = 0;
    BOOL ok;
    void *got;
    if (!exe || !mp__auto_init_kept()) return MP_EEXEC;
    elen = wcslen(exe);
    t = mp__put_hex(token, (mp__u64)GetCurrentProcessId(), ':');
    t = mp__put_hex(t, (mp__u64)(uintptr_t)mp__os_section, ':');
    t = mp__put_hex(t, (mp__u64)(uintptr_t)mp__g.arena, ':');
    t = mp__put_hex(t, (mp__u64)mp__g.arena_size, ':');
    t = mp__put_hex(t, (mp__u64)boot_off, ':');
    t = mp__put_hex(t, mp__os_arena_id, ':');
    t = mp__put_hex(t, nonce[0], ':');
    mp__put_hex(t, nonce[1], 0);
    cmd = (wchar_t *)MP_MALLOC((elen + 300) * sizeof(wchar_t));
    if (!cmd) return MP_ENOMEM;
    cmd[k++] = L'"';
    for (i = 0; i < elen; i++) cmd[k++] = exe[i];
    cmd[k++] = L'"';
    for (i = 0; mp__os_marker[i]; i++) cmd[k++] = mp__os_marker[i];
    for (i = 0; token[i]; i++) cmd[k++] = (wchar_t)token[i];
    cmd[k] = 0;

    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.StartupInfo.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.StartupInfo.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    {
        HANDLE cand[3];
        int a, b;
        cand[0] = si.StartupInfo.hStdInput;
        cand[1] = si.StartupInfo.hStdOutput;
        cand[2] = si.StartupInfo.hStdError;
        for (a = 0; a < 3; a++) {
            int dup = cand[a] == NULL || cand[a] == INVALID_HANDLE_VALUE;
            for (b = 0; b < nstd && !dup; b++) dup = std[b] == cand[a];
            if (!dup && SetHandleInformation(cand[a], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
                std[nstd++] = cand[a];
        }
    }
    InitializeProcThreadAttributeList(NULL, 1, 0, &alsize);
    si.lpAttributeList = (LPPROC_THREAD_ATTRIBUTE_LIST)MP_MALLOC(alsize);
    if (si.lpAttributeList &&
        (!InitializeProcThreadAttributeList(si.lpAttributeList, 1, 0, &alsize) ||
         (nstd &&
          !UpdateProcThreadAttribute(si.lpAttributeList, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, std,
                                     (SIZE_T)nstd * sizeof(HANDLE), NULL, NULL)))) {
        MP_FREE(si.lpAttributeList);
        si.lpAttributeList = NULL;
    }
    for (k = 0; k < 3; k++) { /* seen under Wine: a rare transient failure; try again */
        ok = CreateProcessW(exe, cmd, NULL, NULL, nstd > 0 && si.lpAttributeList != NULL,
                            CREATE_SUSPENDED |
                                (si.lpAttributeList ? EXTENDED_STARTUPINFO_PRESENT : 0),
                            NULL, NULL, &si.StartupInfo, &pi);
        if (ok || GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND)
            break;
        Sleep(10);
    }
    if (si.lpAttributeList) {
        DeleteProcThreadAttributeList(si.lpAttributeList);
        MP_FREE(si.lpAttributeList);
    }
    MP_FREE(cmd);
    if (!ok) return MP_EEXEC;
    got = VirtualAllocEx(pi.hProcess, mp__g.arena, mp__os_map_size(mp__g.arena_size), MEM_RESERVE,
                         PAGE_NOACCESS);
    ok = got == (void *)mp__g.arena;
    for (i = 0; ok && i < (size_t)npass; i++) {
        HANDLE mine = (HANDLE)(uintptr_t)pass[i].handle, theirs = NULL;
        if (mp__os_is_sock(pass[i].handle)) { /* a socket: see mp__os_adopt */
            ok = mp__ws.share((mp__sock)pass[i].handle, pi.dwProcessId,
                              (char *)(pass + npass) + (size_t)i * MP__OS_PASS_EXTRA) == 0;
            pass[i].handle = MP__PASS_SOCK;
            continue;
        }
        ok = DuplicateHandle(GetCurrentProcess(), mine, pi.hProcess, &theirs, 0, FALSE,
                             DUPLICATE_SAME_ACCESS);
        pass[i].handle = (long long)(uintptr_t)theirs;
    }
    if (!ok) {
        TerminateProcess(pi.hProcess, MP__EXIT_ADDR);
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        return got == (void *)mp__g.arena ? MP_ESYS : MP_EADDR;
    }
    mp__os_job_add(pi.hProcess);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    *pid = (long)pi.dwProcessId;
    *handle = (long long)(uintptr_t)pi.hProcess;
    return MP_OK;
}

MP__FN int mp__os_proc_wait(long pid, long long *handle, double timeout, int *code) {
    HANDLE h = (HANDLE)(uintptr_t)*handle;
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    DWORD st = 0;
    (void)pid;
    for (;;) { /* INFINITE is 49 days of milliseconds; loop past it */
        double left = deadline - mp__os_now();
        HANDLE hs[2];
        DWORD r;
        hs[0] = h;
        hs[1] = mp__os_intr_event(); /* mp_interrupt's, for a wait that blocks */
        r = WaitForMultipleObjects(timeout > 0 && hs[1] ? 2 : 1, hs, FALSE,
                                   left > 0 ? mp__os_ms(left) : 0);
        if (r == WAIT_OBJECT_0) break;
        if (r == WAIT_OBJECT_0 + 1) return MP_EINTERRUPTED;
        if (r != WAIT_TIMEOUT) return MP_ESYS;
        if (deadline - mp__os_now() <= 0) return MP_ETIMEDOUT;
    }
    GetExitCodeProcess(h, &st);
    *code = st > MP__WIN_SIGNALLED && st < MP__WIN_SIGNALLED + 64 ? -(int)(st - MP__WIN_SIGNALLED)
                                                                  : (int)st;
    CloseHandle(h);
    *handle = -1;
    return MP_OK;
}
MP__FN int mp__os_proc_signal(long pid, long long handle, int hard) {
    (void)pid;
    if (TerminateProcess((HANDLE)(uintptr_t)handle, MP__WIN_SIGNALLED + (hard ? 9 : 15)))
        return MP_OK;
    return GetLastError() == ERROR_ACCESS_DENIED ? MP_OK : MP_ESYS; /* already ending */
}
MP__FN void mp__os_proc_release(long long *handle) {
    if (*handle != -1) CloseHandle((HANDLE)(uintptr_t)*handle);
    *handle = -1;
}
MP__FN void mp__os_exit(int code) {
    fflush(NULL);
    ExitProcess((UINT)code);
}

/* Connection ends: a named pipe (server end: a, client end: b), in byte mode, overlapped so
   that one thread may read while another writes the same end. Private: its name is 128
   random bits (nothing to guess), its DACL admits only this process's user, it rejects
   remote clients, and it allows one instance, made first (FILE_FLAG_FIRST_PIPE_INSTANCE: a
   squatter who made the name first fails our create, and we draw another name), whose one
   client we connect at once (a second client finds it busy). */
static SRWLOCK mp__os_reg_srw = SRWLOCK_INIT;
static volatile mp__u32 mp__os_pipe_count;
#define MP__WIN_PIPE_BUF  65536
MP__FN void mp__os_reg_lock(void) {
    AcquireSRWLockExclusive(&mp__os_reg_srw);
}
MP__FN void mp__os_reg_unlock(void) {
    ReleaseSRWLockExclusive(&mp__os_reg_srw);
}
MP__FN int mp__os_pipe_gone(DWORD err) {
    return err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA || err == ERROR_PIPE_NOT_CONNECTED;
}
/* The event an overlapped read or write waits on: one per thread, kept (a send or receive
   that made and closed its own paid two more kernel calls per message). ReadFile and
   WriteFile reset it as they start. */
MP__FN HANDLE mp__os_io_event(void) {
    mp__win_ev *e = mp__os_ev();
    if (!e) return NULL;
    if (!e->io) e->io = CreateEventW(NULL, TRUE, FALSE, NULL);
    return e->io;
}
/* One overlapped read or write, waited for: MP_OK with *done, MP_EOF or MP_ESYS. */
MP__FN int mp__os_io(HANDLE h, HANDLE ev, int write, void *buf, DWORD n, DWORD *done) {
    OVERLAPPED ov;
    BOOL ok;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = ev;
    *done = 0;
    ok = write ? WriteFile(h, buf, n, NULL, &ov) : ReadFile(h, buf, n, NULL, &ov);
    if (!ok && GetLastError() != ERROR_IO_PENDING && GetLastError() != ERROR_MORE_DATA)
        return mp__os_pipe_gone(GetLastError()) ? MP_EOF : MP_ESYS;
    if (!ok && !write && mp__os_intr_event()) { /* a read that waits: mp_interrupt ends it */
        HANDLE hs[2];
        hs[0] = ev;
        hs[1] = mp__os_intr_event();
        if (WaitForMultipleObjects(2, hs, FALSE, INFINITE) == WAIT_OBJECT_0 + 1 &&
            CancelIoEx(h, &ov)) {
            GetOverlappedResult(h, &ov, done, TRUE); /* what came before the cancel stays */
            return MP_EINTERRUPTED;
        }
    }
    /* ERROR_MORE_DATA: a message-mode pipe (>>connection) with more of the message to come */
    if (!GetOverlappedResult(h, &ov, done, TRUE) && GetLastError() != ERROR_MORE_DATA)
        return mp__os_pipe_gone(GetLastError()) ? MP_EOF : MP_ESYS;
    return MP_OK;
}
#ifndef PIPE_REJECT_REMOTE_CLIENTS
#define PIPE_REJECT_REMOTE_CLIENTS 0x00000008
#endif
/* A security descriptor whose DACL allows this process's user and no one else (made once;
   NULL, the default DACL, if the token cannot be read). */
static SECURITY_ATTRIBUTES *mp__os_private_sa;
static union {
    SECURITY_DESCRIPTOR sd;
    void *align;
} mp__os_sd;
static union {
    ACL acl;
    unsigned char bytes[256];
} mp__os_acl;
static union {
    TOKEN_USER user;
    unsigned char bytes[256];
} mp__os_user;
static SECURITY_ATTRIBUTES mp__os_sa;
static INIT_ONCE mp__os_sa_once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK mp__os_sa_make(PINIT_ONCE once, PVOID arg, PVOID *ctx) {
    HANDLE tok;
    DWORD len = 0;
    BOOL ok;
    (void)once;
    (void)arg;
    (void)ctx;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) return TRUE;
    ok = GetTokenInformation(tok, TokenUser, &mp__os_user, sizeof mp__os_user, &len);
    CloseHandle(tok);
    if (ok && InitializeAcl(&mp__os_acl.acl, sizeof mp__os_acl, ACL_REVISION) &&
        AddAccessAllowedAce(&mp__os_acl.acl, ACL_REVISION, GENERIC_ALL,
                            mp__os_user.user.User.Sid) &&
        InitializeSecurityDescriptor(&mp__os_sd.sd, SECURITY_DESCRIPTOR_REVISION) &&
        SetSecurityDescriptorDacl(&mp__os_sd.sd, TRUE, &mp__os_acl.acl, FALSE)) {
        mp__os_sa.nLength = sizeof mp__os_sa;
        mp__os_sa.lpSecurityDescriptor = &mp__os_sd.sd;
        mp__os_sa.bInheritHandle = FALSE;
        mp__os_private_sa = &mp__os_sa;
    }
    return TRUE;
}
MP__FN SECURITY_ATTRIBUTES *mp__os_private(void) {
    InitOnceExecuteOnce(&mp__os_sa_once, mp__os_sa_make, NULL, NULL);
    return mp__os_private_sa;
}
static wchar_t mp__os_pipe_name[64]; /* the last name made here (for the tests) */
MP__FN int mp__os_pipe(int duplex, long long h[2]) {
    int tries;
    for (tries = 0; tries < 64; tries++) {
        wchar_t name[64];
        char ascii[64], *t;
        mp__u64 rnd[2];
        HANDLE srv, cli, ev;
        OVERLAPPED ov;
        DWORD err = 0, n;
        int i;
        mp__os_random(rnd, sizeof rnd);
        memcpy(ascii, "\\\\.\\pipe\\mp-", 12);
        t = mp__put_hex(ascii + 12, rnd[0], '-');
        mp__put_hex(t, rnd[1], 0);
        for (i = 0; ascii[i]; i++) name[i] = (wchar_t)ascii[i];
        name[i] = 0;
        srv = CreateNamedPipeW(name,
                               (duplex ? PIPE_ACCESS_DUPLEX : PIPE_ACCESS_INBOUND) |
                                   FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                               PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                   PIPE_REJECT_REMOTE_CLIENTS,
                               1, MP__WIN_PIPE_BUF, MP__WIN_PIPE_BUF, 0, mp__os_private());
        if (srv != INVALID_HANDLE_VALUE) memcpy(mp__os_pipe_name, name, sizeof name);
        if (srv == INVALID_HANDLE_VALUE) {
            err = GetLastError();
            if (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY) continue; /* name taken */
            return MP_ESYS;
        }
        cli = CreateFileW(name, duplex ? GENERIC_READ | GENERIC_WRITE : GENERIC_WRITE, 0, NULL,
                          OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
        if (cli == INVALID_HANDLE_VALUE) {
            CloseHandle(srv);
            continue;
        }
        ev = CreateEventW(NULL, TRUE, FALSE, NULL);
        memset(&ov, 0, sizeof ov);
        ov.hEvent = ev;
        if (!ev || ConnectNamedPipe(srv, &ov))
            err = ev ? 0 : 1;
        else if ((err = GetLastError()) == ERROR_IO_PENDING)
            err = GetOverlappedResult(srv, &ov, &n, TRUE) ? 0 : 1;
        else if (err == ERROR_PIPE_CONNECTED)
            err = 0;
        if (ev) CloseHandle(ev);
        if (err) {
            CloseHandle(cli);
            CloseHandle(srv);
            return MP_ESYS;
        }
        h[0] = (long long)(uintptr_t)srv;
        h[1] = (long long)(uintptr_t)cli;
        return MP_OK;
    }
    return MP_ESYS;
}
MP__FN void mp__os_close_handle(long long h) {
    if (h != -1 && !mp__ws_close(h)) CloseHandle((HANDLE)(uintptr_t)h);
}
MP__FN int mp__os_adopt(long long *h, const void *extra) {
    DWORD flags;
    if (*h == MP__PASS_SOCK) {
        mp__sock s;
        if (mp__ws_load() != MP_OK) return -1;
        s = mp__ws.socket_from(-1, -1, -1, extra, 0, 0x01 | 0x80); /* overlapped, no inherit */
        if (s == MP__BAD_SOCK) return -1;
        if (mp__ws_add(s) != MP_OK) {
            mp__ws.closesocket(s);
            return -1;
        }
        *h = (long long)s;
        return 0;
    }
    return GetHandleInformation((HANDLE)(uintptr_t)*h, &flags) ? 0 : -1;
}
MP__FN int mp__os_send(long long h, const void *a, size_t na, const void *b, size_t nb) {
    HANDLE fh = (HANDLE)(uintptr_t)h, ev;
    char small[4096];
    const char *part[2];
    size_t len[2];
    int k, r = MP_OK;
    part[0] = (const char *)a;
    len[0] = na;
    part[1] = (const char *)b;
    len[1] = nb;
    if (na + nb <= sizeof small) { /* one write for a small message */
        memcpy(small, a, na);
        if (nb) memcpy(small + na, b, nb);
        part[0] = small;
        len[0] = na + nb;
        len[1] = 0;
    }
    if (mp__os_is_sock(h)) {
        for (k = 0; k < 2 && r == MP_OK; k++) r = mp__ws_send(h, part[k], len[k]);
        return r;
    }
    ev = mp__os_io_event();
    if (!ev) return MP_ESYS;
    for (k = 0; k < 2 && r == MP_OK; k++) {
        size_t off = 0;
        while (off < len[k] && r == MP_OK) {
            size_t chunk = len[k] - off > 0x40000000u ? 0x40000000u : len[k] - off;
            DWORD done = 0;
            r = mp__os_io(fh, ev, 1, (void *)(uintptr_t)(part[k] + off), (DWORD)chunk, &done);
            off += done;
        }
    }
    return r;
}
MP__FN int mp__os_recv(long long h, void *buf, size_t n, size_t *got) {
    HANDLE fh = (HANDLE)(uintptr_t)h, ev;
    size_t k = 0;
    int r = MP_OK;
    if (n == 0) {
        *got = 0;
        return MP_OK;
    }
    if (mp__os_is_sock(h)) return mp__ws_recv(h, buf, n, got);
    ev = mp__os_io_event();
    if (!ev) return MP_ESYS;
    while (k < n && r == MP_OK) {
        size_t chunk = n - k > 0x40000000u ? 0x40000000u : n - k;
        DWORD done = 0;
        r = mp__os_io(fh, ev, 0, (char *)buf + k, (DWORD)chunk, &done);
        k += done; /* 0 bytes and success: someone wrote 0 bytes; read on */
    }
    *got = k;
    return r;
}
MP__FN int mp__os_recv_some(long long h, void *buf, size_t n, size_t *got) {
    DWORD avail = 0, done = 0;
    HANDLE ev;
    int r;
    *got = 0;
    if (mp__os_is_sock(h)) return mp__ws_recv_some(h, buf, n, got);
    if (!PeekNamedPipe((HANDLE)(uintptr_t)h, NULL, 0, NULL, &avail, NULL))
        return mp__os_pipe_gone(GetLastError()) ? MP_EOF : MP_ESYS;
    if (avail == 0 || n == 0) return MP_OK;
    ev = mp__os_io_event();
    if (!ev) return MP_ESYS;
    r = mp__os_io((HANDLE)(uintptr_t)h, ev, 0, buf, (DWORD)(avail < n ? avail : n), &done);
    *got = done;
    return r;
}
/* Read-ahead (>>pipe) is POSIX's: the Windows ends read no further than a message. */
#define MP__OS_READAHEAD 0
MP__FN int mp__os_ahead_setup(long long h, int on) {
    (void)h, (void)on;
    return MP_ENOSYS;
}
MP__FN int mp__os_recv_ahead(long long h, void *a, size_t na, void *b, size_t nb, int wait,
                             size_t *got) {
    (void)b, (void)nb, (void)wait;
    return mp__os_recv_some(h, a, na, got);
}
/* More handles than 63 threads of 63 handles take (3969), or no thread-local events: look at
   every handle (PeekNamedPipe: data or EOF; a process handle: signalled), then sleep on the
   first process handles (or Sleep) for 1 ms, growing to 10 ms. The one wait that polls. */
static volatile mp__u32 mp__os_poll_sleeps; /* the sleeps of mp__os_poll (a test hook) */
MP__FN int mp__os_poll_slices(const long long *h, const unsigned char *is_proc, int n,
                              double timeout, int *ready) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout), delay = 0.001;
    HANDLE procs[MAXIMUM_WAIT_OBJECTS];
    int i, np = 0;
    for (i = 0; i < n && np < MAXIMUM_WAIT_OBJECTS; i++)
        if (is_proc[i] == 1 && h[i] != -1) procs[np++] = (HANDLE)(uintptr_t)h[i];
    for (;;) {
        int count = 0;
        double left;
        for (i = 0; i < n; i++) {
            HANDLE x = (HANDLE)(uintptr_t)h[i];
            DWORD avail = 0;
            ready[i] = 0;
            if (h[i] == -1) continue;
            if (is_proc[i] == 1)
                ready[i] = WaitForSingleObject(x, 0) != WAIT_TIMEOUT;
            else if (mp__os_is_sock(h[i]))
                ready[i] = mp__ws_readable(h[i]);
            else
                ready[i] = !PeekNamedPipe(x, NULL, 0, NULL, &avail, NULL) || avail > 0;
            count += ready[i];
        }
        left = deadline - mp__os_now();
        if (count || left <= 0) return count;
        if (mp__os_interrupted()) return MP_EINTERRUPTED;
        if (left > delay) left = delay;
        mp__fetch_add(&mp__os_poll_sleeps, 1);
        if (np)
            WaitForMultipleObjects((DWORD)np, procs, FALSE, mp__os_ms(left));
        else if (mp__os_intr_event())
            WaitForSingleObject(mp__os_intr_event(), mp__os_ms(left));
        else
            Sleep(mp__os_ms(left));
        if (delay < 0.01) delay *= 2;
    }
}
/* A zero-byte overlapped read, as Python's connection.wait makes on Windows: it completes
   when data comes or the end breaks, and takes nothing, except an empty message of a
   message-mode pipe (Windows 8 and later take it). Returns 0 (pending: wait on ov->hEvent),
   1 (ready), 2 (ready, an empty message taken). */
MP__FN int mp__os_poll_start(long long h, int msg, OVERLAPPED *ov) {
    static char none[1]; /* the reads' buffer, of which they use 0 bytes */
    struct {
        unsigned long len;
        char *buf;
    } wsabuf;
    DWORD n = 0, flags = 0, e;
    BOOL ok;
    if (mp__os_is_sock(h)) {
        wsabuf.len = 0;
        wsabuf.buf = none;
        if (mp__ws.recv_ov((mp__sock)h, &wsabuf, 1, &n, &flags, ov, NULL) == 0) return 1;
        return mp__ws.lasterror() == ERROR_IO_PENDING ? 0 : 1; /* an error: a receive says it */
    }
    ok = ReadFile((HANDLE)(uintptr_t)h, none, 0, NULL, ov);
    e = ok ? 0 : GetLastError();
    if (e == ERROR_IO_PENDING) return 0;
    return ok && msg ? 2 : 1;
}
/* Ends a pending zero-byte read: what it came to (0: cancelled, 1 or 2 as above). */
MP__FN int mp__os_poll_end(long long h, int msg, OVERLAPPED *ov) {
    HANDLE fh = (HANDLE)(uintptr_t)h;
    DWORD n = 0;
    if (!HasOverlappedIoCompleted(ov)) CancelIoEx(fh, ov);
    if (GetOverlappedResult(fh, ov, &n, TRUE)) return msg && !mp__os_is_sock(h) ? 2 : 1;
    return GetLastError() == ERROR_OPERATION_ABORTED ? 0 : 1;
}
/* Above 63 handles: a thread for each 63 of them sleeps on them and its stop event (the last
   of h), and ends when one is signalled, which ends the caller's wait on the threads. */
typedef struct mp__os_pgroup {
    HANDLE h[MAXIMUM_WAIT_OBJECTS];
    DWORD n;
} mp__os_pgroup;
static DWORD WINAPI mp__os_poll_group(LPVOID p) {
    mp__os_pgroup *g = (mp__os_pgroup *)p;
    WaitForMultipleObjects(g->n, g->h, FALSE, INFINITE);
    return 0;
}
/* Sleeps in the kernel until a handle is ready: a zero-byte overlapped read on every pipe
   end and socket (see mp__os_poll_start; libuv waits on its pipes and sockets so too), the
   process handles themselves, and mp_interrupt's event, in one WaitForMultipleObjects (over
   63 handles, a thread sleeps on each 63); the reads still pending are cancelled before it
   returns. is_proc[i]: 1 a process, 2 a message-mode pipe end (ready[i] = 2: its empty
   message was taken, the caller keeps it), 0 another end. */
MP__FN int mp__os_poll(const long long *h, const unsigned char *is_proc, int n, double timeout,
                       int *ready) {
    enum { SMALL = MAXIMUM_WAIT_OBJECTS - 1 };
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    HANDLE hs_small[SMALL], *hs = hs_small, ws[MAXIMUM_WAIT_OBJECTS], stop = NULL;
    HANDLE intr = timeout > 0 ? mp__os_intr_event() : NULL;
    OVERLAPPED ov_small[SMALL], *ov = ov_small;
    int at_small[SMALL], *at = at_small, i, k, nw = 0, nws = 0, groups = 0, count = 0;
    int took = 0, r = 0;
    mp__os_pgroup *grp = NULL;
    mp__win_ev *e;
    if (timeout > 0 && mp__os_interrupted()) return MP_EINTERRUPTED;
    for (i = k = 0; i < n; i++) k += h[i] != -1;
    e = mp__os_ev();
    groups = (k + SMALL - 1) / SMALL;
    if (!e || groups > SMALL) return mp__os_poll_slices(h, is_proc, n, timeout, ready);
    if (k > SMALL) {
        hs = (HANDLE *)MP_MALLOC((size_t)k * sizeof *hs);
        ov = (OVERLAPPED *)MP_MALLOC((size_t)k * sizeof *ov);
        at = (int *)MP_MALLOC((size_t)k * sizeof *at);
        grp = (mp__os_pgroup *)MP_MALLOC((size_t)groups * sizeof *grp);
        if (!hs || !ov || !at || !grp) {
            MP_FREE(hs);
            MP_FREE(ov);
            MP_FREE(at);
            MP_FREE(grp);
            return MP_ENOMEM;
        }
    }
    for (i = 0; i < n; i++) {
        HANDLE ev;
        ready[i] = 0;
        if (h[i] == -1) continue;
        at[nw] = i;
        ov[nw].hEvent = NULL;
        if (is_proc[i] == 1) {
            hs[nw++] = (HANDLE)(uintptr_t)h[i];
            continue;
        }
        /* the thread's cached events, then ones made for this wait (closed at its end) */
        if (nw < MAXIMUM_WAIT_OBJECTS && !e->poll[nw])
            e->poll[nw] = CreateEventW(NULL, TRUE, FALSE, NULL);
        ev = nw < MAXIMUM_WAIT_OBJECTS ? e->poll[nw] : CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!ev) {
            r = MP_ESYS;
            break;
        }
        memset(&ov[nw], 0, sizeof ov[nw]);
        ov[nw].hEvent = hs[nw] = ev;
        ResetEvent(ev);
        ready[i] = mp__os_poll_start(h[i], is_proc[i] == 2, &ov[nw]);
        count += ready[i] != 0;
        if (ready[i]) ov[nw].hEvent = NULL; /* done: nothing to wait for or cancel */
        nw++;
    }
    if (r == 0 && count == 0 && timeout > 0) {
        if (nw <= SMALL) {
            memcpy(ws, hs, (size_t)nw * sizeof *hs);
            nws = nw;
        } else if (!(stop = CreateEventW(NULL, TRUE, FALSE, NULL)))
            r = MP_ESYS;
        for (k = 0; stop && k * SMALL < nw; k++) {
            int m = nw - k * SMALL < SMALL ? nw - k * SMALL : SMALL;
            memcpy(grp[k].h, hs + k * SMALL, (size_t)m * sizeof *hs);
            grp[k].h[m] = stop;
            grp[k].n = (DWORD)m + 1;
            ws[nws] = CreateThread(NULL, 65536, mp__os_poll_group, &grp[k],
                                   STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
            if (!ws[nws]) {
                r = MP_ESYS;
                break;
            }
            nws++;
        }
        if (intr) ws[nws] = intr;
    }
    while (r == 0 && count == 0 && timeout > 0) { /* INFINITE is 49 days of ms: loop past it */
        double left = deadline - mp__os_now();
        DWORD w;
        if (left <= 0) break;
        mp__fetch_add(&mp__os_poll_sleeps, 1);
        if (nws == 0 && !intr) { /* nothing to wait for: the timeout */
            Sleep(mp__os_ms(left));
            continue;
        }
        w = WaitForMultipleObjects((DWORD)nws + (intr != NULL), ws, FALSE, mp__os_ms(left));
        if (w == WAIT_OBJECT_0 + (DWORD)nws && intr)
            r = MP_EINTERRUPTED;
        else if (w < WAIT_OBJECT_0 + (DWORD)nws)
            break;
        else if (w != WAIT_TIMEOUT)
            r = MP_ESYS;
    }
    if (stop) { /* the threads end, then their handles are ours again */
        SetEvent(stop);
        if (nws) WaitForMultipleObjects((DWORD)nws, ws, TRUE, INFINITE);
        for (k = 0; k < nws; k++) CloseHandle(ws[k]);
        CloseHandle(stop);
    }
    for (k = 0; k < nw; k++) { /* every read ends here; an empty message it took is kept */
        i = at[k];
        if (is_proc[i] == 1)
            ready[i] = WaitForSingleObject(hs[k], 0) == WAIT_OBJECT_0;
        else if (ov[k].hEvent)
            ready[i] = mp__os_poll_end(h[i], is_proc[i] == 2, &ov[k]);
        took |= ready[i] == 2;
        if (k >= MAXIMUM_WAIT_OBJECTS && is_proc[i] != 1) CloseHandle(hs[k]);
    }
    if (hs != hs_small) {
        MP_FREE(hs);
        MP_FREE(ov);
        MP_FREE(at);
        MP_FREE(grp);
    }
    for (i = count = 0; i < n; i++) count += ready[i] != 0;
    if (r == MP_ESYS && !took) return r;
    return r == MP_EINTERRUPTED && !took ? r : count;
}

MP__FN int mp__os_module_locate(void *fn, char *module, size_t cap, mp__u64 *offset) {
    HMODULE m = NULL;
    wchar_t path[MAX_PATH * 4];
    DWORD n;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)fn, &m))
        return MP_EMODULE;
    *offset = (mp__u64)((uintptr_t)fn - (uintptr_t)m);
    module[0] = 0;
    if (m == GetModuleHandleW(NULL)) return MP_OK;
    n = GetModuleFileNameW(m, path, (DWORD)(sizeof path / sizeof path[0]));
    if (!n || !WideCharToMultiByte(CP_UTF8, 0, path, -1, module, (int)cap, NULL, NULL))
        return MP_EMODULE;
    return MP_OK;
}
MP__FN void *mp__os_module_resolve(const char *module, mp__u64 offset) {
    HMODULE m;
    if (!module[0])
        m = GetModuleHandleW(NULL);
    else {
        wchar_t path[MAX_PATH * 4];
        if (!MultiByteToWideChar(CP_UTF8, 0, module, -1, path, (int)(sizeof path / sizeof path[0])))
            return NULL;
        m = GetModuleHandleW(path);
        if (!m) m = LoadLibraryW(path);
    }
    return m ? (void *)((uintptr_t)m + (uintptr_t)offset) : NULL;
}
/* Listener and Client (>>connection) over named pipes, as Python's PipeListener and
   PipeClient make them: message mode (a message is one write, no length on the wire),
   overlapped, unlimited instances; a new instance waits for the next client while one is
   handed out. Remote clients are refused (PIPE_REJECT_REMOTE_CLIENTS). */
#ifndef PIPE_REJECT_REMOTE_CLIENTS
#define PIPE_REJECT_REMOTE_CLIENTS 8
#endif
MP__FN void mp__os_default_address(char *buf, size_t cap) {
    unsigned char r[8];
    char *p;
    int i;
    mp__os_random(r, sizeof r);
    p = buf + snprintf(buf, cap, "\\\\.\\pipe\\mp-listener-");
    for (i = 0; i < 8; i++, p += 2) snprintf(p, 3, "%02x", r[i]);
}
MP__FN int mp__os_pipe_wname(const mp__addr *a, wchar_t *w) {
    return MultiByteToWideChar(CP_UTF8, 0, a->name, -1, w, 256) > 0 ? MP_OK : MP_EINVAL;
}
MP__FN int mp__os_pipe_instance(const mp__addr *a, int first, long long *h) {
    wchar_t w[256];
    HANDLE p;
    if (mp__os_pipe_wname(a, w) != MP_OK) return MP_EINVAL;
    p = CreateNamedPipeW(
        w, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, 8192, 8192, 0, NULL);
    if (p == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        return e == ERROR_ACCESS_DENIED || e == ERROR_PIPE_BUSY     ? MP_EEXIST
               : e == ERROR_INVALID_NAME || e == ERROR_BAD_PATHNAME ? MP_EINVAL
                                                                    : MP_ESYS;
    }
    *h = (long long)(uintptr_t)p;
    return MP_OK;
}
MP__FN int mp__os_listen(const mp__addr *a, long long *h, char *text, size_t cap) {
    int r;
    if (a->family == MP__AF_TCP) return mp__ws_listen(a, h, text, cap);
    if (a->family != MP__AF_PIPE) return MP_ENOSYS; /* Unix sockets: not on Windows */
    r = mp__os_pipe_instance(a, 1, h);
    if (r == MP_OK) snprintf(text, cap, "%s", a->name);
    return r;
}
MP__FN void mp__os_listen_close(const mp__addr *a, long long h) {
    (void)a;
    mp__os_close_handle(h);
}
/* Waits for an overlapped operation until the deadline; on timeout cancels it (what it did
   not do stays undone). MP_OK with *done, MP_ETIMEDOUT, MP_EOF, MP_ESYS. */
MP__FN int mp__os_ov_wait(HANDLE h, OVERLAPPED *ov, double timeout, DWORD *done) {
    DWORD w = WaitForSingleObject(ov->hEvent, timeout >= 1e9 ? INFINITE : mp__os_ms(timeout));
    if (w == WAIT_TIMEOUT) {
        CancelIoEx(h, ov);
        if (!GetOverlappedResult(h, ov, done, TRUE)) {
            DWORD e = GetLastError();
            if (e == ERROR_OPERATION_ABORTED) return MP_ETIMEDOUT;
            if (e == ERROR_MORE_DATA) return MP_OK;
            return mp__os_pipe_gone(e) ? MP_EOF : MP_ESYS;
        }
        return MP_OK; /* it completed meanwhile */
    }
    if (!GetOverlappedResult(h, ov, done, TRUE)) {
        DWORD e = GetLastError();
        if (e == ERROR_MORE_DATA) return MP_OK;
        return mp__os_pipe_gone(e) ? MP_EOF : MP_ESYS;
    }
    return MP_OK;
}
MP__FN int mp__os_accept(long long *lh, const mp__addr *a, double timeout, long long *h) {
    HANDLE p = (HANDLE)(uintptr_t)*lh;
    OVERLAPPED ov;
    DWORD done = 0;
    long long next = -1;
    int r = MP_OK;
    if (a->family == MP__AF_TCP) return mp__ws_accept(*lh, timeout, h);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = mp__os_io_event(); /* this thread's (an overlapped call resets it) */
    if (!ov.hEvent) return MP_ESYS;
    if (!ConnectNamedPipe(p, &ov)) {
        DWORD e = GetLastError();
        if (e == ERROR_IO_PENDING)
            r = mp__os_ov_wait(p, &ov, timeout, &done);
        else if (e == ERROR_NO_DATA) { /* a client came and went: this instance is spent */
            DisconnectNamedPipe(p);
            r = MP_ETIMEDOUT;
        } else if (e != ERROR_PIPE_CONNECTED)
            r = MP_ESYS;
    }
    if (r != MP_OK) return r == MP_EOF ? MP_ETIMEDOUT : r;
    r = mp__os_pipe_instance(a, 0, &next); /* the next client's instance */
    if (r != MP_OK) {
        DisconnectNamedPipe(p); /* keep listening on this one; this client is turned away */
        return r;
    }
    *h = *lh;
    *lh = next;
    return MP_OK;
}
MP__FN int mp__os_connect(const mp__addr *a, double timeout, long long *h) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    DWORD mode = PIPE_READMODE_MESSAGE;
    wchar_t w[256];
    HANDLE p;
    if (a->family == MP__AF_TCP) return mp__ws_connect(a, timeout, h);
    if (a->family != MP__AF_PIPE) return MP_ENOSYS;
    if (mp__os_pipe_wname(a, w) != MP_OK) return MP_EINVAL;
    for (;;) {
        DWORD e;
        double left;
        p = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                        FILE_FLAG_OVERLAPPED, NULL);
        if (p != INVALID_HANDLE_VALUE) break;
        e = GetLastError();
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) return MP_ENOENT;
        if (e != ERROR_PIPE_BUSY) return MP_ESYS;
        left = deadline - mp__os_now(); /* every instance is taken: wait for a free one */
        if (left <= 0) return MP_ETIMEDOUT;
        WaitNamedPipeW(w, left > 1 ? 1000 : mp__os_ms(left) + 1);
    }
    if (!SetNamedPipeHandleState(p, &mode, NULL, NULL)) {
        CloseHandle(p);
        return MP_ESYS;
    }
    *h = (long long)(uintptr_t)p;
    return MP_OK;
}
/* A message of a message-mode pipe: one write (0 bytes is a message too). */
MP__FN int mp__os_msg_send(long long h, const void *data, size_t size) {
    HANDLE ev = mp__os_io_event();
    DWORD done = 0;
    int r;
    if (!ev) return MP_ESYS;
    r = mp__os_io((HANDLE)(uintptr_t)h, ev, 1, (void *)(uintptr_t)data, (DWORD)size, &done);
    return r == MP_OK && done != size ? MP_ESYS : r;
}
/* The start of the next message, up to cap bytes: *got of them, and *left more to come.
   MP_OK, MP_ETIMEDOUT (nothing taken), MP_EOF, MP_ESYS. */
MP__FN int mp__os_msg_recv(long long h, void *buf, size_t cap, size_t *got, mp__u64 *left,
                           double timeout) {
    HANDLE p = (HANDLE)(uintptr_t)h;
    OVERLAPPED ov;
    DWORD done = 0, more = 0;
    int r = MP_OK;
    *got = 0;
    *left = 0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = mp__os_io_event();
    if (!ov.hEvent) return MP_ESYS;
    if (!ReadFile(p, buf, (DWORD)cap, NULL, &ov)) {
        DWORD e = GetLastError();
        if (e == ERROR_IO_PENDING)
            r = mp__os_ov_wait(p, &ov, timeout, &done);
        else if (e != ERROR_MORE_DATA)
            r = mp__os_pipe_gone(e) ? MP_EOF : MP_ESYS;
    }
    /* the read is over: the message is longer than cap if it says ERROR_MORE_DATA */
    if (r == MP_OK && !GetOverlappedResult(p, &ov, &done, FALSE) &&
        GetLastError() == ERROR_MORE_DATA && PeekNamedPipe(p, NULL, 0, NULL, NULL, &more))
        *left = more;
    if (r != MP_OK) return r;
    *got = done;
    return MP_OK;
}

/* Named shared memory (>>shm): a named file mapping backed by the paging file, as Python's
   _winapi.CreateFileMapping; it lives while a handle or a view of it is open. */
MP__FN const char *mp__os_shm_prefix(void) {
    return "wnsm_";
}
MP__FN int mp__os_shm_wname(const char *name, wchar_t *w, int cap) {
    return MultiByteToWideChar(CP_UTF8, 0, name, -1, w, cap) > 0 ? MP_OK : MP_EINVAL;
}
MP__FN int mp__os_shm_open(const char *name, int create, size_t *size, void **buf, long long *h) {
    wchar_t w[MP_SHM_NAME_MAX];
    MEMORY_BASIC_INFORMATION mi;
    HANDLE m;
    void *p;
    if (mp__os_shm_wname(name, w, MP_SHM_NAME_MAX) != MP_OK) return MP_EINVAL;
    if (create) {
        m = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                               (DWORD)((mp__u64)*size >> 32), (DWORD)*size, w);
        if (m && GetLastError() == ERROR_ALREADY_EXISTS) {
            CloseHandle(m);
            return MP_EEXIST;
        }
        if (!m) return GetLastError() == ERROR_ACCESS_DENIED ? MP_EEXIST : MP_ENOMEM;
    } else {
        m = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, w);
        if (!m) return GetLastError() == ERROR_FILE_NOT_FOUND ? MP_ENOENT : MP_ESYS;
    }
    p = MapViewOfFile(m, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
    if (!p || !VirtualQuery(p, &mi, sizeof mi)) {
        if (p) UnmapViewOfFile(p);
        CloseHandle(m);
        return MP_ENOMEM;
    }
    if (!create) *size = (size_t)mi.RegionSize; /* rounded up to pages, as Python reports */
    *buf = p;
    *h = (long long)(uintptr_t)m;
    return MP_OK;
}
MP__FN void mp__os_shm_close(void *buf, size_t size, long long h) {
    (void)size;
    UnmapViewOfFile(buf);
    CloseHandle((HANDLE)(uintptr_t)h);
}
MP__FN int mp__os_shm_unlink(const char *name) {
    (void)name; /* a mapping goes with its last handle (Python's unlink does nothing here) */
    return MP_OK;
}
/* Forkserver: POSIX only (it forks). */
#define MP__OS_FORKSERVER 0
MP__FN int mp__os_fs_request(long long sock, mp__u64 boot_off, const mp__pass *pass, int npass,
                             long long *status) {
    (void)sock, (void)boot_off, (void)pass, (void)npass, (void)status;
    return MP_ENOSYS;
}
MP__FN void mp__os_fs_note(long long h, int kind, int code, long pid) {
    (void)h, (void)kind, (void)code, (void)pid;
}
MP__FN int mp__os_fs_serve(long long sock, mp__fs_job *job) {
    (void)sock, (void)job;
    return MP_ENOSYS;
}
MP__FN long long mp__os_proc_open(long pid) {
    HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, (DWORD)pid);
    return h ? (long long)(uintptr_t)h : -1;
}
MP__FN int mp__os_thread_count(void) {
    DWORD me = GetCurrentProcessId();
    THREADENTRY32 te;
    int n = 0;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE) return MP_ENOSYS;
    te.dwSize = sizeof te;
    if (Thread32First(snap, &te)) {
        do {
            if (te.th32OwnerProcessID == me) n++;
        } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
    return n > 0 ? n : MP_ENOSYS;
}

#endif /* >>os end */

/* ======================================================================================== */
/* >>wait: sleeping on a word, with the waiter count that lets wakers skip the kernel       */
/* ======================================================================================== */
MP__FN int mp__wait(mp__word *w, mp__u32 expect, double timeout) {
    int r;
    mp__fetch_add(&w->waiters, 1);
    r = mp__os_wait(&w->value, expect, timeout);
    mp__fetch_add(&w->waiters, (mp__u32)-1);
    return r;
}
/* The same for the waits of the API: mp_interrupt ends it with MP_EINTERRUPTED. */
MP__FN int mp__wait_intr(mp__word *w, mp__u32 expect, double timeout) {
    int r;
    mp__fetch_add(&w->waiters, 1);
    r = mp__os_wait_intr(&w->value, expect, timeout);
    mp__fetch_add(&w->waiters, (mp__u32)-1);
    return r;
}
/* The same for a word that processes are waited for with (mp__os_wait_owner: MP_EOWNERDEAD
   when one ends, MP_ETIMEDOUT when the time or a slice of it passed). */
MP__FN int mp__wait_owner(mp__word *w, mp__u32 expect, double timeout, double slice,
                          const mp__u32 owner[2], int intr) {
    int r;
    mp__fetch_add(&w->waiters, 1);
    r = mp__os_wait_owner(&w->value, expect, timeout, slice, owner, intr, 0);
    mp__fetch_add(&w->waiters, (mp__u32)-1);
    return r;
}
MP__FN void mp__wake(mp__word *w, mp__u32 n) {
    mp__u32 k = mp__load(&w->waiters);
    if (k) mp__os_wake(&w->value, n < k ? n : k);
}

/* ======================================================================================== */
/* >>interrupt: mp_interrupt, the C twin of KeyboardInterrupt reaching a blocked call       */
/* ======================================================================================== */
MPDEF void mp_interrupt(void) {
    mp__os_interrupt();
}
MPDEF void mp_interrupt_clear(void) {
    mp__os_interrupt_clear();
}
MPDEF int mp_interrupted(void) {
    return mp__os_interrupted();
}

/* ======================================================================================== */
/* >>mutex: a process-shared lock that survives its owner's death                           */
/* The word holds the owner's pid, so ownership and identity change in one atomic step.     */
/* On Linux the lock sits in the kernel's robust list of its owner's main thread (see       */
/* mp__os_robust_init): when the owner dies, the kernel marks the word FUTEX_OWNER_DIED and  */
/* wakes a waiter at once, who takes the lock and reports MP_EOWNERDEAD. Elsewhere, and     */
/* (with several threads) for the few instructions between taking the word and linking it, */
/* a waiter that has slept a while checks that the owner still lives.                       */
/* ======================================================================================== */
typedef struct mp__mutex {
    mp__word w;
    void *volatile node[4];   /* the robust list's node, where the C library's offset puts it */
    volatile mp__u32 covered; /* the owner, while its robust list holds the lock; else 0 */
    mp__u32 pad;
} mp__mutex;
typedef char mp__mutex_fits[sizeof(mp__mutex) >= MP__RL_ROOM ? 1 : -1];

/* The bits of the kernel's robust futex ABI. FUTEX_WAITERS says that someone may sleep on
   the lock: only then does unlock wake. An owner that takes the lock again at once leaves
   the bit clear, so a contended lock costs one wake per sleeper, not one per unlock (the
   protocol of glibc's mutex). FUTEX_OWNER_DIED: the kernel's word that the owner died. */
#define MP__CONTENDED  0x80000000u
#define MP__OWNER_DIED 0x40000000u
#define MP__OWNER(v)   ((v)&0x3fffffffu)
/* mp_interrupt ends a sleeper's wait by flipping a bit in a held lock's word (the sleeper's
   comparison fails: mp__os_wait_kick): FUTEX_OWNER_DIED, which says nothing while the word
   names an owner. The kernel only looks at the owner's id and keeps the waiters' bit; an
   unlock or a taking clears it. */
#define MP__KICK MP__OWNER_DIED
MP__HOT int mp__mutex_owned(mp__mutex *m) {
    return MP__OWNER(mp__load(&m->w.value)) == (mp__u32)mp__g.pid;
}
/* After the word is ours: its node joins the robust list, and the lock says so (covered). A
   waiter that sees its owner there sleeps with no timer: the owner's death wakes it (the
   kernel's robust list), and each timed sleep costs a timer that the kernel arms and cancels
   (measured in a VM, 2 processes x counter++ under a lock taken without mp_interrupt, as the
   arena's and the queues' are: 14.4-15.3 -> 18.9-20.0 M ops/s; a raw robust pthread mutex,
   which sleeps with no timer, 16.9-17.3). Without the list (another system, a thread that is
   not the first, MP_PORTABLE), the waiter looks now and then. */
MP__HOT void mp__mutex_took(mp__mutex *m) {
    mp__os_robust_link(&m->w.value);
    m->covered = mp__os_robust_covers() ? (mp__u32)mp__g.pid : 0;
}
/* Before the word is released: no longer covered, then out of the list. */
MP__HOT void mp__mutex_leaving(mp__mutex *m) {
    m->covered = 0;
    mp__os_robust_unlink(&m->w.value);
}
/* intr: a wait of the API, that mp_interrupt ends (MP_EINTERRUPTED). */
MP__FN int mp__mutex_wait(mp__mutex *m, double timeout, int intr) {
    mp__u32 me = (mp__u32)mp__g.pid, owner[2] = {0, 0};
    double deadline = 0, slice = 0.01;
    /* No spinning: measured, a waiter that sleeps at once leaves the owner the cache line
       and gives more throughput, between processes on few cores. */
    if (timeout < 1e9) deadline = mp__os_now() + timeout;
    for (;;) {
        mp__u32 v = mp__load(&m->w.value);
        double left = timeout < 1e9 ? deadline - mp__os_now() : 1e9;
        int r;
        if (MP__OWNER(v) == 0) { /* free, or its owner died (the kernel said so) */
            /* taken after a sleep: others may sleep too, so keep the bit */
            if (!mp__cas(&m->w.value, v, me | MP__CONTENDED)) continue;
            mp__mutex_took(m);
            return v & MP__OWNER_DIED ? MP_EOWNERDEAD : MP_OK;
        }
        if (left <= 0) { /* a poll too must notice a dead owner, or it never would */
            if (MP__OWNER(v) != me && !mp__os_pid_alive((long)MP__OWNER(v)) &&
                mp__cas(&m->w.value, v, me | (v & MP__CONTENDED))) {
                mp__mutex_took(m);
                return MP_EOWNERDEAD;
            }
            mp__os_robust_pending(NULL);
            return MP_ETIMEDOUT;
        }
        if (!(v & MP__CONTENDED)) {
            if (!mp__cas(&m->w.value, v, v | MP__CONTENDED)) continue;
            v |= MP__CONTENDED;
        }
        /* the bit, not a waiter count, tells unlock to wake: sleep on the word directly,
           and on the owner's end (at once where the system can wait for a process) */
        owner[0] = MP__OWNER(v) != me ? MP__OWNER(v) : 0;
        r = mp__os_wait_owner(&m->w.value, v, left,
                              owner[0] && mp__load(&m->covered) == owner[0] ? left : slice, owner,
                              intr, MP__KICK);
        if (r == MP_EINTERRUPTED) {
            mp__os_robust_pending(NULL);
            mp__os_wake(&m->w.value, 1); /* a wake we may have taken goes to another */
            return r;
        }
        if (r == MP_EOWNERDEAD && mp__cas(&m->w.value, v, me | MP__CONTENDED)) {
            mp__mutex_took(m);
            return MP_EOWNERDEAD;
        }
        if (r == MP_ETIMEDOUT && slice < 0.1) slice *= 2;
    }
}
MP__HOT int mp__mutex_lock2(mp__mutex *m, double timeout, int intr) {
    mp__os_robust_pending(&m->w.value); /* cleared by the link, or on giving up */
    if (mp__cas(&m->w.value, 0, (mp__u32)mp__g.pid)) {
        mp__mutex_took(m);
        return MP_OK;
    }
    return mp__mutex_wait(m, timeout, intr);
}
MP__FN int mp__mutex_lock(mp__mutex *m, double timeout) {
    return mp__mutex_lock2(m, timeout, 0);
}
/* One try, no wait: 1 if the lock is now ours (linked in the robust list like any other). */
MP__HOT int mp__mutex_trylock(mp__mutex *m) {
    if (mp__load(&m->w.value) != 0) return 0;
    mp__os_robust_pending(&m->w.value);
    if (mp__cas(&m->w.value, 0, (mp__u32)mp__g.pid)) {
        mp__mutex_took(m);
        return 1;
    }
    mp__os_robust_pending(NULL);
    return 0;
}
MP__HOT int mp__mutex_unlock(mp__mutex *m) {
    mp__u32 v;
    if (!mp__mutex_owned(m)) return MP_ENOTOWNER;
    mp__os_robust_pending(&m->w.value);
    mp__mutex_leaving(m);
    v = mp__xchg(&m->w.value, 0);
    mp__os_robust_pending(NULL);
    if (v & MP__CONTENDED) mp__os_wake(&m->w.value, 1);
    return MP_OK;
}
/* Held by anyone (a dead owner's lock counts as held until someone takes it back). */
MP__FN int mp__mutex_held(mp__mutex *m) {
    return MP__OWNER(mp__load(&m->w.value)) != 0;
}

/* The type tag that every object in the arena starts with (>>sync: mp__obj_check). */
enum {
    MP__T_LOCK = 0x4c4f434bu,
    MP__T_SEM = 0x53454d41u,
    MP__T_EVENT = 0x45564e54u,
    MP__T_COND = 0x434f4e44u,
    MP__T_BARRIER = 0x42415252u,
    MP__T_VALUE = 0x56414c55u,
    MP__T_QUEUE = 0x51554555u,
    MP__T_POOL = 0x504f4f4cu,
    MP__T_CONN = 0x434f4e4eu,
    MP__T_DEAD = 0x44454144u
};

/* ======================================================================================== */
/* >>arena: the family's shared memory and its allocator                                    */
/* A TLSF heap (two-level segregated fit, Masmano et al. 2004) of boundary-tagged blocks.   */
/* Why: alloc and free are O(1) (two bitmaps find the list; a block finds its neighbours by */
/* its size and its prev size, so free coalesces at once and nothing walks the heap), and   */
/* its good fit wastes at most 1/16 of a block for any size from a word to a 512 MiB ring,  */
/* where power-of-two classes (or buddies) lose up to half and keep freed memory to one     */
/* size.                                                                                    */
/* Crash consistency: the truth is the chain of block headers, walked by size from the     */
/* first block to the end sentinel; the lists and bitmaps are only an index over it. Every  */
/* store goes through a volatile word, in an order that keeps the chain whole after any     */
/* prefix: a header is written in full before the one store (a size word) that links it    */
/* in, a block is marked free before it is merged, and a merge is the one store that makes  */
/* the lower block cover the upper. A process that dies holding the lock leaves             */
/* MP_EOWNERDEAD to the next, which rebuilds the index and the prev sizes from the chain    */
/* (merging free neighbours): all that is lost is a block the dead process had taken and    */
/* not yet returned. Shared memory is input: each offset and size read from it is checked   */
/* against this process's own bounds before use; an inconsistency rebuilds the index the    */
/* same way, and a header the walk cannot pass ends the chain there (the rest of the heap   */
/* is kept out of use). So: no pointer outside the heap, no walk without a bound, no crash. */
/* ======================================================================================== */
#define MP__ARENA_MAGIC 0x6d70617265u /* "mpare" */
#define MP__HEAP_SL_LOG 4             /* 16 lists per power of two: at most 1/16 wasted */
#define MP__HEAP_SL     (1u << MP__HEAP_SL_LOG)
#define MP__HEAP_FL     28          /* classes of up to 2^31 units */
#define MP__HEAP_USED   0x80000000u /* in a block's size word: handed out */
#define MP__HEAP_UNITS  0x7ffffff0u /* a heap manages at most this many 16-byte units */
#define MP__HEAP_SCAN   16          /* blocks looked at in the request's own list, at most */
#define MP__GROUP       0x80000000u /* in a block's spare word: | the offset of its group's head */
#define MP__GROUP_HEAD  1u          /* to mp__heap_alloc2: the block heads a group of its own */

/* The arena (or a test's heap) starts with this header. Offsets and sizes count 16-byte
   units: every payload is 16-byte aligned, and 32-bit words cover a 32 GiB heap. */
typedef struct mp__arena_hdr {
    mp__u64 magic;
    mp__u64 size;
    mp__mutex lock;
    volatile mp__u32 clean;    /* nothing from this unit up was ever written: it is zero */
    volatile mp__u32 rebuilds; /* how often the index was rebuilt (a dead owner, corruption) */
    volatile mp__u32 fl_map;   /* bit f: a list of class f is not empty */
    volatile mp__u32 sl_map[MP__HEAP_FL];
    volatile mp__u32 head[MP__HEAP_FL][MP__HEAP_SL]; /* the first free block of each list */
} mp__arena_hdr;

/* 16 bytes before every payload, and a free block's list links in payload words 2 and 3
   (words 0 and 1 stay as they were: a freed object keeps its MP__T_DEAD tag). */
typedef struct mp__blk {
    volatile mp__u32 tag;  /* mp__heap_tag(offset): a header lives here */
    volatile mp__u32 size; /* units, the header included; | MP__HEAP_USED */
    volatile mp__u32 prev; /* units of the block just below (0 below the first) */
    volatile mp__u32 spare;
    volatile mp__u32 user[2];
    volatile mp__u32 fnext, fprev; /* while free: the list's next and previous blocks */
} mp__blk;

/* A process's view of a heap: its own base and bounds, never read from shared memory. */
typedef struct mp__heap {
    char *base;
    mp__u32 first, end; /* the first block, the end sentinel (a header of size 0, used) */
} mp__heap;

/* Tests: called before every store to a heap's state, to see what a process killed there
   would leave behind. */
static void (*mp__heap_hook)(const mp__heap *v);

MP__FN int mp__heap_view(mp__heap *v, char *base, size_t size) {
    size_t units = size / 16;
    if (units > MP__HEAP_UNITS) units = MP__HEAP_UNITS;
    v->base = base;
    v->first = (mp__u32)((sizeof(mp__arena_hdr) + 15) / 16);
    v->end = units ? (mp__u32)units - 1 : 0;
    return base && ((uintptr_t)base & 15) == 0 && units >= (size_t)v->first + 3;
}
MP__FN mp__arena_hdr *mp__heap_hdr(const mp__heap *v) {
    return (mp__arena_hdr *)(void *)v->base;
}
MP__FN mp__blk *mp__heap_at(const mp__heap *v, mp__u32 off) {
    return (mp__blk *)(void *)(v->base + (size_t)off * 16);
}
MP__FN mp__u32 mp__heap_tag(mp__u32 off) {
    mp__u32 x = off * 0x9e3779b1u;
    return (x ^ (x >> 15) ^ 0x6d70626bu) | 1u; /* never 0: zeroed memory holds no header */
}
MP__FN void mp__heap_set(const mp__heap *v, volatile mp__u32 *p, mp__u32 x) {
    if (mp__heap_hook) mp__heap_hook(v);
    *p = x;
}
MP__FN unsigned mp__msb(mp__u32 x) {
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__)
    return 31u - (unsigned)__builtin_clz(x);
#else
    unsigned r = 0;
    if (x >> 16) x >>= 16, r += 16;
    if (x >> 8) x >>= 8, r += 8;
    if (x >> 4) x >>= 4, r += 4;
    if (x >> 2) x >>= 2, r += 2;
    return r + (x >> 1);
#endif
}
MP__FN unsigned mp__lsb(mp__u32 x) {
    return mp__msb(x & (0u - x));
}
/* The list of a free block of n units: one per size below 16 units, then 16 per power of 2. */
MP__FN void mp__heap_class(mp__u32 n, unsigned *fl, unsigned *sl) {
    unsigned m;
    if (n < MP__HEAP_SL) {
        *fl = 0;
        *sl = n;
        return;
    }
    m = mp__msb(n);
    *fl = m - MP__HEAP_SL_LOG + 1;
    *sl = (unsigned)(n >> (m - MP__HEAP_SL_LOG)) - MP__HEAP_SL;
}
/* The size word of the block at off if a plausible header lives there (its tag, a size that
   fits before the end), else 0. Read once: the caller uses this copy, not the shared word. */
MP__FN mp__u32 mp__heap_size(const mp__heap *v, mp__u32 off) {
    mp__blk *b;
    mp__u32 s, n;
    if (off < v->first || off >= v->end) return 0;
    b = mp__heap_at(v, off);
    s = b->size;
    n = s & ~MP__HEAP_USED;
    return b->tag == mp__heap_tag(off) && n >= 1 && n <= v->end - off ? s : 0;
}
MP__FN int mp__heap_is_free(const mp__heap *v, mp__u32 off) {
    mp__u32 s = mp__heap_size(v, off);
    return s >= 2 && !(s & MP__HEAP_USED);
}
/* The size word of the block after the one at off (n units) if its prev size agrees; the end
   sentinel reads as used, size 0. 0: the chain is broken here. */
MP__FN mp__u32 mp__heap_next(const mp__heap *v, mp__u32 off, mp__u32 n) {
    mp__u32 at = off + n, s;
    if (at == v->end) {
        mp__blk *e = mp__heap_at(v, at);
        return e->tag == mp__heap_tag(at) && e->size == MP__HEAP_USED && e->prev == n
                   ? MP__HEAP_USED
                   : 0;
    }
    s = mp__heap_size(v, at);
    return s && mp__heap_at(v, at)->prev == n ? s : 0;
}
MP__FN void mp__heap_insert(const mp__heap *v, mp__u32 off, mp__u32 n, int *bad) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    mp__blk *b = mp__heap_at(v, off);
    unsigned fl, sl;
    mp__u32 first;
    mp__heap_class(n, &fl, &sl);
    first = h->head[fl][sl];
    if (first && (first == off || !mp__heap_is_free(v, first))) {
        *bad = 1; /* the rest of that list is dropped; the rebuild finds its blocks */
        first = 0;
    }
    mp__heap_set(v, &b->fnext, first);
    mp__heap_set(v, &b->fprev, 0);
    if (first) mp__heap_set(v, &mp__heap_at(v, first)->fprev, off);
    mp__heap_set(v, &h->head[fl][sl], off);
    if (!first) {
        mp__heap_set(v, &h->sl_map[fl], h->sl_map[fl] | 1u << sl);
        mp__heap_set(v, &h->fl_map, h->fl_map | 1u << fl);
    }
}
/* Takes the free block at off (n units) out of its list; 0 if the links do not agree. */
MP__FN int mp__heap_unlink(const mp__heap *v, mp__u32 off, mp__u32 n) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    mp__blk *b = mp__heap_at(v, off);
    mp__u32 nx = b->fnext, pv = b->fprev;
    unsigned fl, sl;
    mp__heap_class(n, &fl, &sl);
    if (nx && (nx == off || !mp__heap_is_free(v, nx) || mp__heap_at(v, nx)->fprev != off)) return 0;
    if (pv ? pv == off || !mp__heap_is_free(v, pv) || mp__heap_at(v, pv)->fnext != off
           : h->head[fl][sl] != off)
        return 0;
    if (pv)
        mp__heap_set(v, &mp__heap_at(v, pv)->fnext, nx);
    else
        mp__heap_set(v, &h->head[fl][sl], nx);
    if (nx) mp__heap_set(v, &mp__heap_at(v, nx)->fprev, pv);
    if (!h->head[fl][sl]) {
        mp__heap_set(v, &h->sl_map[fl], h->sl_map[fl] & ~(1u << sl));
        if (!(h->sl_map[fl] & 0xffffu)) mp__heap_set(v, &h->fl_map, h->fl_map & ~(1u << fl));
    }
    return 1;
}
/* A listed block of at least want units: the head of the first non-empty list all of whose
   blocks fit (O(1)), else a fitting one among the first few of want's own list (so that
   the largest block can be had whole). 0: none, or *bad when the index disagrees. */
MP__FN mp__u32 mp__heap_find(const mp__heap *v, mp__u32 want, int *bad) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    mp__u32 r = want, smap, fmap, off;
    unsigned fl, sl, i;
    if (r >= MP__HEAP_SL) r += (1u << (mp__msb(r) - MP__HEAP_SL_LOG)) - 1;
    if (r < 0x80000000u) {
        mp__heap_class(r, &fl, &sl);
        smap = h->sl_map[fl] & 0xffffu & (~0u << sl);
        if (!smap) {
            fmap = h->fl_map & ((1u << MP__HEAP_FL) - 1) & (~0u << (fl + 1));
            if (fmap) {
                fl = mp__lsb(fmap);
                smap = h->sl_map[fl] & 0xffffu;
                if (!smap) *bad = 1;
            }
        }
        if (smap) {
            off = h->head[fl][mp__lsb(smap)];
            if (off) return off;
            *bad = 1;
        }
    }
    mp__heap_class(want, &fl, &sl);
    off = h->head[fl][sl];
    for (i = 0; off && i < MP__HEAP_SCAN; i++) {
        mp__u32 s = mp__heap_size(v, off);
        if (s < 2 || (s & MP__HEAP_USED)) {
            *bad = 1;
            return 0;
        }
        if (s >= want) return off;
        off = mp__heap_at(v, off)->fnext;
    }
    return 0;
}
/* The index (lists, bitmaps, prev sizes) rebuilt from the chain, free neighbours merged:
   after a dead owner or any inconsistency. Itself crash-safe: it can be run again. */
MP__FN void mp__heap_rebuild(const mp__heap *v) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    mp__u32 off = v->first, below = 0, run = 0, run_n = 0;
    mp__blk *e = mp__heap_at(v, v->end);
    unsigned i, j;
    int bad = 0;
    mp__heap_set(v, &h->rebuilds, h->rebuilds + 1);
    mp__heap_set(v, &h->fl_map, 0);
    for (i = 0; i < MP__HEAP_FL; i++) {
        mp__heap_set(v, &h->sl_map[i], 0);
        for (j = 0; j < MP__HEAP_SL; j++)
            if (h->head[i][j]) mp__heap_set(v, &h->head[i][j], 0);
    }
    while (off < v->end) {
        mp__blk *b = mp__heap_at(v, off);
        mp__u32 s = mp__heap_size(v, off), n;
        if (!s) { /* the walk cannot pass this header: the rest stays out of use */
            s = (v->end - off) | MP__HEAP_USED;
            mp__heap_set(v, &b->tag, mp__heap_tag(off));
            mp__heap_set(v, &b->spare, 0);
            mp__heap_set(v, &b->size, s);
        }
        n = s & ~MP__HEAP_USED;
        if (b->prev != below) mp__heap_set(v, &b->prev, below);
        if (!(s & MP__HEAP_USED) && run) { /* free after free: one block */
            run_n += n;
            mp__heap_set(v, &mp__heap_at(v, run)->size, run_n);
            below = run_n;
        } else if (!(s & MP__HEAP_USED) && n >= 2) {
            run = off;
            run_n = below = n;
        } else {
            if (!(s & MP__HEAP_USED)) mp__heap_set(v, &b->size, s | MP__HEAP_USED); /* 1 unit */
            if (run) mp__heap_insert(v, run, run_n, &bad);
            run = 0;
            below = n;
        }
        off += n;
    }
    if (run) mp__heap_insert(v, run, run_n, &bad);
    mp__heap_set(v, &e->tag, mp__heap_tag(v->end));
    mp__heap_set(v, &e->size, MP__HEAP_USED);
    mp__heap_set(v, &e->prev, below);
    if (h->clean > v->end) mp__heap_set(v, &h->clean, v->end);
}
MP__FN void mp__heap_lock(const mp__heap *v) {
    /* The owner died inside: whatever it left half done is repaired from the chain. */
    if (mp__mutex_lock(&mp__heap_hdr(v)->lock, MP_FOREVER) == MP_EOWNERDEAD) mp__heap_rebuild(v);
}
MP__FN void mp__heap_unlock(const mp__heap *v) {
    (void)mp__mutex_unlock(&mp__heap_hdr(v)->lock);
}
/* A heap over zeroed memory: one free block from the header to the end sentinel. */
MP__FN int mp__heap_init(mp__heap *v, char *base, size_t size) {
    mp__arena_hdr *h = (mp__arena_hdr *)(void *)base;
    mp__blk *b, *e;
    int bad = 0;
    if (!mp__heap_view(v, base, size)) return MP_EINVAL;
    b = mp__heap_at(v, v->first);
    e = mp__heap_at(v, v->end);
    memset((void *)h, 0, sizeof *h);
    h->size = size;
    h->clean = v->first + 2;
    b->tag = mp__heap_tag(v->first);
    b->size = v->end - v->first;
    e->tag = mp__heap_tag(v->end);
    e->size = MP__HEAP_USED;
    e->prev = v->end - v->first;
    mp__heap_insert(v, v->first, v->end - v->first, &bad);
    h->magic = MP__ARENA_MAGIC;
    return MP_OK;
}
/* n bytes, zeroed (only below the clean mark: the rest was never written), 16-byte aligned.
   to (or NULL): a word of shared memory that gets the block under the heap's lock, so that a
   process killed once it has the block leaves it where a survivor finds it (a block kept
   only in a dead process's registers is lost); zero: 0 for a block the caller fills; group:
   the block's group word (mp__arena_reap): 0, a head's, or MP__GROUP_HEAD to head one. */
MP__FN void *mp__heap_alloc2(const mp__heap *v, size_t n, void *volatile *to, int zero_it,
                             mp__u32 group) {
    mp__arena_hdr *h = mp__heap_hdr(v);
    mp__u32 want, off = 0, s = 0, clean = 0;
    size_t at, zero;
    int round, bad = 0;
    if (n > (size_t)(v->end - v->first) * 16) return NULL;
    want = (mp__u32)((n + 31) / 16); /* the header and the payload, in units */
    if (want < 2) want = 2;
    if (want > v->end - v->first) return NULL;
    mp__heap_lock(v);
    for (round = 0; round < 2 && !off; round++) {
        bad = 0;
        off = mp__heap_find(v, want, &bad);
        if (off) {
            s = mp__heap_size(v, off);
            if (s < want || (s & MP__HEAP_USED) || !mp__heap_next(v, off, s) ||
                !mp__heap_unlink(v, off, s)) {
                bad = 1;
                off = 0;
            }
        }
        if (off) {
            mp__blk *b = mp__heap_at(v, off), *after = mp__heap_at(v, off + s);
            clean = h->clean;
            if (clean > v->end) clean = v->end;
            if (s - want >= 2) { /* split: the rest becomes a block before b shrinks onto it */
                mp__u32 rest = off + want;
                mp__blk *r = mp__heap_at(v, rest);
                if (clean < rest + 2) mp__heap_set(v, &h->clean, rest + 2);
                mp__heap_set(v, &r->tag, mp__heap_tag(rest));
                mp__heap_set(v, &r->size, s - want);
                mp__heap_set(v, &r->prev, want);
                mp__heap_set(v, &r->spare, 0);
                mp__heap_set(v, &after->prev, s - want);
                mp__heap_set(v, &b->size, want | MP__HEAP_USED);
                mp__heap_insert(v, rest, s - want, &bad);
            } else {
                if (clean < off + s) mp__heap_set(v, &h->clean, off + s);
                mp__heap_set(v, &b->size, s | MP__HEAP_USED);
            }
            /* every block says its group, if only that it has none: a block's header keeps
               the word of an earlier block that began there */
            mp__heap_set(v, &b->spare, group == MP__GROUP_HEAD ? MP__GROUP | off : group);
        }
        if (bad) mp__heap_rebuild(v);
        if (!off && !bad) break;
    }
    if (off && to) *to = v->base + ((size_t)off + 1) * 16;
    mp__heap_unlock(v);
    if (!off) return NULL;
    at = ((size_t)off + 1) * 16;
    zero = at < (size_t)clean * 16 && zero_it ? (size_t)clean * 16 - at : 0;
    memset(v->base + at, 0, zero < n ? zero : n);
    return v->base + at;
}
MP__FN void *mp__heap_alloc(const mp__heap *v, size_t n) {
    return mp__heap_alloc2(v, n, NULL, 1, 0);
}
/* Frees a block and merges it with its free neighbours. Anything that is not a used block
   of this heap (NULL, elsewhere, misaligned, inside a block, freed already) is ignored. */
MP__FN void mp__heap_free_locked(const mp__heap *v, void *p) {
    uintptr_t at = (uintptr_t)p - (uintptr_t)v->base;
    mp__u32 off, s, n, next, below, ps = 0;
    int round, bad = 0;
    if (!p || (uintptr_t)p < (uintptr_t)v->base || (at & 15) || at / 16 <= v->first ||
        at / 16 > v->end)
        return;
    off = (mp__u32)(at / 16) - 1;
    for (round = 0; round < 2; round++) {
        mp__blk *b = mp__heap_at(v, off), *after;
        s = mp__heap_size(v, off);
        if (!(s & MP__HEAP_USED)) break; /* not a block, or a free one */
        n = s & ~MP__HEAP_USED;
        next = mp__heap_next(v, off, n);
        below = b->prev;
        if (below ? below > off - v->first ||
                        ((ps = mp__heap_size(v, off - below)) & ~MP__HEAP_USED) != below
                  : off != v->first)
            next = 0;
        if (!next) { /* the neighbours disagree: rebuild, then look again */
            mp__heap_rebuild(v);
            continue;
        }
        mp__heap_set(v, &b->size, n); /* free from here on, though not listed yet */
        after = mp__heap_at(v, off + n);
        if (!(next & MP__HEAP_USED)) {
            if (mp__heap_next(v, off + n, next) && mp__heap_unlink(v, off + n, next)) {
                n += next;
                mp__heap_set(v, &b->size, n);
                after = mp__heap_at(v, off + n);
                mp__heap_set(v, &after->prev, n);
            } else
                bad = 1;
        }
        if (below && !(ps & MP__HEAP_USED)) {
            if (ps >= 2 && mp__heap_unlink(v, off - below, below)) {
                off -= below;
                n += below;
                mp__heap_set(v, &mp__heap_at(v, off)->size, n);
                mp__heap_set(v, &after->prev, n);
            } else
                bad = 1;
        }
        mp__heap_insert(v, off, n, &bad);
        if (bad) mp__heap_rebuild(v);
        break;
    }
}
MP__FN void mp__heap_free(const mp__heap *v, void *p) {
    mp__heap_lock(v);
    mp__heap_free_locked(v, p);
    mp__heap_unlock(v);
}

/* Groups: blocks that end together. A block may head a group (its header's spare word holds
   MP__GROUP | its own offset) or belong to one (the head's word). When whoever owns a group
   has died (a pool whose process and workers were killed: nobody else can reach its blocks),
   mp__arena_reap frees the head and every member: a family that kills a pool's process again
   and again keeps its arena. Heads are recognised by their word and then by the caller's
   dead(), which reads the head's bytes as input. */
MP__FN mp__u32 mp__heap_group_of(const mp__heap *v, const void *head) {
    uintptr_t at = (uintptr_t)head - (uintptr_t)v->base;
    if (!head || (at & 15) || at / 16 <= v->first || at / 16 > v->end) return 0;
    return MP__GROUP | (mp__u32)(at / 16 - 1);
}
/* Calls dead(head's bytes, their size) for each group's head, under the heap's lock (dead
   must not allocate), and frees the groups it says are dead; each freed block's first word
   becomes dead_tag. Returns how many groups. */
MP__FN int mp__heap_reap(const mp__heap *v, int (*dead)(const void *, size_t), mp__u32 dead_tag) {
    mp__u32 gone[8], at[64], off, s, n, i, k, found;
    int ngone = 0;
    mp__heap_lock(v);
    for (off = v->first; off < v->end && ngone < 8; off += n) {
        s = mp__heap_size(v, off);
        n = s & ~MP__HEAP_USED;
        if (n < 2 || n > v->end - off) break; /* a header the walk cannot pass */
        if ((s & MP__HEAP_USED) && mp__heap_at(v, off)->spare == (MP__GROUP | off) &&
            dead(v->base + ((size_t)off + 1) * 16, (size_t)(n - 1) * 16))
            gone[ngone++] = MP__GROUP | off;
    }
    do { /* a round frees what a walk found (the walk does not cross a block it changes) */
        found = 0;
        for (off = v->first; off < v->end && found < 64; off += n) {
            s = mp__heap_size(v, off);
            n = s & ~MP__HEAP_USED;
            if (n < 2 || n > v->end - off) break;
            if (s & MP__HEAP_USED)
                for (k = 0; k < (mp__u32)ngone; k++)
                    if (mp__heap_at(v, off)->spare == gone[k]) at[found++] = off;
        }
        for (i = 0; i < found; i++) {
            volatile mp__u32 *word = (volatile mp__u32 *)(v->base + ((size_t)at[i] + 1) * 16);
            mp__heap_set(v, word, dead_tag);
            mp__heap_free_locked(v, (void *)word);
            if (mp__heap_size(v, at[i]) & MP__HEAP_USED) found = 0; /* not freed: stop */
        }
    } while (found == 64);
    mp__heap_unlock(v);
    return ngone;
}

MP__FN int mp__arena_ensure(void) {
    int r = MP_OK;
    if (mp__g.arena) return MP_OK;
    mp__os_lock();
    if (!mp__g.arena) {
        char *base = NULL;
        mp__heap v;
        r = mp__os_arena_create(MP_ARENA_SIZE, &base);
        if (r == MP_OK) r = mp__heap_init(&v, base, MP_ARENA_SIZE);
        if (r == MP_OK) {
            mp__g.arena_size = MP_ARENA_SIZE;
            mp__g.arena = base;
        }
    }
    mp__os_unlock();
    return r;
}
MP__FN int mp__pool_orphan(const void *head, size_t size); /* >>pool */
/* Frees the groups of pools whose process and workers have all died (mp__heap_reap). */
MP__FN int mp__arena_reap(void) {
    mp__heap v;
    if (!mp__g.arena || !mp__heap_view(&v, mp__g.arena, mp__g.arena_size)) return 0;
    return mp__heap_reap(&v, mp__pool_orphan, MP__T_DEAD);
}
/* mp__heap_alloc2 in the arena, in head's group (or heading one of its own: head_self);
   when the arena is full, again after what dead pools left is freed. */
MP__FN void *mp__arena_alloc3(size_t n, void *volatile *to, int zero_it, const void *head,
                              int head_self) {
    mp__heap v;
    void *p;
    mp__u32 g;
    if (mp__arena_ensure() != MP_OK || !mp__heap_view(&v, mp__g.arena, mp__g.arena_size))
        return NULL;
    g = head_self ? MP__GROUP_HEAD : mp__heap_group_of(&v, head);
    p = mp__heap_alloc2(&v, n, to, zero_it, g);
    if (!p && mp__arena_reap() > 0) p = mp__heap_alloc2(&v, n, to, zero_it, g);
    return p;
}
MP__FN void *mp__arena_alloc(size_t n) {
    return mp__arena_alloc3(n, NULL, 1, NULL, 0);
}
/* The same, not zeroed, and stored in *to under the heap's lock (mp__heap_alloc2). */
MP__FN void *mp__arena_alloc_to(size_t n, void *volatile *to) {
    return mp__arena_alloc3(n, to, 0, NULL, 0);
}
/* A block that heads a group of its own (zeroed), and one of head's group (not zeroed). */
MP__FN void *mp__arena_alloc_head(size_t n) {
    return mp__arena_alloc3(n, NULL, 1, NULL, 1);
}
MP__FN void *mp__arena_alloc_in(size_t n, const void *head) {
    return mp__arena_alloc3(n, NULL, 0, head, 0);
}
/* The bytes of the arena block that p begins, read from the heap's own checked headers (0
   if p begins no block in use): the bound for a size that an object keeps in shared memory. */
MP__FN size_t mp__arena_block_size(const void *p) {
    mp__heap v;
    size_t off;
    mp__u32 s;
    if (!mp__g.arena || !mp__heap_view(&v, mp__g.arena, mp__g.arena_size)) return 0;
    if ((const char *)p < v.base || ((uintptr_t)p & 15)) return 0;
    off = (size_t)((const char *)p - v.base) / 16;
    if (off < (size_t)v.first + 1 || off > v.end) return 0;
    s = mp__heap_size(&v, (mp__u32)off - 1);
    return (s & MP__HEAP_USED) ? (size_t)((s & ~MP__HEAP_USED) - 1) * 16 : 0;
}
MP__HOT int mp__in_arena(const void *p) {
    return mp__g.arena && (const char *)p >= mp__g.arena + sizeof(mp__arena_hdr) &&
           (const char *)p < mp__g.arena + mp__g.arena_size;
}
MP__FN void mp__arena_free(void *p) {
    mp__heap v;
    if (mp__g.arena && mp__heap_view(&v, mp__g.arena, mp__g.arena_size)) mp__heap_free(&v, p);
}
MPDEF void *mp_shared_alloc(size_t size) {
    return size ? mp__arena_alloc(size) : NULL;
}
MPDEF void mp_free(void *ptr) {
    MP_FREE(ptr);
}
MPDEF void mp_shared_free(void *ptr) {
    mp__arena_free(ptr);
}

/* ======================================================================================== */
/* >>process                                                                                */
/* ======================================================================================== */
#define MP__PROCESS_MAGIC 0x6d7070u
enum { MP__INIT = 1, MP__STARTED, MP__ENDED, MP__CLOSED };
enum { MP__KIND_TARGET = 1, MP__KIND_RUN };

/* What a spawned child needs, written by the parent into the arena. */
typedef struct mp__boot {
    mp__word status; /* 0 while the child boots, then 1 */
    mp__u32 kind, daemon;
    mp__u32 method; /* the parent's start method: the child and its children keep it */
    long parent_pid;
    mp__u64 nonce[2]; /* also in the token the child gets: the two must match */
    mp__u64 fn_offset, payload_size;
    mp__u64 pass_off, npass; /* the connection ends it inherits: an mp__pass table */
    mp__u64 authkey_len;     /* the parent's authkey (>>connection) */
    mp__u64 pid_word;        /* 1 + the arena offset of the parent's mp__pid_word, or 0 */
    unsigned char authkey[MP_AUTHKEY_MAX];
    char name[MP_NAME_MAX];
    char parent_name[MP_NAME_MAX];
    char identity[MP__IDENT_MAX];
    char module[4096];
    /* payload follows */
} mp__boot;

MPDEF const char *mp_strerror(int err) {
    switch (err) {
#define MP__CASE(name, value, text)                                                                \
    case value:                                                                                    \
        return text;
        MP_ERROR_LIST(MP__CASE)
#undef MP__CASE
    default:
        return "unknown error";
    }
}

static void mp__atexit(void);
MP__FN void mp__atexit_register(void);
MP__FN void mp__spawn_attach(const char *token);
MP__FN void mp__spawn_run(void);
/* What >>pipe does when a process starts or ends (defined there). */
MP__FN void mp__conn_fork_prepare(void);
MP__FN void mp__conn_fork_done(int child, int ok);
MP__FN int mp__conn_snapshot(mp__pass **table, int *n);
MP__FN void mp__conn_snapshot_done(mp__pass *table, int n, int child_has_them);
MP__FN int mp__conn_adopt(const mp__pass *table, int n);
MP__FN void mp__conn_exit(void);
/* The process's authkey (defined in >>connection): children inherit it. */
MP__FN void mp__authkey_ensure(void);
MP__FN size_t mp__authkey_copy(unsigned char *out);
MP__FN void mp__authkey_adopt(const unsigned char *key, size_t n);
/* MP_OK, MP_EINVAL (not a method) or MP_ENOSYS (not here: fork and forkserver on Windows). */
MP__FN int mp__method_check(int method) {
    if (method != MP_FORK && method != MP_SPAWN && method != MP_FORKSERVER) return MP_EINVAL;
    if (method != MP_SPAWN && !MP__OS_FORKS) return MP_ENOSYS;
    return MP_OK;
}
/* MP_START_METHOD: a misspelt method is an error at the first start, never a silent fork. */
MP__FN void mp__method_from_env(const char *m) {
    int want = strcmp(m, "fork") == 0         ? MP_FORK
               : strcmp(m, "spawn") == 0      ? MP_SPAWN
               : strcmp(m, "forkserver") == 0 ? MP_FORKSERVER
                                              : 0;
    mp__g.method_error = want ? mp__method_check(want) : MP_EINVAL;
    if (!mp__g.method_error) mp__g.method = want;
}
MP__FN int mp__check(const mp_process *p);
MP__FN void mp__init_globals(void) {
    char env[32];
    const char *m;
    if (mp__g.inited) return;
    mp__g.inited = 1;
    mp__os_init();
    mp__g.pid = mp__os_getpid();
    mp__g.ppid = mp__os_getppid();
    mp__g.method = MP__OS_FORKS ? MP_FORK : MP_SPAWN;
    m = mp__os_getenv("MP_START_METHOD", env, sizeof env); /* Windows: fork is MP_ENOSYS */
    if (m && *m) mp__method_from_env(m);
    mp__g.self.mp__magic = MP__PROCESS_MAGIC;
    mp__g.self.mp__state = MP__STARTED;
    mp__g.self.mp__pid = mp__g.pid;
    mp__copy_name(mp__g.self.mp__name, "MainProcess");
    /* A spawned child: the first call into mp.h (mp.h's constructor, normally) maps the
       family arena; the target runs from the constructor in C, or from mp_init() (see
       >>autoinit and THE RULE FOR MAIN). */
    m = mp__os_child_token();
    if (m) mp__spawn_attach(m);
}

MPDEF int mp_set_start_method(int method) {
    int r;
    mp__init_globals();
    r = mp__method_check(method);
    if (r != MP_OK) return r;
    mp__g.method = method;
    mp__g.method_error = 0; /* the program's own choice overrides the environment */
    return MP_OK;
}
MPDEF int mp_get_start_method(void) {
    mp__init_globals();
    return mp__g.method_error ? mp__g.method_error : mp__g.method;
}
MPDEF int mp_process_set_start_method(mp_process *p, int method) {
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (p->mp__state != MP__INIT) return MP_ESTARTED;
    r = method ? mp__method_check(method) : MP_OK;
    if (r == MP_OK) p->mp__method = method;
    return r;
}
MPDEF int mp_set_executable(const char *path) {
    char *copy = NULL;
    mp__init_globals();
    mp__atexit_register(); /* which frees the copy */
    if (path) {
        size_t n = strlen(path);
        if (!n) return MP_EINVAL;
        copy = (char *)MP_MALLOC(n + 1);
        if (!copy) return MP_ENOMEM;
        memcpy(copy, path, n + 1);
    }
    mp__os_lock();
    MP_FREE(mp__g.executable);
    mp__g.executable = copy;
    mp__os_exe_reset();
    mp__os_unlock();
    return MP_OK;
}

MPDEF long mp_getpid(void) {
    mp__init_globals();
    return mp__g.pid;
}
MPDEF long mp_getppid(void) {
    mp__init_globals();
    return mp__g.fs_child ? mp__g.ppid : mp__os_getppid(); /* the program's, not the server */
}
MPDEF int mp_cpu_count(void) {
    return mp__os_cpu_count();
}
MPDEF const mp_process *mp_current_process(void) {
    mp__init_globals();
    return &mp__g.self;
}

/* What the library keeps of a started child, in its own memory: the user's mp_process may
   go out of scope, but the handle still gets reaped at exit. */
typedef struct mp__child {
    long pid, owner;
    long long handle;
    int daemon, ended, exitcode;
    int waiters; /* threads waiting on it outside the os lock: the reaper leaves it to them */
    int listed;  /* in mp__g.children; a reaped child leaves the list, its record stays */
    int kind;    /* MP__CHILD_*: how it is waited for */
    int fs_code, fs_have; /* a forkserver child: the exit code its records gave so far */
    mp_process *proc;
    struct mp__child *next;
} mp__child;
/* A child of ours; a child of our forkserver (handle: its status channel); our parent. */
enum { MP__CHILD_OWN = 0, MP__CHILD_FS, MP__CHILD_PARENT };
MP__FN int mp__fs_wait(mp__child *c, double timeout, int *code);
MP__FN int mp__parent_wait(mp__child *c, double timeout);
/* MP_OK with *code once it has ended, else MP_ETIMEDOUT (or an error). */
MP__FN int mp__proc_wait(mp__child *c, double timeout, int *code) {
    if (c->kind == MP__CHILD_FS) return mp__fs_wait(c, timeout, code);
    if (c->kind == MP__CHILD_PARENT) return mp__parent_wait(c, timeout);
    return mp__os_proc_wait(c->pid, &c->handle, timeout, code);
}

MP__FN int mp__check(const mp_process *p) {
    if (!p || p->mp__magic != MP__PROCESS_MAGIC) return MP_EINVAL;
    return p->mp__state == MP__CLOSED ? MP_ECLOSED : MP_OK;
}
/* Python's _identity: the creator's, then this process's place among the creator's (so the
   first child of Process-3 is Process-3:1). Deeper than MP__IDENT_MAX can say: the creator's. */
MP__FN void mp__child_identity(char *dst, unsigned number) {
    char num[24];
    size_t n = strlen(mp__g.identity), k;
    mp__fmt_name(num, "", number);
    k = strlen(num);
    memmove(dst, mp__g.identity, n + 1);
    if (!n)
        memcpy(dst, num, k + 1);
    else if (n + 1 + k < MP__IDENT_MAX)
        dst[n] = ':', memcpy(dst + n + 1, num, k + 1);
}
MP__FN int mp__init_common(mp_process *p, const char *name) {
    char id[MP__IDENT_MAX], dflt[MP__IDENT_MAX + 16];
    mp__init_globals();
    if (name && strlen(name) >= MP_NAME_MAX) return MP_ENAMETOOLONG;
    memset(p, 0, sizeof *p);
    p->mp__magic = MP__PROCESS_MAGIC;
    p->mp__state = MP__INIT;
    p->mp__daemon = mp__g.self.mp__daemon; /* Python: inherits the creator's flag */
    /* numbered whether named or not, as in Python */
    p->mp__number = mp__fetch_add(&mp__g.counter, 1) + 1;
    mp__child_identity(id, p->mp__number);
    memcpy(dflt, "Process-", 8);
    memcpy(dflt + 8, id, strlen(id) + 1);
    mp__copy_name(p->mp__name, name ? name : dflt);
    return MP_OK;
}
MPDEF int mp_process_init(mp_process *p, mp_target_fn target, const void *arg, size_t arg_size,
                          const char *name) {
    void *copy;
    int r;
    if (!p || !target || (!arg && arg_size)) return MP_EINVAL;
    if (arg_size > MP_MESSAGE_MAX) return MP_ETOOBIG; /* before malloc: ASan aborts on huge */
    if (name && strlen(name) >= MP_NAME_MAX) return MP_ENAMETOOLONG;
    copy = MP_MALLOC(arg_size ? arg_size : 1);
    if (!copy) return MP_ENOMEM;
    if (arg_size) memcpy(copy, arg, arg_size);
    r = mp__init_common(p, name);
    if (r != MP_OK) {
        MP_FREE(copy);
        return r;
    }
    p->mp__target = target;
    p->mp__arg = copy;
    p->mp__arg_size = arg_size;
    return MP_OK;
}
MPDEF int mp_process_init_run(mp_process *p, mp_run_fn run, size_t object_size, const char *name) {
    int r;
    if (!p || !run || object_size < sizeof(mp_process)) return MP_EINVAL;
    if (object_size > MP_MESSAGE_MAX) return MP_ETOOBIG; /* a spawn adds it to its boot block */
    r = mp__init_common(p, name);
    if (r != MP_OK) return r;
    p->mp__run = run;
    p->mp__object_size = object_size;
    return MP_OK;
}
MPDEF int mp_process_set_daemon(mp_process *p, int daemon) {
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (p->mp__state != MP__INIT) return MP_ESTARTED;
    p->mp__daemon = daemon != 0;
    return MP_OK;
}
MPDEF int mp_process_set_name(mp_process *p, const char *name) {
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (!name) return MP_EINVAL;
    if (strlen(name) >= MP_NAME_MAX) return MP_ENAMETOOLONG;
    mp__copy_name(p->mp__name, name);
    return MP_OK;
}
MPDEF long mp_process_pid(const mp_process *p) {
    return p && p->mp__magic == MP__PROCESS_MAGIC ? p->mp__pid : 0;
}
MPDEF const char *mp_process_name(const mp_process *p) {
    return p && p->mp__magic == MP__PROCESS_MAGIC ? p->mp__name : "";
}
MPDEF int mp_process_daemon(const mp_process *p) {
    return p && p->mp__magic == MP__PROCESS_MAGIC ? p->mp__daemon : 0;
}

MP__FN int mp__invoke(mp_process *p) {
    return p->mp__run ? p->mp__run(p) : p->mp__target(p->mp__arg, p->mp__arg_size);
}
MPDEF int mp_process_run(mp_process *p) {
    int r = mp__check(p);
    return r != MP_OK ? r : mp__invoke(p);
}

/* Called with the os lock held. */
#define MP__PID_STARTING 0xffffffffu /* in a pid word: a child may be starting */
MP__FN int mp__child_add(mp_process *p, long pid, long long handle) {
    mp__child *c = (mp__child *)MP_MALLOC(sizeof *c);
    if (!c) return MP_ENOMEM;
    memset(c, 0, sizeof *c);
    c->pid = pid;
    c->owner = mp__g.pid;
    c->handle = handle;
    c->daemon = p->mp__daemon;
    c->proc = p;
    c->listed = 1;
    c->next = mp__g.children;
    mp__g.children = c;
    p->mp__child = c;
    p->mp__pid = pid;
    p->mp__state = MP__STARTED;
    if (p->mp__pid_word) *p->mp__pid_word = (unsigned)pid;
    return MP_OK;
}

MP__FN void mp__child_remove(mp__child *c) {
    mp__child **pp;
    mp__os_lock();
    for (pp = &mp__g.children; c->listed && *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    mp__os_unlock();
    mp__os_proc_release(&c->handle);
    MP_FREE(c);
}

/* MP_OK once the child has ended (its exit status kept), MP_ETIMEDOUT before. */
MP__FN int mp__child_wait(mp__child *c, double timeout) {
    int code = 0, r;
    mp__os_lock();
    if (c->ended) {
        mp__os_unlock();
        return MP_OK;
    }
    c->waiters++;
    mp__os_unlock();
    r = mp__proc_wait(c, timeout, &code);
    mp__os_lock();
    c->waiters--;
    if (r == MP_OK) {
        c->exitcode = code;
        c->ended = 1;
    }
    mp__os_unlock();
    return r;
}

/* Python's _cleanup(): whenever a process starts (and in active_children), the children
   that have ended are reaped, so that children nobody joins do not stay zombies holding a
   descriptor (a process handle on Windows) each until the parent exits. The exit status
   stays in the record, where the mp_process finds it; a reaped record leaves the list,
   so the cost of a start does not grow with every child ever started. A child some thread
   waits on is left to that thread. Called with the os lock held. */
MP__FN void mp__reap_ended(void) {
    mp__child **pp = &mp__g.children;
    while (*pp) {
        mp__child *c = *pp;
        int code = 0;
        if (!c->ended && !c->waiters && mp__proc_wait(c, 0, &code) == MP_OK) {
            c->exitcode = code;
            c->ended = 1;
        }
        if (c->ended && !c->waiters) {
            *pp = c->next;
            c->next = NULL;
            c->listed = 0;
        } else {
            pp = &c->next;
        }
    }
}

/* Python's _exit_function: terminate the daemonic children, then join the others. */
MP__FN void mp__fs_stop(void);
MP__FN void mp__reap_all(void) {
    mp__child *c;
    /* The process ends: its last waits (for its non-daemonic children) are its own, as after
       a KeyboardInterrupt in Python; a second mp_interrupt ends them. */
    mp__os_interrupt_clear();
    mp__os_lock();
    for (c = mp__g.children; c; c = c->next)
        if (c->daemon && !c->ended) mp__os_proc_signal(c->pid, c->handle, 0);
    c = mp__g.children;
    mp__os_unlock();
    for (; c; c = c->next) mp__child_wait(c, MP_FOREVER);
    mp__fs_stop(); /* its children are all gone: the forkserver goes too */
}
static void mp__atexit(void) {
    mp__reap_all();
    /* Nothing of mp.h's own outlives the process (a counting MP_MALLOC sees 0 live). */
    mp__os_lock();
    mp__os_exe_reset();
    MP_FREE(mp__g.executable);
    mp__g.executable = NULL;
    mp__os_unlock();
    mp__os_at_exit();
}
MP__FN void mp__atexit_register(void) {
    mp__os_lock();
    if (!mp__g.atexit_set) {
        mp__g.atexit_set = 1;
        atexit(mp__atexit);
    }
    mp__os_unlock();
}

/* The end of every child: its own children first, then its connection ends, then the exit
   status. */
MP__FN void mp__child_exit(int code) {
    mp__reap_all();
    mp__conn_exit();
    /* a forkserver child tells its parent itself too: the server may have died meanwhile */
    if (mp__g.fs_child) mp__os_fs_note(mp__g.fs_status, MP__FS_SELF_EXIT, code & 0xff, mp__g.pid);
    mp__os_exit(code);
}

MP__FN void mp__become_child(const char *name, int daemon, long ppid) {
    mp__g.pid = mp__os_getpid();
    mp__g.ppid = ppid;
    mp__g.counter = 0;
    mp__g.children = NULL;
    if (mp__g.parent.mp__magic && mp__g.parent.mp__child) { /* made again, for the new parent */
        mp__child *old = (mp__child *)mp__g.parent.mp__child;
        mp__os_proc_release(&old->handle);
        MP_FREE(old);
    }
    mp__g.parent.mp__magic = 0;
    mp__copy_name(mp__g.self.mp__name, name);
    mp__g.self.mp__daemon = daemon;
    mp__g.self.mp__pid = mp__g.pid;
}

MP__FN int mp__start_fork(mp_process *p) {
    long parent = mp__g.pid, pid = 0;
    long long handle = -1;
    int r;
    mp__os_lock();
    mp__conn_fork_prepare(); /* the child's copies of the connection ends count */
    r = mp__os_fork(&pid, &handle);
    mp__conn_fork_done(r == 0, r >= 0);
    if (r == 0) {
        mp__child *c; /* the parent's children are not ours: drop their handles */
        if (p->mp__pid_word) *p->mp__pid_word = (unsigned)mp__os_getpid(); /* mp__boot_tell_pid */
        for (c = mp__g.children; c; c = c->next) mp__os_proc_release(&c->handle);
        mp__child_identity(mp__g.identity, p->mp__number);
        memcpy(mp__g.parent_name, mp__g.self.mp__name, MP_NAME_MAX);
        mp__become_child(p->mp__name, p->mp__daemon, parent);
        mp__os_unlock();
        p->mp__state = MP__STARTED;
        p->mp__pid = mp__g.pid;
        p->mp__child = NULL;
        mp__child_exit(mp__invoke(p));
    }
    if (r > 0) {
        r = mp__child_add(p, pid, handle);
        if (r != MP_OK) { /* out of memory: do not leave an untracked child behind */
            int code;
            mp__os_proc_signal(pid, handle, 1);
            while (mp__os_proc_wait(pid, &handle, MP_FOREVER, &code) == MP_EINTERRUPTED)
                mp__os_sleep(0.001); /* killed: it ends at once, mp_interrupt or not */
        }
    }
    mp__os_unlock();
    return r;
}

MP__FN int mp__boot_failure(int code) {
    switch (code) {
    case MP__EXIT_EXEC:
        return MP_EEXEC;
    case MP__EXIT_ADDR:
        return MP_EADDR;
    case MP__EXIT_MODULE:
        return MP_EMODULE;
    case MP__EXIT_NOINIT: /* and the child said why on its stderr */
    default:
        return MP_ESPAWN;
    }
}

/* The boot block of a spawned (or forkserver) child: what it runs, with what, as whom. */
MP__FN int mp__boot_new(mp_process *p, mp__boot **out) {
    const void *payload = p->mp__run ? (const void *)p : p->mp__arg;
    size_t size = p->mp__run ? p->mp__object_size : p->mp__arg_size;
    void *fn = p->mp__run ? mp__fn_addr((void (*)(void))p->mp__run)
                          : mp__fn_addr((void (*)(void))p->mp__target);
    mp__boot *b;
    int r;
    b = (mp__boot *)mp__arena_alloc3(sizeof(mp__boot) + size, NULL, 1, p->mp__group, 0);
    if (!b) return size > mp__g.arena_size / 2 ? MP_ETOOBIG : MP_ENOMEM;
    r = mp__os_module_locate(fn, b->module, sizeof b->module, &b->fn_offset);
    if (r != MP_OK) {
        mp__arena_free(b);
        return r;
    }
    b->kind = p->mp__run ? MP__KIND_RUN : MP__KIND_TARGET;
    b->daemon = (mp__u32)p->mp__daemon;
    b->method = (mp__u32)mp__g.method;
    b->parent_pid = mp__g.pid;
    b->pid_word = p->mp__pid_word && mp__in_arena((const void *)p->mp__pid_word)
                      ? (mp__u64)((const char *)p->mp__pid_word - mp__g.arena) + 1
                      : 0;
    mp__os_random(b->nonce, sizeof b->nonce);
    b->payload_size = size;
    b->authkey_len = mp__authkey_copy(b->authkey);
    memcpy(b->name, p->mp__name, MP_NAME_MAX);
    memcpy(b->parent_name, mp__g.self.mp__name, MP_NAME_MAX);
    mp__child_identity(b->identity, p->mp__number);
    if (size) memcpy(b + 1, payload, size);
    *out = b;
    return MP_OK;
}

MP__FN int mp__start_spawn(mp_process *p) {
    mp__boot *b;
    mp__pass *pass = NULL;
    long pid = 0;
    long long handle = -1;
    int r, code, npass = 0;
    r = mp__boot_new(p, &b);
    if (r != MP_OK) return r;
    mp__os_lock(); /* a concurrent fork must not copy a half-made child's handle */
    r = mp__conn_snapshot(&pass, &npass); /* the connection ends open now go to the child */
    if (pass) {
        b->pass_off = (mp__u64)((char *)pass - mp__g.arena);
        b->npass = (mp__u64)npass;
    }
    if (r == MP_OK)
        r = mp__os_spawn((size_t)((char *)b - mp__g.arena), b->nonce, pass, npass, &pid, &handle);
    if (r == MP_OK) r = mp__child_add(p, pid, handle);
    mp__os_unlock();
    if (r != MP_OK) {
        if (pid) {
            mp__os_proc_signal(pid, handle, 1);
            while (mp__os_proc_wait(pid, &handle, MP_FOREVER, &code) == MP_EINTERRUPTED)
                mp__os_sleep(0.001); /* killed: it ends at once, mp_interrupt or not */
        }
        mp__conn_snapshot_done(pass, npass, 0);
        mp__arena_free(b);
        return r;
    }
    /* Wait until the child has copied what it needs, so that a failed boot is an error of
       start() and not a mysterious exit status later. */
    while (mp__load(&b->status.value) == 0) {
        mp__child *c = (mp__child *)p->mp__child;
        mp__u32 child[2];
        if (mp__child_wait(c, 0) == MP_OK && mp__load(&b->status.value) == 0) {
            r = mp__boot_failure(c->exitcode);
            break;
        }
        child[0] = (mp__u32)p->mp__pid, child[1] = 0; /* its end wakes us (Windows), or a look */
        (void)mp__wait_owner(&b->status, 0, 1e9, 0.05, child, 0); /* every 50 ms elsewhere */
    }
    mp__conn_snapshot_done(pass, npass, r == MP_OK);
    mp__arena_free(b);
    if (r != MP_OK) {
        mp__child_remove((mp__child *)p->mp__child);
        p->mp__child = NULL;
        p->mp__pid = 0;
        p->mp__state = MP__INIT;
    }
    return r;
}

/* A spawned child's target must not run before main, and main must not run as a parent. */
static void mp__boot_guard(void) {
    if (!mp__g.boot_pending) return;
    fprintf(stderr, "mp.h: this spawned child reached the end of main() (or a process start) "
                    "without calling mp_init(): make mp_init() the first statement of main()\n");
    mp__os_exit(MP__EXIT_NOINIT);
}

/* A boot block in the arena, bounds-checked (it is memory shared with another process). */
MP__FN mp__boot *mp__boot_at(mp__u64 off) {
    mp__boot *b;
    if (off > mp__g.arena_size || mp__g.arena_size - off < sizeof(mp__boot)) return NULL;
    b = (mp__boot *)(mp__g.arena + off);
    if (b->payload_size > mp__g.arena_size - off - sizeof(mp__boot) ||
        b->npass > mp__g.arena_size / (sizeof(mp__pass) + MP__OS_PASS_EXTRA) ||
        b->pass_off > mp__g.arena_size - b->npass * (sizeof(mp__pass) + MP__OS_PASS_EXTRA) ||
        memchr(b->module, 0, sizeof b->module) == NULL || memchr(b->name, 0, MP_NAME_MAX) == NULL ||
        memchr(b->parent_name, 0, MP_NAME_MAX) == NULL ||
        memchr(b->identity, 0, MP__IDENT_MAX) == NULL)
        return NULL;
    if (mp__method_check((int)b->method) == MP_OK) mp__g.method = (int)b->method;
    return b;
}
/* A child's first act: its pid to the word its parent named (a pool's slot), before
   anything that may end it (a parent found dead), so that a parent killed before it learnt
   the pid does not leave a slot that says STARTING for ever. Checked: shared memory. */
MP__FN void mp__boot_tell_pid(const mp__boot *b) {
    mp__u64 at = b->pid_word - 1;
    if (b->pid_word && at <= mp__g.arena_size - 4 && !(at & 3))
        *(volatile mp__u32 *)(mp__g.arena + at) = (mp__u32)mp__os_getpid();
}

/* A spawned child, at the first call into mp.h: map the arena and check the boot block. The
   block is the parent's until the child says it has taken it (status 1, in mp__spawn_run):
   everything in it is bounds-checked, as memory shared with another process. */
MP__FN void mp__spawn_attach(const char *token) {
    size_t off = 0;
    mp__u64 nonce[2];
    mp__boot *b;
    int code = mp__os_arena_attach(token, &off, nonce);
    if (code) mp__os_exit(code); /* with a message when the token was refused */
    b = mp__boot_at(off);
    if (!b || b->nonce[0] != nonce[0] || b->nonce[1] != nonce[1]) mp__os_exit(MP__EXIT_BOOT);
    mp__boot_tell_pid(b);
    mp__g.boot_off = off;
    mp__g.boot_pending = 1;
    atexit(mp__boot_guard);
}

/* Then, from the constructor or mp_init(): take the boot block, run, exit. A forkserver child
   comes here too, with the connection ends it received (fds: its own numbers for them). */
MP__FN void mp__boot_run(mp__boot *b, const long long *fds, int nfds) {
    void *fn, *payload;
    mp_process *self;
    fn = mp__os_module_resolve(b->module, b->fn_offset);
    if (!fn) mp__os_exit(MP__EXIT_MODULE);
    payload = MP_MALLOC(b->payload_size > sizeof(mp_process) ? (size_t)b->payload_size
                                                             : sizeof(mp_process));
    if (!payload) mp__os_exit(MP__EXIT_BOOT);
    memcpy(payload, b + 1, (size_t)b->payload_size);
    memcpy(mp__g.identity, b->identity, MP__IDENT_MAX);
    memcpy(mp__g.parent_name, b->parent_name, MP_NAME_MAX);
    mp__become_child(b->name, (int)b->daemon, b->parent_pid);
    mp__authkey_adopt(b->authkey, (size_t)b->authkey_len);
    if (b->npass) {
        mp__pass *t = (mp__pass *)(mp__g.arena + b->pass_off);
        int i, n = (int)b->npass;
        if (fds) { /* our copy of the table, with the numbers the ends have here */
            mp__pass *mine = (mp__pass *)MP_MALLOC((size_t)n * sizeof *mine);
            if (!mine || nfds != n) mp__os_exit(MP__EXIT_BOOT);
            memcpy(mine, t, (size_t)n * sizeof *mine);
            for (i = 0; i < n; i++) mine[i].handle = fds[i];
            t = mine;
        }
        if (mp__conn_adopt(t, n) != MP_OK) mp__os_exit(MP__EXIT_BOOT);
        if (fds) MP_FREE(t);
    }
    if (b->kind == MP__KIND_RUN) {
        if (b->payload_size < sizeof(mp_process)) mp__os_exit(MP__EXIT_BOOT);
        self = (mp_process *)payload;
        self->mp__run = (mp_run_fn)mp__addr_fn(fn);
    } else {
        self = (mp_process *)MP_MALLOC(sizeof(mp_process));
        if (!self) mp__os_exit(MP__EXIT_BOOT);
        memset(self, 0, sizeof *self);
        self->mp__target = (mp_target_fn)mp__addr_fn(fn);
        self->mp__arg = payload;
        self->mp__arg_size = (size_t)b->payload_size;
        self->mp__magic = MP__PROCESS_MAGIC;
        memcpy(self->mp__name, b->name, MP_NAME_MAX);
        self->mp__name[MP_NAME_MAX - 1] = 0;
    }
    self->mp__state = MP__STARTED;
    self->mp__pid = mp__g.pid;
    self->mp__child = NULL;
    self->mp__daemon = (int)b->daemon;
    mp__store(&b->status.value, 1); /* from here on the parent owns (and frees) the block */
    mp__wake(&b->status, 1);
    if (mp__g.fs_child) mp__os_fs_note(mp__g.fs_status, MP__FS_STARTED, 0, mp__g.pid);
    mp__child_exit(mp__invoke(self));
}
MP__FN void mp__spawn_run(void) {
    mp__g.boot_pending = 0;
    mp__boot_run((mp__boot *)(mp__g.arena + mp__g.boot_off), NULL, 0);
}

MPDEF void mp_init(void) {
    mp__init_globals();
    if (mp__g.boot_pending) mp__spawn_run();
}

/* ======================================================================================== */
/* >>forkserver: a clean process that forks the children                                    */
/* ======================================================================================== */
/* The server is a spawn of the program, not a fork taken early. A fork is clean only if no
   other thread exists at that moment, which mp.h cannot know when the server starts on
   demand (the first forkserver start may come long after the program made its threads), and
   it would copy whatever heap, locks and descriptors the program has then. A spawned server
   is the program as it boots: one thread, nothing of the parent but the family arena (the
   state a spawned child has), paid for once instead of at every start. Its children are
   forks of that small process, and find their target as a spawned child does (module and
   offset), so ASLR does not matter.
   The server belongs to the process that started it: a forked child forgets it
   (pthread_atfork) and starts its own when it needs one. Its request channel is a socketpair
   whose other end only we hold, so the server sees EOF when this process ends, however it
   ends; it then kills the children it still has (none is left an orphan) and exits. A child
   has a status channel, a socketpair whose receiving end is its handle (what join and mp_wait
   wait on): the child says STARTED once it has taken its boot block; just before it exits it
   says SELF_EXIT with its code; the server says EXITED with the status once it has reaped it
   (minus a signal), and its closing is the end. If the server is killed, a running child
   still reports its own exit code, a start in flight fails with MP_EFORKSERVER (never hangs:
   the channel reaches EOF), and the next start starts a new server. */
static struct {
    long pid;         /* the server, 0 when there is none */
    long long handle; /* its process handle: we started it */
    long long sock;   /* our end of its request channel */
} mp__fs = {0, -1, -1};

MP__FN void mp__fs_forget(void) { /* in a forked child: async-signal-safe */
    if (!mp__fs.pid && mp__fs.sock < 0 && !mp__g.fs_child) return; /* no write, no COW fault */
    if (mp__fs.sock >= 0) mp__os_close_handle(mp__fs.sock);
    if (mp__fs.handle >= 0) mp__os_proc_release(&mp__fs.handle);
    mp__fs.sock = mp__fs.handle = -1;
    mp__fs.pid = 0;
    if (mp__g.fs_child) mp__os_close_handle(mp__g.fs_status);
    mp__g.fs_child = 0;
    mp__g.fs_status = -1;
}
/* Ends a server taken out of mp__fs: EOF on its channel (or a kill) and its reaping. */
MP__FN void mp__fs_reap(long pid, long long handle, long long sock, int hard) {
    int code;
    if (sock >= 0) mp__os_close_handle(sock);
    if (pid) {
        if (hard) mp__os_proc_signal(pid, handle, 1);
        if (mp__os_proc_wait(pid, &handle, 5, &code) != MP_OK) {
            mp__os_proc_signal(pid, handle, 1);
            mp__os_proc_wait(pid, &handle, MP_FOREVER, &code);
        }
    }
    mp__os_proc_release(&handle);
}
/* The server is gone or unusable (the os lock held): reap it, so that the next start makes
   a new one. */
MP__FN void mp__fs_drop(int hard) {
    long pid = mp__fs.pid;
    long long handle = mp__fs.handle, sock = mp__fs.sock;
    mp__fs.pid = 0;
    mp__fs.handle = mp__fs.sock = -1;
    mp__fs_reap(pid, handle, sock, hard);
}
/* At the end of the process that owns it: EOF on its channel ends it. The wait for its exit
   is outside the os lock, which other threads' calls need meanwhile. */
MP__FN void mp__fs_stop(void) {
    long pid;
    long long handle, sock;
    mp__os_lock();
    pid = mp__fs.pid, handle = mp__fs.handle, sock = mp__fs.sock;
    if (pid) mp__fs.pid = 0, mp__fs.handle = mp__fs.sock = -1;
    mp__os_unlock();
    if (pid) mp__fs_reap(pid, handle, sock, 0);
}

/* The server's target (it runs as a spawned child of the program). */
MP__FN int mp__fs_serve_main(void *arg, size_t size) {
    mp__u64 fd;
    long long sock;
    mp__fs_job job;
    mp__boot *b;
    if (size != sizeof fd) return 1;
    memcpy(&fd, arg, sizeof fd);
    sock = (long long)fd;
    if (mp__os_adopt(&sock, NULL) != 0) return 1;
    if (mp__os_fs_serve(sock, &job) != MP_OK) return 0; /* the program is gone */
    /* a child, forked for a request */
    mp__g.fs_child = 1;
    mp__g.fs_status = job.status;
    b = mp__boot_at(job.boot_off);
    if (!b) mp__os_exit(MP__EXIT_BOOT);
    mp__boot_tell_pid(b);
    mp__boot_run(b, job.fds, job.nfds); /* does not return */
    return 0;
}

/* Called with the os lock held. */
MP__FN int mp__fs_launch(void) {
    mp_process srv;
    mp__boot *b = NULL;
    mp__pass pass[1];
    long long h[2], handle = -1;
    long pid = 0;
    mp__u64 fd;
    int r, code = 0;
    r = mp__os_pipe(1, h);
    if (r != MP_OK) return r;
    fd = (mp__u64)h[1];
    memset(&srv, 0, sizeof srv);
    srv.mp__target = mp__fs_serve_main;
    srv.mp__arg = &fd;
    srv.mp__arg_size = sizeof fd;
    mp__copy_name(srv.mp__name, "ForkServer");
    r = mp__boot_new(&srv, &b);
    if (r == MP_OK) {
        pass[0].conn = 0; /* not an end of ours: only kept open at its number in the server */
        pass[0].handle = h[1];
        r = mp__os_spawn((size_t)((char *)b - mp__g.arena), b->nonce, pass, 1, &pid, &handle);
    }
    mp__os_close_handle(h[1]);
    while (r == MP_OK && mp__load(&b->status.value) == 0) {
        if (mp__os_proc_wait(pid, &handle, 0, &code) == MP_OK) {
            r = mp__boot_failure(code);
            pid = 0; /* reaped */
            break;
        }
        mp__wait(&b->status, 0, 0.05);
    }
    if (b) mp__arena_free(b);
    if (r != MP_OK) {
        if (pid) {
            mp__os_proc_signal(pid, handle, 1);
            mp__os_proc_wait(pid, &handle, MP_FOREVER, &code);
        }
        mp__os_proc_release(&handle);
        mp__os_close_handle(h[0]);
        return r;
    }
    mp__fs.pid = pid;
    mp__fs.handle = handle;
    mp__fs.sock = h[0];
    return MP_OK;
}

MP__FN int mp__start_prepare(void);
MPDEF int mp_forkserver_start(void) {
    int r;
    mp__init_globals();
    if (!MP__OS_FORKSERVER) return MP_ENOSYS;
    r = mp__start_prepare();
    if (r != MP_OK) return r;
    mp__os_lock();
    r = mp__fs.pid ? MP_OK : mp__fs_launch();
    mp__os_unlock();
    return r;
}

MP__FN int mp__start_forkserver(mp_process *p) {
    mp__boot *b;
    mp__pass *pass = NULL;
    mp__fs_rec rec;
    long long status = -1;
    long pid = 0;
    size_t got = 0;
    int r, npass = 0, tries, started = 0;
    if (!MP__OS_FORKSERVER) return MP_ENOSYS;
    r = mp__boot_new(p, &b);
    if (r != MP_OK) return r;
    mp__os_lock(); /* the ends open now go to the child: none may close before it has them */
    r = mp__conn_snapshot(&pass, &npass);
    if (pass) {
        b->pass_off = (mp__u64)((char *)pass - mp__g.arena);
        b->npass = (mp__u64)npass;
    }
    for (tries = 0; r == MP_OK && tries < 2; tries++) {
        if (!mp__fs.pid) r = mp__fs_launch();
        if (r == MP_OK)
            r = mp__os_fs_request(mp__fs.sock, (mp__u64)((char *)b - mp__g.arena), pass, npass,
                                  &status);
        if (r != MP_EOF || tries) break;
        mp__fs_drop(1); /* killed since the last start: start a new one */
        r = MP_OK;
    }
    mp__os_unlock();
    if (r == MP_EOF) r = MP_EFORKSERVER;
    /* The first record: the child started, or the server says why not. EOF: the server died
       before it forked (or the child died with it). */
    while (r == MP_OK && !started) {
        r = mp__os_recv(status, &rec, sizeof rec, &got);
        if (r == MP_EOF) r = MP_EFORKSERVER;
        if (r != MP_OK) break;
        if (rec.kind == MP__FS_STARTED)
            started = 1, pid = (long)rec.pid;
        else if (rec.kind == MP__FS_EXITED)
            r = mp__boot_failure(rec.code);
        else if (rec.kind == MP__FS_FAILED)
            r = rec.code < 0 && rec.code > MP__ERROR_END ? rec.code : MP_ESYS;
    }
    if (r == MP_OK) {
        mp__os_lock();
        r = mp__child_add(p, pid, status);
        if (r == MP_OK) ((mp__child *)p->mp__child)->kind = MP__CHILD_FS;
        mp__os_unlock();
        if (r != MP_OK) mp__os_proc_signal(pid, -1, 1);
    }
    if (r != MP_OK) mp__os_close_handle(status);
    mp__conn_snapshot_done(pass, npass, started);
    mp__arena_free(b);
    return r;
}

/* A forkserver child's end: its records, then EOF once both it and the server are done. */
MP__FN int mp__fs_wait(mp__child *c, double timeout, int *code) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    unsigned char one = 0;
    for (;;) {
        mp__fs_rec rec[4];
        size_t got = 0, i;
        double left;
        int r, rdy = 0;
        if (c->handle < 0) return MP_ESYS;
        r = mp__os_recv_some(c->handle, rec, sizeof rec, &got);
        for (i = 0; i < got / sizeof *rec; i++) {
            if (rec[i].kind == MP__FS_EXITED)
                c->fs_code = rec[i].code, c->fs_have = 2;
            else if (rec[i].kind == MP__FS_SELF_EXIT && c->fs_have < 2)
                c->fs_code = rec[i].code, c->fs_have = 1;
        }
        if (r == MP_EOF || c->fs_have == 2) { /* EXITED: the server has reaped it */
            /* no record at all: it was killed while the server was gone; say SIGKILL */
            *code = c->fs_have ? c->fs_code : -9;
            mp__os_close_handle(c->handle);
            c->handle = -1;
            return MP_OK;
        }
        if (r != MP_OK) return r;
        if (got) continue;
        left = deadline - mp__os_now();
        if (left <= 0 || timeout == 0) return MP_ETIMEDOUT;
        r = mp__os_poll(&c->handle, &one, 1, timeout >= 1e9 ? MP_FOREVER : left, &rdy);
        if (r < 0) return r;
    }
}

/* Before the first child (or forkserver): the arena, so that the whole family shares it,
   and the exit handler that joins the children. */
MP__FN int mp__start_prepare(void) {
    int r = mp__arena_ensure();
    if (r != MP_OK) return r;
    mp__atexit_register();
    return MP_OK;
}
MPDEF int mp_process_start(mp_process *p) {
    int r = mp__check(p), method;
    if (r != MP_OK) return r;
    if (p->mp__state != MP__INIT) return MP_ESTARTED;
    mp__init_globals();
    if (mp__g.boot_pending) mp__boot_guard(); /* main of a spawned child, going on as a parent */
    method = p->mp__method ? p->mp__method : mp__g.method;
    if (!p->mp__method && mp__g.method_error) {
        static int said;
        if (!said++)
            fprintf(stderr,
                    "mp.h: MP_START_METHOD is not a start method here (fork, spawn or "
                    "forkserver; fork and forkserver are POSIX only): %s\n",
                    mp_strerror(mp__g.method_error));
        return mp__g.method_error;
    }
    if (mp__g.self.mp__daemon) return MP_EDAEMON;
    if (method == MP_FORK && mp__g.fork_hook) { /* a look only when the program asked for one */
        int n = mp__os_thread_count();          /* (before the flush: the hook may print) */
        if (n > 1 && mp__g.fork_hook(n, mp__g.fork_hook_user) != 0) return MP_ETHREADS;
    }
    r = mp__start_prepare();
    if (r != MP_OK) return r;
    /* Python flushes too: a forked child would print the buffered output again, and a
       spawned one would print before what its parent printed earlier. */
    fflush(NULL);
    mp__os_lock();
    mp__reap_ended();
    mp__os_unlock();
    /* from here until the pid is known a child may exist that nobody can name */
    if (p->mp__pid_word) *p->mp__pid_word = MP__PID_STARTING;
    r = method == MP_FORK         ? mp__start_fork(p)
        : method == MP_FORKSERVER ? mp__start_forkserver(p)
                                  : mp__start_spawn(p);
    if (r != MP_OK && p->mp__pid_word) *p->mp__pid_word = 0; /* none, or ended and reaped */
    return r;
}

/* The child record of a started process, if this process is its parent. */
MP__FN int mp__started(mp_process *p, mp__child **out) {
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (p->mp__state == MP__INIT) return MP_ENOTSTARTED;
    *out = (mp__child *)p->mp__child;
    if (!*out || (*out)->owner != mp__g.pid) return MP_EINVAL; /* not our child */
    return MP_OK;
}
MPDEF int mp_process_join(mp_process *p, double timeout) {
    mp__child *c;
    int r = mp__started(p, &c);
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    r = mp__child_wait(c, timeout);
    if (r == MP_OK) p->mp__exitcode = c->exitcode;
    return r;
}
MPDEF int mp_process_is_alive(mp_process *p) {
    mp__child *c;
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (p->mp__state == MP__INIT) return 0;
    if (p == &mp__g.self || p->mp__pid == mp__g.pid) return 1;
    r = mp__started(p, &c);
    if (r != MP_OK) return r;
    r = mp__child_wait(c, 0);
    return r == MP_ETIMEDOUT ? 1 : r == MP_OK ? 0 : r;
}
MPDEF int mp_process_exitcode(mp_process *p, int *code) {
    mp__child *c;
    int r = mp__check(p);
    if (r != MP_OK) return r;
    if (!code) return MP_EINVAL;
    if (p->mp__state == MP__INIT || p->mp__pid == mp__g.pid) return 0;
    r = mp__started(p, &c);
    if (r != MP_OK) return r;
    if (c->kind == MP__CHILD_PARENT) return 0; /* a parent's exit code is not ours to know */
    r = mp__child_wait(c, 0);
    if (r == MP_ETIMEDOUT) return 0;
    if (r != MP_OK) return r;
    *code = p->mp__exitcode = c->exitcode;
    return 1;
}
MP__FN int mp__signal(mp_process *p, int hard) {
    mp__child *c;
    int r = mp__started(p, &c);
    if (r != MP_OK) return r;
    if (c->ended || mp__child_wait(c, 0) == MP_OK) return MP_OK; /* nothing left to end */
    return mp__os_proc_signal(c->pid, c->handle, hard);
}
MPDEF int mp_process_terminate(mp_process *p) {
    return mp__signal(p, 0);
}
MPDEF int mp_process_kill(mp_process *p) {
    return mp__signal(p, 1);
}
MPDEF int mp_process_close(mp_process *p) {
    mp__child *c = NULL;
    int r = mp__check(p);
    if (r == MP_ECLOSED) return MP_OK; /* twice is fine, as in Python */
    if (r != MP_OK) return r;
    if (p->mp__state == MP__STARTED && mp__started(p, &c) == MP_OK) {
        r = mp__child_wait(c, 0);
        if (r == MP_ETIMEDOUT) return MP_ERUNNING;
        if (r != MP_OK) return r;
        mp__child_remove(c);
    }
    p->mp__child = NULL;
    MP_FREE(p->mp__arg);
    p->mp__arg = NULL;
    p->mp__state = MP__CLOSED;
    return MP_OK;
}

MPDEF int mp_active_children(mp_process **out, int max) {
    mp__child *c;
    int n = 0;
    if (max < 0 || (max > 0 && !out)) return MP_EINVAL;
    mp__init_globals();
    mp__os_lock();
    mp__reap_ended();
    for (c = mp__g.children; c; c = c->next) {
        if (c->ended) continue;
        if (n < max) out[n] = c->proc;
        n++;
    }
    mp__os_unlock();
    return n;
}

/* parent_process(): a record of kind MP__CHILD_PARENT, which no reaper touches; it ends when
   the parent's pid is gone (or, for a real parent, when we are adopted by another). */
MP__FN int mp__parent_wait(mp__child *c, double timeout) {
    double deadline = mp__os_now() + (timeout > 1e9 ? 1e9 : timeout);
    unsigned char one = 1;
    for (;;) {
        double left;
        int rdy = 0;
        if (!mp__os_pid_alive(c->pid) || (!mp__g.fs_child && mp__os_getppid() != c->pid))
            return MP_OK;
        left = deadline - mp__os_now();
        if (left <= 0 || timeout == 0) return MP_ETIMEDOUT;
        if (c->handle >= 0) {
            if (mp__os_poll(&c->handle, &one, 1, left < 0.1 ? left : 0.1, &rdy) < 0) return MP_ESYS;
        } else {
            mp__os_sleep(left < 0.01 ? left : 0.01);
        }
    }
}
MPDEF mp_process *mp_parent_process(void) {
    mp_process *p = &mp__g.parent;
    mp__init_globals();
    if (!mp__g.identity[0]) return NULL; /* the main process (or a fork mp.h did not make) */
    mp__os_lock();
    if (p->mp__magic != MP__PROCESS_MAGIC || p->mp__state == MP__CLOSED) {
        mp__child *c = (mp__child *)MP_MALLOC(sizeof *c);
        if (!c) {
            mp__os_unlock();
            return NULL;
        }
        memset(c, 0, sizeof *c);
        memset(p, 0, sizeof *p);
        c->pid = mp__g.ppid;
        c->owner = mp__g.pid;
        c->kind = MP__CHILD_PARENT;
        c->handle = mp__os_proc_open(mp__g.ppid);
        c->proc = p;
        p->mp__magic = MP__PROCESS_MAGIC;
        p->mp__state = MP__STARTED;
        p->mp__pid = mp__g.ppid;
        p->mp__child = c;
        memcpy(p->mp__name, mp__g.parent_name, MP_NAME_MAX);
    }
    mp__os_unlock();
    return p;
}

MPDEF int mp_thread_count(void) {
    return mp__os_thread_count();
}
MPDEF void mp_set_fork_hook(mp_fork_hook_fn hook, void *user) {
    mp__init_globals();
    mp__os_lock();
    mp__g.fork_hook = hook;
    mp__g.fork_hook_user = user;
    mp__os_unlock();
}

/* ======================================================================================== */
/* >>helpers: time.sleep, time.time, time.monotonic, a string argument                       */
MPDEF int mp_sleep(double seconds) {
    double deadline, left;
    if (mp__bad_timeout(seconds)) return MP_EINVAL;
    if (seconds > 1e9) seconds = 1e9; /* 31 years: the clocks' doubles keep their precision */
    deadline = mp__os_now() + seconds;
    /* A sleep may end early (a signal, or a clock with coarse ticks): sleep what is left. */
    while ((left = deadline - mp__os_now()) > 0) mp__os_sleep(left);
    return MP_OK;
}
MPDEF double mp_time(void) {
    return mp__os_wall();
}
MPDEF double mp_monotonic(void) {
    return mp__os_now();
}
MPDEF int mp_process_init_str(mp_process *p, mp_target_fn target, const char *str,
                              const char *name) {
    if (!str) return MP_EINVAL;
    return mp_process_init(p, target, str, strlen(str) + 1, name);
}

/* ======================================================================================== */
/* >>sync: Lock, RLock, Semaphore, Event, Condition, Barrier, Value                          */
/* ======================================================================================== */

/* Every object starts with its type tag: a wrong pointer gives MP_EINVAL, a freed object
   MP_ECLOSED. */
MP__HOT int mp__obj_check(const void *o, mp__u32 type) {
    mp__u32 tag;
    if (!o || !mp__in_arena(o) || ((uintptr_t)o & 3)) return MP_EINVAL;
    tag = *(const volatile mp__u32 *)o;
    return tag == type ? MP_OK : tag == MP__T_DEAD ? MP_ECLOSED : MP_EINVAL;
}
/* group: NULL, or the head of the arena group the object belongs to (mp__heap_reap). */
MP__FN void *mp__obj_new_in(size_t size, mp__u32 type, const void *group) {
    mp__u32 *o = (mp__u32 *)mp__arena_alloc3(size, NULL, 1, group, 0);
    if (o) *o = type;
    return o;
}
MP__FN void *mp__obj_new(size_t size, mp__u32 type) {
    return mp__obj_new_in(size, type, NULL);
}
MP__FN int mp__obj_free(void *o, mp__u32 type) {
    int r = mp__obj_check(o, type);
    if (r != MP_OK) return r;
    *(volatile mp__u32 *)o = MP__T_DEAD;
    mp__arena_free(o);
    return MP_OK;
}
/* The time left before a deadline, for waits that loop. */
MP__FN double mp__deadline(double timeout) {
    return timeout >= 1e9 ? 1e300 : mp__os_now() + timeout;
}
MP__FN double mp__left(double deadline) {
    return deadline >= 1e300 ? 1e9 : deadline - mp__os_now();
}

struct mp_lock {
    mp__u32 type, recursive;
    mp__mutex m;
    volatile mp__u64 thread; /* RLock: the owning thread, valid while m is ours; atomic,
                                since the other threads of the process read it */
    volatile mp__u32 count;  /* the owner's depth: only the owning thread touches it */
};
MP__FN mp_lock *mp__lock_new(int recursive) {
    mp_lock *l;
    mp__init_globals();
    l = (mp_lock *)mp__obj_new(sizeof *l, MP__T_LOCK);
    if (l) l->recursive = (mp__u32)recursive;
    return l;
}
MPDEF mp_lock *mp_lock_new(void) {
    return mp__lock_new(0);
}
MPDEF mp_lock *mp_rlock_new(void) {
    return mp__lock_new(1);
}
MP__HOT int mp__lock_mine(mp_lock *l) {
    return mp__mutex_owned(&l->m) && (!l->recursive || mp__load64(&l->thread) == mp__os_tid());
}
MPDEF int mp_lock_is_mine(mp_lock *l) {
    return mp__obj_check(l, MP__T_LOCK) == MP_OK && mp__lock_mine(l);
}
MPDEF int mp_lock_locked(mp_lock *l) {
    int r = mp__obj_check(l, MP__T_LOCK);
    return r != MP_OK ? r : mp__mutex_held(&l->m);
}
MPDEF int mp_lock_acquire(mp_lock *l, double timeout) {
    int r = mp__obj_check(l, MP__T_LOCK);
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    if (l->recursive && mp__lock_mine(l)) {
        l->count++;
        return MP_OK;
    }
    r = mp__mutex_lock2(&l->m, timeout, 1);
    if (r == MP_OK || r == MP_EOWNERDEAD) {
        if (l->recursive) mp__store64(&l->thread, mp__os_tid());
        l->count = 1;
    }
    return r;
}
MPDEF int mp_lock_release(mp_lock *l) {
    int r = mp__obj_check(l, MP__T_LOCK);
    if (r != MP_OK) return r;
    if (!mp__lock_mine(l)) return MP_ENOTOWNER;
    if (--l->count > 0) return MP_OK;
    if (l->recursive) mp__store64(&l->thread, 0);
    return mp__mutex_unlock(&l->m);
}
MPDEF int mp_lock_free(mp_lock *l) {
    int r = mp__obj_check(l, MP__T_LOCK);
    if (r != MP_OK) return r;
    if (mp__mutex_owned(&l->m)) mp__mutex_leaving(&l->m); /* out of our list */
    return mp__obj_free(l, MP__T_LOCK);
}

struct mp_semaphore {
    mp__u32 type, bounded;
    mp__word value;
    mp__u32 max;
};
MP__FN mp_semaphore *mp__semaphore_new(unsigned value, int bounded) {
    mp_semaphore *s;
    mp__init_globals();
    if (value > 0x7fffffffu) return NULL;
    s = (mp_semaphore *)mp__obj_new(sizeof *s, MP__T_SEM);
    if (s) {
        s->bounded = (mp__u32)bounded;
        s->max = value;
        s->value.value = value;
    }
    return s;
}
MPDEF mp_semaphore *mp_semaphore_new(unsigned value) {
    return mp__semaphore_new(value, 0);
}
MPDEF mp_semaphore *mp_bounded_semaphore_new(unsigned value) {
    return mp__semaphore_new(value, 1);
}
MP__FN int mp__sem_take(mp__word *w, double timeout) {
    double deadline = mp__deadline(timeout);
    int spin = 0;
    for (;;) {
        mp__u32 v = mp__load(&w->value);
        double left;
        if (v > 0) {
            if (mp__cas(&w->value, v, v - 1)) return MP_OK;
            continue;
        }
        if (spin++ < 50) {
            mp__pause();
            continue;
        }
        left = mp__left(deadline);
        if (left <= 0) return MP_ETIMEDOUT;
        if (mp__wait_intr(w, 0, left) == MP_EINTERRUPTED) return MP_EINTERRUPTED;
    }
}
MPDEF int mp_semaphore_acquire(mp_semaphore *s, double timeout) {
    int r = mp__obj_check(s, MP__T_SEM);
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    return mp__sem_take(&s->value, timeout);
}
MPDEF int mp_semaphore_release(mp_semaphore *s) {
    int r = mp__obj_check(s, MP__T_SEM);
    if (r != MP_OK) return r;
    for (;;) {
        mp__u32 v = mp__load(&s->value.value);
        if ((s->bounded && v >= s->max) || v >= 0x7fffffffu) return MP_EOVERFLOW;
        if (mp__cas(&s->value.value, v, v + 1)) break;
    }
    mp__wake(&s->value, 1);
    return MP_OK;
}
MPDEF int mp_semaphore_get_value(mp_semaphore *s) {
    int r = mp__obj_check(s, MP__T_SEM);
    return r != MP_OK ? r : (int)mp__load(&s->value.value);
}
MPDEF int mp_semaphore_free(mp_semaphore *s) {
    return mp__obj_free(s, MP__T_SEM);
}

/* The word: bit 0 is the flag, the bits above count the sets. A waiter wakes on any change
   of the word, and every change but a clear (which only ever clears the bit) is a set: so a
   set is never missed, even when a clear follows it before the waiter runs. */
struct mp_event {
    mp__u32 type;
    mp__word flag;
};
MPDEF mp_event *mp_event_new(void) {
    mp__init_globals();
    return (mp_event *)mp__obj_new(sizeof(mp_event), MP__T_EVENT);
}
MPDEF int mp_event_set(mp_event *e) {
    int r = mp__obj_check(e, MP__T_EVENT);
    if (r != MP_OK) return r;
    for (;;) {
        mp__u32 v = mp__load(&e->flag.value);
        if (v & 1) return MP_OK;
        if (mp__cas(&e->flag.value, v, (v + 2) | 1)) break;
    }
    mp__wake(&e->flag, 0xffffffffu);
    return MP_OK;
}
MPDEF int mp_event_clear(mp_event *e) {
    int r = mp__obj_check(e, MP__T_EVENT);
    if (r != MP_OK) return r;
    for (;;) {
        mp__u32 v = mp__load(&e->flag.value);
        if (!(v & 1) || mp__cas(&e->flag.value, v, v & ~1u)) return MP_OK;
    }
}
MPDEF int mp_event_is_set(mp_event *e) {
    int r = mp__obj_check(e, MP__T_EVENT);
    return r != MP_OK ? r : (int)(mp__load(&e->flag.value) & 1);
}
MPDEF int mp_event_wait(mp_event *e, double timeout) {
    double deadline;
    mp__u32 v;
    int r = mp__obj_check(e, MP__T_EVENT);
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    v = mp__load(&e->flag.value);
    if (v & 1) return MP_OK;
    deadline = mp__deadline(timeout);
    while (mp__load(&e->flag.value) == v) { /* any change is a set */
        double left = mp__left(deadline);
        if (left <= 0) return MP_ETIMEDOUT;
        if (mp__wait_intr(&e->flag, v, left) == MP_EINTERRUPTED) return MP_EINTERRUPTED;
    }
    return MP_OK;
}
MPDEF int mp_event_free(mp_event *e) {
    return mp__obj_free(e, MP__T_EVENT);
}

/* Sequence counters, as in the classic futex condition variable: a waiter may only take a
   wakeup granted after it registered, so a waiter that comes back cannot steal another's;
   a waiter that times out consumes a wakeup slot of its own. A waiter that dies leaves one
   spare wakeup behind at worst, never a hang. The counters wrap; only differences count. */
struct mp_condition {
    mp__u32 type, own_lock;
    mp_lock *lock;
    mp__mutex m; /* guards the counters, for a few instructions at a time */
    mp__u32 total, wakeups, woken, broadcasts;
    mp__word futex;
};
MPDEF mp_condition *mp_condition_new(mp_lock *lock) {
    mp_condition *c;
    mp__init_globals();
    if (lock && mp__obj_check(lock, MP__T_LOCK) != MP_OK) return NULL;
    c = (mp_condition *)mp__obj_new(sizeof *c, MP__T_COND);
    if (!c) return NULL;
    c->lock = lock;
    if (!lock) {
        c->lock = mp_rlock_new();
        c->own_lock = 1;
        if (!c->lock) {
            mp__obj_free(c, MP__T_COND);
            return NULL;
        }
    }
    return c;
}
MPDEF mp_lock *mp_condition_lock(mp_condition *c) {
    return mp__obj_check(c, MP__T_COND) == MP_OK ? c->lock : NULL;
}
MPDEF int mp_condition_acquire(mp_condition *c, double timeout) {
    int r = mp__obj_check(c, MP__T_COND);
    return r != MP_OK ? r : mp_lock_acquire(c->lock, timeout);
}
MPDEF int mp_condition_release(mp_condition *c) {
    int r = mp__obj_check(c, MP__T_COND);
    return r != MP_OK ? r : mp_lock_release(c->lock);
}
/* The Condition, and its lock (which may have been freed apart from it). */
MP__FN int mp__cond_check(mp_condition *c) {
    int r = mp__obj_check(c, MP__T_COND);
    return r != MP_OK ? r : mp__obj_check(c->lock, MP__T_LOCK);
}
MPDEF int mp_condition_wait(mp_condition *c, double timeout) {
    mp__u32 depth, seq, bc;
    double deadline;
    int r = mp__cond_check(c), result = MP_ETIMEDOUT, intr = 0;
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    if (!mp__lock_mine(c->lock)) return MP_ENOTOWNER;
    deadline = mp__deadline(timeout);
    (void)mp__mutex_lock(&c->m, MP_FOREVER);
    c->total++;
    seq = c->wakeups;
    bc = c->broadcasts;
    mp__mutex_unlock(&c->m);
    depth = c->lock->count; /* an RLock is released all the way, and restored after */
    c->lock->count = 0;
    mp__store64(&c->lock->thread, 0);
    mp__mutex_unlock(&c->lock->m);
    for (;;) {
        mp__u32 f;
        double left = mp__left(deadline);
        (void)mp__mutex_lock(&c->m, MP_FOREVER);
        if (c->broadcasts != bc) {
            result = MP_OK;
        } else if (c->wakeups != seq && c->woken != c->wakeups) {
            c->woken++;
            result = MP_OK;
        } else if (left <= 0 || intr) {
            c->wakeups++; /* stop counting as a waiter: take a slot of our own */
            c->woken++;
            if (intr) result = MP_EINTERRUPTED;
        } else {
            f = mp__load(&c->futex.value);
            mp__mutex_unlock(&c->m);
            intr = mp__wait_intr(&c->futex, f, left) == MP_EINTERRUPTED;
            continue;
        }
        mp__mutex_unlock(&c->m);
        break;
    }
    r = mp__mutex_lock(&c->lock->m, MP_FOREVER);
    mp__store64(&c->lock->thread, mp__os_tid());
    c->lock->count = depth;
    return r == MP_EOWNERDEAD ? r : result;
}
MPDEF int mp_condition_wait_for(mp_condition *c, int (*pred)(void *arg), void *arg,
                                double timeout) {
    double deadline;
    int r = mp__cond_check(c), dead = 0;
    if (r != MP_OK) return r;
    if (!pred || mp__bad_timeout(timeout)) return MP_EINVAL;
    if (!mp__lock_mine(c->lock)) return MP_ENOTOWNER;
    deadline = mp__deadline(timeout);
    while (!pred(arg)) {
        double left = mp__left(deadline);
        if (left <= 0) return dead ? MP_EOWNERDEAD : MP_ETIMEDOUT;
        r = mp_condition_wait(c, left);
        if (r == MP_EINTERRUPTED) return r;
        if (r == MP_EOWNERDEAD)
            dead = 1;
        else if (r != MP_OK && r != MP_ETIMEDOUT)
            return r;
    }
    return dead ? MP_EOWNERDEAD : MP_OK;
}
MPDEF int mp_condition_notify(mp_condition *c, int n) {
    mp__u32 k = 0;
    int r = mp__cond_check(c);
    if (r != MP_OK) return r;
    if (n < 0) return MP_EINVAL;
    if (!mp__lock_mine(c->lock)) return MP_ENOTOWNER;
    (void)mp__mutex_lock(&c->m, MP_FOREVER);
    if (n == 0x7fffffff && (int)(c->total - c->wakeups) > 0) { /* notify_all */
        c->wakeups = c->woken = c->total;
        c->broadcasts++;
        k = 0xffffffffu;
    }
    while (k < (mp__u32)n && (int)(c->total - c->wakeups) > 0) {
        c->wakeups++;
        k++;
    }
    if (k) mp__fetch_add(&c->futex.value, 1);
    mp__mutex_unlock(&c->m);
    if (k) mp__wake(&c->futex, k);
    return MP_OK;
}
MPDEF int mp_condition_notify_all(mp_condition *c) {
    return mp_condition_notify(c, 0x7fffffff);
}
MPDEF int mp_condition_free(mp_condition *c) {
    int r = mp__obj_check(c, MP__T_COND);
    if (r != MP_OK) return r;
    if (c->own_lock) mp_lock_free(c->lock);
    return mp__obj_free(c, MP__T_COND);
}

/* Python's threading.Barrier. seq changes on every event (release, break, reset), so a
   waiter sleeps on one word and looks at the state when it wakes. A generation ends by a pass
   or by a reset; a waiter may sleep through several ends, so it must learn how *its*
   generation ended: a waiter sees no reset since it came (it passed), or no pass (it was
   reset), or else reads its generation's bit in the record of the last MP__BARRIER_HISTORY
   ends. Counters wrap; only differences count. */
#define MP__BARRIER_HISTORY 256
struct mp_barrier {
    mp__u32 type;
    mp__u32 parties, count, broken;
    mp__u32 generation, passes, resets;       /* generation == passes + resets */
    mp__u32 passed[MP__BARRIER_HISTORY / 32]; /* bit g % HISTORY: generation g passed */
    mp__mutex m;
    mp__word seq;
    mp__u32 has_action; /* 1: int (*)(void); 2: int (*)(void *ctx) */
    mp__u64 action_offset;
    mp__u64 ctx;    /* the action's argument, as given */
    double timeout; /* the default timeout; 0: none */
    char action_module[1024];
};
MP__FN mp_barrier *mp__barrier_new(int parties, void (*action)(void), int kind, void *ctx,
                                   double timeout) {
    mp_barrier *b;
    mp__init_globals();
    if (parties < 1 || mp__bad_timeout(timeout)) return NULL;
    b = (mp_barrier *)mp__obj_new(sizeof *b, MP__T_BARRIER);
    if (!b) return NULL;
    b->parties = (mp__u32)parties;
    b->ctx = (mp__u64)(uintptr_t)ctx;
    b->timeout = timeout;
    if (action) {
        void *fn = mp__fn_addr(action);
        if (mp__os_module_locate(fn, b->action_module, sizeof b->action_module,
                                 &b->action_offset) != MP_OK) {
            mp__obj_free(b, MP__T_BARRIER);
            return NULL;
        }
        b->has_action = (mp__u32)kind;
    }
    return b;
}
MPDEF mp_barrier *mp_barrier_new(int parties, int (*action)(void)) {
    return mp__barrier_new(parties, (void (*)(void))action, 1, NULL, 0);
}
MPDEF mp_barrier *mp_barrier_new2(int parties, const mp_barrier_options *opts) {
    if (!opts) return mp__barrier_new(parties, NULL, 0, NULL, 0);
    return mp__barrier_new(parties, (void (*)(void))opts->action, 2, opts->ctx, opts->timeout);
}
MP__FN void mp__barrier_bump(mp_barrier *b) {
    mp__fetch_add(&b->seq.value, 1);
    mp__wake(&b->seq, 0xffffffffu);
}
/* Ends the current generation (the lock held). */
MP__FN void mp__barrier_end(mp_barrier *b, int passed) {
    mp__u32 g = b->generation % MP__BARRIER_HISTORY, bit = (mp__u32)1 << (g % 32);
    if (passed) {
        b->passed[g / 32] |= bit;
        b->passes++;
    } else {
        b->passed[g / 32] &= ~bit;
        b->resets++;
    }
    b->generation++;
    b->count = 0;
}
/* How generation gen ended, for a waiter that came when passes and resets were as given. */
MP__FN int mp__barrier_passed(mp_barrier *b, mp__u32 gen, mp__u32 passes, mp__u32 resets) {
    mp__u32 g = gen % MP__BARRIER_HISTORY;
    if (b->resets == resets) return 1;
    if (b->passes == passes) return 0;
    if (b->generation - gen <= MP__BARRIER_HISTORY) return (b->passed[g / 32] >> (g % 32)) & 1;
    return 0; /* slept through more than the record: it cannot tell, so it says broken */
}
MPDEF int mp_barrier_wait(mp_barrier *b, double timeout) {
    mp__u32 gen, passes, resets, index;
    double deadline;
    int r = mp__obj_check(b, MP__T_BARRIER);
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    if (timeout >= 1e9 && b->timeout > 0) timeout = b->timeout; /* Python: wait(None) */
    deadline = mp__deadline(timeout);
    (void)mp__mutex_lock(&b->m, MP_FOREVER); /* held for a few instructions only */
    if (b->broken) {
        mp__mutex_unlock(&b->m);
        return MP_EBROKEN;
    }
    index = b->count++;
    gen = b->generation;
    passes = b->passes;
    resets = b->resets;
    if (b->count == b->parties) {
        int ok = 1;
        if (b->has_action) {
            void *fn = mp__os_module_resolve(b->action_module, b->action_offset);
            if (!fn)
                ok = 0;
            else if (b->has_action == 2)
                ok = ((int (*)(void *))mp__addr_fn(fn))((void *)(uintptr_t)b->ctx) == 0;
            else
                ok = ((int (*)(void))mp__addr_fn(fn))() == 0;
        }
        if (ok) {
            mp__barrier_end(b, 1);
        } else {
            b->count = 0;
            b->broken = 1;
        }
        mp__barrier_bump(b);
        mp__mutex_unlock(&b->m);
        return ok ? (int)index : MP_EBROKEN;
    }
    for (;;) {
        mp__u32 s = mp__load(&b->seq.value);
        double left;
        if (b->generation != gen) {
            r = mp__barrier_passed(b, gen, passes, resets) ? (int)index : MP_EBROKEN;
            break;
        }
        if (b->broken) {
            r = MP_EBROKEN;
            break;
        }
        left = mp__left(deadline);
        if (left <= 0) { /* Python: a timeout breaks the barrier for everyone */
            b->broken = 1;
            mp__barrier_bump(b);
            r = MP_ETIMEDOUT;
            break;
        }
        mp__mutex_unlock(&b->m);
        if (mp__wait_intr(&b->seq, s, left) == MP_EINTERRUPTED) {
            (void)mp__mutex_lock(&b->m, MP_FOREVER);
            if (b->generation == gen && !b->broken) { /* it leaves: it is not waiting now */
                r = MP_EINTERRUPTED;
                break;
            }
            continue;
        }
        (void)mp__mutex_lock(&b->m, MP_FOREVER);
    }
    if (r < 0 && b->count > 0 && b->generation == gen) b->count--;
    mp__mutex_unlock(&b->m);
    return r;
}
MPDEF int mp_barrier_abort(mp_barrier *b) {
    int r = mp__obj_check(b, MP__T_BARRIER);
    if (r != MP_OK) return r;
    (void)mp__mutex_lock(&b->m, MP_FOREVER);
    b->broken = 1;
    mp__barrier_bump(b);
    mp__mutex_unlock(&b->m);
    return MP_OK;
}
MPDEF int mp_barrier_reset(mp_barrier *b) {
    int r = mp__obj_check(b, MP__T_BARRIER);
    if (r != MP_OK) return r;
    (void)mp__mutex_lock(&b->m, MP_FOREVER);
    mp__barrier_end(b, 0); /* the waiters of the old generation see it reset: broken */
    b->broken = 0;
    mp__barrier_bump(b);
    mp__mutex_unlock(&b->m);
    return MP_OK;
}
MPDEF int mp_barrier_parties(mp_barrier *b) {
    int r = mp__obj_check(b, MP__T_BARRIER);
    return r != MP_OK ? r : (int)b->parties;
}
MP__FN int mp__barrier_read(mp_barrier *b, int broken) { /* under the lock, like the writes */
    int r = mp__obj_check(b, MP__T_BARRIER);
    if (r != MP_OK) return r;
    (void)mp__mutex_lock(&b->m, MP_FOREVER);
    r = broken ? b->broken != 0 : (int)b->count;
    mp__mutex_unlock(&b->m);
    return r;
}
MPDEF int mp_barrier_n_waiting(mp_barrier *b) {
    return mp__barrier_read(b, 0);
}
MPDEF int mp_barrier_broken(mp_barrier *b) {
    return mp__barrier_read(b, 1);
}
MPDEF int mp_barrier_free(mp_barrier *b) {
    return mp__obj_free(b, MP__T_BARRIER);
}

struct mp_value {
    mp__u32 type, pad;
    mp_lock *lock;
    mp__u64 size;
    mp__u64 data[1]; /* size bytes, 8-byte aligned */
};
MPDEF mp_value *mp_value_new(size_t size) {
    mp_value *v;
    mp__init_globals();
    if (size == 0 || size > ((size_t)-1) / 2) return NULL;
    v = (mp_value *)mp__obj_new(sizeof(mp_value) + size, MP__T_VALUE);
    if (!v) return NULL;
    v->size = size;
    v->lock = mp_rlock_new(); /* Python's default for Value is an RLock */
    if (!v->lock) {
        mp__obj_free(v, MP__T_VALUE);
        return NULL;
    }
    return v;
}
MPDEF mp_value *mp_value_new_init(size_t size, const void *init) {
    mp_value *v = mp_value_new(size);
    if (v && init) memcpy(v->data, init, size);
    return v;
}
MPDEF mp_value *mp_array_new(size_t item_size, size_t n, const void *init) {
    if (item_size && n > ((size_t)-1) / 2 / item_size) return NULL;
    return mp_value_new_init(item_size * n, init);
}
MPDEF void *mp_value_ptr(mp_value *v) {
    return mp__obj_check(v, MP__T_VALUE) == MP_OK ? (void *)v->data : NULL;
}
MPDEF size_t mp_value_size(mp_value *v) {
    return mp__obj_check(v, MP__T_VALUE) == MP_OK ? (size_t)v->size : 0;
}
MPDEF mp_lock *mp_value_lock(mp_value *v) {
    return mp__obj_check(v, MP__T_VALUE) == MP_OK ? v->lock : NULL;
}
MPDEF int mp_value_free(mp_value *v) {
    int r = mp__obj_check(v, MP__T_VALUE);
    if (r != MP_OK) return r;
    mp_lock_free(v->lock);
    return mp__obj_free(v, MP__T_VALUE);
}

/* ======================================================================================== */
/* >>queue: a ring of variable-length records in the arena, under two robust locks          */
/* A record is an 8-byte header (kind | piece length, total length) and its bytes, padded   */
/* to 8. WHOLE is a message; FIRST, MORE..., LAST stream one that does not fit; ABORT ends  */
/* a stream whose producer gave up or died. head and tail only grow; a record is published  */
/* by the single store to tail, so a producer that dies before it leaves nothing behind,    */
/* and taken by the single store to head, so a consumer that dies before it loses nothing.  */
/* Why two locks: producers take m, consumers cm, so one producer and one consumer never    */
/* wait for each other (the fast paths: whole records); everything else (streams, sleeps,   */
/* growth, recovery after a death, corruption) runs under both, taken cm first.             */
/* count is what the ring holds (its WHOLE and FIRST records) plus the message a stream     */
/* consumer is taking, less taken (the fast gets'), folded in under both locks; after a     */
/* death inside a lock it is counted again from the ring.                                   */
/* An unbounded queue (grow) moves its records to a larger ring block (q->ring, published   */
/* by one store) when a put has no room, and back to the first ring when it drains.         */
/* Every field is shared with the whole family, so it is input: cap is checked against the  */
/* object (or the ring block) at each lock, positions and record headers before use; a ring */
/* found corrupted is emptied (MP_ECORRUPT) and the queue goes on.                          */
/* ======================================================================================== */
enum { MP__REC_WHOLE = 0, MP__REC_FIRST, MP__REC_MORE, MP__REC_LAST, MP__REC_ABORT };
#define MP__REC_KIND(h) ((h) >> 29)
#define MP__REC_LEN(h)  ((h)&0x1fffffffu)
#define MP__PAD8(n)     (((mp__u64)(n) + 7) & ~(mp__u64)7)
#ifndef MP__QSPIN
#define MP__QSPIN 2000 /* spins of a process waiting for the other side before it sleeps */
#endif
#define MP__QEND 1 /* mp__queue_stream: the stream was aborted */

struct mp_queue {
    mp__u32 type, joinable;
    mp__u64 cap, maxsize;
    mp__u32 closed;
    mp__u32 grow;                             /* no capacity given: the ring grows */
    mp__u32 shut;                             /* 1: shut down, 2: immediately */
    volatile mp__u32 recover;                 /* a fast path found a dead lock owner */
    mp__u32 stream_producer, stream_consumer; /* pids, 0 when no stream is under way */
    mp__u64 stream_start;                     /* where the stream's FIRST record is */
    unsigned char *volatile ring; /* NULL: the ring is data; else a grown ring (mp__qring) */
    void *volatile loose;         /* a grown ring being filled: its filler died if seen */
    mp__word unfinished;          /* JoinableQueue: put and not task_done */
    char pad0[64];                /* each side's fields on cache lines of their own */
    mp__mutex m;                  /* producers' */
    volatile mp__u64 count; /* messages put (in the ring, and the one a stream consumer takes) */
    mp__u64 head_seen;      /* head as a fast put last read it: it reads head only when full */
    char pad1[64];
    volatile mp__u64 tail; /* alone: a consumer watching it does not take the lock's line */
    char pad2[64];
    mp__mutex cm;           /* consumers' */
    volatile mp__u64 taken; /* messages the fast get took since the slow path last counted */
    mp__u64 tail_seen;      /* tail as a fast get last read it: it reads tail only when empty */
    char pad5[64];
    volatile mp__u64 head;
    char pad6[64];
    /* A word to sleep on, and a flag that someone will: set under the locks before they let
       them go; the next put (get) that finds it set clears it, bumps the word and wakes
       every sleeper: one atomic and one system call per sleep, not per message. */
    mp__word readable;
    volatile mp__u32 rd_spin;
    char pad3[64];
    mp__word writable;
    volatile mp__u32 wr_spin;
    char pad4[64];
    mp__u64 data[1]; /* the first ring: cap bytes */
};
/* A grown ring: an arena block that names its queue and its size, then the bytes. Written
   whole before the single store to q->ring that publishes it. */
typedef struct mp__qring {
    mp__u64 owner, cap;
} mp__qring;
#define MP__QRING_MAX ((mp__u64)1 << 29) /* a record's length has 29 bits */

/* The ring's size, read once and checked against the object's arena block: 0 if it was
   overwritten. Every ring access uses the value checked here, never the shared field.
   A queue's block keeps its size while it lives, so a cap that checked once is remembered
   (a few slots, each one word that threads read whole: (offset in the arena / 16 + 1) << 30
   | cap) and needs no second walk of the arena's headers: that walk was 16% of a put and a
   get's instructions (callgrind: 930 -> 810 a pair). */
static volatile mp__u64 mp__qcap_memo[8];
#define MP__QCAP_OFF(q)  ((mp__u64)((const char *)(q)-mp__g.arena) / 16)
#define MP__QCAP_SLOT(q) mp__qcap_memo[(MP__QCAP_OFF(q) ^ (MP__QCAP_OFF(q) >> 8)) & 7]
MP__FN mp__u64 mp__queue_cap0(mp_queue *q) { /* the first ring's */
    mp__u64 cap = *(volatile mp__u64 *)&q->cap, key = ((MP__QCAP_OFF(q) + 1) << 30) | cap;
    if (cap <= MP__QRING_MAX && mp__load64(&MP__QCAP_SLOT(q)) == key) return cap;
    if (cap < 4096 || cap > MP__QRING_MAX || (cap & (cap - 1)) ||
        sizeof(mp_queue) + cap > (mp__u64)mp__arena_block_size(q))
        return 0;
    mp__store64(&MP__QCAP_SLOT(q), key);
    return cap;
}
MP__FN mp__u64 mp__queue_cap(mp_queue *q) {
    mp__qring *g = (mp__qring *)q->ring;
    mp__u64 cap;
    if (!g) return mp__queue_cap0(q);
    if (!mp__in_arena(g)) return 0;
    cap = *(volatile mp__u64 *)&g->cap;
    if (g->owner != (mp__u64)(uintptr_t)q || cap < 4096 || cap > MP__QRING_MAX ||
        (cap & (cap - 1)) || sizeof(mp__qring) + cap > (mp__u64)mp__arena_block_size(g))
        return 0;
    return cap;
}
MP__HOT unsigned char *mp__ring(mp_queue *q) {
    return q->ring ? q->ring + sizeof(mp__qring) : (unsigned char *)q->data;
}
MP__HOT void mp__ring_put(mp_queue *q, mp__u64 cap, mp__u64 pos, const void *src, size_t n) {
    size_t off = (size_t)(pos & (cap - 1)), first = (size_t)cap - off;
    if (!n) return; /* src may be NULL */
    if (first > n) first = n;
    memcpy(mp__ring(q) + off, src, first);
    if (n > first) memcpy(mp__ring(q), (const unsigned char *)src + first, n - first);
}
MP__HOT void mp__ring_take(mp_queue *q, mp__u64 cap, mp__u64 pos, void *dst, size_t n) {
    size_t off = (size_t)(pos & (cap - 1)), first = (size_t)cap - off;
    if (!n) return; /* dst may be NULL */
    if (first > n) first = n;
    memcpy(dst, mp__ring(q) + off, first);
    if (n > first) memcpy((unsigned char *)dst + first, mp__ring(q), n - first);
}
/* Appends one record and publishes it. The caller has made sure that it fits. */
/* Wakes those who said (spin) that they sleep on w. Called with the lock held, BEFORE the
   change they wait for is published: a process killed between the two leaves them awake
   and waiting for its lock, whose owner's death they see. Woken after the change, a death
   in between left them asleep with the change made (issue 12: under Wine, with no liveness
   slices, queue_consumer_killed_mid_get waited out its whole timeout). */
MP__HOT void mp__queue_bump(volatile mp__u32 *spin, mp__word *w) {
    if (mp__load(spin) && mp__xchg(spin, 0)) {
        mp__fetch_add(&w->value, 1);
        mp__wake(w, 0xffffffffu);
    }
}
/* Writes a record (its header, then its bytes) at pos, 8-aligned; the caller has made sure
   that it fits, and publishes it. */
MP__HOT void mp__ring_write(mp_queue *q, mp__u64 cap, mp__u64 pos, mp__u32 kind, const void *src,
                            size_t n, size_t total) {
    mp__u32 h[2];
    h[0] = (kind << 29) | (mp__u32)n;
    h[1] = (mp__u32)total;
    memcpy(mp__ring(q) + (pos & (cap - 8)), h, sizeof h); /* 8-aligned: a header never wraps */
    mp__ring_put(q, cap, pos + 8, src, n);
}
/* The length of the whole message (a WHOLE record) at head, if all of it is before tail;
   else -1: anything else goes to the slow path, which checks it. */
MP__HOT long mp__ring_whole_at(mp_queue *q, mp__u64 cap, mp__u64 head, mp__u64 tail) {
    mp__u32 h[2], len;
    memcpy(h, mp__ring(q) + (head & (cap - 8)), sizeof h);
    len = MP__REC_LEN(h[0]);
    if (MP__REC_KIND(h[0]) != MP__REC_WHOLE || h[1] != len || MP__PAD8(len) + 8 > tail - head)
        return -1;
    return (long)len;
}
MP__FN void mp__ring_append(mp_queue *q, mp__u64 cap, mp__u32 kind, const void *src, size_t n,
                            size_t total) {
    mp__ring_write(q, cap, q->tail, kind, src, n, total);
    mp__queue_bump(&q->rd_spin, &q->readable);
    q->tail += 8 + MP__PAD8(n); /* the commit */
}
MP__FN void mp__ring_drop(mp_queue *q, mp__u32 len) {
    mp__queue_bump(&q->wr_spin, &q->writable);
    q->head += 8 + MP__PAD8(len);
}
/* Free bytes, less the 8 always kept for an ABORT record. */
MP__FN mp__u64 mp__queue_free_bytes(mp_queue *q, mp__u64 cap) {
    mp__u64 used = q->tail - q->head;
    return used + 8 >= cap ? 0 : cap - used - 8;
}

/* The ring was found corrupted: what it held is dropped, and a process streaming through it
   finds its stream gone (MP_ECORRUPT), so that the queue can go on. */
MP__FN int mp__queue_reset(mp_queue *q) {
    q->tail &= ~(mp__u64)7;
    q->head = q->tail;
    q->stream_producer = q->stream_consumer = 0;
    q->count = 0;
    mp__fetch_add(&q->readable.value, 1);
    mp__fetch_add(&q->writable.value, 1);
    mp__wake(&q->readable, 0xffffffffu);
    mp__wake(&q->writable, 0xffffffffu);
    return MP_ECORRUPT;
}
/* The header of the record at pos (head <= pos < tail), checked: a kind that exists, a piece
   that ends by tail, a WHOLE's total its length, a FIRST's more than its length (a message
   is streamed only when it does not fit) and no more than a message's. */
MP__FN int mp__ring_header(mp_queue *q, mp__u64 cap, mp__u64 pos, mp__u32 *kind, mp__u32 *len,
                           mp__u32 *total) {
    mp__u32 h[2];
    memcpy(h, mp__ring(q) + (pos & (cap - 8)), sizeof h); /* 8-aligned: a header never wraps */
    *kind = MP__REC_KIND(h[0]);
    *len = MP__REC_LEN(h[0]);
    *total = h[1];
    if (*kind > MP__REC_ABORT || MP__PAD8(*len) + 8 > q->tail - pos ||
        (*kind == MP__REC_WHOLE && *total != *len) ||
        (*kind == MP__REC_FIRST && (*len >= *total || *total > MP_MESSAGE_MAX)))
        return mp__queue_reset(q);
    return MP_OK;
}

/* Counts the messages again from the ring (after a death, or a count that cannot be). */
MP__FN int mp__queue_recount(mp_queue *q, mp__u64 cap) {
    mp__u64 pos = q->head, n = q->stream_consumer ? 1 : 0;
    while (pos != q->tail) {
        mp__u32 kind, len, total;
        if (mp__ring_header(q, cap, pos, &kind, &len, &total) != MP_OK) return MP_ECORRUPT;
        if (kind == MP__REC_WHOLE || kind == MP__REC_FIRST) n++;
        pos += 8 + MP__PAD8(len);
    }
    q->count = n;
    return MP_OK;
}

/* Ends a stream that will not be finished (its producer gave up or died): if no consumer
   has begun it, it is taken back whole; otherwise an ABORT record (8 bytes are always kept
   free for it) tells the consumer to drop it. Called with the lock held. */
MP__FN int mp__queue_end_stream(mp_queue *q, mp__u64 cap) {
    mp__u64 start = q->stream_start; /* <= tail: checked at the lock */
    q->stream_producer = 0;
    if (q->head <= start) {
        if (start != q->tail) { /* its FIRST, counted, is in the ring */
            mp__u32 kind, len, total;
            if (mp__ring_header(q, cap, start, &kind, &len, &total) != MP_OK) return MP_ECORRUPT;
            if (kind != MP__REC_FIRST) return mp__queue_reset(q);
            q->count--;
        }
        q->tail = start;
        mp__fetch_add(&q->writable.value, 1);
    } else {
        if (q->tail - q->head + 8 > cap) return mp__queue_reset(q);
        mp__ring_append(q, cap, MP__REC_ABORT, NULL, 0, 0);
    }
    mp__wake(&q->readable, 0xffffffffu);
    mp__wake(&q->writable, 0xffffffffu);
    return MP_OK;
}
/* Ends what dead stream partners left: a dead producer's stream (mp__queue_end_stream), a dead
   consumer's place (the rest of its message is dropped by the next get); then counts again.
   1 if it did something (always: after a death inside the lock), 0 if not, or MP_ECORRUPT. */
MP__FN int mp__queue_reap(mp_queue *q, mp__u64 cap, int always) {
    mp__u32 me = (mp__u32)mp__g.pid, c = q->stream_consumer, p = q->stream_producer;
    int found = always;
    if (c && c != me && !mp__os_pid_alive((long)c)) {
        q->stream_consumer = 0;
        found = 1;
    }
    if (p && p != me && !mp__os_pid_alive((long)p)) {
        if (mp__queue_end_stream(q, cap) != MP_OK) return MP_ECORRUPT;
        found = 1;
    }
    if (!found) return 0;
    return mp__queue_recount(q, cap) == MP_OK ? 1 : MP_ECORRUPT;
}

#ifndef MP__QLOCKSPIN
#define MP__QLOCKSPIN 64 /* tries at a lock held by a put or get (a few hundred ns) */
#endif
/* One of the two locks: a few tries (a put or a get holds it briefly), then the robust wait.
   MP_OK, MP_EOWNERDEAD (held), or the wait's error (not held). */
MP__FN int mp__queue_mutex(mp__mutex *m) {
    int i;
    for (i = 0; i < MP__QLOCKSPIN + 4; i++) { /* the last tries give the holder the CPU */
        if (mp__mutex_trylock(m)) return MP_OK;
        if (i < MP__QLOCKSPIN)
            mp__pause();
        else
            mp__os_yield();
    }
    return mp__mutex_lock(m, MP_FOREVER);
}
/* A ring block that a process was filling when it died (mp__queue_resize sets loose, under
   both locks, and clears it before it lets them go): the queue never used it, so it goes
   back to the arena, if it is one of this queue's ring blocks. Before, a producer killed in
   the copy of a grown ring leaked the new block, up to half the arena each time. Under both
   locks, or from mp_queue_free. */
MP__FN void mp__queue_drop_loose(mp_queue *q) {
    mp__qring *g = (mp__qring *)q->loose;
    q->loose = NULL;
    if (g && (unsigned char *)(void *)g != q->ring && mp__in_arena(g) &&
        mp__arena_block_size(g) >= sizeof *g && g->owner == (mp__u64)(uintptr_t)q)
        mp__arena_free(g);
}
/* The slow paths: takes both locks (the consumers', then the producers') and checks the
   queue: MP_OK, or MP_ECORRUPT, with the locks held (*held); or the error of a lock's wait
   (MP_EINTERRUPTED), without them. The fast gets' count is folded into count here.
   *cap is the checked ring size (0 if it cannot be trusted, and then nothing is touched). */
MP__FN int mp__queue_lock(mp_queue *q, mp__u64 *cap, int *held) {
    int dead, r = mp__queue_mutex(&q->cm);
    if (r != MP_OK && r != MP_EOWNERDEAD) return r;
    dead = r == MP_EOWNERDEAD;
    r = mp__queue_mutex(&q->m);
    if (r != MP_OK && r != MP_EOWNERDEAD) {
        mp__mutex_unlock(&q->cm);
        return r;
    }
    dead |= r == MP_EOWNERDEAD || mp__load(&q->recover);
    mp__store(&q->recover, 0);
    q->count -= q->taken;
    q->taken = 0;
    *held = 1;
    if (q->loose) mp__queue_drop_loose(q);
    *cap = mp__queue_cap(q);
    if (!*cap && q->ring && (*cap = mp__queue_cap0(q)) != 0) {
        q->ring = NULL; /* a grown ring that cannot be trusted: back to the first (it leaks) */
        return mp__queue_reset(q);
    }
    if (!*cap) return MP_ECORRUPT;
    if (((q->head | q->tail) & 7) || q->tail - q->head > *cap ||
        (q->stream_producer && ((q->stream_start & 7) || q->stream_start > q->tail)))
        return mp__queue_reset(q);
    if (dead) { /* the records up to tail are whole (tail moves last): end, then recount */
        r = mp__queue_reap(q, *cap, 1);
        return r < 0 ? r : MP_OK;
    }
    if (q->count > (q->tail - q->head) / 8 + 1) {
        (void)mp__queue_recount(q, *cap);
        return MP_ECORRUPT;
    }
    return MP_OK;
}
MP__FN void mp__queue_unlock(mp_queue *q, int *held) {
    if (*held) { /* a slow path may have moved either way: the fast paths look again */
        mp__store64_release(&q->head_seen, q->head); /* atomic: the hot paths peek */
        mp__store64_release(&q->tail_seen, q->tail);
        mp__mutex_unlock(&q->m);
        mp__mutex_unlock(&q->cm);
    }
    *held = 0;
}
/* Sleeps on a word with the lock released, and on the end of the stream's partners
   (mp__wait_owner: at once on Windows; elsewhere looked for when a slice passes, 10 ms while
   a stream is under way, 100 ms otherwise). No wake is lost to a death: wakers wake before
   they publish (mp__queue_bump). A dead stream partner is reaped when the sleep ends with
   nothing happening, and before a timeout is reported (so that put_nowait and get_nowait
   see it too). MP_OK,
   MP_ETIMEDOUT or MP_ECORRUPT with the lock held again; or the error of a wait (an
   interrupt), given to the caller as it is, and the lock held if *held says so. */
MP__FN int mp__queue_sleep2(mp_queue *q, mp__u64 *cap, mp__word *w, double *deadline,
                            double timeout, int spin, int *held, int intr) {
    volatile mp__u32 *waiting = w == &q->readable ? &q->rd_spin : &q->wr_spin;
    mp__u32 v = mp__load(&w->value), partner[2];
    double left, slice = q->stream_producer || q->stream_consumer ? 0.01 : 0.1;
    int r, idle = 0, woke = MP_OK;
    if (*deadline < 0) *deadline = mp__deadline(timeout); /* only now: the clock costs */
    left = mp__left(*deadline);
    if (left <= 0) {
        r = mp__queue_reap(q, *cap, 0);
        return r < 0 ? r : r ? MP_OK : MP_ETIMEDOUT;
    }
    mp__store(waiting, 1);           /* under the locks: whoever changes the queue next sees it */
    partner[0] = q->stream_producer; /* a death wakes the sleep (mp__wait_owner) */
    partner[1] = q->stream_consumer;
    mp__queue_unlock(q, held);
    while (spin-- > 0 && mp__load(&w->value) == v) mp__pause();
    if (mp__load(&w->value) == v) {
        woke = mp__wait_owner(w, v, left, slice, partner, intr);
        idle = woke == MP_ETIMEDOUT || woke == MP_EOWNERDEAD;
    }
    if (woke != MP_OK && !idle) return woke; /* interrupted: not locked again */
    r = mp__queue_lock(q, cap, held);
    if (r == MP_OK && idle) r = mp__queue_reap(q, *cap, 0);
    return r < 0 ? r : MP_OK;
}
/* The same, and mp_interrupt ends it. */
MP__FN int mp__queue_sleep(mp_queue *q, mp__u64 *cap, mp__word *w, double *deadline, double timeout,
                           int spin, int *held) {
    return mp__queue_sleep2(q, cap, w, deadline, timeout, spin, held, 1);
}

/* Moves the records to a ring of ncap bytes (a grown one, or the first ring again when
   ncap is its size), at the same positions. MP_ENOMEM if the arena has no room. A death in
   here leaves the queue as it was (it changes by the store to q->ring); the new block, kept
   in loose meanwhile, goes back at the next lock (mp__queue_drop_loose). */
MP__FN int mp__queue_resize(mp_queue *q, mp__u64 *cap, mp__u64 ncap, int first) {
    unsigned char *old = q->ring, *src = mp__ring(q), *dst;
    mp__qring *g = NULL;
    mp__u64 pos = q->head, n = q->tail - q->head;
    if (first) {
        dst = (unsigned char *)q->data;
    } else {
        /* in loose from the allocator's lock on; its bytes are all written before use */
        g = (mp__qring *)mp__arena_alloc_to((size_t)(sizeof(mp__qring) + ncap), &q->loose);
        if (!g) return MP_ENOMEM;
        g->owner = (mp__u64)(uintptr_t)q;
        g->cap = ncap;
        dst = (unsigned char *)g + sizeof(mp__qring);
    }
    while (n) { /* the piece up to where either ring wraps */
        mp__u64 a = pos & (*cap - 1), b = pos & (ncap - 1), k = n;
        if (k > *cap - a) k = *cap - a;
        if (k > ncap - b) k = ncap - b;
        memcpy(dst + b, src + a, (size_t)k);
        pos += k;
        n -= k;
    }
    q->ring = (unsigned char *)g; /* the commit */
    q->loose = NULL;
    *cap = ncap;
    if (old) mp__arena_free(old);
    return MP_OK;
}
/* An unbounded queue that has no room for rec bytes: a ring twice as large, or more. */
MP__FN int mp__queue_grow(mp_queue *q, mp__u64 *cap, mp__u64 rec) {
    mp__u64 ncap = *cap * 2, need = q->tail - q->head + rec + 8;
    while (ncap < need && ncap < MP__QRING_MAX) ncap <<= 1;
    if (ncap < need) return MP_ENOMEM;
    return mp__queue_resize(q, cap, ncap, 0);
}
/* Back to the first ring once the records fit in a quarter of it: a queue that drains
   gives its memory back. */
MP__FN void mp__queue_shrink(mp_queue *q, mp__u64 *cap) {
    mp__u64 cap0;
    if (!q->ring || (cap0 = mp__queue_cap0(q)) == 0 || q->tail - q->head > cap0 / 4) return;
    (void)mp__queue_resize(q, cap, cap0, 1);
}

/* The hot paths: one whole message in the first ring, the common case, with nothing out of
   line: the lock at its first try, the ring's size from the memo, one copy. Measured, a put
   and a get were 350 instructions each through the general fast paths below (calls that
   save every register, loops over n, the checks of rarer cases) and the instructions, not
   the cache lines, set the pace of one producer and one consumer. Same protocol as the
   general paths (and every field checked the same); anything else (a lock that is taken, a
   grown ring, a full or empty queue, a stream, a recovery) returns 0 and goes their way. */
MP__HOT mp__u64 mp__queue_cap_hot(mp_queue *q) {
    mp__u64 cap = *(volatile mp__u64 *)&q->cap, key = ((MP__QCAP_OFF(q) + 1) << 30) | cap;
    if (cap <= MP__QRING_MAX && mp__load64(&MP__QCAP_SLOT(q)) == key) return cap;
    return mp__queue_cap0(q);
}
#define MP__QHINT 2 /* put1 (get1) saw a full (empty) queue without taking the lock */
MP__HOT int mp__queue_put1(mp_queue *q, const void *data, size_t size) {
    mp__u64 cap, tail, head, rec = 8 + MP__PAD8(size);
    if (q->ring) return 0;
    /* full, as far as a look without the lock can tell: the lock's two atomic operations
       would buy nothing (the caller watches head, then tries again) */
    cap = mp__queue_cap_hot(q);
    if (mp__load64_acquire(&q->tail) - mp__load64_acquire(&q->head_seen) + rec + 8 > cap &&
        !q->grow && !q->maxsize &&
        mp__load64_acquire(&q->tail) - mp__load64_acquire(&q->head) + rec + 8 > cap &&
        rec <= cap / 2)
        return MP__QHINT;
    if (!mp__mutex_trylock(&q->m)) return 0;
    tail = q->tail;
    head = q->head_seen; /* head only grows between slow paths: a bound that costs no miss */
    if (tail - head + rec + 8 > cap)
        mp__store64_release(&q->head_seen, head = mp__load64_acquire(&q->head));
    if (!cap || q->ring || rec > cap / 2 || (tail & 7) || tail - head + rec + 8 > cap ||
        (q->shut | q->closed | q->stream_producer | mp__load(&q->recover)) ||
        (q->maxsize && q->count - mp__load64(&q->taken) >= q->maxsize)) {
        mp__mutex_unlock(&q->m);
        return 0;
    }
    mp__ring_write(q, cap, tail, MP__REC_WHOLE, data, size, size);
    mp__queue_bump(&q->rd_spin, &q->readable);
    mp__store64_release(&q->tail, tail + rec); /* the commit */
    q->count++;
    if (q->joinable) mp__fetch_add(&q->unfinished.value, 1);
    mp__mutex_unlock(&q->m);
    return 1;
}
MP__HOT int mp__queue_get1(mp_queue *q, unsigned char *buf, size_t bufcap, size_t *size) {
    mp__u64 cap, head, tail;
    long len;
    if (q->ring) return 0;
    if (mp__load64_acquire(&q->head) == mp__load64_acquire(&q->tail_seen) &&
        mp__load64_acquire(&q->head) == mp__load64_acquire(&q->tail) && !mp__load(&q->closed) &&
        !mp__load(&q->shut))
        return MP__QHINT; /* empty, as put1 full */
    if (!mp__mutex_trylock(&q->cm)) return 0;
    cap = mp__queue_cap_hot(q);
    head = q->head;
    tail = q->tail_seen; /* what was published when last read (a slow path resets it) */
    if (head == tail || tail - head > cap)
        mp__store64_release(&q->tail_seen, tail = mp__load64_acquire(&q->tail));
    if (!cap || q->ring || head == tail || tail - head > cap || (head & 7) || q->shut == 2 ||
        (q->stream_consumer | q->stream_producer | mp__load(&q->recover)) ||
        (len = mp__ring_whole_at(q, cap, head, tail)) < 0 || (size_t)len > bufcap)
        goto other; /* the general paths check it, or say MP_ETOOBIG */
    /* a backlog: its lines are asked for before they are read (the producer is done with
       them, as they are before tail) */
    if (tail - head > 1024) {
        MP__PREFETCH(mp__ring(q) + ((head + 768) & (cap - 64)));
        MP__PREFETCH(mp__ring(q) + ((head + 832) & (cap - 64)));
    }
    mp__ring_take(q, cap, head + 8, buf, (size_t)len);
    mp__queue_bump(&q->wr_spin, &q->writable);
    mp__store64_release(&q->head, head + 8 + MP__PAD8(len)); /* the commit */
    mp__store64_release(&q->taken, q->taken + 1);
    mp__mutex_unlock(&q->cm);
    *size = (size_t)len;
    return 1;
other:
    mp__mutex_unlock(&q->cm);
    return 0;
}

/* The fast paths, one lock each, so that a producer and a consumer never wait for each
   other: a put of whole records that fit (producers' lock), a get of whole records
   (consumers' lock). The other side's position is read with one atomic load and a record is
   published by one atomic store of tail (head), after it is written (read). Anything else
   (a stream under way, a full or empty queue, a ring to grow, a dead lock owner, a field that does
   not check) goes to the slow path, under both locks.
   Put: how many of the n were put (0: the slow path), or a lock's error. */
MP__FN long mp__queue_put_fast(mp_queue *q, const void *const *data, const size_t *sizes, size_t n,
                               int *full) {
    mp__u64 cap, head, tail;
    size_t i = 0;
    int r = mp__queue_mutex(&q->m);
    if (r != MP_OK) {
        if (r != MP_EOWNERDEAD) return r;
        mp__store(&q->recover, 1); /* for the slow path, which counts again */
        mp__mutex_unlock(&q->m);
        return 0;
    }
    cap = mp__queue_cap(q);
    tail = q->tail;
    head = q->head_seen; /* head only grows between slow paths: a bound that costs no miss */
    if (tail - head > cap) mp__store64_release(&q->head_seen, head = mp__load64_acquire(&q->head));
    if (cap && !q->shut && !q->closed && !q->stream_producer && !mp__load(&q->recover) &&
        !(tail & 7) && tail - head <= cap) {
        for (; i < n; i++) {
            size_t size = sizes[i];
            mp__u64 rec = 8 + MP__PAD8(size);
            if (tail - head + rec + 8 > cap)
                mp__store64_release(&q->head_seen, head = mp__load64_acquire(&q->head));
            if ((!data[i] && size) || size > MP_MESSAGE_MAX || rec > cap / 2) break;
            if ((q->maxsize && q->count - mp__load64(&q->taken) >= q->maxsize) ||
                tail - head + rec + 8 > cap) {
                *full = !q->grow || (q->maxsize && q->count - q->taken >= q->maxsize);
                break;
            }
            mp__ring_write(q, cap, tail, MP__REC_WHOLE, data[i], size, size);
            tail += rec;
            if (i == 0) mp__queue_bump(&q->rd_spin, &q->readable);
            mp__store64_release(&q->tail, tail); /* the commit */
            q->count++;
            if (q->joinable) mp__fetch_add(&q->unfinished.value, 1);
        }
    }
    mp__mutex_unlock(&q->m);
    return (long)i;
}
/* Get: up to max whole records, packed into buf (bufcap bytes), or one allocated (out); how
   many (0: the slow path), or an error: a lock's, or MP_ETOOBIG (*sizes set) or MP_ENOMEM
   for the first. */
MP__FN long mp__queue_get_fast(mp_queue *q, unsigned char *buf, size_t bufcap, void **out,
                               size_t *sizes, size_t max, int *empty) {
    mp__u64 cap, head, tail, cap0;
    size_t i = 0, used = 0;
    int r = mp__queue_mutex(&q->cm), shrink = 0;
    if (r != MP_OK) {
        if (r != MP_EOWNERDEAD) return r;
        mp__store(&q->recover, 1);
        mp__mutex_unlock(&q->cm);
        return 0;
    }
    cap = mp__queue_cap(q);
    head = q->head;
    tail = q->tail_seen; /* what was published when last read (a slow path resets it) */
    if (head == tail || tail - head > cap)
        mp__store64_release(&q->tail_seen, tail = mp__load64_acquire(&q->tail));
    if (cap && q->shut != 2 && !q->stream_consumer && !q->stream_producer &&
        !mp__load(&q->recover) && !(head & 7) && tail - head <= cap) {
        while (i < max && head != tail) {
            long at = mp__ring_whole_at(q, cap, head, tail);
            mp__u32 len = (mp__u32)at;
            if (at < 0) break; /* the slow path checks it */
            if (out) {
                buf = (unsigned char *)MP_MALLOC(len ? len : 1);
                if (!buf) {
                    r = MP_ENOMEM;
                    break;
                }
                *out = buf;
            } else if (len > bufcap - used) {
                if (i == 0) {
                    r = MP_ETOOBIG;
                    sizes[0] = len;
                }
                break;
            }
            mp__ring_take(q, cap, head + 8, buf ? buf + used : NULL, len);
            head += 8 + MP__PAD8(len);
            if (i == 0) mp__queue_bump(&q->wr_spin, &q->writable);
            mp__store64_release(&q->head, head); /* the commit */
            mp__store64_release(&q->taken, q->taken + 1);
            if (head == tail && i + 1 < max)
                mp__store64_release(&q->tail_seen, tail = mp__load64_acquire(&q->tail));
            sizes[i++] = len;
            used += len;
        }
        shrink = q->ring && (cap0 = mp__queue_cap0(q)) != 0 && tail - head <= cap0 / 4;
        *empty = head == tail && !q->closed && !q->shut;
    }
    mp__mutex_unlock(&q->cm);
    if (i && shrink) { /* drained: the grown ring goes, under both locks */
        int held = 0;
        if (mp__queue_lock(q, &cap, &held) == MP_OK && q->ring) mp__queue_shrink(q, &cap);
        mp__queue_unlock(q, &held);
    }
    return i ? (long)i : r;
}

/* A bounded spin on the other side's position, before the slow path: 1 if it moved. It
   yields the CPU between its rounds, so that on a machine with fewer cores than busy
   processes the other side gets to run (spinning alone would hold it off: a collapse). */
#ifndef MP__QYIELDS
#define MP__QYIELDS 32
#endif
/* *spent: the spins of the budget used so far, in and out (a caller that watches again goes
   on with the same budget). */
MP__FN int mp__queue_watch2(volatile mp__u64 *pos, int *spent) {
    mp__u64 v = mp__load64_acquire(pos);
    while (*spent < MP__QSPIN) {
        mp__pause();
        if (++*spent % (MP__QSPIN / MP__QYIELDS) == 0) mp__os_yield();
        if (mp__load64_acquire(pos) != v) return 1;
    }
    return 0;
}
MP__FN int mp__queue_watch(volatile mp__u64 *pos) {
    int spent = 0;
    return mp__queue_watch2(pos, &spent);
}
/* Two waits of the hot paths' that keep the two sides on lines of their own. Measured
   together (with the prefetch in mp__queue_get1), 1 producer / 1 consumer: medians of 16
   interleaved runs 21.5 -> 26.4 M messages/s, and 15.6 -> 17.9 in a slower hour of this VM;
   make bench beside two processes that wake every 20 us, 1.85-2.40x Boost's message_queue
   before, 2.34-3.49x after; the round trip the same (0.64-0.66 us).
   A consumer that found the first ring empty: when the next record came at once (the
   producer puts one after another, and the consumer has caught up with it), it goes on
   waiting while more come, until a run of records (MP__QLAG bytes) is there or the producer
   pauses. Taking each record as it is published, the consumer reads the line the producer
   is writing, and the two pass that line and the tail back and forth for every message; a
   run behind, each has lines of its own. A record that comes alone waits MP__QIDLE spins more
   at most, and one that comes after a longer wait (a round trip's answer) none. */
#define MP__QQUICK 6    /* spins: a record that came within these came at once */
#define MP__QIDLE  8    /* spins: a producer that published nothing in these has paused */
#define MP__QLAG   1024 /* bytes: a run of records */
MP__FN int mp__queue_watch_stream(mp_queue *q) {
    mp__u64 t, u;
    int i, n = 0, idle = 0;
    if (!mp__queue_watch2(&q->tail, &n)) return 0;
    t = mp__load64_acquire(&q->tail);
    for (i = 0; n <= MP__QQUICK && i < 512 && idle < MP__QIDLE &&
                t - mp__load64_acquire(&q->head) < MP__QLAG;
         i++) {
        mp__pause();
        if ((u = mp__load64_acquire(&q->tail)) != t)
            t = u, idle = 0;
        else
            idle++;
    }
    return 1;
}
/* A producer that found the first ring full waits until an eighth of it is free (or the
   spins are spent), not until the first record leaves: resumed at once, it would write each
   record into the line the consumer has just read. The consumer has the backlog to take
   meanwhile, so no message waits longer for it. */
MP__FN int mp__queue_watch_room(mp_queue *q, mp__u64 rec) {
    mp__u64 v = mp__load64_acquire(&q->head), cap = mp__queue_cap_hot(q);
    int spent = 0;
    while (mp__queue_watch2(&q->head, &spent))
        if (mp__load64_acquire(&q->tail) - mp__load64_acquire(&q->head) + rec + 8 + cap / 8 <= cap)
            return 1;
    return mp__load64_acquire(&q->head) != v;
}

MP__FN mp_queue *mp__queue_new(size_t capacity, size_t maxsize, int joinable, const void *group) {
    mp_queue *q;
    mp__u64 cap = 4096;
    int grow = capacity == 0;
    mp__init_globals();
    if (grow) capacity = (size_t)64 << 10; /* the first ring of an unbounded queue */
    while (cap < capacity && cap < MP__QRING_MAX) cap <<= 1;
    if (cap < capacity) return NULL;
    q = (mp_queue *)mp__obj_new_in(sizeof(mp_queue) + (size_t)cap, MP__T_QUEUE, group);
    if (!q) return NULL;
    q->cap = cap;
    q->maxsize = maxsize;
    q->joinable = (mp__u32)joinable;
    q->grow = (mp__u32)grow;
    return q;
}
MPDEF mp_queue *mp_queue_new(size_t capacity, size_t maxsize) {
    return mp__queue_new(capacity, maxsize, 0, NULL);
}
MPDEF mp_queue *mp_simple_queue_new(void) {
    return mp__queue_new(0, 0, 0, NULL);
}
MPDEF mp_queue *mp_joinable_queue_new(size_t capacity, size_t maxsize) {
    return mp__queue_new(capacity, maxsize, 1, NULL);
}

/* A record of rec bytes goes whole (else it is streamed): when it fits in half the ring, or
   in an unbounded queue, whose ring grows to hold it. */
MP__FN int mp__queue_whole(mp_queue *q, mp__u64 cap, mp__u64 rec) {
    return rec <= cap / 2 || (q->grow && rec + 8 <= MP__QRING_MAX);
}
/* After an interrupted wait: the lock again, to undo a half-done stream (one try). */
MP__FN int mp__queue_relock(mp_queue *q, mp__u64 *cap, int *held) {
    if (!*held) (void)mp__queue_lock(q, cap, held);
    return *held && *cap;
}

/* mp_queue_put after its hot path (which said hot: 0, or MP__QHINT). */
MP__COLD int mp__queue_put(mp_queue *q, const void *data, size_t size, double timeout, int hot) {
    const unsigned char *src = (const unsigned char *)data;
    mp__u32 me = (mp__u32)mp__g.pid;
    mp__u64 cap, rec = 8 + MP__PAD8(size);
    double deadline = -1; /* set when first needed */
    size_t sent = 0;
    int held = 0, r;
    {
        const void *one[1];
        long k;
        int full = 0;
        /* full: watch head a while without a lock (the consumers take theirs and need not
           wait for ours), then the slow path, which sleeps */
        if (hot == MP__QHINT && timeout > 0 && mp__queue_watch_room(q, rec) &&
            mp__queue_put1(q, data, size) == 1)
            return MP_OK;
        one[0] = data;
        if ((k = mp__queue_put_fast(q, one, &size, 1, &full)) != 0) return k < 0 ? (int)k : MP_OK;
        if (full && hot != MP__QHINT && timeout > 0 && mp__queue_watch(&q->head) &&
            (k = mp__queue_put_fast(q, one, &size, 1, &full)) != 0)
            return k < 0 ? (int)k : MP_OK;
    }
    r = mp__queue_lock(q, &cap, &held);
    while (r == MP_OK) { /* room for the message (or its first piece), and no other stream */
        int room = (!q->maxsize || q->count < q->maxsize) && !q->stream_producer;
        if (q->shut) {
            r = MP_ESHUTDOWN;
        } else if (q->closed) {
            r = MP_ECLOSED;
        } else if (room &&
                   mp__queue_free_bytes(q, cap) >= (mp__queue_whole(q, cap, rec) ? rec : cap / 4)) {
            break;
        } else if (room && q->grow && mp__queue_whole(q, cap, rec)) {
            r = mp__queue_grow(q, &cap, rec); /* never waits for a reader: MP_ENOMEM at most */
        } else {
            r = mp__queue_sleep(q, &cap, &q->writable, &deadline, timeout, 100, &held);
            if (r == MP_ETIMEDOUT) r = MP_EFULL;
        }
    }
    if (r == MP_OK && mp__queue_whole(q, cap, rec)) {
        mp__ring_append(q, cap, MP__REC_WHOLE, src, size, size);
        q->count++;
        if (q->joinable) mp__fetch_add(&q->unfinished.value, 1); /* before anyone can get it */
        mp__queue_unlock(q, &held);
        mp__wake(&q->readable, 1);
        return MP_OK;
    }
    if (r == MP_OK) {
        q->stream_producer = me;
        q->stream_start = q->tail;
    }
    while (r == MP_OK) { /* stream it: pieces of what fits, each published as it is written */
        mp__u64 room = mp__queue_free_bytes(q, cap), piece = size - sent;
        if (room >= 16) {
            mp__u32 kind = sent == 0 ? MP__REC_FIRST : MP__REC_MORE;
            if (piece > (room - 8) / 8 * 8) piece = (room - 8) / 8 * 8;
            if (piece > cap / 4) piece = cap / 4;
            if (sent + piece == size && sent > 0) kind = MP__REC_LAST;
            mp__ring_append(q, cap, kind, src + sent, (size_t)piece, size);
            if (kind == MP__REC_FIRST) q->count++; /* counted once its first piece is there */
            sent += (size_t)piece;
            mp__wake(&q->readable, 1);
            if (kind == MP__REC_LAST) {
                if (q->joinable) mp__fetch_add(&q->unfinished.value, 1);
                q->stream_producer = 0;
                mp__queue_unlock(q, &held);
                mp__wake(&q->writable, 0xffffffffu); /* producers waiting for the stream to end */
                return MP_OK;
            }
            continue;
        }
        r = q->shut     ? MP_ESHUTDOWN
            : q->closed ? MP_ECLOSED
                        : mp__queue_sleep(q, &cap, &q->writable, &deadline, timeout, 100, &held);
        if (r == MP_OK && q->stream_producer != me) /* emptied under it */
            r = q->shut ? MP_ESHUTDOWN : MP_ECORRUPT;
        if (r == MP_OK && q->shut) r = MP_ESHUTDOWN;
        if (r == MP_OK && q->closed) r = MP_ECLOSED;
        if (r == MP_ETIMEDOUT) r = MP_EFULL;
        /* giving up: the message is taken back, or dropped by the consumer that began it */
        if (r != MP_OK && mp__queue_relock(q, &cap, &held) && q->stream_producer == me &&
            mp__queue_end_stream(q, cap) != MP_OK)
            r = MP_ECORRUPT;
    }
    mp__queue_unlock(q, &held);
    return r;
}

MPDEF int mp_queue_put(mp_queue *q, const void *data, size_t size, double timeout) {
    int hot, r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    if ((!data && size) || mp__bad_timeout(timeout)) return MP_EINVAL;
    if (size > MP_MESSAGE_MAX || (mp__u64)size > 0xffffffffu) return MP_ETOOBIG; /* 32-bit total */
    if ((hot = mp__queue_put1(q, data, size)) == 1) return MP_OK;
    return mp__queue_put(q, data, size, timeout, hot);
}

/* Several messages in order, under one lock while they fit; one that does not waits as
   mp_queue_put (the timeout bounds the whole call). */
MPDEF int mp_queue_put_many(mp_queue *q, const void *const *data, const size_t *sizes, size_t n,
                            size_t *done, double timeout) {
    double deadline = -1;
    size_t i = 0;
    int r = mp__obj_check(q, MP__T_QUEUE);
    if (done) *done = 0;
    if (r != MP_OK) return r;
    if ((n && (!data || !sizes)) || mp__bad_timeout(timeout)) return MP_EINVAL;
    while (i < n) {
        int full = 0;
        long k = mp__queue_put_fast(q, data + i, sizes + i, n - i, &full);
        if (k < 0) {
            r = (int)k;
            break;
        }
        i += (size_t)k;
        if (i == n) break;
        /* the next one does not go the fast way: mp_queue_put says why, or waits */
        if (deadline < 0) deadline = mp__deadline(timeout);
        r = mp_queue_put(q, data[i], sizes[i], mp__left(deadline) > 0 ? mp__left(deadline) : 0);
        if (r != MP_OK) break;
        i++;
    }
    if (done) *done = i;
    return r;
}

/* The rest of a streamed message, after its FIRST piece (got bytes): MP_OK once its LAST is
   taken, MP__QEND if its producer gave up or died (the ABORT is dropped), or an error. */
MP__FN int mp__queue_stream(mp_queue *q, mp__u64 *cap, unsigned char *buf, size_t got, size_t total,
                            int *held) {
    mp__u32 me = (mp__u32)mp__g.pid, kind, len, t;
    double never = -1;
    for (;;) {
        int r;
        if (q->head == q->tail) {
            /* not interrupted: the rest of a begun message is on its way */
            r = mp__queue_sleep2(q, cap, &q->readable, &never, MP_FOREVER, MP__QSPIN, held, 0);
            if (r != MP_OK) return r;
            if (q->stream_consumer != me) /* emptied under it */
                return q->shut ? MP_ESHUTDOWN : MP_ECORRUPT;
            continue;
        }
        if (mp__ring_header(q, *cap, q->head, &kind, &len, &t) != MP_OK) return MP_ECORRUPT;
        if (kind == MP__REC_ABORT) {
            mp__ring_drop(q, len);
            return MP__QEND;
        }
        if (len > total - got || kind != (got + len == total ? MP__REC_LAST : MP__REC_MORE))
            return mp__queue_reset(q);
        mp__ring_take(q, *cap, q->head + 8, buf + got, len);
        got += len;
        mp__ring_drop(q, len);
        if (kind == MP__REC_LAST) return MP_OK;
    }
}

/* out != NULL: allocate the message (get_alloc). hot: what mp__queue_get1 said (or 0). */
MP__COLD int mp__queue_get(mp_queue *q, unsigned char *buf, size_t cap, void **out, size_t *size,
                           double timeout, int hot) {
    mp__u32 me = (mp__u32)mp__g.pid, kind, len, total;
    mp__u64 ring;
    double deadline = -1; /* set when first needed */
    int held = 0, r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    if (!size || (!buf && cap && !out) || mp__bad_timeout(timeout)) return MP_EINVAL;
    {
        int empty = 0;
        long k;
        if (hot == MP__QHINT && timeout > 0 && mp__queue_watch_stream(q) &&
            mp__queue_get1(q, buf, cap, size) == 1)
            return MP_OK;
        k = mp__queue_get_fast(q, buf, cap, out, size, 1, &empty);
        if (k != 0) return k < 0 ? (int)k : MP_OK;
        if (empty && hot != MP__QHINT && timeout > 0 && mp__queue_watch(&q->tail) &&
            (k = mp__queue_get_fast(q, buf, cap, out, size, 1, &empty)) != 0)
            return k < 0 ? (int)k : MP_OK;
    }
    r = mp__queue_lock(q, &ring, &held);
    while (r == MP_OK) { /* a message to begin: a WHOLE or a FIRST at head */
        if (q->shut == 2) {
            r = MP_ESHUTDOWN;
            break;
        }
        if (q->head == q->tail || q->stream_consumer) {
            if (q->head == q->tail && (q->closed || q->shut) && !q->stream_producer) {
                r = q->shut ? MP_ESHUTDOWN : MP_EOF;
                break;
            }
            if (q->head != q->tail) { /* another consumer's stream: its pieces are at head */
                if ((r = mp__ring_header(q, ring, q->head, &kind, &len, &total)) != MP_OK) break;
                if (kind == MP__REC_WHOLE || kind == MP__REC_FIRST) { /* or it died */
                    if ((r = mp__queue_reap(q, ring, 0)) == 0) r = mp__queue_reset(q);
                    if (r < 0) break;
                    r = MP_OK;
                    continue;
                }
            }
            r = mp__queue_sleep(q, &ring, q->stream_consumer ? &q->writable : &q->readable,
                                &deadline, timeout, 100, &held); /* it spun in mp__queue_watch */
            if (r == MP_ETIMEDOUT) r = MP_EEMPTY;
            continue;
        }
        if ((r = mp__ring_header(q, ring, q->head, &kind, &len, &total)) != MP_OK) break;
        if (kind != MP__REC_WHOLE && kind != MP__REC_FIRST) {
            mp__ring_drop(q, len); /* the rest of a message whose consumer died (uncounted) */
            continue;
        }
        *size = total;
        if (out) {
            buf = (unsigned char *)MP_MALLOC(total ? total : 1);
            if (!buf) {
                r = MP_ENOMEM;
                break;
            }
        } else if (total > cap) {
            r = MP_ETOOBIG;
            break;
        }
        mp__ring_take(q, ring, q->head + 8, buf, len);
        mp__ring_drop(q, len);
        if (kind == MP__REC_FIRST) { /* claimed once its first piece is taken */
            q->stream_consumer = me;
            r = mp__queue_stream(q, &ring, buf, len, total, &held);
            if (mp__queue_relock(q, &ring, &held) && q->stream_consumer == me) {
                q->stream_consumer = 0;
                q->count--;
            }
            mp__wake(&q->writable, 0xffffffffu); /* producers waiting for the stream to end */
        } else {
            q->count--;
        }
        if (r == MP_OK) {
            if (q->ring) mp__queue_shrink(q, &ring);
            mp__queue_unlock(q, &held);
            if (out) *out = buf;
            return MP_OK;
        }
        if (out) MP_FREE(buf);
        if (r == MP__QEND) r = MP_OK; /* aborted: the next message, within the deadline */
    }
    mp__queue_unlock(q, &held);
    return r;
}
MPDEF int mp_queue_get(mp_queue *q, void *buf, size_t cap, size_t *size, double timeout) {
    int hot;
    if (mp__obj_check(q, MP__T_QUEUE) != MP_OK || !size || (!buf && cap) ||
        mp__bad_timeout(timeout))
        hot = 0; /* the general path says which error */
    else if ((hot = mp__queue_get1(q, (unsigned char *)buf, cap, size)) == 1)
        return MP_OK;
    return mp__queue_get(q, (unsigned char *)buf, cap, NULL, size, timeout, hot);
}
MPDEF int mp_queue_get_alloc(mp_queue *q, void **data, size_t *size, double timeout) {
    if (!data) return MP_EINVAL;
    return mp__queue_get(q, NULL, 0, data, size, timeout, 0);
}
/* The first message as mp_queue_get; then, under one lock, the whole messages that are
   there and fit in what is left of buf, packed one after another. */
MPDEF int mp_queue_get_many(mp_queue *q, void *buf, size_t cap, size_t *sizes, size_t max,
                            size_t *got, double timeout) {
    unsigned char *b = (unsigned char *)buf;
    long k;
    int empty = 0, r = mp__obj_check(q, MP__T_QUEUE);
    if (got) *got = 0;
    if (r != MP_OK) return r;
    if (!got || !sizes || !max || (!buf && cap) || mp__bad_timeout(timeout)) return MP_EINVAL;
    if ((k = mp__queue_get_fast(q, b, cap, NULL, sizes, max, &empty)) != 0) {
        if (k < 0) return (int)k;
        *got = (size_t)k;
        return MP_OK;
    }
    r = mp__queue_get(q, b, cap, NULL, &sizes[0], timeout, 0); /* waits, or streams */
    if (r != MP_OK) return r;
    k = max > 1 ? mp__queue_get_fast(q, b ? b + sizes[0] : NULL, cap - sizes[0], NULL, sizes + 1,
                                     max - 1, &empty)
                : 0;
    *got = 1 + (k > 0 ? (size_t)k : 0);
    return MP_OK;
}
/* The count, read without the lock: MP_ECORRUPT if no ring of this queue could hold it. */
MP__FN long mp__queue_count(mp_queue *q) {
    mp__u64 cap, n;
    int r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    cap = mp__queue_cap0(q);
    n = mp__load64(&q->taken);
    n = q->count - n;
    if (n > ((mp__u64)1 << 63)) n = 0; /* read while the slow path counted: about 0 */
    if (q->grow) cap = MP__QRING_MAX;
    return !cap || n > cap / 8 + 1 ? (long)MP_ECORRUPT : (long)n;
}
MPDEF long mp_queue_qsize(mp_queue *q) {
    return mp__queue_count(q);
}
MPDEF int mp_queue_empty(mp_queue *q) {
    long n = mp__queue_count(q);
    return n < 0 ? (int)n : n == 0;
}
MPDEF int mp_queue_full(mp_queue *q) {
    long n = mp__queue_count(q);
    return n < 0 ? (int)n : q->maxsize != 0 && (mp__u64)n >= q->maxsize;
}
/* close and shutdown: wake every waiter, who then finds the queue's new state. */
MP__FN void mp__queue_wake_all(mp_queue *q, int *held) {
    mp__fetch_add(&q->readable.value, 1);
    mp__fetch_add(&q->writable.value, 1);
    mp__wake(&q->readable, 0xffffffffu); /* under the locks, as mp__queue_bump says why */
    mp__wake(&q->writable, 0xffffffffu);
    mp__queue_unlock(q, held);
}
MPDEF int mp_queue_close(mp_queue *q) {
    mp__u64 cap;
    int held = 0, r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    r = mp__queue_lock(q, &cap, &held); /* closed even if it was found corrupted */
    if (!held) return r;
    mp__store(&q->closed, 1); /* atomic: mp__queue_get1 peeks */
    mp__queue_wake_all(q, &held);
    return r;
}
MPDEF int mp_queue_shutdown(mp_queue *q, int immediate) {
    mp__u64 cap;
    int held = 0, r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    r = mp__queue_lock(q, &cap, &held); /* shut down even if it was found corrupted */
    if (!held) return r;
    if (q->shut != 2) mp__store(&q->shut, immediate ? 2 : 1);
    if (immediate && cap) {
        /* the messages dropped are done with, for join (a stream still being put is not
           counted there yet) */
        mp__u64 n = q->count;
        if (q->stream_producer && q->tail != q->stream_start && n) n--;
        (void)mp__queue_reset(q);
        if (q->ring) mp__queue_shrink(q, &cap);
        while (q->joinable) {
            mp__u32 v = mp__load(&q->unfinished.value), d = n < v ? (mp__u32)n : v;
            if (mp__cas(&q->unfinished.value, v, v - d)) {
                if (v && v == d) mp__wake(&q->unfinished, 0xffffffffu);
                break;
            }
        }
    }
    mp__queue_wake_all(q, &held);
    return r;
}
MPDEF int mp_queue_task_done(mp_queue *q) {
    int r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    if (!q->joinable) return MP_EINVAL;
    for (;;) {
        mp__u32 v = mp__load(&q->unfinished.value);
        if (v == 0) return MP_EOVERFLOW;
        if (mp__cas(&q->unfinished.value, v, v - 1)) {
            if (v == 1) mp__wake(&q->unfinished, 0xffffffffu);
            return MP_OK;
        }
    }
}
MPDEF int mp_queue_join(mp_queue *q, double timeout) {
    double deadline;
    int r = mp__obj_check(q, MP__T_QUEUE);
    if (r != MP_OK) return r;
    if (!q->joinable || mp__bad_timeout(timeout)) return MP_EINVAL;
    deadline = mp__deadline(timeout);
    for (;;) {
        mp__u32 v = mp__load(&q->unfinished.value);
        double left = mp__left(deadline);
        if (v == 0) return MP_OK;
        if (left <= 0) return MP_ETIMEDOUT;
        r = mp__wait_intr(&q->unfinished, v, left);
        if (r != MP_OK && r != MP_ETIMEDOUT) return r; /* interrupted */
    }
}
MPDEF int mp_queue_free(mp_queue *q) {
    if (mp__obj_check(q, MP__T_QUEUE) == MP_OK) { /* its block may come back with another size */
        mp__store64(&MP__QCAP_SLOT(q), 0);
        mp__queue_drop_loose(q);
        if (q->ring && mp__queue_cap(q)) mp__arena_free(q->ring); /* a grown ring goes too */
    }
    return mp__obj_free(q, MP__T_QUEUE);
}

/* ======================================================================================== */
/* >>pool: an idle worker takes the oldest waiting task; results come back through a queue */
/* The parent lays the chunks out in submission order in a ring of cells in shared memory;  */
/* a worker claims the oldest ready cell with one compare-and-swap that also names it, then */
/* writes the chunk into its slot before it runs it. So tasks start in the order they were  */
/* submitted (as Python's one task queue does), a finished worker takes the next task with  */
/* no round trip through the parent, and when a worker dies the parent knows from the      */
/* cells and the slot which chunk it ran (that one fails) and which it had only claimed     */
/* (that one goes back). A chunk's record lives only while the chunk is under way, in a     */
/* table whose slots are reused; a chunk id carries its slot and a sequence number.        */
/* ======================================================================================== */
#define MP__POOL_CELLS   64                /* chunks laid out for the workers ahead of time */
#define MP__POOL_AHEAD   ((size_t)4 << 20) /* bytes of them (one larger chunk may go alone) */
#define MP__POOL_MODULES 16                /* distinct modules that task functions come from */
#define MP__POOL_RESULTS ((size_t)4 << 20)
enum { MP__CHUNK_PENDING = 1, MP__CHUNK_SENT };
enum { MP__SLOT_BOOTING = 0, MP__SLOT_READY, MP__SLOT_INIT_FAILED };
enum { MP__CELL_FREE = 0, MP__CELL_READY, MP__CELL_TAKEN }; /* TAKEN + w: worker w took it */

typedef struct mp__pool_slot {
    volatile mp__u64 current;        /* the chunk the worker runs, 0 when idle */
    volatile double started;         /* when its current task began (a system-wide clock) */
    volatile mp__u32 state;          /* MP__SLOT_*: has the worker's initializer run? */
    volatile mp__i32 init_status;    /* what a failed initializer returned */
    volatile mp__u32 pid;            /* the worker's, 0 for none, MP__PID_STARTING: not known */
    volatile unsigned char looking;  /* it is counted in mp__pool_shared.looking */
    volatile unsigned char spinning; /* and in mp__pool_shared.spinning */
    unsigned char pad[2];
    volatile double since; /* when its start began (the same clock) */
} mp__pool_slot;
#define MP__POOL_START_GRACE 5.0 /* seconds: a child forked by then has told its pid */

typedef struct mp__pool_cell {
    volatile mp__u32 state; /* MP__CELL_*, the only field a worker writes */
    mp__u32 pad;
    volatile mp__u64 id, size; /* the chunk, and its task message (in the arena) */
    void *volatile msg;
} mp__pool_cell;

typedef struct mp__pool_shared {
    mp__u32 type, nslots;
    mp_queue *results;
    long parent;
    mp__u32 maxtasks, has_init, init_module, nmodules;
    mp__u64 init_offset, initargs_size;
    void *initargs;
    mp__word bell;         /* value: cells laid out so far (the ring's tail); workers sleep here */
    volatile mp__u32 head; /* no ready cell before this one: where workers begin to look */
    volatile mp__u32 stop; /* join: idle workers exit */
    volatile mp__u32 looking;  /* workers awake between tasks (signed; low after a kill) */
    volatile mp__u32 spinning; /* workers that look a while before they sleep (signed) */
    mp__pool_cell cells[MP__POOL_CELLS];
    char modules[MP__POOL_MODULES][512];
    mp__pool_slot slots[1];
} mp__pool_shared;

/* A pool's shared blocks are a group (mp__heap_reap) headed by its mp__pool_shared: they are
   freed when its process has died and so has every worker (they use them until they end),
   as only they could reach them. A slot that says MP__PID_STARTING names no one: its
   process died while it started a worker, before or during the fork (no child) or after
   (a child, whose first act is to tell its pid: mp__boot_tell_pid). The two look the same
   for MP__POOL_START_GRACE, the group is kept meanwhile. Called under the arena's lock: the
   head is input. */
MP__FN int mp__pool_orphan(const void *head, size_t size) {
    const mp__pool_shared *sh = (const mp__pool_shared *)head;
    mp__u32 i, n;
    if (size < sizeof *sh || sh->type != MP__T_POOL) return 0;
    n = sh->nslots;
    if (n < 1 || n > 4096 || sizeof *sh + (size_t)(n - 1) * sizeof(mp__pool_slot) > size) return 0;
    if (sh->parent <= 0 || sh->parent == mp__g.pid || mp__os_pid_alive(sh->parent)) return 0;
    for (i = 0; i < n; i++) {
        mp__u32 pid = mp__load(&((mp__pool_shared *)sh)->slots[i].pid);
        double since = ((mp__pool_shared *)sh)->slots[i].since;
        if (pid == MP__PID_STARTING ? !(mp__os_now() - since >= MP__POOL_START_GRACE)
                                    : pid && mp__os_pid_alive((long)pid))
            return 0;
    }
    return 1;
}

/* A task message: this header, then count items of (u64 size, bytes padded to 8). A result
   message: mp__result_hdr, then count items of (i32 err, i32 status, u64 size, bytes). */
typedef struct mp__task_hdr {
    mp__u64 id, fn_offset;
    mp__u32 fn_module, count;
} mp__task_hdr;
typedef struct mp__result_hdr {
    mp__u64 id;
    mp__u32 slot, count;
} mp__result_hdr;
/* The largest item a task message can carry, header and size field included. */
#define MP__POOL_ITEM_MAX (MP_MESSAGE_MAX - sizeof(mp__task_hdr) - 16)

struct mp_task_out {
    unsigned char *buf;
    size_t len, cap, item; /* item: where the current item's record starts */
    int failed;            /* the error of a result that could not be kept */
};
MP__FN int mp__out_reserve(mp_task_out *o, size_t more) {
    size_t cap = o->cap ? o->cap : 4096, need = o->len + more;
    unsigned char *b;
    if (more > MP_MESSAGE_MAX || need < o->len) return MP_ENOMEM; /* callers stay far below */
    if (need <= o->cap) return MP_OK;
    while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    b = (unsigned char *)MP_REALLOC(o->buf, cap);
    if (!b) return MP_ENOMEM;
    o->buf = b;
    o->cap = cap;
    return MP_OK;
}
MPDEF int mp_task_return(mp_task_out *out, const void *data, size_t size) {
    mp__u64 sz = size;
    int r = MP_ETOOBIG;
    if (!out || (!data && size)) return MP_EINVAL;
    out->len = out->item; /* a second call replaces the first, and its failure */
    out->failed = 0;
    /* the whole result message of the chunk must stay within MP_MESSAGE_MAX */
    if (size <= MP__POOL_ITEM_MAX && (mp__u64)out->item + 16 + MP__PAD8(size) <= MP_MESSAGE_MAX)
        r = mp__out_reserve(out, 16 + (size_t)MP__PAD8(size));
    if (r != MP_OK) {
        out->failed = r;
        sz = 0;
        if (mp__out_reserve(out, 16) != MP_OK) return r;
        size = 0;
    }
    memcpy(out->buf + out->item + 8, &sz, 8);
    if (size) memcpy(out->buf + out->item + 16, data, size);
    memset(out->buf + out->item + 16 + size, 0, (size_t)(MP__PAD8(size) - size));
    out->len = out->item + 16 + (size_t)MP__PAD8(size);
    return r;
}

/* Each worker process resolves a module's base once (0 is a valid base: a static,
   non-PIE executable has no load bias). */
static uintptr_t mp__pool_bases[MP__POOL_MODULES];
static unsigned char mp__pool_based[MP__POOL_MODULES];
MP__FN void *mp__pool_fn(mp__pool_shared *sh, mp__u32 module, mp__u64 offset) {
    if (module >= sh->nmodules) return NULL;
    if (!mp__pool_based[module]) {
        void *base = mp__os_module_resolve(sh->modules[module], 0);
        void *fn = mp__os_module_resolve(sh->modules[module], 1);
        if (!fn) return NULL; /* the module is not loaded here */
        mp__pool_bases[module] = (uintptr_t)base;
        mp__pool_based[module] = 1;
    }
    return (void *)(mp__pool_bases[module] + (uintptr_t)offset);
}
MP__FN int mp__pool_fnref(mp__pool_shared *sh, void *fn, mp__u32 *module, mp__u64 *offset) {
    char name[512];
    mp__u32 i;
    int r = mp__os_module_locate(fn, name, sizeof name, offset);
    if (r != MP_OK) return r;
    for (i = 0; i < sh->nmodules; i++)
        if (strcmp(sh->modules[i], name) == 0) break;
    if (i == sh->nmodules) {
        if (i == MP__POOL_MODULES) return MP_ETOOBIG;
        memcpy(sh->modules[i], name, strlen(name) + 1); /* both 512 bytes (no strcpy: C4996) */
        sh->nmodules++;
    }
    *module = i;
    return MP_OK;
}

/* Waking a worker costs its waker a trip into the kernel and, with more workers than cores,
   the others' time: a pool that woke a worker for each task it laid out ran 8 workers on 2
   cores at under half the tasks/s of 1. So only a cell that no worker will see wakes one.
   A worker is counted as looking while it is awake between tasks. The parent lays a cell
   out, then reads the count: a worker that stops looking to sleep reads the bell after
   (mp__pool_look), and one that stops to run a task reads the cells after and wakes the
   next worker if a ready one is left and no one looks (mp__pool_pass_on). So every ready
   cell is seen by someone awake, or wakes a sleeper. The flag is set before the count goes
   up and cleared after it goes down: a worker killed in between leaves the count too low,
   which only wakes more (the parent takes a dead looker's flag and count back). */
MP__FN mp__i32 mp__pool_count(volatile unsigned char *flag, volatile mp__u32 *count, int on) {
    mp__u32 was;
    if (!on && !*flag) return 0;
    if (on) *flag = 1;
    was = mp__fetch_add(count, on ? 1u : (mp__u32)-1);
    if (!on) *flag = 0;
    return (mp__i32)was;
}
MP__FN void mp__pool_look(mp__pool_shared *sh, mp__pool_slot *slot, int on) {
    mp__pool_count(&slot->looking, &sh->looking, on);
}
MP__FN int mp__pool_nobody_looks(mp__pool_shared *sh) {
    mp__i32 n = (mp__i32)mp__load(&sh->looking);
    return n <= 0 || (mp__u32)n > sh->nslots; /* shared memory is input: garbage wakes */
}
/* The first ready cell from i on, before the tail t; t if none. Shared memory is input: no
   look reaches further back than the ring. */
MP__FN mp__u32 mp__pool_ready(mp__pool_shared *sh, mp__u32 i, mp__u32 t) {
    if (t - i > MP__POOL_CELLS) i = t - MP__POOL_CELLS;
    while (i != t && mp__load(&sh->cells[i % MP__POOL_CELLS].state) != MP__CELL_READY) i++;
    return i;
}
/* A worker that took cell i and stopped looking: a ready cell after it, with no one looking,
   wakes a sleeper (the chain that brings as many workers as there are ready cells). */
MP__FN void mp__pool_pass_on(mp__pool_shared *sh, mp__u32 i) {
    mp__u32 t = mp__load(&sh->bell.value);
    if (mp__pool_ready(sh, i, t) != t && mp__pool_nobody_looks(sh)) mp__wake(&sh->bell, 1);
}

/* A worker with no cell looks on a while, yielding, before it sleeps, if fewer than
   MP__POOL_SPINNERS do. Measured (8 workers on 2 cores, trivial tasks): with no one
   looking on, 0.45x-0.59x the tasks/s of 1 worker; with one, a worker that took a cell
   often found no one else looking and woke another, 0.43x-0.5x; with two, 0.91x-0.96x.
   Returns whether a cell was laid out meanwhile. */
#define MP__POOL_SPIN     200e-6
#define MP__POOL_SPINNERS 2
MP__FN int mp__pool_spin(mp__pool_shared *sh, mp__pool_slot *slot, mp__u32 t) {
    double end;
    int seen = 0;
    if (mp__pool_count(&slot->spinning, &sh->spinning, 1) < MP__POOL_SPINNERS) {
        end = mp__os_now() + MP__POOL_SPIN;
        while (!(seen = mp__load(&sh->bell.value) != t) && mp__os_now() < end) mp__os_yield();
    }
    mp__pool_count(&slot->spinning, &sh->spinning, 0);
    return seen;
}

MP__FN int mp__pool_worker(void *arg, size_t size) {
    mp__pool_shared *sh;
    mp__pool_slot *slot;
    mp__u32 index, done = 0;
    mp_task_out out;
    (void)size;
    memcpy(&sh, arg, sizeof sh);
    memcpy(&index, (char *)arg + sizeof sh, sizeof index);
    slot = &sh->slots[index];
    mp__store(&slot->pid, (mp__u32)mp__g.pid); /* before its process may die unseen */
    mp__os_worker_init(sh->parent);
    if (sh->has_init) { /* a failure breaks the pool: the parent reads why from the slot */
        void *fn = mp__pool_fn(sh, sh->init_module, sh->init_offset), *copy;
        int st;
        copy = MP_MALLOC(sh->initargs_size ? (size_t)sh->initargs_size : 1);
        if (!fn || !copy) {
            slot->init_status = !fn ? MP_EMODULE : MP_ENOMEM;
            slot->state = MP__SLOT_INIT_FAILED;
            return MP__EXIT_MODULE;
        }
        memcpy(copy, sh->initargs, (size_t)sh->initargs_size);
        st = ((mp_target_fn)mp__addr_fn(fn))(copy, (size_t)sh->initargs_size);
        MP_FREE(copy);
        if (st != 0) {
            slot->init_status = st;
            slot->state = MP__SLOT_INIT_FAILED;
            return st;
        }
    }
    slot->state = MP__SLOT_READY;
    memset(&out, 0, sizeof out);
    mp__pool_look(sh, slot, 1);
    for (;;) {
        mp__task_hdr h;
        mp__result_hdr rh;
        mp__pool_cell *cell = NULL;
        unsigned char *msg, *item, *end;
        mp__u64 n;
        mp__u32 t = mp__load(&sh->bell.value), i = mp__load(&sh->head), k;
        mp_task_fn fn;
        int r;
        /* the oldest ready cell: tasks start in submission order */
        for (i = mp__pool_ready(sh, i, t); i != t; i = mp__pool_ready(sh, i + 1, t))
            if (mp__cas(&sh->cells[i % MP__POOL_CELLS].state, MP__CELL_READY,
                        MP__CELL_TAKEN + index)) {
                cell = &sh->cells[i % MP__POOL_CELLS];
                break;
            }
        if (!cell) {
            mp__u32 parent[2];
            if (mp__load(&sh->stop)) return 0; /* join: nothing is left */
            if (mp__pool_spin(sh, slot, t)) continue;
            parent[0] = (mp__u32)sh->parent; /* its end wakes us (Windows); else a look at 0.5 s */
            parent[1] = 0;
            mp__pool_look(sh, slot, 0); /* then the wait reads the bell: no cell is missed */
            r = mp__wait_owner(&sh->bell, t, 1e9, 0.5, parent, 0);
            mp__pool_look(sh, slot, 1);
            if (r != MP_OK && !mp__os_parent_alive(sh->parent)) return 0;
            continue;
        }
        mp__pool_look(sh, slot, 0);
        mp__pool_pass_on(sh, i + 1);
        for (;;) { /* the cells before this one are taken: later looks begin after it */
            mp__u32 head = mp__load(&sh->head);
            if ((mp__i32)(i + 1 - head) <= 0 || mp__cas(&sh->head, head, i + 1)) break;
        }
        rh.id = cell->id;
        msg = (unsigned char *)cell->msg;
        n = cell->size;
        slot->started = mp__os_now();
        slot->current = rh.id; /* from here a death fails this chunk */
        mp__store(&cell->state, MP__CELL_FREE);
        if (!msg || n < sizeof h || n > mp__arena_block_size(msg)) n = 0; /* corrupt */
        if (n) memcpy(&h, msg, sizeof h);
        fn = n && h.id == rh.id ? (mp_task_fn)mp__addr_fn(mp__pool_fn(sh, h.fn_module, h.fn_offset))
                                : NULL;
        rh.slot = index;
        rh.count = n ? h.count : 0;
        out.len = 0;
        if (mp__out_reserve(&out, sizeof rh) != MP_OK) return MP__EXIT_BOOT;
        memcpy(out.buf, &rh, sizeof rh);
        out.len = sizeof rh;
        item = n ? msg + sizeof h : NULL;
        end = n ? msg + n : NULL;
        for (k = 0; k < rh.count; k++) {
            mp__u64 isz = 0;
            mp__i32 rec[2];
            int bad = (size_t)(end - item) < 8;
            if (!bad) memcpy(&isz, item, 8);
            bad =
                bad || isz > (mp__u64)(end - item - 8) || MP__PAD8(isz) > (mp__u64)(end - item - 8);
            if (mp__out_reserve(&out, 16) != MP_OK) return MP__EXIT_BOOT;
            out.item = out.len;
            memset(out.buf + out.len, 0, 16);
            out.len += 16;
            out.failed = 0;
            slot->started = mp__os_now();
            rec[1] = fn && !bad ? fn(item + 8, (size_t)isz, &out) : 0;
            rec[0] = bad          ? MP_ECORRUPT
                     : !fn        ? MP_EMODULE
                     : out.failed ? out.failed
                     : rec[1]     ? MP_ETASK
                                  : MP_OK;
            memcpy(out.buf + out.item, rec, 8);
            if (bad) break; /* the parent fails the rest */
            item += 8 + MP__PAD8(isz);
        }
        while ((r = mp_queue_put(sh->results, out.buf, out.len, 0.5)) == MP_EFULL)
            if (!mp__os_parent_alive(sh->parent)) return 0;
        slot->current = 0;
        if (r != MP_OK) return 0;
        if (sh->maxtasks && ++done >= sh->maxtasks) return 0;
        mp__pool_look(sh, slot, 1);
    }
}

typedef struct mp__chunk {
    mp__u64 id;
    int state;
    mp__u32 count, cell; /* cell: where it was laid out, while MP__CHUNK_SENT */
    void *msg;           /* its task message, in process memory until it is laid out */
    void *shm;           /* its copy in the arena from then on */
    size_t msg_size;
    mp_async *async;
    mp_batch *batch;
    size_t first;
} mp__chunk;

/* A result the user frees while its chunk is under way (or its callback is queued) is only
   marked: the chunk lets go of it when it ends, so a free costs O(1). */
struct mp_async {
    mp_pool *pool;
    int done, err, status, freed, queued;
    mp__u64 chunk; /* its chunk's id, for cancel */
    void *data;
    size_t size;
    mp_async_callbacks cb;
    mp_async *next, *prev; /* the pool's list, so that freeing the pool can let go */
    mp_async *cb_next;     /* the queue of callbacks to run */
};
typedef struct mp__item {
    int done, err, status;
    void *data;
    size_t size;
} mp__item;
struct mp_batch {
    mp_pool *pool;
    int mode, freed, queued;
    size_t n, done, cursor, fifo_head, fifo_tail, chunks_left;
    mp__item *items;
    size_t *fifo; /* imap_unordered: indices in the order they finished */
    mp_batch_callbacks cb;
    mp_batch *next, *prev;
    mp_batch *cb_next;
};

struct mp_pool {
    mp__pool_shared *sh;
    int n, closed, terminated, broken, broken_status, in_callbacks, start_failures;
    double task_timeout, last_check;
    int quiet; /* submissions that did not look at the results */
    mp_process *workers;
    mp__u64 *killed;    /* per worker: the chunk whose timeout killed it */
    mp__chunk **chunks; /* the chunks under way, by slot (NULL: free) */
    size_t nchunks, cap_chunks, used_chunks, nspare, nsent;
    size_t *spare; /* free slots of chunks[] below used_chunks */
    mp__u32 seq;
    mp__u64 *pending; /* a ring of chunk ids not yet laid out, oldest first */
    size_t pend_head, pend_count, pend_cap;
    mp__u32 reclaim; /* the oldest laid-out cell that may still be ready */
    size_t ahead;    /* bytes laid out from reclaim on */
    size_t cell_bytes[MP__POOL_CELLS];
    mp_async *asyncs;
    mp_batch *batches;
    mp_async *cb_head, *cb_tail;   /* finished results whose callback has not run yet */
    mp_batch *bcb_head, *bcb_tail; /* finished batches whose callback has not run yet */
    int start_method;              /* the workers' (0: the global one) */
};

MP__FN int mp__pool_check(mp_pool *p) {
    if (!p || !p->sh) return MP_EINVAL;
    if (p->broken) return MP_EBROKENPOOL;
    return p->closed ? MP_ECLOSED : MP_OK;
}
MP__FN mp__chunk *mp__pool_chunk(mp_pool *p, mp__u64 id) {
    mp__u64 i = id & 0xffffffffu;
    mp__chunk *c;
    if (i == 0 || i > p->used_chunks) return NULL;
    c = p->chunks[i - 1];
    return c && c->id == id ? c : NULL;
}
MP__FN int mp__pool_push(mp_pool *p, mp__u64 id, int front) {
    if (p->pend_count == p->pend_cap) {
        size_t cap = p->pend_cap ? p->pend_cap * 2 : 64, i;
        mp__u64 *ring = (mp__u64 *)MP_MALLOC(cap * sizeof *ring);
        if (!ring) return MP_ENOMEM;
        for (i = 0; i < p->pend_count; i++) ring[i] = p->pending[(p->pend_head + i) % p->pend_cap];
        MP_FREE(p->pending);
        p->pending = ring;
        p->pend_cap = cap;
        p->pend_head = 0;
    }
    if (front) {
        p->pend_head = (p->pend_head + p->pend_cap - 1) % p->pend_cap;
        p->pending[p->pend_head] = id;
    } else {
        p->pending[(p->pend_head + p->pend_count) % p->pend_cap] = id;
    }
    p->pend_count++;
    return MP_OK;
}
MP__FN void mp__pool_pop(mp_pool *p) {
    p->pend_head = (p->pend_head + 1) % p->pend_cap;
    p->pend_count--;
}

/* Every worker starts here (and only here), the first time and after a death. */
MP__FN int mp__pool_start_worker(mp_pool *p, int w) {
    unsigned char arg[sizeof(void *) + 4];
    mp__u32 index = (mp__u32)w;
    char name[32];
    int r;
    p->sh->slots[w].current = 0;
    p->sh->slots[w].state = MP__SLOT_BOOTING;
    p->sh->slots[w].init_status = 0;
    p->killed[w] = 0;
    memcpy(arg, &p->sh, sizeof p->sh);
    memcpy(arg + sizeof p->sh, &index, sizeof index);
    mp__fmt_name(name, "PoolWorker-", (unsigned long)w + 1);
    r = mp_process_init(&p->workers[w], mp__pool_worker, arg, sizeof arg, name);
    /* the slot is told the pid as the start learns it (mp__pool_orphan); the blocks the start
       makes (a spawn's boot block) are the pool's */
    p->sh->slots[w].since = mp__os_now();
    if (r == MP_OK) {
        p->workers[w].mp__pid_word = &p->sh->slots[w].pid;
        p->workers[w].mp__group = p->sh;
    }
    if (r == MP_OK) r = mp_process_set_daemon(&p->workers[w], 1);
    if (r == MP_OK) r = mp_process_set_start_method(&p->workers[w], p->start_method);
    if (r == MP_OK) r = mp_process_start(&p->workers[w]);
    return r;
}

MP__FN void mp__async_release(mp_async *a) {
    MP_FREE(a->data);
    MP_FREE(a);
}
MP__FN void mp__batch_queue(mp_pool *p, mp_batch *b) {
    b->queued = 1;
    b->cb_next = NULL;
    if (p->bcb_tail)
        p->bcb_tail->cb_next = b;
    else
        p->bcb_head = b;
    p->bcb_tail = b;
}
/* Records item k's outcome: its bytes when it succeeded, and when it failed with a status
   (what a failing task returned says why). No user code runs here: callbacks are queued,
   and run once the pool's state is whole again (mp__pool_run_callbacks). */
MP__FN void mp__pool_deliver(mp_pool *p, mp__chunk *c, size_t k, int err, int status,
                             const void *data, size_t size) {
    void *copy = NULL;
    if (err != MP_OK && err != MP_ETASK) size = 0;
    if ((err == MP_OK || size) &&
        ((c->async && !c->async->freed) || (c->batch && !c->batch->freed))) {
        copy = MP_MALLOC(size ? size : 1);
        if (!copy) {
            if (err == MP_OK) err = MP_ENOMEM;
            size = 0;
        } else if (size) {
            memcpy(copy, data, size);
        }
    }
    if (c->async) {
        mp_async *a = c->async;
        c->async = NULL;
        if (a->freed) { /* its owner let go of it */
            mp__async_release(a);
            return;
        }
        a->err = err;
        a->status = status;
        a->data = copy;
        a->size = size;
        a->done = 1;
        if (a->cb.callback || a->cb.error_callback || a->cb.error_bytes_callback) {
            a->queued = 1;
            a->cb_next = NULL;
            if (p->cb_tail)
                p->cb_tail->cb_next = a;
            else
                p->cb_head = a;
            p->cb_tail = a;
        }
    } else if (c->batch && !c->batch->freed) {
        mp_batch *b = c->batch;
        mp__item *it = &b->items[c->first + k];
        it->err = err;
        it->status = status;
        it->data = copy;
        it->size = size;
        it->done = 1;
        b->done++;
        if (b->fifo) b->fifo[b->fifo_tail++] = c->first + k;
        if (b->done == b->n && (b->cb.callback || b->cb.error_callback)) mp__batch_queue(p, b);
    }
}
/* Runs the queued callbacks, each once, outside the pool's bookkeeping. A callback may call
   the pool again (submit, wait, free results); what finishes meanwhile is queued behind. */
MP__FN void mp__pool_run_callbacks(mp_pool *p) {
    if (p->in_callbacks) return;
    p->in_callbacks = 1;
    while (p->cb_head || p->bcb_head) {
        mp_async *a = p->cb_head;
        mp_batch *b;
        size_t i;
        if (a) {
            p->cb_head = a->cb_next;
            if (!p->cb_head) p->cb_tail = NULL;
            a->queued = 0;
            if (a->freed)
                mp__async_release(a);
            else if (a->err == MP_OK && a->cb.callback)
                a->cb.callback(a->cb.user, a->data, a->size); /* may free a: not touched after */
            else if (a->err != MP_OK && a->cb.error_bytes_callback)
                a->cb.error_bytes_callback(a->cb.user, a->err, a->status, a->data, a->size);
            else if (a->err != MP_OK && a->cb.error_callback)
                a->cb.error_callback(a->cb.user, a->err, a->status);
            continue;
        }
        b = p->bcb_head;
        p->bcb_head = b->cb_next;
        if (!p->bcb_head) p->bcb_tail = NULL;
        b->queued = 0;
        if (b->freed) {
            if (!b->chunks_left) MP_FREE(b);
            continue;
        }
        for (i = 0; i < b->n && b->items[i].err == MP_OK; i++) continue;
        if (i == b->n && b->cb.callback)
            b->cb.callback(b->cb.user, b); /* may free b: not touched after */
        else if (i < b->n && b->cb.error_callback)
            b->cb.error_callback(b->cb.user, b, i, b->items[i].err, b->items[i].status);
    }
    p->in_callbacks = 0;
}
/* The chunk is over: its record goes, its slot is reused. */
MP__FN void mp__pool_finish(mp_pool *p, mp__chunk *c) {
    size_t slot = (size_t)(c->id & 0xffffffffu) - 1;
    mp_batch *b = c->batch;
    if (b && --b->chunks_left == 0 && b->freed && !b->queued) MP_FREE(b);
    if (c->state == MP__CHUNK_SENT) p->nsent--;
    p->chunks[slot] = NULL;
    p->spare[p->nspare++] = slot;
    p->nchunks--;
    if (c->shm) mp__arena_free(c->shm);
    MP_FREE(c->msg);
    MP_FREE(c);
}
/* Fails every item of a chunk with err. */
MP__FN void mp__pool_fail(mp_pool *p, mp__chunk *c, int err, int status) {
    mp__u32 k;
    for (k = 0; k < c->count; k++) mp__pool_deliver(p, c, k, err, status, NULL, 0);
    mp__pool_finish(p, c);
}
/* Takes back a chunk that no worker has taken: 1, or 0 when one has (it runs or ran). */
MP__FN int mp__pool_unsend(mp_pool *p, mp__chunk *c) {
    mp__pool_cell *cell;
    if (c->state == MP__CHUNK_PENDING) return 1;
    cell = &p->sh->cells[c->cell];
    return cell->id == c->id && mp__cas(&cell->state, MP__CELL_READY, MP__CELL_FREE);
}
/* A result message comes from shared memory: every count and size in it is checked. */
MP__FN void mp__pool_result(mp_pool *p, unsigned char *msg, size_t n) {
    mp__result_hdr rh;
    unsigned char *at = msg + sizeof rh, *end = msg + n;
    mp__chunk *c;
    mp__u32 k;
    if (n < sizeof rh) return;
    memcpy(&rh, msg, sizeof rh);
    c = mp__pool_chunk(p, rh.id);
    if (!c || c->state != MP__CHUNK_SENT) return; /* already failed: its worker was killed */
    for (k = 0; k < c->count; k++) {
        mp__i32 rec[2];
        mp__u64 size;
        if (k >= rh.count || (size_t)(end - at) < 16) break;
        memcpy(rec, at, 8);
        memcpy(&size, at + 8, 8);
        if (size > (mp__u64)(end - at - 16) || MP__PAD8(size) > (mp__u64)(end - at - 16)) break;
        mp__pool_deliver(p, c, k, rec[0], rec[1], at + 16, (size_t)size);
        at += 16 + MP__PAD8(size);
    }
    for (; k < c->count; k++) mp__pool_deliver(p, c, k, MP_ECORRUPT, 0, NULL, 0);
    mp__pool_finish(p, c);
}
/* Collects results, waiting up to timeout for the first. An error of the wait itself (not
   "nothing came") is returned, so that a caller's wait ends with it. */
MP__FN int mp__pool_drain(mp_pool *p, double timeout) {
    void *msg;
    size_t n;
    int r;
    while ((r = mp_queue_get_alloc(p->sh->results, &msg, &n, timeout)) == MP_OK) {
        mp__pool_result(p, (unsigned char *)msg, n);
        MP_FREE(msg);
        timeout = 0;
    }
    return r == MP_EEMPTY || r == MP_ETIMEDOUT || r == MP_ECORRUPT ? MP_OK : r;
}

/* Ends the workers and fails every chunk under way with err: terminate, or a broken pool. */
MP__FN void mp__pool_stop(mp_pool *p, int err, int status) {
    size_t i;
    int w;
    p->terminated = 1; /* no more restarts */
    for (w = 0; w < p->n; w++)
        if (p->workers[w].mp__magic == MP__PROCESS_MAGIC && p->workers[w].mp__state == MP__STARTED)
            mp_process_kill(&p->workers[w]);
    for (w = 0; w < p->n; w++)
        if (p->workers[w].mp__magic == MP__PROCESS_MAGIC && p->workers[w].mp__state != MP__CLOSED) {
            if (p->workers[w].mp__state == MP__STARTED) /* killed: it ends at once */
                while (mp_process_join(&p->workers[w], MP_FOREVER) == MP_EINTERRUPTED)
                    mp__os_sleep(0.001);
            mp_process_close(&p->workers[w]);
        }
    for (i = 0; i < MP__POOL_CELLS; i++) mp__store(&p->sh->cells[i].state, MP__CELL_FREE);
    p->reclaim = mp__load(&p->sh->bell.value);
    p->ahead = 0;
    for (i = 0; i < p->used_chunks; i++)
        if (p->chunks[i]) mp__pool_fail(p, p->chunks[i], err, status);
    p->pend_count = 0;
}
/* Like concurrent.futures: a worker whose initializer failed, or a worker that cannot be
   (re)started, breaks the pool instead of being restarted for ever. */
MP__FN void mp__pool_break(mp_pool *p, int status) {
    p->broken = 1;
    p->broken_status = status;
    mp__pool_stop(p, MP_EBROKENPOOL, status);
}

/* Frees a cell that a dead worker (or garbage) holds; its chunk, unless a worker runs it,
   goes back in front of the pending ones. */
MP__FN void mp__pool_give_back(mp_pool *p, mp__pool_cell *cell, mp__u32 state) {
    mp__chunk *c = mp__pool_chunk(p, cell->id);
    int w;
    if (!mp__cas(&cell->state, state, MP__CELL_FREE)) return;
    if (!c || c->state != MP__CHUNK_SENT) return;
    for (w = 0; w < p->n; w++)
        if (p->sh->slots[w].current == c->id) return; /* begun: its worker's fate decides */
    if (mp__pool_push(p, c->id, 1) == MP_OK) {
        c->state = MP__CHUNK_PENDING;
        p->nsent--;
    }
}
/* Dead workers: fail the chunk each ran, give back what it had taken and not begun, start a
   new worker. Too slow a task: kill its worker (the next check reports it). A cell whose
   state names no worker (shared memory is input) is given back too. */
MP__FN void mp__pool_check_workers(mp_pool *p) {
    double now = mp__os_now();
    int w;
    p->last_check = now;
    for (w = 0; w < MP__POOL_CELLS; w++) {
        mp__u32 st = mp__load(&p->sh->cells[w].state);
        if (st > MP__CELL_TAKEN + (mp__u32)(p->n - 1)) mp__pool_give_back(p, &p->sh->cells[w], st);
    }
    for (w = 0; w < p->n && !p->broken; w++) {
        mp__pool_slot *slot = &p->sh->slots[w];
        mp__u64 cur;
        mp__chunk *c;
        int code = 0, i, r;
        if (p->workers[w].mp__state == MP__CLOSED) continue;
        if (mp_process_is_alive(&p->workers[w]) == 1) {
            cur = slot->current;
            if (p->task_timeout > 0 && cur && p->killed[w] != cur &&
                now - slot->started > p->task_timeout) {
                p->killed[w] = cur;
                mp_process_kill(&p->workers[w]);
            }
            continue;
        }
        mp__pool_drain(p, 0); /* what it finished before it died */
        /* a worker that died counted: its counts go back (see mp__pool_look) */
        mp__pool_count(&slot->looking, &p->sh->looking, 0);
        mp__pool_count(&slot->spinning, &p->sh->spinning, 0);
        mp_process_exitcode(&p->workers[w], &code);
        cur = slot->current;
        c = cur ? mp__pool_chunk(p, cur) : NULL;
        if (c && c->state == MP__CHUNK_SENT)
            mp__pool_fail(p, c, p->killed[w] == cur ? MP_ETASKTIMEOUT : MP_EWORKERDIED, code);
        slot->current = 0;
        for (i = 0; i < MP__POOL_CELLS; i++) /* taken, not begun: it goes back, in front */
            if (mp__load(&p->sh->cells[i].state) == MP__CELL_TAKEN + (mp__u32)w)
                mp__pool_give_back(p, &p->sh->cells[i], MP__CELL_TAKEN + (mp__u32)w);
        mp_process_close(&p->workers[w]);
        if (p->sh->has_init && slot->state != MP__SLOT_READY) {
            mp__pool_break(p, slot->state == MP__SLOT_INIT_FAILED ? slot->init_status : code);
            return;
        }
        if (p->terminated) continue;
        r = mp__pool_start_worker(p, w);
        if (r == MP_OK) {
            p->start_failures = 0;
        } else if (++p->start_failures >= 5) { /* not a passing hitch: give up */
            mp__pool_break(p, r);
            return;
        } /* else the next check tries again */
    }
}

/* Lays the oldest pending chunks out in the cells, in order; wakes a worker if none looks. */
MP__FN void mp__pool_dispatch(mp_pool *p) {
    mp__pool_shared *sh = p->sh;
    mp__u32 t = mp__load(&sh->bell.value), laid = 0;
    while (p->reclaim != t &&
           mp__load(&sh->cells[p->reclaim % MP__POOL_CELLS].state) != MP__CELL_READY)
        p->ahead -= p->cell_bytes[p->reclaim++ % MP__POOL_CELLS];
    while (p->pend_count) {
        mp__u64 id = p->pending[p->pend_head];
        mp__chunk *c = mp__pool_chunk(p, id);
        mp__pool_cell *cell = &sh->cells[t % MP__POOL_CELLS];
        if (!c || c->state != MP__CHUNK_PENDING) { /* no longer under way */
            mp__pool_pop(p);
            continue;
        }
        if (t - p->reclaim >= MP__POOL_CELLS || mp__load(&cell->state) != MP__CELL_FREE) break;
        if (p->reclaim != t && p->ahead + c->msg_size > MP__POOL_AHEAD) break;
        if (!c->shm) {
            c->shm = mp__arena_alloc_in(c->msg_size, sh);
            if (!c->shm) {
                if (p->nsent) break; /* room comes back as chunks end */
                mp__pool_pop(p);
                mp__pool_fail(p, c, MP_ENOMEM, 0);
                continue;
            }
            memcpy(c->shm, c->msg, c->msg_size);
            MP_FREE(c->msg);
            c->msg = NULL;
        }
        mp__pool_pop(p);
        cell->id = id;
        cell->msg = c->shm;
        cell->size = c->msg_size;
        mp__store(&cell->state, MP__CELL_READY);
        p->cell_bytes[t % MP__POOL_CELLS] = c->msg_size;
        p->ahead += c->msg_size;
        c->cell = t % MP__POOL_CELLS;
        c->state = MP__CHUNK_SENT;
        p->nsent++;
        mp__store(&sh->bell.value, ++t); /* a worker may take it at once */
        laid++;
    }
    if (laid && mp__pool_nobody_looks(sh)) mp__wake(&sh->bell, 1); /* see mp__pool_look */
}
/* Moves the pool along: send, collect, watch. Waits up to timeout for a result. Callbacks
   run at the end, with the pool's state whole. Returns an error of the wait itself. */
MP__FN int mp__pool_pump(mp_pool *p, double timeout) {
    int r;
    if (!p->terminated) mp__pool_dispatch(p);
    p->quiet = 0;
    r = mp__pool_drain(p, timeout > 0.05 ? 0.05 : timeout);
    if (timeout > 0 || mp__os_now() - p->last_check > 0.005) mp__pool_check_workers(p);
    if (!p->terminated) mp__pool_dispatch(p);
    mp__pool_run_callbacks(p);
    return r;
}

/* After a submission: the results are taken in batches (measured: a look at the result
   queue on every apply_async cost half its throughput), so that callbacks run at the latest
   MP__POOL_BATCH submissions later; a wait takes them all. */
#define MP__POOL_BATCH 32
MP__FN void mp__pool_submitted(mp_pool *p) {
    long waiting = mp__queue_count(p->sh->results); /* < 0: corrupt, the pump says so */
    if (++p->quiet < MP__POOL_BATCH && waiting >= 0 && waiting < MP__POOL_BATCH) {
        if (!p->terminated) mp__pool_dispatch(p);
        return;
    }
    mp__pool_pump(p, 0);
}

MP__FN void mp__pool_destroy(mp_pool *p);
MPDEF int mp_pool_new(mp_pool **out, int processes, const mp_pool_options *opts) {
    mp_pool_options none;
    mp_pool *p;
    int w, r = MP_OK;
    if (!out) return MP_EINVAL;
    *out = NULL;
    memset(&none, 0, sizeof none);
    if (!opts) opts = &none;
    if (processes == 0) processes = mp_cpu_count(); /* Python's Pool(None) */
    if (processes <= 0 || processes > 4096 || opts->maxtasksperchild < 0 ||
        !(opts->task_timeout >= 0) || (!opts->initargs && opts->initargs_size))
        return MP_EINVAL;
    if (opts->initargs_size > MP_MESSAGE_MAX) return MP_ETOOBIG;
    mp__init_globals();
    if (opts->start_method && (r = mp__method_check(opts->start_method)) != MP_OK) return r;
    if (mp__g.self.mp__daemon) return MP_EDAEMON;
    p = (mp_pool *)MP_MALLOC(sizeof *p);
    if (!p) return MP_ENOMEM;
    memset(p, 0, sizeof *p);
    p->n = processes;
    p->task_timeout = opts->task_timeout;
    p->start_method = opts->start_method;
    (void)mp__arena_reap(); /* what pools of dead processes left */
    p->sh = (mp__pool_shared *)mp__arena_alloc_head(
        sizeof(mp__pool_shared) + (size_t)(processes - 1) * sizeof(mp__pool_slot));
    if (p->sh) p->sh->type = MP__T_POOL;
    p->workers = (mp_process *)MP_MALLOC((size_t)processes * sizeof(mp_process));
    p->killed = (mp__u64 *)MP_MALLOC((size_t)processes * sizeof(mp__u64));
    if (!p->sh || !p->workers || !p->killed) r = MP_ENOMEM;
    if (r == MP_OK) {
        memset(p->workers, 0, (size_t)processes * sizeof(mp_process));
        memset(p->sh->cells, 0, sizeof p->sh->cells);
        p->sh->bell.value = p->sh->bell.waiters = p->sh->head = p->sh->stop = 0;
        p->sh->nslots = (mp__u32)processes;
        p->sh->parent = mp__g.pid;
        p->sh->maxtasks = (mp__u32)opts->maxtasksperchild;
        /* in the group from the allocator's lock on: zeroing 4 MiB takes a while */
        p->sh->results = mp__queue_new(MP__POOL_RESULTS, 0, 0, p->sh);
        if (!p->sh->results) r = MP_ENOMEM;
    }
    if (r == MP_OK && opts->initializer) {
        r = mp__pool_fnref(p->sh, mp__fn_addr((void (*)(void))opts->initializer),
                           &p->sh->init_module, &p->sh->init_offset);
        p->sh->initargs = mp__arena_alloc_in(opts->initargs_size ? opts->initargs_size : 1, p->sh);
        if (r == MP_OK && !p->sh->initargs) r = MP_ENOMEM;
        if (r == MP_OK) {
            if (opts->initargs_size) memcpy(p->sh->initargs, opts->initargs, opts->initargs_size);
            p->sh->initargs_size = opts->initargs_size;
            p->sh->has_init = 1;
        }
    }
    for (w = 0; w < processes && r == MP_OK; w++) r = mp__pool_start_worker(p, w);
    if (r != MP_OK) {
        mp__pool_destroy(p); /* terminates the workers that did start */
        return r;
    }
    *out = p;
    return MP_OK;
}

/* How many items from first make one chunk: at most chunksize, in a message of at most
   MP_MESSAGE_MAX bytes (*size). The caller has checked each item's size. */
MP__FN size_t mp__pool_take(const mp_bytes *items, size_t item_size, size_t first, size_t n,
                            size_t chunksize, size_t *size) {
    size_t k, total = sizeof(mp__task_hdr);
    for (k = 0; k < chunksize && first + k < n; k++) {
        size_t one = 8 + (size_t)MP__PAD8(items ? items[first + k].size : item_size);
        if (k && one > MP_MESSAGE_MAX - total) break;
        total += one;
    }
    *size = total;
    return k;
}
/* Queues one chunk: its message is built now and sent when a worker has room. */
MP__FN int mp__pool_submit(mp_pool *p, mp_task_fn fn, const mp_bytes *items, const void *base,
                           size_t item_size, size_t first, size_t count, size_t size, mp_async *a,
                           mp_batch *b) {
    mp__task_hdr h;
    mp__chunk *c;
    size_t i, slot;
    unsigned char *at;
    int r;
    if (p->nspare == 0 && p->used_chunks == p->cap_chunks) {
        size_t cap = p->cap_chunks ? p->cap_chunks * 2 : 64;
        mp__chunk **t;
        size_t *s;
        if (cap > 0xffffffffu || cap > ((size_t)-1) / sizeof *t) return MP_ENOMEM;
        t = (mp__chunk **)MP_REALLOC(p->chunks, cap * sizeof *t);
        if (!t) return MP_ENOMEM;
        p->chunks = t;
        s = (size_t *)MP_REALLOC(p->spare, cap * sizeof *s);
        if (!s) return MP_ENOMEM;
        p->spare = s;
        p->cap_chunks = cap;
    }
    r = mp__pool_fnref(p->sh, mp__fn_addr((void (*)(void))fn), &h.fn_module, &h.fn_offset);
    if (r != MP_OK) return r;
    c = (mp__chunk *)MP_MALLOC(sizeof *c);
    if (!c) return MP_ENOMEM;
    memset(c, 0, sizeof *c);
    c->msg = MP_MALLOC(size);
    if (!c->msg || mp__pool_push(p, 0, 0) != MP_OK) {
        MP_FREE(c->msg);
        MP_FREE(c);
        return MP_ENOMEM;
    }
    slot = p->nspare ? p->spare[--p->nspare] : p->used_chunks++;
    if (++p->seq == 0) p->seq = 1;
    h.id = c->id = ((mp__u64)p->seq << 32) | (mp__u64)(slot + 1);
    p->pending[(p->pend_head + p->pend_count - 1) % p->pend_cap] = h.id;
    h.count = (mp__u32)count;
    if (a) a->chunk = h.id;
    memcpy(c->msg, &h, sizeof h);
    at = (unsigned char *)c->msg + sizeof h;
    for (i = 0; i < count; i++) {
        const void *src =
            items ? items[first + i].data : (const unsigned char *)base + (first + i) * item_size;
        mp__u64 n = items ? items[first + i].size : item_size;
        memcpy(at, &n, 8);
        if (n) memcpy(at + 8, src, (size_t)n);
        memset(at + 8 + n, 0, (size_t)(MP__PAD8(n) - n));
        at += 8 + MP__PAD8(n);
    }
    c->msg_size = size;
    c->count = (mp__u32)count;
    c->state = MP__CHUNK_PENDING;
    c->async = a;
    c->batch = b;
    c->first = first;
    if (b) b->chunks_left++;
    p->chunks[slot] = c;
    p->nchunks++;
    return MP_OK;
}

MPDEF int mp_pool_apply_async(mp_pool *p, mp_task_fn fn, const void *arg, size_t size,
                              const mp_async_callbacks *cb, mp_async **out) {
    mp_bytes item;
    mp_async *a;
    size_t msg_size;
    int r = mp__pool_check(p);
    if (out) *out = NULL;
    if (r != MP_OK) return r;
    if (!fn || !out || (!arg && size)) return MP_EINVAL;
    if (size > MP__POOL_ITEM_MAX) return MP_ETOOBIG;
    a = (mp_async *)MP_MALLOC(sizeof *a);
    if (!a) return MP_ENOMEM;
    memset(a, 0, sizeof *a);
    a->pool = p;
    if (cb) a->cb = *cb;
    item.data = arg;
    item.size = size;
    mp__pool_take(&item, 0, 0, 1, 1, &msg_size);
    r = mp__pool_submit(p, fn, &item, NULL, 0, 0, 1, msg_size, a, NULL);
    if (r != MP_OK) {
        MP_FREE(a);
        return r;
    }
    a->next = p->asyncs;
    if (p->asyncs) p->asyncs->prev = a;
    p->asyncs = a;
    *out = a;
    mp__pool_submitted(p);
    return MP_OK;
}
/* Moves the pool (NULL: it was freed) along until done(x), or MP_ETIMEDOUT. */
MP__FN int mp__pool_await(mp_pool *p, int (*done)(void *), void *x, double timeout) {
    double deadline = mp__deadline(timeout);
    for (;;) {
        double left;
        int r = MP_OK;
        if (!done(x) && p) r = mp__pool_pump(p, 0);
        if (done(x)) return MP_OK;
        if (r != MP_OK) return r; /* the wait itself failed (mp_interrupt) */
        left = mp__left(deadline);
        if (left <= 0 || !p) return MP_ETIMEDOUT;
        if (mp__os_interrupted()) return MP_EINTERRUPTED; /* the pump's waits end at once */
        if ((r = mp__pool_pump(p, left)) != MP_OK && !done(x)) return r;
    }
}
static int mp__async_done(void *x) {
    return ((mp_async *)x)->done;
}
static int mp__batch_done(void *x) {
    return ((mp_batch *)x)->done == ((mp_batch *)x)->n;
}
MPDEF int mp_async_wait(mp_async *a, double timeout) {
    if (!a || mp__bad_timeout(timeout)) return MP_EINVAL;
    return mp__pool_await(a->pool, mp__async_done, a, timeout);
}
MPDEF int mp_async_get(mp_async *a, double timeout, const void **result, size_t *size) {
    int r = mp_async_wait(a, timeout);
    if (r != MP_OK) return r;
    if (result) *result = a->data; /* a failed task's bytes too (NULL if none) */
    if (size) *size = a->size;
    return a->err;
}
MPDEF int mp_async_ready(mp_async *a) {
    return a && mp_async_wait(a, 0) == MP_OK;
}
MPDEF int mp_async_successful(mp_async *a) {
    if (!mp_async_ready(a)) return MP_EINVAL;
    return a->err == MP_OK;
}
MPDEF int mp_async_status(mp_async *a) {
    return a ? a->status : MP_EINVAL;
}
MPDEF void mp_async_free(mp_async *a) {
    if (!a || a->freed) return;
    if (a->pool) {
        mp_pool *p = a->pool;
        if (a->prev)
            a->prev->next = a->next;
        else
            p->asyncs = a->next;
        if (a->next) a->next->prev = a->prev;
        a->next = a->prev = NULL;
        if (!a->done || a->queued) { /* its chunk, or the callback queue, lets go of it */
            a->freed = 1;
            return;
        }
    }
    mp__async_release(a);
}
/* Future.cancel: 1 if the task had not started (it never will; get answers MP_ECANCELLED),
   0 if it runs or ran. */
MPDEF int mp_async_cancel(mp_async *a) {
    mp__chunk *c;
    if (!a || a->freed) return MP_EINVAL;
    if (a->done) return a->err == MP_ECANCELLED;
    c = a->pool ? mp__pool_chunk(a->pool, a->chunk) : NULL;
    if (!c || c->async != a || !mp__pool_unsend(a->pool, c)) return 0;
    mp__pool_fail(a->pool, c, MP_ECANCELLED, 0);
    mp__pool_run_callbacks(a->pool);
    return 1;
}
/* concurrent.futures.wait(FIRST_COMPLETED), and as_completed by setting each returned entry
   to NULL. Results may come from different pools. */
MPDEF int mp_async_wait_any(mp_async *const *set, int n, double timeout, int *index) {
    double deadline;
    int i, live = 0;
    if (index) *index = -1;
    if (n < 0 || (n && !set) || mp__bad_timeout(timeout)) return MP_EINVAL;
    for (i = 0; i < n; i++)
        if (set[i]) {
            if (set[i]->freed) return MP_EINVAL;
            live++;
        }
    if (!live) return MP_EOF;
    deadline = mp__deadline(timeout);
    for (;;) {
        mp_pool *one = NULL;
        int pools = 0, r = MP_OK;
        double left;
        for (i = 0; i < n; i++) /* move every pool along once, then look */
            if (set[i] && !set[i]->done && set[i]->pool && set[i]->pool != one) {
                if (!one) one = set[i]->pool;
                pools++;
                if (r == MP_OK) r = mp__pool_pump(set[i]->pool, 0);
            }
        for (i = 0; i < n; i++)
            if (set[i] && set[i]->done) {
                if (index) *index = i;
                return MP_OK;
            }
        if (r != MP_OK) return r; /* the wait itself failed (mp_interrupt) */
        left = mp__left(deadline);
        if (left <= 0 || !one) return MP_ETIMEDOUT;
        /* one pool: sleep on its results; several: look at each in turn, often */
        r = mp__pool_pump(one, pools > 1 && left > 0.002 ? 0.002 : left);
    }
}
MPDEF int mp_pool_apply(mp_pool *p, mp_task_fn fn, const void *arg, size_t size, void **result,
                        size_t *result_size) {
    mp_async *a;
    int r = mp_pool_apply_async(p, fn, arg, size, NULL, &a);
    if (result) *result = NULL;
    if (result_size) *result_size = 0;
    if (r != MP_OK) return r;
    r = mp_async_get(a, MP_FOREVER, NULL, NULL);
    if (result) { /* handed over: the result, or the bytes a failing task returned */
        *result = a->data;
        a->data = NULL;
    }
    if (result_size) *result_size = a->size;
    mp_async_free(a);
    return r;
}

MP__FN int mp__pool_map(mp_pool *p, mp_task_fn fn, const mp_bytes *items, const void *base,
                        size_t item_size, size_t n, size_t chunksize, int mode,
                        const mp_batch_callbacks *cb, mp_batch **out) {
    mp_batch *b;
    size_t i, count = 0, msg_size;
    int r = mp__pool_check(p);
    if (out) *out = NULL;
    if (r != MP_OK) return r;
    if (!fn || !out || (n && !items && !base) || mode < MP_MAP || mode > MP_IMAP_UNORDERED)
        return MP_EINVAL;
    /* every size is checked before anything is queued */
    if (!items && item_size > MP__POOL_ITEM_MAX) return MP_ETOOBIG;
    if (!items && item_size && n > ((size_t)-1) / item_size) return MP_ETOOBIG; /* no such array */
    for (i = 0; items && i < n; i++)
        if ((!items[i].data && items[i].size) || items[i].size > MP__POOL_ITEM_MAX)
            return items[i].size > MP__POOL_ITEM_MAX ? MP_ETOOBIG : MP_EINVAL;
    if (n > ((size_t)-1) / sizeof(mp__item) / 2) return MP_ENOMEM;
    if (!chunksize && mode >= MP_IMAP) chunksize = 1; /* Python's imap: one item a chunk */
    if (!chunksize) { /* Python's map: about four chunks per worker */
        chunksize = n / ((size_t)p->n * 4);
        if (n % ((size_t)p->n * 4)) chunksize++;
    }
    if (chunksize > 0xffffffu) chunksize = 0xffffffu;
    b = (mp_batch *)MP_MALLOC(sizeof *b);
    if (!b) return MP_ENOMEM;
    memset(b, 0, sizeof *b);
    b->pool = p;
    b->mode = mode;
    b->n = n;
    if (cb) b->cb = *cb;
    b->items = (mp__item *)MP_MALLOC((n ? n : 1) * sizeof(mp__item));
    if (mode == MP_IMAP_UNORDERED) b->fifo = (size_t *)MP_MALLOC((n ? n : 1) * sizeof(size_t));
    if (!b->items || (mode == MP_IMAP_UNORDERED && !b->fifo)) {
        MP_FREE(b->items);
        MP_FREE(b->fifo);
        MP_FREE(b);
        return MP_ENOMEM;
    }
    memset(b->items, 0, (n ? n : 1) * sizeof(mp__item));
    for (i = 0; i < n && r == MP_OK; i += count) {
        count = mp__pool_take(items, item_size, i, n, chunksize, &msg_size);
        r = mp__pool_submit(p, fn, items, base, item_size, i, count, msg_size, NULL, b);
    }
    b->next = p->batches;
    if (p->batches) p->batches->prev = b;
    p->batches = b;
    *out = b;
    if (r != MP_OK) { /* what was queued still runs; the rest fails now */
        for (i -= count; i < n; i++) {
            b->items[i].done = 1;
            b->items[i].err = r;
            b->done++;
            if (b->fifo) b->fifo[b->fifo_tail++] = i;
        }
        if (b->done == n && (b->cb.callback || b->cb.error_callback)) mp__batch_queue(p, b);
        return r;
    }
    mp__pool_submitted(p);
    if (mode != MP_MAP) return MP_OK;
    r = mp_batch_wait(b, MP_FOREVER);
    if (r != MP_OK) return r; /* the wait itself failed (mp_interrupt): *out can wait again */
    for (i = 0; i < n; i++)
        if (b->items[i].err != MP_OK) return b->items[i].err;
    return MP_OK;
}
MPDEF int mp_pool_map(mp_pool *p, mp_task_fn fn, const void *items, size_t item_size, size_t n,
                      size_t chunksize, int mode, mp_batch **out) {
    return mp__pool_map(p, fn, NULL, items, item_size, n, chunksize, mode, NULL, out);
}
MPDEF int mp_pool_map_async(mp_pool *p, mp_task_fn fn, const void *items, size_t item_size,
                            size_t n, size_t chunksize, const mp_batch_callbacks *cb,
                            mp_batch **out) {
    return mp__pool_map(p, fn, NULL, items, item_size, n, chunksize, MP_MAP_ASYNC, cb, out);
}
MPDEF int mp_pool_map_bytes(mp_pool *p, mp_task_fn fn, const mp_bytes *items, size_t n,
                            size_t chunksize, int mode, mp_batch **out) {
    int r = mp__pool_check(p);
    if (out) *out = NULL;
    if (r != MP_OK) return r;
    if (n && !items) return MP_EINVAL;
    return mp__pool_map(p, fn, items, NULL, 0, n, chunksize, mode, NULL, out);
}
MPDEF int mp_pool_map_bytes_async(mp_pool *p, mp_task_fn fn, const mp_bytes *items, size_t n,
                                  size_t chunksize, const mp_batch_callbacks *cb, mp_batch **out) {
    int r = mp__pool_check(p);
    if (out) *out = NULL;
    if (r != MP_OK) return r;
    if (n && !items) return MP_EINVAL;
    return mp__pool_map(p, fn, items, NULL, 0, n, chunksize, MP_MAP_ASYNC, cb, out);
}
MPDEF int mp_batch_wait(mp_batch *b, double timeout) {
    if (!b || mp__bad_timeout(timeout)) return MP_EINVAL;
    return mp__pool_await(b->pool, mp__batch_done, b, timeout);
}
MPDEF size_t mp_batch_size(mp_batch *b) {
    return b ? b->n : 0;
}
MPDEF int mp_batch_result(mp_batch *b, size_t i, const void **result, size_t *size, int *status) {
    mp__item *it;
    if (!b || i >= b->n) return MP_EINVAL;
    it = &b->items[i];
    if (!it->done && b->pool) mp__pool_pump(b->pool, 0);
    if (!it->done) return MP_ETIMEDOUT;
    if (result) *result = it->data;
    if (size) *size = it->size;
    if (status) *status = it->status;
    return it->err;
}
MPDEF int mp_batch_next(mp_batch *b, double timeout, size_t *index, const void **result,
                        size_t *size) {
    double deadline;
    int r;
    if (!b || mp__bad_timeout(timeout) || (b->mode != MP_IMAP && b->mode != MP_IMAP_UNORDERED))
        return MP_EINVAL;
    deadline = mp__deadline(timeout);
    for (;;) {
        size_t i = (size_t)-1;
        double left;
        if (b->cursor == b->n) return MP_EOF;
        if (b->fifo && b->fifo_head < b->fifo_tail)
            i = b->fifo[b->fifo_head++];
        else if (!b->fifo && b->items[b->cursor].done)
            i = b->cursor;
        if (i != (size_t)-1) {
            b->cursor++;
            if (index) *index = i;
            if (result) *result = b->items[i].data;
            if (size) *size = b->items[i].size;
            return b->items[i].err;
        }
        left = mp__left(deadline);
        if (!b->pool) return MP_ETIMEDOUT;
        if (left > 0 && mp__os_interrupted()) return MP_EINTERRUPTED;
        r = mp__pool_pump(b->pool, left > 0 ? left : 0);
        if (b->fifo ? b->fifo_head < b->fifo_tail : b->items[b->cursor].done) continue;
        if (r != MP_OK) return r; /* the wait itself failed (mp_interrupt) */
        if (left <= 0) return MP_ETIMEDOUT;
    }
}
MPDEF void mp_batch_free(mp_batch *b) {
    size_t i;
    if (!b || b->freed) return;
    for (i = 0; i < b->n; i++) MP_FREE(b->items[i].data);
    MP_FREE(b->items);
    MP_FREE(b->fifo);
    b->items = NULL;
    b->fifo = NULL;
    if (b->pool) {
        mp_pool *p = b->pool;
        if (b->prev)
            b->prev->next = b->next;
        else
            p->batches = b->next;
        if (b->next) b->next->prev = b->prev;
        if (b->chunks_left || b->queued) { /* its last chunk, or the callback queue, lets go */
            b->freed = 1;
            return;
        }
    }
    MP_FREE(b);
}

MPDEF int mp_pool_close(mp_pool *p) {
    if (!p || !p->sh) return MP_EINVAL;
    p->closed = 1;
    return MP_OK;
}
MP__FN int mp__pool_worker_up(mp_pool *p, int w) {
    return p->workers[w].mp__magic == MP__PROCESS_MAGIC && p->workers[w].mp__state != MP__CLOSED;
}
MPDEF int mp_pool_terminate(mp_pool *p) {
    if (!p || !p->sh) return MP_EINVAL;
    p->closed = 1;
    mp__pool_stop(p, MP_ECLOSED, 0);
    mp__pool_run_callbacks(p);
    return MP_OK;
}
/* ProcessPoolExecutor.shutdown: close; cancel_futures: every task not yet taken by a worker
   fails with MP_ECANCELLED (in submission order), running ones finish; wait: join. */
MPDEF int mp_pool_shutdown(mp_pool *p, int wait, int cancel_futures) {
    if (!p || !p->sh) return MP_EINVAL;
    p->closed = 1;
    if (cancel_futures && !p->terminated) {
        mp__u32 t = mp__load(&p->sh->bell.value), i;
        size_t k;
        for (i = p->reclaim; i != t; i++) { /* laid out first, so older */
            mp__pool_cell *cell = &p->sh->cells[i % MP__POOL_CELLS];
            mp__chunk *c = mp__pool_chunk(p, cell->id);
            if (c && c->state == MP__CHUNK_SENT && mp__pool_unsend(p, c))
                mp__pool_fail(p, c, MP_ECANCELLED, 0);
        }
        for (k = 0; k < p->pend_count; k++) {
            mp__chunk *c = mp__pool_chunk(p, p->pending[(p->pend_head + k) % p->pend_cap]);
            if (c && c->state == MP__CHUNK_PENDING) mp__pool_fail(p, c, MP_ECANCELLED, 0);
        }
        p->pend_count = 0;
        mp__pool_run_callbacks(p);
    }
    return wait ? mp_pool_join(p) : MP_OK;
}
MPDEF int mp_pool_join(mp_pool *p) {
    int w;
    if (!p || !p->sh) return MP_EINVAL;
    if (!p->closed && !p->broken) return MP_EINVAL; /* Python: close() or terminate() first */
    while (!p->terminated && p->nchunks) {
        if (mp__os_interrupted()) return MP_EINTERRUPTED; /* the tasks go on; join again */
        int r = mp__pool_pump(p, 1.0);
        if (r != MP_OK) return r; /* the wait itself failed (mp_interrupt): join again */
    }
    if (!p->terminated) {  /* the workers go once they see no ready cell and the stop */
        p->terminated = 1; /* no more restarts */
        mp__store(&p->sh->stop, 1);
        p->cell_bytes[mp__load(&p->sh->bell.value) % MP__POOL_CELLS] = 0;
        mp__fetch_add(&p->sh->bell.value, 1); /* so that no worker goes to sleep on it */
        mp__wake(&p->sh->bell, 0xffffffffu);
    }
    for (w = 0; w < p->n; w++)
        if (mp__pool_worker_up(p, w)) { /* with their inboxes closed they end at once */
            while (mp_process_join(&p->workers[w], MP_FOREVER) == MP_EINTERRUPTED)
                mp__os_sleep(0.001);
            mp_process_close(&p->workers[w]);
        }
    mp__pool_run_callbacks(p);
    return MP_OK;
}
/* Frees a pool, or what exists of one that mp_pool_new could not finish. */
MP__FN void mp__pool_destroy(mp_pool *p) {
    if (p->sh && p->workers && p->killed && (p->nchunks || !p->terminated)) mp_pool_terminate(p);
    while (p->cb_head) { /* only if terminate ran inside a callback: drop what is left */
        mp_async *a = p->cb_head;
        p->cb_head = a->cb_next;
        a->queued = 0;
        if (a->freed) mp__async_release(a);
    }
    while (p->bcb_head) {
        mp_batch *b = p->bcb_head;
        p->bcb_head = b->cb_next;
        b->queued = 0;
        if (b->freed && !b->chunks_left) MP_FREE(b);
    }
    while (p->asyncs) { /* what they hold stays readable */
        mp_async *a = p->asyncs;
        p->asyncs = a->next;
        a->pool = NULL;
        a->next = a->prev = NULL;
    }
    while (p->batches) {
        mp_batch *b = p->batches;
        p->batches = b->next;
        b->pool = NULL;
        b->next = b->prev = NULL;
    }
    if (p->sh) {
        if (p->sh->results) mp_queue_free(p->sh->results);
        if (p->sh->initargs) mp__arena_free(p->sh->initargs);
        mp__obj_free(p->sh, MP__T_POOL);
    }
    MP_FREE(p->chunks);
    MP_FREE(p->spare);
    MP_FREE(p->pending);
    MP_FREE(p->workers);
    MP_FREE(p->killed);
    MP_FREE(p);
}
MPDEF int mp_pool_free(mp_pool *p) {
    if (!p || !p->sh) return MP_EINVAL;
    if (p->in_callbacks) return MP_EINVAL; /* not from inside one of its callbacks */
    mp__pool_destroy(p);
    return MP_OK;
}
MPDEF int mp_pool_worker_pids(mp_pool *p, long *pids, int max) {
    int w, k = 0;
    if (!p || !p->sh || max < 0 || (max && !pids)) return MP_EINVAL;
    for (w = 0; w < p->n && k < max; w++) pids[k++] = mp_process_pid(&p->workers[w]);
    return k;
}

/* ======================================================================================== */
/* >>pipe: Pipe (connections) and connection.wait                                            */
/* The end is an object in the arena; its OS handle is each process's own, found in a       */
/* process-local registry that also keeps the receiving state (a header already read, a     */
/* broken stream). A message on the wire: a 16-byte header (magic, a check of the length,  */
/* the 64-bit length), then the bytes. The header and the first bytes travel in a head of    */
/* MP__HEAD bytes, zero-padded for a shorter message, which the receiver reads whole: one   */
/* read for a small message, and never a byte of the next message, since other processes   */
/* may read the same end. Children get the registry's ends: by fork as they are, by spawn  */
/* through an mp__pass table in the arena (>>os keeps or duplicates the handles).            */
/* An end with Python's framing (a Listener's or Client's) reads ahead on POSIX: a read     */
/* takes what is there (up to MP_CONN_READAHEAD bytes past the message), so that a small   */
/* message costs one read, and the next ones wait in this process's copy of the end. Only  */
/* while the end is this process's alone (refs 1) and its descriptor was never given out  */
/* (mp_conn_fileno): a reader elsewhere, or an event loop, sees the stream as it was.      */
/* ======================================================================================== */
#define MP__MSG_MAGIC 0x3167736du /* "msg1" */
#ifndef MP_CONN_READAHEAD
#define MP_CONN_READAHEAD 4096 /* bytes a Listener/Client end may read past a message */
#endif
#define MP__ALL_FROM ((size_t)16 << 10) /* a read-ahead end reads more in one go (WAITALL) */
#define MP__HDR      16
#define MP__HEAD     128 /* header + up to MP__HEAD - MP__HDR bytes of the message */
enum { MP__CONN_R = 1, MP__CONN_W = 2 };
enum { MP__RX_IDLE = 0, MP__RX_BODY, MP__RX_BROKEN };

/* framing: the pipe's own; Python's on a socket; a Windows message-mode pipe (>>connection) */
enum { MP__WIRE_MP = 0, MP__WIRE_PY = 1, MP__WIRE_MSG = 2 };
struct mp_conn {
    mp__u32 type, mode;
    volatile mp__u32 refs; /* open copies of this end, in every process */
    mp__u32 wire;          /* MP__WIRE_*, set before the end is shared */
};

typedef struct mp__cent { /* this process's copy of an end */
    mp_conn *conn;
    long long h;
    int py;          /* Python's framing: a 4- or 12-byte head, none of the message in it */
    int msg;         /* a message-mode pipe: the head is the message's first bytes */
    int rx;          /* MP__RX_*: idle, head read (the rest follows), broken */
    mp__u64 pending; /* the size of the message whose head was read */
    size_t have;     /* idle: bytes of the next head already read (a receive timed out) */
    /* The message taken so far, when a receive timed out in its middle (or an allocating
       receive is under way): `got` of its bytes in `body`, which grows with them. */
    unsigned char *body;
    size_t got, cap;
    /* Read-ahead: ra[ra_pos, ra_len) are the stream's next bytes, already read. */
    unsigned char *ra;
    size_t ra_pos, ra_len;
    int ra_ok;   /* Python's framing, handshake done, the descriptor never given out */
    int ra_wait; /* the last read emptied the socket: wait (poll) before the next one */
    unsigned char head[MP__HEAD];
} mp__cent;

static struct {
    mp__cent **v;
    int n, cap;
    mp__cent *last; /* the end used last: the usual lookup */
} mp__reg;

MP__FN void mp__cent_free(mp__cent *e) {
    if (e) MP_FREE(e->body), MP_FREE(e->ra);
    MP_FREE(e);
}
MP__FN void mp__conn_unref(mp_conn *c) {
    if (mp__fetch_add(&c->refs, (mp__u32)-1) == 1) mp__obj_free(c, MP__T_CONN);
}
/* Called with the registry locked. */
MP__FN mp__cent *mp__reg_find(const mp_conn *c) {
    int i;
    if (mp__reg.last && mp__reg.last->conn == c) return mp__reg.last;
    for (i = 0; i < mp__reg.n; i++)
        if (mp__reg.v[i]->conn == c) return mp__reg.last = mp__reg.v[i];
    return NULL;
}
MP__FN int mp__reg_add(mp_conn *c, long long h) {
    mp__cent *e = (mp__cent *)MP_MALLOC(sizeof *e);
    if (!e) return MP_ENOMEM;
    memset(e, 0, sizeof *e);
    e->conn = c;
    e->h = h;
    e->py = c->wire == MP__WIRE_PY;
    e->msg = c->wire == MP__WIRE_MSG;
    mp__os_reg_lock();
    if (mp__reg.n == mp__reg.cap) {
        int cap = mp__reg.cap ? mp__reg.cap * 2 : 16;
        mp__cent **v = (mp__cent **)MP_REALLOC(mp__reg.v, (size_t)cap * sizeof *v);
        if (!v) {
            mp__os_reg_unlock();
            MP_FREE(e);
            return MP_ENOMEM;
        }
        mp__reg.v = v;
        mp__reg.cap = cap;
    }
    mp__reg.v[mp__reg.n++] = e;
    mp__os_reg_unlock();
    return MP_OK;
}
/* Takes this process's copy out of the registry (NULL if there is none). */
MP__FN mp__cent *mp__reg_remove(const mp_conn *c) {
    mp__cent *e;
    int i;
    mp__os_reg_lock();
    e = mp__reg_find(c);
    if (e) {
        for (i = 0; mp__reg.v[i] != e; i++) {}
        mp__reg.v[i] = mp__reg.v[--mp__reg.n];
        mp__reg.last = NULL;
        if (!mp__reg.n) { /* the last end: nothing of the registry outlives its ends */
            MP_FREE(mp__reg.v);
            mp__reg.v = NULL;
            mp__reg.cap = 0;
        }
    }
    mp__os_reg_unlock();
    return e;
}
/* Lets this process's copy of an end read ahead (on: 1, if it has Python's framing), or
   not (0: the stream stays as the peer wrote it, past what was already read ahead). */
MP__FN void mp__conn_set_ahead(const mp_conn *c, int on) {
    mp__cent *e;
    int was;
    mp__os_reg_lock();
    e = mp__reg_find(c);
    if (e) {
        was = e->ra_ok;
        e->ra_ok = on && e->py && MP__OS_READAHEAD && MP_CONN_READAHEAD > 0;
        if (was != e->ra_ok && mp__os_ahead_setup(e->h, e->ra_ok) != MP_OK) e->ra_ok = 0;
    }
    mp__os_reg_unlock();
}
/* This process's copy of an open end that can do `mode`. */
MP__FN int mp__conn_get(mp_conn *c, mp__u32 mode, mp__cent **out) {
    mp__cent *e;
    int r = mp__obj_check(c, MP__T_CONN);
    if (r != MP_OK) return r;
    mp__os_reg_lock();
    e = mp__reg_find(c);
    mp__os_reg_unlock();
    if (!e) return MP_ECLOSED;
    if (!(c->mode & mode)) return MP_EINVAL;
    *out = e;
    return MP_OK;
}

/* fork: the child's copies count, and the registry is copied in a consistent state. */
MP__FN void mp__conn_fork_prepare(void) {
    int i;
    mp__authkey_ensure(); /* the child's authkey is its parent's */
    mp__os_reg_lock();
    for (i = 0; i < mp__reg.n; i++) mp__fetch_add(&mp__reg.v[i]->conn->refs, 1);
}
MP__FN void mp__conn_fork_done(int child, int ok) {
    int i;
    if (!ok)
        for (i = 0; i < mp__reg.n; i++) mp__fetch_add(&mp__reg.v[i]->conn->refs, (mp__u32)-1);
    if (child) /* bytes read ahead stay with the process that read them: the parent */
        for (i = 0; i < mp__reg.n; i++) mp__reg.v[i]->ra_pos = mp__reg.v[i]->ra_len = 0;
    mp__os_reg_unlock();
}
/* spawn: a table of the open ends for the child (NULL when there are none). The caller holds
   the os lock, so no end closes before the child has its copies. */
MP__FN int mp__conn_snapshot(mp__pass **table, int *n) {
    mp__pass *t = NULL;
    int i;
    *table = NULL;
    *n = 0;
    mp__os_reg_lock();
    if (mp__reg.n) {
        /* each entry may have MP__OS_PASS_EXTRA bytes after the table (Windows: sockets) */
        t = (mp__pass *)mp__arena_alloc((size_t)mp__reg.n * (sizeof *t + MP__OS_PASS_EXTRA));
        if (!t) {
            mp__os_reg_unlock();
            return MP_ENOMEM;
        }
        for (i = 0; i < mp__reg.n; i++) {
            t[i].conn = (mp__u64)((char *)mp__reg.v[i]->conn - mp__g.arena);
            t[i].handle = mp__reg.v[i]->h;
            mp__fetch_add(&mp__reg.v[i]->conn->refs, 1);
        }
        *n = mp__reg.n;
    }
    mp__os_reg_unlock();
    *table = t;
    return MP_OK;
}
/* After the child booted (child_has_them) or failed to: a child that never ran took nothing. */
MP__FN void mp__conn_snapshot_done(mp__pass *table, int n, int child_has_them) {
    int i;
    if (!table) return;
    if (!child_has_them)
        for (i = 0; i < n; i++) mp__conn_unref((mp_conn *)(void *)(mp__g.arena + table[i].conn));
    mp__arena_free(table);
}
/* A spawned child, before its target: the ends its parent had, with this process's handles. */
MP__FN int mp__conn_adopt(const mp__pass *table, int n) {
    int i;
    for (i = 0; i < n; i++) {
        mp_conn *c = (mp_conn *)(void *)(mp__g.arena + table[i].conn);
        long long h = table[i].handle;
        const char *extra = (const char *)(table + n) + (size_t)i * MP__OS_PASS_EXTRA;
        if (mp__obj_check(c, MP__T_CONN) != MP_OK || mp__os_adopt(&h, extra) != 0) continue;
        if (mp__reg_add(c, h) != MP_OK) return MP_ENOMEM;
        mp__conn_set_ahead(c, 1);
    }
    return MP_OK;
}
/* A child that ends closes its copies, so that the objects can be freed. */
MP__FN void mp__conn_exit(void) {
    mp__os_reg_lock();
    while (mp__reg.n) {
        mp__cent *e = mp__reg.v[--mp__reg.n];
        mp__os_close_handle(e->h);
        mp__conn_unref(e->conn);
        mp__cent_free(e);
    }
    mp__reg.last = NULL;
    mp__os_reg_unlock();
}

MPDEF int mp_pipe(int duplex, mp_conn **a, mp_conn **b) {
    mp_conn *x, *y;
    long long h[2];
    int r;
    if (!a || !b) return MP_EINVAL;
    *a = *b = NULL;
    mp__init_globals();
    x = (mp_conn *)mp__obj_new(sizeof *x, MP__T_CONN);
    y = (mp_conn *)mp__obj_new(sizeof *y, MP__T_CONN);
    if (!x || !y) {
        if (x) mp__obj_free(x, MP__T_CONN);
        if (y) mp__obj_free(y, MP__T_CONN);
        return MP_ENOMEM;
    }
    x->mode = duplex ? MP__CONN_R | MP__CONN_W : MP__CONN_R;
    y->mode = duplex ? MP__CONN_R | MP__CONN_W : MP__CONN_W;
    x->refs = y->refs = 1;
    r = mp__os_pipe(duplex, h);
    if (r == MP_OK && (r = mp__reg_add(x, h[0])) == MP_OK) {
        if ((r = mp__reg_add(y, h[1])) == MP_OK) {
            *a = x;
            *b = y;
            return MP_OK;
        }
        MP_FREE(mp__reg_remove(x));
    }
    if (r != MP_ESYS) mp__os_close_handle(h[0]), mp__os_close_handle(h[1]);
    mp__obj_free(x, MP__T_CONN);
    mp__obj_free(y, MP__T_CONN);
    return r;
}

MP__FN mp__u32 mp__hdr_check(mp__u64 n) {
    n ^= n >> 31;
    n *= 0x9e3779b97f4a7c15ull;
    return (mp__u32)(n >> 32) ^ 0xa5c3e1f7u;
}
MP__FN void mp__put32(unsigned char *p, mp__u32 v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}
MP__FN mp__u32 mp__get32(const unsigned char *p) {
    return (mp__u32)p[0] | (mp__u32)p[1] << 8 | (mp__u32)p[2] << 16 | (mp__u32)p[3] << 24;
}
MP__FN mp__u32 mp__get32be(const unsigned char *p) {
    return (mp__u32)p[0] << 24 | (mp__u32)p[1] << 16 | (mp__u32)p[2] << 8 | (mp__u32)p[3];
}

MP__FN void mp__put_header(unsigned char *hdr, mp__u64 size) {
    mp__put32(hdr, MP__MSG_MAGIC);
    mp__put32(hdr + 4, mp__hdr_check(size));
    mp__put32(hdr + 8, (mp__u32)size);
    mp__put32(hdr + 12, (mp__u32)(size >> 32));
}
MPDEF int mp_conn_send_bytes(mp_conn *c, const void *data, size_t size) {
    unsigned char head[MP__HEAD];
    mp__cent *e;
    int r = mp__conn_get(c, MP__CONN_W, &e);
    if (r != MP_OK) return r;
    if (!data && size) return MP_EINVAL;
    if (size > MP_MESSAGE_MAX) return MP_ETOOBIG;
    if (e->msg) return mp__os_msg_send(e->h, data, size);
    if (e->py) { /* Python's: a 4-byte big-endian length (MP_MESSAGE_MAX < 2^31 - 1) */
        mp__u32 n = (mp__u32)size;
        head[0] = (unsigned char)(n >> 24), head[1] = (unsigned char)(n >> 16);
        head[2] = (unsigned char)(n >> 8), head[3] = (unsigned char)n;
        if (size > MP__HEAD - 4) return mp__os_send(e->h, head, 4, data, size);
        if (size) memcpy(head + 4, data, size); /* a small message: one plain buffer */
        return mp__os_send(e->h, head, 4 + size, NULL, 0);
    }
    mp__put_header(head, (mp__u64)size);
    if (size > MP__HEAD - MP__HDR) return mp__os_send(e->h, head, MP__HDR, data, size);
    if (size) memcpy(head + MP__HDR, data, size); /* a small message: one padded head */
    memset(head + MP__HDR + size, 0, MP__HEAD - MP__HDR - size);
    return mp__os_send(e->h, head, MP__HEAD, NULL, 0);
}

/* Reads into dst until *got == want or the deadline passes: MP_OK, MP_ETIMEDOUT (*got says
   how far it came), MP_EOF or MP_ESYS. Without a deadline, one blocking read; with one, what
   is there, then a poll for the time left, so that a sender that stalls cannot hold us. */
MP__FN int mp__conn_fill_ahead(mp__cent *e, unsigned char *dst, size_t want, size_t *got,
                               double deadline);
MP__FN int mp__conn_fill(mp__cent *e, unsigned char *dst, size_t want, size_t *got,
                         double deadline) {
    if (e->ra_pos < e->ra_len && *got < want) { /* first what was read ahead */
        size_t k = e->ra_len - e->ra_pos < want - *got ? e->ra_len - e->ra_pos : want - *got;
        memcpy(dst + *got, e->ra + e->ra_pos, k);
        e->ra_pos += k;
        *got += k;
    }
    if (*got >= want) return MP_OK;
    if (e->ra_ok && mp__load(&e->conn->refs) == 1) {
        if (!e->ra) e->ra = (unsigned char *)MP_MALLOC(MP_CONN_READAHEAD);
        if (e->ra) return mp__conn_fill_ahead(e, dst, want, got, deadline);
    }
    for (;;) {
        size_t k = 0;
        int r, ready = 0;
        unsigned char is_proc = 0;
        double left;
        if (*got >= want) return MP_OK;
        if (deadline >= 1e300) {
            r = mp__os_recv(e->h, dst + *got, want - *got, &k);
            *got += k;
            return r;
        }
        r = mp__os_recv_some(e->h, dst + *got, want - *got, &k);
        *got += k;
        if (r != MP_OK || *got >= want) return r;
        if (k) continue; /* more may be there already: a message that flows is not cut */
        left = mp__left(deadline);
        if (left <= 0) return MP_ETIMEDOUT;
        r = mp__os_poll(&e->h, &is_proc, 1, left, &ready);
        if (r < 0) return r;
        if (!ready) return MP_ETIMEDOUT;
    }
}
/* mp__conn_fill on an end that reads ahead (its buffer empty): one read takes the rest of
   what is wanted and up to MP_CONN_READAHEAD bytes more. Without a deadline it blocks (and
   looks at mp_interrupt each time it comes back empty). With one, when the last read emptied
   the socket (a reply not yet written), a poll comes first: a read would find nothing. */
MP__FN int mp__conn_fill_ahead(mp__cent *e, unsigned char *dst, size_t want, size_t *got,
                               double deadline) {
    for (;;) {
        size_t k = 0, need = want - *got;
        int r, ready = 0, wait = 0;
        unsigned char kind = 0;
        if (deadline >= 1e300) {
            /* interrupted: only what is there; much to come: all of it in one read */
            wait = mp__os_interrupted() ? 0 : need >= MP__ALL_FROM ? 2 : 1;
        } else if (e->ra_wait) {
            double left = mp__left(deadline);
            r = mp__os_poll(&e->h, &kind, 1, left > 0 ? left : 0, &ready);
            if (r < 0) return r;
            if (!ready) return MP_ETIMEDOUT;
        }
        r = mp__os_recv_ahead(e->h, dst + *got, need, e->ra, MP_CONN_READAHEAD, wait, &k);
        e->ra_wait = k < need + MP_CONN_READAHEAD; /* less than asked: the socket is empty */
        if (r == MP_OK && k == 0 && deadline >= 1e300 && mp__os_interrupted())
            return MP_EINTERRUPTED;
        if (k > need) {
            e->ra_pos = 0;
            e->ra_len = k - need;
            k = need;
        }
        *got += k;
        if (r != MP_OK || *got >= want) return r;
    }
}
/* The stream is lost: the end answers MP_ECORRUPT from now on. */
MP__FN int mp__conn_broken(mp__cent *e, int r) {
    e->rx = MP__RX_BROKEN;
    MP_FREE(e->body);
    e->body = NULL;
    e->got = e->cap = 0;
    return r == MP_EOF ? MP_ECORRUPT : r;
}
/* Python's head: a 4-byte big-endian length; -1 announces an 8-byte one. */
MP__FN int mp__conn_header_py(mp__cent *e, double deadline) {
    unsigned char *p = e->head;
    mp__u64 n;
    mp__u32 n32;
    int r = mp__conn_fill(e, p, 4, &e->have, deadline);
    n32 = (mp__u32)p[0] << 24 | (mp__u32)p[1] << 16 | (mp__u32)p[2] << 8 | p[3];
    if (r == MP_OK && n32 == 0xffffffffu) r = mp__conn_fill(e, p, 12, &e->have, deadline);
    if (r == MP_ETIMEDOUT || r == MP_ESYS || r == MP_EINTERRUPTED) return r;
    if (r == MP_EOF && e->have == 0) return MP_EOF;
    if (r != MP_OK) return mp__conn_broken(e, MP_ECORRUPT);
    n = n32;
    if (n32 == 0xffffffffu)
        n = (mp__u64)mp__get32be(p + 4) << 32 | mp__get32be(p + 8);
    else if (n32 & 0x80000000u) /* another negative length */
        return mp__conn_broken(e, MP_ECORRUPT);
    if (n > MP_MESSAGE_MAX) return mp__conn_broken(e, MP_ECORRUPT);
    e->rx = MP__RX_BODY;
    e->have = 0;
    e->pending = n;
    return MP_OK;
}
/* A message-mode pipe: the first bytes of the message go where a head's would, and the
   pipe tells how many more follow. */
MP__FN int mp__conn_header_msg(mp__cent *e, double deadline) {
    size_t got = 0;
    mp__u64 left = 0;
    double t = deadline >= 1e300 ? MP_FOREVER : mp__left(deadline);
    int r =
        mp__os_msg_recv(e->h, e->head + MP__HDR, MP__HEAD - MP__HDR, &got, &left, t > 0 ? t : 0);
    if (r != MP_OK) return r;
    if (got + left > MP_MESSAGE_MAX) return mp__conn_broken(e, MP_ECORRUPT);
    e->rx = MP__RX_BODY;
    e->have = 0;
    e->pending = got + left;
    return MP_OK;
}
/* Until a message has begun (its head read): MP_OK, MP_EOF, MP_ETIMEDOUT, MP_ECORRUPT. With a
   deadline, the head is read as it comes and a part of it is kept when the time is up, so
   that a peer that stalls (or writes a few bytes of garbage) inside a head cannot hang us. */
MP__FN int mp__conn_header(mp__cent *e, double deadline) {
    unsigned char *hdr = e->head;
    mp__u64 n;
    int r;
    if (e->rx == MP__RX_BROKEN) return MP_ECORRUPT;
    if (e->rx == MP__RX_BODY) return MP_OK;
    if (e->py) return mp__conn_header_py(e, deadline);
    if (e->msg) return mp__conn_header_msg(e, deadline);
    r = mp__conn_fill(e, hdr, MP__HEAD, &e->have, deadline);
    if (r == MP_ETIMEDOUT || r == MP_ESYS || r == MP_EINTERRUPTED) return r;
    if (r == MP_EOF && e->have == 0) return MP_EOF;
    n = (mp__u64)mp__get32(hdr + 8) | (mp__u64)mp__get32(hdr + 12) << 32;
    if (r != MP_OK || mp__get32(hdr) != MP__MSG_MAGIC || mp__get32(hdr + 4) != mp__hdr_check(n) ||
        n > MP_MESSAGE_MAX)
        return mp__conn_broken(e, MP_ECORRUPT);
    e->rx = MP__RX_BODY;
    e->have = 0;
    e->pending = n;
    return MP_OK;
}
/* The bytes of the message that came in its head. */
MP__FN size_t mp__conn_in_head(const mp__cent *e) {
    if (e->py) return 0;
    return e->pending < MP__HEAD - MP__HDR ? (size_t)e->pending : MP__HEAD - MP__HDR;
}
/* Whether a receive has its answer without reading: an error, or a whole message here. */
MP__FN int mp__conn_ready_here(const mp__cent *e) {
    size_t ahead = e->ra_len - e->ra_pos, n = e->have, hl = 4;
    unsigned char h[12];
    mp__u64 len;
    if (e->rx == MP__RX_BROKEN) return 1;
    if (e->rx == MP__RX_BODY) return (e->body ? e->got : mp__conn_in_head(e)) + ahead >= e->pending;
    if (!ahead || !e->py) return 0;
    /* Python's head, from its bytes already taken and those read ahead */
    memcpy(h, e->head, n < 12 ? n : 12);
    if (n < 12) memcpy(h + n, e->ra + e->ra_pos, 12 - n < ahead ? 12 - n : ahead);
    n += ahead;
    if (n < 4) return 0;
    len = mp__get32be(h);
    if (len == 0xffffffffu) {
        if (n < 12) return 0;
        len = (mp__u64)mp__get32be(h + 4) << 32 | mp__get32be(h + 8);
        hl = 12;
    } else if (len & 0x80000000u)
        return 1; /* a bad length: the error is here */
    return len > MP_MESSAGE_MAX || n >= hl + len;
}
/* The message whose head was read, into buf (e->pending bytes, buf may be e->body). On a
   timeout, what came is kept in e->body (allocated as it came), for the next receive. */
MP__FN int mp__conn_body(mp__cent *e, unsigned char *buf, double deadline) {
    size_t n = (size_t)e->pending, got = e->got;
    int r;
    if (buf != e->body) {
        if (e->body)
            memcpy(buf, e->body, got);
        else
            memcpy(buf, e->head + MP__HDR, got = mp__conn_in_head(e));
    }
    r = mp__conn_fill(e, buf, n, &got, deadline);
    if ((r == MP_ETIMEDOUT || r == MP_EINTERRUPTED) && buf != e->body && got > e->got) {
        unsigned char *keep = (unsigned char *)MP_REALLOC(e->body, got);
        if (keep) { /* else only what was kept before stays: the stream is lost */
            memcpy(keep, buf, got);
            e->body = keep;
            e->got = e->cap = got;
            return r;
        }
        return mp__conn_broken(e, MP_ENOMEM);
    }
    if (r == MP_ETIMEDOUT || r == MP_EINTERRUPTED) {
        e->got = got;
        return r;
    }
    if (r != MP_OK) return mp__conn_broken(e, r); /* the sender died in the middle */
    if (buf != e->body) MP_FREE(e->body);
    e->body = NULL;
    e->got = e->cap = 0;
    e->rx = MP__RX_IDLE;
    return MP_OK;
}
MPDEF int mp_conn_recv_bytes(mp_conn *c, void *buf, size_t cap, size_t *size, double timeout) {
    mp__cent *e;
    double deadline;
    int r = mp__conn_get(c, MP__CONN_R, &e);
    if (r != MP_OK) return r;
    if (!size || (!buf && cap) || mp__bad_timeout(timeout)) return MP_EINVAL;
    deadline = mp__deadline(timeout); /* once: it covers the whole message */
    r = mp__conn_header(e, deadline);
    if (r != MP_OK) return r;
    *size = (size_t)e->pending;
    if (e->pending > cap) return MP_ETOOBIG; /* it stays, for a larger buffer */
    return mp__conn_body(e, (unsigned char *)buf, deadline);
}
/* A message of up to 1 GiB is announced by 16 bytes that anyone can write: the buffer grows
   with the bytes that come (from 1 MiB, doubling), never ahead of them. */
#define MP__BODY_FIRST ((size_t)1 << 20)
MPDEF int mp_conn_recv_bytes_alloc(mp_conn *c, void **data, size_t *size, double timeout) {
    mp__cent *e;
    double deadline;
    size_t n;
    int r = mp__conn_get(c, MP__CONN_R, &e);
    if (r != MP_OK) return r;
    if (!data || !size || mp__bad_timeout(timeout)) return MP_EINVAL;
    *data = NULL;
    *size = 0;
    deadline = mp__deadline(timeout);
    r = mp__conn_header(e, deadline);
    if (r != MP_OK) return r;
    n = (size_t)e->pending;
    if (!e->body) {
        size_t first = n < MP__BODY_FIRST ? n : MP__BODY_FIRST;
        e->body = (unsigned char *)MP_MALLOC(first ? first : 1);
        if (!e->body) return MP_ENOMEM; /* it stays */
        e->got = mp__conn_in_head(e);
        e->cap = first;
        memcpy(e->body, e->head + MP__HDR, e->got);
    }
    for (;;) {
        if (e->got == e->cap && e->cap < n) {
            size_t cap = e->cap < MP__BODY_FIRST / 2 ? MP__BODY_FIRST : e->cap * 2;
            if (cap > n) cap = n;
            unsigned char *p = (unsigned char *)MP_REALLOC(e->body, cap);
            if (!p) return MP_ENOMEM; /* it stays, as far as it came */
            e->body = p;
            e->cap = cap;
        }
        /* fill what there is room for, then grow: the last step ends the message */
        r = mp__conn_fill(e, e->body, e->cap, &e->got, deadline);
        if (r != MP_OK || e->got == n) break;
    }
    if (r == MP_ETIMEDOUT || r == MP_EINTERRUPTED) return r;
    if (r != MP_OK) return mp__conn_broken(e, r); /* the sender died in the middle */
    *data = e->body;
    *size = n;
    e->body = NULL;
    e->got = e->cap = 0;
    e->rx = MP__RX_IDLE;
    return MP_OK;
}
/* A wait on a Windows message-mode pipe took its empty message (mp__os_poll's ready 2): it
   is the next message received. */
MP__FN void mp__conn_took_empty(mp__cent *e, int ready) {
    if (ready != 2 || e->rx != MP__RX_IDLE) return;
    e->rx = MP__RX_BODY;
    e->pending = 0;
    e->have = e->got = 0;
}
MPDEF int mp_conn_poll(mp_conn *c, double timeout) {
    mp__cent *e;
    int ready = 0, r = mp__conn_get(c, MP__CONN_R, &e);
    unsigned char kind;
    if (r != MP_OK) return r;
    if (mp__bad_timeout(timeout)) return MP_EINVAL;
    if (mp__conn_ready_here(e)) return MP_OK; /* a whole message, or an error, is waiting */
    kind = e->msg ? 2 : 0;
    r = mp__os_poll(&e->h, &kind, 1, timeout, &ready);
    mp__conn_took_empty(e, ready);
    return r < 0 ? r : ready ? MP_OK : MP_ETIMEDOUT;
}
MPDEF int mp_conn_close(mp_conn *c) {
    mp__cent *e;
    int r = mp__obj_check(c, MP__T_CONN);
    if (r == MP_ECLOSED) return MP_OK; /* twice is fine, as in Python */
    if (r != MP_OK) return r;
    mp__os_lock(); /* not while a child is being given its copies */
    e = mp__reg_remove(c);
    if (e) mp__os_close_handle(e->h);
    mp__os_unlock();
    if (!e) return MP_OK;
    mp__cent_free(e);
    mp__conn_unref(c);
    return MP_OK;
}

MPDEF int mp_wait(mp_conn *const *conns, int nconns, mp_process *const *procs, int nprocs,
                  double timeout, int *ready) {
    enum { SMALL = 16 };
    long long h_small[SMALL], *h = h_small;
    unsigned char k_small[SMALL], *is_proc = k_small;
    int r_small[SMALL], *rdy = r_small, pre_small[SMALL], *pre = pre_small;
    mp__child *c_small[SMALL], **child = c_small;
    double deadline, slice = 0.001;
    int n, i, r = MP_OK, count, sliced = 0, held = 0;
    if (nconns < 0 || nprocs < 0 || (nconns && !conns) || (nprocs && !procs) ||
        mp__bad_timeout(timeout) || nconns > 0x3fffffff - nprocs)
        return MP_EINVAL;
    n = nconns + nprocs;
    if (n == 0) return MP_EINVAL; /* nothing to wait for */
    if (n > SMALL) {
        h = (long long *)MP_MALLOC((size_t)n * sizeof *h);
        is_proc = (unsigned char *)MP_MALLOC((size_t)n);
        rdy = (int *)MP_MALLOC((size_t)n * sizeof *rdy);
        pre = (int *)MP_MALLOC((size_t)n * sizeof *pre);
        child = (mp__child **)MP_MALLOC((size_t)n * sizeof *child);
        if (!h || !is_proc || !rdy || !pre || !child) r = MP_ENOMEM;
    }
    for (i = 0; i < nconns && r == MP_OK; i++) {
        mp__cent *e;
        r = mp__conn_get(conns[i], MP__CONN_R, &e);
        if (r != MP_OK) break;
        h[i] = e->h;
        is_proc[i] = e->msg ? 2 : 0; /* a message-mode pipe: see mp__os_poll */
        pre[i] = mp__conn_ready_here(e);
        child[i] = NULL;
    }
    for (i = nconns; i < n && r == MP_OK; i++) {
        r = mp__started(procs[i - nconns], &child[i]);
        if (r != MP_OK) break;
        is_proc[i] = 1;
        mp__os_lock(); /* a start in another thread must not reap it (and close h) meanwhile */
        child[i]->waiters++;
        h[i] = child[i]->handle;
        pre[i] = child[i]->ended;
        mp__os_unlock();
        held = i + 1;
        if (h[i] == -1 && !pre[i]) sliced = 1; /* no handle to wait on: look now and then */
    }
    deadline = mp__deadline(timeout);
    while (r == MP_OK) {
        double left = mp__left(deadline), t;
        for (i = count = 0; i < n; i++) count += pre[i];
        t = count || left <= 0 ? 0 : sliced && left > slice ? slice : left;
        count = mp__os_poll(h, is_proc, n, t, rdy);
        for (i = 0; i < nconns; i++) {
            mp__cent *e;
            if (rdy[i] == 2 && mp__conn_get(conns[i], MP__CONN_R, &e) == MP_OK)
                mp__conn_took_empty(e, 2);
            if (rdy[i] == 2) rdy[i] = 1;
        }
        if (count < 0) {
            r = count;
            break;
        }
        for (i = count = 0; i < n; i++) {
            if (!rdy[i] && !pre[i] && is_proc[i] == 1 && h[i] == -1)
                rdy[i] = mp__child_wait(child[i], 0) == MP_OK;
            rdy[i] = rdy[i] || pre[i];
            count += rdy[i];
        }
        if (count) {
            if (ready) memcpy(ready, rdy, (size_t)n * sizeof *rdy);
            r = count;
            break;
        }
        if (mp__left(deadline) <= 0) r = MP_ETIMEDOUT;
        if (slice < 0.05) slice *= 2;
    }
    if (r == MP_ETIMEDOUT && ready) memset(ready, 0, (size_t)n * sizeof *ready);
    if (held) {
        mp__os_lock();
        for (i = nconns; i < held; i++) child[i]->waiters--;
        mp__os_unlock();
    }
    if (h != h_small) {
        MP_FREE(h);
        MP_FREE(is_proc);
        MP_FREE(rdy);
        MP_FREE(pre);
        MP_FREE(child);
    }
    return r;
}

/* ======================================================================================== */
/* >>hmac: MD5 (RFC 1321), SHA-256 (FIPS 180-4), HMAC (RFC 2104), constant-time compare    */
/* The connection handshake needs HMAC-MD5 (Python <= 3.11) and HMAC-SHA256 (3.12+). They   */
/* are small enough to carry here, so mp.h depends on no crypto library. Both hashes work   */
/* on 64-byte blocks; one streaming state serves both.                                      */
/* ======================================================================================== */
enum { MP__MD5 = 1, MP__SHA256 = 2 };
typedef struct mp__hash_state {
    int alg;
    mp__u32 h[8];
    mp__u64 len; /* bytes hashed so far */
    unsigned char buf[64];
} mp__hash_state;

#define MP__ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define MP__ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
MP__FN void mp__md5_block(mp__u32 *h, const unsigned char *p) {
    static const mp__u32 k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const unsigned char s[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    mp__u32 w[16], a = h[0], b = h[1], c = h[2], d = h[3];
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (mp__u32)p[4 * i] | (mp__u32)p[4 * i + 1] << 8 | (mp__u32)p[4 * i + 2] << 16 |
               (mp__u32)p[4 * i + 3] << 24;
    for (i = 0; i < 64; i++) {
        mp__u32 f, t;
        int g;
        if (i < 16)
            f = (b & c) | (~b & d), g = i;
        else if (i < 32)
            f = (d & b) | (~d & c), g = (5 * i + 1) & 15;
        else if (i < 48)
            f = b ^ c ^ d, g = (3 * i + 5) & 15;
        else
            f = c ^ (b | ~d), g = (7 * i) & 15;
        t = d;
        d = c;
        c = b;
        f += a + k[i] + w[g];
        b += MP__ROL(f, s[(i >> 4) * 4 + (i & 3)]);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}
MP__FN void mp__sha256_block(mp__u32 *h, const unsigned char *p) {
    static const mp__u32 k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    mp__u32 w[64], v[8];
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (mp__u32)p[4 * i] << 24 | (mp__u32)p[4 * i + 1] << 16 | (mp__u32)p[4 * i + 2] << 8 |
               (mp__u32)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        mp__u32 s0 = MP__ROR(w[i - 15], 7) ^ MP__ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        mp__u32 s1 = MP__ROR(w[i - 2], 17) ^ MP__ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof v);
    for (i = 0; i < 64; i++) {
        mp__u32 s1 = MP__ROR(v[4], 6) ^ MP__ROR(v[4], 11) ^ MP__ROR(v[4], 25);
        mp__u32 ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        mp__u32 t1 = v[7] + s1 + ch + k[i] + w[i];
        mp__u32 s0 = MP__ROR(v[0], 2) ^ MP__ROR(v[0], 13) ^ MP__ROR(v[0], 22);
        mp__u32 t2 = s0 + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (i = 0; i < 8; i++) h[i] += v[i];
}
MP__FN size_t mp__hash_size(int alg) {
    return alg == MP__MD5 ? 16 : 32;
}
MP__FN void mp__hash_init(mp__hash_state *s, int alg) {
    static const mp__u32 md5[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    static const mp__u32 sha[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memset(s, 0, sizeof *s);
    s->alg = alg;
    memcpy(s->h, alg == MP__MD5 ? md5 : sha, alg == MP__MD5 ? sizeof md5 : sizeof sha);
}
MP__FN void mp__hash_update(mp__hash_state *s, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    while (n) {
        size_t used = (size_t)(s->len & 63), k = 64 - used < n ? 64 - used : n;
        memcpy(s->buf + used, p, k);
        s->len += k;
        p += k;
        n -= k;
        if ((s->len & 63) == 0) {
            if (s->alg == MP__MD5)
                mp__md5_block(s->h, s->buf);
            else
                mp__sha256_block(s->h, s->buf);
        }
    }
}
/* MD5 stores the bit length and the words little-endian, SHA-256 big-endian. */
MP__FN void mp__hash_final(mp__hash_state *s, unsigned char *out) {
    unsigned char pad[72];
    mp__u64 bits = s->len * 8;
    size_t i, npad = 64 - (size_t)((s->len + 8) & 63);
    int md5 = s->alg == MP__MD5;
    memset(pad, 0, sizeof pad);
    pad[0] = 0x80;
    for (i = 0; i < 8; i++) pad[npad + i] = (unsigned char)(bits >> (md5 ? 8 * i : 8 * (7 - i)));
    mp__hash_update(s, pad, npad + 8);
    for (i = 0; i < mp__hash_size(s->alg); i++)
        out[i] = (unsigned char)(s->h[i / 4] >> (md5 ? 8 * (i & 3) : 8 * (3 - (i & 3))));
}
MP__FN void mp__digest(int alg, const void *data, size_t n, unsigned char *out) {
    mp__hash_state s;
    mp__hash_init(&s, alg);
    mp__hash_update(&s, data, n);
    mp__hash_final(&s, out);
}
/* HMAC(key, msg) = H((K ^ opad) || H((K ^ ipad) || msg)); out: 16 or 32 bytes. */
MP__FN void mp__hmac(int alg, const void *key, size_t klen, const void *msg, size_t n,
                     unsigned char *out) {
    unsigned char k[64], pad[64], inner[32];
    mp__hash_state s;
    size_t i;
    memset(k, 0, sizeof k);
    if (klen > 64)
        mp__digest(alg, key, klen, k); /* a long key is hashed first */
    else if (klen)
        memcpy(k, key, klen);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    mp__hash_init(&s, alg);
    mp__hash_update(&s, pad, 64);
    mp__hash_update(&s, msg, n);
    mp__hash_final(&s, inner);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    mp__hash_init(&s, alg);
    mp__hash_update(&s, pad, 64);
    mp__hash_update(&s, inner, mp__hash_size(alg));
    mp__hash_final(&s, out);
}
/* 1 when equal; the time depends on n only (hmac.compare_digest). */
MP__FN int mp__ct_equal(const void *a, const void *b, size_t n) {
    const volatile unsigned char *x = (const volatile unsigned char *)a;
    const volatile unsigned char *y = (const volatile unsigned char *)b;
    unsigned char d = 0;
    size_t i;
    for (i = 0; i < n; i++) d |= (unsigned char)(x[i] ^ y[i]);
    return d == 0;
}

/* ======================================================================================== */
/* >>connection: Listener, Client and the authkey (multiprocessing.connection)              */
/* A connection made here is an mp_conn like a Pipe's end (same registry, same receive   */
/* state, inherited by children the same way) whose bytes on the wire are Python's: a     */
/* 4-byte big-endian length (or -1 and an 8-byte length) and the message (wire PY in the  */
/* end's object). The handshake is CPython's deliver_challenge / answer_challenge, read    */
/* from Lib/multiprocessing/connection.py: the server sends "#CHALLENGE#{sha256}" and 40    */
/* random bytes (a 3.11 client answers the whole of it with a raw 16-byte HMAC-MD5, which */
/* the server accepts, as 3.12 does); a client answers a 20-byte challenge (a 3.11 server)*/
/* with raw HMAC-MD5, and a "{digest}" one with "{digest}" + HMAC-digest; "#WELCOME#" or   */
/* "#FAILURE#" ends it. Every message of the handshake is received into 256 bytes on the  */
/* stack under a deadline: a peer that sends garbage, a huge length or nothing costs that.*/
/* ======================================================================================== */
#define MP__CHALLENGE       "#CHALLENGE#"
#define MP__WELCOME         "#WELCOME#"
#define MP__FAILURE         "#FAILURE#"
#define MP__CHALLENGE_BYTES 40 /* random bytes of a challenge (Python 3.12: MESSAGE_LENGTH) */
#ifndef MP_HANDSHAKE_TIMEOUT
#define MP_HANDSHAKE_TIMEOUT 10.0
#endif

static struct {
    unsigned char key[MP_AUTHKEY_MAX];
    size_t len;
    int made; /* 0 until the first use (or a parent) gives the process its key */
} mp__auth;

/* The first process makes 32 random bytes; a child inherits them (fork: memory; spawn: the
   boot block). Called outside the registry lock. */
MP__FN void mp__authkey_ensure(void) {
    mp__os_reg_lock();
    if (!mp__auth.made) {
        mp__os_random(mp__auth.key, 32);
        mp__auth.len = 32;
        mp__auth.made = 1;
    }
    mp__os_reg_unlock();
}
MP__FN size_t mp__authkey_copy(unsigned char *out) {
    size_t n;
    mp__authkey_ensure();
    mp__os_reg_lock();
    n = mp__auth.len;
    memcpy(out, mp__auth.key, n);
    mp__os_reg_unlock();
    return n;
}
MP__FN void mp__authkey_adopt(const unsigned char *key, size_t n) {
    if (n > MP_AUTHKEY_MAX) return; /* a bad boot block: the child makes its own key */
    mp__os_reg_lock();
    memcpy(mp__auth.key, key, n);
    mp__auth.len = n;
    mp__auth.made = 1;
    mp__os_reg_unlock();
}
MPDEF int mp_authkey_get(void *key, size_t cap, size_t *len) {
    unsigned char k[MP_AUTHKEY_MAX];
    size_t n;
    if (!len || (!key && cap)) return MP_EINVAL;
    n = mp__authkey_copy(k);
    *len = n;
    if (cap < n) return MP_ETOOBIG;
    memcpy(key, k, n);
    return MP_OK;
}
MPDEF int mp_authkey_set(const void *key, size_t len) {
    if ((!key && len) || len > MP_AUTHKEY_MAX) return MP_EINVAL;
    mp__authkey_adopt((const unsigned char *)key, len);
    return MP_OK;
}

struct mp_listener {
    long long h; /* the listening socket (Windows: the pipe instance waiting for a client) */
    long pid;    /* its maker: a forked copy's close does not remove the maker's socket file */
    mp__addr addr;
    int auth;
    size_t keylen;
    double handshake;
    char text[MP__ADDR_TEXT];
    unsigned char key[MP_AUTHKEY_MAX];
};

/* Address text, as Python writes addresses: "\\.\pipe\name" a named pipe; "@name" Linux's
   abstract namespace (Python's '\0name'); "host:port" or "[v6]:port" TCP (an empty host is
   127.0.0.1); anything else a Unix socket path. */
MP__FN int mp__addr_parse(const char *text, mp__addr *a) {
    const char *colon;
    size_t n;
    memset(a, 0, sizeof *a);
    if (!text) return MP_EINVAL;
    n = strlen(text);
    if (n == 0) return MP_EINVAL;
    if (n >= sizeof a->name) return MP_ENAMETOOLONG;
    if (text[0] == '\\' && text[1] == '\\') {
        a->family = MP__AF_PIPE;
        memcpy(a->name, text, n + 1);
        a->len = n;
        return MP_OK;
    }
    colon = strrchr(text, ':');
    if (text[0] != '@' && colon && colon[1] && !strchr(text, '/')) {
        const char *d = colon + 1, *h = text;
        size_t hn = (size_t)(colon - text), nd = strspn(d, "0123456789");
        unsigned long port = 0;
        if (d[nd] == 0) { /* host:digits is TCP (a Unix path like that: "./name:1") */
            if (nd > 5) return MP_EINVAL;
            while (*d) port = port * 10 + (unsigned long)(*d++ - '0');
            if (port > 65535) return MP_EINVAL;
            if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']')
                h++, hn -= 2;
            else if (memchr(h, ':', hn))
                return MP_EINVAL; /* an IPv6 address needs brackets */
            a->family = MP__AF_TCP;
            a->port = (unsigned)port;
            if (hn == 0)
                memcpy(a->name, "127.0.0.1", 10); /* nothing listens outside unless asked */
            else
                memcpy(a->name, h, hn), a->name[hn] = 0;
            a->len = strlen(a->name);
            return MP_OK;
        }
    }
    a->family = MP__AF_UNIX;
    a->abstract = text[0] == '@';
    memcpy(a->name, text + a->abstract, n + 1 - (size_t)a->abstract);
    a->len = n - (size_t)a->abstract;
    return MP_OK;
}

/* Python frames messages on sockets; a Windows named pipe in message mode frames them. */
MP__FN int mp__wire_of(const mp__addr *a) {
    return a->family == MP__AF_PIPE ? MP__WIRE_MSG : MP__WIRE_PY;
}
/* A new connection end on a handle: duplex, registered in this process. */
MP__FN int mp__conn_from_handle(long long h, int wire, mp_conn **out) {
    mp_conn *c;
    int r;
    mp__init_globals();
    c = (mp_conn *)mp__obj_new(sizeof *c, MP__T_CONN);
    if (!c) {
        mp__os_close_handle(h);
        return MP_ENOMEM;
    }
    c->mode = MP__CONN_R | MP__CONN_W;
    c->wire = (mp__u32)wire;
    c->refs = 1;
    r = mp__reg_add(c, h);
    if (r != MP_OK) {
        mp__os_close_handle(h);
        mp__obj_free(c, MP__T_CONN);
        return r;
    }
    *out = c;
    return MP_OK;
}

/* One message of the handshake, at most 256 bytes (Python: recv_bytes(256)). */
MP__FN int mp__hs_recv(mp_conn *c, unsigned char *buf, size_t *n, double deadline) {
    double left = mp__left(deadline);
    int r = mp_conn_recv_bytes(c, buf, 256, n, left > 0 ? left : 0);
    if (r == MP_ETOOBIG || r == MP_ECORRUPT || r == MP_EOF) return MP_EPROTO;
    return r;
}
/* "{name}" at the start of m (n bytes): the digest and the length of the prefix, or 0. */
MP__FN int mp__hs_digest(const unsigned char *m, size_t n, size_t *prefix) {
    if (n > 5 && memcmp(m, "{md5}", 5) == 0) return *prefix = 5, MP__MD5;
    if (n > 8 && memcmp(m, "{sha256}", 8) == 0) return *prefix = 8, MP__SHA256;
    return 0;
}
/* The server's half (deliver_challenge). */
MP__FN int mp__hs_deliver(mp_conn *c, const unsigned char *key, size_t klen, double deadline) {
    unsigned char msg[11 + 8 + MP__CHALLENGE_BYTES], resp[256], mac[32];
    size_t n = 0, pre = 0;
    int r, alg, ok;
    memcpy(msg, MP__CHALLENGE "{sha256}", 19);
    mp__os_random(msg + 19, MP__CHALLENGE_BYTES);
    r = mp_conn_send_bytes(c, msg, sizeof msg);
    if (r == MP_OK) r = mp__hs_recv(c, resp, &n, deadline);
    if (r != MP_OK) return r;
    if (n == 16 || n == 20) /* a client of Python <= 3.11: raw HMAC-MD5 */
        alg = MP__MD5;
    else
        alg = mp__hs_digest(resp, n, &pre);
    ok = alg != 0 && n - pre == mp__hash_size(alg);
    if (ok) {
        mp__hmac(alg, key, klen, msg + 11, sizeof msg - 11, mac);
        ok = mp__ct_equal(mac, resp + pre, n - pre);
    }
    r = mp_conn_send_bytes(c, ok ? MP__WELCOME : MP__FAILURE, 9);
    return ok ? r : MP_EAUTH;
}
/* The client's half (answer_challenge). */
MP__FN int mp__hs_answer(mp_conn *c, const unsigned char *key, size_t klen, double deadline) {
    unsigned char m[256], out[8 + 32];
    size_t n = 0, pre = 0, k;
    int r = mp__hs_recv(c, m, &n, deadline), alg;
    if (r != MP_OK) return r;
    if (n < 11 + 20 || memcmp(m, MP__CHALLENGE, 11) != 0) return MP_EPROTO;
    n -= 11;
    if (n == 20) { /* a server of Python <= 3.11 */
        mp__hmac(MP__MD5, key, klen, m + 11, n, out);
        k = 16;
    } else {
        alg = mp__hs_digest(m + 11, n, &pre);
        if (!alg) return MP_EAUTH; /* a digest we do not have (sha384, sha3_*) */
        memcpy(out, m + 11, pre);
        mp__hmac(alg, key, klen, m + 11, n, out + pre);
        k = pre + mp__hash_size(alg);
    }
    r = mp_conn_send_bytes(c, out, k);
    if (r == MP_OK) r = mp__hs_recv(c, m, &n, deadline);
    if (r == MP_OK && (n != 9 || memcmp(m, MP__WELCOME, 9) != 0)) r = MP_EAUTH;
    return r == MP_EPROTO ? MP_EAUTH : r; /* a server that hangs up on a wrong key */
}
/* A key given (NULL: the process's authkey; a non-NULL empty key: no handshake). */
MP__FN int mp__key_pick(const void *key, size_t len, unsigned char *out, size_t *n, int *auth) {
    if (len > MP_AUTHKEY_MAX) return MP_EINVAL;
    *auth = key == NULL || len > 0;
    *n = key ? len : mp__authkey_copy(out);
    if (key && len) memcpy(out, key, len);
    return MP_OK;
}

MPDEF int mp_listener_new(mp_listener **out, const char *address, const void *authkey,
                          size_t authkey_len) {
    mp_listener *l;
    char def[MP__ADDR_TEXT];
    int r;
    if (!out) return MP_EINVAL;
    *out = NULL;
    mp__init_globals();
    l = (mp_listener *)MP_MALLOC(sizeof *l);
    if (!l) return MP_ENOMEM;
    memset(l, 0, sizeof *l);
    l->h = -1;
    l->pid = mp_getpid();
    l->handshake = MP_HANDSHAKE_TIMEOUT;
    if (!address) { /* Python's arbitrary_address: a fresh Unix socket (or pipe) name */
        mp__os_default_address(def, sizeof def);
        address = def;
    }
    r = mp__key_pick(authkey, authkey_len, l->key, &l->keylen, &l->auth);
    if (r == MP_OK) r = mp__addr_parse(address, &l->addr);
    if (r == MP_OK) r = mp__os_listen(&l->addr, &l->h, l->text, sizeof l->text);
    if (r != MP_OK) {
        MP_FREE(l);
        return r;
    }
    *out = l;
    return MP_OK;
}
MPDEF int mp_listener_accept(mp_listener *l, double timeout, mp_conn **conn) {
    long long h = -1;
    mp_conn *c;
    int r;
    if (!l || !conn || mp__bad_timeout(timeout)) return MP_EINVAL;
    *conn = NULL;
    if (l->h == -1) return MP_ECLOSED;
    r = mp__os_accept(&l->h, &l->addr, timeout, &h);
    if (r == MP_OK) r = mp__conn_from_handle(h, mp__wire_of(&l->addr), &c);
    if (r != MP_OK) return r;
    if (l->auth) {
        double deadline = mp__deadline(l->handshake);
        r = mp__hs_deliver(c, l->key, l->keylen, deadline);
        if (r == MP_OK) r = mp__hs_answer(c, l->key, l->keylen, deadline);
        if (r != MP_OK) {
            mp_conn_close(c);
            return r;
        }
    }
    mp__conn_set_ahead(c, 1); /* not before: the handshake reads no byte of a message */
    *conn = c;
    return MP_OK;
}
MPDEF const char *mp_listener_address(const mp_listener *l) {
    return l ? l->text : ""; /* never NULL: it goes straight into printf */
}
MPDEF long long mp_listener_fileno(const mp_listener *l) {
    if (!l) return MP_EINVAL;
    return l->h == -1 ? (long long)MP_ECLOSED : l->h;
}
MPDEF int mp_listener_set_handshake_timeout(mp_listener *l, double timeout) {
    if (!l || mp__bad_timeout(timeout)) return MP_EINVAL;
    l->handshake = timeout;
    return MP_OK;
}
MPDEF int mp_listener_close(mp_listener *l) {
    if (!l) return MP_OK;
    if (l->h != -1 && l->pid == mp_getpid())
        mp__os_listen_close(&l->addr, l->h);
    else if (l->h != -1)
        mp__os_close_handle(l->h);
    MP_FREE(l);
    return MP_OK;
}
MPDEF int mp_client(mp_conn **out, const char *address, const void *authkey, size_t authkey_len,
                    double timeout) {
    unsigned char key[MP_AUTHKEY_MAX];
    size_t klen = 0;
    long long h = -1;
    mp__addr a;
    double deadline;
    mp_conn *c;
    int auth = 0, r;
    if (!out || mp__bad_timeout(timeout)) return MP_EINVAL;
    *out = NULL;
    mp__init_globals();
    deadline = mp__deadline(timeout);
    r = mp__key_pick(authkey, authkey_len, key, &klen, &auth);
    if (r == MP_OK) r = mp__addr_parse(address, &a);
    if (r == MP_OK) r = mp__os_connect(&a, timeout, &h);
    if (r == MP_OK) r = mp__conn_from_handle(h, mp__wire_of(&a), &c);
    if (r != MP_OK) return r;
    if (auth) {
        r = mp__hs_answer(c, key, klen, deadline);
        if (r == MP_OK) r = mp__hs_deliver(c, key, klen, deadline);
        if (r != MP_OK) {
            mp_conn_close(c);
            return r;
        }
    }
    mp__conn_set_ahead(c, 1); /* not before: the handshake reads no byte of a message */
    *out = c;
    return MP_OK;
}
MPDEF long long mp_conn_fileno(mp_conn *c) {
    mp__cent *e;
    int r = mp__conn_get(c, MP__CONN_R | MP__CONN_W, &e);
    if (r != MP_OK) return r;
    mp__conn_set_ahead(c, 0); /* an event loop sees the stream: no message hides in mp.h */
    return e->h;
}

/* ======================================================================================== */
/* >>shm: named shared memory (multiprocessing.shared_memory.SharedMemory)                  */
/* The same names as Python's: on POSIX shm_open("/" + name), mode 0600; on Windows a       */
/* named file mapping of that name. Generated names are Python's too: "psm_" (Windows:      */
/* "wnsm_") and 8 hex digits. The object is process-local; the memory is the system's.     */
/* ======================================================================================== */
struct mp_shm {
    void *buf;
    size_t size;
    long long h;
    char name[MP_SHM_NAME_MAX];
};
MPDEF int mp_shm_open(mp_shm **out, const char *name, int create, size_t size) {
    mp_shm *s;
    size_t n;
    int r = MP_EEXIST, tries;
    if (!out) return MP_EINVAL;
    *out = NULL;
    if ((!name && !create) || (create && size == 0)) return MP_EINVAL;
    if (name) {
        n = strlen(name);
        if (n == 0 || strchr(name, '/') || strchr(name, '\\')) return MP_EINVAL;
        if (n >= MP_SHM_NAME_MAX) return MP_ENAMETOOLONG;
    }
    s = (mp_shm *)MP_MALLOC(sizeof *s);
    if (!s) return MP_ENOMEM;
    memset(s, 0, sizeof *s);
    for (tries = 0; tries < 100 && r == MP_EEXIST; tries++) {
        if (name)
            memcpy(s->name, name, strlen(name) + 1);
        else { /* Python's _make_filename: a prefix and 4 random bytes in hex */
            unsigned char rnd[4];
            const char *prefix = mp__os_shm_prefix();
            char *p = s->name + strlen(prefix);
            int i;
            memcpy(s->name, prefix, strlen(prefix)); /* (no strcpy: C4996) */
            mp__os_random(rnd, sizeof rnd);
            for (i = 0; i < 4; i++) {
                *p++ = "0123456789abcdef"[rnd[i] >> 4];
                *p++ = "0123456789abcdef"[rnd[i] & 15];
            }
            *p = 0;
        }
        s->size = size;
        r = mp__os_shm_open(s->name, create, &s->size, &s->buf, &s->h);
        if (name) break;
    }
    if (r != MP_OK) {
        MP_FREE(s);
        return r;
    }
    *out = s;
    return MP_OK;
}
MPDEF void *mp_shm_buf(const mp_shm *s) {
    return s ? s->buf : NULL;
}
MPDEF size_t mp_shm_size(const mp_shm *s) {
    return s ? s->size : 0;
}
MPDEF const char *mp_shm_name(const mp_shm *s) {
    return s ? s->name : "";
}
MPDEF int mp_shm_close(mp_shm *s) {
    if (!s) return MP_OK;
    mp__os_shm_close(s->buf, s->size, s->h);
    MP_FREE(s);
    return MP_OK;
}
MPDEF int mp_shm_unlink(const char *name) {
    if (!name || !name[0] || strchr(name, '/')) return MP_EINVAL;
    if (strlen(name) >= MP_SHM_NAME_MAX) return MP_ENAMETOOLONG;
    return mp__os_shm_unlink(name);
}

/* >>autoinit: catch a spawned child before main ------------------------------------------ */
/* In C a spawned child runs its target from this constructor: C has no static objects that
   are constructed at run time, so nothing the target uses can be missing yet. In C++ the
   static objects of the other translation units may be constructed after this constructor
   (it depends on the link order), and a target that used them would silently see zeros: so
   in C++ the constructor only maps the arena (static objects may make shared objects), and
   the target runs from mp_init() at the top of main, after every static object. A child whose
   main goes on without mp_init() stops with a message at its first process start or at
   exit, never running main's work as if it were the parent (see THE RULE FOR MAIN). */
#ifndef MP_NO_AUTO_INIT
#ifdef __cplusplus
#define MP__AUTO_INIT() mp__init_globals()
#else
#define MP__AUTO_INIT() mp_init()
#endif
#if MP__MSVC
/* The CRT calls every pointer in .CRT$XCU before main. /OPT:REF and whole-program
   optimisation drop an object nothing refers to, section or not: so the linker is told to
   keep the pointer (/include, for an external one), and spawn reads it (a volatile read,
   which no optimiser removes), which keeps a static one (MP_STATIC) too. */
static void mp__auto_init(void) {
    MP__AUTO_INIT();
}
#pragma section(".CRT$XCU", read)
#ifdef MP_STATIC
__declspec(allocate(".CRT$XCU")) static void (*mp__auto_init_ptr)(void) = mp__auto_init;
#else
#ifdef __cplusplus
extern "C" {
#endif
__declspec(allocate(".CRT$XCU")) void (*mp__auto_init_ptr)(void) = mp__auto_init;
#ifdef __cplusplus
}
#endif
#if defined(_M_IX86)
#pragma comment(linker, "/include:_mp__auto_init_ptr")
#else
#pragma comment(linker, "/include:mp__auto_init_ptr")
#endif
#endif
MP__FN int mp__auto_init_kept(void) {
    return *(void (*volatile *)(void)) & mp__auto_init_ptr != 0;
}
#else
__attribute__((constructor)) static void mp__auto_init(void) {
    MP__AUTO_INIT();
}
MP__FN int mp__auto_init_kept(void) {
    return 1;
}
#endif
#else
MP__FN int mp__auto_init_kept(void) {
    return 1;
}
#endif

#endif /* MP__IMPLEMENTATION_DONE */
#endif /* MP_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the mp.h authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication in the spirit of welcoming the public to the
use of the software and to the detriment of our present and future successors
in title of all present and future rights to this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
