// A trace's file: opened (appending, parent directories made) when the trace starts so a
// bad path fails the start; lines are written through a stream, never blocking the broker.
import { createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** lines wait in memory up to this much while the disk is slower than the traffic; later ones are dropped */
const MAX_BACKLOG = 64 * 1024 * 1024;

export class TraceFile {
  private readonly stream: WriteStream;
  private failed = false;
  /** lines dropped while the backlog was full */
  dropped = 0;

  /** throws the open error (ENOENT, EACCES, EISDIR...) */
  constructor(readonly path: string, private readonly onError: (err: Error) => void) {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a');
    this.stream = createWriteStream('', { fd, autoClose: true });
    this.stream.on('error', (err) => {
      // a full disk or similar: reported once, the trace writes nothing more
      if (!this.failed) onError(err);
      this.failed = true;
    });
  }

  write(line: string): void {
    if (this.failed) return;
    if (this.stream.writableLength > MAX_BACKLOG) {
      if (this.dropped++ === 0) this.onError(new Error(`${this.path}: writing falls behind, lines are dropped`));
      return;
    }
    this.stream.write(line);
  }

  /** resolves once every written line is on disk and the file is closed */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.end();
    });
  }
}
