/* Memory: a boundary-tag allocator over the top of linear memory, and the libc pieces the
 * compiler expects (memcpy, memset, memmove, memcmp).
 *
 * Why our own: the virtualizer is freestanding (no libc), and it must never trap on a
 * guest's request, so every allocation failure is a NULL the caller turns into
 * `insufficient-memory`. The heap starts after the image (see image.c) and grows with
 * `memory.grow`. Chunks carry their size in a 4-byte header; free chunks also carry a
 * footer and sit in size-segregated bins (exact bins of 8 bytes up to 1 KiB, then four
 * bins per power of two), so malloc and free are O(1) apart from the bin search, and
 * neighbours coalesce on free. `wv_free` ignores any pointer outside the heap: results that
 * point into the image (zero-copy reads) go through the same post-return code as fresh ones.
 * Small chunks (up to FAST_MAX bytes: descriptors, streams, short strings) are recycled
 * through LIFO "fast bins" without coalescing, because every open, read and close makes
 * and frees a few of them and the full path costs as much as the call itself; they look
 * in use to their neighbours and are merged back (freed properly) only when the heap
 * cannot grow, so running out of memory is decided exactly as without them.
 */
#include "wv.h"

#define INUSE 1u
#define PREV_INUSE 2u
#define FAST 4u            /* in a fast bin: free, but in use as far as neighbours know */
#define FLAGS 7u
#define MIN_CHUNK 16u
#define NBINS 224
#define PAGE 65536u
#define FAST_MAX 72u       /* chunk sizes 16, 24, ..., 72 */
#define NFAST ((FAST_MAX >> 3) - 1)

typedef struct chunk {
  uint32_t head;           /* size | flags */
  struct chunk *next;      /* free chunks only */
  struct chunk *prev;
} chunk;

static uintptr_t heap_lo, heap_hi;  /* [lo, hi): every chunk, the top chunk last */
static chunk *top;                  /* the free chunk at the end of the heap */
static chunk *bins[NBINS];
static chunk *fast[NFAST];          /* singly linked through `next` */
static uint32_t bitmap[(NBINS + 31) / 32];
static size_t in_use;
static uint8_t empty_allocation[8] __attribute__((aligned(8)));

uintptr_t wv_heap_start(void);      /* image.c: the first byte after the image */

static inline uint32_t csize(const chunk *c) { return c->head & ~FLAGS; }
static inline chunk *next_chunk(chunk *c) { return (chunk *)((uintptr_t)c + csize(c)); }
static inline void set_footer(chunk *c) { *(uint32_t *)((uintptr_t)c + csize(c) - 4) = csize(c); }
static inline void *payload(chunk *c) { return (void *)((uintptr_t)c + 4); }
static inline chunk *of_payload(void *p) { return (chunk *)((uintptr_t)p - 4); }

static unsigned bin_of(uint32_t size) {
  if (size < 1024) return size >> 3;
  unsigned log = 31 - (unsigned)__builtin_clz(size);
  unsigned b = 128 + (log - 10) * 4 + ((size >> (log - 2)) & 3);
  return b < NBINS ? b : NBINS - 1;
}

static void bin_insert(chunk *c) {
  unsigned b = bin_of(csize(c));
  c->prev = 0;
  c->next = bins[b];
  if (c->next) c->next->prev = c;
  bins[b] = c;
  bitmap[b >> 5] |= 1u << (b & 31);
}

static void bin_remove(chunk *c) {
  unsigned b = bin_of(csize(c));
  if (c->prev) c->prev->next = c->next; else bins[b] = c->next;
  if (c->next) c->next->prev = c->prev;
  if (!bins[b]) bitmap[b >> 5] &= ~(1u << (b & 31));
}

static void init(void) {
  uintptr_t start = wv_heap_start();
  /* chunk headers sit at 4 mod 8, so payloads are 8-aligned */
  start = ((start + 7) & ~(uintptr_t)7) + 4;
  uintptr_t end = (uintptr_t)__builtin_wasm_memory_size(0) * PAGE;
  if (end < start + 64) {
    uintptr_t pages = (start + 64 - end + PAGE - 1) / PAGE;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
    end += pages * PAGE;
  }
  heap_lo = start;
  heap_hi = end - 4;      /* keep the last word: the top chunk's size must be 8-aligned */
  heap_hi -= (heap_hi - heap_lo) & 7;
  top = (chunk *)heap_lo;
  top->head = (uint32_t)(heap_hi - heap_lo) | PREV_INUSE;
}

/* Make the top chunk at least `need` bytes by growing memory. */
static bool grow_top(uint32_t need) {
  uint32_t have = csize(top);
  if (have >= need) return true;
  uint64_t missing = (uint64_t)need - have + MIN_CHUNK;
  uint64_t pages = (missing + PAGE - 1) / PAGE;
  uintptr_t cur = (uintptr_t)__builtin_wasm_memory_size(0);
  if (cur + pages > 65536) return false;
  if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return false;
  uintptr_t end = (cur + (uintptr_t)pages) * PAGE - 4;
  end -= (end - (uintptr_t)top) & 7;
  top->head = (uint32_t)(end - (uintptr_t)top) | (top->head & PREV_INUSE);
  heap_hi = end;
  return true;
}

static uint32_t chunk_for(size_t n) {
  if (n > 0xFFFF0000u) return 0;
  uint32_t size = (uint32_t)((n + 4 + 7) & ~(size_t)7);
  return size < MIN_CHUNK ? MIN_CHUNK : size;
}

/* Use `size` bytes of free chunk `c` (not in a bin), splitting off the rest. */
static void *take(chunk *c, uint32_t size, bool from_top) {
  uint32_t total = csize(c);
  uint32_t rest = total - size;
  uint32_t prev = c->head & PREV_INUSE;
  if (rest >= MIN_CHUNK) {
    c->head = size | INUSE | prev;
    chunk *r = next_chunk(c);
    r->head = rest | PREV_INUSE;
    if (from_top) {
      top = r;
    } else {
      set_footer(r);
      bin_insert(r);
    }
  } else {
    c->head = total | INUSE | prev;
    if (from_top) {  /* the whole top was used: leave an empty top (size 0 is never used) */
      top = next_chunk(c);
      top->head = PREV_INUSE;
    } else {
      next_chunk(c)->head |= PREV_INUSE;
    }
  }
  in_use += csize(c);
  return payload(c);
}

static void free_chunk(chunk *c);

/* Free every fast-bin chunk properly (coalescing); false when there were none. */
static bool flush_fast(void) {
  bool any = false;
  for (unsigned i = 0; i < NFAST; i++) {
    chunk *c = fast[i];
    fast[i] = 0;
    while (c) {
      chunk *next = c->next;
      c->head &= ~FAST;
      in_use += csize(c);  /* free_chunk subtracts it again */
      free_chunk(c);
      c = next;
      any = true;
    }
  }
  return any;
}

void *wv_malloc(size_t n) {
  if (!heap_lo) init();
  uint32_t size = chunk_for(n);
  if (!size) return 0;
  if (size <= FAST_MAX) {
    chunk **bin = &fast[(size >> 3) - 2];
    chunk *c = *bin;
    if (c) {
      *bin = c->next;
      c->head &= ~FAST;
      in_use += size;
      return payload(c);
    }
  }
  unsigned b = bin_of(size);
  /* exact bins: any chunk fits; ranged bins: search the list */
  if (b < 128 && bins[b]) {
    chunk *c = bins[b];
    bin_remove(c);
    return take(c, size, false);
  }
  if (b >= 128) {
    for (chunk *c = bins[b]; c; c = c->next) {
      if (csize(c) >= size) {
        bin_remove(c);
        return take(c, size, false);
      }
    }
  }
  for (unsigned i = b + 1; i < NBINS; i = ((i >> 5) + 1) << 5) {
    uint32_t mask = bitmap[i >> 5] & (~0u << (i & 31));
    if (mask) {
      chunk *c = bins[((i >> 5) << 5) + (unsigned)__builtin_ctz(mask)];
      bin_remove(c);
      return take(c, size, false);
    }
  }
  if (!grow_top(size)) return flush_fast() ? wv_malloc(n) : 0;
  return take(top, size, true);
}

void *wv_calloc(size_t n) {
  void *p = wv_malloc(n);
  if (p) memset(p, 0, n);
  return p;
}

bool wv_owned(const void *p) {
  uintptr_t a = (uintptr_t)p;
  return heap_lo && a > heap_lo && a < heap_hi;
}

void wv_free(void *p) {
  if (!wv_owned(p)) return;
  chunk *c = of_payload(p);
  /* double free: a bug of ours, not the guest's */
  if ((c->head & (INUSE | FAST)) != INUSE) __builtin_trap();
  uint32_t size = csize(c);
  if (size <= FAST_MAX) {
    chunk **bin = &fast[(size >> 3) - 2];
    c->head |= FAST;
    c->next = *bin;
    *bin = c;
    in_use -= size;
    return;
  }
  free_chunk(c);
}

/* Return in-use chunk `c` to the bins, merged with its free neighbours. */
static void free_chunk(chunk *c) {
  in_use -= csize(c);
  uint32_t size = csize(c);
  /* merge with the previous chunk */
  if (!(c->head & PREV_INUSE)) {
    uint32_t prev_size = *(uint32_t *)((uintptr_t)c - 4);
    chunk *prev = (chunk *)((uintptr_t)c - prev_size);
    bin_remove(prev);
    size += prev_size;
    c = prev;
    c->head = size | (prev->head & PREV_INUSE);
  } else {
    c->head = size | PREV_INUSE;
  }
  chunk *n = next_chunk(c);
  if (n == top) {
    c->head = (size + csize(top)) | (c->head & PREV_INUSE);
    top = c;
    return;
  }
  if (!(n->head & INUSE)) {
    bin_remove(n);
    size += csize(n);
    c->head = size | (c->head & PREV_INUSE);
  } else {
    n->head &= ~PREV_INUSE;
  }
  set_footer(c);
  bin_insert(c);
}

void *wv_realloc(void *p, size_t n) {
  if (!wv_owned(p)) return wv_malloc(n);
  chunk *c = of_payload(p);
  uint32_t size = chunk_for(n);
  if (!size) return 0;
  uint32_t have = csize(c);
  if (size <= have) {
    if (have - size >= MIN_CHUNK) {  /* give the tail back */
      c->head = size | (c->head & FLAGS);
      chunk *r = next_chunk(c);
      r->head = (have - size) | PREV_INUSE | INUSE;
      wv_free(payload(r));  /* counted in use until now: wv_free subtracts it */
    }
    return p;
  }
  chunk *n_ = next_chunk(c);
  if (n_ == top && grow_top(size - have)) {
    uint32_t avail = have + csize(top);
    if (avail >= size) {
      uint32_t rest = avail - size;
      c->head = size | (c->head & FLAGS);
      in_use += size - have;
      if (rest >= MIN_CHUNK) {
        top = next_chunk(c);
        top->head = rest | PREV_INUSE;
      } else {
        c->head = avail | (c->head & FLAGS);
        in_use += rest;
        top = next_chunk(c);
        top->head = PREV_INUSE;
      }
      return p;
    }
  }
  if (n_ != top && !(n_->head & INUSE) && have + csize(n_) >= size) {
    bin_remove(n_);
    uint32_t avail = have + csize(n_);
    c->head = avail | (c->head & FLAGS);
    next_chunk(c)->head |= PREV_INUSE;
    in_use += avail - have;
    if (avail - size >= MIN_CHUNK) {
      c->head = size | (c->head & FLAGS);
      chunk *r = next_chunk(c);
      r->head = (avail - size) | PREV_INUSE | INUSE;
      wv_free(payload(r));
    }
    return p;
  }
  void *q = wv_malloc(n);
  if (!q) return 0;
  memcpy(q, p, have - 4);
  wv_free(p);
  return q;
}

size_t wv_heap_in_use(void) { return in_use; }

uint8_t *wv_dup(const uint8_t *p, size_t n) {
  uint8_t *q = wv_malloc(n ? n : 1);
  if (q && n) memcpy(q, p, n);
  return q;
}

/* The canonical ABI's allocator: arguments and host results land here. It cannot report
 * failure, so running out of memory for a value the guest itself sent is a trap. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (align > 8) __builtin_trap();
  if (new_size == 0) {
    wv_free(old);
    return empty_allocation;
  }
  void *p = old ? wv_realloc(old, new_size) : wv_malloc(new_size);
  if (!p) __builtin_trap();
  return p;
}

/* -- what the compiler expects of libc --------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n);  /* bulk-memory: one memory.copy */
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
