/* Compile-matrix unit: the implementation and every public function, as C. */
#define MP_IMPLEMENTATION
#include "../mp.h"

static int target(void *arg, size_t size) {
    return (int)size + (arg != NULL);
}
static int run(mp_process *self) {
    return mp_process_pid(self) != 0;
}

int compile_c_use(void);
int compile_c_use(void) {
    mp_process p, q, *list[4];
    int code = 0;
    void *mem = mp_shared_alloc(16);
    mp_init();
    mp_set_start_method(mp_get_start_method());
    mp_set_executable(NULL);
    mp_process_init(&p, target, NULL, 0, "p");
    mp_process_init_run(&q, run, sizeof q, NULL);
    mp_process_set_daemon(&p, 0);
    mp_process_set_name(&p, "p2");
    mp_process_start(&p);
    mp_process_run(&q);
    mp_process_is_alive(&p);
    mp_process_join(&p, MP_FOREVER);
    mp_process_terminate(&p);
    mp_process_kill(&p);
    mp_process_exitcode(&p, &code);
    mp_active_children(list, 4);
    code += (int)mp_process_pid(&p) + mp_process_daemon(&p) + (int)mp_getpid() + (int)mp_getppid() +
            mp_cpu_count() + (mp_process_name(mp_current_process())[0] != 0);
    {
        mp_conn *a = NULL, *b = NULL, *conns[1];
        mp_process *procs[1];
        char buf[8];
        void *data = NULL;
        size_t n = 0;
        int ready[2];
        mp_pipe(1, &a, &b);
        mp_conn_send_bytes(b, "x", 1);
        mp_conn_poll(a, 0);
        mp_conn_recv_bytes(a, buf, sizeof buf, &n, MP_FOREVER);
        mp_conn_send_bytes(b, "y", 1);
        mp_conn_recv_bytes_alloc(a, &data, &n, 0.5);
        mp_free(data);
        conns[0] = a;
        procs[0] = &p;
        code += mp_wait(conns, 1, procs, 1, 0, ready) + (int)(MP_MESSAGE_MAX > 0);
        mp_conn_close(a);
        mp_conn_close(b);
    }
    mp_process_close(&p);
    mp_process_close(&q);
    mp_shared_free(mem);
    return code + (mp_strerror(MP_OK)[0] != 0);
}
