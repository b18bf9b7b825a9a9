import type { MediaObject } from './MediaObject.ts';
import type { EngineDot } from '../shared/workerProtocol.ts';

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
 * happens outside GStreamer; `engineDots`, the engines' own DOT of the pipeline's
 * GStreamer part (one per media worker holding some), go inside as clusters.
 */
export function renderDot(root: MediaObject, engineDots: readonly EngineDot[] = []): string {
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
  // Its node names are the engine's element addresses, unique within one process only:
  // with more than one worker's engine, each gets a prefix of its own.
  const spread = engineDots.length > 1;
  for (const { worker, dot } of engineDots) {
    // gst_debug_bin_to_dot_data opens with `digraph pipeline {`: the same body as a cluster.
    const body = dot.replace(/^\s*digraph\s+[^{]*\{/, '').replace(/\}\s*$/, '');
    // Our label after the body: the body sets the pipeline's own graph label, and in DOT
    // the last assignment in a (sub)graph wins.
    lines.push(`  subgraph cluster_media_engine${spread ? `_${worker}` : ''} {`,
      spread ? prefixNodes(body, `w${worker}_`) : body,
      `    label="media engine (GStreamer)${spread ? `, media worker ${worker}` : ''}";`, '  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/["\\]/g, '\\$&');
}

/**
 * Prefixes the node and cluster names of a gst_debug_bin_to_dot_data body: they are the
 * element's name and address with every character outside [A-Za-z0-9_] made `_`
 * (`queue1_0x55d9d75de470`, its pads after it; a name may start with a digit), and the
 * `legend` node, so two engine processes' graphs in one DOT cannot merge a node. A
 * cluster keeps `cluster_` first, which Graphviz needs to draw it as one. Addresses in
 * labels (`(GstSample*) 0x...`) have no `_` before them and are left alone.
 */
function prefixNodes(body: string, prefix: string): string {
  return body
    .replace(/\b(cluster_)?(\w+?_0x[0-9a-f]+\w*)/g, (_m, cluster: string | undefined, id: string) => `${cluster ?? ''}${prefix}${id}`)
    .replace(/^(\s*)legend\b/m, `$1${prefix}legend`);
}
