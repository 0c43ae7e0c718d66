#!/usr/bin/env node
// Writes heap snapshots for scripts/bench-analyze.sh.
//   node bench-analyze-gen.js big OUT UNITS       one snapshot of a heap of UNITS "requests"
//   node bench-analyze-gen.js growing DIR UNITS   three snapshots (round-1..3) of a heap growing
//                                               by UNITS requests between snapshots
// A "request" leaves a mix of objects behind like a real service: a class instance, a plain
// object, a short array, strings, a closure with its context, a Map entry.
'use strict';
const v8 = require('node:v8');

class Order {
  constructor(id) {
    this.id = id;
    this.customer = { name: `customer-${id % 5000}`, tier: id % 3, tags: ['a', 'b', String(id % 17)] };
    this.lines = [{ sku: `sku-${id % 1000}`, qty: id % 7 }, { sku: `sku-${(id * 7) % 1000}`, qty: 1 }];
    this.note = 'n'.repeat(16) + id;
  }
}

const orders = new Map();
const handlers = [];
let nextId = 1;

function request() {
  const order = new Order(nextId++);
  orders.set(order.id, order);
  handlers.push(() => order.id);
}

const [mode, out, unitsText] = process.argv.slice(2);
const units = Number(unitsText);
if (mode === 'big') {
  for (let i = 0; i < units; i++) request();
  v8.writeHeapSnapshot(out);
} else if (mode === 'growing') {
  for (let round = 1; round <= 3; round++) {
    for (let i = 0; i < units; i++) request();
    v8.writeHeapSnapshot(`${out}/round-${round}.heapsnapshot`);
  }
} else {
  console.error('usage: bench-analyze-gen.js big OUT UNITS | growing DIR UNITS');
  process.exit(2);
}
process.exit(0);
