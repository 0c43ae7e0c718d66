#!/usr/bin/env node
// A one-off step: flat, then at STEP_AT_SEC a STEP_MB dataset is loaded and kept (a config reload,
// a reference table), then flat again. Not a leak.
'use strict';
const stepAt = Number(process.env.STEP_AT_SEC ?? 60);
const stepMB = Number(process.env.STEP_MB ?? 80);
let table = null;
setTimeout(() => {
  table = [];
  for (let i = 0; i < stepMB; i++) table.push(Buffer.alloc(1024 * 1024, 3));
}, stepAt * 1000);
setInterval(() => {
  const tmp = [];
  for (let i = 0; i < 100; i++) tmp.push('z'.repeat(512) + i);
  if (table) table.length;
}, 100);
