/**
 * What probe tests use from the services setup: the running daemons' facts, a guard that fails a test
 * clearly when its daemon is not up, and private daemon instances a test may stop.
 */
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { inject } from 'vitest';
import {
  type Daemon,
  type DaemonName,
  makeMailDir,
  type Ports,
  startDnsmasq,
  startDovecot,
  startNginx,
  startPostfix,
  startSmbd,
  startTinyproxy,
  startVsftpd,
} from './daemons.ts';
import type { ServicesInfo } from './setup.ts';

/** The services setup's facts; throws when the setup is not wired into vitest's globalSetup. */
export function services(): ServicesInfo {
  const info = inject('tenkenServices') as ServicesInfo | undefined;
  if (info === undefined) {
    throw new Error(
      'probe tests need test/services/setup.ts as a vitest globalSetup (it is listed in vitest.config.ts)',
    );
  }
  return info;
}

/** The facts, after checking that `names` are running; the error says why one is not. */
export function need(...names: DaemonName[]): ServicesInfo {
  const info = services();
  for (const n of names) {
    const why = info.up[n];
    if (why !== null) throw new Error(`${n} is not running for the probe tests: ${why}`);
  }
  return info;
}

/** A TCP port nothing listens on right now (the OS picks it; closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function freePorts(): Promise<Ports> {
  const p = {} as Ports;
  for (const k of [
    'http',
    'https',
    'smtp',
    'pop3',
    'imap',
    'ftp',
    'smb',
    'netbios',
    'proxy',
    'dns',
  ] as const) {
    p[k] = await freePort();
  }
  p.ftpPasv = 0;
  return p;
}

let serial = 0;

/** Options of a private instance (each for one daemon; the others ignore it). */
export interface PrivateOptions {
  /** vsftpd: local users may log in (through PAM), so wrong passwords are real failed logins. */
  ftpLocalUsers?: boolean;
  /** vsftpd: the address its PASV replies give (`pasv_address`), instead of 127.0.0.1. */
  ftpPasvAddress?: string;
  /** smbd: log to `log.smbd` in its directory, with auth_audit's lines (instead of level 1 on stdout). */
  smbLogFile?: boolean;
  /** smbd: more smb.conf text (`global` lines in [global], `shares` after it; `@DIR@` is its directory). */
  smbConf?: { global?: string[]; shares?: string };
  /** mail: false turns off dovecot's auth penalty (a delay growing to 15 s per failure from one address). */
  mailPenalty?: boolean;
  /** tinyproxy: the only client address it allows (loopback's clients are then refused). */
  proxyAllow?: string;
  /** tinyproxy: forward everything to this upstream proxy (`host:port`). */
  proxyUpstream?: string;
}

/**
 * A private instance of a daemon on fresh ports, for tests that stop it (the shared ones stay up for the
 * other tests). Returns the daemon and its ports.
 */
export async function privateDaemon(
  name: 'nginx' | 'vsftpd' | 'smbd' | 'tinyproxy' | 'dnsmasq' | 'mail',
  opts: PrivateOptions = {},
): Promise<{ daemon: Daemon; ports: Ports; mailDir: string; dir: string }> {
  const info = name === 'mail' ? need('postfix', 'dovecot') : need(name);
  const dir = path.join(info.dir, `private-${process.pid}-${++serial}-${name}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const ports = await freePorts();
  ports.ftpPasv = 0;
  const start = {
    nginx: () => startNginx(dir, ports, info.certs),
    vsftpd: async () => {
      ports.ftpPasv = 20000 + (process.pid % 2000) * 10;
      return startVsftpd(dir, ports, {
        local: opts.ftpLocalUsers ?? false,
        ...(opts.ftpPasvAddress === undefined ? {} : { pasvAddress: opts.ftpPasvAddress }),
      });
    },
    smbd: () =>
      startSmbd(dir, ports, {
        signing: 'default',
        ...(opts.smbLogFile ? { logFile: path.join(dir, 'log.smbd') } : {}),
        ...(opts.smbConf ? { conf: opts.smbConf } : {}),
      }),
    tinyproxy: () =>
      startTinyproxy(dir, ports, {
        ...(opts.proxyAllow ? { allow: opts.proxyAllow } : {}),
        ...(opts.proxyUpstream ? { upstream: opts.proxyUpstream } : {}),
      }),
    dnsmasq: () => startDnsmasq(dir, ports),
    // dovecot + postfix as one: tests of failed logins use these, since dovecot delays the next login
    // from the same address after a failure, which would slow the shared instance for everyone.
    mail: async (): Promise<Daemon> => {
      const mailDir = await makeMailDir(path.join(dir, 'mail'));
      const dovecot = await startDovecot(
        path.join(dir, 'dovecot'),
        ports,
        info.certs,
        mailDir,
        opts.mailPenalty === false ? { penalty: false } : {},
      );
      const postfix = await startPostfix(
        path.join(dir, 'postfix'),
        ports,
        info.certs,
        mailDir,
        path.join(dir, 'dovecot'),
      ).catch(async (err: unknown) => {
        await dovecot.stop();
        throw err;
      });
      return {
        name: 'mail',
        output: () => `${postfix.output()}\n${dovecot.output()}`,
        pids: () => [...dovecot.pids(), ...postfix.pids()],
        stop: async () => {
          await Promise.all([postfix.stop(), dovecot.stop()]);
        },
      };
    },
  }[name];
  return { daemon: await start(), ports, mailDir: path.join(dir, 'mail'), dir };
}
