/*
 * A mailbox on disk, read and cleaned up by root: why it is safe.
 *
 * tenken runs from cron as root; a Maildir or an mbox belongs to an ordinary user (or `vmail`), who can
 * rename, replace and link anything in it at any moment. A path-based `unlink('Maildir/cur/NAME')` resolves
 * the path again when it runs: swap `cur` for a link to /etc between the look and the unlink, and root removes
 * /etc/NAME (the class of bug logrotate, tmpreaper and systemd-tmpfiles had). So nothing below the mailbox's
 * own directory is reached by path:
 *
 * - The mailbox's directory is opened once per look (`openDirectory`: the trust rule for links on its path,
 *   O_DIRECTORY); its descriptor stays that directory whatever is renamed or swapped at the path afterwards.
 * - Everything below it is reached through the descriptor of the directory that holds it, as openat(2) and
 *   unlinkat(2) would (Node has no *at calls): `/proc/self/fd/N/NAME` is resolved by the kernel from the open
 *   directory itself, not from any path. `new/` and `cur/` are opened O_DIRECTORY|O_NOFOLLOW: a link there
 *   is refused. A message is lstat'ed first and opened only when it is a regular file (O_NOFOLLOW|O_NONBLOCK,
 *   then fstat: the same device and inode): a link, FIFO, socket or device is never opened.
 * - An entry is acted on only when it belongs to the owner of the directory holding it (or that directory is
 *   root's and no one else may write to it, as /var/mail). Reading it is then reading what that owner could
 *   read; removing it is unlinking a name from a directory that owner could write. Root does nothing on the
 *   user's behalf that the user could not do: a hard link to /etc/shadow in cur/ belongs to root and is
 *   neither read nor removed; a rename in the directory meanwhile makes root unlink some other name of the
 *   user's own directory, which the user could unlink too.
 *
 * Running as an ordinary user (tests, a non-root cron job) the same calls work unchanged.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir, unlink } from 'node:fs/promises';
import { errnoCode } from '../core/errors.ts';
import { openDirectory, ownerName } from '../core/open.ts';

/** A mailbox path tenken will not use, and why (the message is the why; `what` is the host path). */
export class MailboxRefusal extends Error {
  override readonly name = 'MailboxRefusal';
  /** The host path refused (`/home/alice/Maildir/new`). */
  readonly what: string;
  constructor(what: string, why: string) {
    super(why);
    this.what = what;
  }
}

/** What an lstat shows that is not a regular file, in a user's words. */
function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link (never followed inside a mailbox)';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (not a regular file)';
  if (st.isSocket()) return 'a socket (not a regular file)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device (not a regular file)';
  return 'not a regular file';
}

/**
 * Whether an entry of directory `dir` may be acted on: it belongs to the directory's owner, or the directory
 * is root's and not writable by others (a spool such as /var/mail: root:mail 2775, files owned by each user).
 */
function ownerFits(dir: Stats, entry: Stats): boolean {
  return entry.uid === dir.uid || (dir.uid === 0 && (dir.mode & 0o002) === 0);
}

function wrongOwner(dir: Stats, entry: Stats, dirShown: string): string {
  return `owned by ${ownerName(entry.uid)}, not by ${ownerName(dir.uid)} who owns ${dirShown}`;
}

/** A name as readdir gives it: never `/`, `.` or `..` (else `/proc/self/fd/N/NAME` would leave the directory). */
function plainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** A regular file of a mailbox directory that may be read and removed: its lstat. */
export interface MailEntry {
  name: string;
  stat: Stats;
}

/** An entry left alone, and why (`a symbolic link ...`, `owned by root (uid 0), not by ...`). */
export interface Skipped {
  name: string;
  why: string;
}

/** One open directory of a mailbox; everything below it goes through its descriptor (see the top of the file). */
export class MailDirectory {
  readonly #handle: FileHandle;
  /** fstat of the open directory: its owner is whom the entries must belong to. */
  readonly stat: Stats;
  /** The host path shown in messages (`/home/alice/Maildir/cur`). */
  readonly shown: string;
  private constructor(handle: FileHandle, stat: Stats, shown: string) {
    this.#handle = handle;
    this.stat = stat;
    this.shown = shown;
  }

  /**
   * Opens the directory at `local` (host path `shown`) under the trust rule for links on its path; null when
   * it does not exist (yet: a Maildir is made by the first delivery).
   */
  static async open(local: string, shown: string): Promise<MailDirectory | null> {
    try {
      const { handle, stat } = await openDirectory(local);
      return new MailDirectory(handle, stat, shown);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return null;
      if (code === 'EUNTRUSTEDLINK' || code === 'ECHANGED' || code === 'ENOTDIR')
        throw new MailboxRefusal(shown, (err as Error).message.replace(/^[A-Z]+: /, ''));
      throw err;
    }
  }

  #at(name: string): string {
    if (!plainName(name)) throw new MailboxRefusal(`${this.shown}/${name}`, 'not a plain file name');
    return `/proc/self/fd/${this.#handle.fd}/${name}`;
  }

  /**
   * The subdirectory `name` (`new`, `cur`) through this one's descriptor, never following a link; null when
   * missing. Refused (MailboxRefusal) when it is a link, not a directory, or not its owner's.
   */
  async sub(name: string): Promise<MailDirectory | null> {
    const shown = `${this.shown}/${name}`;
    let handle: FileHandle;
    try {
      handle = await open(
        this.#at(name),
        constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      );
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return null;
      if (code === 'ENOTDIR' || code === 'ELOOP') {
        const st = await lstat(this.#at(name)).catch(() => null);
        if (st === null) return null;
        throw new MailboxRefusal(shown, kindOf(st));
      }
      throw err;
    }
    const st = await handle.stat();
    if (!ownerFits(this.stat, st)) {
      await handle.close();
      throw new MailboxRefusal(shown, wrongOwner(this.stat, st, this.shown));
    }
    return new MailDirectory(handle, st, shown);
  }

  /** The names in the directory (read through its descriptor). */
  list(): Promise<string[]> {
    return readdir(`/proc/self/fd/${this.#handle.fd}`);
  }

  /**
   * What `name` is, by lstat through the descriptor: a MailEntry when it is a regular file of the directory's
   * owner, a Skipped (why it is left alone) otherwise, null when it is gone (a mail client moved it).
   */
  async entry(name: string): Promise<MailEntry | Skipped | null> {
    let st: Stats;
    try {
      st = await lstat(this.#at(name));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
    if (!st.isFile()) return { name, why: kindOf(st) };
    if (!ownerFits(this.stat, st)) return { name, why: wrongOwner(this.stat, st, this.shown) };
    return { name, stat: st };
  }

  /**
   * Up to `max` bytes from `from` of an entry found regular: opened without following a link or blocking, and
   * read only when it is still the file lstat saw (same device and inode). A Skipped when it was swapped
   * meanwhile, null when it is gone.
   */
  async read(e: MailEntry, from: number, max: number): Promise<string | Skipped | null> {
    let fh: FileHandle;
    try {
      fh = await open(this.#at(e.name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return null;
      if (code === 'ELOOP') return { name: e.name, why: 'swapped for a symbolic link while being read' };
      throw err;
    }
    try {
      const st = await fh.stat();
      if (st.dev !== e.stat.dev || st.ino !== e.stat.ino)
        return { name: e.name, why: 'replaced while being read' };
      const buf = Buffer.alloc(max);
      const { bytesRead } = await fh.read(buf, 0, max, from);
      return buf.subarray(0, bytesRead).toString('latin1');
    } finally {
      await fh.close();
    }
  }

  /**
   * Removes the entry from this directory (unlink through its descriptor) when it is still the file that was
   * read; false when it is gone or was replaced meanwhile.
   */
  async remove(e: MailEntry): Promise<boolean> {
    const at = this.#at(e.name);
    try {
      const st = await lstat(at);
      if (st.dev !== e.stat.dev || st.ino !== e.stat.ino) return false;
      await unlink(at);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /** Closes the descriptor. */
  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** Whether an entry() result is a message that may be read. */
export function isEntry(x: MailEntry | Skipped): x is MailEntry {
  return 'stat' in x;
}
