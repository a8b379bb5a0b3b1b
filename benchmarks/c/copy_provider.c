/* The single-copy bound's provider: `read(len)` returns up to 64 KiB of its own memory,
 * with no bookkeeping at all (what an ideal virtualizer's file read would do). */
#include "glue.h"

static uint8_t data[65536];

void wv_free(void *p) { (void)p; }

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old, (void)old_size, (void)align, (void)new_size;
  return data;
}

void wasivirt_bench_source_read(uint32_t len, wv_list_u8_t *ret) {
  ret->ptr = data;
  ret->len = len < sizeof data ? len : sizeof data;
}
