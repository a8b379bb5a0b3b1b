/* reader: a reactor exporting `size-of(path: string) -> s64` (the file's size read through
 * stdio, or -errno), to check fused linking with the reactor adapter. Its world is
 * reader.wit, embedded by the tests with `wasm-tools component embed`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    (void)old_size; (void)align;
    return realloc(old, new_size);
}

__attribute__((export_name("size-of")))
long long size_of(char *path, size_t len) {
    char name[256];
    if (len >= sizeof name) return -1;
    memcpy(name, path, len);
    name[len] = 0;
    free(path);
    FILE *f = fopen(name, "rb");
    if (!f) return -errno;
    char buf[4096];
    long long total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) total += n;
    fclose(f);
    printf("read %s: %lld bytes\n", name, total);
    fflush(stdout);
    return total;
}
