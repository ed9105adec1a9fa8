// `bubble selftest`: attack the sandbox from inside on this machine, and say what held.

import { parseArgs } from 'node:util';
import { usageError } from '../usage.ts';
import { BubbleError } from '../../errors.ts';
import { DEFAULT_NET_MODE, isNetMode, NET_MODES } from '../../net/modes.ts';
import { displayText } from '../../sandbox/escape.ts';
import { say } from '../say.ts';
import type { Result } from '../../selftest/probes.ts';

const selftestHelp = `Usage: bubble selftest [--json] [--net MODE] [--keep]

Plants canaries in a temporary fake home and project (ssh keys, cloud credentials, a git
repository, agent config, a secret variable, services on loopback), runs real attacks from
inside the sandbox, and checks the host afterwards. One line per probe:
ID PASS|FAIL|SKIP|N/A reason, then "N passed, N failed". SKIP: not protected in this
--net mode by design; N/A: the same attempt cannot work outside the sandbox either on this
machine (checked), so it proves nothing. Exit 1 if any probe failed.
Only loopback is ever targeted. Run it as your normal user. Ctrl-C stops every probe
still running (the fork bomb too), removes the temporary world and exits 130.

Options:
  --net MODE    filtered (default), logged, host or none; in logged and host the network
                probes the mode does not protect are skipped
  --keep        keep the temporary world and print where it is
  --json        an object: {net, seconds, probes: [{id, category, result, detail}], totals}
  -h, --help    this help
`;

export async function selftest(words: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: words,
      options: {
        json: { type: 'boolean' },
        net: { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw usageError('selftest', err);
  }
  if (values.help) {
    process.stdout.write(selftestHelp);
    return 0;
  }
  const net = values.net ?? DEFAULT_NET_MODE;
  if (!isNetMode(net)) {
    throw new BubbleError(
      'USAGE',
      `--net: expected one of ${NET_MODES.join(', ')}, got ${JSON.stringify(values.net)}`,
    );
  }
  if (process.getuid?.() === 0) {
    throw new BubbleError(
      'ROOT',
      'selftest: bubble refuses to run as root (uid 0 stays root to the kernel inside the sandbox), so there is nothing to test',
      {
        hint: 'run bubble selftest as your normal user',
      },
    );
  }
  const { runSelftest } = await import('../../selftest/run.ts');
  const report = await runSelftest({ net, keep: values.keep === true });
  const count = (r: Result): number => report.results.filter((x) => x.result === r).length;
  const totals = {
    passed: count('PASS'),
    failed: count('FAIL'),
    skipped: count('SKIP'),
    notApplicable: count('N/A'),
  };
  if (values.json) {
    const probes = report.results.map(({ id, category, result, detail }) => ({
      id,
      category,
      result,
      detail,
    }));
    process.stdout.write(
      JSON.stringify(
        {
          net,
          seconds: report.seconds,
          probes,
          totals,
          ...(report.kept ? { kept: report.kept } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of report.results)
      process.stdout.write(`${r.id} ${r.result} ${displayText(r.detail)}\n`);
    process.stdout.write(
      `${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}${totals.notApplicable > 0 ? `, ${totals.notApplicable} not applicable here` : ''}\n`,
    );
  }
  say(
    `selftest (--net ${net}): ${report.results.length} probes in ${report.seconds.toFixed(1)} s${report.kept ? `; world kept in ${report.kept}` : ''}`,
  );
  return totals.failed > 0 ? 1 : 0;
}
