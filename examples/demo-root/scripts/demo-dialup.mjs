// Deterministic month of mgetty logs for the demo host's two modem lines, with the matching wtmp records.
// Plain ESM, no dependencies: generate.mjs writes the logs and encodes the records into the demo wtmp.
//
// Every event falls on days 1-25, inside the rest of the demo's timeline (which ends on the 25th).
// The story (what `tenken dialup --root examples/demo-root` must find):
//   ttyS0 (/var/log/mgetty.ttyS0): calls every few days, each followed by its login (pid = mgetty's pid);
//     one login 118 s after its CONNECT (inside the 2-minute window); on day 10 the modem stops answering
//     ("doesn't react"), then four restarts log "WARNING: DSR is off" and fail to initialise it (the DSR-off
//     episode); on day 17 at 03:12:40 user "operator" logs in on ttyS0 with no call at all (the intrusion);
//     on day 20 a caller types "yanagi" but the login fails (a call that led to no login).
//   ttyS1 (/var/log/mgetty/mg_ttyS1.log): a login, a fax, a UUCP call handed to uucico (utmp entry written
//     by mgetty), a call that stopped ringing before it was answered, and another login.
// Formats follow mgetty 1.2's logfile.c: `MM/DD HH:MM:SS yS0  message`, audit lines `MM/DD HH:MM:SS ##### ...`.

const MGETTY_VERSION = 'interim release 1.2.1';
const p2 = (n) => String(n).padStart(2, '0');

/**
 * Builds the demo's dial-up data for one month.
 * @param {{year: number, month: number, utcOffsetMinutes?: number, boots?: (number|string)[]}} opts
 *   month is 1-12; utcOffsetMinutes is the demo host's zone (0: UTC); boots (ms or ISO) restart mgetty.
 * @returns {{mgettyLogs: Record<string, string>, wtmpRecords: {type: number, pid: number, line: string,
 *   id: string, user: string, host: string, time: string}[], logMtime: string}}
 *   wtmp times are ISO strings; logMtime is when the logs were last written (set it as their mtime, so the
 *   year of their year-less lines is inferred right).
 */
export function demoDialup({ year, month, utcOffsetMinutes = 0, boots = [] }) {
  const offsetMs = utcOffsetMinutes * 60_000;
  /** ms since the epoch of a local wall-clock time in the demo host's zone. */
  const at = (day, h, m, s = 0) => Date.UTC(year, month - 1, day, h, m, s) - offsetMs;
  const stamp = (ms) => {
    const d = new Date(ms + offsetMs);
    return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  };
  const monthStart = at(1, 0, 0);
  const monthEnd = Date.UTC(year, month, 1) - offsetMs;
  const bootTimes = boots
    .map((b) => (typeof b === 'number' ? b : Date.parse(b)))
    .filter((b) => b > monthStart + 60_000 && b < monthEnd)
    .sort((a, b) => a - b);

  const wtmp = [];
  const record = (ms, type, pid, line, user, host) =>
    wtmp.push({ ms, type, pid, line, id: line.slice(-2), user, host });

  /** One line's log, built as a sequence of events; every mgetty process gets a fresh pid. */
  function makeLine(tty, firstPid, bootDelay) {
    const infix = tty.slice(-3);
    const out = [];
    let pid = firstPid;
    const pendingBoots = [...bootTimes];
    // A boot kills the waiting mgetty silently; init starts a new one (a new process, a new pid).
    const bootsBefore = (ms) => {
      while (pendingBoots.length && (pendingBoots[0] ?? 0) + bootDelay <= ms)
        start((pendingBoots.shift() ?? 0) + bootDelay);
    };
    const say = (ms, text) => {
      bootsBefore(ms);
      out.push([ms, `${stamp(ms)} ${infix}  ${text}`]);
    };
    const audit = (ms, text) => {
      bootsBefore(ms);
      out.push([ms, `${stamp(ms)} ##### ${text}`]);
    };
    const sep = (ms) => {
      bootsBefore(ms);
      out.push([ms, '--']);
    };
    function start(ms, { healthy = true } = {}) {
      pid += 17;
      sep(ms);
      say(ms, `mgetty: ${MGETTY_VERSION}`);
      say(ms, `user id: 0, pid: ${pid}, parent pid: 1`);
      say(ms, 'check for lockfiles');
      say(ms, 'locking the line');
      if (!healthy) return;
      say(ms + 1000, 'lowering DTR to reset Modem');
      say(ms + 2000, 'send: \\d\\d\\d+++\\d\\d\\d[0d]\\dATQ0H0[0d]');
      say(ms + 2000, "waiting for ``OK'' ** found **");
      say(ms + 2000, 'send: ATS0=0V1Q0&D3&C1[0d]');
      say(ms + 2000, "waiting for ``OK'' ** found **");
      say(ms + 3000, 'removing lock file');
      say(ms + 3000, 'waiting...');
    }
    const flushBoots = (until) => {
      while (pendingBoots.length && (pendingBoots[0] ?? 0) + bootDelay < until)
        start((pendingBoots.shift() ?? 0) + bootDelay);
    };
    const answer = (ring, { multiLine = false } = {}) => {
      say(ring, 'checking lockfiles, locking the line');
      say(ring, "wfr: waiting for ``RING''");
      say(ring + 1000, 'send: ATA[0d]');
      const connect = ring + 17_000;
      if (multiLine) {
        say(ring + 1000, "waiting for ``CONNECT''");
        say(connect, '   CND: CONNECT 33600/ARQ/V34/LAPM/V42BIS ** found **');
      } else say(connect, "waiting for ``CONNECT'' ** found **");
      say(connect, 'send: ');
      say(connect, "waiting for ``_'' ** found **");
      say(connect + 1000, 'print welcome banner (/etc/issue.mgetty)');
      return connect;
    };
    const conn = '33600/ARQ/V34/LAPM/V42BIS';
    /** A data call that ends in a login session (or a failed login when minutes is null). */
    const login = (day, h, m, user, { minutes = 20, delay = 25, multiLine = false, fail = false } = {}) => {
      const connect = answer(at(day, h, m), { multiLine });
      record(connect, 6, pid, tty, 'LOGIN', conn);
      const loggedIn = connect + delay * 1000;
      audit(
        loggedIn - 6000,
        `data dev=${tty}, pid=${pid}, caller='none', conn='${conn}', name='', cmd='/bin/login', user='${user}'`,
      );
      const end = fail ? loggedIn + 40_000 : loggedIn + minutes * 60_000;
      if (!fail) record(loggedIn, 7, pid, tty, user, '');
      record(end, 8, pid, tty, '', '');
      start(end + 2000);
    };
    return { out, say, audit, start, answer, login, record, flushBoots, pid: () => pid, conn };
  }

  // ---- ttyS0 ---------------------------------------------------------------------------------------------
  const s0 = makeLine('ttyS0', 600, 40_000);
  s0.start(at(1, 0, 0, 30));
  s0.login(2, 9, 12, 'yanagi', { minutes: 34 });
  s0.login(3, 19, 10, 'mori', { minutes: 12 });
  s0.login(5, 21, 3, 'yanagi', { minutes: 47, delay: 118 }); // near the window's edge, inside
  s0.login(7, 10, 41, 'kato', { minutes: 8 });
  s0.login(9, 13, 5, 'yanagi', { minutes: 95 });
  // Day 10: the modem dies; mgetty's alive check fails, then every restart finds DSR off.
  s0.say(at(10, 2, 13, 55), 'checking if modem is still alive');
  s0.say(at(10, 2, 14, 1), "modem on dev=ttyS0 doesn't react!: Interrupted system call");
  for (const minute of [14, 24, 34, 44]) {
    const t = at(10, 2, minute, 5);
    s0.start(t, { healthy: false });
    s0.say(t + 1000, 'WARNING: DSR is off - modem turned off or bad cable?');
    s0.say(t + 1000, 'lowering DTR to reset Modem');
    s0.say(t + 2000, 'send: \\d\\d\\d+++\\d\\d\\d[0d]\\dATQ0H0[0d]');
    s0.say(t + 2000, "waiting for ``OK''");
    s0.say(t + 22_000, "timeout in chat script, waiting for `OK'");
    s0.say(t + 22_000, 'init chat timed out, trying force-init-chat');
    s0.say(t + 42_000, 'init chat failed, exiting...: Interrupted system call');
    s0.audit(t + 42_000, `failed in mg_init_data, dev=ttyS0, pid=${s0.pid()}`);
  }
  s0.start(at(10, 2, 55, 12)); // someone switched the modem back on
  s0.login(12, 20, 15, 'mori', { minutes: 26 });
  s0.login(14, 8, 50, 'yanagi', { minutes: 15 });
  s0.login(16, 22, 30, 'kato', { minutes: 52 });
  // Day 17, 03:12:40: a login on ttyS0 with no call (written straight into wtmp, nothing in mgetty's log).
  s0.record(at(17, 3, 12, 40), 7, 4444, 'ttyS0', 'operator', '');
  s0.record(at(17, 3, 20, 2), 8, 4444, 'ttyS0', '', '');
  s0.login(19, 11, 2, 'yanagi', { minutes: 31 });
  s0.login(20, 9, 45, 'mori', { minutes: 18 });
  s0.login(20, 21, 40, 'yanagi', { fail: true }); // wrong password: a call that led to no login
  s0.login(22, 14, 20, 'yanagi', { minutes: 64 });
  s0.login(23, 7, 35, 'yanagi', { minutes: 22, multiLine: true });
  s0.login(24, 19, 55, 'kato', { minutes: 9 });
  s0.login(25, 16, 10, 'mori', { minutes: 41 });

  // ---- ttyS1 ---------------------------------------------------------------------------------------------
  const s1 = makeLine('ttyS1', 700, 41_000);
  s1.start(at(1, 0, 0, 31));
  s1.login(4, 18, 30, 'kato', { minutes: 14, multiLine: true });
  {
    // Day 11: a fax; the answer chat sees +FCON instead of CONNECT.
    const ring = at(11, 14, 2);
    s1.say(ring, 'checking lockfiles, locking the line');
    s1.say(ring, "wfr: waiting for ``RING''");
    s1.say(ring + 1000, 'send: ATA[0d]');
    s1.say(ring + 1000, "waiting for ``CONNECT''");
    s1.say(ring + 9000, "found action string: ``+FCON''");
    s1.say(ring + 9000, 'start fax receiver...');
    s1.audit(
      ring + 81_000,
      `fax dev=ttyS1, pid=${s1.pid()}, caller='none', name='', id='+81 3 5555 0101     ', +FHNG=000, pages=2, time=00:01:12`,
    );
    s1.record(ring + 83_000, 8, s1.pid(), 'ttyS1', '', '');
    s1.start(ring + 85_000);
  }
  {
    // Day 18: a UUCP neighbour; login.config hands it to uucico, and mgetty writes the utmp entry itself.
    const connect = s1.answer(at(18, 2, 30));
    s1.record(connect, 6, s1.pid(), 'ttyS1', 'LOGIN', s1.conn);
    s1.audit(
      connect + 9000,
      `data dev=ttyS1, pid=${s1.pid()}, caller='none', conn='${s1.conn}', name='', cmd='/usr/sbin/uucico', user='Uhonsha'`,
    );
    s1.record(connect + 9000, 7, s1.pid(), 'ttyS1', 'Uhonsha', s1.conn);
    s1.record(connect + 9000 + 6 * 60_000, 8, s1.pid(), 'ttyS1', '', '');
    s1.start(connect + 9000 + 6 * 60_000 + 2000);
  }
  s1.login(21, 20, 5, 'kato', { minutes: 25 });
  {
    // Day 25: the caller gives up after one ring (mgetty waits for two); no answer, no login.
    const ring = at(25, 10, 2);
    s1.say(ring, 'checking lockfiles, locking the line');
    s1.say(ring, "wfr: waiting for ``RING''");
    s1.say(ring + 10_000, 'wfr: timeout waiting for RING');
    s1.audit(ring + 10_000, `phone stopped ringing (rings=1, dev=ttyS1, pid=${s1.pid()}, caller='none')`);
    s1.say(ring + 13_000, 'removing lock file');
    s1.say(ring + 13_000, 'waiting...');
  }

  // Boots after the last call still restart both gettys.
  s0.flushBoots(monthEnd);
  s1.flushBoots(monthEnd);

  const text = (entries) =>
    `${entries
      .map((e, i) => [e, i])
      .sort(([a, i], [b, j]) => a[0] - b[0] || i - j)
      .map(([e]) => e[1])
      .join('\n')}\n`;
  const all = [...s0.out, ...s1.out].map((e) => e[0]);
  return {
    mgettyLogs: {
      '/var/log/mgetty.ttyS0': text(s0.out),
      '/var/log/mgetty/mg_ttyS1.log': text(s1.out),
    },
    wtmpRecords: wtmp
      .sort((a, b) => a.ms - b.ms)
      .map(({ ms, ...r }) => ({ ...r, time: new Date(ms).toISOString() })),
    logMtime: new Date(Math.max(...all) + 60_000).toISOString(),
  };
}
