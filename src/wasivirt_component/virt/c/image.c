/* Where the image is, and its header and blob table (docs/image-format.md).
 *
 * The image is not compiled in: `virt/splice.py` adds it to a built virtualizer as an
 * active data segment (copy-on-write per instance under wasmtime), and writes a small
 * record at `__heap_base` saying where it is and where the heap may start. Without that
 * record the virtualizer serves an empty writable tree. Nothing is decoded until a call
 * needs it, and a damaged image makes calls fail with `io`, never trap.
 */
#include "wv.h"

#define SPLICE_MAGIC 0x50535657u  /* "WVSP" */
#define SPLICE_VERSION 1u
#define IMAGE_MAGIC 0x4D495657u   /* "WVIM" */
#define HEADER_SIZE 40u

extern unsigned char __heap_base;

typedef struct {
  uint32_t magic, version, image_addr, image_size, heap_start, reserved[3];
} splice_record;

static const splice_record *record(void) {
  const splice_record *r = (const splice_record *)&__heap_base;
  return r->magic == SPLICE_MAGIC && r->version == SPLICE_VERSION ? r : 0;
}

uintptr_t wv_heap_start(void) {
  const splice_record *r = record();
  return r ? r->heap_start : (uintptr_t)&__heap_base + sizeof(splice_record);
}

static wv_image_header header;
static bool header_read;
static const uint8_t *image_base;
static uint32_t image_size;

static uint32_t u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const uint8_t *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }

const wv_image_header *wv_image(void) {
  if (header_read) return &header;
  header_read = true;
  const splice_record *r = record();
  if (!r) {
    header.present = false;
    header.valid = true;
    return &header;
  }
  header.present = true;
  image_base = (const uint8_t *)(uintptr_t)r->image_addr;
  image_size = r->image_size;
  const uint8_t *h = image_base;
  if (image_size < HEADER_SIZE || u32(h) != IMAGE_MAGIC || u32(h + 4) != 1) return &header;
  header.flags = u32(h + 8);
  header.root = u32(h + 12);
  header.stamp.sec = u64(h + 16);
  header.stamp.nsec = u32(h + 24);
  header.blob_count = u32(h + 28);
  header.settings = u32(h + 32);
  uint64_t table_end = HEADER_SIZE + (uint64_t)header.blob_count * 8;
  header.valid = header.root > 0 && header.root < header.blob_count && header.stamp.nsec <= 999999999u
                 && table_end <= image_size;
  return &header;
}

bool wv_blob(uint32_t n, wv_bytes *out) {
  const wv_image_header *h = wv_image();
  if (!h->present || !h->valid || n >= h->blob_count) return false;
  const uint8_t *entry = image_base + HEADER_SIZE + (size_t)n * 8;
  uint32_t addr = u32(entry), len = u32(entry + 4);
  if ((uint64_t)addr + len > image_size) return false;
  out->ptr = image_base + addr;
  out->len = len;
  return true;
}
