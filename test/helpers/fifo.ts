import { execFileSync, spawn } from 'node:child_process';

/**
 * Makes a FIFO at `file` for tests of readers that must refuse one. A reader that opens it anyway would
 * block its thread for good (a synchronous open cannot be timed out), so a helper process opens it for
 * writing and closes it after `rescueMs`: such a reader then sees an empty file and the test fails on its
 * assertions instead of hanging. The helper gives up by itself a little later when no one opened the FIFO.
 */
export function makeFifo(file: string, rescueMs = 2000): void {
  execFileSync('mkfifo', [file]);
  const s = rescueMs / 1000;
  const child = spawn('timeout', [String(s + 2), 'sh', '-c', `sleep ${s}; : > "$0"`, file], {
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
}
