/* streams: every read and write's own result, for the stream paths of host mounts and stdio
 * (fused, these forward to the host lowered with the program's memory: tests/test_host_streams.py).
 * One command per argument; each prints one line per call it makes, so native wasmtime and
 * the virtualizer can be compared call by call:
 *   reads PATH SIZE COUNT    COUNT read()s of SIZE bytes (stops after end of file or an error)
 *   zero PATH                read(fd, buf, 0) before anything, after one byte, at end of file
 *   whole PATH SIZE          one SIZE-byte read() into a fresh buffer, then read() to the end
 *   copy SRC DST SIZE        SRC into DST (created) in SIZE-byte read()s and write()s
 *   stdin SIZE               stdin in SIZE-byte read()s: the total, checksum, how it ended
 *   out SIZE                 one write() of SIZE bytes to stdout (a pattern), then a newline
 *   stat PATH                stat() and readlink() (which makes the preview1 adapter import
 *                            what the virtualizer's path walk calls on a host mount)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EISDIR: return "EISDIR";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case EAGAIN: return "EAGAIN";
    default: return "E?";
    }
}

static unsigned long long checksum(unsigned long long sum, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)p[i];
    return sum;
}

static void result(const char *what, ssize_t n) {
    if (n < 0) printf("%s: -1 %s\n", what, errname(errno));
    else printf("%s: %zd\n", what, n);
}

static int open_or_say(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) printf("%s: open %s\n", path, errname(errno));
    return fd;
}

static void reads(const char *path, long size, long count) {
    int fd = open_or_say(path, O_RDONLY);
    if (fd < 0) return;
    char *buf = malloc(size ? size : 1);
    unsigned long long sum = 0;
    for (long i = 0; i < count; i++) {
        ssize_t n = read(fd, buf, size);
        result("read", n);
        if (n > 0) sum = checksum(sum, buf, n);
        if (n <= 0 && size) break;
    }
    printf("%s: checksum %llx\n", path, sum);
    free(buf);
    close(fd);
}

static void zero(const char *path) {
    int fd = open_or_say(path, O_RDONLY);
    if (fd < 0) return;
    char buf[4096];
    result("zero at start", read(fd, buf, 0));
    result("one", read(fd, buf, 1));
    result("zero after one", read(fd, buf, 0));
    while (read(fd, buf, sizeof buf) > 0) {}
    result("zero at end", read(fd, buf, 0));
    result("at end", read(fd, buf, sizeof buf));
    close(fd);
}

static void whole(const char *path, long size) {
    int fd = open_or_say(path, O_RDONLY);
    if (fd < 0) return;
    char *buf = malloc(size);
    ssize_t n = read(fd, buf, size);
    result("whole", n);
    unsigned long long sum = n > 0 ? checksum(0, buf, n) : 0, total = n > 0 ? n : 0;
    while ((n = read(fd, buf, size)) > 0) {
        total += n;
        sum = checksum(sum, buf, n);
    }
    result("last", n);
    printf("%s: %llu bytes, checksum %llx\n", path, total, sum);
    free(buf);
    close(fd);
}

static void copy(const char *src, const char *dst, long size) {
    int in = open_or_say(src, O_RDONLY);
    if (in < 0) return;
    int out = open_or_say(dst, O_WRONLY | O_CREAT | O_TRUNC);
    if (out < 0) { close(in); return; }
    char *buf = malloc(size);
    unsigned long long total = 0;
    ssize_t n;
    while ((n = read(in, buf, size)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, n - done);
            if (w <= 0) { result("write", w); goto end; }
            done += w;
        }
        total += n;
    }
    result("last read", n);
end:
    printf("%s -> %s: %llu bytes\n", src, dst, total);
    free(buf);
    close(in);
    close(out);
}

static void from_stdin(long size) {
    char *buf = malloc(size);
    unsigned long long total = 0, sum = 0;
    ssize_t n;
    while ((n = read(0, buf, size)) > 0) {
        total += n;
        sum = checksum(sum, buf, n);
    }
    printf("stdin: %llu bytes, checksum %llx, ", total, sum);
    result("ended", n);
    free(buf);
}

static void out(long size) {
    char *buf = malloc(size);
    for (long i = 0; i < size; i++) buf[i] = "0123456789abcdef"[i % 16];
    ssize_t n = write(1, buf, size);
    int e = errno;
    putchar('\n');
    errno = e;
    result("out", n);
    free(buf);
}

static void do_stat(const char *path) {
    struct stat st;
    char target[256];
    if (stat(path, &st) < 0) printf("%s: stat %s\n", path, errname(errno));
    else printf("%s: size %lld\n", path, (long long)st.st_size);
    ssize_t n = readlink(path, target, sizeof target);
    if (n < 0) printf("%s: readlink %s\n", path, errname(errno));
    else printf("%s: -> %.*s\n", path, (int)n, target);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);  /* our lines and `out`'s bytes in call order */
    for (int i = 1; i < argc; i++) {
        char cmd[16], a[1024], b[1024], c[64];
        a[0] = b[0] = c[0] = 0;
        int k = sscanf(argv[i], "%15s %1023s %1023s %63s", cmd, a, b, c);
        if (k < 2) { printf("bad command: %s\n", argv[i]); continue; }
        if (!strcmp(cmd, "reads")) reads(a, atol(b), atol(c));
        else if (!strcmp(cmd, "zero")) zero(a);
        else if (!strcmp(cmd, "whole")) whole(a, atol(b));
        else if (!strcmp(cmd, "copy")) copy(a, b, atol(c));
        else if (!strcmp(cmd, "stdin")) from_stdin(atol(a));
        else if (!strcmp(cmd, "out")) out(atol(a));
        else if (!strcmp(cmd, "stat")) do_stat(a);
        else printf("unknown command: %s\n", cmd);
    }
    return 0;
}
