/* The second file of the consumer: mp.h without MP_IMPLEMENTATION, after a system header. */
#include <stdio.h>
#include <mp.h>

int other_square(int x);
int other_square(int x) {
    return mp_getpid() > 0 ? x * x : 0;
}
