/* The bindings: the exported resources' reps and the helpers the bind_*.c files share.
 * They translate between the generated glue's types (glue.h) and the core (wv.h).
 */
#ifndef WV_BIND_H
#define WV_BIND_H

#include "glue.h"
#include "wv.h"

/* wasi:io/error: a filesystem error code of ours, or a host error we wrap */
struct io_error_error {
  int code;
  bool has_host;
  bool from_mount;   /* the host error came from a mounted file's stream */
  host_io_error_error_own_t host;
};

/* wasi:io/poll: always ready (ours never block), or a host pollable we wrap */
struct io_poll_pollable {
  bool has_host;
  host_io_poll_pollable_own_t host;
};

enum { S_FILE = 1, S_HOST = 2 };

struct io_streams_input_stream {
  uint8_t kind;
  bool from_mount;  /* S_HOST: a mounted file's stream (its errors are filesystem errors) */
  wv_node *node;    /* S_FILE: holds a reference */
  uint64_t pos;
  host_io_streams_input_stream_own_t host;
};

struct io_streams_output_stream {
  uint8_t kind;
  bool append;
  bool from_mount;
  wv_node *node;
  uint64_t pos;
  host_io_streams_output_stream_own_t host;
};

struct filesystem_types_descriptor {
  wv_desc d;
};

struct filesystem_types_directory_entry_stream {
  wv_listing listing;
};

struct cli_terminal_input_terminal_input {
  host_cli_terminal_input_terminal_input_own_t host;
};

struct cli_terminal_output_terminal_output {
  host_cli_terminal_output_terminal_output_own_t host;
};

/* NULL when out of memory (the callers then answer with an error, never a trap) */
io_error_error_t *wv_new_error(int code);
io_poll_pollable_t *wv_new_pollable(void);
io_poll_pollable_t *wv_wrap_pollable(host_io_poll_pollable_own_t host);
io_streams_input_stream_t *wv_wrap_input(host_io_streams_input_stream_own_t host);
io_streams_output_stream_t *wv_wrap_output(host_io_streams_output_stream_own_t host);

/* `err(last-operation-failed(error(code)))`, or `closed` when even that cannot be had */
void wv_stream_failed(io_streams_stream_error_t *err, int code);
void wv_stream_closed(io_streams_stream_error_t *err);

/* Bytes for a result: image bytes as they are, anything else copied (post-return frees it). */
bool wv_result_bytes(const uint8_t *p, size_t n, uint8_t **out);

#endif
