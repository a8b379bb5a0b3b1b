/* fsbench: filesystem workloads timed inside the guest (monotonic clock).
 *
 *   fsbench seqread FILE CHUNK REPEAT   sequential read() of FILE in CHUNK-byte reads
 *   fsbench smallfiles DIR COUNT REPEAT open+read+close DIR/f0000..COUNT-1
 *   fsbench stat DIR COUNT TOTAL        stat() TOTAL times, rotating over DIR/f*
 *   fsbench readdir DIR REPEAT          opendir+readdir+closedir of DIR
 *   fsbench readlink LINK TOTAL         readlink() TOTAL times (programs that read links
 *                                       import what a fused mount's path walk needs)
 * Prints "NAME ops=N bytes=B ns=T" (T = total nanoseconds of the timed loop).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void report(const char *name, long long ops, long long bytes, long long ns) {
    printf("%s ops=%lld bytes=%lld ns=%lld\n", name, ops, bytes, ns);
}

static int seqread(const char *path, long chunk, int repeat) {
    char *buf = malloc(chunk);
    long long bytes = 0, ops = 0, t0 = now_ns();
    for (int r = 0; r < repeat; r++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) { perror(path); return 1; }
        ssize_t n;
        while ((n = read(fd, buf, chunk)) > 0) { bytes += n; ops++; }
        close(fd);
    }
    report("seqread", ops, bytes, now_ns() - t0);
    return 0;
}

static int smallfiles(const char *dir, int count, int repeat) {
    /* the paths are made before the clock starts, as for stat: the workload is the
       open+read+close, not the formatting of its path */
    char (*paths)[512] = malloc((size_t)count * 512), buf[4096];
    for (int i = 0; i < count; i++) snprintf(paths[i], 512, "%s/f%04d", dir, i);
    long long bytes = 0, t0 = now_ns();
    for (int r = 0; r < repeat; r++)
        for (int i = 0; i < count; i++) {
            const char *path = paths[i];
            int fd = open(path, O_RDONLY);
            if (fd < 0) { perror(path); return 1; }
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) bytes += n;
            close(fd);
        }
    report("smallfiles", (long long)count * repeat, bytes, now_ns() - t0);
    return 0;
}

static int stats(const char *dir, int count, int total) {
    char (*paths)[512] = malloc((size_t)count * 512);
    for (int i = 0; i < count; i++) snprintf(paths[i], 512, "%s/f%04d", dir, i);
    struct stat st;
    long long size = 0, t0 = now_ns();
    for (int i = 0; i < total; i++) {
        if (stat(paths[i % count], &st) != 0) { perror(paths[i % count]); return 1; }
        size += st.st_size;
    }
    report("stat", total, size, now_ns() - t0);
    return 0;
}

static int readdirs(const char *dir, int repeat) {
    long long entries = 0, t0 = now_ns();
    for (int r = 0; r < repeat; r++) {
        DIR *d = opendir(dir);
        if (!d) { perror(dir); return 1; }
        while (readdir(d)) entries++;
        closedir(d);
    }
    report("readdir", repeat, entries, now_ns() - t0);
    return 0;
}

static int readlinks(const char *path, int total) {
    char target[512];
    long long bytes = 0, t0 = now_ns();
    for (int i = 0; i < total; i++) {
        ssize_t n = readlink(path, target, sizeof target);
        if (n < 0) { perror(path); return 1; }
        bytes += n;
    }
    report("readlink", total, bytes, now_ns() - t0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "seqread")) return seqread(argv[2], atol(argv[3]), atoi(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "smallfiles")) return smallfiles(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "stat")) return stats(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 4 && !strcmp(argv[1], "readdir")) return readdirs(argv[2], atoi(argv[3]));
    if (argc >= 4 && !strcmp(argv[1], "readlink")) return readlinks(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: see the comment at the top of fsbench.c\n");
    return 2;
}
