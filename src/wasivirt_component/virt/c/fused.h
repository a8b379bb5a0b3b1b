/* Fused linking: the runtime support of the lowered glue (virt/glue/lowered.py).
 *
 * Fused, a caller (the preview1 adapter) calls our core functions directly with the lowered
 * canonical ABI: its pointers are into its own memory, which C cannot address, and there is
 * no component-model handle table. So handles are ours (handles.c), and the caller's memory
 * is reached through a bridge module (virt/bridge.py) that imports both memories. Every
 * check the canonical ABI would make on such a call is made here, and fails the way it
 * fails there: a trap (never an error code the caller did not ask for, never corruption).
 */
#ifndef WV_FUSED_H
#define WV_FUSED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* -- handles (handles.c) ---------------------------------------------------------------
 * A handle is TAG | generation << 22 | slot: bit 30 marks ours (a caller can tell them from
 * the host's small handle numbers), 8 bits of generation make a stale handle (its slot
 * since reused) fail, and each slot remembers its resource type. `type` is a tag > 0 the
 * glue gives each resource. Lookups of anything else trap. */
#define WV_HANDLE_TAG 0x40000000u
int32_t wv_handle_new(void *rep, uint32_t type);      /* traps when out of memory */
void *wv_handle_get(int32_t handle, uint32_t type);   /* a borrow: the rep */
void *wv_handle_take(int32_t handle, uint32_t type);  /* a drop: the rep, the handle is gone */
uint32_t wv_handle_live(void);

/* -- the call and the caller's memory (fused.c) ---------------------------------------- */
__attribute__((noreturn)) void wv_fused_trap(void);
void wv_fused_enter(void);   /* traps when a call is already running (reentrance) */
void wv_fused_leave(void);
void wv_fused_check_char(uint32_t c);
/* Our copy of `count` elements of `size` bytes at the caller's `ptr` (aligned to `align`):
 * heap memory for wv_free, a static empty buffer when there are none. */
void *wv_fused_in(uint32_t ptr, uint32_t count, uint32_t size, uint32_t align);
uint8_t *wv_fused_string_in(uint32_t ptr, uint32_t len);       /* and UTF-8 checked */
void wv_fused_load(void *dst, uint32_t ptr, uint32_t size, uint32_t align);
/* `count` elements of `size` bytes allocated in the caller's memory with its realloc: one
 * call, also for none. */
uint32_t wv_fused_alloc(uint32_t count, uint32_t size, uint32_t align);
void wv_fused_copy_out(uint32_t dst, const void *src, uint32_t len);
uint32_t wv_fused_out(const void *src, uint32_t count, uint32_t size, uint32_t align);  /* alloc + copy */
void wv_fused_check_retptr(uint32_t retptr, uint32_t align);
void wv_fused_store(uint32_t retptr, const void *src, uint32_t size);

#endif
