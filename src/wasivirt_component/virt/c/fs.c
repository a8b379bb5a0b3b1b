/* Descriptors: the `wasi:filesystem/types` operations over the virtual tree and mounts.
 *
 * Semantics follow wasmtime's native host (the reference the differential tests compare
 * against), with the image's permission model on top: changing a read-only node is
 * `access`, changing anything in a tree whose header says read-only is `read-only`.
 * Descriptor flags record the open mode; like wasmtime, `mutate-directory` is reported but
 * not required for mutations (the preview1 adapter never sets it). A path the resolver
 * placed inside a host mount, and every call on a host descriptor, goes to mount.c.
 */
#include "wv.h"

int wv_mount_root_desc(wv_mount *m, wv_desc *out);

static wv_desc make_desc(wv_node *n, uint8_t flags) {
  wv_node_ref(n);
  return (wv_desc){.node = n, .flags = flags, .host = -1};
}

void wv_desc_release(wv_desc *d) {
  if (d->node) {
    wv_node_unref(d->node);
    d->node = 0;
  } else {
    wv_host_release(d);
  }
}

int wv_preopen(wv_desc *out) {
  wv_tree *t = wv_tree_get();
  if (t->error != WV_OK) return t->error;
  if (t->root->kind == N_MOUNT) return wv_mount_root_desc(t->root->u.mount.mount, out);
  *out = make_desc(t->root, wv_tree_read_only() ? DF_READ : DF_READ | DF_MUTATE_DIRECTORY);
  return WV_OK;
}

int wv_stat_node(wv_node *n, wv_stat *out) {
  out->type = wv_node_type(n);
  out->has_times = 7;
  out->links = n->links;
  out->size = wv_node_size(n);
  wv_node_times(n, out->times);
  return WV_OK;
}

/* Resolve `path` for an operation on an existing object: virtual results must exist (and a
 * trailing slash needs a directory); host results are the host's to judge. */
static int lookup(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_resolved *r) {
  int err = wv_resolve(d, path, len, path_flags & PF_SYMLINK_FOLLOW, false, r);
  if (err != WV_OK || r->mount) return err;
  if (!r->node) return E_NO_ENTRY;
  if (r->trailing_slash && r->node->kind != N_DIR && r->node->kind != N_MOUNT) return E_NOT_DIRECTORY;
  return WV_OK;
}

int wv_stat_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_stat *out) {
  wv_resolved r;
  int err = lookup(d, path_flags, path, len, &r);
  if (err == WV_OK) err = r.mount ? wv_host_stat_at(&r, path_flags & PF_SYMLINK_FOLLOW, out) : wv_stat_node(r.node, out);
  wv_resolved_free(&r);
  return err;
}

int wv_desc_stat(wv_desc *d, wv_stat *out) {
  return d->node ? wv_stat_node(d->node, out) : wv_host_stat(d, out);
}

static void node_hash(wv_node *n, wv_hash *out) { *out = (wv_hash){n->ino, n->ino ^ WV_HASH_MIX}; }

int wv_hash_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_hash *out) {
  /* readdir asks this of every entry: a plain name needs no node (nor a path walk) */
  if (d->node && d->node->kind == N_DIR && len && len <= WV_NAME_MAX) {
    bool plain = !(len == 1 && path[0] == '.') && !(len == 2 && path[0] == '.' && path[1] == '.');
    for (size_t i = 0; plain && i < len; i++) plain = path[i] != '/' && path[i] != 0;
    wv_dirent *e = plain ? wv_dir_find(d->node, path, len) : 0;
    if (e) {
      uint8_t kind = e->node ? (e->node->kind == N_SYMLINK ? K_SYMLINK : e->node->kind == N_MOUNT ? K_MOUNT : K_FILE)
                             : e->raw_kind;
      if (kind != K_MOUNT && kind != K_TMP && (kind != K_SYMLINK || !(path_flags & PF_SYMLINK_FOLLOW))) {
        uint64_t ino = e->node ? e->node->ino : e->raw_blob;
        *out = (wv_hash){ino, ino ^ WV_HASH_MIX};
        return WV_OK;
      }
    }
  }
  wv_resolved r;
  int err = lookup(d, path_flags, path, len, &r);
  if (err == WV_OK) {
    if (r.mount) err = wv_host_hash_at(&r, path_flags & PF_SYMLINK_FOLLOW, out);
    else node_hash(r.node, out);
  }
  wv_resolved_free(&r);
  return err;
}

int wv_desc_hash(wv_desc *d, wv_hash *out) {
  if (!d->node) return wv_host_hash(d, out);
  node_hash(d->node, out);
  return WV_OK;
}

bool wv_desc_same(wv_desc *a, wv_desc *b) {
  if (a->node || b->node) return a->node == b->node;
  return wv_host_same(a, b);
}

uint8_t wv_desc_type(wv_desc *d) {
  if (d->node) return wv_node_type(d->node);
  uint8_t type;
  return wv_host_type(d, &type) == WV_OK ? type : T_UNKNOWN;
}

int wv_desc_flags(wv_desc *d, uint8_t *flags) {
  if (!d->node) return wv_host_flags(d, flags);
  *flags = d->flags;
  return WV_OK;
}

int wv_set_times(wv_node *n, const wv_new_time *atime, const wv_new_time *mtime) {
  if (atime->kind == 0 && mtime->kind == 0) return WV_OK;
  int err = wv_check_writable(n);
  if (err != WV_OK) return err;
  wv_time old[3];
  wv_node_times(n, old);
  /* no host clock call of our own: "now" is the image time */
  const wv_image_header *h = wv_image();
  wv_time now = h->present ? h->stamp : (wv_time){0, 0};
  if (!n->times) {
    n->times = wv_malloc(3 * sizeof(wv_time));
    if (!n->times) return E_INSUFFICIENT_MEMORY;
  }
  n->times[0] = atime->kind == 0 ? old[0] : atime->kind == 1 ? now : atime->t;
  n->times[1] = mtime->kind == 0 ? old[1] : mtime->kind == 1 ? now : mtime->t;
  n->times[2] = now;
  return WV_OK;
}

int wv_desc_set_times(wv_desc *d, const wv_new_time *atime, const wv_new_time *mtime) {
  return d->node ? wv_set_times(d->node, atime, mtime) : wv_host_set_times(d, atime, mtime);
}

int wv_set_times_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len,
                    const wv_new_time *atime, const wv_new_time *mtime) {
  wv_resolved r;
  int err = lookup(d, path_flags, path, len, &r);
  if (err == WV_OK) {
    err = r.mount ? wv_host_set_times_at(&r, path_flags & PF_SYMLINK_FOLLOW, atime, mtime)
                  : wv_set_times(r.node, atime, mtime);
  }
  wv_resolved_free(&r);
  return err;
}

int wv_readlink_at(wv_desc *d, const uint8_t *path, size_t len, wv_bytes *out) {
  wv_resolved r;
  int err = lookup(d, 0, path, len, &r);
  if (err == WV_OK && r.mount) {
    err = wv_host_readlink_at(&r, out);
  } else if (err == WV_OK) {
    wv_node *n = r.node;
    if (n->kind != N_SYMLINK) err = E_INVALID;
    else if (n->u.link.len == 0xFFFFFFFFu) err = E_IO;
    else *out = (wv_bytes){n->u.link.target, n->u.link.len};
  }
  wv_resolved_free(&r);
  return err;
}

/* -- open-at ------------------------------------------------------------------------------ */
static int open_virtual(wv_resolved *r, uint8_t open_flags, uint8_t flags, wv_desc *out) {
  bool create = open_flags & OF_CREATE, truncate = open_flags & OF_TRUNCATE;
  bool write = (flags & DF_WRITE) || create || truncate;
  uint8_t read_mode = ((flags & DF_READ) || !(flags & DF_WRITE)) ? DF_READ : 0;
  if (write && wv_tree_read_only()) return E_READ_ONLY;
  wv_node *n = r->node;
  int err;
  if (!n) {
    if (!create) return E_NO_ENTRY;
    if (r->trailing_slash) return E_IS_DIRECTORY;
    err = wv_check_writable(r->parent);
    if (err != WV_OK) return err;
    n = wv_new_node(N_FILE);
    if (!n) return E_INSUFFICIENT_MEMORY;
    err = wv_dir_add(r->parent, r->name, r->name_len, n);
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
      return E_UNSUPPORTED;  /* a reserved kind */
    default:
      break;
  }
  if ((open_flags & OF_DIRECTORY) || r->trailing_slash) return E_NOT_DIRECTORY;
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

int wv_open_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, uint8_t open_flags,
               uint8_t flags, wv_desc *out) {
  if (d->node && d->node->kind != N_DIR) return E_NOT_DIRECTORY;
  if (flags & DF_SYNC_FLAGS) return E_UNSUPPORTED;  /* as wasmtime */
  if ((open_flags & OF_DIRECTORY) && (open_flags & (OF_CREATE | OF_EXCLUSIVE | OF_TRUNCATE)))
    return E_INVALID;
  bool write = (flags & DF_WRITE) || (open_flags & (OF_CREATE | OF_TRUNCATE));
  wv_resolved r;
  int err = wv_resolve(d, path, len, path_flags & PF_SYMLINK_FOLLOW, false, &r);
  if (err != WV_OK) {
    /* as wasmtime: a tree that cannot change refuses writes before looking at the path */
    return write && wv_tree_read_only() && !r.mount && d->node ? E_READ_ONLY : err;
  }
  err = r.mount ? wv_host_open_at(&r, path_flags & PF_SYMLINK_FOLLOW, open_flags, flags, out)
                : open_virtual(&r, open_flags, flags, out);
  wv_resolved_free(&r);
  return err;
}

/* -- directory changes -------------------------------------------------------------------- */
int wv_create_directory_at(wv_desc *d, const uint8_t *path, size_t len) {
  wv_resolved r;
  int err = wv_resolve(d, path, len, false, true, &r);
  if (err != WV_OK) return err;
  if (r.mount) {
    err = r.node || r.names_itself ? E_EXIST : wv_host_create_directory_at(&r);  /* the mount itself exists */
    wv_resolved_free(&r);
    return err;
  }
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
static int new_name(wv_desc *d, const uint8_t *path, size_t len, wv_resolved *r) {
  int err = wv_resolve(d, path, len, false, true, r);
  if (err != WV_OK || r->mount) return err;
  if (!r->name || r->names_itself || (r->node && (r->node->kind == N_DIR || !r->trailing_slash)))
    return E_EXIST;
  if (r->trailing_slash) return r->node ? E_NOT_DIRECTORY : E_NO_ENTRY;  /* as wasmtime */
  return WV_OK;
}

int wv_symlink_at(wv_desc *d, const uint8_t *target, size_t tlen, const uint8_t *path, size_t len) {
  wv_resolved r;
  int err = new_name(d, path, len, &r);
  if (err != WV_OK) return err;
  if (r.mount) {
    err = r.node || r.names_itself ? E_EXIST : wv_host_symlink_at(target, tlen, &r);
    wv_resolved_free(&r);
    return err;
  }
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
  if ((d->node && d->node->kind != N_DIR) || (nd->node && nd->node->kind != N_DIR)) return E_NOT_DIRECTORY;
  if (old_flags & PF_SYMLINK_FOLLOW) return E_INVALID;  /* as wasmtime */
  wv_resolved o, n;
  int err = lookup(d, 0, old_path, olen, &o);
  if (err != WV_OK) {
    wv_resolved_free(&o);
    return err;
  }
  err = new_name(nd, new_path, nlen, &n);
  if (err == WV_OK && (o.mount || n.mount)) {
    if (o.mount && n.mount && o.mount == n.mount && !o.node && !n.node) err = wv_host_link_at(&o, &n);
    else err = o.node && o.node->kind == N_MOUNT ? E_NOT_PERMITTED : E_CROSS_DEVICE;
  } else if (err == WV_OK) {
    wv_node *src = o.node;
    if (src->kind == N_DIR || src->kind == N_MOUNT) err = E_NOT_PERMITTED;
    else err = wv_check_writable(n.parent);
    if (err == WV_OK) err = wv_dir_add(n.parent, n.name, n.name_len, src);
    if (err == WV_OK) src->links++;
  }
  wv_resolved_free(&o);
  wv_resolved_free(&n);
  return err;
}

int wv_unlink_file_at(wv_desc *d, const uint8_t *path, size_t len) {
  wv_resolved r;
  int err = wv_resolve(d, path, len, false, false, &r);
  if (err != WV_OK) return err;
  if (r.mount) {
    err = r.names_itself ? E_IS_DIRECTORY : r.node ? E_BUSY : wv_host_unlink_file_at(&r);
    wv_resolved_free(&r);
    return err;
  }
  if (!r.name || r.names_itself) return E_IS_DIRECTORY;
  wv_node *n = r.node;
  if (!n) {
    if (r.trailing_slash) {  /* `link/` to nothing: the link is no directory */
      wv_resolved k;
      if (wv_resolve(d, path, len, false, true, &k) == WV_OK && !k.mount && k.node) return E_NOT_DIRECTORY;
      wv_resolved_free(&k);
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
  wv_resolved r;
  int err = wv_resolve(d, path, len, false, false, &r);
  if (err != WV_OK) return err;
  if (r.mount) {
    err = r.names_itself ? E_INVALID : r.node ? E_BUSY : wv_host_remove_directory_at(&r);
    wv_resolved_free(&r);
    return err;
  }
  if (!r.name || r.names_itself) return E_INVALID;  /* `.`, `..`: as rmdir(2) */
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

static int rename_virtual(wv_resolved *o, wv_resolved *n) {
  int err;
  if (!o->name || !n->name || o->names_itself || n->names_itself) return E_BUSY;
  wv_node *src = o->node, *dst = n->node;
  if (!src) return E_NO_ENTRY;
  bool src_is_dir = src->kind == N_DIR;
  if ((o->trailing_slash || n->trailing_slash) && !src_is_dir) return E_NOT_DIRECTORY;
  if (src->kind == N_MOUNT || (dst && dst->kind == N_MOUNT)) return E_BUSY;
  if (src == dst) return WV_OK;
  if ((err = wv_check_writable(o->parent)) != WV_OK) return err;
  if ((err = wv_check_writable(n->parent)) != WV_OK) return err;
  if (src_is_dir && is_ancestor(src, n->parent)) return E_INVALID;  /* into itself */
  if (dst && dst->kind == N_DIR && is_ancestor(dst, o->parent)) return E_NOT_EMPTY;
  if (src_is_dir) {
    if (dst) {
      if (dst->kind != N_DIR) return E_NOT_DIRECTORY;
      if (!entries_empty(dst, &err)) return err != WV_OK ? err : E_NOT_EMPTY;
    }
  } else if (dst && dst->kind == N_DIR) {
    return E_IS_DIRECTORY;
  }
  if (n->parent->flags & NF_GONE) return E_NO_ENTRY;
  wv_node_ref(src);  /* keep it alive between the two entry changes */
  if (dst) {
    wv_node_ref(dst);
    dst->links--;
    if (dst->kind == N_DIR) dst->flags |= NF_GONE;
  }
  /* the old name goes first: old and new may share a parent (same hash index) */
  wv_dir_remove(o->parent, o->name, o->name_len);
  err = wv_dir_add(n->parent, n->name, n->name_len, src);
  if (err != WV_OK) {  /* out of memory: put the source back where it was */
    wv_dir_add(o->parent, o->name, o->name_len, src);
    if (dst) {
      dst->links++;
      dst->flags &= ~NF_GONE;
    }
  } else if (src_is_dir && src->u.dir.parent != n->parent) {
    wv_node_ref(n->parent);
    wv_node_unref(src->u.dir.parent);
    src->u.dir.parent = n->parent;
  }
  wv_node_unref(dst);
  wv_node_unref(src);
  return err;
}

int wv_rename_at(wv_desc *d, const uint8_t *old_path, size_t olen, wv_desc *nd,
                 const uint8_t *new_path, size_t nlen) {
  if ((d->node && d->node->kind != N_DIR) || (nd->node && nd->node->kind != N_DIR)) return E_NOT_DIRECTORY;
  /* both parents are resolved before either last component is looked at (rename(2)) */
  wv_resolved o, n;
  int err = wv_resolve(d, old_path, olen, false, true, &o);
  if (err == WV_OK) err = wv_resolve(nd, new_path, nlen, false, true, &n);
  else n = (wv_resolved){0};
  if (err == WV_OK) {
    if (o.mount || n.mount) {
      if (o.names_itself || n.names_itself || (o.mount && o.node) || (n.mount && n.node)) err = E_BUSY;
      else if (o.mount != n.mount) err = E_CROSS_DEVICE;
      else err = wv_host_rename_at(&o, &n);
    } else {
      err = rename_virtual(&o, &n);
    }
  }
  wv_resolved_free(&o);
  wv_resolved_free(&n);
  return err;
}

/* -- file data ---------------------------------------------------------------------------- */
int wv_desc_read(wv_desc *d, uint64_t len, uint64_t off, wv_bytes *out, bool *borrowed, bool *eof) {
  if (!d->node) {
    *borrowed = false;
    return wv_host_read(d, len, off, out, eof);
  }
  if (d->node->kind != N_FILE || !(d->flags & DF_READ)) return E_BAD_DESCRIPTOR;
  int err = wv_file_read(d->node, off, len, out, borrowed);
  *eof = out->len == 0;  /* like wasmtime: end-of-file only when nothing was read */
  return err;
}

int wv_desc_write(wv_desc *d, const uint8_t *buf, size_t len, uint64_t off) {
  if (!d->node) return wv_host_write(d, buf, len, off);
  if (d->node->kind != N_FILE || !(d->flags & DF_WRITE)) return E_BAD_DESCRIPTOR;
  return wv_file_write(d->node, off, buf, len);
}

int wv_desc_set_size(wv_desc *d, uint64_t size) {
  if (!d->node) return wv_host_set_size(d, size);
  if (d->node->kind != N_FILE) return E_BAD_DESCRIPTOR;
  if (!(d->flags & DF_WRITE)) return E_INVALID;  /* ftruncate on a descriptor not open for writing */
  return wv_file_set_size(d->node, size);
}

int wv_desc_advise(wv_desc *d, uint64_t off, uint64_t len, uint8_t advice) {
  if (!d->node) return wv_host_advise(d, off, len, advice);
  return d->node->kind == N_FILE ? WV_OK : E_BAD_DESCRIPTOR;
}

int wv_desc_sync(wv_desc *d, bool data_only) {
  return d->node ? WV_OK : wv_host_sync(d, data_only);  /* nothing to flush in memory */
}

/* -- directory listings ------------------------------------------------------------------- */
/* The type a listing reports for an entry; 0xFF: leave it out (a mount that is missing). */
static uint8_t listed_type(wv_node *dir, wv_dirent *e) {
  if (e->raw_kind != K_MOUNT && !(e->node && e->node->kind == N_MOUNT)) return wv_dirent_type(e);
  wv_node *n;
  if (wv_dir_lookup(dir, e->name, e->len, &n) != WV_OK || !n || !n->u.mount.mount) return wv_dirent_type(e);
  uint8_t type = wv_mount_type(n->u.mount.mount);
  return type == T_UNKNOWN ? 0xFF : type;
}

int wv_list_directory(wv_desc *d, wv_listing *out) {
  *out = (wv_listing){.host = -1};
  if (!d->node) {
    out->mount = d->mount;
    return wv_host_read_directory(d, &out->host);
  }
  wv_node *dir = d->node;
  if (dir->kind != N_DIR) return E_NOT_DIRECTORY;
  int err = wv_dir_entries(dir);
  if (err != WV_OK) return err;
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
  uint32_t k = 0;
  for (uint32_t i = 0; i < dir->u.dir.n; i++) {
    wv_dirent *e = &dir->u.dir.ents[i];
    if (!e->name) continue;
    uint8_t type = listed_type(dir, e);
    if (type == 0xFF) continue;
    const uint8_t *name = e->name;
    if (e->owned_name) {
      memcpy(copy, e->name, e->len);
      name = copy;
      copy += e->len;
    }
    out->items[k].name = name;
    out->items[k].len = e->len;
    out->items[k].type = type;
    k++;
  }
  out->count = k;
  return WV_OK;
}

int wv_listing_next(wv_listing *l, wv_bytes *name, uint8_t *type, bool *owned, bool *more) {
  if (l->host >= 0) {
    *owned = true;
    return wv_host_next_entry(l, name, type, more);
  }
  *owned = false;
  *more = l->index < l->count;
  if (*more) {
    *name = (wv_bytes){l->items[l->index].name, l->items[l->index].len};
    *type = l->items[l->index].type;
    l->index++;
  }
  return WV_OK;
}

void wv_listing_free(wv_listing *l) {
  wv_host_close_listing(l);
  wv_free(l->items);
  wv_free(l->names);
  *l = (wv_listing){.host = -1};
}
