// Benchmark: reading the systemd journal, on hosts that run no syslog daemon (a default Debian 13). tenken's
// logs and attacks checks read it through journalctl; what a user would otherwise run is
// `journalctl -o cat | grep -ciE KEYWORDS`. Usage: node bench/journal.mjs [entries] (default 200000).
//
// The entries are the attack benchmark's `mixed` syslog lines (scripts/attack-mix.mjs), each with the fields
// journald gives a daemon's message (unit, command line, capabilities, cgroup, ...: twenty-odd, as real
// entries have), written into a real journal file by systemd-journal-remote (cached in bench/data/).
// Timed, best of 3: journalctl alone printing what tenken asks it for (the floor of its reads), the user's
// pipeline, tenken's logs check read (runbook keywords, in-process, through the check's own function) and
// its attack accounting. The logs read must count the same entries as grep, or the benchmark fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../scripts/attack-mix.mjs';
import { importSources } from '../scripts/import-src.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 200_000);
const REMOTE = '/lib/systemd/systemd-journal-remote';
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!have('journalctl') || !existsSync(REMOTE)) {
  console.log(
    'journal: journalctl or systemd-journal-remote missing, benchmark skipped (.ci/services.sh installs them)',
  );
  process.exit(0);
}

// The journal, generated once per size.
const dir = path.join(repo, 'bench/data', `journal-today-${count}`);
if (!existsSync(path.join(dir, 'remote.journal'))) {
  mkdirSync(dir, { recursive: true });
  const parts = [];
  // Today's lines (ISO stamps, sshd-session): the journal is what today's systems keep.
  for (const line of generate(count, 42, false, true).split('\n')) {
    const m = /^(\S+) srv ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/.exec(line);
    if (!m) continue;
    const us = Date.parse(m[1]) * 1000;
    const unit = `${m[2].split('/')[0]}.service`;
    parts.push(
      [
        `__REALTIME_TIMESTAMP=${us}`,
        `__MONOTONIC_TIMESTAMP=${us}`,
        '_BOOT_ID=0123456789abcdef0123456789abcdef',
        '_MACHINE_ID=8f3a1c2b4d5e6f708192a3b4c5d6e7f8',
        '_HOSTNAME=srv',
        '_TRANSPORT=syslog',
        'PRIORITY=6',
        'SYSLOG_FACILITY=4',
        `SYSLOG_IDENTIFIER=${m[2]}`,
        ...(m[3] ? [`SYSLOG_PID=${m[3]}`, `_PID=${m[3]}`] : []),
        '_UID=0',
        '_GID=0',
        `_COMM=${m[2].split('/').pop()}`,
        `_EXE=/usr/sbin/${m[2].split('/').pop()}`,
        `_CMDLINE=${m[2].split('/').pop()} -D`,
        '_CAP_EFFECTIVE=1ffffffffff',
        '_SELINUX_CONTEXT=unconfined',
        `_SYSTEMD_CGROUP=/system.slice/${unit}`,
        `_SYSTEMD_UNIT=${unit}`,
        '_SYSTEMD_SLICE=system.slice',
        '_SYSTEMD_INVOCATION_ID=0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        `_SOURCE_REALTIME_TIMESTAMP=${us}`,
        `MESSAGE=${m[4]}`,
      ].join('\n'),
    );
  }
  const r = spawnSync(REMOTE, ['-o', path.join(dir, 'remote.journal'), '-'], {
    input: `${parts.join('\n\n')}\n\n`,
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) {
    console.log(`journal: systemd-journal-remote failed: ${r.stderr.toString().trim()}`);
    process.exit(1);
  }
}

// tenken: the readers from the TypeScript sources (bundled once).
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-bench-journal-'));
const t = await importSources(tmp, {
  'src/logs/read/journal.ts': ['FIELDS_ARG', 'readJournal', 'spawnJournalctl'],
  'src/attacks/read.ts': ['accountJournal'],
  'src/logs/scan/rules.ts': ['compileRules'],
  'src/logs/config.ts': ['logsConfig'],
  'src/logs/scan/pack.ts': ['RUNBOOK_PACK'],
  'src/core/tz.ts': ['makeZone'],
});

async function best(fn) {
  let out;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    if (!out || ms < out.ms) out = { ms, value };
  }
  return out;
}
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 30 }).trim();

const keywords = Object.values(t.RUNBOOK_PACK).flat();
const esc = (k) => k.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
const floor = await best(() => sh(`journalctl -D ${dir} -o export ${t.FIELDS_ARG} --no-pager -q | wc -c`));
const user = await best(() =>
  Number(
    sh(`journalctl -D ${dir} -o cat --no-pager -q | LC_ALL=C grep -ciE '${keywords.map(esc).join('|')}'`),
  ),
);
const rules = t.compileRules(t.logsConfig.parse({}));
const logs = await best(async () => {
  let hits = 0;
  await t.readJournal({
    runner: t.spawnJournalctl,
    directory: dir,
    start: { all: true },
    rules,
    onHit: () => hits++,
  });
  return hits;
});
const attacks = await best(async () => {
  let events = 0;
  await t.accountJournal({
    runner: t.spawnJournalctl,
    directory: dir,
    start: { all: true },
    now: new Date(Date.UTC(2024, 11, 31)),
    zone: t.makeZone('UTC'),
    onEvent: () => events++,
  });
  return events;
});
rmSync(tmp, { recursive: true, force: true });

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`[journal] ${count} entries with journald's usual fields (${dir})`);
console.log(`  journalctl -o export of the fields tenken reads (floor):  ${s(floor.ms)}`);
console.log(
  `  journalctl -o cat | grep -ciE (runbook keywords):      ${s(user.ms)}  (${user.value} entries)`,
);
console.log(
  `  tenken logs check read (runbook keywords):             ${s(logs.ms)}  (${logs.value} entries)`,
);
console.log(
  `  tenken attack accounting:                              ${s(attacks.ms)}  (${attacks.value} events)`,
);
console.log(`  ratio, tenken logs / journalctl | grep:                ${(logs.ms / user.ms).toFixed(2)}`);
if (logs.value !== user.value) {
  console.log(`  MISMATCH: tenken counted ${logs.value} entries, grep ${user.value}`);
  process.exit(1);
}
