// Denials and failures, told apart and readable by the agent: in a network namespace of
// the test's own with no network at all (nothing can leave it), a sandbox asks for a
// denied name, a private address and a name that cannot be looked up. curl, Python's
// urllib and Node's http client each see one line naming what was refused, why, and
// what to add to allow it; /run/bubble/denials lists the refusals read-only; the
// session line counts the failure apart from the denials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readLog } from '../../src/log/reader.ts';
import { requireBwrap, unmet } from '../support/bwrap.ts';
import { bubbleBin, makeWorld } from '../support/world.ts';

const SCRIPT = String.raw`
P=http://127.0.0.1:3128
echo "curl-deny: $(curl -s --noproxy '' -x $P http://blocked.example/)"
echo "curl-private: $(curl -s --noproxy '' -x $P http://10.1.2.3/)"
echo "curl-connect: $(curl -sS --noproxy '' -p -x $P https://blocked.example/ 2>&1 >/dev/null | tail -1)"
echo "curl-nodns: $(curl -s --noproxy '' -x $P http://no-dns.example/)"
python3 - <<'PY'
import urllib.request, urllib.error
opener = urllib.request.build_opener(urllib.request.ProxyHandler({'http': 'http://127.0.0.1:3128'}))
try:
    opener.open('http://10.1.2.3/', timeout=10)
except urllib.error.HTTPError as e:
    print('python-private:', e.code, e.read().decode().strip())
PY
node -e '
const http = require("http");
http.get({ host: "127.0.0.1", port: 3128, path: "http://blocked.example/" }, (res) => {
  let body = ""; res.on("data", (d) => (body += d));
  res.on("end", () => console.log("node-deny:", res.statusCode, body.trim()));
});'
echo "denials-file:"; cat /run/bubble/denials
echo tampered >> /run/bubble/denials 2>/dev/null && echo "WROTE-DENIALS"
true`;

test('refusals name the reason and the fix; a failed lookup is not a denial', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (spawnSync('unshare', ['-rn', 'true']).status !== 0) {
    unmet(t, 'unshare -rn is not available (unprivileged user and network namespaces)');
    return;
  }
  const w = makeWorld();
  t.after(() => w.cleanup());
  const ids = `--map-user=${process.getuid?.()} --map-group=${process.getgid?.()}`;
  const child = spawn(
    'unshare',
    [
      '-rn',
      'sh',
      '-c',
      `ip link set lo up && exec unshare --user ${ids} "$@"`,
      'sh',
      process.execPath,
      bubbleBin,
      'run',
      '--deny',
      'blocked.example',
      '--',
      'sh',
      '-c',
      SCRIPT,
    ],
    { cwd: w.project, env: w.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0, stderr);
  const line = (key: string): string =>
    stdout.split('\n').find((l) => l.startsWith(`${key}:`)) ?? `(no ${key} line in ${stdout})`;

  const denyHint = /to allow it, remove --deny blocked\.example/;
  assert.match(line('curl-deny'), /^curl-deny: bubble: refused blocked\.example:80: /);
  assert.match(line('curl-deny'), /denied by the rule "deny blocked\.example"/);
  assert.match(line('curl-deny'), denyHint);
  assert.match(line('curl-private'), /refused 10\.1\.2\.3:80: 10\.1\.2\.3:80 is a private address/);
  assert.match(line('curl-private'), /to allow it, add --allow-private 10\.1\.2\.3 /);
  assert.match(line('curl-connect'), /403/);
  assert.match(line('curl-nodns'), /could not reach no-dns\.example:80: /);
  assert.match(line('curl-nodns'), /no bubble rule refused it/);
  assert.doesNotMatch(line('curl-nodns'), /refused no-dns/);
  assert.match(line('python-private'), /^python-private: 403 bubble: refused 10\.1\.2\.3:80: /);
  assert.match(line('python-private'), /--allow-private 10\.1\.2\.3/);
  assert.match(line('node-deny'), /^node-deny: 403 bubble: refused blocked\.example:80: /);
  assert.match(line('node-deny'), denyHint);

  const file = stdout.slice(stdout.indexOf('denials-file:'));
  assert.match(file, /refused blocked\.example:80 \(http\): .*to allow it, remove --deny/);
  assert.match(file, /refused 10\.1\.2\.3:80 \(http\): .*--allow-private 10\.1\.2\.3/);
  assert.match(file, /refused blocked\.example:443 \(connect\)/);
  assert.doesNotMatch(file, /no-dns/, 'a failed lookup is listed as a refusal');
  assert.ok(!stdout.includes('WROTE-DENIALS'), 'the denials file is writable inside');

  // 6 refusals (curl x3, python, node) and one failed lookup, counted apart.
  assert.match(
    stderr,
    /bubble: 0 hosts contacted, 5 denied, 1 failed \(name lookup failed\); log: /,
  );
  const dir = join(w.home, '.local/state/bubble/sessions');
  const log = readLog(join(dir, fs.readdirSync(dir)[0] ?? ''));
  const nodns = log.connections.find((c) => c.host === 'no-dns.example');
  assert.equal(nodns?.failure, 'dns-failed');
  assert.equal(nodns?.denial, null);
  assert.ok(log.connections.filter((c) => c.decision === 'deny').every((c) => c.hint));
});
