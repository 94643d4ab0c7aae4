/**
 * Node file access for captures: a ByteSource over a file descriptor (reads on demand, so a 4 GB
 * file never sits in memory), and a chunk sink for writers. Kept apart from the readers so those
 * run in a browser too.
 *
 * API
 *   openFileSource(path) -> ByteSource & { close() }   throws CaptureFormatError for a directory or
 *       an unreadable path (message names the path); has readInto (no allocation per read)
 *   openCaptureFile(path) -> Capture & { close() }
 *   class FileSink(path): write(bytes), close()        buffered sequential writer
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { CaptureFormatError, type ByteSource, type Capture } from './capture';
import { openCapture } from './reader';

export function openFileSource(path: string): ByteSource & { close(): void } {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaptureFormatError(0, `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  const st = fstatSync(fd);
  if (st.isDirectory()) { closeSync(fd); throw new CaptureFormatError(0, `${path}: is a directory, not a capture file`); }
  const size = st.size;
  return {
    size, name: path,
    read(offset: number, length: number): Uint8Array {
      const n = Math.max(0, Math.min(length, size - offset));
      const b = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, b, got, n - got, offset + got);
        if (r <= 0) break;
        got += r;
      }
      return got === n ? b : b.subarray(0, got);
    },
    readInto(offset: number, into: Uint8Array, length: number): number {
      const n = Math.max(0, Math.min(length, size - offset, into.length));
      let got = 0;
      while (got < n) {
        const r = readSync(fd, into, got, n - got, offset + got);
        if (r <= 0) break;
        got += r;
      }
      return got;
    },
    close() { closeSync(fd); },
  };
}

export function openCaptureFile(path: string, opts: { chunkSize?: number } = {}): Capture & { close(): void } {
  const src = openFileSource(path);
  const cap = openCapture(src, opts);
  return Object.assign(cap, { close: () => src.close() });
}

export class FileSink {
  private readonly fd: number;
  private buf = new Uint8Array(1 << 20);
  private used = 0;
  constructor(readonly path: string) { this.fd = openSync(path, 'w'); }

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) { writeSync(this.fd, bytes); return; }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    let o = 0;
    while (o < this.used) o += writeSync(this.fd, this.buf, o, this.used - o);
    this.used = 0;
  }

  close(): void { this.flush(); closeSync(this.fd); }
}
