/* The glue generator's test component: every export echoes or transforms its arguments,
 * the host-* exports round-trip through the imported `host` interface. Built with the
 * virtualizer's allocator (alloc.c) and glue generated for tests/test_glue.py's world. */
#include "glue.h"

void *wv_malloc(size_t n);
uint8_t *wv_dup(const uint8_t *p, size_t n);
size_t wv_heap_in_use(void);
extern unsigned char __heap_base;
uintptr_t wv_heap_start(void) { return (uintptr_t)&__heap_base; }

static wv_string_t copy_string(const wv_string_t *s) {
  return (wv_string_t){wv_dup(s->ptr, s->len), s->len};
}

static wv_string_t literal(const char *text) {
  size_t n = 0;
  while (text[n]) n++;
  return (wv_string_t){wv_dup((const uint8_t *)text, n), n};
}

/* -- the counter resource -------------------------------------------------------------- */
struct test_glue_types_counter { uint32_t value; };
static int live_counters;

test_glue_types_counter_t *test_glue_types_counter_constructor(uint32_t start) {
  test_glue_types_counter_t *c = wv_malloc(sizeof(*c));
  c->value = start;
  live_counters++;
  return c;
}

void test_glue_types_counter_destroy(test_glue_types_counter_t *self) {
  live_counters--;
  wv_free(self);
}

uint32_t test_glue_types_counter_incr(test_glue_types_counter_t *self, uint32_t by) {
  return self->value += by;
}

uint32_t test_glue_types_counter_total(const wv_list_borrow_test_glue_types_counter_t *counters) {
  uint32_t sum = 0;
  for (size_t i = 0; i < counters->len; i++) sum += counters->ptr[i]->value;
  return sum;
}

/* -- plain echoes ---------------------------------------------------------------------- */
bool test_glue_api_echo_bool(bool b) { return b; }

void test_glue_api_echo_ints(uint8_t a, int8_t b, uint16_t c, int16_t d, uint32_t e, int32_t f,
                             uint64_t g, int64_t h, wv_tuple8_u8_s8_u16_s16_u32_s32_u64_s64_t *ret) {
  *ret = (wv_tuple8_u8_s8_u16_s16_u32_s32_u64_s64_t){a, b, c, d, e, f, g, h};
}

void test_glue_api_echo_floats(float a, double b, wv_tuple2_f32_f64_t *ret) {
  *ret = (wv_tuple2_f32_f64_t){a, b};
}

uint32_t test_glue_api_echo_char(uint32_t c) { return c; }

void test_glue_api_echo_string(const wv_string_t *s, wv_string_t *ret) { *ret = copy_string(s); }

void test_glue_api_echo_strings(const wv_list_string_t *l, wv_list_string_t *ret) {
  ret->len = l->len;
  ret->ptr = wv_malloc(l->len * sizeof(wv_string_t) + 1);
  for (size_t i = 0; i < l->len; i++) ret->ptr[i] = copy_string(&l->ptr[i]);
}

void test_glue_api_echo_point(const test_glue_types_point_t *p, test_glue_types_point_t *ret) {
  *ret = *p;
  ret->label = copy_string(&p->label);
}

void test_glue_api_echo_shape(const test_glue_types_shape_t *s, test_glue_types_shape_t *ret) {
  *ret = *s;
  if (s->tag == TEST_GLUE_TYPES_SHAPE_RECT) ret->val.rect.label = copy_string(&s->val.rect.label);
  if (s->tag == TEST_GLUE_TYPES_SHAPE_BLOB) {
    ret->val.blob.ptr = wv_dup(s->val.blob.ptr, s->val.blob.len);
  }
}

test_glue_types_color_t test_glue_api_echo_color(test_glue_types_color_t c) { return c; }
test_glue_types_perms_t test_glue_api_echo_perms(test_glue_types_perms_t p) { return p; }

bool test_glue_api_echo_option(const wv_option_test_glue_types_point_t *o, test_glue_types_point_t *ret) {
  if (o->is_some) test_glue_api_echo_point(&o->val, ret);
  return o->is_some;
}

bool test_glue_api_echo_result(const wv_result_u32_string_t *r, uint32_t *ret, wv_string_t *err) {
  if (r->is_err) {
    *err = copy_string(&r->val.err);
    return false;
  }
  *ret = r->val.ok;
  return true;
}

void test_glue_api_sum_points(const wv_list_test_glue_types_point_t *ps, test_glue_types_point_t *ret) {
  int32_t x = 0, y = 0;
  for (size_t i = 0; i < ps->len; i++) x += ps->ptr[i].x, y += ps->ptr[i].y;
  *ret = (test_glue_types_point_t){x, y, literal("sum")};
}

void test_glue_api_make_counters(uint32_t n, wv_list_own_test_glue_types_counter_t *ret) {
  ret->len = n;
  ret->ptr = wv_malloc(n * sizeof(test_glue_types_counter_t *) + 1);
  for (uint32_t i = 0; i < n; i++) ret->ptr[i] = test_glue_types_counter_constructor(i * 10);
}

bool test_glue_api_try_counter(bool ok, test_glue_types_counter_t **ret, wv_string_t *err) {
  if (!ok) {
    *err = literal("refused");
    return false;
  }
  *ret = test_glue_types_counter_constructor(7);
  return true;
}

/* -- through the host ------------------------------------------------------------------ */
void test_glue_api_host_reverse(const wv_list_u8_t *data, wv_list_u8_t *ret) {
  test_glue_host_reverse(data, ret);  /* the host's bytes, in our memory: returned as they are */
}

void test_glue_api_host_swap(int32_t x, int32_t y, wv_tuple2_s32_s32_t *ret) {
  test_glue_host_hpoint_t p = {x, y}, q;
  test_glue_host_swap(&p, &q);
  *ret = (wv_tuple2_s32_s32_t){q.x, q.y};
}

void test_glue_api_host_transform(uint8_t tag, int64_t n, const wv_string_t *text, float r,
                                  test_glue_api_described_t *ret) {
  test_glue_host_hval_t in = {.tag = tag}, out;
  if (tag == TEST_GLUE_HOST_HVAL_NUM) in.val.num = n;
  if (tag == TEST_GLUE_HOST_HVAL_TEXT) in.val.text = *text;
  if (tag == TEST_GLUE_HOST_HVAL_RATIO) in.val.ratio = r;
  test_glue_host_transform(&in, &out);
  *ret = (test_glue_api_described_t){out.tag, 0, {0, 0}, 0};
  if (out.tag == TEST_GLUE_HOST_HVAL_NUM) ret->num = out.val.num;
  if (out.tag == TEST_GLUE_HOST_HVAL_TEXT) ret->text = out.val.text;  /* host-allocated: ours now */
  if (out.tag == TEST_GLUE_HOST_HVAL_RATIO) ret->ratio = out.val.ratio;
}

bool test_glue_api_host_maybe(uint32_t n, uint64_t *ret) { return test_glue_host_maybe(n, ret); }

bool test_glue_api_host_divide(int64_t a, int64_t b, int64_t *ret, wv_string_t *err) {
  return test_glue_host_divide(a, b, ret, err);
}

void test_glue_api_host_token_name(const wv_string_t *name, wv_string_t *ret) {
  test_glue_host_token_own_t t = test_glue_host_make_token(name);
  test_glue_host_token_name(test_glue_host_token_borrow(t), ret);
  test_glue_host_token_drop(t);
}

void test_glue_api_host_words(const wv_string_t *text, wv_list_string_t *ret) {
  test_glue_host_words(text, ret);
}

uint32_t test_glue_api_heap_in_use(void) { return (uint32_t)wv_heap_in_use(); }
uint32_t test_glue_api_live_counters(void) { return (uint32_t)live_counters; }
