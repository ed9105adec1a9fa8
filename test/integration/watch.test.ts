// The ask policy, end to end: a session with net_policy = "ask" holds each destination no
// rule allows, and a scripted `bubble watch --json` in another process answers it: once,
// for the session, always (written to the user's config), deny; one it never answers is
// refused when the (short, configured) timeout ends, with the reason in the response. The
// clients inside simply wait for their answer. Host-side witnesses: the servers' request
// counts and the user's config file. The control socket is never visible inside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireBwrap } from '../support/bwrap.ts';
import { bubbleWithHosts, fetchLines, hostsFile, requireMountns, site } from '../support/hosts.ts';
import { waitFor } from '../support/wait.ts';
import { bubbleBin, makeWorld, runBubble } from '../support/world.ts';

type Msg = Record<string, unknown>;

test('bubble watch answers held connections: once, session, always, deny, and a timeout', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireMountns(t)) return;
  const w = makeWorld();
  const names = ['one.test', 'two.test', 'three.test', 'four.test'];
  const [one, two, three, four] = await Promise.all(names.map(site));
  const run = join(w.root, 'run');
  fs.mkdirSync(run, { mode: 0o700 });
  w.env.XDG_RUNTIME_DIR = run;
  const controlDir = join(run, 'bubble', 'watch');
  const hosts = hostsFile(w, names);
  const configPath = join(w.home, '.config/bubble/config.toml');
  fs.mkdirSync(join(w.home, '.config/bubble'), { recursive: true });
  const ports = [one!, two!, three!, four!].map((s) => s.port).join(', ');
  const mine = `# mine\nnet_policy = "ask"\nhost_ports = [${ports}]\n`;
  fs.writeFileSync(configPath, mine);

  // The scripted watcher: answers by destination, never four.test.
  const watcher = spawn(process.execPath, [bubbleBin, 'watch', '--json'], {
    cwd: w.project,
    env: w.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let watchErr = '';
  watcher.stderr.setEncoding('utf8').on('data', (d: string) => (watchErr += d));
  t.after(() => {
    watcher.kill();
    for (const s of [one, two, three, four]) s!.server.close();
    w.cleanup();
  });
  const seen: Msg[] = [];
  const plan: Record<string, string[]> = {
    'one.test': ['once', 'session'],
    'two.test': ['always'],
    'three.test': ['deny'],
  };
  createInterface({ input: watcher.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as Msg;
    seen.push(m);
    if (m.type !== 'held') return;
    const answer = plan[String(m.host)]?.shift();
    if (answer !== undefined)
      watcher.stdin.write(JSON.stringify({ session: m.session, id: m.id, answer }) + '\n');
  });

  const inside = `${fetchLines([one!, one!, one!, two!, three!])}
[ -e ${controlDir} ] && echo CONTROL-VISIBLE
ls -A /run/bubble | grep -v -x -e proxy.sock -e denials && echo UNEXPECTED-IN-RUN-BUBBLE
true`;
  const a = await bubbleWithHosts(w, hosts, ['run', '--', 'sh', '-c', inside]);
  const diag = (): string =>
    `${a.stderr}\nwatch saw: ${JSON.stringify(seen)}\nwatch said: ${watchErr}`;
  assert.equal(a.code, 0, diag());
  assert.match(a.stderr, /wait up to 60 s for an answer: run bubble watch in another terminal/);
  const lines = a.stdout.split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('one.test: ')),
    Array(3).fill('one.test: hello from one.test'),
    diag(),
  );
  assert.ok(lines.includes('two.test: hello from two.test'), a.stdout);
  assert.match(
    a.stdout,
    /^three\.test: bubble: refused three\.test:\d+: three\.test:\d+ is not in the allow list, and was refused in bubble watch/m,
  );
  assert.ok(!a.stdout.includes('CONTROL-VISIBLE'), 'the control socket is visible inside');
  assert.ok(!a.stdout.includes('UNEXPECTED'), a.stdout);
  assert.deepEqual([one!.hits(), two!.hits(), three!.hits()], [3, 1, 0]);
  // one.test was held twice (once, then for the session), not a third time.
  const held = (host: string): Msg[] => seen.filter((m) => m.type === 'held' && m.host === host);
  assert.equal(held('one.test').length, 2);
  const settled = seen
    .filter((m) => m.type === 'settled')
    .map((m) => `${String(m.answer)}/${String(m.by)}`);
  assert.deepEqual(settled, ['once/watch', 'session/watch', 'always/watch', 'deny/watch']);
  assert.equal(held('two.test')[0]?.pattern, `two.test:${two!.port}`);
  // "always" is in the user's config, after what the user wrote.
  const config = fs.readFileSync(configPath, 'utf8');
  assert.ok(config.startsWith(mine), config);
  assert.match(
    config,
    new RegExp(
      `# allowed always in bubble watch, session \\S+ .*\\nallow = \\[\\n  "two\\.test:${two!.port}",\\n\\]`,
    ),
  );

  // A second session, with a short timeout: two.test is allowed by the config now, four.test
  // gets no answer and is refused when the time is up. The client inside starts once the
  // watcher follows the session (a file in the project says so), so the watcher sees it held.
  const before = seen.length;
  const go = join(w.project, 'go');
  const gated = `while [ ! -e go ]; do sleep 0.05; done\n${fetchLines([two!, four!])}`;
  const sessionsBefore = seen.filter((m) => m.type === 'session').length;
  const follows = waitFor(
    () => seen.filter((m) => m.type === 'session').length > sessionsBefore,
    'the watcher follows the second session',
  ).then(() => fs.writeFileSync(go, ''));
  const b = await bubbleWithHosts(w, hosts, ['run', '--ask-timeout', '1', '--', 'sh', '-c', gated]);
  await follows;
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, /^two\.test: hello from two\.test$/m);
  assert.match(
    b.stdout,
    /^four\.test: bubble: refused four\.test:\d+: four\.test:\d+ is not in the allow list, and no answer came from bubble watch within 1 s/m,
  );
  assert.deepEqual([two!.hits(), four!.hits()], [2, 0]);
  const later = seen.slice(before);
  assert.deepEqual(
    later.filter((m) => m.type === 'held').map((m) => m.host),
    ['four.test'],
  );
  assert.ok(
    later.some((m) => m.type === 'settled' && m.answer === 'timeout' && m.by === 'timeout'),
  );
  await waitFor(() => seen.filter((m) => m.type === 'ended').length === 2, 'both sessions ended');
  watcher.stdin.end();
  const [code] = (await once(watcher, 'close')) as [number | null];
  assert.equal(code, 0, watchErr);
  assert.deepEqual(fs.readdirSync(controlDir), [], 'a control socket was left behind');
});

test('a held client that gives up is noticed at once: the watchers drop it, the log says why', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireMountns(t)) return;
  const w = makeWorld();
  const gone = await site('gone.test');
  const run = join(w.root, 'run');
  fs.mkdirSync(run, { mode: 0o700 });
  w.env.XDG_RUNTIME_DIR = run;
  const hosts = hostsFile(w, ['gone.test']);
  fs.mkdirSync(join(w.home, '.config/bubble'), { recursive: true });
  fs.writeFileSync(
    join(w.home, '.config/bubble/config.toml'),
    `net_policy = "ask"\nhost_ports = [${gone.port}]\n`,
  );
  // Two watchers: JSON for the facts, text for what a user reads. Neither answers.
  const watch = (args: string[]) => {
    const p = spawn(process.execPath, [bubbleBin, 'watch', ...args], {
      cwd: w.project,
      env: w.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    createInterface({ input: p.stdout }).on('line', (l) => lines.push(l));
    return { p, lines };
  };
  const json = watch(['--json']);
  const text = watch([]);
  t.after(() => {
    json.p.kill();
    text.p.kill();
    gone.server.close();
    w.cleanup();
  });
  const seen = (): Msg[] => json.lines.map((l) => JSON.parse(l) as Msg);
  const count = (type: string): number => seen().filter((m) => m.type === type).length;
  const mark = (name: string) => (): void => fs.writeFileSync(join(w.project, name), '');
  // The clients start once both watchers follow the session; they are killed once both are
  // held; the session waits (at most 30 s, for a clear failure) until the watchers heard.
  const following = waitFor(
    () => count('session') === 1 && text.lines.some((l) => l.startsWith('session ')),
    'the watchers follow the session',
  ).then(mark('go'));
  const held = following
    .then(() => waitFor(() => count('held') === 2, 'both clients held'))
    .then(mark('held'));
  const settled = held
    .then(() => waitFor(() => count('settled') === 2, 'both settled'))
    .then(mark('settled'));
  const proxy = `--noproxy '' -x http://127.0.0.1:3128 http://gone.test:${gone.port}/`;
  const wait = (file: string): string =>
    `i=0; while [ ! -e ${file} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`;
  const inside = `${wait('go')}
curl -s ${proxy} >/dev/null & a=$!
curl -s -p ${proxy} >/dev/null & b=$!
${wait('held')}
kill $a $b
${wait('settled')}
[ -e settled ] && echo HEARD-IN-TIME
true`;
  const r = await bubbleWithHosts(w, hosts, [
    'run',
    '--ask-timeout',
    '600',
    '--',
    'sh',
    '-c',
    inside,
  ]);
  const diag = `${r.stderr}\njson: ${json.lines.join('\n')}\ntext: ${text.lines.join('\n')}`;
  await Promise.all([following, held, settled]);
  assert.equal(r.code, 0, diag);
  assert.match(r.stdout, /^HEARD-IN-TIME$/m, diag);
  assert.deepEqual(
    seen()
      .filter((m) => m.type === 'settled')
      .map((m) => `${String(m.answer)}/${String(m.by)}`),
    ['gone/client', 'gone/client'],
  );
  assert.equal(gone.hits(), 0);
  await waitFor(
    () =>
      text.lines.filter((l) => l.includes('gone: the client closed the connection')).length === 2,
    'the text watcher says both are gone',
  );
  // The session's log: refused, and why.
  const log = await runBubble(w, ['log', '--last', '--json']);
  const conns = (JSON.parse(log.stdout) as { connections: Msg[] }).connections;
  assert.deepEqual(
    conns.map((c) => `${String(c.host)} ${String(c.rule)}`),
    ['gone.test bubble watch: not answered', 'gone.test bubble watch: not answered'],
  );
  assert.ok(
    conns.every((c) => String(c.reason).includes('the connection ended while it waited')),
    JSON.stringify(conns),
  );
});
