/* The virtualizer's core: the virtual tree, path resolution and descriptor operations.
 *
 * Nothing here knows the canonical ABI: the bindings (bind_*.c) translate between the
 * generated glue's types (glue.h) and these. Every operation returns WV_OK or a WASI
 * `error-code` value, never traps: a guest's arguments can be anything.
 */
#ifndef WV_H
#define WV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* -- memory (alloc.c) ------------------------------------------------------------------ */
void *wv_malloc(size_t n);
void *wv_calloc(size_t n);
void *wv_realloc(void *p, size_t n);
void wv_free(void *p);
bool wv_owned(const void *p);      /* allocated by us (false for image bytes, statics) */
size_t wv_heap_in_use(void);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
uint8_t *wv_dup(const uint8_t *p, size_t n);   /* a heap copy (NULL when out of memory) */

/* -- error codes: the cases of wasi:filesystem/types.error-code, in order ---------------- */
enum {
  E_ACCESS, E_WOULD_BLOCK, E_ALREADY, E_BAD_DESCRIPTOR, E_BUSY, E_DEADLOCK, E_QUOTA, E_EXIST,
  E_FILE_TOO_LARGE, E_ILLEGAL_BYTE_SEQUENCE, E_IN_PROGRESS, E_INTERRUPTED, E_INVALID, E_IO,
  E_IS_DIRECTORY, E_LOOP, E_TOO_MANY_LINKS, E_MESSAGE_SIZE, E_NAME_TOO_LONG, E_NO_DEVICE,
  E_NO_ENTRY, E_NO_LOCK, E_INSUFFICIENT_MEMORY, E_INSUFFICIENT_SPACE, E_NOT_DIRECTORY,
  E_NOT_EMPTY, E_NOT_RECOVERABLE, E_UNSUPPORTED, E_NO_TTY, E_NO_SUCH_DEVICE, E_OVERFLOW,
  E_NOT_PERMITTED, E_PIPE, E_READ_ONLY, E_INVALID_SEEK, E_TEXT_FILE_BUSY, E_CROSS_DEVICE,
  E_COUNT
};
#define WV_OK (-1)
const char *wv_error_name(int code);
bool wv_utf8_valid(const uint8_t *s, size_t n);   /* well-formed UTF-8 (util.c) */
bool wv_has_nul(const uint8_t *p, size_t n);       /* a 0 byte among the n */
bool wv_bytes_eq(const uint8_t *a, const uint8_t *b, size_t n);
uint32_t wv_name_hash(const uint8_t *s, size_t n); /* the directory index's hash */

/* wasi:filesystem descriptor-type values */
enum { T_UNKNOWN = 0, T_DIRECTORY = 3, T_SYMLINK = 5, T_REGULAR = 6 };
/* descriptor-flags, open-flags, path-flags bits */
enum { DF_READ = 1, DF_WRITE = 2, DF_FILE_SYNC = 4, DF_DATA_SYNC = 8, DF_REQ_SYNC = 16,
       DF_MUTATE_DIRECTORY = 32, DF_SYNC_FLAGS = 4 | 8 | 16 };
enum { OF_CREATE = 1, OF_DIRECTORY = 2, OF_EXCLUSIVE = 4, OF_TRUNCATE = 8 };
enum { PF_SYMLINK_FOLLOW = 1 };

#define WV_MAX_READ (1u << 22)          /* bytes one read returns at most (short reads are legal) */
#define WV_MAX_FILE_SIZE (1ull << 31)   /* files live in a wasm32 memory */
#define WV_NAME_MAX 255
#define WV_MAX_SYMLINK_EXPANSIONS 40
#define WV_HASH_MIX 0x5756494D5756494Dull  /* metadata-hash upper half = ino ^ "WVIMWVIM" */

typedef struct { uint64_t sec; uint32_t nsec; } wv_time;
typedef struct { const uint8_t *ptr; size_t len; } wv_bytes;

/* -- the image (image.c, docs/image-format.md) ---------------------------------------- */
enum { K_DIRECTORY = 1, K_FILE = 2, K_SYMLINK = 3, K_MOUNT = 4, K_TMP = 5 };
enum { IMG_TREE_READ_ONLY = 1, IMG_ROOT_READ_ONLY = 2, IMG_ROOT_MOUNT = 4 };

typedef struct {
  bool present;                /* false: no image was spliced in (an empty tree) */
  bool valid;                  /* false: header unreadable; every filesystem call is `io` */
  uint32_t flags, root, blob_count;
  wv_time stamp;
  uint32_t settings;           /* settings blob (0 = none) */
} wv_image_header;

const wv_image_header *wv_image(void);
/* The bytes of blob `n`; false for an unknown blob or one outside the image. */
bool wv_blob(uint32_t n, wv_bytes *out);

/* -- nodes (tree.c) ------------------------------------------------------------------- */
typedef struct wv_node wv_node;
typedef struct wv_mount wv_mount;

enum { N_DIR = 1, N_FILE = 2, N_SYMLINK = 3, N_MOUNT = 4 };
enum { NF_READ_ONLY = 1, NF_GONE = 2, NF_PRIVATE = 4, NF_DECODED = 8 };

typedef struct {
  const uint8_t *name;    /* into the image, or owned when `owned_name` */
  uint16_t len;
  uint8_t owned_name;
  uint8_t raw_kind;       /* kind from the listing while `node` is NULL (0 = tombstone) */
  uint8_t raw_flags;
  uint32_t raw_blob;
  uint64_t raw_size;
  wv_node *node;          /* NULL until looked up (image entries), holds a reference */
} wv_dirent;

struct wv_node {
  uint8_t kind;
  uint8_t flags;
  uint32_t refs;          /* directory entries, descriptors, streams, child directories */
  uint64_t links;
  uint64_t ino;
  wv_time *times;         /* atime, mtime, ctime; NULL = the image's */
  union {
    struct {               /* N_FILE: image bytes until first written, then private */
      const uint8_t *bytes;
      uint64_t size, cap;
    } file;
    struct {               /* N_DIR */
      uint32_t blob;       /* listing blob, decoded on first use (NF_DECODED) */
      uint64_t count_hint; /* entry count from the parent's listing, until decoded */
      wv_node *parent;     /* holds a reference */
      wv_dirent *ents;
      uint32_t n, live, cap;
      uint32_t *hash;      /* open addressing over `ents` indices + 1; 0 = empty */
      uint32_t hash_cap;
    } dir;
    struct {               /* N_SYMLINK */
      const uint8_t *target;
      uint32_t len;
    } link;
    struct {               /* N_MOUNT: a host mount (kind 4) or a reserved kind (mount NULL) */
      wv_mount *mount;
      uint32_t blob;
    } mount;
  } u;
};

typedef struct {
  wv_node *root;
  uint64_t next_ino;
  uint64_t generation;    /* bumped by every change to directory entries */
  int error;              /* WV_OK, or the error every call fails with (bad image) */
} wv_tree;

wv_tree *wv_tree_get(void);            /* the instance's tree (built on first use) */
void wv_node_ref(wv_node *n);
void wv_node_unref(wv_node *n);
void wv_node_discard(wv_node *n);     /* free a node nothing references yet */
int wv_dir_entries(wv_node *d);         /* decode the listing if needed */
int wv_dir_lookup(wv_node *d, const uint8_t *name, size_t len, wv_node **out);
wv_dirent *wv_dir_find(wv_node *d, const uint8_t *name, size_t len);  /* no node is made */
int wv_dir_add(wv_node *d, const uint8_t *name, size_t len, wv_node *node);
void wv_dir_remove(wv_node *d, const uint8_t *name, size_t len);
uint64_t wv_dir_size(wv_node *d);
uint8_t wv_dirent_type(const wv_dirent *e);
wv_node *wv_new_node(uint8_t kind);
int wv_check_writable(wv_node *n);
bool wv_tree_read_only(void);
void wv_node_times(const wv_node *n, wv_time out[3]);
uint8_t wv_node_type(const wv_node *n);
uint64_t wv_node_size(wv_node *n);
int wv_file_make_private(wv_node *f, uint64_t need);

/* -- files (files.c) ------------------------------------------------------------------ */
/* Up to `len` bytes at `off` (clamped to WV_MAX_READ and the end); `*borrowed` says the
 * bytes are the image's (not to be freed) rather than a fresh copy. */
int wv_file_read(wv_node *f, uint64_t off, uint64_t len, wv_bytes *out, bool *borrowed);
int wv_file_write(wv_node *f, uint64_t off, const uint8_t *buf, size_t len);
int wv_file_set_size(wv_node *f, uint64_t size);

/* -- path resolution (paths.c) -------------------------------------------------------- */
/* Where a path leads. Inside the virtual tree: `parent`, `name`, `node`. Inside a host
 * mount: `mount` is set, and the host call to make is on `host_base` with `host_path`
 * (relative to it; free the result with wv_resolved_free: the path is its own, or the
 * caller's when `host_borrowed`, valid as long as the caller's path); `host_follow` says
 * whether the host should follow a symlink in last position; `host_kind` is what the last
 * component is when the resolver looked (WM_UNKNOWN when the host resolves it itself). */
enum { WM_UNKNOWN, WM_MISSING, WM_DIR, WM_FILE, WM_SYMLINK, WM_OTHER };

typedef struct {
  wv_node *parent;         /* NULL when the path names a directory itself (ends in . or ..) */
  const uint8_t *name;     /* last component (into the caller's path or a symlink target) */
  size_t name_len;
  wv_node *node;           /* NULL when the last component does not exist */
  bool trailing_slash;
  wv_mount *mount;
  int32_t host_base;
  uint8_t *host_path;
  size_t host_len;
  bool host_borrowed;      /* host_path is the caller's path, not a copy */
  bool host_follow;
  bool host_hidden;        /* the last name is hidden by the mount's policy */
  bool names_itself;       /* the path ends in . or .. (no parent/name) */
  uint8_t host_kind;
} wv_resolved;

typedef struct wv_desc wv_desc;
int wv_resolve(wv_desc *base, const uint8_t *path, size_t len, bool follow, bool keep_last_link,
               wv_resolved *out);
void wv_resolved_free(wv_resolved *r);
int wv_resolve_existing(wv_node *base, const uint8_t *path, size_t len, bool follow, wv_node **out);

/* -- host mounts (mount.c) ------------------------------------------------------------ */
wv_mount *wv_mount_of(uint32_t blob);            /* NULL for a malformed descriptor */
int wv_mount_ready(wv_mount *m, int32_t *root);  /* the mount's root descriptor on the host */
bool wv_mount_is_file(wv_mount *m);
bool wv_mount_hides(wv_mount *m, const uint8_t *name, size_t len);
bool wv_mount_has_hides(wv_mount *m);
wv_bytes wv_mount_path(wv_mount *m);             /* inside the preopen ("." for all of it) */
bool wv_mount_read_only(wv_mount *m);
/* What `rel` (relative to `base`) is on the host, without following a last symlink. */
int wv_host_lookup(int32_t base, const uint8_t *rel, size_t len, uint8_t *kind);
/* A host symlink's target (heap bytes, the caller frees them). */
int wv_host_link_target(int32_t base, const uint8_t *rel, size_t len, wv_bytes *target);

/* -- descriptors (fs.c) --------------------------------------------------------------- */
struct wv_desc {
  wv_node *node;     /* virtual: holds a reference; NULL for a host descriptor */
  uint8_t flags;     /* descriptor-flags */
  wv_mount *mount;   /* host: the mount it belongs to */
  int32_t host;      /* host: its handle (-1: the mount's host directory is missing) */
  bool borrowed;     /* host: the mount's root, owned by the mount */
  bool is_dir;       /* host: known to be a directory (a mount's root); else the host decides */
  bool flags_known;  /* host: `flags` holds the host's answer (asked on first use, not at open) */
};

typedef struct {
  uint8_t type;
  uint8_t has_times;   /* bit i: times[i] is known (the host may not know all three) */
  uint64_t links, size;
  wv_time times[3];    /* data access, data modification, status change */
} wv_stat;

typedef struct { uint64_t lower, upper; } wv_hash;

typedef struct { uint8_t kind; wv_time t; } wv_new_time;  /* kind: 0 no-change, 1 now, 2 t */

int wv_preopen(wv_desc *out);
void wv_desc_release(wv_desc *d);
int wv_stat_node(wv_node *n, wv_stat *out);
int wv_open_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, uint8_t open_flags,
               uint8_t flags, wv_desc *out);
int wv_stat_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_stat *out);
int wv_hash_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, wv_hash *out);
int wv_desc_hash(wv_desc *d, wv_hash *out);
int wv_desc_stat(wv_desc *d, wv_stat *out);
int wv_desc_set_times(wv_desc *d, const wv_new_time *atime, const wv_new_time *mtime);
bool wv_desc_same(wv_desc *a, wv_desc *b);
uint8_t wv_desc_type(wv_desc *d);
int wv_desc_flags(wv_desc *d, uint8_t *flags);
int wv_set_times(wv_node *n, const wv_new_time *atime, const wv_new_time *mtime);
int wv_set_times_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len,
                    const wv_new_time *atime, const wv_new_time *mtime);
int wv_readlink_at(wv_desc *d, const uint8_t *path, size_t len, wv_bytes *out);
int wv_create_directory_at(wv_desc *d, const uint8_t *path, size_t len);
int wv_symlink_at(wv_desc *d, const uint8_t *target, size_t tlen, const uint8_t *path, size_t len);
int wv_link_at(wv_desc *d, uint8_t old_flags, const uint8_t *old_path, size_t olen, wv_desc *nd,
               const uint8_t *new_path, size_t nlen);
int wv_unlink_file_at(wv_desc *d, const uint8_t *path, size_t len);
int wv_remove_directory_at(wv_desc *d, const uint8_t *path, size_t len);
int wv_rename_at(wv_desc *d, const uint8_t *old_path, size_t olen, wv_desc *nd,
                 const uint8_t *new_path, size_t nlen);
/* `*eof`: end of file reached (for virtual files: nothing was read, as wasmtime) */
int wv_desc_read(wv_desc *d, uint64_t len, uint64_t off, wv_bytes *out, bool *borrowed, bool *eof);
int wv_desc_write(wv_desc *d, const uint8_t *buf, size_t len, uint64_t off);
int wv_desc_set_size(wv_desc *d, uint64_t size);
int wv_desc_advise(wv_desc *d, uint64_t off, uint64_t len, uint8_t advice);
int wv_desc_sync(wv_desc *d, bool data_only);

/* A directory's entries: a snapshot taken at `read-directory` for a virtual directory, the
 * host's stream (filtered by the mount's policy) for a host one. */
typedef struct {
  uint32_t count, index;
  struct { const uint8_t *name; uint16_t len; uint8_t type; } *items;
  uint8_t *names;      /* owned copies of names that were not the image's */
  int32_t host;        /* host directory-entry-stream, or -1 */
  wv_mount *mount;
} wv_listing;
int wv_list_directory(wv_desc *d, wv_listing *out);
/* The next entry: false at the end; `*owned` says `name` is a heap copy for the caller. */
int wv_listing_next(wv_listing *l, wv_bytes *name, uint8_t *type, bool *owned, bool *more);
void wv_listing_free(wv_listing *l);

/* -- the host side of mounts (mount.c): the core's operations on host paths ----------- */
int wv_host_open_at(const wv_resolved *r, bool follow, uint8_t open_flags, uint8_t flags, wv_desc *out);
int wv_host_stat_at(const wv_resolved *r, bool follow, wv_stat *out);
int wv_host_hash_at(const wv_resolved *r, bool follow, wv_hash *out);
int wv_host_set_times_at(const wv_resolved *r, bool follow, const wv_new_time *a, const wv_new_time *m);
int wv_host_readlink_at(const wv_resolved *r, wv_bytes *out);  /* heap bytes */
int wv_host_create_directory_at(const wv_resolved *r);
int wv_host_symlink_at(const uint8_t *target, size_t tlen, const wv_resolved *r);
int wv_host_link_at(const wv_resolved *old, const wv_resolved *nw);
int wv_host_unlink_file_at(const wv_resolved *r);
int wv_host_remove_directory_at(const wv_resolved *r);
int wv_host_rename_at(const wv_resolved *old, const wv_resolved *nw);
int wv_host_stat(wv_desc *d, wv_stat *out);
int wv_host_hash(wv_desc *d, wv_hash *out);
int wv_host_set_times(wv_desc *d, const wv_new_time *a, const wv_new_time *m);
int wv_host_read(wv_desc *d, uint64_t len, uint64_t off, wv_bytes *out, bool *eof);  /* heap bytes */
int wv_host_write(wv_desc *d, const uint8_t *buf, size_t len, uint64_t off);
int wv_host_set_size(wv_desc *d, uint64_t size);
int wv_host_advise(wv_desc *d, uint64_t off, uint64_t len, uint8_t advice);
int wv_host_sync(wv_desc *d, bool data_only);
int wv_host_read_directory(wv_desc *d, int32_t *stream);
int wv_host_read_stream(wv_desc *d, uint64_t off, int32_t *stream);              /* input-stream */
int wv_host_write_stream(wv_desc *d, uint64_t off, bool append, int32_t *stream); /* output-stream */
int wv_host_next_entry(wv_listing *l, wv_bytes *name, uint8_t *type, bool *more);
void wv_host_close_listing(wv_listing *l);
bool wv_host_same(wv_desc *a, wv_desc *b);
void wv_host_release(wv_desc *d);
int wv_host_type(wv_desc *d, uint8_t *type);
int wv_host_flags(wv_desc *d, uint8_t *flags);
uint8_t wv_mount_type(wv_mount *m);  /* T_DIRECTORY / T_REGULAR, T_UNKNOWN when missing */

#endif
