/* Path resolution with wasmtime's (cap-std's) sandbox rules, over the virtual tree and
 * into host mounts.
 *
 * A path is resolved relative to a directory and may never leave it: an absolute path, a
 * `..` above the starting directory, or a symlink whose target is absolute or climbs out
 * is `not-permitted` (what wasmtime's native host returns). Intermediate symlinks are
 * always followed, the last one only when asked (or when a trailing slash demands a
 * directory, unless `keep_last_link`: mkdir, rename, symlink and link name the link
 * itself); more than 40 expansions is `loop`.
 *
 * Walking into a host mount, the rest of the path is the host's. When the mount hides no
 * names and the rest has no `..`, it goes to the host in one call: the host confines it to
 * the mount's directory (cap-std) and its answers are wasmtime's own. Otherwise every
 * component is looked up here (one host call each), so a hidden name is never reached,
 * not even through a symlink, and `..` at the mount's root leads back into the virtual
 * tree, as with a real mount.
 */
#include "wv.h"

typedef struct { const uint8_t *ptr; size_t len; } part;

typedef struct {
  part *items;
  size_t n, cap;
} parts;

/* A directory on the way: a virtual one, or one inside the current host mount whose path
 * (relative to the mount's base descriptor) is rel[0, rel_end). */
typedef struct {
  wv_node *node;
  uint32_t rel_end;
} frame;

/* Paths are short: the component stack and the frames start in buffers inside the walk
 * (on the C stack) and move to the heap only when a path is deeper than that. */
#define WALK_INLINE 32

typedef struct {
  parts todo;
  frame *frames;
  size_t nframes, frames_cap;
  part todo_inline[WALK_INLINE];
  frame frames_inline[WALK_INLINE];
  uint8_t *rel;            /* the deepest host path seen */
  size_t rel_cap;
  wv_mount *mount;         /* the host mount the top frames are in */
  int32_t base;
  uint8_t **targets;       /* host symlink targets, freed at the end */
  size_t ntargets, targets_cap;
} walk;

/* Grow *items (cap elements of `size` bytes) to hold `need`; `inline_buf` is the buffer it
 * may start in, which is never reallocated or freed. */
static bool grow_from(void **items, size_t *cap, size_t need, size_t size, void *inline_buf) {
  if (need <= *cap) return true;
  size_t cap2 = *cap ? *cap * 2 : 16;
  while (cap2 < need) cap2 *= 2;
  void *p;
  if (*items && *items == inline_buf) {
    p = wv_malloc(cap2 * size);
    if (p) memcpy(p, *items, *cap * size);
  } else {
    p = wv_realloc(*items, cap2 * size);
  }
  if (!p) return false;
  *items = p;
  *cap = cap2;
  return true;
}

static bool grow(void **items, size_t *cap, size_t need, size_t size) {
  return grow_from(items, cap, need, size, 0);
}

static bool push(parts *s, const uint8_t *p, size_t len, part *inline_buf) {
  if (!grow_from((void **)&s->items, &s->cap, s->n + 1, sizeof(part), inline_buf)) return false;
  s->items[s->n++] = (part){p, len};
  return true;
}

/* Push the non-empty components of `p` so that the first ends on top. */
static bool push_components(parts *s, const uint8_t *p, size_t len, part *inline_buf) {
  size_t start = s->n, i = 0;
  while (i < len) {
    while (i < len && p[i] == '/') i++;
    size_t j = i;
    while (j < len && p[j] != '/') j++;
    if (j > i && !push(s, p + i, j - i, inline_buf)) return false;
    i = j;
  }
  for (size_t a = start, b = s->n; a + 1 < b; a++, b--) {  /* reverse: first on top */
    part t = s->items[a];
    s->items[a] = s->items[b - 1];
    s->items[b - 1] = t;
  }
  return true;
}

static bool push_frame(walk *w, wv_node *node, uint32_t rel_end) {
  if (!grow_from((void **)&w->frames, &w->frames_cap, w->nframes + 1, sizeof(frame), w->frames_inline)) return false;
  w->frames[w->nframes++] = (frame){node, rel_end};
  return true;
}

static bool is_dot(part p) { return p.len == 1 && p.ptr[0] == '.'; }
static bool is_dotdot(part p) { return p.len == 2 && p.ptr[0] == '.' && p.ptr[1] == '.'; }

/* rel[0, end) + "/" + name, into w->rel; returns the new length (0 when out of memory). */
static size_t rel_join(walk *w, uint32_t end, const uint8_t *name, size_t len) {
  size_t total = end + (end ? 1 : 0) + len;
  if (!grow((void **)&w->rel, &w->rel_cap, total + 1, 1)) return 0;
  size_t pos = end;
  if (end) w->rel[pos++] = '/';
  memcpy(w->rel + pos, name, len);
  return total;
}

/* The host result: the call to make is on w->base with `path`. */
static int host_result(walk *w, const uint8_t *path, size_t len, wv_resolved *out) {
  out->mount = w->mount;
  out->host_base = w->base;
  out->host_path = wv_dup(len ? path : (const uint8_t *)".", len ? len : 1);
  out->host_len = len ? len : 1;
  return out->host_path ? WV_OK : E_INSUFFICIENT_MEMORY;
}

/* The rest of the path, from the current host directory, handed to the host as it is. */
static int hand_over(walk *w, uint32_t end, bool trailing, bool follow, wv_resolved *out) {
  size_t total = end;
  for (size_t i = 0; i < w->todo.n; i++) total += w->todo.items[i].len + 1;
  if (!grow((void **)&w->rel, &w->rel_cap, total + 2, 1)) return E_INSUFFICIENT_MEMORY;
  size_t pos = end;
  for (size_t i = w->todo.n; i-- > 0;) {
    if (pos) w->rel[pos++] = '/';
    memcpy(w->rel + pos, w->todo.items[i].ptr, w->todo.items[i].len);
    pos += w->todo.items[i].len;
  }
  if (trailing) w->rel[pos++] = '/';
  out->host_follow = follow;
  out->host_kind = WM_UNKNOWN;
  return host_result(w, w->rel, pos, out);
}

static bool fast_path_allowed(walk *w) {
  if (wv_mount_has_hides(w->mount)) return false;
  for (size_t i = 0; i < w->todo.n; i++) {
    if (is_dotdot(w->todo.items[i])) return false;
  }
  return true;
}

/* Follow a symlink's target: push its components (the caller checks the count). */
static int expand(walk *w, const uint8_t *target, size_t tlen, bool last, bool *trailing) {
  if (!wv_utf8_valid(target, tlen)) return E_IO;
  if (tlen == 0) return E_NO_ENTRY;
  if (target[0] == '/') return E_NOT_PERMITTED;
  if (last && target[tlen - 1] == '/') *trailing = true;
  return push_components(&w->todo, target, tlen, w->todo_inline) ? WV_OK : E_INSUFFICIENT_MEMORY;
}

static int resolve(walk *w, const uint8_t *path, size_t len, bool follow, bool keep_last_link,
                   wv_resolved *out) {
  bool trailing = path[len - 1] == '/';
  unsigned expansions = 0;
  if (!push_components(&w->todo, path, len, w->todo_inline)) return E_INSUFFICIENT_MEMORY;
  while (w->todo.n) {
    frame top = w->frames[w->nframes - 1];
    if (!top.node && fast_path_allowed(w)) return hand_over(w, top.rel_end, trailing, follow, out);
    part p = w->todo.items[--w->todo.n];
    if (is_dot(p)) continue;
    if (is_dotdot(p)) {
      if (w->nframes == 1) return E_NOT_PERMITTED;
      w->nframes--;
      if (w->frames[w->nframes - 1].node) w->mount = out->mount = 0;  /* back in the virtual tree */
      continue;
    }
    if (p.len > WV_NAME_MAX) return E_NAME_TOO_LONG;
    bool last = w->todo.n == 0;
    out->name = p.ptr;
    out->name_len = p.len;
    out->trailing_slash = trailing;
    if (top.node) {  /* -- a virtual directory -- */
      wv_node *node;
      int err = wv_dir_lookup(top.node, p.ptr, p.len, &node);
      if (err != WV_OK) return err;
      out->parent = top.node;
      if (!node) {
        if (last) return WV_OK;
        return E_NO_ENTRY;
      }
      if (node->kind == N_SYMLINK && (!last || follow || (trailing && !keep_last_link))) {
        if (++expansions > WV_MAX_SYMLINK_EXPANSIONS) return E_LOOP;
        if (node->u.link.len == 0xFFFFFFFFu) return E_IO;
        err = expand(w, node->u.link.target, node->u.link.len, last, &trailing);
        if (err != WV_OK) return err;
        continue;
      }
      if (node->kind == N_MOUNT && node->u.mount.mount) {
        wv_mount *m = node->u.mount.mount;
        int32_t root;
        err = wv_mount_ready(m, &root);
        if (err != WV_OK) return err;
        out->node = node;
        w->mount = out->mount = m;
        w->base = root;
        if (wv_mount_is_file(m)) {  /* root is the preopen; the file is the mount's path */
          if (!last) return E_NOT_DIRECTORY;
          out->host_kind = WM_UNKNOWN;
          out->host_follow = true;
          wv_bytes file = wv_mount_path(m);
          return host_result(w, file.ptr, file.len, out);
        }
        if (last) {
          out->host_kind = WM_DIR;
          return host_result(w, 0, 0, out);
        }
        if (!push_frame(w, 0, 0)) return E_INSUFFICIENT_MEMORY;
        out->node = 0;
        continue;
      }
      out->node = node;
      if (last) return WV_OK;
      if (node->kind == N_DIR) {
        if (!push_frame(w, node, 0)) return E_INSUFFICIENT_MEMORY;
      } else if (node->kind == N_MOUNT) {
        return E_UNSUPPORTED;
      } else {
        return E_NOT_DIRECTORY;
      }
      out->node = 0;
      continue;
    }
    /* -- a directory inside a host mount -- */
    out->parent = 0;
    size_t rlen = rel_join(w, top.rel_end, p.ptr, p.len);
    if (!rlen) return E_INSUFFICIENT_MEMORY;
    if (wv_mount_hides(w->mount, p.ptr, p.len)) {
      if (!last) return E_NO_ENTRY;
      out->host_hidden = true;
      out->host_kind = WM_MISSING;
      return host_result(w, w->rel, rlen, out);
    }
    uint8_t kind;
    int err = wv_host_lookup(w->base, w->rel, rlen, &kind);
    if (err != WV_OK) return err;
    if (kind == WM_MISSING) {
      if (!last) return E_NO_ENTRY;
      out->host_kind = WM_MISSING;
      return host_result(w, w->rel, rlen, out);
    }
    if (kind == WM_SYMLINK && (!last || follow || (trailing && !keep_last_link))) {
      if (++expansions > WV_MAX_SYMLINK_EXPANSIONS) return E_LOOP;
      wv_bytes target;
      err = wv_host_link_target(w->base, w->rel, rlen, &target);
      if (err != WV_OK) return err;
      if (!grow((void **)&w->targets, &w->targets_cap, w->ntargets + 1, sizeof(uint8_t *))) {
        wv_free((void *)target.ptr);
        return E_INSUFFICIENT_MEMORY;
      }
      w->targets[w->ntargets++] = (uint8_t *)target.ptr;
      err = expand(w, target.ptr, target.len, last, &trailing);
      if (err != WV_OK) return err;
      continue;
    }
    if (last) {
      out->host_kind = kind;
      return host_result(w, w->rel, rlen, out);
    }
    if (kind != WM_DIR) return E_NOT_DIRECTORY;
    if (!push_frame(w, 0, (uint32_t)rlen)) return E_INSUFFICIENT_MEMORY;
  }
  /* the path ended in `.` or `..` (or was only those): it names a directory itself */
  frame top = w->frames[w->nframes - 1];
  out->names_itself = true;
  out->parent = 0;
  out->name = 0;
  out->name_len = 0;
  out->trailing_slash = trailing;
  if (top.node) {
    out->node = top.node;
    return WV_OK;
  }
  out->host_kind = WM_DIR;
  return host_result(w, w->rel, top.rel_end, out);
}

/* The common case, walked without the component stack: a path of plain names through
 * virtual directories only. It visits the components in the order `resolve` does and
 * answers exactly as it would; at the first `.`, `..`, symlink to follow or host mount it
 * gives up (FAST_NO) before changing anything but `*out` and lazily decoded directories
 * (which `resolve` would decode the same way), and the caller starts over with the full
 * walk. Why: open and stat of `dir/file` are most of what programs do, and the full walk's
 * stack of components costs as much as the lookups themselves. */
#define FAST_NO (-2)

static int resolve_plain(wv_node *dir, const uint8_t *path, size_t len, bool follow, bool keep_last_link,
                         wv_resolved *out) {
  bool trailing = path[len - 1] == '/';
  size_t i = 0;
  while (i < len && path[i] == '/') i++;
  if (i == len) return FAST_NO;  /* only slashes (cannot happen: not absolute) */
  for (;;) {
    size_t j = i;
    while (j < len && path[j] != '/') j++;
    const uint8_t *name = path + i;
    size_t n = j - i;
    if (name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.'))) return FAST_NO;
    while (j < len && path[j] == '/') j++;
    bool last = j == len;
    if (n > WV_NAME_MAX) return E_NAME_TOO_LONG;
    out->name = name;
    out->name_len = n;
    out->trailing_slash = trailing;
    wv_node *node;
    int err = wv_dir_lookup(dir, name, n, &node);
    if (err != WV_OK) return err;
    out->parent = dir;
    if (!node) return last ? WV_OK : E_NO_ENTRY;
    if (node->kind == N_SYMLINK && (!last || follow || (trailing && !keep_last_link))) return FAST_NO;
    if (node->kind == N_MOUNT && node->u.mount.mount) return FAST_NO;
    out->node = node;
    if (last) return WV_OK;
    if (node->kind != N_DIR) return node->kind == N_MOUNT ? E_UNSUPPORTED : E_NOT_DIRECTORY;
    out->node = 0;
    dir = node;
    i = j;
  }
}

/* From a directory inside a mount that hides nothing, a path without `..` is the host's as
 * it is: `resolve` would hand it over before its first step (with repeated slashes merged,
 * which the host ignores too), so no walk and no copy; the result borrows `path`. This is
 * every stat and open of a plain mount, where the host's answer is the whole cost. */
static bool host_direct(wv_desc *d, const uint8_t *path, size_t len, bool follow, wv_resolved *out) {
  if (wv_mount_has_hides(d->mount)) return false;
  for (size_t i = 0; i + 1 < len; i++) {
    if (path[i] == '.' && path[i + 1] == '.' && (i == 0 || path[i - 1] == '/') &&
        (i + 2 == len || path[i + 2] == '/'))
      return false;
  }
  out->mount = d->mount;
  out->host_base = d->host;
  out->host_path = (uint8_t *)path;
  out->host_len = len;
  out->host_borrowed = true;
  out->host_follow = follow;
  out->host_kind = WM_UNKNOWN;
  return true;
}

int wv_resolve(wv_desc *d, const uint8_t *path, size_t len, bool follow, bool keep_last_link,
               wv_resolved *out) {
  *out = (wv_resolved){0};
  if (d->node && d->node->kind != N_DIR) return E_NOT_DIRECTORY;  /* (a host one: the host says) */
  if (!d->node && d->host < 0) return E_NO_ENTRY;  /* a mount whose host directory is missing */
  if (len == 0) return E_NO_ENTRY;
  if (path[0] == '/') return E_NOT_PERMITTED;
  if (wv_has_nul(path, len)) return E_INVALID;
  if (d->node) {
    int fast = resolve_plain(d->node, path, len, follow, keep_last_link, out);
    if (fast != FAST_NO) return fast;
    *out = (wv_resolved){0};
  } else if (host_direct(d, path, len, follow, out)) {
    return WV_OK;
  }
  walk w;
  w.todo = (parts){w.todo_inline, 0, WALK_INLINE};
  w.frames = w.frames_inline;
  w.nframes = 0;
  w.frames_cap = WALK_INLINE;
  w.rel = 0;
  w.rel_cap = 0;
  w.mount = 0;
  w.base = 0;
  w.targets = 0;
  w.ntargets = w.targets_cap = 0;
  int err = push_frame(&w, d->node, 0) ? WV_OK : E_INSUFFICIENT_MEMORY;
  if (!d->node) {
    w.mount = out->mount = d->mount;
    w.base = d->host;
  }
  if (err == WV_OK) err = resolve(&w, path, len, follow, keep_last_link, out);
  if (err != WV_OK) wv_resolved_free(out);
  if (w.todo.items != w.todo_inline) wv_free(w.todo.items);
  if (w.frames != w.frames_inline) wv_free(w.frames);
  wv_free(w.rel);
  for (size_t i = 0; i < w.ntargets; i++) wv_free(w.targets[i]);
  wv_free(w.targets);
  return err;  /* (a host result's `name` may point into a freed target: callers use host_path) */
}

void wv_resolved_free(wv_resolved *r) {
  if (!r->host_borrowed) wv_free(r->host_path);
  r->host_path = 0;
}

int wv_resolve_existing(wv_node *base, const uint8_t *path, size_t len, bool follow, wv_node **out) {
  wv_desc d = {.node = base};
  wv_resolved r;
  int err = wv_resolve(&d, path, len, follow, false, &r);
  if (err != WV_OK) return err;
  if (r.mount) {
    wv_resolved_free(&r);
    return E_CROSS_DEVICE;  /* callers that need a virtual node */
  }
  if (!r.node) return E_NO_ENTRY;
  if (r.trailing_slash && r.node->kind != N_DIR && r.node->kind != N_MOUNT) return E_NOT_DIRECTORY;
  *out = r.node;
  return WV_OK;
}
