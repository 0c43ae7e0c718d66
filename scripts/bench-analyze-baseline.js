#!/usr/bin/env node
// Baseline for scripts/bench-analyze.sh: load snapshots the way Chrome DevTools and memlab do
// (read the file into one string, JSON.parse, copy nodes/edges into typed arrays), then compute
// what heapwatch computes: retainers, dominators (iterative Lengauer–Tarjan, weak edges and
// non-root shortcuts ignored) and retained sizes; for several files, a per-class count diff by
// node id. Prints one line `phase=… seconds=…` or `phase=… error="…"`.
//
//   node bench-analyze-baseline.js parse FILE
//   node bench-analyze-baseline.js analyze FILE
//   node bench-analyze-baseline.js diff FILE FILE...
'use strict';
const fs = require('node:fs');

function load(file) {
  const text = fs.readFileSync(file, 'utf8'); // throws above V8's string limit (~512 MiB)
  const json = JSON.parse(text);
  const meta = json.snapshot.meta;
  const nodeFields = meta.node_fields, edgeFields = meta.edge_fields;
  return {
    nodeFieldCount: nodeFields.length,
    edgeFieldCount: edgeFields.length,
    typeOffset: nodeFields.indexOf('type'), nameOffset: nodeFields.indexOf('name'),
    idOffset: nodeFields.indexOf('id'), sizeOffset: nodeFields.indexOf('self_size'),
    edgeCountOffset: nodeFields.indexOf('edge_count'),
    edgeTypeOffset: edgeFields.indexOf('type'), edgeNameOffset: edgeFields.indexOf('name_or_index'),
    edgeToOffset: edgeFields.indexOf('to_node'),
    nodeTypes: meta.node_types[0], edgeTypes: meta.edge_types[0],
    nodes: new Uint32Array(json.nodes),
    edges: new Uint32Array(json.edges),
    strings: json.strings,
  };
}

function analyze(s) {
  const nf = s.nodeFieldCount, ef = s.edgeFieldCount;
  const n = s.nodes.length / nf, m = s.edges.length / ef;
  const firstEdge = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) firstEdge[i + 1] = firstEdge[i] + s.nodes[i * nf + s.edgeCountOffset];
  const weak = s.edgeTypes.indexOf('weak'), shortcut = s.edgeTypes.indexOf('shortcut');
  const keeps = (e, src) => {
    const t = s.edges[e * ef + s.edgeTypeOffset];
    return t !== weak && (t !== shortcut || src === 0);
  };
  // Retainers (reverse CSR).
  const firstRet = new Uint32Array(n + 1);
  for (let src = 0; src < n; src++)
    for (let e = firstEdge[src]; e < firstEdge[src + 1]; e++)
      if (keeps(e, src)) firstRet[s.edges[e * ef + s.edgeToOffset] / nf + 1]++;
  for (let i = 0; i < n; i++) firstRet[i + 1] += firstRet[i];
  const holders = new Uint32Array(firstRet[n]);
  const cursor = firstRet.slice();
  for (let src = 0; src < n; src++)
    for (let e = firstEdge[src]; e < firstEdge[src + 1]; e++)
      if (keeps(e, src)) { const t = s.edges[e * ef + s.edgeToOffset] / nf; holders[cursor[t]++] = src; }
  // Iterative DFS.
  const number = new Uint32Array(n), vertex = new Uint32Array(n + 1), parent = new Uint32Array(n + 1);
  const stackNode = new Uint32Array(n), stackEdge = new Float64Array(n);
  let count = 1, top = 0;
  number[0] = 1; vertex[1] = 0; stackNode[0] = 0; stackEdge[0] = firstEdge[0];
  while (top >= 0) {
    const src = stackNode[top];
    let e = stackEdge[top], pushed = false;
    for (; e < firstEdge[src + 1]; e++) {
      const t = s.edges[e * ef + s.edgeToOffset] / nf;
      if (keeps(e, src) && number[t] === 0) {
        number[t] = ++count; vertex[count] = t; parent[count] = number[src];
        stackEdge[top] = e + 1; top++; stackNode[top] = t; stackEdge[top] = firstEdge[t];
        pushed = true; break;
      }
    }
    if (!pushed) top--;
  }
  // Lengauer–Tarjan.
  const semi = new Uint32Array(count + 1), label = new Uint32Array(count + 1), ancestor = new Uint32Array(count + 1);
  const dom = new Uint32Array(count + 1), bucketHead = new Uint32Array(count + 1), bucketNext = new Uint32Array(count + 1);
  for (let k = 0; k <= count; k++) { semi[k] = k; label[k] = k; }
  const path = [];
  const evaluate = (v) => {
    if (ancestor[v] === 0) return v;
    let x = v;
    while (ancestor[ancestor[x]] !== 0) { path.push(x); x = ancestor[x]; }
    while (path.length) {
      const y = path.pop(), a = ancestor[y];
      if (semi[label[a]] < semi[label[y]]) label[y] = label[a];
      ancestor[y] = ancestor[a];
    }
    return label[v];
  };
  for (let w = count; w >= 2; w--) {
    const node = vertex[w];
    for (let i = firstRet[node]; i < firstRet[node + 1]; i++) {
      const v = number[holders[i]];
      if (v === 0) continue;
      const u = evaluate(v);
      if (semi[u] < semi[w]) semi[w] = semi[u];
    }
    bucketNext[w] = bucketHead[semi[w]]; bucketHead[semi[w]] = w;
    const p = parent[w];
    ancestor[w] = p;
    let v = bucketHead[p]; bucketHead[p] = 0;
    while (v !== 0) { const u = evaluate(v); dom[v] = semi[u] < semi[v] ? u : p; v = bucketNext[v]; }
  }
  for (let w = 2; w <= count; w++) if (dom[w] !== semi[w]) dom[w] = dom[dom[w]];
  const retained = new Float64Array(n);
  for (let i = 0; i < n; i++) retained[i] = s.nodes[i * nf + s.sizeOffset];
  for (let w = count; w >= 2; w--) retained[vertex[dom[w]]] += retained[vertex[w]];
  return { n, m, rootRetained: retained[0] };
}

function classCounts(s) {
  const nf = s.nodeFieldCount, counts = new Map(), ids = new Set();
  for (let i = 0; i < s.nodes.length; i += nf) {
    const name = s.strings[s.nodes[i + s.nameOffset]];
    counts.set(name, (counts.get(name) || 0) + 1);
    ids.add(s.nodes[i + s.idOffset]);
  }
  return { counts, ids };
}

const [phase, ...files] = process.argv.slice(2);
const start = process.hrtime.bigint();
const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
try {
  if (phase === 'parse') {
    const s = load(files[0]);
    console.log(`phase=parse seconds=${seconds()} nodes=${s.nodes.length / s.nodeFieldCount}`);
  } else if (phase === 'analyze') {
    const r = analyze(load(files[0]));
    console.log(`phase=analyze seconds=${seconds()} nodes=${r.n} edges=${r.m}`);
  } else if (phase === 'diff') {
    const results = files.map((f) => { const s = load(f); analyze(s); return classCounts(s); });
    const first = results[0], last = results[results.length - 1];
    let grown = 0;
    for (const [name, count] of last.counts) if (count > (first.counts.get(name) || 0)) grown++;
    let fresh = 0;
    for (const id of last.ids) if (!first.ids.has(id)) fresh++;
    console.log(`phase=diff seconds=${seconds()} grown_classes=${grown} new_objects=${fresh}`);
  } else {
    console.error('usage: bench-analyze-baseline.js parse|analyze|diff FILE...');
    process.exit(2);
  }
} catch (error) {
  const message = String(error && error.message || error).split('\n')[0].replace(/"/g, "'");
  console.log(`phase=${phase} seconds=${seconds()} error="${message}"`);
  process.exit(1);
}
