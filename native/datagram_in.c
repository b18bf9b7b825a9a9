/*
 * Datagrams in, for the fast path (optional: without it Fluo reads through Node's dgram).
 * Node's dgram builds a `rinfo` object and a new Buffer for every datagram and reads
 * until EAGAIN, one recvmsg(2) per datagram and one more that finds nothing. On a
 * media hop that carries one stream (an RtpEndpoint, a worker <-> engine bin hop), that
 * receive path was a fifth of the worker's CPU (perf, 2026-12-07). Here one recvmmsg(2)
 * takes every datagram the socket holds into a per-thread slab, and one JavaScript call
 * per batch reads them from it (DatagramIn.ts).
 *
 * The reader polls a duplicate of the socket's descriptor (libuv allows one watcher per
 * descriptor number, and the socket's own stays Node's, for sending); Node's reading is
 * stopped by the caller. Closing the reader closes the duplicate at once, so the port is
 * free once both it and the socket are closed. The reader is closed by `recvStop`, by the
 * environment's teardown (an async cleanup hook: a worker that exits leaves no handle
 * open on its loop), or when its handle is collected.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <node_api.h>
#include <uv.h>
#include "datagram_in.h"
#include "fastpath.h"

/* Slab layout, shared with DatagramIn.ts: SLOTS datagrams of at most SLOT bytes, and per
 * datagram META_WORDS uint32 of meta: length, port, family (4; 0 for a datagram cut
 * short or not IPv4: IPv4 sockets only), reserved, then the address in network order. */
#define SLOTS 32
#define SLOT 9216
#define META_WORDS 8
/* Batches per wakeup before the loop's other handles get their turn. */
#define ROUNDS 4

/* Marks the handles recvStart gives out, so recvStop takes nothing else for a reader. */
static const napi_type_tag READER_TAG = {0x8f1d2c3b4a596877ULL, 0x1e2d3c4b5a697887ULL};

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref slab_ref;
  napi_ref meta_ref;
  uint8_t *slab;
  uint32_t *meta;
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  int fd;
  int running;
  int closed;
  int finalized;
} Reader;

static void on_close(uv_handle_t *h) {
  Reader *r = h->data;
  napi_delete_reference(r->env, r->callback);
  napi_delete_reference(r->env, r->slab_ref);
  napi_delete_reference(r->env, r->meta_ref);
  napi_async_destroy(r->env, r->async);
  if (r->cleanup) napi_remove_async_cleanup_hook(r->cleanup);
  r->cleanup = NULL;
  r->closed = 1;
  if (r->finalized) free(r);
}

static void begin_close(Reader *r) {
  if (!r->running) return;
  r->running = 0;
  /* The descriptor is closed now, not in the close callback: the port is free as soon as
   * the socket's own descriptor is closed too, as with a socket Node reads itself. uv_close
   * stops the poll, but a libuv built with io_uring may queue that epoll removal, which
   * would then find the descriptor closed and leave the duplicate's entry in epoll (libuv
   * issue 4323): it is removed here, before the close (ENOENT when libuv already did). */
  uv_close((uv_handle_t *)&r->poll, on_close);
  struct epoll_event unused = {0};
  epoll_ctl(uv_backend_fd(r->poll.loop), EPOLL_CTL_DEL, r->fd, &unused);
  close(r->fd);
}

static void cleanup_hook(napi_async_cleanup_hook_handle handle, void *data) {
  begin_close(data);
}

static void finalize(napi_env env, void *data, void *hint) {
  Reader *r = data;
  r->finalized = 1;
  if (r->closed) free(r);
  else begin_close(r);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  Reader *r = h->data;
  if (!r->running) return;
  if (status < 0) {
    /* libuv stopped the poll on a socket error (POLLERR): clear it and go on reading. */
    int error;
    socklen_t len = sizeof error;
    getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &error, &len);
    uv_poll_start(&r->poll, UV_READABLE, on_readable);
    return;
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  struct mmsghdr msgs[SLOTS];
  struct iovec iov[SLOTS];
  struct sockaddr_in6 from[SLOTS]; /* room for any family the socket could report */
  for (int round = 0; round < ROUNDS && r->running; round++) {
    for (int i = 0; i < SLOTS; i++) {
      iov[i].iov_base = r->slab + (size_t)i * SLOT;
      iov[i].iov_len = SLOT;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do n = recvmmsg(r->fd, msgs, SLOTS, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t *m = r->meta + (size_t)i * META_WORDS;
      const struct sockaddr *sa = (const struct sockaddr *)&from[i];
      m[0] = msgs[i].msg_len;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        m[2] = 0;
      } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        m[1] = ntohs(a->sin_port);
        m[2] = 4;
        memcpy(&m[4], &a->sin_addr, 4);
      } else {
        m[2] = 0;
      }
    }
    napi_value cb, recv, argv[1], result;
    napi_get_reference_value(env, r->callback, &cb);
    napi_get_global(env, &recv); /* napi_make_callback wants an object */
    napi_create_uint32(env, (uint32_t)n, &argv[0]);
    if (napi_make_callback(env, r->async, recv, cb, 1, argv, &result) == napi_pending_exception) {
      /* As Node does for a throwing 'message' listener: the process's uncaught-exception path. */
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
      break;
    }
    if (n < SLOTS) break;
  }
  napi_close_handle_scope(env, scope);
}

/*
 * recvStart(fd, slab, meta, callback) -> handle. `slab` holds SLOTS * SLOT bytes and
 * `meta` SLOTS * META_WORDS uint32 (one pair per thread is enough: a batch is read before
 * the next one is taken); `callback(count)` is called with each batch.
 */
napi_value datagram_recv_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *slab, *meta;
  size_t slab_len, meta_len;
  napi_valuetype cb_type;
  bool is_slab = false, is_meta = false;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_buffer(env, argv[1], &is_slab) != napi_ok || !is_slab || napi_get_buffer_info(env, argv[1], &slab, &slab_len) != napi_ok ||
      napi_is_buffer(env, argv[2], &is_meta) != napi_ok || !is_meta || napi_get_buffer_info(env, argv[2], &meta, &meta_len) != napi_ok ||
      napi_typeof(env, argv[3], &cb_type) != napi_ok || cb_type != napi_function)
    return throw_error(env, "recvStart(fd, slab, meta, callback)");
  if (slab_len < (size_t)SLOTS * SLOT || meta_len < (size_t)SLOTS * META_WORDS * 4 || ((uintptr_t)meta & 3))
    return throw_error(env, "recvStart: slab or meta too small");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_error(env, "recvStart: no event loop");
  Reader *r = calloc(1, sizeof *r);
  if (!r) return throw_error(env, "recvStart: out of memory");
  r->env = env;
  r->slab = slab;
  r->meta = meta;
  r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r->fd < 0) {
    free(r);
    return throw_error(env, "recvStart: dup failed");
  }
  if (uv_poll_init(loop, &r->poll, r->fd) != 0) {
    close(r->fd);
    free(r);
    return throw_error(env, "recvStart: poll init failed");
  }
  r->poll.data = r;
  r->running = 1;
  napi_value name, out;
  if (napi_create_string_utf8(env, "fluo.DatagramIn", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &r->async) != napi_ok ||
      napi_create_reference(env, argv[3], 1, &r->callback) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &r->slab_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &r->meta_ref) != napi_ok ||
      napi_add_async_cleanup_hook(env, cleanup_hook, r, &r->cleanup) != napi_ok ||
      uv_poll_start(&r->poll, UV_READABLE, on_readable) != 0 ||
      napi_create_external(env, r, finalize, NULL, &out) != napi_ok) {
    /* No handle went out, so no finalizer frees it: the close callback does (what was not
     * made is NULL, which the napi calls there refuse harmlessly). */
    r->finalized = 1;
    begin_close(r);
    return throw_error(env, "recvStart: could not start reading");
  }
  if (napi_type_tag_object(env, out, &READER_TAG) != napi_ok) {
    begin_close(r);
    return throw_error(env, "recvStart: could not tag the handle");
  }
  return out;
}

/* recvStop(handle): stops reading and closes the duplicate descriptor (idempotent). */
napi_value datagram_recv_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Reader *r;
  bool tagged = false;
  if (argc < 1 || napi_check_object_type_tag(env, argv[0], &READER_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, argv[0], (void **)&r) != napi_ok)
    return throw_error(env, "recvStop(handle from recvStart)");
  begin_close(r);
  return NULL;
}
