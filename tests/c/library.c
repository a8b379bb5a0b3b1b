/* library: a reactor (no main, so no _start): exports `add` for the reactor adapter. */
__attribute__((export_name("add"))) int add(int a, int b) { return a + b; }
