/* files: read, list and write files through preopened directories (`--dir`).
 *
 *   files cat PATH...         prints each file's bytes, or "PATH: error: <strerror>"
 *   files ls DIR              prints the sorted entry names of DIR, one per line
 *   files write PATH TEXT     creates/truncates PATH with TEXT
 * Exits 0 if every operation succeeded, else 1.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cat(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { printf("%s: error: %s\n", path, strerror(errno)); return 1; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int ls(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("%s: error: %s\n", path, strerror(errno)); return 1; }
    char *names[1024];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 1024) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    for (int i = 0; i < count; i++) { printf("%s\n", names[i]); free(names[i]); }
    return 0;
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) { printf("%s: error: %s\n", path, strerror(errno)); return 1; }
    fputs(text, f);
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: files cat|ls|write ...\n"); return 2; }
    int failed = 0;
    if (strcmp(argv[1], "cat") == 0) {
        for (int i = 2; i < argc; i++) failed |= cat(argv[i]);
    } else if (strcmp(argv[1], "ls") == 0) {
        failed = ls(argv[2]);
    } else if (strcmp(argv[1], "write") == 0 && argc > 3) {
        failed = write_file(argv[2], argv[3]);
    } else {
        fprintf(stderr, "files: unknown command %s\n", argv[1]);
        return 2;
    }
    return failed;
}
