import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDot } from '../../src/core/renderDot.ts';
import type { MediaObject } from '../../src/core/MediaObject.ts';

/** The shape of gst_debug_bin_to_dot_data's output: names are element (and pad) name plus address. */
const engineDot = (addr: string): string => `digraph pipeline {
  rankdir=LR;
  legend [ shape=box, label="Legend" ];
  subgraph cluster_enc_0x${addr} {
    label="GstVP9Enc\\nenc";
    enc_0x${addr}_sink_0x${addr}1 [label="sink"];
  }
  subgraph cluster_pay_0x${addr}2 {
    label="GstRtpVP9Pay\\npay";
    pay_0x${addr}2_src_0x${addr}3 [label="src"];
  }
  enc_0x${addr}_sink_0x${addr}1 -> pay_0x${addr}2_src_0x${addr}3 [label="video/x-vp9"];
}
`;

/** A pipeline with one element, as renderDot reads it. */
const pipeline = { id: 'P_1', typeName: 'MediaPipeline', name: 'P_1', children: [{ id: 'E_1', typeName: 'WebRtcEndpoint', name: 'E_1', children: [] }] } as unknown as MediaObject;

test('renderDot puts one engine graph in as it is, in one cluster', () => {
  const dot = renderDot(pipeline, [{ worker: 0, dot: engineDot('55d9d75e4ec0') }]);
  assert.match(dot, /subgraph cluster_media_engine \{[\s\S]*label="media engine \(GStreamer\)";\s*\}/);
  assert.match(dot, /subgraph cluster_enc_0x55d9d75e4ec0 \{/);
  assert.match(dot, /"E_1" \[label="WebRtcEndpoint\\nE_1"\];/);
  assert.equal(dot.match(/digraph/g)?.length, 1, 'the engine\'s own digraph line is dropped');
});

test('renderDot keeps Fluo\'s label on an engine cluster over the pipeline label gst puts in its body', () => {
  const dot = renderDot(pipeline, [{ worker: 0, dot: engineDot('55d9d75e4ec0').replace('rankdir=LR;', 'rankdir=LR;\n  label="<GstPipeline>\\npipeline0\\n[>]";') }]);
  const cluster = dot.slice(dot.indexOf('subgraph cluster_media_engine'));
  const labels = [...cluster.matchAll(/^\s*label="([^"]*)";/gm)].map((m) => m[1]);
  assert.equal(labels.at(-1), 'media engine (GStreamer)', `the last label assignment wins in DOT: ${JSON.stringify(labels)}`);
});

test('renderDot prefixes element names that start with a digit too, keeping cluster_ first', () => {
  const digit = 'digraph pipeline {\n  subgraph cluster_1src_0xabc {\n    1src_0xabc_src_0xdef [label="src"];\n  }\n  1src_0xabc_src_0xdef -> sink_0x123_sink_0x456 [label="(GstSample*) 0x7f00"];\n}\n';
  const dot = renderDot(pipeline, [{ worker: 0, dot: digit }, { worker: 1, dot: digit }]);
  for (const w of [0, 1]) {
    assert.match(dot, new RegExp(`subgraph cluster_w${w}_1src_0xabc \\{`));
    assert.match(dot, new RegExp(`w${w}_1src_0xabc_src_0xdef -> w${w}_sink_0x123_sink_0x456 \\[label="\\(GstSample\\*\\) 0x7f00"\\]`));
  }
});

test('renderDot gives each worker\'s engine a cluster of its own, with names that cannot merge', () => {
  // The same addresses in both processes (possible: same binary, same allocator).
  const dot = renderDot(pipeline, [{ worker: 1, dot: engineDot('55d9d75e4ec0') }, { worker: 0, dot: engineDot('55d9d75e4ec0') }]);
  for (const w of [0, 1]) {
    assert.match(dot, new RegExp(`subgraph cluster_media_engine_${w} \\{[^]*?label="media engine \\(GStreamer\\), media worker ${w}";\\s*\\}`));
    assert.match(dot, new RegExp(`subgraph cluster_w${w}_enc_0x55d9d75e4ec0 \\{`), 'clusters keep the cluster_ prefix Graphviz needs');
    assert.match(dot, new RegExp(`w${w}_enc_0x55d9d75e4ec0_sink_0x55d9d75e4ec01 -> w${w}_pay_0x55d9d75e4ec02_src_0x55d9d75e4ec03`));
    assert.match(dot, new RegExp(`^\\s*w${w}_legend \\[`, 'm'));
  }
  assert.doesNotMatch(dot, /[\s>]enc_0x/, 'no name left unprefixed');
  assert.ok(dot.indexOf('media worker 1') < dot.indexOf('media worker 0'), 'in the order given (the home worker first)');
});
