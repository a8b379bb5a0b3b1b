/* The virtual tree: nodes decoded lazily from the image, changed in the instance's memory.
 *
 * A directory's listing is decoded the first time a path goes through it (one array of
 * entries plus a hash index, names pointing into the image); an entry becomes a node only
 * when it is looked up. A file's bytes stay the image's until its first write, which copies
 * them into a private buffer that then grows geometrically (appends are amortized O(1)).
 * Nodes are reference counted: directory entries, descriptors, streams and child
 * directories (their `parent`) hold references, so an unlinked file stays readable through
 * an open descriptor and is freed with its last user.
 */
#include "wv.h"

static wv_tree tree = {.error = WV_OK};
static const wv_time zero_time;

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

wv_node *wv_new_node(uint8_t kind) {
  wv_node *n = wv_calloc(sizeof(wv_node));
  if (!n) return 0;
  n->kind = kind;
  n->links = 1;
  n->ino = tree.next_ino++;
  return n;
}

wv_tree *wv_tree_get(void) {
  if (tree.root || tree.error != WV_OK) return &tree;
  const wv_image_header *h = wv_image();
  if (h->present && !h->valid) {
    tree.error = E_IO;
    return &tree;
  }
  tree.next_ino = h->present ? h->blob_count : 2;
  wv_node *root = wv_calloc(sizeof(wv_node));
  if (!root) {
    tree.error = E_INSUFFICIENT_MEMORY;
    return &tree;
  }
  root->kind = N_DIR;
  root->links = 1;
  if (h->present && (h->flags & IMG_ROOT_MOUNT)) {  /* vfs.mount("/", ...) */
    root->kind = N_MOUNT;
    root->ino = h->root;
    root->u.mount.blob = h->root;
    root->u.mount.mount = wv_mount_of(h->root);
    if (!root->u.mount.mount) {
      wv_free(root);
      tree.error = E_IO;
      return &tree;
    }
  } else if (h->present) {
    root->ino = h->root;  /* image nodes keep their blob number as inode */
    root->u.dir.blob = h->root;
    if (h->flags & IMG_ROOT_READ_ONLY) root->flags |= NF_READ_ONLY;
  } else {
    root->ino = 1;
    root->flags |= NF_DECODED;
  }
  root->refs = 1;  /* the tree's own reference: the root is never freed */
  tree.root = root;
  return &tree;
}

bool wv_tree_read_only(void) {
  const wv_image_header *h = wv_image();
  return h->present && (h->flags & IMG_TREE_READ_ONLY);
}

int wv_check_writable(wv_node *n) {
  if (wv_tree_read_only()) return E_READ_ONLY;
  if (n->flags & NF_READ_ONLY) return E_ACCESS;
  return WV_OK;
}

void wv_node_ref(wv_node *n) { n->refs++; }

static void node_free(wv_node *n);

void wv_node_unref(wv_node *n) {
  if (n && --n->refs == 0) node_free(n);
}

void wv_node_discard(wv_node *n) {
  if (n && n->refs == 0) node_free(n);
}

static void node_free(wv_node *n) {
  switch (n->kind) {
    case N_FILE:
      if (n->flags & NF_PRIVATE) wv_free((void *)n->u.file.bytes);
      break;
    case N_DIR:
      for (uint32_t i = 0; i < n->u.dir.n; i++) {
        wv_dirent *e = &n->u.dir.ents[i];
        if (e->owned_name) wv_free((void *)e->name);
        wv_node_unref(e->node);
      }
      wv_free(n->u.dir.ents);
      wv_free(n->u.dir.hash);
      wv_node_unref(n->u.dir.parent);
      break;
    case N_SYMLINK:
      wv_free((void *)n->u.link.target);  /* ignored for image targets */
      break;
    default:
      break;
  }
  wv_free(n->times);
  wv_free(n);
}

void wv_node_times(const wv_node *n, wv_time out[3]) {
  if (n->times) {
    out[0] = n->times[0], out[1] = n->times[1], out[2] = n->times[2];
    return;
  }
  const wv_image_header *h = wv_image();
  wv_time t = h->present ? h->stamp : zero_time;
  out[0] = out[1] = out[2] = t;
}

uint8_t wv_node_type(const wv_node *n) {
  switch (n->kind) {
    case N_DIR: case N_MOUNT: return T_DIRECTORY;
    case N_FILE: return T_REGULAR;
    case N_SYMLINK: return T_SYMLINK;
    default: return T_UNKNOWN;
  }
}

uint8_t wv_dirent_type(const wv_dirent *e) {
  if (e->node) return wv_node_type(e->node);
  switch (e->raw_kind) {
    case K_DIRECTORY: case K_MOUNT: case K_TMP: return T_DIRECTORY;
    case K_FILE: return T_REGULAR;
    case K_SYMLINK: return T_SYMLINK;
    default: return T_UNKNOWN;
  }
}

/* -- directory entries: an array in listing order plus a hash index ----------------------- */
#define TOMB 0xFFFFFFFFu

static uint32_t hash_cap_for(uint32_t want) {
  uint32_t cap = 8;
  while (cap < want * 2) cap <<= 1;
  return cap;
}

/* Index d's live entries into `hash` (zeroed, `cap` slots), which replaces the old index. */
static void fill_hash(wv_node *d, uint32_t *hash, uint32_t cap) {
  for (uint32_t i = 0; i < d->u.dir.n; i++) {
    wv_dirent *e = &d->u.dir.ents[i];
    if (!e->name) continue;
    uint32_t slot = wv_name_hash(e->name, e->len) & (cap - 1);
    while (hash[slot]) slot = (slot + 1) & (cap - 1);
    hash[slot] = i + 1;
  }
  wv_free(d->u.dir.hash);
  d->u.dir.hash = hash;
  d->u.dir.hash_cap = cap;
}

static bool rehash(wv_node *d, uint32_t want) {
  uint32_t cap = hash_cap_for(want);
  uint32_t *hash = wv_calloc((size_t)cap * 4);
  if (!hash) return false;
  fill_hash(d, hash, cap);
  return true;
}

/* The index of `name` in d's entries, or -1; `slot_out` gets its hash slot. */
static int32_t find(wv_node *d, const uint8_t *name, size_t len, uint32_t *slot_out) {
  uint32_t cap = d->u.dir.hash_cap;
  if (!cap) return -1;
  uint32_t slot = wv_name_hash(name, len) & (cap - 1);
  for (uint32_t probes = 0; probes < cap; probes++, slot = (slot + 1) & (cap - 1)) {
    uint32_t v = d->u.dir.hash[slot];
    if (v == 0) return -1;
    if (v == TOMB) continue;
    wv_dirent *e = &d->u.dir.ents[v - 1];
    if (e->len == len && wv_bytes_eq(e->name, name, len)) {
      if (slot_out) *slot_out = slot;
      return (int32_t)(v - 1);
    }
  }
  return -1;
}

int wv_dir_entries(wv_node *d) {
  if (d->flags & NF_DECODED) return WV_OK;
  wv_bytes listing;
  if (!wv_blob(d->u.dir.blob, &listing) || listing.len < 4) return E_IO;
  const uint8_t *p = listing.ptr, *end = listing.ptr + listing.len;
  uint32_t count = rd32(p);
  p += 4;
  if (count > listing.len / 17) return E_IO;  /* every entry takes at least 17 bytes */
  wv_dirent *ents = count ? wv_calloc((size_t)count * sizeof(wv_dirent)) : 0;
  if (count && !ents) return E_INSUFFICIENT_MEMORY;
  for (uint32_t i = 0; i < count; i++) {
    if (end - p < 16) goto corrupt;
    uint16_t len = rd16(p + 2);
    if (len == 0 || (size_t)(end - p - 16) < len || !wv_utf8_valid(p + 16, len)) goto corrupt;
    ents[i] = (wv_dirent){.name = p + 16, .len = len, .raw_kind = p[0], .raw_flags = p[1],
                          .raw_blob = rd32(p + 4), .raw_size = rd64(p + 8)};
    if (!ents[i].raw_kind) goto corrupt;
    p += 16 + len;
  }
  d->u.dir.ents = ents;
  d->u.dir.n = d->u.dir.live = d->u.dir.cap = count;
  if (!rehash(d, count)) {
    d->u.dir.ents = 0;
    d->u.dir.n = d->u.dir.live = d->u.dir.cap = 0;
    wv_free(ents);
    return E_INSUFFICIENT_MEMORY;
  }
  d->flags |= NF_DECODED;
  return WV_OK;
corrupt:
  wv_free(ents);
  return E_IO;
}

/* The node of an image entry, made on first lookup. */
static int materialize(wv_node *d, wv_dirent *e) {
  if (e->node) return WV_OK;
  uint8_t kind;
  switch (e->raw_kind) {
    case K_FILE: kind = N_FILE; break;
    case K_DIRECTORY: kind = N_DIR; break;
    case K_SYMLINK: kind = N_SYMLINK; break;
    case K_MOUNT: case K_TMP: kind = N_MOUNT; break;
    default: return E_IO;
  }
  wv_node *n = wv_calloc(sizeof(wv_node));
  if (!n) return E_INSUFFICIENT_MEMORY;
  n->kind = kind;
  n->links = 1;
  n->ino = e->raw_blob;
  if (e->raw_flags & 1) n->flags |= NF_READ_ONLY;
  wv_bytes blob = {0, 0};
  switch (kind) {
    case N_FILE:
      if (wv_blob(e->raw_blob, &blob) && blob.len >= e->raw_size) n->u.file.bytes = blob.ptr;
      n->u.file.size = e->raw_size;  /* bytes stay NULL for a short blob: reads say `io` */
      break;
    case N_DIR:
      n->u.dir.blob = e->raw_blob;
      n->u.dir.count_hint = e->raw_size;
      n->u.dir.parent = d;
      wv_node_ref(d);
      break;
    case N_SYMLINK:
      if (wv_blob(e->raw_blob, &blob) && blob.len <= 0xFFFFFFFFu) {
        n->u.link.target = blob.ptr;
        n->u.link.len = (uint32_t)blob.len;
      } else {
        n->u.link.len = 0xFFFFFFFFu;  /* unreadable: `io` when followed */
      }
      break;
    default:
      n->u.mount.blob = e->raw_blob;
      if (e->raw_kind == K_MOUNT) {
        n->u.mount.mount = wv_mount_of(e->raw_blob);
        if (!n->u.mount.mount) {
          wv_free(n);
          return E_IO;  /* a malformed mount descriptor */
        }
      }
      break;
  }
  n->refs = 1;
  e->node = n;
  return WV_OK;
}

wv_dirent *wv_dir_find(wv_node *d, const uint8_t *name, size_t len) {
  if (wv_dir_entries(d) != WV_OK) return 0;
  int32_t i = find(d, name, len, 0);
  return i < 0 ? 0 : &d->u.dir.ents[i];
}

int wv_dir_lookup(wv_node *d, const uint8_t *name, size_t len, wv_node **out) {
  *out = 0;
  int err = d->flags & NF_DECODED ? WV_OK : wv_dir_entries(d);
  if (err != WV_OK) return err;
  int32_t i = find(d, name, len, 0);
  if (i < 0) return WV_OK;
  wv_dirent *e = &d->u.dir.ents[i];
  if (e->node) {
    *out = e->node;
    return WV_OK;
  }
  err = materialize(d, e);
  if (err != WV_OK) return err;
  *out = e->node;
  return WV_OK;
}

int wv_dir_add(wv_node *d, const uint8_t *name, size_t len, wv_node *node) {
  if (d->flags & NF_GONE) return E_NO_ENTRY;  /* as Linux: a removed directory takes nothing */
  int err = wv_dir_entries(d);
  if (err != WV_OK) return err;
  int32_t i = find(d, name, len, 0);
  if (i >= 0) {  /* replace in place: the entry keeps its position */
    wv_dirent *e = &d->u.dir.ents[i];
    wv_node_ref(node);
    wv_node_unref(e->node);
    e->node = node;
    tree.generation++;
    return WV_OK;
  }
  uint8_t *copy = wv_dup(name, len);
  if (!copy) return E_INSUFFICIENT_MEMORY;
  if (d->u.dir.n == d->u.dir.cap) {
    uint32_t cap = d->u.dir.cap ? d->u.dir.cap * 2 : 4;
    wv_dirent *ents = wv_realloc(d->u.dir.ents, (size_t)cap * sizeof(wv_dirent));
    if (!ents) {
      wv_free(copy);
      return E_INSUFFICIENT_MEMORY;
    }
    d->u.dir.ents = ents;
    d->u.dir.cap = cap;
  }
  if ((d->u.dir.n + 1) * 2 > d->u.dir.hash_cap && !rehash(d, d->u.dir.n + 1)) {
    wv_free(copy);
    return E_INSUFFICIENT_MEMORY;
  }
  uint32_t index = d->u.dir.n++;
  d->u.dir.ents[index] = (wv_dirent){.name = copy, .len = (uint16_t)len, .owned_name = 1,
                                     .raw_kind = 0xFF, .node = node};
  wv_node_ref(node);
  d->u.dir.live++;
  uint32_t cap = d->u.dir.hash_cap;
  uint32_t slot = wv_name_hash(copy, len) & (cap - 1);
  while (d->u.dir.hash[slot] && d->u.dir.hash[slot] != TOMB) slot = (slot + 1) & (cap - 1);
  d->u.dir.hash[slot] = index + 1;
  tree.generation++;
  return WV_OK;
}

void wv_dir_remove(wv_node *d, const uint8_t *name, size_t len) {
  uint32_t slot;
  int32_t i = find(d, name, len, &slot);
  if (i < 0) return;
  wv_dirent *e = &d->u.dir.ents[i];
  d->u.dir.hash[slot] = TOMB;
  if (e->owned_name) wv_free((void *)e->name);
  wv_node *node = e->node;
  *e = (wv_dirent){0};
  d->u.dir.live--;
  tree.generation++;
  wv_node_unref(node);
  /* compact when most of the array is tombstones (order is kept); the new index is
   * allocated first, so running out of memory only skips the compaction */
  if (d->u.dir.n > 16 && d->u.dir.live * 2 < d->u.dir.n) {
    uint32_t cap = hash_cap_for(d->u.dir.live ? d->u.dir.live : 1);
    uint32_t *hash = wv_calloc((size_t)cap * 4);
    if (!hash) return;
    uint32_t j = 0;
    for (uint32_t k = 0; k < d->u.dir.n; k++) {
      if (d->u.dir.ents[k].name) d->u.dir.ents[j++] = d->u.dir.ents[k];
    }
    d->u.dir.n = j;
    fill_hash(d, hash, cap);
  }
}

uint64_t wv_dir_size(wv_node *d) {
  if (d->flags & NF_DECODED) return d->u.dir.live;
  if (d != tree.root || d->u.dir.count_hint) return d->u.dir.count_hint;
  return wv_dir_entries(d) == WV_OK ? d->u.dir.live : 0;
}

uint64_t wv_node_size(wv_node *n) {
  switch (n->kind) {
    case N_FILE: return n->u.file.size;
    case N_SYMLINK: return n->u.link.len == 0xFFFFFFFFu ? 0 : n->u.link.len;
    case N_DIR: return wv_dir_size(n);
    default: return 0;
  }
}

int wv_file_make_private(wv_node *f, uint64_t need) {
  if (need > WV_MAX_FILE_SIZE) return E_FILE_TOO_LARGE;
  if (f->flags & NF_PRIVATE) {
    if (need <= f->u.file.cap) return WV_OK;
    uint64_t cap = f->u.file.cap * 2;
    if (cap < need) cap = need;
    if (cap < 64) cap = 64;
    if (cap > WV_MAX_FILE_SIZE) cap = WV_MAX_FILE_SIZE;
    uint8_t *bytes = wv_realloc((void *)f->u.file.bytes, (size_t)cap);
    if (!bytes) return E_INSUFFICIENT_MEMORY;
    f->u.file.bytes = bytes;
    f->u.file.cap = cap;
    return WV_OK;
  }
  if (f->u.file.size && !f->u.file.bytes) return E_IO;  /* the image lost its bytes */
  uint64_t cap = need > f->u.file.size ? need : f->u.file.size;
  uint8_t *bytes = wv_malloc(cap ? (size_t)cap : 1);
  if (!bytes) return E_INSUFFICIENT_MEMORY;
  if (f->u.file.size) memcpy(bytes, f->u.file.bytes, (size_t)f->u.file.size);
  f->u.file.bytes = bytes;
  f->u.file.cap = cap;
  f->flags |= NF_PRIVATE;
  return WV_OK;
}
