// emqx_ctl: sends its arguments to the node's control socket and prints the answer.
// No broker code here. The socket is <node.data_dir>/ctl.sock; the data dir comes
// from EMQX_NODE__DATA_DIR or the install's `data/`.
import * as net from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';

export function socketPath(env: NodeJS.ProcessEnv = process.env, root = resolve(__dirname, '../../..')): string {
  const d = env.EMQX_NODE__DATA_DIR || 'data';
  return join(isAbsolute(d) ? d : join(root, d), 'ctl.sock');
}

export function request(path: string, args: string[], timeoutMs = 60000): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const sock = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ args }) + '\n'));
    sock.on('data', (d: string) => (buf += d));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolvePromise(JSON.parse(buf) as { code: number; output: string });
      } catch {
        reject(new Error(`bad answer from the node: ${buf.slice(0, 200)}`));
      }
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const path = socketPath();
  try {
    const r = await request(path, argv);
    process.stdout.write(r.output);
    return r.code;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
      process.stderr.write(`Node is not running! (no control socket at ${path})\n`);
    } else {
      process.stderr.write(`emqx_ctl: ${e.message}\n`);
    }
    return 1;
  }
}
