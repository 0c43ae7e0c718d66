#!/usr/bin/env node
// A test app for heapwatch's capture tests. Environment:
//   HEAP_MB=N          keep about N MiB of small objects alive (a snapshot of it takes a while)
//   BUSY=1             after announcing itself, block the event loop for good (a hot loop)
//   BUSY_SECONDS=N     with BUSY=1: block it for N seconds only, then carry on
//   FAKE_HEAP_USED=B   report heapUsed = B on /memory (to drive admission control in tests)
// GET /busy?seconds=N answers "busy", then blocks the event loop for N seconds (at most 60).
// GET /grow?mb=N answers "growing", then keeps about N MiB more of small objects alive every
//   100 ms, for good (a fast leak: with --max-old-space-size it dies of its heap limit).
//   With &until=snapshot it stops once node has written a snapshot of its own in the cwd
//   (--heapsnapshot-near-heap-limit) and prints "stopped growing after FILE".
// GET /heap-snapshot?busy=N blocks the event loop for N seconds (at most 60), then writes a heap
//   snapshot with v8.writeHeapSnapshot() and answers {"snapshot": FILE} (an endpoint too slow for
//   heapwatchd's capture timeout).
// Prints "listening on PORT pid PID" once ready. The first argument after the script is a tag
// tests use to match this process alone.
'use strict';
const http = require('node:http');
const v8 = require('node:v8');
const fs = require('node:fs');

const startedAt = Date.now();

const keep = [];
const heapMB = Number(process.env.HEAP_MB ?? 0);
for (let i = 0; i < heapMB * 1024 * 1024 / 64; i++) keep.push({ i, s: 'x' + i });

function startGrowing(mb, untilSnapshot) {
  const leaked = [];
  const timer = setInterval(() => {
    // Node writes its own snapshot synchronously, inside the allocation that neared the limit.
    const own = untilSnapshot && fs.readdirSync('.').find((name) => name.startsWith('Heap.') &&
      name.includes(`.${process.pid}.`) && fs.statSync(name).mtimeMs >= startedAt);
    if (own) {
      clearInterval(timer);
      console.log(`stopped growing after ${own}`);
      return;
    }
    for (let i = 0; i < mb * 1024 * 1024 / 64; i++) leaked.push({ i, s: 'y' + i });
  }, 100);
}

const server = http.createServer((req, res) => {
  if (req.url === '/memory') {
    const usage = process.memoryUsage();
    if (process.env.FAKE_HEAP_USED) usage.heapUsed = Number(process.env.FAKE_HEAP_USED);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...usage, pid: process.pid }));
  } else if (req.url.startsWith('/busy')) {
    const seconds = Math.min(60, Number(new URL(req.url, 'http://x').searchParams.get('seconds') ?? 1));
    res.end('busy\n', () => {
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until) { /* a hot loop: signal handlers wait */ }
    });
  } else if (req.url.startsWith('/grow')) {
    res.end('growing\n');
    const query = new URL(req.url, 'http://x').searchParams;
    startGrowing(Number(query.get('mb') ?? 1), query.get('until') === 'snapshot');
  } else if (req.url.startsWith('/heap-snapshot')) {
    const seconds = Math.min(60, Number(new URL(req.url, 'http://x').searchParams.get('busy') ?? 0));
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) { /* a hot loop */ }
    const file = v8.writeHeapSnapshot();
    console.log(`wrote ${file}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ snapshot: file }));
  } else {
    res.end('ok\n');
  }
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening on ${server.address().port} pid ${process.pid} (${keep.length} objects)`);
  if (process.env.BUSY === '1') {
    const seconds = Number(process.env.BUSY_SECONDS ?? 0);
    setTimeout(() => {
      console.log('busy');
      const until = Date.now() + seconds * 1000;
      for (;;) { if (seconds > 0 && Date.now() > until) break; }
      console.log('free');
    }, 200);
  }
});
