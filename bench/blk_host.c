/* SPDX-License-Identifier: MIT */
/*
 * The host's side of bench/blk.py: the same requests the blk_bench payload
 * makes (firmware/payloads/blk_bench.c), issued by one thread with
 * preadv/pwritev on the image file, one at a time, buffered (no O_DIRECT,
 * as kvmkit opens images).
 *
 *   blk_host IMAGE seq-read|seq-write|rand-read|rand-write BS OPS SEED
 *
 * Prints "ns=N" (CLOCK_MONOTONIC across the request loop). Exit 1 on error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* xorshift64*, as in blk_bench.c. */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s IMAGE seq-read|seq-write|rand-read|rand-write BS OPS SEED\n",
                argv[0]);
        return 2;
    }
    const char *phase = argv[2];
    int write = strstr(phase, "write") != NULL;
    int random = strncmp(phase, "rand", 4) == 0;
    uint64_t bs = strtoull(argv[3], NULL, 0), ops = strtoull(argv[4], NULL, 0);
    uint64_t rng = strtoull(argv[5], NULL, 0);
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || bs == 0 || (uint64_t)st.st_size < bs) {
        perror(argv[1]);
        return 1;
    }
    uint8_t *buf = aligned_alloc(4096, bs);
    for (uint64_t i = 0; i < bs; i++)
        buf[i] = (uint8_t)(i * 7);
    uint64_t blocks = (uint64_t)st.st_size / bs;
    struct iovec iov = { buf, bs };
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t block = random ? next_random(&rng) % blocks : i % blocks;
        ssize_t r = write ? pwritev(fd, &iov, 1, (off_t)(block * bs))
                          : preadv(fd, &iov, 1, (off_t)(block * bs));
        if (r != (ssize_t)bs) {
            perror(write ? "pwritev" : "preadv");
            return 1;
        }
    }
    printf("ns=%llu\n", (unsigned long long)(now_ns() - start));
    free(buf);
    close(fd);
    return 0;
}
