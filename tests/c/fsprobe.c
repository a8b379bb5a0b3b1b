/* fsprobe: filesystem operations whose output is the same on any correct WASI
 * filesystem, for differential tests (wasmtime's native host dir vs wasivirt's VFS).
 *
 * Each argument is one command; results print one per line, errors as errno names:
 *   walk DIR              recursive, sorted: "d PATH", "f PATH SIZE", "l PATH -> TARGET"
 *   ls DIR                sorted names with their d_type letter
 *   cat PATH              the file's bytes (escaped), or the error
 *   pread PATH OFF LEN    LEN bytes at OFF (pread), or the error
 *   seek PATH OFF WHENCE LEN   lseek (WHENCE = set|cur|end) then read LEN
 *   stat PATH             type, and for files size and nlink (timestamps, directory sizes and
 *                         directory link counts differ by design)
 *   lstat PATH            same without following a final symlink
 *   open PATH FLAGS       open with FLAGS (r, w, rw, creat, excl, trunc, dir, append
 *                         joined by '+'), then close; prints ok or the error
 *   readlink PATH         the link target or the error
 *   chunks PATH SIZE      reads the file SIZE bytes at a time; prints count and checksum
 *   fstatdir PATH         opendir + fstat through the fd
 *   same PATH1 PATH2      whether both name the same file (st_dev/st_ino compared)
 *   write PATH TEXT       create/truncate PATH and write TEXT
 *   append PATH TEXT      append TEXT (O_APPEND)
 *   pwrite PATH OFF TEXT  write TEXT at OFF without truncating
 *   mkdir PATH | rmdir PATH | unlink PATH | rename FROM TO
 *   times PATH            mtime, atime and ctime in seconds (not for differential use)
 *   nlink PATH            the link count, also of directories (not for differential use)
 *   reopen PATH N         open, read 16 bytes and close PATH N times; prints the count
 *                         (for resource-release tests: every descriptor and stream dropped)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EPERM: return "EPERM";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno%d", e);
        return buf;
    }
    }
}

static void fail(const char *what) { printf("%s: %s\n", what, errname(errno)); }

static void escaped(const char *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c < 32 || c > 126 || c == '\\') printf("\\x%02x", c);
        else putchar(c);
    }
}

static char type_letter(mode_t m) {
    if (S_ISDIR(m)) return 'd';
    if (S_ISREG(m)) return 'f';
    if (S_ISLNK(m)) return 'l';
    return '?';
}

static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of DIR (without . and ..); NULL and errno on failure. */
static char **list_dir(const char *dir, int *count) {
    DIR *d = opendir(dir);
    if (!d) return NULL;
    int cap = 16, n = 0;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    int err = errno;
    closedir(d);
    if (err) { errno = err; return NULL; }
    qsort(names, n, sizeof *names, cmpstr);
    *count = n;
    return names;
}

static void walk(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) { fail(path); return; }
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) { fail(path); return; }
        target[n] = 0;
        printf("l %s -> %s\n", path, target);
        return;
    }
    if (!S_ISDIR(st.st_mode)) { printf("f %s %lld\n", path, (long long)st.st_size); return; }
    printf("d %s\n", path);
    int n = 0;
    char **names = list_dir(path, &n);
    if (!names) { fail(path); return; }
    for (int i = 0; i < n; i++) {
        char child[4096];
        snprintf(child, sizeof child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        walk(child);
        free(names[i]);
    }
    free(names);
}

static void ls(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { fail(dir); return; }
    char *lines[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char t = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
        char buf[600];
        snprintf(buf, sizeof buf, "%s %c", e->d_name, t);
        lines[n++] = strdup(buf);
    }
    closedir(d);
    qsort(lines, n, sizeof *lines, cmpstr);
    printf("%s: %d entries\n", dir, n);
    for (int i = 0; i < n; i++) { printf("  %s\n", lines[i]); free(lines[i]); }
}

static void cat(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fail(path); return; }
    char buf[4096];
    ssize_t n;
    printf("%s: ", path);
    while ((n = read(fd, buf, sizeof buf)) > 0) escaped(buf, (size_t)n);
    if (n < 0) printf(" [read: %s]", errname(errno));
    putchar('\n');
    close(fd);
}

static void do_pread(const char *path, long long off, long len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fail(path); return; }
    char *buf = malloc(len + 1);
    ssize_t n = pread(fd, buf, len, off);
    if (n < 0) fail(path);
    else { printf("%s@%lld+%ld: %zd [", path, off, len, n); escaped(buf, n); puts("]"); }
    free(buf);
    close(fd);
}

static void do_seek(const char *path, long long off, const char *whence, long len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fail(path); return; }
    int w = !strcmp(whence, "end") ? SEEK_END : !strcmp(whence, "cur") ? SEEK_CUR : SEEK_SET;
    if (!strcmp(whence, "cur")) { char skip[3]; (void)!read(fd, skip, 3); }
    off_t pos = lseek(fd, off, w);
    if (pos < 0) { fail(path); close(fd); return; }
    char *buf = malloc(len + 1);
    ssize_t n = read(fd, buf, len);
    if (n < 0) fail(path);
    else { printf("%s seek %lld %s -> %lld: %zd [", path, off, whence, (long long)pos, n); escaped(buf, n); puts("]"); }
    free(buf);
    close(fd);
}

static void do_stat(const char *path, int follow) {
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r != 0) { fail(path); return; }
    /* Directory sizes and link counts are host-specific (wasivirt reports 1); files' are not. */
    if (S_ISDIR(st.st_mode)) printf("%s: d\n", path);
    else printf("%s: %c size=%lld nlink=%llu\n", path, type_letter(st.st_mode), (long long)st.st_size,
                (unsigned long long)st.st_nlink);
}

static int parse_flags(const char *spec) {
    int acc = O_RDONLY, extra = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, "+"); tok; tok = strtok(NULL, "+")) {
        if (!strcmp(tok, "w")) acc = O_WRONLY;
        else if (!strcmp(tok, "rw")) acc = O_RDWR;
        else if (!strcmp(tok, "creat")) extra |= O_CREAT;
        else if (!strcmp(tok, "excl")) extra |= O_EXCL;
        else if (!strcmp(tok, "trunc")) extra |= O_TRUNC;
        else if (!strcmp(tok, "dir")) extra |= O_DIRECTORY;
        else if (!strcmp(tok, "append")) extra |= O_APPEND;
    }
    return acc | extra;
}

static void do_open(const char *path, const char *flags) {
    int fd = open(path, parse_flags(flags), 0644);
    if (fd < 0) { printf("open %s %s: %s\n", path, flags, errname(errno)); return; }
    printf("open %s %s: ok\n", path, flags);
    close(fd);
}

static void do_readlink(const char *path) {
    char target[4096];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) { fail(path); return; }
    target[n] = 0;
    printf("%s -> %s\n", path, target);
}

static void chunks(const char *path, long size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fail(path); return; }
    char *buf = malloc(size);
    unsigned long long total = 0, sum = 0, reads = 0;
    ssize_t n;
    while ((n = read(fd, buf, size)) > 0) {
        reads++;
        total += n;
        for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i];
    }
    if (n < 0) fail(path);
    printf("%s: %llu bytes, checksum %llx\n", path, total, sum);
    free(buf);
    close(fd);
}

static void fstatdir(const char *path) {
    DIR *d = opendir(path);
    if (!d) { fail(path); return; }
    struct stat st;
    if (fstat(dirfd(d), &st) != 0) fail(path);
    else printf("%s: fstat %c\n", path, type_letter(st.st_mode));
    closedir(d);
}

static void same(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) != 0) { fail(a); return; }
    if (stat(b, &sb) != 0) { fail(b); return; }
    printf("%s %s: %s\n", a, b, sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? "same" : "different");
}

static void write_text(const char *path, int flags, long long off, const char *text) {
    int fd = open(path, flags, 0644);
    if (fd < 0) { fail(path); return; }
    ssize_t n = off < 0 ? write(fd, text, strlen(text)) : pwrite(fd, text, strlen(text), off);
    if (n < 0) fail(path);
    else printf("%s: wrote %zd\n", path, n);
    close(fd);
}

static void status(const char *what, const char *path, int r) {
    if (r != 0) printf("%s %s: %s\n", what, path, errname(errno));
    else printf("%s %s: ok\n", what, path);
}

static void times(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) { fail(path); return; }
    printf("%s: mtime=%lld atime=%lld ctime=%lld\n", path, (long long)st.st_mtim.tv_sec,
           (long long)st.st_atim.tv_sec, (long long)st.st_ctim.tv_sec);
}

static void nlink(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) { fail(path); return; }
    printf("%s: nlink=%llu\n", path, (unsigned long long)st.st_nlink);
}

static void reopen(const char *path, long n) {
    char buf[16];
    long done = 0;
    for (; done < n; done++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) { fail(path); break; }
        if (read(fd, buf, sizeof buf) < 0) { fail(path); close(fd); break; }
        close(fd);
    }
    printf("%s: reopened %ld\n", path, done);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char cmd[16], a[2048], b[2048], c[64], d[64];
        a[0] = b[0] = c[0] = d[0] = 0;
        int k = sscanf(argv[i], "%15s %2047s %2047s %63s %63s", cmd, a, b, c, d);
        if (k < 2) { printf("bad command: %s\n", argv[i]); continue; }
        if (!strcmp(cmd, "walk")) walk(a);
        else if (!strcmp(cmd, "ls")) ls(a);
        else if (!strcmp(cmd, "cat")) cat(a);
        else if (!strcmp(cmd, "pread")) do_pread(a, atoll(b), atol(c));
        else if (!strcmp(cmd, "seek")) do_seek(a, atoll(b), c, atol(d));
        else if (!strcmp(cmd, "stat")) do_stat(a, 1);
        else if (!strcmp(cmd, "lstat")) do_stat(a, 0);
        else if (!strcmp(cmd, "open")) do_open(a, b);
        else if (!strcmp(cmd, "readlink")) do_readlink(a);
        else if (!strcmp(cmd, "chunks")) chunks(a, atol(b));
        else if (!strcmp(cmd, "fstatdir")) fstatdir(a);
        else if (!strcmp(cmd, "same")) same(a, b);
        else if (!strcmp(cmd, "write")) write_text(a, O_WRONLY | O_CREAT | O_TRUNC, -1, b);
        else if (!strcmp(cmd, "append")) write_text(a, O_WRONLY | O_APPEND, -1, b);
        else if (!strcmp(cmd, "pwrite")) write_text(a, O_WRONLY, atoll(b), c);
        else if (!strcmp(cmd, "mkdir")) status("mkdir", a, mkdir(a, 0755));
        else if (!strcmp(cmd, "rmdir")) status("rmdir", a, rmdir(a));
        else if (!strcmp(cmd, "unlink")) status("unlink", a, unlink(a));
        else if (!strcmp(cmd, "rename")) status("rename", a, rename(a, b));
        else if (!strcmp(cmd, "times")) times(a);
        else if (!strcmp(cmd, "nlink")) nlink(a);
        else if (!strcmp(cmd, "reopen")) reopen(a, atol(b));
        else printf("unknown command: %s\n", cmd);
        fflush(stdout);
    }
    return 0;
}
