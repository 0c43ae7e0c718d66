#!/usr/bin/env node
// A local HTTP receiver for heapwatch's webhook tests: prints each POST body as one line on stdout.
// STATUS=503 makes it answer 503 to the first FAIL_FIRST requests (to exercise retries).
'use strict';
const http = require('node:http');
let failures = Number(process.env.FAIL_FIRST ?? 0);
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    if (failures > 0) {
      failures--;
      console.log(`refused ${req.method} ${req.url}`);
      res.writeHead(503);
      res.end();
      return;
    }
    console.log(`${req.method} ${req.url} ${req.headers['content-type']} ${body.replace(/\n/g, ' ')}`);
    res.writeHead(204);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
