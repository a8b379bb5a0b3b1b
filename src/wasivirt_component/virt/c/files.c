/* File contents: positional reads and writes, truncation.
 *
 * A read of a file the instance never wrote returns a pointer into the image itself
 * (`*borrowed`): the bytes cross to the child in the one copy the component boundary makes.
 * A written file's bytes are copied out, because the post-return function frees what a
 * call returns and the file keeps its buffer.
 */
#include "wv.h"

int wv_file_read(wv_node *f, uint64_t off, uint64_t len, wv_bytes *out, bool *borrowed) {
  uint64_t size = f->u.file.size;
  *out = (wv_bytes){0, 0};
  *borrowed = true;
  if (off >= size || len == 0) return WV_OK;
  if (len > size - off) len = size - off;
  if (len > WV_MAX_READ) len = WV_MAX_READ;
  if (!f->u.file.bytes) return E_IO;  /* the image is shorter than its listing says */
  const uint8_t *src = f->u.file.bytes + off;
  if (!(f->flags & NF_PRIVATE)) {
    out->ptr = src;
    out->len = (size_t)len;
    return WV_OK;
  }
  uint8_t *copy = wv_dup(src, (size_t)len);
  if (!copy) return E_INSUFFICIENT_MEMORY;
  *borrowed = false;
  out->ptr = copy;
  out->len = (size_t)len;
  return WV_OK;
}

int wv_file_write(wv_node *f, uint64_t off, const uint8_t *buf, size_t len) {
  if (off > WV_MAX_FILE_SIZE || len > WV_MAX_FILE_SIZE - off) return E_FILE_TOO_LARGE;
  uint64_t end = off + len;
  uint64_t size = f->u.file.size;
  int err = wv_file_make_private(f, end > size ? end : size);
  if (err != WV_OK) return err;
  uint8_t *bytes = (uint8_t *)f->u.file.bytes;
  if (off > size) memset(bytes + size, 0, (size_t)(off - size));
  if (len) memcpy(bytes + off, buf, len);
  if (end > size) f->u.file.size = end;
  return WV_OK;
}

int wv_file_set_size(wv_node *f, uint64_t size) {
  if (size > WV_MAX_FILE_SIZE) return E_FILE_TOO_LARGE;
  if (size == 0 && !(f->flags & NF_PRIVATE)) {  /* no need to copy what is thrown away */
    f->u.file.bytes = 0;
    f->u.file.size = 0;
    f->u.file.cap = 0;
    f->flags |= NF_PRIVATE;
    return WV_OK;
  }
  uint64_t old = f->u.file.size;
  int err = wv_file_make_private(f, size > old ? size : old);
  if (err != WV_OK) return err;
  if (size > old) memset((uint8_t *)f->u.file.bytes + old, 0, (size_t)(size - old));
  f->u.file.size = size;
  return WV_OK;
}
