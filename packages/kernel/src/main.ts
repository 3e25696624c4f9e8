// `emqx foreground`: load etc/emqx.conf, start the node, stop gracefully on SIGTERM/SIGINT.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { optionsFromConfig } from './boot.js';
import { createBroker, VERSION } from './node.js';

export async function main(argv: string[]): Promise<void> {
  const i = argv.findIndex((a) => a === '-c' || a === '--config');
  const root = resolve(__dirname, '../../..');
  const file = i >= 0 && argv[i + 1] ? resolve(argv[i + 1]!) : process.env.EMQX_CONF ?? join(root, 'etc/emqx.conf');
  let cfg: Config;
  try {
    cfg = loadConfig({ file, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nemq: bad configuration:\n${err.problems.map((p: string) => '  ' + p).join('\n')}\n`);
      process.exit(78);
    }
    throw err;
  }
  const opts = optionsFromConfig(cfg);
  const node = await createBroker(opts).catch((err: Error) => {
    process.stderr.write(`nemq: cannot start: ${err.message}\n`);
    process.exit(1);
  });
  mkdirSync(cfg.node.dataDir, { recursive: true });
  const pidFile = join(cfg.node.dataDir, 'emqx.pid');
  writeFileSync(pidFile, String(process.pid));
  for (const l of node.listeners) process.stdout.write(`Start ${l.identifier} listener on ${l.address} successfully.\n`);
  process.stdout.write(`EMQ X Broker ${VERSION} (nemq) is running now!\n`);
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    node.logger.info(`${sig}: shutting down`);
    node.stop().finally(() => {
      rmSync(pidFile, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => node.logger.error(`uncaught: ${err.stack ?? err}`));
  process.on('unhandledRejection', (err) => node.logger.error(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
}

if (require.main === module) void main(process.argv.slice(2));
