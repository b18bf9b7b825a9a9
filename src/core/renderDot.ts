import type { MediaObject } from './MediaObject.ts';

interface ConnectionLike {
  readonly source: MediaObject;
  readonly sink: MediaObject;
  readonly type: string;
  readonly sourceDescription: string;
  readonly sinkDescription: string;
}

interface GraphNode extends MediaObject {
  sinkConnectionList?(): readonly ConnectionLike[];
}

/**
 * A Graphviz view of a pipeline's element graph, answering `getGstreamerDot`: one node
 * per element, one edge per (media type, description) connection, since forwarding
 * happens outside GStreamer; `engineDot`, the engine's own DOT of the pipeline's
 * GStreamer part, goes inside as a cluster.
 */
export function renderDot(root: MediaObject, engineDot?: string): string {
  const pipeline = root.pipeline ?? root;
  const lines = [`digraph "${esc(pipeline.id)}" {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const child of pipeline.children as GraphNode[]) {
    lines.push(`  "${esc(child.id)}" [label="${esc(child.typeName)}\\n${esc(child.name)}"];`);
  }
  for (const child of pipeline.children as GraphNode[]) {
    for (const c of child.sinkConnectionList?.() ?? []) {
      lines.push(`  "${esc(c.source.id)}" -> "${esc(c.sink.id)}" [label="${c.type} ${esc(c.sourceDescription)}>${esc(c.sinkDescription)}"];`);
    }
  }
  if (engineDot) {
    // gst_debug_bin_to_dot_data opens with `digraph pipeline {`: the same body as a cluster.
    const body = engineDot.replace(/^\s*digraph\s+[^{]*\{/, '').replace(/\}\s*$/, '');
    lines.push('  subgraph cluster_media_engine {', '    label="media engine (GStreamer)";', body, '  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}
