/* cat: prints each named file, or `PATH: error: MESSAGE` for one it cannot open, in order.
 *
 * The smallest program that reads files: it never stats and never reads a link, so its
 * adapted component's `wasi:filesystem/types` import declares neither `stat-at` nor
 * `readlink-at` (wit-component declares what the preview1 adapter uses), which the fused
 * virtualizer needs for host mounts: the splice widens that import (fuse/widen.py). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    int status = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            printf("%s: error: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        fclose(f);
    }
    return status;
}
