// `bubble doctor`: can bubble work on this machine, and if not, what to do about it.

import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';
import { exitStatus, runChecks } from '../../doctor/checks.ts';
import { displayText } from '../../sandbox/escape.ts';

const doctorHelp = `Usage: bubble doctor [--json]

Checks what bubble needs on this machine: bwrap and its features, unprivileged user
namespaces (including Ubuntu's AppArmor restriction), seccomp, Landlock, the kernel's
TIOCSTI setting, root, containers, /etc/resolv.conf, the agents on PATH and the profile
each gets, bubble's config and state directories, and a live self-check (a real sandbox
that reaches a loopback echo server through bubble's proxy).
One line per check: ok, warn or FAIL, and a "fix:" line under each that is not ok.
Exit 1 if bubble cannot work here (bwrap missing, user namespaces blocked, the live check
failed), 0 otherwise.

Options:
  --json        an object: {ok, checks: [{id, status, message, fix?}]}
  -h, --help    this help
`;

export async function doctor(words: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: words,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw usageError('doctor', err);
  }
  if (values.help) {
    process.stdout.write(doctorHelp);
    return 0;
  }
  const { gatherDoctorFacts } = await import('../../doctor/probe.ts');
  const checks = runChecks(await gatherDoctorFacts());
  const status = exitStatus(checks);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ok: status === 0, checks }, null, 2) + '\n');
    return status;
  }
  const width = Math.max(...checks.map((c) => c.id.length));
  const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const c of checks) {
    process.stdout.write(`${label[c.status]}  ${c.id.padEnd(width)}  ${displayText(c.message)}\n`);
    if (c.fix !== undefined)
      process.stdout.write(`${' '.repeat(width + 8)}fix: ${displayText(c.fix)}\n`);
  }
  const n = (s: string): number => checks.filter((c) => c.status === s).length;
  process.stdout.write(
    status === 0
      ? `bubble can work on this machine (${n('ok')} ok, ${n('warn')} warnings)\n`
      : `bubble cannot work on this machine: ${n('fail')} failed (${n('ok')} ok, ${n('warn')} warnings)\n`,
  );
  return status;
}
