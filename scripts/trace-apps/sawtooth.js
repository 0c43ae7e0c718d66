#!/usr/bin/env node
// A big sawtooth with no leak: a batch buffer grows to AMPLITUDE_MB over PERIOD_SEC, then is
// dropped all at once (think a report built in memory and flushed). Buffers live outside the V8
// heap (malloc/mmap), so the drop shows in RSS as soon as they are collected.
'use strict';
const amplitudeMB = Number(process.env.AMPLITUDE_MB ?? 100);
const periodSec = Number(process.env.PERIOD_SEC ?? 30);
const chunk = 1024 * 1024;
const perTick = amplitudeMB / (periodSec * 10);
let batch = [];
let owed = 0;
setInterval(() => {
  owed += perTick;
  while (owed >= 1) { batch.push(Buffer.alloc(chunk, 1)); owed -= 1; }
  if (batch.length >= amplitudeMB) { batch = []; if (global.gc) global.gc(); }
}, 100);
