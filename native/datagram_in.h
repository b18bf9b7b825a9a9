/* Datagrams in (datagram_in.c), registered by fastpath.c's module init. */
#ifndef FLUO_DATAGRAM_IN_H
#define FLUO_DATAGRAM_IN_H
#include <node_api.h>

napi_value datagram_recv_start(napi_env env, napi_callback_info info);
napi_value datagram_recv_stop(napi_env env, napi_callback_info info);

#endif
