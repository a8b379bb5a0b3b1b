/* wasi:io/{error,poll,streams}: file streams over the virtual tree, and wrapped host
 * streams (stdio). File streams are always ready (their pollables are ours) and end with
 * `closed`, the WASI way; host streams forward every call, translating the host's stream
 * errors into ours (a failed host operation becomes our error wrapping the host's).
 */
#include "bind.h"

#define FILE_WRITE_BUDGET (1u << 20)  /* what check-write grants a file stream (as wasmtime) */
#define BLOCKING_CHUNK 4096u          /* blocking-write-and-flush / blocking-splice maximum */

/* Not const: a const array is a 4 KiB data segment applied per instance; this is BSS. */
static uint8_t zeroes[BLOCKING_CHUNK];

bool wv_result_bytes(const uint8_t *p, size_t n, uint8_t **out) {
  if (!wv_owned(p)) {
    *out = (uint8_t *)p;
    return true;
  }
  *out = wv_dup(p, n);
  return *out != 0;
}

/* -- wasi:io/error ------------------------------------------------------------------------ */
io_error_error_t *wv_new_error(int code) {
  io_error_error_t *e = wv_calloc(sizeof(*e));
  if (e) e->code = code;
  return e;
}

void io_error_error_destroy(io_error_error_t *self) {
  if (self->has_host) host_io_error_error_drop(self->host);
  wv_free(self);
}

void io_error_error_to_debug_string(io_error_error_t *self, wv_string_t *ret) {
  if (self->has_host) {
    host_io_error_error_to_debug_string(host_io_error_error_borrow(self->host), ret);
    return;  /* the host's string, allocated with our cabi_realloc: post-return frees it */
  }
  const char *name = wv_error_name(self->code);
  size_t n = 0;
  while (name[n]) n++;
  ret->ptr = (uint8_t *)name;
  ret->len = n;
}

void wv_stream_closed(io_streams_stream_error_t *err) { err->tag = IO_STREAMS_STREAM_ERROR_CLOSED; }

void wv_stream_failed(io_streams_stream_error_t *err, int code) {
  io_error_error_t *e = wv_new_error(code);
  if (!e) {
    wv_stream_closed(err);
    return;
  }
  err->tag = IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED;
  err->val.last_operation_failed = e;
}

/* A host stream error as ours. */
static void host_error(io_streams_stream_error_t *err, const host_io_streams_stream_error_t *h,
                       bool from_mount) {
  if (h->tag != HOST_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
    wv_stream_closed(err);
    return;
  }
  io_error_error_t *e = wv_new_error(E_IO);
  if (!e) {
    host_io_error_error_drop(h->val.last_operation_failed);
    wv_stream_closed(err);
    return;
  }
  e->has_host = true;
  e->from_mount = from_mount;
  e->host = h->val.last_operation_failed;
  err->tag = IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED;
  err->val.last_operation_failed = e;
}

/* -- wasi:io/poll ------------------------------------------------------------------------- */
io_poll_pollable_t *wv_new_pollable(void) { return wv_calloc(sizeof(io_poll_pollable_t)); }

io_poll_pollable_t *wv_wrap_pollable(host_io_poll_pollable_own_t host) {
  io_poll_pollable_t *p = wv_new_pollable();
  if (!p) {
    host_io_poll_pollable_drop(host);
    return 0;
  }
  p->has_host = true;
  p->host = host;
  return p;
}

void io_poll_pollable_destroy(io_poll_pollable_t *self) {
  if (self->has_host) host_io_poll_pollable_drop(self->host);
  wv_free(self);
}

bool io_poll_pollable_ready(io_poll_pollable_t *self) {
  return self->has_host ? host_io_poll_pollable_ready(host_io_poll_pollable_borrow(self->host)) : true;
}

void io_poll_pollable_block(io_poll_pollable_t *self) {
  if (self->has_host) host_io_poll_pollable_block(host_io_poll_pollable_borrow(self->host));
}

/* Ours are ready at once (answered without the host); only host pollables: the host's poll. */
void io_poll_poll(const wv_list_borrow_io_poll_pollable_t *in, wv_list_u32_t *ret) {
  size_t ours = 0;
  for (size_t i = 0; i < in->len; i++) ours += !in->ptr[i]->has_host;
  *ret = (wv_list_u32_t){0, 0};
  if (!in->len) return;
  if (ours) {
    uint32_t *idx = wv_malloc(ours * 4);
    if (!idx) __builtin_trap();  /* no error channel: poll must answer */
    size_t k = 0;
    for (size_t i = 0; i < in->len; i++) {
      if (!in->ptr[i]->has_host) idx[k++] = (uint32_t)i;
    }
    *ret = (wv_list_u32_t){idx, ours};
    return;
  }
  host_io_poll_pollable_borrow_t *hs = wv_malloc(in->len * sizeof(*hs));
  if (!hs) __builtin_trap();
  for (size_t i = 0; i < in->len; i++) hs[i] = host_io_poll_pollable_borrow(in->ptr[i]->host);
  wv_list_borrow_host_io_poll_pollable_t list = {hs, in->len};
  host_io_poll_poll(&list, ret);
  wv_free(hs);
}

/* -- fused forwarding (glue/lowered.py) ---------------------------------------------------
 * Fused, a read or write on a host stream goes to the host's function lowered with the
 * caller's memory and realloc: the host reads or fills the program's buffer itself. We only
 * say which host stream, and wrap the host's error as the unforwarded call would. */
#define FORWARD_STREAM(fn, type, host_type)                                                    \
  bool fn##_forward(type *self, host_type *host) {                                            \
    if (self->kind != S_HOST) return false;                                                    \
    host->handle = self->host.handle;                                                          \
    return true;                                                                               \
  }                                                                                            \
  void fn##_forwarded_err(type *self, const host_io_streams_stream_error_t *h,                 \
                          io_streams_stream_error_t *err) {                                    \
    host_error(err, h, self->from_mount);                                                      \
  }
FORWARD_STREAM(io_streams_input_stream_read, io_streams_input_stream_t, host_io_streams_input_stream_borrow_t)
FORWARD_STREAM(io_streams_input_stream_blocking_read, io_streams_input_stream_t,
               host_io_streams_input_stream_borrow_t)
FORWARD_STREAM(io_streams_output_stream_write, io_streams_output_stream_t, host_io_streams_output_stream_borrow_t)
FORWARD_STREAM(io_streams_output_stream_blocking_write_and_flush, io_streams_output_stream_t,
               host_io_streams_output_stream_borrow_t)

/* -- input streams ------------------------------------------------------------------------ */
io_streams_input_stream_t *wv_wrap_input(host_io_streams_input_stream_own_t host) {
  io_streams_input_stream_t *s = wv_calloc(sizeof(*s));
  if (!s) {
    host_io_streams_input_stream_drop(host);
    return 0;
  }
  s->kind = S_HOST;
  s->host = host;
  return s;
}

void io_streams_input_stream_destroy(io_streams_input_stream_t *self) {
  if (self->kind == S_HOST) host_io_streams_input_stream_drop(self->host);
  if (self->kind == S_FILE) wv_node_unref(self->node);
  wv_free(self);
}

static bool file_read(io_streams_input_stream_t *s, uint64_t len, wv_list_u8_t *ret,
                      io_streams_stream_error_t *err) {
  wv_node *f = s->node;
  if (s->pos >= f->u.file.size) {
    wv_stream_closed(err);
    return false;
  }
  wv_bytes b;
  bool borrowed;
  int code = wv_file_read(f, s->pos, len, &b, &borrowed);
  if (code != WV_OK) {
    wv_stream_failed(err, code);
    return false;
  }
  s->pos += b.len;
  *ret = (wv_list_u8_t){(uint8_t *)b.ptr, b.len};
  return true;
}

bool io_streams_input_stream_read(io_streams_input_stream_t *self, uint64_t len, wv_list_u8_t *ret,
                                  io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_read(self, len, ret, err);
  if (self->kind != S_HOST) {
    wv_stream_closed(err);
    return false;
  }
  host_io_streams_stream_error_t h;
  if (host_io_streams_input_stream_read(host_io_streams_input_stream_borrow(self->host), len, ret, &h))
    return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_input_stream_blocking_read(io_streams_input_stream_t *self, uint64_t len,
                                           wv_list_u8_t *ret, io_streams_stream_error_t *err) {
  if (self->kind != S_HOST) return io_streams_input_stream_read(self, len, ret, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_input_stream_blocking_read(host_io_streams_input_stream_borrow(self->host), len,
                                                 ret, &h))
    return true;
  host_error(err, &h, self->from_mount);
  return false;
}

static bool file_skip(io_streams_input_stream_t *s, uint64_t len, uint64_t *ret,
                      io_streams_stream_error_t *err) {
  uint64_t size = s->node->u.file.size;
  if (s->pos >= size) {
    wv_stream_closed(err);
    return false;
  }
  uint64_t n = len < size - s->pos ? len : size - s->pos;
  s->pos += n;
  *ret = n;
  return true;
}

bool io_streams_input_stream_skip(io_streams_input_stream_t *self, uint64_t len, uint64_t *ret,
                                  io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_skip(self, len, ret, err);
  if (self->kind != S_HOST) {
    wv_stream_closed(err);
    return false;
  }
  host_io_streams_stream_error_t h;
  if (host_io_streams_input_stream_skip(host_io_streams_input_stream_borrow(self->host), len, ret, &h))
    return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_input_stream_blocking_skip(io_streams_input_stream_t *self, uint64_t len, uint64_t *ret,
                                           io_streams_stream_error_t *err) {
  if (self->kind != S_HOST) return io_streams_input_stream_skip(self, len, ret, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_input_stream_blocking_skip(host_io_streams_input_stream_borrow(self->host), len,
                                                 ret, &h))
    return true;
  host_error(err, &h, self->from_mount);
  return false;
}

io_poll_pollable_t *io_streams_input_stream_subscribe(io_streams_input_stream_t *self) {
  io_poll_pollable_t *p = self->kind == S_HOST
      ? wv_wrap_pollable(host_io_streams_input_stream_subscribe(host_io_streams_input_stream_borrow(self->host)))
      : wv_new_pollable();
  if (!p) __builtin_trap();  /* no error channel for subscribe */
  return p;
}

/* -- output streams ----------------------------------------------------------------------- */
io_streams_output_stream_t *wv_wrap_output(host_io_streams_output_stream_own_t host) {
  io_streams_output_stream_t *s = wv_calloc(sizeof(*s));
  if (!s) {
    host_io_streams_output_stream_drop(host);
    return 0;
  }
  s->kind = S_HOST;
  s->host = host;
  return s;
}

void io_streams_output_stream_destroy(io_streams_output_stream_t *self) {
  if (self->kind == S_HOST) host_io_streams_output_stream_drop(self->host);
  if (self->kind == S_FILE) wv_node_unref(self->node);
  wv_free(self);
}

#define HOST_OUT(s) host_io_streams_output_stream_borrow((s)->host)

static bool file_write(io_streams_output_stream_t *s, const uint8_t *p, size_t n,
                       io_streams_stream_error_t *err) {
  if (!n) return true;
  uint64_t pos = s->append ? s->node->u.file.size : s->pos;
  int code = wv_file_write(s->node, pos, p, n);
  if (code != WV_OK) {
    wv_stream_failed(err, code);
    return false;
  }
  if (!s->append) s->pos = pos + n;
  return true;
}

bool io_streams_output_stream_check_write(io_streams_output_stream_t *self, uint64_t *ret,
                                          io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) {
    *ret = FILE_WRITE_BUDGET;
    return true;
  }
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_check_write(HOST_OUT(self), ret, &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_output_stream_write(io_streams_output_stream_t *self, const wv_list_u8_t *contents,
                                    io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_write(self, contents->ptr, contents->len, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_write(HOST_OUT(self), contents, &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_output_stream_blocking_write_and_flush(io_streams_output_stream_t *self,
                                                       const wv_list_u8_t *contents,
                                                       io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_write(self, contents->ptr, contents->len, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_blocking_write_and_flush(HOST_OUT(self), contents, &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_output_stream_flush(io_streams_output_stream_t *self, io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return true;  /* nothing is buffered */
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_flush(HOST_OUT(self), &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_output_stream_blocking_flush(io_streams_output_stream_t *self,
                                             io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return true;
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_blocking_flush(HOST_OUT(self), &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

io_poll_pollable_t *io_streams_output_stream_subscribe(io_streams_output_stream_t *self) {
  io_poll_pollable_t *p = self->kind == S_HOST
      ? wv_wrap_pollable(host_io_streams_output_stream_subscribe(HOST_OUT(self)))
      : wv_new_pollable();
  if (!p) __builtin_trap();
  return p;
}

static bool file_write_zeroes(io_streams_output_stream_t *s, uint64_t len, io_streams_stream_error_t *err) {
  if (len > WV_MAX_FILE_SIZE) {
    wv_stream_failed(err, E_FILE_TOO_LARGE);
    return false;
  }
  while (len) {
    size_t n = len < BLOCKING_CHUNK ? (size_t)len : BLOCKING_CHUNK;
    if (!file_write(s, zeroes, n, err)) return false;
    len -= n;
  }
  return true;
}

bool io_streams_output_stream_write_zeroes(io_streams_output_stream_t *self, uint64_t len,
                                           io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_write_zeroes(self, len, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_write_zeroes(HOST_OUT(self), len, &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

bool io_streams_output_stream_blocking_write_zeroes_and_flush(io_streams_output_stream_t *self,
                                                              uint64_t len,
                                                              io_streams_stream_error_t *err) {
  if (self->kind == S_FILE) return file_write_zeroes(self, len, err);
  host_io_streams_stream_error_t h;
  if (host_io_streams_output_stream_blocking_write_zeroes_and_flush(HOST_OUT(self), len, &h)) return true;
  host_error(err, &h, self->from_mount);
  return false;
}

/* Splice through our memory (host to host is forwarded instead). */
static bool splice_copy(io_streams_output_stream_t *self, io_streams_input_stream_t *src, uint64_t len,
                        bool blocking, uint64_t *ret, io_streams_stream_error_t *err) {
  uint64_t budget;
  if (blocking) {
    budget = BLOCKING_CHUNK;
  } else if (!io_streams_output_stream_check_write(self, &budget, err)) {
    return false;
  }
  if (len > budget) len = budget;
  wv_list_u8_t data;
  bool ok = blocking ? io_streams_input_stream_blocking_read(src, len, &data, err)
                     : io_streams_input_stream_read(src, len, &data, err);
  if (!ok) return false;
  if (data.len) {
    ok = blocking ? io_streams_output_stream_blocking_write_and_flush(self, &data, err)
                  : io_streams_output_stream_write(self, &data, err);
  }
  wv_free(data.ptr);
  if (ok) *ret = data.len;
  return ok;
}

bool io_streams_output_stream_splice(io_streams_output_stream_t *self, io_streams_input_stream_t *src,
                                     uint64_t len, uint64_t *ret, io_streams_stream_error_t *err) {
  if (self->kind == S_HOST && src->kind == S_HOST) {
    host_io_streams_stream_error_t h;
    if (host_io_streams_output_stream_splice(HOST_OUT(self), host_io_streams_input_stream_borrow(src->host),
                                             len, ret, &h))
      return true;
    host_error(err, &h, self->from_mount);
    return false;
  }
  return splice_copy(self, src, len, false, ret, err);
}

bool io_streams_output_stream_blocking_splice(io_streams_output_stream_t *self,
                                              io_streams_input_stream_t *src, uint64_t len,
                                              uint64_t *ret, io_streams_stream_error_t *err) {
  if (self->kind == S_HOST && src->kind == S_HOST) {
    host_io_streams_stream_error_t h;
    if (host_io_streams_output_stream_blocking_splice(HOST_OUT(self),
                                                      host_io_streams_input_stream_borrow(src->host), len,
                                                      ret, &h))
      return true;
    host_error(err, &h, self->from_mount);
    return false;
  }
  return splice_copy(self, src, len, true, ret, err);
}
