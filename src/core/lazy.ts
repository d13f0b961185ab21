import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use instead of at start-up. undici, basic-ftp and nodemailer cost 40-90 ms each
 * to load, string-width (an ES module: Node 20.19+ requires those too) ~25 ms; most commands never touch them,
 * and `tenken check` from cron with nothing new to read should not pay for them.
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => {
    mod ??= require(id) as T;
    return mod;
  };
}
