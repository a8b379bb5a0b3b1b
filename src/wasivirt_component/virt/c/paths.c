/* Path resolution with wasmtime's (cap-std's) sandbox rules, over the virtual tree.
 *
 * A path is resolved relative to a directory and may never leave it: an absolute path, a
 * `..` above the starting directory, or a symlink whose target is absolute or climbs out
 * is `not-permitted` (what wasmtime's native host returns). Intermediate symlinks are
 * always followed, the last one only when asked (or when a trailing slash demands a
 * directory, unless `keep_last_link`: mkdir, rename, symlink and link name the link
 * itself); more than 40 expansions is `loop`.
 */
#include "wv.h"

typedef struct { const uint8_t *ptr; size_t len; } part;

typedef struct {
  part *items;
  size_t n, cap;
} parts;

static bool push(parts *s, const uint8_t *p, size_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    part *items = wv_realloc(s->items, cap * sizeof(part));
    if (!items) return false;
    s->items = items;
    s->cap = cap;
  }
  s->items[s->n++] = (part){p, len};
  return true;
}

/* Push the non-empty components of `p` so that the first ends on top. */
static bool push_components(parts *s, const uint8_t *p, size_t len) {
  size_t start = s->n, i = 0;
  while (i < len) {
    while (i < len && p[i] == '/') i++;
    size_t j = i;
    while (j < len && p[j] != '/') j++;
    if (j > i && !push(s, p + i, j - i)) return false;
    i = j;
  }
  for (size_t a = start, b = s->n; a + 1 < b; a++, b--) {  /* reverse: first on top */
    part t = s->items[a];
    s->items[a] = s->items[b - 1];
    s->items[b - 1] = t;
  }
  return true;
}

typedef struct {
  wv_node **items;
  size_t n, cap;
} dirs;

static bool push_dir(dirs *s, wv_node *d) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    wv_node **items = wv_realloc(s->items, cap * sizeof(wv_node *));
    if (!items) return false;
    s->items = items;
    s->cap = cap;
  }
  s->items[s->n++] = d;
  return true;
}

static bool memchr_nul(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!p[i]) return true;
  }
  return false;
}

static bool is_dot(part p) { return p.len == 1 && p.ptr[0] == '.'; }
static bool is_dotdot(part p) { return p.len == 2 && p.ptr[0] == '.' && p.ptr[1] == '.'; }

bool wv_utf8_valid(const uint8_t *s, size_t n);

int wv_resolve(wv_node *base, const uint8_t *path, size_t len, bool follow, bool keep_last_link,
               wv_resolved *out) {
  *out = (wv_resolved){0};
  if (len == 0) return E_NO_ENTRY;
  if (path[0] == '/') return E_NOT_PERMITTED;
  if (memchr_nul(path, len)) return E_INVALID;
  bool trailing = path[len - 1] == '/';
  parts todo = {0};
  dirs walked = {0};
  int err = WV_OK;
  unsigned expansions = 0;
  if (!push_components(&todo, path, len) || !push_dir(&walked, base)) {
    err = E_INSUFFICIENT_MEMORY;
    goto done;
  }
  while (todo.n) {
    part p = todo.items[--todo.n];
    if (is_dot(p)) continue;
    if (is_dotdot(p)) {
      if (walked.n == 1) {
        err = E_NOT_PERMITTED;
        goto done;
      }
      walked.n--;
      continue;
    }
    if (p.len > WV_NAME_MAX) {
      err = E_NAME_TOO_LONG;
      goto done;
    }
    wv_node *current = walked.items[walked.n - 1];
    wv_node *node;
    err = wv_dir_lookup(current, p.ptr, p.len, &node);
    if (err != WV_OK) goto done;
    bool last = todo.n == 0;
    if (!node) {
      if (last) {
        *out = (wv_resolved){current, p.ptr, p.len, 0, trailing};
        goto done;
      }
      err = E_NO_ENTRY;
      goto done;
    }
    if (node->kind == N_SYMLINK && (!last || follow || (trailing && !keep_last_link))) {
      if (++expansions > WV_MAX_SYMLINK_EXPANSIONS) {
        err = E_LOOP;
        goto done;
      }
      const uint8_t *target = node->u.link.target;
      uint32_t tlen = node->u.link.len;
      if (tlen == 0xFFFFFFFFu || !wv_utf8_valid(target, tlen)) {
        err = E_IO;
        goto done;
      }
      if (tlen == 0) {
        err = E_NO_ENTRY;
        goto done;
      }
      if (target[0] == '/') {
        err = E_NOT_PERMITTED;
        goto done;
      }
      if (last && target[tlen - 1] == '/') trailing = true;
      if (!push_components(&todo, target, tlen)) {
        err = E_INSUFFICIENT_MEMORY;
        goto done;
      }
      continue;
    }
    if (last) {
      *out = (wv_resolved){current, p.ptr, p.len, node, trailing};
      goto done;
    }
    if (node->kind == N_DIR) {
      if (!push_dir(&walked, node)) {
        err = E_INSUFFICIENT_MEMORY;
        goto done;
      }
    } else if (node->kind == N_MOUNT) {
      err = E_UNSUPPORTED;
      goto done;
    } else {
      err = E_NOT_DIRECTORY;
      goto done;
    }
  }
  /* the path ended in `.` or `..` (or was only those): it names a directory itself */
  *out = (wv_resolved){0, 0, 0, walked.items[walked.n - 1], trailing};
done:
  wv_free(todo.items);
  wv_free(walked.items);
  return err;
}

int wv_resolve_existing(wv_node *base, const uint8_t *path, size_t len, bool follow, wv_node **out) {
  wv_resolved r;
  int err = wv_resolve(base, path, len, follow, false, &r);
  if (err != WV_OK) return err;
  if (!r.node) return E_NO_ENTRY;
  if (r.trailing_slash && r.node->kind != N_DIR && r.node->kind != N_MOUNT) return E_NOT_DIRECTORY;
  *out = r.node;
  return WV_OK;
}
