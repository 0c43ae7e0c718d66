#!/usr/bin/env node
// A small HTTP service with the three classic Node leaks, driven by its own simulated traffic so
// it leaks without load:
//   1. an EventEmitter listener added per request and never removed,
//   2. a setInterval per request whose closure holds the request's session,
//   3. an unbounded Map used as a cache.
// Its twin, fixed-app.js, does the same work without leaking.
//
//   PORT=3000            listen port (0 = any free port; the chosen one is printed)
//   REQUESTS_PER_SEC=20  simulated requests per second (0: none, only those /simulate asks for)
//   PAYLOAD_BYTES=2048   size of the per-request payload each leak keeps alive
//
// Routes: GET /            -> "ok"
//         GET /simulate?requests=N -> handles N simulated requests at once, then answers
//                             {"requests": <total so far>} (tests use it to grow the leak by a
//                             known amount instead of waiting for the timer)
//         GET /memory      -> process.memoryUsage() as JSON
//         GET /heap-snapshot -> writes a heap snapshot into the working directory,
//                             answers {"snapshot": "<file name>"}
'use strict';
const http = require('node:http');
const v8 = require('node:v8');
const { EventEmitter } = require('node:events');
const { randomBytes } = require('node:crypto');

const leaky = process.env.HEAPWATCH_EXAMPLE_FIXED !== '1';
const port = Number(process.env.PORT ?? 3000);
const requestsPerSec = Number(process.env.REQUESTS_PER_SEC ?? 20);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 2048);

class Session {
  constructor(id) {
    this.id = id;
    this.user = `user-${id % 977}`;
    // A string on the V8 heap, not an external buffer, so the leak shows in heapUsed too.
    this.payload = randomBytes(payloadBytes / 2).toString('hex');
    this.createdAt = Date.now();
  }
}

class CacheEntry {
  constructor(session) {
    this.session = session;
    this.hits = 0;
  }
}

const bus = new EventEmitter();
bus.setMaxListeners(0);
const cache = new Map();
const CACHE_LIMIT = 500;
let nextId = 1;

function handleRequest() {
  const session = new Session(nextId++);

  // 1. Listener: the leaky version subscribes for every request and never unsubscribes.
  const onTick = () => { session.lastTick = Date.now(); };
  if (leaky) {
    bus.on('tick', onTick);
  } else {
    bus.once('tick', onTick);
  }

  // 2. Timer: the leaky version starts an interval whose closure keeps the session alive forever.
  const timer = setInterval(function refreshSession() { session.refreshedAt = Date.now(); }, 60_000);
  if (!leaky) clearInterval(timer);

  // 3. Cache: the leaky version never evicts.
  cache.set(session.id, new CacheEntry(session));
  if (!leaky && cache.size > CACHE_LIMIT) {
    cache.delete(cache.keys().next().value);
  }
}

function simulate(requests) {
  for (let i = 0; i < requests; i++) handleRequest();
  bus.emit('tick');
}

if (requestsPerSec > 0) {
  setInterval(() => simulate(Math.max(1, Math.round(requestsPerSec / 10))), 100);
}

const server = http.createServer((req, res) => {
  if (req.url === '/heap-snapshot') {
    const file = v8.writeHeapSnapshot();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ snapshot: file, pid: process.pid }));
  } else if (req.url.startsWith('/simulate')) {
    const requests = Number(new URL(req.url, 'http://localhost').searchParams.get('requests'));
    if (!Number.isInteger(requests) || requests < 0 || requests > 1_000_000) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('requests must be an integer from 0 to 1000000\n');
      return;
    }
    simulate(requests);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests: nextId - 1 }));
  } else if (req.url === '/memory') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(process.memoryUsage()));
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${server.address().port} pid ${process.pid} (${leaky ? 'leaky' : 'fixed'})`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
