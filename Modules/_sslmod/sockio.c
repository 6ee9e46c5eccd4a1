/* sockio.c: placeholder, being written. */
#include "sslmod.h"
#include <time.h>

long long
sslmod_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

sslmod_sock_status
sslmod_sock_wait(int fd, int writing, long long deadline_ns)
{
    (void)fd; (void)writing; (void)deadline_ns;
    return SSLMOD_SOCK_ERROR;
}
