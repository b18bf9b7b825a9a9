/* A fan-out's copies from per-sink records (forward_batch.c), registered by fastpath.c. */
#ifndef FLUO_FORWARD_BATCH_H
#define FLUO_FORWARD_BATCH_H
#include <node_api.h>

napi_value forward_sink_context(napi_env env, napi_callback_info info);
napi_value forward_batch(napi_env env, napi_callback_info info);

#endif
