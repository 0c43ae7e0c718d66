#!/usr/bin/env node
// The fixed twin of leaky-app.js: the same simulated traffic, but listeners are removed after use,
// timers are cleared and the cache is bounded. Memory stays flat after warm-up.
'use strict';
process.env.HEAPWATCH_EXAMPLE_FIXED = '1';
require('./leaky-app.js');
