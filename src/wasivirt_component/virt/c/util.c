/* Small shared helpers: error-code names and UTF-8 validation. */
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

/* Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
bool wv_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
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
