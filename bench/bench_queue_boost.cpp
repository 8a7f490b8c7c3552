// Boost.Interprocess message_queue on the workloads of bench_queue.c (built and run by it when
// the Boost headers are installed). Prints "<row> <value>": q1 q2 q4 q8 (messages per second)
// and rt (microseconds per round trip). 64-byte messages, a queue of 16384 slots.
#include <boost/interprocess/ipc/message_queue.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

using namespace boost::interprocess;
static const char *QA = "mp_bench_boost_a", *QB = "mp_bench_boost_b";

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
static double throughput(int pairs, int total) {
    message_queue::remove(QA);
    message_queue q(create_only, QA, 16384, 64);
    int per = total / pairs;
    double t0 = now();
    for (int i = 0; i < 2 * pairs; i++) {
        if (fork() == 0) {
            message_queue c(open_only, QA);
            char msg[64];
            std::memset(msg, 'x', sizeof msg);
            message_queue::size_type n;
            unsigned prio;
            for (int k = 0; k < per; k++) {
                if (i < pairs)
                    c.send(msg, sizeof msg, 0);
                else
                    c.receive(msg, sizeof msg, n, prio);
            }
            _exit(0);
        }
    }
    while (wait(nullptr) > 0) {
    }
    double dt = now() - t0;
    message_queue::remove(QA);
    return (double)per * pairs / dt;
}
static double roundtrip(int n) {
    message_queue::remove(QA);
    message_queue::remove(QB);
    message_queue a(create_only, QA, 16384, 64), b(create_only, QB, 16384, 64);
    char msg[64];
    std::memset(msg, 'y', sizeof msg);
    message_queue::size_type got;
    unsigned prio;
    if (fork() == 0) {
        for (int k = 0; k < n; k++) {
            a.receive(msg, sizeof msg, got, prio);
            b.send(msg, got, 0);
        }
        _exit(0);
    }
    double t0 = now();
    for (int k = 0; k < n; k++) {
        a.send(msg, sizeof msg, 0);
        b.receive(msg, sizeof msg, got, prio);
    }
    double dt = now() - t0;
    while (wait(nullptr) > 0) {
    }
    message_queue::remove(QA);
    message_queue::remove(QB);
    return dt / n * 1e6;
}
int main(int argc, char **argv) {
    double q1 = 0, q2 = 0, q4 = 0, q8 = 0, rt = 1e9, v;
    int rounds = argc > 1 ? std::atoi(argv[1]) : 3; // bench_queue.c runs one a round
    for (int r = 0; r < rounds; r++) {
        if ((v = throughput(1, 2000000)) > q1) q1 = v;
        if ((v = throughput(2, 2000000)) > q2) q2 = v;
        if ((v = throughput(4, 2000000)) > q4) q4 = v;
        if ((v = throughput(8, 2000000)) > q8) q8 = v;
        if ((v = roundtrip(50000)) < rt) rt = v;
    }
    std::printf("q1 %.0f\nq2 %.0f\nq4 %.0f\nq8 %.0f\nrt %.3f\n", q1, q2, q4, q8, rt);
    return 0;
}
