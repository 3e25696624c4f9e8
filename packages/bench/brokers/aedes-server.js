#!/usr/bin/env node
'use strict';
// Minimal Aedes MQTT broker for the benchmark: plain TCP, in-memory, defaults.
// Usage: node aedes-server.js [--host 127.0.0.1] [--port 1883] [--redis host:port] [--exit-with-parent]
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

function aedesVersion() {
  try {
    const dir = path.dirname(require.resolve('aedes'));
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function main() {
  const host = arg('--host', '127.0.0.1');
  const port = Number(arg('--port', '1883'));
  // aedes 1.x is an ES module; a dynamic import works from CommonJS.
  const { Aedes } = await import('aedes');
  // --redis host:port: instances joined by mqemitter-redis, the way Aedes documents clustering
  const redis = arg('--redis', undefined);
  let mq;
  if (redis) {
    const [rh, rp] = redis.split(':');
    const mqemitterRedis = require('mqemitter-redis');
    mq = mqemitterRedis({ host: rh, port: Number(rp) });
  }
  const broker = await Aedes.createBroker(mq ? { mq } : {});
  // noDelay: same as the other brokers in the comparison (no Nagle delay).
  const server = net.createServer({ noDelay: true }, broker.handle);
  server.on('error', (e) => {
    console.error(`aedes-server: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => console.log(`aedes ${aedesVersion()} listening on ${host}:${port}`));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    broker.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // With --exit-with-parent (used by the harness): do not outlive it if it
  // dies without cleaning up.
  if (!process.argv.includes('--exit-with-parent')) return;
  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      stop();
    }
  }, 1000).unref();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
