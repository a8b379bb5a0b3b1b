/* wasi:cli/{stdin,stdout,stderr,terminal-*} and wasi:clocks: the host's, wrapped in our
 * resources (their streams and pollables must be ours once we own wasi:io). */
#include "bind.h"

io_streams_input_stream_t *cli_stdin_get_stdin(void) {
  io_streams_input_stream_t *s = wv_wrap_input(host_cli_stdin_get_stdin());
  if (!s) __builtin_trap();  /* no error channel */
  return s;
}

io_streams_output_stream_t *cli_stdout_get_stdout(void) {
  io_streams_output_stream_t *s = wv_wrap_output(host_cli_stdout_get_stdout());
  if (!s) __builtin_trap();
  return s;
}

io_streams_output_stream_t *cli_stderr_get_stderr(void) {
  io_streams_output_stream_t *s = wv_wrap_output(host_cli_stderr_get_stderr());
  if (!s) __builtin_trap();
  return s;
}

void cli_terminal_input_terminal_input_destroy(cli_terminal_input_terminal_input_t *self) {
  host_cli_terminal_input_terminal_input_drop(self->host);
  wv_free(self);
}

void cli_terminal_output_terminal_output_destroy(cli_terminal_output_terminal_output_t *self) {
  host_cli_terminal_output_terminal_output_drop(self->host);
  wv_free(self);
}

static bool wrap_input(bool some, host_cli_terminal_input_terminal_input_own_t h,
                       cli_terminal_input_terminal_input_t **ret) {
  if (!some) return false;
  *ret = wv_malloc(sizeof(**ret));
  if (!*ret) __builtin_trap();
  (*ret)->host = h;
  return true;
}

static bool wrap_output(bool some, host_cli_terminal_output_terminal_output_own_t h,
                        cli_terminal_output_terminal_output_t **ret) {
  if (!some) return false;
  *ret = wv_malloc(sizeof(**ret));
  if (!*ret) __builtin_trap();
  (*ret)->host = h;
  return true;
}

bool cli_terminal_stdin_get_terminal_stdin(cli_terminal_input_terminal_input_t **ret) {
  host_cli_terminal_input_terminal_input_own_t h;
  return wrap_input(host_cli_terminal_stdin_get_terminal_stdin(&h), h, ret);
}

bool cli_terminal_stdout_get_terminal_stdout(cli_terminal_output_terminal_output_t **ret) {
  host_cli_terminal_output_terminal_output_own_t h;
  return wrap_output(host_cli_terminal_stdout_get_terminal_stdout(&h), h, ret);
}

bool cli_terminal_stderr_get_terminal_stderr(cli_terminal_output_terminal_output_t **ret) {
  host_cli_terminal_output_terminal_output_own_t h;
  return wrap_output(host_cli_terminal_stderr_get_terminal_stderr(&h), h, ret);
}

uint64_t clocks_monotonic_clock_now(void) { return host_clocks_monotonic_clock_now(); }
uint64_t clocks_monotonic_clock_resolution(void) { return host_clocks_monotonic_clock_resolution(); }

io_poll_pollable_t *clocks_monotonic_clock_subscribe_instant(uint64_t when) {
  io_poll_pollable_t *p = wv_wrap_pollable(host_clocks_monotonic_clock_subscribe_instant(when));
  if (!p) __builtin_trap();
  return p;
}

io_poll_pollable_t *clocks_monotonic_clock_subscribe_duration(uint64_t when) {
  io_poll_pollable_t *p = wv_wrap_pollable(host_clocks_monotonic_clock_subscribe_duration(when));
  if (!p) __builtin_trap();
  return p;
}

void clocks_wall_clock_now(clocks_wall_clock_datetime_t *ret) {
  host_clocks_wall_clock_datetime_t t;
  host_clocks_wall_clock_now(&t);
  ret->seconds = t.seconds;
  ret->nanoseconds = t.nanoseconds;
}

void clocks_wall_clock_resolution(clocks_wall_clock_datetime_t *ret) {
  host_clocks_wall_clock_datetime_t t;
  host_clocks_wall_clock_resolution(&t);
  ret->seconds = t.seconds;
  ret->nanoseconds = t.nanoseconds;
}
