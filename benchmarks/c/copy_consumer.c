/* The single-copy bound's consumer: the seqread loop of fsbench.c, reading `total` bytes
 * `chunk` at a time from the provider; like the preview1 adapter, its realloc hands every
 * result the same buffer, so the only work per call is the component boundary's copy. */
#include "glue.h"

static uint8_t buffer[1 << 20];

void wv_free(void *p) { (void)p; }

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old, (void)old_size, (void)align;
  return new_size <= sizeof buffer ? buffer : 0;
}

uint64_t wasivirt_bench_sink_run(uint64_t total, uint32_t chunk) {
  uint64_t got = 0;
  while (got < total) {
    wv_list_u8_t l;
    wasivirt_bench_source_read(chunk, &l);
    if (!l.len) break;
    got += l.len;
  }
  return got;
}
