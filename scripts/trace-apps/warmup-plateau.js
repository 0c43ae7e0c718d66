#!/usr/bin/env node
// Warms up then plateaus: a cache fills for WARMUP_SEC (default 60) up to CACHE_MB, then it is
// bounded (LRU-style eviction) while traffic continues. Not a leak.
'use strict';
const warmupSec = Number(process.env.WARMUP_SEC ?? 60);
const cacheMB = Number(process.env.CACHE_MB ?? 80);
const entryBytes = 4096;
const limit = Math.floor((cacheMB * 1024 * 1024) / entryBytes);
const perTick = Math.ceil(limit / (warmupSec * 10));
const cache = new Map();
let id = 0;
setInterval(() => {
  for (let i = 0; i < perTick; i++) {
    cache.set(id, Buffer.alloc(entryBytes, id++ & 0xff));
    if (cache.size > limit) cache.delete(cache.keys().next().value);
  }
  // Short-lived garbage: the sawtooth of ordinary request handling.
  const tmp = [];
  for (let i = 0; i < 200; i++) tmp.push({ i, s: 'y'.repeat(256) + i });
}, 100);
