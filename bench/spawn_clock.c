/* SPDX-License-Identifier: MIT */
/*
 * spawn_clock PROGRAM [ARGS...]: prints the CLOCK_MONOTONIC time to stderr
 * ("kvmkit-trace: exec at monotonic N ns") and execs PROGRAM in its place,
 * so that bench/startup.py can time a program from its execve() rather
 * than from the script's fork, as Firecracker's jailer passes
 * --start-time-us to firecracker.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: spawn_clock PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr, "kvmkit-trace: exec at monotonic %lld ns\n",
            (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
