import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a run does when it is told to stop (systemd's SIGTERM at `systemctl stop` or the timer's
 * TimeoutStartSec, a runner's kill, Ctrl-C): say so in one line, stop the programs it started (journalctl,
 * smbclient, sendmail), and die of the same signal, so the exit status says what happened (143 for SIGTERM,
 * which systemd counts as a clean stop). Without it the run vanished without a word and its journalctl went
 * on reading, reparented to pid 1, until it finished on its own.
 */

/** The pids of this process's children (from /proc/self/task/TID/children), or none without /proc. */
export function childPids(): number[] {
  const pids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return pids;
  }
  for (const tid of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/self/task/${tid}/children`, 'latin1');
    } catch {
      continue; // a thread that ended, or a kernel without the file
    }
    for (const word of text.split(' ')) if (/^\d+$/.test(word)) pids.push(Number(word));
  }
  return pids;
}

/** The signals a run stops on. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Installs the stop handlers on `proc` (the process); `say` writes the one line. The handler is taken off
 * before the signal is raised again, so the second delivery ends the process the default way.
 */
export function onStop(
  proc: Pick<NodeJS.Process, 'once' | 'removeListener' | 'kill' | 'pid'>,
  say: (line: string) => void,
): void {
  const handlers = new Map<string, () => void>();
  for (const sig of STOP_SIGNALS) {
    const handler = () => {
      for (const [s, h] of handlers) proc.removeListener(s, h);
      say(`tenken: stopped by ${sig}`);
      for (const pid of childPids()) {
        try {
          proc.kill(pid, 'SIGTERM');
        } catch {
          // it ended meanwhile
        }
      }
      proc.kill(proc.pid, sig);
    };
    handlers.set(sig, handler);
    proc.once(sig, handler);
  }
}
