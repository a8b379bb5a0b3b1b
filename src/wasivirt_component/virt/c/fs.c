/* Descriptors: the `wasi:filesystem/types` operations over the virtual tree.
 *
 * Semantics follow wasmtime's native host (the reference the differential tests compare
 * against), with the image's permission model on top: changing a read-only node is
 * `access`, changing anything in a tree whose header says read-only is `read-only`.
 * Descriptor flags record the open mode; like wasmtime, `mutate-directory` is reported but
 * not required for mutations (the preview1 adapter never sets it).
 */
#include "wv.h"

static wv_desc make_desc(wv_node *n, uint8_t flags) {
  wv_node_ref(n);
  return (wv_desc){n, flags};
}

void wv_desc_release(wv_desc *d) {
  wv_node_unref(d->node);
  d->node = 0;
}

int wv_preopen(wv_desc *out) {
  wv_tree *t = wv_tree_get();
  if (t->error != WV_OK) return t->error;
  *out = make_desc(t->root, wv_tree_read_only() ? DF_READ : DF_READ | DF_MUTATE_DIRECTORY);
  return WV_OK;
}

static int as_dir(wv_desc *d, wv_node **out) {
  if (d->node->kind != N_DIR) return E_NOT_DIRECTORY;
  *out = d->node;
  return WV_OK;
}

int wv_stat_node(wv_node *n, wv_stat *out) {
  out->type = wv_node_type(n);
  out->links = n->links;
  out->size = wv_node_size(n);
  wv_node_times(n, out->times);
  return WV_OK;
}

int wv_stat_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_stat *out) {
  wv_node *base, *n;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = wv_resolve_existing(base, path, len, path_flags & PF_SYMLINK_FOLLOW, &n);
  if (err == WV_OK) err = wv_stat_node(n, out);
  return err;
}

int wv_ino_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, uint64_t *ino) {
  wv_node *base, *n;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = wv_resolve_existing(base, path, len, path_flags & PF_SYMLINK_FOLLOW, &n);
  if (err == WV_OK) *ino = n->ino;
  return err;
}

int wv_set_times(wv_node *n, const wv_new_time *atime, const wv_new_time *mtime) {
  if (atime->kind == 0 && mtime->kind == 0) return WV_OK;
  int err = wv_check_writable(n);
  if (err != WV_OK) return err;
  wv_time old[3];
  wv_node_times(n, old);
  /* no host clock call of our own: "now" is the image time */
  wv_time now;
  const wv_image_header *h = wv_image();
  now = h->present ? h->stamp : (wv_time){0, 0};
  if (!n->times) {
    n->times = wv_malloc(3 * sizeof(wv_time));
    if (!n->times) return E_INSUFFICIENT_MEMORY;
  }
  n->times[0] = atime->kind == 0 ? old[0] : atime->kind == 1 ? now : atime->t;
  n->times[1] = mtime->kind == 0 ? old[1] : mtime->kind == 1 ? now : mtime->t;
  n->times[2] = now;
  return WV_OK;
}

int wv_set_times_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len,
                    const wv_new_time *atime, const wv_new_time *mtime) {
  wv_node *base, *n;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = wv_resolve_existing(base, path, len, path_flags & PF_SYMLINK_FOLLOW, &n);
  if (err == WV_OK) err = wv_set_times(n, atime, mtime);
  return err;
}

int wv_readlink_at(wv_desc *d, const uint8_t *path, size_t len, wv_bytes *out) {
  wv_node *base, *n;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = wv_resolve_existing(base, path, len, false, &n);
  if (err != WV_OK) return err;
  if (n->kind != N_SYMLINK) return E_INVALID;
  if (n->u.link.len == 0xFFFFFFFFu) return E_IO;
  out->ptr = n->u.link.target;
  out->len = n->u.link.len;
  return WV_OK;
}

/* -- open-at ------------------------------------------------------------------------------ */
int wv_open_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, uint8_t open_flags,
               uint8_t flags, wv_desc *out) {
  wv_node *base;
  int err = as_dir(d, &base);
  if (err != WV_OK) return err;
  if (flags & DF_SYNC_FLAGS) return E_UNSUPPORTED;  /* as wasmtime */
  bool create = open_flags & OF_CREATE, truncate = open_flags & OF_TRUNCATE;
  if ((open_flags & OF_DIRECTORY) && (open_flags & (OF_CREATE | OF_EXCLUSIVE | OF_TRUNCATE)))
    return E_INVALID;
  /* as wasmtime: create and truncate imply writing, and a tree that cannot change refuses
   * them before looking at the path */
  bool write = (flags & DF_WRITE) || create || truncate;
  if (write && wv_tree_read_only()) return E_READ_ONLY;
  uint8_t read_mode = ((flags & DF_READ) || !(flags & DF_WRITE)) ? DF_READ : 0;
  wv_resolved r;
  err = wv_resolve(base, path, len, path_flags & PF_SYMLINK_FOLLOW, false, &r);
  if (err != WV_OK) return err;
  wv_node *n = r.node;
  if (!n) {
    if (!create) return E_NO_ENTRY;
    if (r.trailing_slash) return E_IS_DIRECTORY;
    err = wv_check_writable(r.parent);
    if (err != WV_OK) return err;
    n = wv_new_node(N_FILE);
    if (!n) return E_INSUFFICIENT_MEMORY;
    err = wv_dir_add(r.parent, r.name, r.name_len, n);
    if (err != WV_OK) {
      wv_node_discard(n);
      return err;
    }
    *out = make_desc(n, read_mode | DF_WRITE);
    return WV_OK;
  }
  if (create && (open_flags & OF_EXCLUSIVE)) return E_EXIST;
  switch (n->kind) {
    case N_DIR:
      if (write) return E_IS_DIRECTORY;
      *out = make_desc(n, DF_READ);  /* as wasmtime: no mutate-directory here */
      return WV_OK;
    case N_SYMLINK:
      return E_LOOP;  /* the last component is a link and following was not asked */
    case N_MOUNT:
      return E_UNSUPPORTED;
    default:
      break;
  }
  if ((open_flags & OF_DIRECTORY) || r.trailing_slash) return E_NOT_DIRECTORY;
  if (write) {
    err = wv_check_writable(n);
    if (err != WV_OK) return err;
    if (truncate) {
      err = wv_file_set_size(n, 0);
      if (err != WV_OK) return err;
    }
  }
  *out = make_desc(n, read_mode | (write ? DF_WRITE : 0));
  return WV_OK;
}

/* -- directory changes -------------------------------------------------------------------- */
int wv_create_directory_at(wv_desc *d, const uint8_t *path, size_t len) {
  wv_node *base;
  int err = as_dir(d, &base);
  if (err != WV_OK) return err;
  wv_resolved r;
  err = wv_resolve(base, path, len, false, true, &r);
  if (err != WV_OK) return err;
  if (r.node) return E_EXIST;
  err = wv_check_writable(r.parent);
  if (err != WV_OK) return err;
  wv_node *n = wv_new_node(N_DIR);
  if (!n) return E_INSUFFICIENT_MEMORY;
  n->flags |= NF_DECODED;
  n->u.dir.parent = r.parent;
  wv_node_ref(r.parent);
  err = wv_dir_add(r.parent, r.name, r.name_len, n);
  if (err != WV_OK) wv_node_discard(n);  /* and its parent reference */
  return err;
}

/* Where symlink-at / link-at create an entry: it must not exist yet. */
static int new_name(wv_node *base, const uint8_t *path, size_t len, wv_resolved *r) {
  int err = wv_resolve(base, path, len, false, true, r);
  if (err != WV_OK) return err;
  if (!r->name || (r->node && (r->node->kind == N_DIR || !r->trailing_slash))) return E_EXIST;
  if (r->trailing_slash) return r->node ? E_NOT_DIRECTORY : E_NO_ENTRY;  /* as wasmtime */
  return WV_OK;
}

int wv_symlink_at(wv_desc *d, const uint8_t *target, size_t tlen, const uint8_t *path, size_t len) {
  wv_node *base;
  int err = as_dir(d, &base);
  if (err != WV_OK) return err;
  wv_resolved r;
  err = new_name(base, path, len, &r);
  if (err != WV_OK) return err;
  if (tlen && target[0] == '/') return E_NOT_PERMITTED;  /* never followable in the sandbox */
  err = wv_check_writable(r.parent);
  if (err != WV_OK) return err;
  if (tlen >= 0xFFFFFFFFu) return E_NAME_TOO_LONG;
  wv_node *n = wv_new_node(N_SYMLINK);
  uint8_t *copy = n ? wv_dup(target, tlen) : 0;
  if (!copy) {
    if (n) wv_node_discard(n);
    return E_INSUFFICIENT_MEMORY;
  }
  n->u.link.target = copy;
  n->u.link.len = (uint32_t)tlen;
  err = wv_dir_add(r.parent, r.name, r.name_len, n);
  if (err != WV_OK) wv_node_discard(n);
  return err;
}

int wv_link_at(wv_desc *d, uint8_t old_flags, const uint8_t *old_path, size_t olen, wv_desc *nd,
               const uint8_t *new_path, size_t nlen) {
  wv_node *base, *new_base, *src;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = as_dir(nd, &new_base);
  if (err != WV_OK) return err;
  if (old_flags & PF_SYMLINK_FOLLOW) return E_INVALID;  /* as wasmtime */
  err = wv_resolve_existing(base, old_path, olen, false, &src);
  if (err != WV_OK) return err;
  wv_resolved r;
  err = new_name(new_base, new_path, nlen, &r);
  if (err != WV_OK) return err;
  if (src->kind == N_DIR || src->kind == N_MOUNT) return E_NOT_PERMITTED;
  err = wv_check_writable(r.parent);
  if (err != WV_OK) return err;
  err = wv_dir_add(r.parent, r.name, r.name_len, src);
  if (err == WV_OK) src->links++;
  return err;
}

int wv_unlink_file_at(wv_desc *d, const uint8_t *path, size_t len) {
  wv_node *base;
  int err = as_dir(d, &base);
  if (err != WV_OK) return err;
  wv_resolved r;
  err = wv_resolve(base, path, len, false, false, &r);
  if (err != WV_OK) return err;
  if (!r.name) return E_IS_DIRECTORY;
  wv_node *n = r.node;
  if (!n) {
    if (r.trailing_slash) {  /* `link/` to nothing: the link is no directory */
      wv_resolved k;
      if (wv_resolve(base, path, len, false, true, &k) == WV_OK && k.node) return E_NOT_DIRECTORY;
    }
    return E_NO_ENTRY;
  }
  if (n->kind == N_DIR) return E_IS_DIRECTORY;
  if (n->kind == N_MOUNT) return E_BUSY;
  if (r.trailing_slash) return E_NOT_DIRECTORY;
  err = wv_check_writable(r.parent);
  if (err != WV_OK) return err;
  n->links--;
  wv_dir_remove(r.parent, r.name, r.name_len);
  return WV_OK;
}

static bool entries_empty(wv_node *dir, int *err) {
  *err = wv_dir_entries(dir);
  return *err == WV_OK && dir->u.dir.live == 0;
}

int wv_remove_directory_at(wv_desc *d, const uint8_t *path, size_t len) {
  wv_node *base;
  int err = as_dir(d, &base);
  if (err != WV_OK) return err;
  wv_resolved r;
  err = wv_resolve(base, path, len, false, false, &r);
  if (err != WV_OK) return err;
  if (!r.name) return E_INVALID;  /* `.`, `..`: as rmdir(2) */
  wv_node *n = r.node;
  if (!n) return E_NO_ENTRY;
  if (n->kind == N_MOUNT) return E_BUSY;
  if (n->kind != N_DIR) return E_NOT_DIRECTORY;
  if (r.trailing_slash) return E_INVALID;  /* wasmtime resolves `d/` as `d/.` */
  err = wv_check_writable(r.parent);
  if (err != WV_OK) return err;
  if (!entries_empty(n, &err)) return err != WV_OK ? err : E_NOT_EMPTY;
  n->flags |= NF_GONE;
  wv_dir_remove(r.parent, r.name, r.name_len);
  return WV_OK;
}

static bool is_ancestor(wv_node *d, wv_node *n) {
  for (; n; n = n->u.dir.parent) {
    if (n == d) return true;
  }
  return false;
}

int wv_rename_at(wv_desc *d, const uint8_t *old_path, size_t olen, wv_desc *nd,
                 const uint8_t *new_path, size_t nlen) {
  wv_node *base, *new_base;
  int err = as_dir(d, &base);
  if (err == WV_OK) err = as_dir(nd, &new_base);
  if (err != WV_OK) return err;
  /* both parents are resolved before either last component is looked at (rename(2)) */
  wv_resolved o, n;
  err = wv_resolve(base, old_path, olen, false, true, &o);
  if (err == WV_OK) err = wv_resolve(new_base, new_path, nlen, false, true, &n);
  if (err != WV_OK) return err;
  if (!o.name || !n.name) return E_BUSY;
  wv_node *src = o.node, *dst = n.node;
  if (!src) return E_NO_ENTRY;
  bool src_is_dir = src->kind == N_DIR;
  if ((o.trailing_slash || n.trailing_slash) && !src_is_dir) return E_NOT_DIRECTORY;
  if (src->kind == N_MOUNT || (dst && dst->kind == N_MOUNT)) return E_BUSY;
  if (src == dst) return WV_OK;
  if ((err = wv_check_writable(o.parent)) != WV_OK) return err;
  if ((err = wv_check_writable(n.parent)) != WV_OK) return err;
  if (src_is_dir && is_ancestor(src, n.parent)) return E_INVALID;  /* into itself */
  if (dst && dst->kind == N_DIR && is_ancestor(dst, o.parent)) return E_NOT_EMPTY;
  if (src_is_dir) {
    if (dst) {
      if (dst->kind != N_DIR) return E_NOT_DIRECTORY;
      if (!entries_empty(dst, &err)) return err != WV_OK ? err : E_NOT_EMPTY;
    }
  } else if (dst && dst->kind == N_DIR) {
    return E_IS_DIRECTORY;
  }
  if (n.parent->flags & NF_GONE) return E_NO_ENTRY;
  wv_node_ref(src);  /* keep it alive between the two entry changes */
  if (dst) {
    wv_node_ref(dst);
    dst->links--;
    if (dst->kind == N_DIR) dst->flags |= NF_GONE;
  }
  /* the old name goes first: old and new may share a parent (same hash index) */
  wv_dir_remove(o.parent, o.name, o.name_len);
  err = wv_dir_add(n.parent, n.name, n.name_len, src);
  if (err != WV_OK) {  /* out of memory: put the source back where it was */
    wv_dir_add(o.parent, o.name, o.name_len, src);
    if (dst) {
      dst->links++;
      dst->flags &= ~NF_GONE;
    }
  } else if (src_is_dir && src->u.dir.parent != n.parent) {
    wv_node_ref(n.parent);
    wv_node_unref(src->u.dir.parent);
    src->u.dir.parent = n.parent;
  }
  wv_node_unref(dst);
  wv_node_unref(src);
  return err;
}

/* -- file data ---------------------------------------------------------------------------- */
int wv_desc_read(wv_desc *d, uint64_t len, uint64_t off, wv_bytes *out, bool *borrowed) {
  if (d->node->kind != N_FILE || !(d->flags & DF_READ)) return E_BAD_DESCRIPTOR;
  return wv_file_read(d->node, off, len, out, borrowed);
}

int wv_desc_write(wv_desc *d, const uint8_t *buf, size_t len, uint64_t off) {
  if (d->node->kind != N_FILE || !(d->flags & DF_WRITE)) return E_BAD_DESCRIPTOR;
  return wv_file_write(d->node, off, buf, len);
}

int wv_desc_set_size(wv_desc *d, uint64_t size) {
  if (d->node->kind != N_FILE) return E_BAD_DESCRIPTOR;
  if (!(d->flags & DF_WRITE)) return E_INVALID;  /* ftruncate on a descriptor not open for writing */
  return wv_file_set_size(d->node, size);
}

/* -- directory listings ------------------------------------------------------------------- */
int wv_list_directory(wv_desc *d, wv_listing *out) {
  wv_node *dir;
  int err = as_dir(d, &dir);
  if (err == WV_OK) err = wv_dir_entries(dir);
  if (err != WV_OK) return err;
  *out = (wv_listing){0};
  uint32_t count = dir->u.dir.live;
  size_t owned = 0;
  for (uint32_t i = 0; i < dir->u.dir.n; i++) {
    wv_dirent *e = &dir->u.dir.ents[i];
    if (e->name && e->owned_name) owned += e->len;
  }
  out->items = count ? wv_malloc(count * sizeof(*out->items)) : 0;
  out->names = owned ? wv_malloc(owned) : 0;
  if ((count && !out->items) || (owned && !out->names)) {
    wv_listing_free(out);
    return E_INSUFFICIENT_MEMORY;
  }
  uint8_t *copy = out->names;
  for (uint32_t i = 0, k = 0; i < dir->u.dir.n; i++) {
    wv_dirent *e = &dir->u.dir.ents[i];
    if (!e->name) continue;
    const uint8_t *name = e->name;
    if (e->owned_name) {
      memcpy(copy, e->name, e->len);
      name = copy;
      copy += e->len;
    }
    out->items[k].name = name;
    out->items[k].len = e->len;
    out->items[k].type = wv_dirent_type(e);
    k++;
  }
  out->count = count;
  return WV_OK;
}

void wv_listing_free(wv_listing *l) {
  wv_free(l->items);
  wv_free(l->names);
  *l = (wv_listing){0};
}
