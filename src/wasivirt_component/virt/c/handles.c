/* The handle table of fused linking (see fused.h for the handle format).
 *
 * Why: composed, the component model numbers our resources and checks every handle a
 * caller passes; fused, the caller passes plain i32s straight to us, so a forged, stale or
 * wrongly typed handle must be caught here before it becomes a pointer. Slots live in one
 * growing array; freed slots form a list (the most recently freed is reused first, as the
 * component model's table does) and their generation moves on, so the old handle fails.
 */
#include "fused.h"
#include "wv.h"

#define SLOT_BITS 22u
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define GEN_MASK 0xFFu

typedef struct {
  void *rep;           /* live slots */
  uint32_t next_free;  /* free slots: the next free slot + 1 (0: none) */
  uint16_t type;       /* 0: free */
  uint8_t gen;
} slot;

static slot *slots;
static uint32_t used, cap, free_head, live;

int32_t wv_handle_new(void *rep, uint32_t type) {
  uint32_t i;
  if (free_head) {
    i = free_head - 1;
    free_head = slots[i].next_free;
  } else {
    if (used == cap) {
      uint32_t want = cap ? cap * 2 : 64;
      if (want > SLOT_MASK + 1) want = SLOT_MASK + 1;
      slot *grown = want > cap ? wv_realloc(slots, (size_t)want * sizeof(slot)) : 0;
      /* no error channel: the operation succeeded, its handle cannot be returned */
      if (!grown) wv_fused_trap();
      slots = grown;
      cap = want;
    }
    i = used++;
    slots[i].gen = 0;
  }
  slots[i].rep = rep;
  slots[i].type = (uint16_t)type;
  slots[i].next_free = 0;
  live++;
  return (int32_t)(WV_HANDLE_TAG | (uint32_t)slots[i].gen << SLOT_BITS | i);
}

static slot *find(int32_t handle, uint32_t type) {
  uint32_t h = (uint32_t)handle;
  if ((h & ~(WV_HANDLE_TAG | GEN_MASK << SLOT_BITS | SLOT_MASK)) != 0 || !(h & WV_HANDLE_TAG))
    wv_fused_trap();  /* not one of ours */
  uint32_t i = h & SLOT_MASK;
  if (i >= used) wv_fused_trap();
  slot *s = &slots[i];
  if (s->type != type || s->gen != ((h >> SLOT_BITS) & GEN_MASK)) wv_fused_trap();  /* stale, or another type */
  return s;
}

void *wv_handle_get(int32_t handle, uint32_t type) { return find(handle, type)->rep; }

void *wv_handle_take(int32_t handle, uint32_t type) {
  slot *s = find(handle, type);
  void *rep = s->rep;
  s->rep = 0;
  s->type = 0;
  s->gen = (uint8_t)(s->gen + 1);
  s->next_free = free_head;
  free_head = (uint32_t)(s - slots) + 1;
  live--;
  return rep;
}

uint32_t wv_handle_live(void) { return live; }
