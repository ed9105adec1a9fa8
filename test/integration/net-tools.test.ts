// Real tools through bubble's proxy in filtered mode (issue 3, requirement 4): curl,
// git over HTTP(S) and ssh, npm, Python urllib, Node's fetch, ssh through connect.js,
// and the real claude binary. Every server is on the host's loopback, published with
// --host-port; each test checks the host side (the server saw the request, the clone
// or package arrived) and that the session log names the destination.
//
// Two paths into the proxy are exercised where a tool allows it:
// - published port, direct: NO_PROXY has 127.0.0.1 and localhost, so `http://127.0.0.1:P`
//   goes straight to the bridge's listener on P, which CONNECTs through the proxy
//   (logged as `connect 127.0.0.1:P`);
// - the proxy variables: with NO_PROXY emptied (or `--noproxy ''`) and a name such as
//   `curl.localhost` (RFC 6761: the proxy resolves *.localhost to loopback itself), the
//   tool speaks HTTP forwarding or CONNECT to 127.0.0.1:3128 (logged with the name).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EgressProxy } from '../../src/net/proxy.ts';
import { sshProxyCommand } from '../../src/policy/network.ts';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, repoRoot, runBubble, type Result, type World } from '../support/world.ts';
import { startEcho } from '../fixtures/net-helpers.ts';
import {
  describeLog,
  host,
  makeCert,
  newestLog,
  records,
  requireTools,
  startCounter,
  unmet,
  startSshd,
  startStatic,
  type StaticServer,
} from '../fixtures/net-tools/host.ts';

const CONNECT_JS = join(repoRoot, 'dist/net/connect.js');
const TLS_NAMES = ['localhost', 'curl.localhost', 'git.localhost', 'py.localhost'];

/** `bubble run --host-port P... -- sh -c SCRIPT sh ARGS...` in the world's project. */
function inside(
  world: World,
  ports: number[],
  script: string,
  args: string[] = [],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<Result> {
  const publish = ports.flatMap((p) => ['--host-port', String(p)]);
  return runBubble(
    world,
    ['run', '--net', 'filtered', ...publish, '--', 'sh', '-c', script, 'sh', ...args],
    { timeoutMs, env },
  );
}

function ok(r: Result): void {
  assert.equal(
    r.code,
    0,
    `bubble exited ${r.code} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
  );
}

/** One allowed record per expectation, with the log in the message when one is missing. */
function assertLogged(
  world: World,
  expected: { protocol: 'connect' | 'http' | 'socks'; host: string; port: number }[],
): void {
  const log = newestLog(world.home);
  for (const want of expected) {
    const found = records(log, { ...want, decision: 'allow' });
    assert.ok(
      found.length > 0,
      `no allowed ${want.protocol} ${want.host}:${want.port} in ${log.path}:\n${describeLog(log)}`,
    );
  }
}

/** A web root with one file per name (content `<name>\n`), served over HTTP and HTTPS. */
async function webRoot(
  t: { after: (fn: () => unknown) => void },
  world: World,
  files: string[],
): Promise<{ www: string; http: StaticServer; https: StaticServer; ca: string }> {
  const www = join(world.root, 'www');
  fs.mkdirSync(www, { recursive: true });
  for (const f of files) fs.writeFileSync(join(www, f), `${f}\n`);
  const tls = await makeCert(world.root, TLS_NAMES);
  const ca = join(world.project, 'ca.pem');
  fs.copyFileSync(tls.cert, ca);
  const http = await startStatic(www);
  const https = await startStatic(www, tls);
  t.after(async () => {
    await http.close();
    await https.close();
  });
  return { www, http, https, ca };
}

function worldFor(
  t: { after: (fn: () => unknown) => void },
  opts: { claude?: boolean } = {},
): World {
  const world = makeWorld(opts);
  t.after(() => world.cleanup());
  return world;
}

// Host-side git with no user or system config of the machine.
function gitEnv(world: World): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: world.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

/** A bare repository with one commit at `bare`; returns the commit id. */
async function bareRepo(world: World, bare: string): Promise<string> {
  const work = join(world.root, 'repo-work');
  const env = gitEnv(world);
  await host('git', ['init', '-q', '-b', 'main', work], { env });
  fs.writeFileSync(join(work, 'hello.txt'), 'hello from the host repo\n');
  await host('git', ['-C', work, 'add', 'hello.txt'], { env });
  await host(
    'git',
    [
      '-C',
      work,
      '-c',
      'user.name=Test',
      '-c',
      'user.email=test@example.invalid',
      'commit',
      '-q',
      '-m',
      'first',
    ],
    { env },
  );
  await host('git', ['clone', '-q', '--bare', work, bare], { env });
  await host('git', ['-C', bare, 'update-server-info'], { env }); // for dumb HTTP
  return (await host('git', ['-C', work, 'rev-parse', 'HEAD'], { env })).stdout.trim();
}

async function headOf(world: World, dir: string): Promise<string> {
  return (
    await host('git', ['-C', dir, 'rev-parse', 'HEAD'], { env: gitEnv(world) })
  ).stdout.trim();
}

test('curl: plain HTTP (published port, and absolute-URI forwarding) and HTTPS through CONNECT', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['curl', 'openssl'])) return;
  const world = worldFor(t);
  const files = [
    'direct.txt',
    'forward-ip.txt',
    'forward-name.txt',
    'tls-name.txt',
    'tls-direct.txt',
  ];
  const { http, https } = await webRoot(t, world, files);
  const H = http.port;
  const S = https.port;
  const r = await inside(
    world,
    [H, S],
    [
      'set -e',
      `curl -fsS http://127.0.0.1:${H}/direct.txt`,
      `curl -fsS --noproxy '' http://127.0.0.1:${H}/forward-ip.txt`,
      `curl -fsS --noproxy '' http://curl.localhost:${H}/forward-name.txt`,
      // %{http_connect}: the proxy's answer to curl's CONNECT.
      `curl -fsS --noproxy '' --cacert ca.pem -w 'connect=%{http_connect}\\n' https://curl.localhost:${S}/tls-name.txt`,
      `curl -fsS --cacert ca.pem https://127.0.0.1:${S}/tls-direct.txt`,
    ].join('\n'),
  );
  ok(r);
  assert.equal(
    r.stdout,
    'direct.txt\nforward-ip.txt\nforward-name.txt\ntls-name.txt\nconnect=200\ntls-direct.txt\n',
  );
  assert.deepEqual(http.seen, ['/direct.txt', '/forward-ip.txt', '/forward-name.txt']);
  assert.deepEqual(https.seen, ['/tls-name.txt', '/tls-direct.txt']);
  assert.ok(
    http.requests.includes(`curl.localhost:${H} /forward-name.txt`),
    http.requests.join(', '),
  );
  assertLogged(world, [
    { protocol: 'connect', host: '127.0.0.1', port: H },
    { protocol: 'http', host: '127.0.0.1', port: H },
    { protocol: 'http', host: 'curl.localhost', port: H },
    { protocol: 'connect', host: 'curl.localhost', port: S },
    { protocol: 'connect', host: '127.0.0.1', port: S },
  ]);
});

test('git clone over HTTP (dumb) and HTTPS from a loopback server: the clone arrives with the commit', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['git', 'openssl'])) return;
  const world = worldFor(t);
  const { www, http, https } = await webRoot(t, world, []);
  const commit = await bareRepo(world, join(www, 'repo.git'));
  const H = http.port;
  const S = https.port;
  const r = await inside(
    world,
    [H, S],
    [
      'set -e',
      `git clone -q http://127.0.0.1:${H}/repo.git direct`,
      `NO_PROXY= no_proxy= git clone -q http://git.localhost:${H}/repo.git via-proxy`,
      `NO_PROXY= no_proxy= GIT_SSL_CAINFO="$PWD/ca.pem" git clone -q https://git.localhost:${S}/repo.git via-tls`,
    ].join('\n'),
    [],
    120_000,
  );
  ok(r);
  for (const dir of ['direct', 'via-proxy', 'via-tls']) {
    assert.equal(await headOf(world, join(world.project, dir)), commit, dir);
    assert.equal(
      fs.readFileSync(join(world.project, dir, 'hello.txt'), 'utf8'),
      'hello from the host repo\n',
    );
  }
  assert.ok(http.seen.includes('/repo.git/info/refs'), http.seen.join(' '));
  assert.ok(https.seen.includes('/repo.git/info/refs'), https.seen.join(' '));
  assertLogged(world, [
    { protocol: 'connect', host: '127.0.0.1', port: H },
    { protocol: 'http', host: 'git.localhost', port: H },
    { protocol: 'connect', host: 'git.localhost', port: S },
  ]);
});

test('npm install of a tarball from a loopback server, direct and through the proxy variables', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['npm'])) return;
  const world = worldFor(t);
  const { www, http } = await webRoot(t, world, []);
  const pkg = join(world.root, 'pkg');
  fs.mkdirSync(pkg);
  fs.writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'bubble-tiny', version: '1.0.0', main: 'index.js' }),
  );
  fs.writeFileSync(join(pkg, 'index.js'), 'module.exports = 42;\n');
  const npmEnv = {
    ...process.env,
    HOME: world.home,
    npm_config_cache: join(world.root, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
  await host('npm', ['pack', '--silent', '--pack-destination', www], {
    cwd: pkg,
    env: npmEnv,
    timeoutMs: 120_000,
  });
  assert.ok(fs.existsSync(join(www, 'bubble-tiny-1.0.0.tgz')));
  const H = http.port;
  const npmInstall = `npm install --no-audit --no-fund --no-update-notifier --registry http://127.0.0.1:${H}/`;
  const r = await inside(
    world,
    [H],
    [
      'set -e',
      'mkdir -p app-direct app-proxy',
      `(cd app-direct && ${npmInstall} http://127.0.0.1:${H}/bubble-tiny-1.0.0.tgz)`,
      // npm ignores an empty --noproxy and falls back to NO_PROXY (which has localhost): empty that.
      `(cd app-proxy && NO_PROXY= no_proxy= ${npmInstall} http://npm.localhost:${H}/bubble-tiny-1.0.0.tgz)`,
    ].join('\n'),
    [],
    180_000,
  );
  ok(r);
  for (const app of ['app-direct', 'app-proxy']) {
    const installed = JSON.parse(
      fs.readFileSync(join(world.project, app, 'node_modules/bubble-tiny/package.json'), 'utf8'),
    ) as { version: string };
    assert.equal(installed.version, '1.0.0', app);
    assert.equal(
      fs.readFileSync(join(world.project, app, 'node_modules/bubble-tiny/index.js'), 'utf8'),
      'module.exports = 42;\n',
    );
  }
  // npm may fetch a tarball more than once (manifest, then extraction): compare as sets.
  assert.deepEqual([...new Set(http.requests)].sort(), [
    `127.0.0.1:${H} /bubble-tiny-1.0.0.tgz`,
    `npm.localhost:${H} /bubble-tiny-1.0.0.tgz`,
  ]);
  assertLogged(world, [
    { protocol: 'connect', host: '127.0.0.1', port: H },
    { protocol: 'http', host: 'npm.localhost', port: H },
  ]);
});

const PY_FETCH = [
  'import ssl, sys, urllib.request',
  'ctx = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None',
  "print(urllib.request.urlopen(sys.argv[1], timeout=30, context=ctx).read().decode(), end='')",
].join('\n');

test('Python urllib honours the proxy variables (HTTP forwarding and CONNECT)', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['python3', 'openssl'])) return;
  const world = worldFor(t);
  const { http, https } = await webRoot(t, world, [
    'py-direct.txt',
    'py-forward.txt',
    'py-tls.txt',
  ]);
  const H = http.port;
  const S = https.port;
  const r = await inside(
    world,
    [H, S],
    [
      'set -e',
      `python3 -c "$1" http://127.0.0.1:${H}/py-direct.txt`,
      `NO_PROXY= no_proxy= python3 -c "$1" http://py.localhost:${H}/py-forward.txt`,
      `NO_PROXY= no_proxy= python3 -c "$1" https://py.localhost:${S}/py-tls.txt "$PWD/ca.pem"`,
      `python3 -c 'import urllib.request; p = urllib.request.getproxies(); print(p["http"], p["https"])'`,
    ].join('\n'),
    [PY_FETCH],
  );
  ok(r);
  const [direct, forward, tls, proxies] = r.stdout.split('\n');
  assert.deepEqual([direct, forward, tls], ['py-direct.txt', 'py-forward.txt', 'py-tls.txt']);
  assert.match(proxies ?? '', /^http:\/\/127\.0\.0\.1:\d+ http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(http.seen, ['/py-direct.txt', '/py-forward.txt']);
  assert.deepEqual(https.seen, ['/py-tls.txt']);
  assertLogged(world, [
    { protocol: 'connect', host: '127.0.0.1', port: H },
    { protocol: 'http', host: 'py.localhost', port: H },
    { protocol: 'connect', host: 'py.localhost', port: S },
  ]);
});

/** Node versions whose fetch honours NODE_USE_ENV_PROXY=1 (22.21+, 24.5+). */
function nodeHonoursEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

test("Node's fetch: a published port works (direct, via the bridge); anything else fails closed", async (t) => {
  if (!(await requireBwrap(t))) return;
  const world = worldFor(t);
  const { http } = await webRoot(t, world, ['fetched.txt']);
  const hidden = await startCounter(); // on the host's loopback, not published
  t.after(() => hidden.close());
  const H = http.port;
  const js = [
    'fetch(process.argv[1]).then((r) => r.text()).then(',
    '  (text) => process.stdout.write(text),',
    "  (e) => { console.log('ERR ' + ((e.cause && e.cause.code) || e.message)); process.exitCode = 3; });",
  ].join('\n');
  const r = await inside(
    world,
    [H],
    [
      `node -e "$1" http://127.0.0.1:${H}/fetched.txt; echo "exit=$?"`,
      `NO_PROXY= no_proxy= node -e "$1" http://127.0.0.1:${hidden.port}/; echo "exit=$?"`,
      'node -p process.versions.node',
    ].join('\n'),
    [js],
  );
  ok(r);
  const lines = r.stdout.trim().split('\n');
  const insideVersion = lines.at(-1) ?? '';
  assert.equal(lines[0], 'fetched.txt');
  assert.equal(lines[1], 'exit=0');
  assert.match(lines[2] ?? '', /^ERR /, 'fetch to an unpublished port must fail');
  assert.equal(lines[3], 'exit=3');
  assert.deepEqual(http.seen, ['/fetched.txt']);
  assert.equal(hidden.connections(), 0, 'the unpublished host service was reached');
  assertLogged(world, [{ protocol: 'connect', host: '127.0.0.1', port: H }]);
  const hiddenRecords = newestLog(world.home).connections.filter((c) => c.port === hidden.port);
  if (nodeHonoursEnvProxy(insideVersion)) {
    // fetch went to the proxy, which refused loopback that was not published.
    assert.ok(hiddenRecords.length > 0 && hiddenRecords.every((c) => c.decision === 'deny'));
  } else {
    // Node < 22.21 ignores the proxy variables: fetch connects directly, and the
    // sandbox's own network namespace has nothing there (ECONNREFUSED), so the
    // proxy never hears of it.
    assert.equal(lines[2], 'ERR ECONNREFUSED');
    assert.deepEqual(hiddenRecords, []);
  }
});

test('connect.js as a script: SOCKS5 from ALL_PROXY, CONNECT from HTTPS_PROXY, refusals exit 1', async (t) => {
  const echo = await startEcho();
  const proxy = new EgressProxy({ publishedPorts: [echo.port] });
  const addr = await proxy.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await proxy.close();
    await echo.close();
  });
  const port = 'port' in addr ? addr.port : 0;
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const via = async (
    env: Record<string, string>,
    target: string[],
    input: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const { spawn } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CONNECT_JS, ...target], {
        env: { ...base, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.stdin.end(input);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  };
  // The echo server answers, then closes when our stdin ends: connect.js exits 0.
  const socks = await via(
    { ALL_PROXY: `socks5h://127.0.0.1:${port}` },
    ['localhost', String(echo.port)],
    'over socks\n',
  );
  assert.deepEqual(socks, { code: 0, stdout: 'over socks\n', stderr: '' });
  const http = await via(
    { https_proxy: `http://127.0.0.1:${port}` },
    ['127.0.0.1', String(echo.port)],
    'over connect\n',
  );
  assert.deepEqual(http, { code: 0, stdout: 'over connect\n', stderr: '' });
  const unpublished = echo.port === 65535 ? 65534 : echo.port + 1;
  const deniedSocks = await via(
    { ALL_PROXY: `socks5h://127.0.0.1:${port}` },
    ['127.0.0.1', String(unpublished)],
    '',
  );
  assert.equal(deniedSocks.code, 1);
  assert.match(
    deniedSocks.stderr,
    /^bubble-connect: the proxy refused 127\.0\.0\.1:\d+: connection not allowed by ruleset\n$/,
  );
  const deniedHttp = await via(
    { HTTPS_PROXY: `http://127.0.0.1:${port}` },
    ['127.0.0.1', String(unpublished)],
    '',
  );
  assert.equal(deniedHttp.code, 1);
  assert.match(
    deniedHttp.stderr,
    /^bubble-connect: the proxy refused CONNECT 127\.0\.0\.1:\d+: HTTP\/1\.1 403 /,
  );
  const none = await via({}, ['127.0.0.1', '22'], '');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^bubble-connect: no proxy/);
  const usage = await via({}, ['only-host'], '');
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /^bubble-connect: usage: connect HOST PORT/);
});

test('ssh and git over ssh through the proxy with the ProxyCommand bubble provides', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['ssh', 'ssh-keygen', '/usr/sbin/sshd', 'git'])) return;
  const world = worldFor(t);
  // The client key and known_hosts live in the project: the sandbox's home is an empty tmpfs.
  const sshDir = join(world.project, 'ssh');
  fs.mkdirSync(sshDir, { mode: 0o700 });
  const key = join(sshDir, 'id_ed25519');
  await host('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'bubble-test-client',
    '-f',
    key,
  ]);
  const sshd = await startSshd(join(world.root, 'sshd'), `${key}.pub`);
  t.after(() => sshd.close());
  const P = sshd.port;
  fs.writeFileSync(
    join(sshDir, 'known_hosts'),
    `${sshd.knownHost('127.0.0.1')}\n${sshd.knownHost('localhost')}\n`,
  );
  const bare = join(world.root, 'srv', 'repo.git');
  const commit = await bareRepo(world, bare);
  const user = userInfo().username;
  // What a user would put in ~/.ssh/config (the same string GIT_SSH_COMMAND carries).
  const proxyCommand = sshProxyCommand(process.execPath, CONNECT_JS);
  const r = await inside(
    world,
    [P],
    [
      'set -e',
      'O="-i $PWD/ssh/id_ed25519 -o UserKnownHostsFile=$PWD/ssh/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes"',
      'echo "$GIT_SSH_COMMAND"',
      `eval "$GIT_SSH_COMMAND $O -p ${P} 127.0.0.1 echo hello-from-sshd"`,
      `ssh -o ProxyCommand="$1" $O -p ${P} localhost echo hello-again`,
      `GIT_SSH_COMMAND="$GIT_SSH_COMMAND $O" git clone -q ssh://${user}@127.0.0.1:${P}${bare} cloned-ssh`,
    ].join('\n'),
    [proxyCommand],
    120_000,
  );
  ok(r);
  assert.equal(r.stdout, `ssh -o 'ProxyCommand=${proxyCommand}'\nhello-from-sshd\nhello-again\n`);
  assert.equal(await headOf(world, join(world.project, 'cloned-ssh')), commit);
  assert.equal((sshd.log().match(/Accepted publickey for /g) ?? []).length, 3, sshd.log());
  assertLogged(world, [
    { protocol: 'socks', host: '127.0.0.1', port: P },
    { protocol: 'socks', host: 'localhost', port: P },
  ]);
});

test('claude -p inside bubble: its CONNECT api.anthropic.com:443 is in the session log', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['npm'])) return;
  const world = worldFor(t, { claude: true });
  // Installed for this test (no global install assumed), under the world, bound read-only.
  // The user's own npm configuration and cache apply (HOME is not the world's here).
  const prefix = join(world.root, 'claude-code');
  const install = await host(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--no-update-notifier',
      '--loglevel=error',
      '@anthropic-ai/claude-code',
    ],
    { timeoutMs: 300_000, check: false },
  );
  const claude = join(prefix, 'node_modules/.bin/claude');
  const version = await host(claude, ['--version'], {
    env: { ...process.env, HOME: world.home },
    check: false,
    timeoutMs: 30_000,
  }).catch((e: Error) => ({ code: null, stdout: '', stderr: e.message }));
  if (install.code !== 0 || version.code !== 0) {
    unmet(
      t,
      `cannot install or run @anthropic-ai/claude-code:\n${install.stdout}${install.stderr}\n${version.stdout}${version.stderr}`,
    );
    return;
  }
  t.diagnostic(`claude ${version.stdout.trim()}`);
  const sessions = join(world.home, '.local/state/bubble/sessions');
  const anthropic = (): boolean => {
    try {
      return (
        records(newestLog(world.home), {
          protocol: 'connect',
          host: 'api.anthropic.com',
          port: 443,
        }).length > 0
      );
    } catch {
      return false;
    }
  };
  // The record is written when the connection ends; claude retries for a while, so
  // stop bubble (SIGTERM writes what is still open) once the record is there or after 90 s.
  let child: import('node:child_process').ChildProcess | undefined;
  const poll = setInterval(() => {
    if (fs.existsSync(sessions) && anthropic()) child?.kill('SIGTERM');
  }, 200);
  const stop = setTimeout(() => child?.kill('SIGTERM'), 90_000);
  const r = await runBubble(world, ['run', '--ro', prefix, '--', claude, '-p', 'hi'], {
    env: { ANTHROPIC_API_KEY: 'sk-ant-api03-dummy-key-for-bubble-tests', DISABLE_AUTOUPDATER: '1' },
    onSpawn: (c) => (child = c),
    timeoutMs: 120_000,
  });
  clearInterval(poll);
  clearTimeout(stop);
  const log = newestLog(world.home);
  const found = records(log, { protocol: 'connect', host: 'api.anthropic.com', port: 443 });
  assert.ok(
    found.length > 0,
    `no CONNECT api.anthropic.com:443 in ${log.path}:\n${describeLog(log)}\nstderr:\n${r.stderr}`,
  );
  // No internet here: a denial (name not resolved) or a failed connect is expected.
  t.diagnostic(`log: ${describeLog({ ...log, connections: found })}`);
  assert.deepEqual(log.session?.argv, [claude, '-p', 'hi']);
});
