/* clock: the monotonic clock, a sleep (poll_oneoff: a clock subscription and `poll`) and
 * the wall clock, printed as facts that hold on any correct host. */
#include <stdio.h>
#include <time.h>

int main(void) {
    struct timespec a, b, res, nap = {0, 20 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long ns = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    printf("slept 20 ms: %s\n", ns >= 20000000 ? "yes" : "no");
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("resolution: %s\n", (res.tv_sec || res.tv_nsec) ? "positive" : "zero");
    printf("wall clock: %s\n", time(NULL) > 1600000000 ? "plausible" : "wrong");
    return 0;
}
