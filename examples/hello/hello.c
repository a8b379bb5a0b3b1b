/* hello: the wasivirt demo program -- plain C, built for wasm32-wasip1 with ziglang.
 *
 *   hello [PATH...]
 *
 * Greets $NAME (default "world"), then for each PATH prints the directory listing
 * (sorted) or the file's contents. Paths are resolved through the preopened directories
 * the runtime gives it: `wasivirt run --dir HOST::GUEST` today, the virtual filesystem
 * of `wasivirt compose --vfs` tomorrow. Exits 1 if any PATH could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) return -1;
    char *names[256];
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) && n < 256)
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
            names[n++] = strdup(entry->d_name);
    closedir(dir);
    qsort(names, n, sizeof names[0], by_name);
    printf("%s/ (%d entries)\n", path, n);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
    return 0;
}

static int show(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    printf("%s:\n", path);
    char line[1024];
    while (fgets(line, sizeof line, f)) printf("  | %s", line);
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    const char *name = getenv("NAME");
    printf("hello, %s! (%s, %d argument%s)\n", name ? name : "world", argv[0], argc - 1,
           argc == 2 ? "" : "s");
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? list(argv[i]) : show(argv[i]);
        if (rc != 0) {
            printf("%s: %s\n", argv[i], strerror(errno));
            failed = 1;
        }
    }
    return failed;
}
