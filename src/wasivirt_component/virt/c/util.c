/* Small shared helpers: error-code names, UTF-8 validation, word-at-a-time byte tests.
 *
 * The byte tests read 8 bytes at a time (wasm loads need no alignment) but never past the
 * `n` bytes they are given: the last word overlaps the one before instead. Why: paths and
 * names are checked on every call, and a byte loop costs more than the lookups they feed. */
#include "wv.h"

static const char *const names[E_COUNT] = {
  "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
  "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
  "is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
  "no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
  "not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
  "not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device",
};

const char *wv_error_name(int code) {
  return code >= 0 && code < E_COUNT ? names[code] : "error";
}

static inline uint64_t word(const uint8_t *p) {
  uint64_t w;
  __builtin_memcpy(&w, p, 8);
  return w;
}

static inline uint32_t half(const uint8_t *p) {
  uint32_t w;
  __builtin_memcpy(&w, p, 4);
  return w;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

bool wv_has_nul(const uint8_t *p, size_t n) {
  if (n < 8) {
    for (size_t i = 0; i < n; i++) {
      if (!p[i]) return true;
    }
    return false;
  }
  for (size_t i = 0;; i += 8) {
    if (i + 8 > n) i = n - 8;  /* the last word, overlapping */
    uint64_t w = word(p + i);
    if ((w - ONES) & ~w & HIGHS) return true;
    if (i + 8 == n) return false;
  }
}

bool wv_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n) {
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      if (word(a + i) != word(b + i)) return false;
    }
    return word(a + n - 8) == word(b + n - 8);
  }
  if (n >= 4) return half(a) == half(b) && half(a + n - 4) == half(b + n - 4);
  /* 0, n/2 and n-1 cover every byte of 1 to 3 */
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

uint32_t wv_name_hash(const uint8_t *s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n, w;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ word(s + i)) * 0xFF51AFD7ED558CCDull;
  size_t rest = n - i;
  s += i;
  if (rest >= 4) w = half(s) | (uint64_t)half(s + rest - 4) << 32;
  else w = rest ? (uint64_t)s[0] | (uint64_t)s[rest / 2] << 8 | (uint64_t)s[rest - 1] << 16 : 0;
  h = (h ^ w) * 0xFF51AFD7ED558CCDull;  /* murmur3's finalizer: every bit reaches the low ones */
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return (uint32_t)h;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
bool wv_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n && !(word(s + i) & HIGHS)) {  /* eight ASCII bytes */
      i += 8;
      continue;
    }
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07;
    else return false;
    if (n - i <= need) return false;
    for (size_t k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += need + 1;
  }
  return true;
}
