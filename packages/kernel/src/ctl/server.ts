// The control socket: a unix socket in node.data_dir (mode 0600, no network port).
// One JSON line in ({"args": [...]}), one JSON line out ({"code": n, "output": "..."}).
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import type { CtlRegistry } from './registry.js';

export class CtlServer {
  private server: net.Server | undefined;

  constructor(private readonly registry: CtlRegistry, readonly path: string) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    if (existsSync(this.path)) {
      // a socket left by a crashed node; refuse to steal one that answers
      const alive = await new Promise<boolean>((resolve) => {
        const c = net.connect(this.path, () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      });
      if (alive) throw new Error(`another node is running (control socket ${this.path} answers)`);
      unlinkSync(this.path);
    }
    const server = net.createServer((sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('error', () => undefined);
      sock.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) {
          if (buf.length > 1 << 20) sock.destroy();
          return;
        }
        let args: string[] = [];
        try {
          const req = JSON.parse(buf.slice(0, nl)) as { args?: unknown };
          if (Array.isArray(req.args)) args = req.args.map(String);
        } catch {
          sock.end(JSON.stringify({ code: 1, output: 'bad request\n' }) + '\n');
          return;
        }
        void this.registry.run(args).then((r) => sock.end(JSON.stringify(r) + '\n'));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}
