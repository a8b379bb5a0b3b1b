/* wasi:filesystem/{types,preopens}: descriptors over the core (fs.c), error codes across. */
#include "bind.h"

_Static_assert(FILESYSTEM_TYPES_ERROR_CODE_ACCESS == E_ACCESS &&
               FILESYSTEM_TYPES_ERROR_CODE_IO == E_IO &&
               FILESYSTEM_TYPES_ERROR_CODE_CROSS_DEVICE == E_CROSS_DEVICE,
               "core error codes are the error-code cases");
_Static_assert(FILESYSTEM_TYPES_DESCRIPTOR_TYPE_DIRECTORY == T_DIRECTORY &&
               FILESYSTEM_TYPES_DESCRIPTOR_TYPE_REGULAR_FILE == T_REGULAR &&
               FILESYSTEM_TYPES_DESCRIPTOR_TYPE_SYMBOLIC_LINK == T_SYMLINK, "descriptor types");
_Static_assert(FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ == DF_READ &&
               FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_MUTATE_DIRECTORY == DF_MUTATE_DIRECTORY &&
               FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE == OF_TRUNCATE &&
               FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW == PF_SYMLINK_FOLLOW, "flag bits");

typedef filesystem_types_descriptor_t desc_t;
typedef filesystem_types_error_code_t code_t;

/* Set *err and return false unless `code` is WV_OK. */
static bool done(int code, code_t *err) {
  if (code == WV_OK) return true;
  *err = (code_t)code;
  return false;
}

static desc_t *wrap(wv_desc d) {
  desc_t *w = wv_malloc(sizeof(desc_t));
  if (w) w->d = d;
  else wv_desc_release(&d);
  return w;
}

void filesystem_types_descriptor_destroy(desc_t *self) {
  wv_desc_release(&self->d);
  wv_free(self);
}

/* -- data --------------------------------------------------------------------------------- */
bool filesystem_types_descriptor_read_via_stream(desc_t *self, uint64_t offset, io_streams_input_stream_t **ret,
                                                 code_t *err) {
  wv_node *n = self->d.node;
  if (!n) {
    int32_t h;
    if (!done(wv_host_read_stream(&self->d, offset, &h), err)) return false;
    *ret = wv_wrap_input((host_io_streams_input_stream_own_t){h});
    if (!*ret) return done(E_INSUFFICIENT_MEMORY, err);
    (*ret)->from_mount = true;
    return true;
  }
  if (n->kind == N_DIR) return done(E_IS_DIRECTORY, err);
  if (!(self->d.flags & DF_READ) || n->kind != N_FILE) return done(E_BAD_DESCRIPTOR, err);
  io_streams_input_stream_t *s = wv_calloc(sizeof(*s));
  if (!s) return done(E_INSUFFICIENT_MEMORY, err);
  s->kind = S_FILE;
  s->node = n;
  s->pos = offset;
  wv_node_ref(n);
  *ret = s;
  return true;
}

static bool output(desc_t *self, uint64_t offset, bool append, io_streams_output_stream_t **ret, code_t *err) {
  wv_node *n = self->d.node;
  if (!n) {
    int32_t h;
    if (!done(wv_host_write_stream(&self->d, offset, append, &h), err)) return false;
    *ret = wv_wrap_output((host_io_streams_output_stream_own_t){h});
    if (!*ret) return done(E_INSUFFICIENT_MEMORY, err);
    (*ret)->from_mount = true;
    return true;
  }
  if (n->kind != N_FILE || !(self->d.flags & DF_WRITE)) return done(E_BAD_DESCRIPTOR, err);
  io_streams_output_stream_t *s = wv_calloc(sizeof(*s));
  if (!s) return done(E_INSUFFICIENT_MEMORY, err);
  s->kind = S_FILE;
  s->node = n;
  s->pos = offset;
  s->append = append;
  wv_node_ref(n);
  *ret = s;
  return true;
}

bool filesystem_types_descriptor_write_via_stream(desc_t *self, uint64_t offset, io_streams_output_stream_t **ret,
                                                  code_t *err) {
  return output(self, offset, false, ret, err);
}

bool filesystem_types_descriptor_append_via_stream(desc_t *self, io_streams_output_stream_t **ret, code_t *err) {
  return output(self, 0, true, ret, err);
}

bool filesystem_types_descriptor_advise(desc_t *self, uint64_t offset, uint64_t length,
                                        filesystem_types_advice_t advice, code_t *err) {
  return done(wv_desc_advise(&self->d, offset, length, advice), err);
}

bool filesystem_types_descriptor_sync_data(desc_t *self, code_t *err) {
  return done(wv_desc_sync(&self->d, true), err);
}

bool filesystem_types_descriptor_sync(desc_t *self, code_t *err) {
  return done(wv_desc_sync(&self->d, false), err);
}

bool filesystem_types_descriptor_read(desc_t *self, uint64_t length, uint64_t offset, wv_tuple2_list_u8_bool_t *ret,
                                      code_t *err) {
  wv_bytes b;
  bool borrowed, eof;
  if (!done(wv_desc_read(&self->d, length, offset, &b, &borrowed, &eof), err)) return false;
  ret->f0 = (wv_list_u8_t){(uint8_t *)b.ptr, b.len};
  ret->f1 = eof;
  return true;
}

bool filesystem_types_descriptor_write(desc_t *self, const wv_list_u8_t *buffer, uint64_t offset, uint64_t *ret,
                                       code_t *err) {
  if (!done(wv_desc_write(&self->d, buffer->ptr, buffer->len, offset), err)) return false;
  *ret = buffer->len;
  return true;
}

bool filesystem_types_descriptor_set_size(desc_t *self, uint64_t size, code_t *err) {
  return done(wv_desc_set_size(&self->d, size), err);
}

/* -- metadata ----------------------------------------------------------------------------- */
bool filesystem_types_descriptor_get_flags(desc_t *self, filesystem_types_descriptor_flags_t *ret, code_t *err) {
  uint8_t flags;
  if (!done(wv_desc_flags(&self->d, &flags), err)) return false;
  *ret = flags;
  return true;
}

bool filesystem_types_descriptor_get_type(desc_t *self, filesystem_types_descriptor_type_t *ret, code_t *err) {
  if (self->d.node) {
    *ret = wv_node_type(self->d.node);
    return true;
  }
  uint8_t type;
  if (!done(wv_host_type(&self->d, &type), err)) return false;
  *ret = type;
  return true;
}

static void stat_record(const wv_stat *s, filesystem_types_descriptor_stat_t *ret) {
  ret->type = s->type;
  ret->link_count = s->links;
  ret->size = s->size;
  wv_option_clocks_wall_clock_datetime_t *t[3] = {&ret->data_access_timestamp,
                                                  &ret->data_modification_timestamp,
                                                  &ret->status_change_timestamp};
  for (int i = 0; i < 3; i++) {
    t[i]->is_some = s->has_times >> i & 1;
    t[i]->val.seconds = s->times[i].sec;
    t[i]->val.nanoseconds = s->times[i].nsec;
  }
}

bool filesystem_types_descriptor_stat(desc_t *self, filesystem_types_descriptor_stat_t *ret, code_t *err) {
  wv_stat s;
  if (!done(wv_desc_stat(&self->d, &s), err)) return false;
  stat_record(&s, ret);
  return true;
}

bool filesystem_types_descriptor_stat_at(desc_t *self, filesystem_types_path_flags_t path_flags,
                                         const wv_string_t *path, filesystem_types_descriptor_stat_t *ret,
                                         code_t *err) {
  wv_stat s;
  if (!done(wv_stat_at(&self->d, path_flags, path->ptr, path->len, &s), err)) return false;
  stat_record(&s, ret);
  return true;
}

static wv_new_time new_time(const filesystem_types_new_timestamp_t *t) {
  wv_new_time out = {0, {0, 0}};
  if (t->tag == FILESYSTEM_TYPES_NEW_TIMESTAMP_NOW) out.kind = 1;
  if (t->tag == FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP) {
    out.kind = 2;
    out.t.sec = t->val.timestamp.seconds;
    out.t.nsec = t->val.timestamp.nanoseconds;
  }
  return out;
}

bool filesystem_types_descriptor_set_times(desc_t *self, const filesystem_types_new_timestamp_t *atime,
                                           const filesystem_types_new_timestamp_t *mtime, code_t *err) {
  wv_new_time a = new_time(atime), m = new_time(mtime);
  return done(wv_desc_set_times(&self->d, &a, &m), err);
}

bool filesystem_types_descriptor_set_times_at(desc_t *self, filesystem_types_path_flags_t path_flags,
                                              const wv_string_t *path, const filesystem_types_new_timestamp_t *atime,
                                              const filesystem_types_new_timestamp_t *mtime, code_t *err) {
  wv_new_time a = new_time(atime), m = new_time(mtime);
  return done(wv_set_times_at(&self->d, path_flags, path->ptr, path->len, &a, &m), err);
}

bool filesystem_types_descriptor_is_same_object(desc_t *self, desc_t *other) {
  return wv_desc_same(&self->d, &other->d);
}

static void hash_value(const wv_hash *h, filesystem_types_metadata_hash_value_t *ret) {
  ret->lower = h->lower;
  ret->upper = h->upper;
}

bool filesystem_types_descriptor_metadata_hash(desc_t *self, filesystem_types_metadata_hash_value_t *ret,
                                               code_t *err) {
  wv_hash h;
  if (!done(wv_desc_hash(&self->d, &h), err)) return false;
  hash_value(&h, ret);
  return true;
}

bool filesystem_types_descriptor_metadata_hash_at(desc_t *self, filesystem_types_path_flags_t path_flags,
                                                  const wv_string_t *path,
                                                  filesystem_types_metadata_hash_value_t *ret, code_t *err) {
  wv_hash h;
  if (!done(wv_hash_at(&self->d, path_flags, path->ptr, path->len, &h), err)) return false;
  hash_value(&h, ret);
  return true;
}

/* -- directories -------------------------------------------------------------------------- */
bool filesystem_types_descriptor_read_directory(desc_t *self, filesystem_types_directory_entry_stream_t **ret,
                                                code_t *err) {
  filesystem_types_directory_entry_stream_t *s = wv_calloc(sizeof(*s));
  if (!s) return done(E_INSUFFICIENT_MEMORY, err);
  int code = wv_list_directory(&self->d, &s->listing);
  if (code != WV_OK) {
    wv_free(s);
    return done(code, err);
  }
  *ret = s;
  return true;
}

void filesystem_types_directory_entry_stream_destroy(filesystem_types_directory_entry_stream_t *self) {
  wv_listing_free(&self->listing);
  wv_free(self);
}

/* Fused (glue/lowered.py): a host directory's listing goes to the host's function lowered
 * with the caller's memory and realloc when the mount hides nothing, so the host writes each
 * entry's name into the program's memory itself; with hidden names we filter (below). */
bool filesystem_types_directory_entry_stream_read_directory_entry_forward(
    filesystem_types_directory_entry_stream_t *self, host_filesystem_types_directory_entry_stream_borrow_t *host) {
  if (self->listing.host < 0 || wv_mount_has_hides(self->listing.mount)) return false;
  host->handle = self->listing.host;
  return true;
}

bool filesystem_types_directory_entry_stream_read_directory_entry(
    filesystem_types_directory_entry_stream_t *self, wv_option_filesystem_types_directory_entry_t *ret,
    code_t *err) {
  wv_bytes name;
  uint8_t type;
  bool owned, more;
  if (!done(wv_listing_next(&self->listing, &name, &type, &owned, &more), err)) return false;
  ret->is_some = more;
  if (!more) return true;
  uint8_t *p = (uint8_t *)name.ptr;
  if (!owned && !wv_result_bytes(name.ptr, name.len, &p)) return done(E_INSUFFICIENT_MEMORY, err);
  ret->val.type = type;
  ret->val.name = (wv_string_t){p, name.len};
  return true;
}

bool filesystem_types_descriptor_open_at(desc_t *self, filesystem_types_path_flags_t path_flags, const wv_string_t *path,
                                         filesystem_types_open_flags_t open_flags,
                                         filesystem_types_descriptor_flags_t flags, desc_t **ret, code_t *err) {
  wv_desc d;
  if (!done(wv_open_at(&self->d, path_flags, path->ptr, path->len, open_flags, flags, &d), err)) return false;
  *ret = wrap(d);
  return *ret ? true : done(E_INSUFFICIENT_MEMORY, err);
}

bool filesystem_types_descriptor_create_directory_at(desc_t *self, const wv_string_t *path, code_t *err) {
  return done(wv_create_directory_at(&self->d, path->ptr, path->len), err);
}

bool filesystem_types_descriptor_readlink_at(desc_t *self, const wv_string_t *path, wv_string_t *ret, code_t *err) {
  wv_bytes b;
  if (!done(wv_readlink_at(&self->d, path->ptr, path->len, &b), err)) return false;
  uint8_t *p;
  if (!wv_result_bytes(b.ptr, b.len, &p)) return done(E_INSUFFICIENT_MEMORY, err);
  *ret = (wv_string_t){p, b.len};
  return true;
}

bool filesystem_types_descriptor_remove_directory_at(desc_t *self, const wv_string_t *path, code_t *err) {
  return done(wv_remove_directory_at(&self->d, path->ptr, path->len), err);
}

bool filesystem_types_descriptor_unlink_file_at(desc_t *self, const wv_string_t *path, code_t *err) {
  return done(wv_unlink_file_at(&self->d, path->ptr, path->len), err);
}

bool filesystem_types_descriptor_rename_at(desc_t *self, const wv_string_t *old_path, desc_t *new_descriptor,
                                           const wv_string_t *new_path, code_t *err) {
  return done(wv_rename_at(&self->d, old_path->ptr, old_path->len, &new_descriptor->d, new_path->ptr,
                           new_path->len), err);
}

bool filesystem_types_descriptor_symlink_at(desc_t *self, const wv_string_t *old_path, const wv_string_t *new_path,
                                            code_t *err) {
  return done(wv_symlink_at(&self->d, old_path->ptr, old_path->len, new_path->ptr, new_path->len), err);
}

bool filesystem_types_descriptor_link_at(desc_t *self, filesystem_types_path_flags_t old_path_flags,
                                         const wv_string_t *old_path, desc_t *new_descriptor,
                                         const wv_string_t *new_path, code_t *err) {
  return done(wv_link_at(&self->d, old_path_flags, old_path->ptr, old_path->len, &new_descriptor->d,
                         new_path->ptr, new_path->len), err);
}

/* The error code behind a stream error: ours, or the host's for a mounted file's stream;
 * none for other host streams (stdio). */
bool filesystem_types_filesystem_error_code(io_error_error_t *e, code_t *ret) {
  if (!e->has_host) {
    *ret = (code_t)e->code;
    return true;
  }
  if (!e->from_mount) return false;
  host_filesystem_types_error_code_t code;
  if (!host_filesystem_types_filesystem_error_code(host_io_error_error_borrow(e->host), &code)) return false;
  *ret = code;
  return true;
}

/* -- wasi:filesystem/preopens ------------------------------------------------------------- */
static uint8_t root_name[] = "/";

void filesystem_preopens_get_directories(wv_list_tuple2_own_filesystem_types_descriptor_string_t *ret) {
  *ret = (wv_list_tuple2_own_filesystem_types_descriptor_string_t){0, 0};
  wv_desc d;
  if (wv_preopen(&d) != WV_OK) return;  /* an unreadable image offers no directories */
  desc_t *w = wrap(d);
  wv_tuple2_own_filesystem_types_descriptor_string_t *items = w ? wv_malloc(sizeof(*items)) : 0;
  if (!items) {
    if (w) filesystem_types_descriptor_destroy(w);
    return;
  }
  items[0].f0 = w;
  items[0].f1 = (wv_string_t){root_name, 1};
  *ret = (wv_list_tuple2_own_filesystem_types_descriptor_string_t){items, 1};
}
