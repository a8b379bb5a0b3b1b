/* Fused linking: a call's guard and the caller's memory, reached through the bridge.
 *
 * C addresses only our memory; the bridge module (virt/bridge.py) imports ours and the
 * caller's and does the copies with `memory.copy` between them, and calls the caller's
 * realloc through a table slot it exports (filled once the caller exists). Bounds are the
 * bridge's: a copy outside either memory traps, which is the canonical ABI's check of the
 * same ranges. Alignment, sizes and UTF-8 are checked here, before anything is used.
 */
#include "fused.h"
#include "wv.h"

#define BRIDGE(name) __attribute__((import_module("wasivirt:bridge"), import_name(name)))
BRIDGE("copy-from-caller") extern void bridge_copy_from_caller(void *dst, uint32_t src, uint32_t len);
BRIDGE("copy-to-caller") extern void bridge_copy_to_caller(uint32_t dst, const void *src, uint32_t len);
BRIDGE("caller-realloc") extern uint32_t bridge_caller_realloc(uint32_t old, uint32_t old_size,
                                                                uint32_t align, uint32_t size);

#define MAX_STRING 0x7FFFFFFFu  /* the canonical ABI's longest string */

static bool running;
static uint8_t empty[8] __attribute__((aligned(8)));

void wv_fused_trap(void) { __builtin_trap(); }

void wv_fused_enter(void) {
  if (running) wv_fused_trap();
  running = true;
}

void wv_fused_leave(void) { running = false; }

void wv_fused_check_char(uint32_t c) {
  if (c >= 0x110000u || (c >= 0xD800u && c <= 0xDFFFu)) wv_fused_trap();
}

static uint32_t bytes_of(uint32_t count, uint32_t size) {
  uint64_t n = (uint64_t)count * size;
  if (n > UINT32_MAX) wv_fused_trap();  /* larger than any 32-bit memory */
  return (uint32_t)n;
}

static void check_align(uint32_t ptr, uint32_t align) {
  if (ptr & (align - 1)) wv_fused_trap();
}

void *wv_fused_in(uint32_t ptr, uint32_t count, uint32_t size, uint32_t align) {
  check_align(ptr, align);
  uint32_t n = bytes_of(count, size);
  void *p = n ? wv_malloc(n) : empty;
  if (!p) wv_fused_trap();  /* as cabi_realloc when the value the caller sent does not fit */
  bridge_copy_from_caller(p, ptr, n);  /* also for none: a start past the end traps */
  return p;
}

uint8_t *wv_fused_string_in(uint32_t ptr, uint32_t len) {
  if (len > MAX_STRING) wv_fused_trap();
  uint8_t *p = wv_fused_in(ptr, len, 1, 1);
  if (!wv_utf8_valid(p, len)) wv_fused_trap();  /* checked on our copy: it cannot change */
  return p;
}

void wv_fused_load(void *dst, uint32_t ptr, uint32_t size, uint32_t align) {
  check_align(ptr, align);
  bridge_copy_from_caller(dst, ptr, size);
}

uint32_t wv_fused_alloc(uint32_t count, uint32_t size, uint32_t align) {
  uint32_t p = bridge_caller_realloc(0, 0, align, bytes_of(count, size));
  check_align(p, align);
  return p;
}

void wv_fused_copy_out(uint32_t dst, const void *src, uint32_t len) { bridge_copy_to_caller(dst, src, len); }

uint32_t wv_fused_out(const void *src, uint32_t count, uint32_t size, uint32_t align) {
  uint32_t dst = wv_fused_alloc(count, size, align);
  bridge_copy_to_caller(dst, src, count * size);  /* wv_fused_alloc checked the product */
  return dst;
}

void wv_fused_check_retptr(uint32_t retptr, uint32_t align) { check_align(retptr, align); }

void wv_fused_store(uint32_t retptr, const void *src, uint32_t size) { bridge_copy_to_caller(retptr, src, size); }
