#!/usr/bin/env node
// Bursty traffic: uploads of random size (up to BURST_MB) arrive at random times and are held
// for a few seconds, then released. Large swings, no trend.
'use strict';
const burstMB = Number(process.env.BURST_MB ?? 150);
const held = new Set();
function upload() {
  const mb = 10 + Math.floor(Math.random() * (burstMB - 10));
  const bufs = [];
  for (let i = 0; i < mb; i++) bufs.push(Buffer.alloc(1024 * 1024, 2));
  held.add(bufs);
  setTimeout(() => held.delete(bufs), 1000 + Math.random() * 6000);
}
(function next() {
  setTimeout(() => { upload(); next(); }, 1000 + Math.random() * 9000);
})();
setInterval(() => {}, 1000);
