/* hello: args, environment, stdio and exit codes, for tests/test_run.py and test_cli.py.
 *
 *   hello [WORD...]     prints "hello, $NAME!" (or world), then each argv entry
 *   hello exit N        then exits with status N via exit(N)
 *   hello trap          then traps (__builtin_trap -> wasm `unreachable`)
 *   hello stderr TEXT   then writes TEXT to stderr
 *   hello stdin         then copies stdin to stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *name = getenv("NAME");
    printf("hello, %s!\n", name ? name : "world");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *mode = getenv("MODE");
    if (mode) printf("MODE=%s\n", mode);
    fflush(stdout);
    if (argc > 2 && strcmp(argv[1], "exit") == 0) exit(atoi(argv[2]));
    if (argc > 1 && strcmp(argv[1], "trap") == 0) __builtin_trap();
    if (argc > 2 && strcmp(argv[1], "stderr") == 0) {
        fprintf(stderr, "%s\n", argv[2]);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "stdin") == 0) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
    }
    return 0;
}
