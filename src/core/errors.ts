/**
 * Errors for bad input and bad config: shown to the user as one line, never as a stack trace.
 * Anything that is not a TenkenError reaching the CLI is a bug and is reported as such.
 */
export class TenkenError extends Error {
  override readonly name = 'TenkenError';
  /** Exit code for the CLI (3 = UNKNOWN: tenken could not do what was asked). */
  readonly exitCode: number;
  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 3;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'refusing to follow a symbolic link',
  EMFILE: 'too many open files',
  EEXIST: 'already exists',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by peer',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed (temporary)',
};

/** The "why" part of a one-line error: errno text for system errors, else the message. */
export function reason(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code in ERRNO_TEXT) return ERRNO_TEXT[code] as string;
    const msg = (err as { message?: unknown }).message;
    if (typeof msg === 'string') return msg.replace(/^[A-Z]+: /, '');
  }
  return String(err);
}

/** The errno code of a system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** `What failed: why` — the project's error-message shape. */
export function describe(what: string, err: unknown): string {
  return `${what}: ${reason(err)}`;
}
