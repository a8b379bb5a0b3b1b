/* Host mounts: a host preopen passed through at a guest path, with a policy.
 *
 * A mount is found in the image as an entry of kind 4 whose blob describes it (host
 * preopen name, path inside it, read-only, hidden name patterns; docs/image-format.md).
 * At its first use the virtualizer asks the host for its preopens, picks the one named
 * like the mount, and opens the mount's path inside it; without such a preopen the mount
 * answers `no-entry`, and one line on stderr says which `--dir` is missing.
 *
 * The operations here are the core's (fs.c) on paths the resolver (paths.c) placed inside
 * a mount: a host call on the mount's descriptor with the rest of the path, after the
 * policy (read-only refuses every change with `read-only`; a hidden name is `no-entry`,
 * and cannot be created: `access`). The host itself keeps every path inside the
 * descriptor it is given (wasmtime's cap-std), so `..` or a symlink can never reach above
 * the mount.
 */
#include "bind.h"

typedef host_filesystem_types_descriptor_borrow_t hdesc;
typedef host_filesystem_types_error_code_t hcode;

_Static_assert(sizeof(host_filesystem_types_descriptor_stat_t) == sizeof(filesystem_types_descriptor_stat_t),
               "host and virtual stat records have one layout");

enum { M_UNKNOWN, M_DIR, M_FILE, M_MISSING };

struct wv_mount {
  uint32_t blob;
  const uint8_t *host, *path, *guest, *hide;
  uint16_t host_len, path_len, guest_len, nhide;
  bool read_only;
  uint8_t state;
  int32_t root;       /* the mount's directory, or the preopen holding a file mount */
  bool root_owned;
  wv_mount *next;
};

static wv_mount *mounts;

#define LIVE(d) do { if ((d)->host < 0) return E_NO_ENTRY; } while (0)

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

wv_mount *wv_mount_of(uint32_t blob) {
  for (wv_mount *m = mounts; m; m = m->next) {
    if (m->blob == blob) return m;
  }
  wv_bytes b;
  if (!wv_blob(blob, &b) || b.len < 10 || b.ptr[0] != 1) return 0;
  wv_mount *m = wv_calloc(sizeof(*m));
  if (!m) return 0;
  m->blob = blob;
  m->read_only = b.ptr[1] & 1;
  m->host_len = rd16(b.ptr + 2);
  m->path_len = rd16(b.ptr + 4);
  m->guest_len = rd16(b.ptr + 6);
  m->nhide = rd16(b.ptr + 8);
  size_t pos = 10;
  if (b.len - pos < (size_t)m->host_len + m->path_len + m->guest_len) goto bad;
  m->host = b.ptr + pos;
  pos += m->host_len;
  m->path = b.ptr + pos;
  pos += m->path_len;
  m->guest = b.ptr + pos;
  pos += m->guest_len;
  m->hide = b.ptr + pos;
  for (uint16_t i = 0; i < m->nhide; i++) {
    if (b.len - pos < 2 || b.len - pos - 2 < rd16(b.ptr + pos)) goto bad;
    pos += 2 + rd16(b.ptr + pos);
  }
  if (pos != b.len || !m->host_len || !wv_utf8_valid(m->host, m->host_len)) goto bad;
  m->next = mounts;
  mounts = m;
  return m;
bad:
  wv_free(m);
  return 0;
}

bool wv_mount_read_only(wv_mount *m) { return m->read_only; }
bool wv_mount_is_file(wv_mount *m) { return m->state == M_FILE; }
bool wv_mount_has_hides(wv_mount *m) { return m->nhide != 0; }

wv_bytes wv_mount_path(wv_mount *m) {
  return m->path_len ? (wv_bytes){m->path, m->path_len} : (wv_bytes){(const uint8_t *)".", 1};
}

/* Shell-style matching of one name: `*`, `?`, `[...]` (with `!` or `^` negation, ranges). */
static bool match(const uint8_t *p, size_t pn, const uint8_t *s, size_t sn) {
  size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
  while (si < sn) {
    if (pi < pn && p[pi] == '*') {
      star_p = pi++;
      star_s = si;
      continue;
    }
    if (pi < pn && p[pi] == '?') {
      pi++, si++;
      continue;
    }
    if (pi < pn && p[pi] == '[') {
      size_t j = pi + 1;
      bool negate = j < pn && (p[j] == '!' || p[j] == '^');
      if (negate) j++;
      bool hit = false, closed = false;
      for (size_t first = j; j < pn; j++) {
        if (p[j] == ']' && j > first) {
          closed = true;
          break;
        }
        if (j + 2 < pn && p[j + 1] == '-' && p[j + 2] != ']') {
          if (s[si] >= p[j] && s[si] <= p[j + 2]) hit = true;
          j += 2;
        } else if (p[j] == s[si]) {
          hit = true;
        }
      }
      if (closed && hit != negate) {
        pi = j + 1, si++;
        continue;
      }
      if (!closed && p[pi] == s[si]) {  /* a lone `[` is literal */
        pi++, si++;
        continue;
      }
    } else if (pi < pn && p[pi] == s[si]) {
      pi++, si++;
      continue;
    }
    if (star_p == (size_t)-1) return false;
    pi = star_p + 1;
    si = ++star_s;
  }
  while (pi < pn && p[pi] == '*') pi++;
  return pi == pn;
}

bool wv_mount_hides(wv_mount *m, const uint8_t *name, size_t len) {
  const uint8_t *p = m->hide;
  for (uint16_t i = 0; i < m->nhide; i++) {
    uint16_t n = rd16(p);
    if (match(p + 2, n, name, len)) return true;
    p += 2 + n;
  }
  return false;
}

/* -- finding the mount's directory on the host ------------------------------------------- */
static wv_list_tuple2_own_host_filesystem_types_descriptor_string_t preopens;
static bool have_preopens;

static void say(wv_mount *m, const char *what) {
  /* one line on the host's stderr, the first time a mount is found missing */
  static uint8_t line[512];
  size_t n = 0;
  const char *parts[] = {"wasivirt: mount ", 0, ": ", what, " named \"", 0,
                         "\" (run with --dir HOST_DIR::", 0, "); it answers no-entry\n"};
  for (int i = 0; i < 9; i++) {
    const uint8_t *s = (const uint8_t *)parts[i];
    size_t len = 0;
    if (i == 1) s = m->guest, len = m->guest_len;
    else if (i == 5 || i == 7) s = m->host, len = m->host_len;
    else while (s[len]) len++;
    if (len > sizeof(line) - n) len = sizeof(line) - n;
    memcpy(line + n, s, len);
    n += len;
  }
  host_io_streams_output_stream_own_t err = host_cli_stderr_get_stderr();
  wv_list_u8_t text = {line, n};
  host_io_streams_stream_error_t e;
  if (!host_io_streams_output_stream_blocking_write_and_flush(host_io_streams_output_stream_borrow(err), &text, &e)
      && e.tag == HOST_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED)
    host_io_error_error_drop(e.val.last_operation_failed);
  host_io_streams_output_stream_drop(err);
}

static int missing(wv_mount *m, const char *what) {
  m->state = M_MISSING;
  say(m, what);
  return E_NO_ENTRY;
}

int wv_mount_ready(wv_mount *m, int32_t *root) {
  if (m->state == M_MISSING) return E_NO_ENTRY;
  if (m->state != M_UNKNOWN) {
    *root = m->root;
    return WV_OK;
  }
  if (!have_preopens) {
    host_filesystem_preopens_get_directories(&preopens);
    have_preopens = true;
  }
  int32_t preopen = -1;
  for (size_t i = 0; i < preopens.len; i++) {
    wv_string_t *name = &preopens.ptr[i].f1;
    if (name->len == m->host_len && memcmp(name->ptr, m->host, m->host_len) == 0) {
      preopen = preopens.ptr[i].f0.handle;
      break;
    }
  }
  if (preopen < 0) return missing(m, "the runtime gave no preopened directory");
  if (m->path_len == 0) {
    m->state = M_DIR;
    m->root = preopen;
    *root = preopen;
    return WV_OK;
  }
  wv_string_t path = {(uint8_t *)m->path, m->path_len};
  host_filesystem_types_descriptor_stat_t st;
  hcode code;
  if (!host_filesystem_types_descriptor_stat_at((hdesc){preopen}, HOST_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW,
                                                &path, &st, &code))
    return missing(m, "its path is not inside the preopened directory");
  if (st.type != HOST_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_DIRECTORY) {
    m->state = M_FILE;  /* a single-file mount: opened on each open-at of it */
    m->root = preopen;
    *root = preopen;
    return WV_OK;
  }
  host_filesystem_types_descriptor_own_t dir;
  uint8_t flags = DF_READ | (m->read_only ? 0 : DF_MUTATE_DIRECTORY);
  if (!host_filesystem_types_descriptor_open_at((hdesc){preopen}, HOST_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW,
                                                &path, HOST_FILESYSTEM_TYPES_OPEN_FLAGS_DIRECTORY, flags, &dir, &code))
    return missing(m, "its path cannot be opened in the preopened directory");
  m->state = M_DIR;
  m->root = dir.handle;
  m->root_owned = true;
  *root = m->root;
  return WV_OK;
}

uint8_t wv_mount_type(wv_mount *m) {
  int32_t root;
  if (wv_mount_ready(m, &root) != WV_OK) return T_UNKNOWN;
  return m->state == M_FILE ? T_REGULAR : T_DIRECTORY;
}

/* -- helpers ------------------------------------------------------------------------------- */
static wv_string_t hpath(const wv_resolved *r) { return (wv_string_t){r->host_path, r->host_len}; }
static uint8_t hflags(bool follow) { return follow ? HOST_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW : 0; }

/* The guest's follow flag where the host resolves the path; the resolver already followed
 * every symlink it wanted to otherwise. */
static bool follow_for(const wv_resolved *r, bool follow) { return r->host_kind == WM_UNKNOWN && follow; }

static int changing(const wv_resolved *r) {
  if (r->mount->read_only) return E_READ_ONLY;
  if (r->host_hidden) return E_ACCESS;
  return WV_OK;
}

static int existing(const wv_resolved *r) { return r->host_hidden ? E_NO_ENTRY : WV_OK; }

static void stat_from_host(const host_filesystem_types_descriptor_stat_t *h, wv_stat *out) {
  out->type = h->type;
  out->links = h->link_count;
  out->size = h->size;
  out->has_times = 0;
  const wv_option_host_clocks_wall_clock_datetime_t *t[3] = {
      &h->data_access_timestamp, &h->data_modification_timestamp, &h->status_change_timestamp};
  for (int i = 0; i < 3; i++) {
    if (!t[i]->is_some) continue;
    out->has_times |= 1 << i;
    out->times[i] = (wv_time){t[i]->val.seconds, t[i]->val.nanoseconds};
  }
}

static host_filesystem_types_new_timestamp_t to_host_time(const wv_new_time *t) {
  host_filesystem_types_new_timestamp_t h = {.tag = t->kind};
  if (t->kind == 2) h.val.timestamp = (host_clocks_wall_clock_datetime_t){t->t.sec, t->t.nsec};
  return h;
}

static int host_desc(int32_t handle, wv_mount *m, wv_desc *out) {
  /* type and flags are asked only when someone needs them: a host call costs more than
   * the rest of an open */
  *out = (wv_desc){.mount = m, .host = handle};
  return WV_OK;
}

int wv_host_type(wv_desc *d, uint8_t *type) {
  LIVE(d);
  if (d->is_dir) {
    *type = T_DIRECTORY;
    return WV_OK;
  }
  host_filesystem_types_descriptor_type_t t;
  hcode code;
  if (!host_filesystem_types_descriptor_get_type((hdesc){d->host}, &t, &code)) return code;
  *type = t;
  return WV_OK;
}

int wv_host_flags(wv_desc *d, uint8_t *flags) {
  if (d->flags_known || d->host < 0) {
    *flags = d->flags;
    return WV_OK;
  }
  host_filesystem_types_descriptor_flags_t f;
  hcode code;
  if (!host_filesystem_types_descriptor_get_flags((hdesc){d->host}, &f, &code)) return code;
  if (d->mount->read_only) f &= ~(DF_WRITE | DF_MUTATE_DIRECTORY);
  d->flags = f;
  d->flags_known = true;
  *flags = f;
  return WV_OK;
}

/* A descriptor for a whole directory mount: its root, borrowed from the mount. */
int wv_mount_root_desc(wv_mount *m, wv_desc *out) {
  int32_t root;
  if (wv_mount_ready(m, &root) != WV_OK || m->state != M_DIR) {
    *out = (wv_desc){.mount = m, .host = -1, .is_dir = true, .flags = DF_READ, .flags_known = true};
    return WV_OK;  /* every call through it answers no-entry */
  }
  *out = (wv_desc){.mount = m, .host = root, .borrowed = true, .is_dir = true};
  return WV_OK;
}

int wv_host_lookup(int32_t base, const uint8_t *rel, size_t len, uint8_t *kind) {
  wv_string_t path = {(uint8_t *)rel, len};
  host_filesystem_types_descriptor_stat_t st;
  hcode code;
  if (!host_filesystem_types_descriptor_stat_at((hdesc){base}, 0, &path, &st, &code)) {
    if (code == E_NO_ENTRY) {
      *kind = WM_MISSING;
      return WV_OK;
    }
    return code;
  }
  switch (st.type) {
    case HOST_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_DIRECTORY: *kind = WM_DIR; break;
    case HOST_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_REGULAR_FILE: *kind = WM_FILE; break;
    case HOST_FILESYSTEM_TYPES_DESCRIPTOR_TYPE_SYMBOLIC_LINK: *kind = WM_SYMLINK; break;
    default: *kind = WM_OTHER; break;
  }
  return WV_OK;
}

/* A symlink's target, to follow it (the host refuses absolute ones: `not-permitted`). */
int wv_host_link_target(int32_t base, const uint8_t *rel, size_t len, wv_bytes *target) {
  wv_string_t path = {(uint8_t *)rel, len}, text;
  hcode code;
  if (!host_filesystem_types_descriptor_readlink_at((hdesc){base}, &path, &text, &code)) return code;
  *target = (wv_bytes){text.ptr, text.len};
  return WV_OK;
}

/* -- operations on paths inside a mount ------------------------------------------------------ */
int wv_host_open_at(const wv_resolved *r, bool follow, uint8_t open_flags, uint8_t flags, wv_desc *out) {
  bool creates = open_flags & (OF_CREATE | OF_TRUNCATE);
  if (r->mount->read_only && (creates || (flags & (DF_WRITE | DF_MUTATE_DIRECTORY)))) {
    if (creates || (flags & DF_WRITE)) return E_READ_ONLY;
    flags &= ~DF_MUTATE_DIRECTORY;
  }
  if (r->host_hidden) return (open_flags & OF_CREATE) ? E_ACCESS : E_NO_ENTRY;
  wv_string_t path = hpath(r);
  host_filesystem_types_descriptor_own_t d;
  hcode code;
  if (!host_filesystem_types_descriptor_open_at((hdesc){r->host_base}, hflags(follow_for(r, follow)), &path,
                                                open_flags, flags, &d, &code))
    return code;
  return host_desc(d.handle, r->mount, out);
}

int wv_host_stat_at(const wv_resolved *r, bool follow, wv_stat *out) {
  int err = existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  host_filesystem_types_descriptor_stat_t st;
  hcode code;
  if (!host_filesystem_types_descriptor_stat_at((hdesc){r->host_base}, hflags(follow_for(r, follow)), &path, &st, &code))
    return code;
  stat_from_host(&st, out);
  return WV_OK;
}

int wv_host_hash_at(const wv_resolved *r, bool follow, wv_hash *out) {
  int err = existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  host_filesystem_types_metadata_hash_value_t h;
  hcode code;
  if (!host_filesystem_types_descriptor_metadata_hash_at((hdesc){r->host_base}, hflags(follow_for(r, follow)), &path,
                                                         &h, &code))
    return code;
  *out = (wv_hash){h.lower, h.upper};
  return WV_OK;
}

int wv_host_set_times_at(const wv_resolved *r, bool follow, const wv_new_time *a, const wv_new_time *m) {
  int err = r->mount->read_only ? E_READ_ONLY : existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  host_filesystem_types_new_timestamp_t ha = to_host_time(a), hm = to_host_time(m);
  hcode code;
  return host_filesystem_types_descriptor_set_times_at((hdesc){r->host_base}, hflags(follow_for(r, follow)), &path,
                                                       &ha, &hm, &code) ? WV_OK : code;
}

int wv_host_readlink_at(const wv_resolved *r, wv_bytes *out) {
  int err = existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r), text;
  hcode code;
  if (!host_filesystem_types_descriptor_readlink_at((hdesc){r->host_base}, &path, &text, &code)) return code;
  *out = (wv_bytes){text.ptr, text.len};
  return WV_OK;
}

int wv_host_create_directory_at(const wv_resolved *r) {
  int err = changing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  hcode code;
  return host_filesystem_types_descriptor_create_directory_at((hdesc){r->host_base}, &path, &code) ? WV_OK : code;
}

int wv_host_symlink_at(const uint8_t *target, size_t tlen, const wv_resolved *r) {
  int err = changing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r), text = {(uint8_t *)target, tlen};
  hcode code;
  return host_filesystem_types_descriptor_symlink_at((hdesc){r->host_base}, &text, &path, &code) ? WV_OK : code;
}

int wv_host_link_at(const wv_resolved *old, const wv_resolved *nw) {
  int err = existing(old);
  if (err == WV_OK) err = changing(nw);
  if (err != WV_OK) return err;
  wv_string_t from = hpath(old), to = hpath(nw);
  hcode code;
  return host_filesystem_types_descriptor_link_at((hdesc){old->host_base}, 0, &from, (hdesc){nw->host_base}, &to,
                                                  &code) ? WV_OK : code;
}

int wv_host_unlink_file_at(const wv_resolved *r) {
  int err = r->mount->read_only ? E_READ_ONLY : existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  hcode code;
  return host_filesystem_types_descriptor_unlink_file_at((hdesc){r->host_base}, &path, &code) ? WV_OK : code;
}

int wv_host_remove_directory_at(const wv_resolved *r) {
  int err = r->mount->read_only ? E_READ_ONLY : existing(r);
  if (err != WV_OK) return err;
  wv_string_t path = hpath(r);
  hcode code;
  return host_filesystem_types_descriptor_remove_directory_at((hdesc){r->host_base}, &path, &code) ? WV_OK : code;
}

int wv_host_rename_at(const wv_resolved *old, const wv_resolved *nw) {
  int err = old->mount->read_only ? E_READ_ONLY : existing(old);
  if (err == WV_OK) err = changing(nw);
  if (err != WV_OK) return err;
  wv_string_t from = hpath(old), to = hpath(nw);
  hcode code;
  return host_filesystem_types_descriptor_rename_at((hdesc){old->host_base}, &from, (hdesc){nw->host_base}, &to,
                                                    &code) ? WV_OK : code;
}

/* -- operations on host descriptors ------------------------------------------------------------ */
int wv_host_stat(wv_desc *d, wv_stat *out) {
  LIVE(d);
  host_filesystem_types_descriptor_stat_t st;
  hcode code;
  if (!host_filesystem_types_descriptor_stat((hdesc){d->host}, &st, &code)) return code;
  stat_from_host(&st, out);
  return WV_OK;
}

int wv_host_hash(wv_desc *d, wv_hash *out) {
  LIVE(d);
  host_filesystem_types_metadata_hash_value_t h;
  hcode code;
  if (!host_filesystem_types_descriptor_metadata_hash((hdesc){d->host}, &h, &code)) return code;
  *out = (wv_hash){h.lower, h.upper};
  return WV_OK;
}

int wv_host_set_times(wv_desc *d, const wv_new_time *a, const wv_new_time *m) {
  LIVE(d);
  if (d->mount->read_only) return E_READ_ONLY;
  host_filesystem_types_new_timestamp_t ha = to_host_time(a), hm = to_host_time(m);
  hcode code;
  return host_filesystem_types_descriptor_set_times((hdesc){d->host}, &ha, &hm, &code) ? WV_OK : code;
}

int wv_host_read(wv_desc *d, uint64_t len, uint64_t off, wv_bytes *out, bool *eof) {
  LIVE(d);
  wv_tuple2_list_u8_bool_t got;
  hcode code;
  if (len > WV_MAX_READ) len = WV_MAX_READ;
  if (!host_filesystem_types_descriptor_read((hdesc){d->host}, len, off, &got, &code)) return code;
  *out = (wv_bytes){got.f0.ptr, got.f0.len};
  *eof = got.f1;
  return WV_OK;
}

int wv_host_write(wv_desc *d, const uint8_t *buf, size_t len, uint64_t off) {
  LIVE(d);
  if (d->mount->read_only) return E_BAD_DESCRIPTOR;  /* never opened for writing */
  wv_list_u8_t data = {(uint8_t *)buf, len};
  uint64_t n;
  hcode code;
  return host_filesystem_types_descriptor_write((hdesc){d->host}, &data, off, &n, &code) ? WV_OK : code;
}

int wv_host_set_size(wv_desc *d, uint64_t size) {
  LIVE(d);
  if (d->mount->read_only) return E_READ_ONLY;
  hcode code;
  return host_filesystem_types_descriptor_set_size((hdesc){d->host}, size, &code) ? WV_OK : code;
}

int wv_host_advise(wv_desc *d, uint64_t off, uint64_t len, uint8_t advice) {
  LIVE(d);
  hcode code;
  return host_filesystem_types_descriptor_advise((hdesc){d->host}, off, len, advice, &code) ? WV_OK : code;
}

int wv_host_sync(wv_desc *d, bool data_only) {
  LIVE(d);
  hcode code;
  bool ok = data_only ? host_filesystem_types_descriptor_sync_data((hdesc){d->host}, &code)
                      : host_filesystem_types_descriptor_sync((hdesc){d->host}, &code);
  return ok ? WV_OK : code;
}

int wv_host_read_directory(wv_desc *d, int32_t *stream) {
  LIVE(d);
  host_filesystem_types_directory_entry_stream_own_t s;
  hcode code;
  if (!host_filesystem_types_descriptor_read_directory((hdesc){d->host}, &s, &code)) return code;
  *stream = s.handle;
  return WV_OK;
}

int wv_host_read_stream(wv_desc *d, uint64_t off, int32_t *stream) {
  LIVE(d);
  host_io_streams_input_stream_own_t s;
  hcode code;
  if (!host_filesystem_types_descriptor_read_via_stream((hdesc){d->host}, off, &s, &code)) return code;
  *stream = s.handle;
  return WV_OK;
}

int wv_host_write_stream(wv_desc *d, uint64_t off, bool append, int32_t *stream) {
  LIVE(d);
  host_io_streams_output_stream_own_t s;
  hcode code;
  bool ok = append ? host_filesystem_types_descriptor_append_via_stream((hdesc){d->host}, &s, &code)
                   : host_filesystem_types_descriptor_write_via_stream((hdesc){d->host}, off, &s, &code);
  if (!ok) return code;
  *stream = s.handle;
  return WV_OK;
}

int wv_host_next_entry(wv_listing *l, wv_bytes *name, uint8_t *type, bool *more) {
  for (;;) {
    wv_option_host_filesystem_types_directory_entry_t e;
    hcode code;
    if (!host_filesystem_types_directory_entry_stream_read_directory_entry(
            (host_filesystem_types_directory_entry_stream_borrow_t){l->host}, &e, &code))
      return code;
    if (!e.is_some) {
      *more = false;
      return WV_OK;
    }
    if (wv_mount_hides(l->mount, e.val.name.ptr, e.val.name.len)) {  /* absent from listings */
      wv_free(e.val.name.ptr);
      continue;
    }
    *name = (wv_bytes){e.val.name.ptr, e.val.name.len};
    *type = e.val.type;
    *more = true;
    return WV_OK;
  }
}

void wv_host_close_listing(wv_listing *l) {
  if (l->host >= 0) host_filesystem_types_directory_entry_stream_drop((host_filesystem_types_directory_entry_stream_own_t){l->host});
  l->host = -1;
}

bool wv_host_same(wv_desc *a, wv_desc *b) {
  if (a->host < 0 || b->host < 0) return false;
  return host_filesystem_types_descriptor_is_same_object((hdesc){a->host}, (hdesc){b->host});
}

void wv_host_release(wv_desc *d) {
  if (d->host >= 0 && !d->borrowed) host_filesystem_types_descriptor_drop((host_filesystem_types_descriptor_own_t){d->host});
  d->host = -1;
}
