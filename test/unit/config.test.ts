import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSandboxArgs } from '../../src/cli/argv.ts';
import { mergedArgs } from '../../src/cli/commands/configured.ts';
import { locateKey, parseConfig, sha256 } from '../../src/config/load.ts';
import { CLI, mergeConfig, type CliSettings } from '../../src/config/merge.ts';
import type { Config } from '../../src/config/schema.ts';
import {
  emptyStore,
  isTrusted,
  parseStore,
  withoutTrust,
  withTrust,
} from '../../src/config/trust.ts';
import { BubbleError } from '../../src/errors.ts';

function configError(text: string): BubbleError {
  try {
    parseConfig('/p/.bubble.toml', text);
  } catch (err) {
    assert.ok(err instanceof BubbleError);
    assert.equal(err.exitCode, 2);
    return err;
  }
  assert.fail('no error');
}

test('a valid file parses, with every key', () => {
  const c = parseConfig(
    '/f',
    `# why: the local database
rw = ["~/.npm"]
ro = ["/srv/data"]
hide = ["secrets"]
allow_write = [".git/hooks"]
env = ["EDITOR", "DEBUG=1"]
net = "filtered"
allow = ["*.github.com"]
deny = ["evil.example"]
host_ports = [5432]
profile = "claude"
home = "persist"
ssh_agent = true
gitconfig = "rw"
[limits]
nproc = 512
fsize = "1G"
tmp = "2G"
home = 1048576
nofile = 4096
[profiles.claude]
allow = ["api.anthropic.com"]
`,
  );
  assert.deepEqual(c.limits, { nproc: 512, fsize: '1G', tmp: '2G', home: 1048576, nofile: 4096 });
  assert.deepEqual(c.profiles?.claude?.allow, ['api.anthropic.com']);
});

test('invalid TOML: file:line:column', () => {
  assert.match(
    configError('rw = ["a"]\nnet = \n').message,
    /^\/p\/\.bubble\.toml:2:\d+: invalid TOML/,
  );
});

test('unknown keys and wrong types: file:line:column of the key', () => {
  assert.match(
    configError('net = "none"\n\nrww = ["x"]\n').message,
    /^\/p\/\.bubble\.toml:3:1: unknown key "rww"/,
  );
  assert.match(
    configError('deny = ["a"]\nnet = "wide"\n').message,
    /^\/p\/\.bubble\.toml:2:1: net: /,
  );
  assert.match(configError('[limits]\nnproc = 1\n  tmp = "lots"\n').message, /:3:3: limits\.tmp: /);
  assert.match(
    configError('[profiles.claude]\nallow = ["a"]\nallowed = ["b"]\n').message,
    /:3:1: unknown key "profiles\.claude\.allowed"/,
  );
  assert.match(configError('host_ports = [5432, "x"]\n').message, /:1:1: host_ports\[1\]: /);
  assert.match(configError('host_ports = [22]\n').message, /below 1024/);
  assert.match(configError('env = ["A B"]\n').message, /NAME or NAME=VALUE/);
  assert.match(configError('ssh_agent = "yes"\n').message, /:1:1: ssh_agent: /);
});

test('locateKey: dotted keys and table headers', () => {
  assert.deepEqual(locateKey('a = 1\nlimits.nproc = 3\n', ['limits', 'nproc']), {
    line: 2,
    column: 1,
  });
  assert.deepEqual(
    locateKey('[profiles."my agent"]\nrw = []\n', ['profiles', 'my agent', 'rw', 0]),
    { line: 2, column: 1 },
  );
  assert.deepEqual(locateKey('x = 1\n', ['nothing']), { line: 1, column: 1 });
});

const none: CliSettings = {};
const user = (config: Config) => ({ path: '/u/config.toml', config });
const project = (config: Config, trusted = false) => ({ path: '/p/.bubble.toml', config, trusted });

test('an untrusted project may only tighten', () => {
  const evil: Config = {
    rw: ['~'],
    ro: ['~/.ssh'],
    allow_write: ['.git'],
    env: ['SECRET'],
    allow: ['*'],
    host_ports: [5432],
    net: 'host',
    home: 'persist',
    ssh_agent: true,
    gitconfig: 'rw',
    profile: 'codex',
    limits: { nproc: 100000, tmp: '64G', fsize: 'unlimited' },
    hide: ['secrets'],
    deny: ['evil.example'],
  };
  const r = mergeConfig({ project: project(evil), cli: none, commandProfile: 'claude' });
  const o = r.options;
  assert.deepEqual(
    [o.rw, o.ro, o.allow_write, o.env, o.allow, o.host_ports],
    [[], [], [], [], [], []],
  );
  assert.equal(o.net, undefined);
  assert.equal(o.home, undefined);
  assert.equal(o.ssh_agent, undefined);
  assert.equal(o.gitconfig, undefined);
  assert.deepEqual(o.limits, {});
  assert.equal(r.profile.value, 'claude');
  assert.deepEqual(o.hide, [{ value: 'secrets', source: '/p/.bubble.toml' }]);
  assert.deepEqual(o.deny, [{ value: 'evil.example', source: '/p/.bubble.toml' }]);
  assert.deepEqual(r.ignored, [
    'profile = "codex"',
    'rw',
    'ro',
    'allow_write',
    'env',
    'allow',
    'host_ports',
    'net = "host"',
    'limits.nproc = 100000',
    'limits.fsize = "unlimited"',
    'limits.tmp = "64G"',
    'home = "persist"',
    'ssh_agent = true',
    'gitconfig = "rw"',
  ]);
});

test('tightening values from an untrusted project apply', () => {
  const r = mergeConfig({
    user: user({ net: 'logged', limits: { nproc: 1000 } }),
    project: project({
      net: 'filtered',
      limits: { nproc: 64, tmp: '256M', nofile: 1024 },
      home: 'tmp',
      ssh_agent: false,
      gitconfig: 'none',
    }),
    cli: none,
    commandProfile: 'claude',
  });
  assert.equal(r.options.net?.value, 'filtered');
  assert.equal(r.options.limits.nproc?.value, 64);
  assert.equal(r.options.limits.tmp?.value, '256M');
  assert.equal(r.options.gitconfig?.value, 'none');
  assert.deepEqual(r.ignored, []);
  // none is the strictest; filtered does not loosen none, logged does.
  const n = mergeConfig({
    user: user({ net: 'none' }),
    project: project({ net: 'logged' }),
    cli: none,
    commandProfile: 'generic',
  });
  assert.equal(n.options.net?.value, 'none');
  assert.deepEqual(n.ignored, ['net = "logged"']);
  // Bigger than the user's own limit is loosening even below the default.
  const l = mergeConfig({
    user: user({ limits: { nproc: 10 } }),
    project: project({ limits: { nproc: 20 } }),
    cli: none,
    commandProfile: 'generic',
  });
  assert.equal(l.options.limits.nproc?.value, 10);
  assert.deepEqual(l.ignored, ['limits.nproc = 20']);
});

test('an untrusted project hides only inside the project', () => {
  const r = mergeConfig({
    project: project({
      hide: [
        'secrets',
        '/p/sub/x',
        '~/.claude/settings.json',
        '/etc/claude-code/managed-settings.json',
        '../other',
        '/p/../etc/passwd',
      ],
    }),
    cli: none,
    commandProfile: 'claude',
  });
  assert.deepEqual(
    r.options.hide.map((v) => v.value),
    ['secrets', '/p/sub/x'],
  );
  assert.deepEqual(r.ignored, [
    'hide = "~/.claude/settings.json"',
    'hide = "/etc/claude-code/managed-settings.json"',
    'hide = "../other"',
    'hide = "/p/../etc/passwd"',
  ]);
  // The host's file system decides when given (a link in the project pointing out).
  const linked = mergeConfig({
    project: project({ hide: ['link-to-settings'] }),
    cli: none,
    commandProfile: 'claude',
    insideProject: () => false,
  });
  assert.deepEqual(linked.options.hide, []);
  assert.deepEqual(linked.ignored, ['hide = "link-to-settings"']);
  // A trusted project hides where it likes.
  const trusted = mergeConfig({
    project: project({ hide: ['~/.claude/settings.json'] }, true),
    cli: none,
    commandProfile: 'claude',
  });
  assert.deepEqual(
    trusted.options.hide.map((v) => v.value),
    ['~/.claude/settings.json'],
  );
});

test('an untrusted limit is kept only when it is really lower than what the sandbox gets', () => {
  const merge = (limits: Config['limits']) =>
    mergeConfig({
      project: project({ limits }),
      cli: none,
      commandProfile: 'generic',
      inherited: { nofile: 4096, memTotal: 8 * 1024 ** 3 },
    });
  // Open files: bubble passes its own limit on; raising it is loosening.
  assert.deepEqual(merge({ nofile: 1000000 }).ignored, ['limits.nofile = 1000000']);
  assert.equal(merge({ nofile: 1024 }).options.limits.nofile?.value, 1024);
  // Memory: the default is half the RAM.
  assert.deepEqual(merge({ mem: '6G' }).ignored, ['limits.mem = "6G"']);
  assert.deepEqual(merge({ mem: 'unlimited' }).ignored, ['limits.mem = "unlimited"']);
  assert.equal(merge({ mem: '2G' }).options.limits.mem?.value, '2G');
  // Sizes no sandbox runs with are dropped, not errors.
  assert.deepEqual(merge({ tmp: '2' }).ignored, ['limits.tmp = "2"']);
  assert.deepEqual(merge({ tmp: '2G' }).ignored, ['limits.tmp = "2G"']);
  assert.equal(merge({ tmp: '256M' }).options.limits.tmp?.value, '256M');
  for (const [name, value] of [
    ['nproc', 100000],
    ['nproc', 'unlimited'],
    ['fsize', '16G'],
    ['home', '4G'],
  ] as const)
    assert.deepEqual(merge({ [name]: value }).ignored, [
      `limits.${name} = ${JSON.stringify(value)}`,
    ]);
});

test('a trusted project applies in full; the command line wins over both', () => {
  const r = mergeConfig({
    user: user({ rw: ['~/a'], net: 'none' }),
    project: project({ rw: ['~/b'], net: 'host', env: ['X=1'] }, true),
    cli: { rw: ['~/c'], net: 'logged' },
    commandProfile: 'generic',
  });
  assert.deepEqual(
    r.options.rw.map((v) => `${v.value} ${v.source}`),
    ['~/a /u/config.toml', '~/b /p/.bubble.toml', `~/c ${CLI}`],
  );
  assert.deepEqual(r.options.net, { value: 'logged', source: CLI });
  assert.deepEqual(r.options.env, [{ value: 'X=1', source: '/p/.bubble.toml' }]);
  assert.deepEqual(r.ignored, []);
});

test('[profiles.NAME] applies for the profile in use, with the same trust rule', () => {
  const u = user({
    profiles: { claude: { allow: ['api.anthropic.com'] }, codex: { allow: ['api.openai.com'] } },
  });
  const p = project({ profiles: { claude: { rw: ['~'], deny: ['x.example'] } } });
  const r = mergeConfig({ user: u, project: p, cli: none, commandProfile: 'claude' });
  assert.deepEqual(
    r.options.allow.map((v) => v.value),
    ['api.anthropic.com'],
  );
  assert.deepEqual(
    r.options.deny.map((v) => v.value),
    ['x.example'],
  );
  assert.deepEqual(r.ignored, ['profiles.claude.rw']);
  const c = mergeConfig({
    user: u,
    project: p,
    cli: { profile: 'codex' },
    commandProfile: 'claude',
  });
  assert.deepEqual(
    c.options.allow.map((v) => v.value),
    ['api.openai.com'],
  );
});

test('merged options become run arguments; mounts remember their file', () => {
  const args = parseSandboxArgs(['--limit', 'nproc=50', '--rw', 'x', 'sh'], 'run');
  const r = mergeConfig({
    user: user({
      ro: ['/srv'],
      hide: ['s'],
      limits: { nproc: 99, tmp: '2G' },
      net: 'none',
      deny: ['a.example'],
    }),
    cli: { rw: ['x'], limits: { nproc: '50' } as never },
    commandProfile: 'generic',
  });
  const { args: m, sources } = mergedArgs(args, r);
  assert.deepEqual(m.ro, ['/srv']);
  assert.deepEqual(m.rw, ['x']);
  assert.deepEqual(m.limit, ['tmp=2G', 'nproc=50']);
  assert.equal(m.net, 'none');
  assert.deepEqual(m.deny, [], 'rules from a file are dropped without the proxy');
  assert.deepEqual(sources, { 'ro:/srv': '/u/config.toml', 'hide:s': '/u/config.toml' });
});

test('trust: keyed by project, by the exact bytes', () => {
  const h = sha256('net = "none"\n');
  assert.equal(h, sha256('net = "none"\n'));
  assert.notEqual(h, sha256('net = "none" \n'));
  const s = withTrust(emptyStore(), '/p', h, new Date(0));
  assert.ok(isTrusted(s, '/p', h));
  assert.ok(!isTrusted(s, '/q', h));
  assert.ok(!isTrusted(s, '/p', sha256('net = "host"\n')));
  assert.ok(isTrusted(parseStore(JSON.stringify(s)), '/p', h));
  assert.ok(!isTrusted(withoutTrust(s, '/p'), '/p', h));
  // Anything unreadable is no trust at all.
  assert.deepEqual(parseStore('{'), emptyStore());
  assert.deepEqual(
    parseStore(JSON.stringify({ version: 1, projects: { '/p': { sha256: 'x' } } })),
    emptyStore(),
  );
});

test('log_keep: from your own config only, checked when read', () => {
  const user = {
    path: '/u/config.toml',
    config: parseConfig('/u/config.toml', 'log_keep = 200\n'),
  };
  const project = {
    path: '/p/.bubble.toml',
    config: parseConfig('/p/.bubble.toml', 'log_keep = "1"\n'),
    trusted: true,
  };
  const m = mergeConfig({ user, project, cli: {}, commandProfile: 'default' });
  assert.deepEqual(m.options.log_keep, { value: '200', source: '/u/config.toml' });
  assert.ok(m.ignored.includes('log_keep (read from your own config only)'));
  assert.match(configError('log_keep = "forever"\n').message, /log_keep/);
  assert.equal(parseConfig('/f', 'log_keep = "7d,50"\n').log_keep, '7d,50');
  assert.throws(() => parseConfig('/f', '[profiles.x]\nlog_keep = "all"\n'));
});
