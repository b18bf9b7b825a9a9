/* What fastpath.c shares with forward_batch.c: SRTP protection, datagram sends, argument helpers. */
#ifndef FLUO_FASTPATH_H
#define FLUO_FASTPATH_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <node_api.h>

typedef struct {
  int profile;
  EVP_CIPHER_CTX *cipher;
  uint8_t salt[14];
  /* HMAC-SHA1 (RFC 2104) with the key's inner and outer pads hashed once. */
  SHA_CTX inner;
  SHA_CTX outer;
} SrtpContext;

/* Largest SRTP packet built: a UDP datagram's payload. */
#define MAX_PACKET 65507

static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

/* Encrypts p's payload in place and writes the tag; the SRTP length, or -1. */
int32_t protect_in_place(SrtpContext *c, uint8_t *p, size_t room, uint32_t header, uint32_t payload, uint32_t roc);
/* sendto(2) with MSG_DONTWAIT, retried on EINTR: 0 or -errno. */
int32_t send_datagram(int fd, const uint8_t *p, size_t length, const uint8_t *addr, size_t addr_len);
/* Whether `len` is a sockaddr_in's or a sockaddr_in6's length. */
int valid_sockaddr(size_t len);
/* Throws a JavaScript Error with `msg`; returns NULL for the caller to return. */
napi_value throw_error(napi_env env, const char *msg);
/* A Buffer argument's bytes and length; 0 when `v` is not a Buffer. */
int get_buffer(napi_env env, napi_value v, uint8_t **data, size_t *len);

#endif
