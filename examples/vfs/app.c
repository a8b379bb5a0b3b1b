/* app: a C program that looks around its filesystem. Composed with spec.py by
 * `wasivirt compose`, it sees exactly the tree the spec describes and nothing else. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void show(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { printf("  %-22s -> %s\n", path, strerror(errno)); return; }
    char line[256];
    const char *sep = "";
    printf("  %-22s: ", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        printf("%s%s", sep, line);
        sep = " | ";
    }
    printf("\n");
    fclose(f);
}

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("  %s -> %s\n", path, strerror(errno)); return; }
    printf("  %s:", path);
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') printf(" %s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    printf("\n");
    closedir(d);
}

static void try_write(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) { printf("  write %-16s -> %s\n", path, strerror(errno)); return; }
    fputs(text, f);
    fclose(f);
    printf("  write %-16s -> ok\n", path);
}

int main(void) {
    printf("what is here:\n");
    list("/");
    list("/assets");
    printf("reading:\n");
    show("/etc/app.toml");
    show("/assets/hello.txt");
    show("/etc/passwd");
    show("/../../etc/passwd");
    printf("writing (to memory, or to the host where the spec mounts a directory):\n");
    try_write("/work/notes.txt", "remember the milk\n");
    show("/work/notes.txt");
    try_write("/etc/app.toml", "hacked = true\n");
    try_write("/assets/hello.txt", "defaced\n");
    return 0;
}
