/* The fused glue test's extra export: more than 16 flat parameters, which a caller passes
 * as a pointer to their tuple. Built with glue_echo.c and the lowered glue only. */
#include "glue.h"

uint32_t test_glue_wide_spill(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f,
                              uint32_t g, uint32_t h, uint32_t i, uint32_t j, uint32_t k, uint32_t l,
                              uint32_t m, uint32_t n, uint32_t o, uint32_t p, const wv_string_t *s) {
  uint32_t args[16] = {a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p};
  uint32_t sum = 0;
  for (uint32_t x = 0; x < 16; x++) sum += (x + 1) * args[x];  /* weighted: order matters */
  for (size_t x = 0; x < s->len; x++) sum += 1000u * s->ptr[x];
  return sum;
}
