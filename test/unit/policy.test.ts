import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolvePlan, type RunRequest } from '../../src/policy/resolve.ts';
import { withHostProxyPort } from '../../src/policy/logged-port.ts';
import { DEFAULT_LIMITS, parseLimits, ulimitLine } from '../../src/policy/limits.ts';
import { bwrapArgs, fdLayout } from '../../src/sandbox/bwrap-args.ts';
import type { HostFacts } from '../../src/sandbox/facts.ts';
import type { Plan } from '../../src/sandbox/plan.ts';
import { BubbleError } from '../../src/errors.ts';
import { debianHost, fakeFacts, runRequest as req, type FakeEntry } from '../support/fake-host.ts';
import { argvText, assertGolden } from '../support/golden.ts';

const nativeClaude: Record<string, FakeEntry> = {
  ...debianHost,
  '/home/u/.local/bin/claude': {
    type: 'symlink',
    target: '/home/u/.local/share/claude/versions/2.1.3',
  },
  '/home/u/.local/share/claude/versions/2.1.3': { type: 'file', mode: 0o755, content: '\x7fELF' },
  '/home/u/.local/bin/other-tool': { type: 'file', mode: 0o755 },
  '/home/u/.claude/settings.json': {
    type: 'file',
    content: JSON.stringify({
      statusLine: { type: 'command', command: 'bash ~/.claude/statusline.sh' },
      hooks: { Stop: [{ hooks: [{ type: 'command', command: '$HOME/bin/notify --done' }] }] },
    }),
  },
  '/home/u/.claude/statusline.sh': { type: 'file', mode: 0o755 },
  '/home/u/bin/notify': { type: 'file', mode: 0o755 },
  '/home/u/.claude/commands/review.md': { type: 'file' },
  '/home/u/.claude/projects/x/log.jsonl': { type: 'file' },
  '/home/u/.claude.json': { type: 'file' },
  '/home/u/.gitconfig': { type: 'file' },
};

describe('policy -> plan -> bwrap argv (golden)', () => {
  test('generic command in a project under $HOME, on a terminal', () => {
    const facts = fakeFacts(debianHost);
    assertGolden(
      'generic-tty.argv',
      argvText(facts, resolvePlan(facts, req(['sh', '-c', 'echo hi']))),
    );
  });

  test('claude native install, settings with a statusline and a hook', () => {
    const facts = fakeFacts(nativeClaude);
    const plan = resolvePlan(facts, req(['claude', '--resume']));
    assertGolden('claude-native.argv', argvText(facts, plan));
    assert.equal(plan.profile, 'claude');
    // ~/.claude is staged (agent-state.ts): nothing is made in the user's real ~/.claude;
    // what is missing there is made (and set aside) in bubble's stage.
    assert.deepEqual(
      plan.placeholders.map((p) => p.path).filter((p) => p.startsWith('/home/u/.claude')),
      [],
    );
    const stage = plan.stages.find((s) => s.real === '/home/u/.claude')!;
    assert.equal(stage.entries['settings.json']?.show, 'ro');
    assert.equal(stage.entries['statusline.sh']?.show, 'ro');
    assert.equal(stage.entries['projects']?.show, 'rw');
    assert.equal(stage.entries['hooks']?.show, 'mount');
    assert.equal(stage.entries['CLAUDE.md']?.show, 'mount');
    assert.equal(stage.entries['.config.json'], undefined);
  });

  test('claude from npm under nvm: the interpreter dir is mounted too', () => {
    const facts = fakeFacts(
      {
        ...debianHost,
        '/home/u/.nvm/versions/node/v20.1.0/bin/node': { type: 'file', mode: 0o755 },
        '/home/u/.nvm/versions/node/v20.1.0/bin/claude': {
          type: 'symlink',
          target: '../lib/node_modules/@anthropic-ai/claude-code/cli.js',
        },
        '/home/u/.nvm/versions/node/v20.1.0/lib/node_modules/@anthropic-ai/claude-code/cli.js': {
          type: 'file',
          mode: 0o755,
          content: '#!/usr/bin/env node\n',
        },
      },
      {
        env: { HOME: '/home/u', PATH: '/home/u/.nvm/versions/node/v20.1.0/bin:/usr/bin:/bin' },
        stdinIsTTY: false,
      },
    );
    const plan = resolvePlan(facts, req(['claude']));
    assertGolden('claude-nvm.argv', argvText(facts, plan));
    assert.equal(plan.env.PATH, '/home/u/.nvm/versions/node/v20.1.0/bin:/usr/bin:/bin');
  });

  test('no terminal, --net none, user mounts, --hide and --env', () => {
    const facts = fakeFacts(
      {
        ...debianHost,
        '/data/set/a.csv': { type: 'file' },
        '/home/u/out/x': { type: 'file' },
        '/home/u/src/app/.env': { type: 'file' },
      },
      { stdinIsTTY: false, cwd: '/home/u/src/app' },
    );
    const plan = resolvePlan(
      facts,
      req(['git', 'status'], {
        net: 'none',
        ro: ['/data/set'],
        rw: ['~/out'],
        hide: ['.env'],
        env: ['AWS_SECRET_ACCESS_KEY', 'MODE=fast'],
      }),
    );
    assertGolden('none-user-mounts.argv', argvText(facts, plan));
  });
});

describe('policy: network', () => {
  test('filtered: socket dir, bridge and trampoline (golden)', () => {
    const facts = fakeFacts(debianHost, { stdinIsTTY: false });
    const plan = resolvePlan(
      facts,
      req(['sh'], { net: 'filtered', hostPorts: [3128, 5432], allow: ['*.example.com'] }),
    );
    assertGolden('filtered.argv', argvText(facts, plan));
    assert.equal(plan.net.proxyPort, 3129, 'the proxy moves off a published port');
    assert.equal(plan.env.HTTPS_PROXY, 'http://127.0.0.1:3129');
    assert.equal(plan.env.no_proxy, 'localhost,127.0.0.1,::1');
    assert.ok(plan.namespaces.net);
    assert.ok(
      plan.mounts.some(
        (m) =>
          m.kind === 'ro' && m.dest === '/run/bubble' && m.src === '/run/user/1000/bubble/4242',
      ),
    );
  });

  test('filtered with socat on the host: socat forwards, nothing else starts first (golden)', () => {
    const base = fakeFacts(debianHost, { stdinIsTTY: false });
    const facts = { ...base, bubble: { ...base.bubble, socat: '/usr/bin/socat' } };
    const plan = resolvePlan(facts, req(['sh'], { net: 'filtered' }));
    assertGolden('filtered-socat.argv', argvText(facts, plan));
    const i = plan.wrapper.indexOf('bubble');
    assert.deepEqual(plan.wrapper.slice(i + 1, i + 5), [
      '/usr/bin/socat',
      '3128',
      '/run/bubble/proxy.sock',
      '0C38',
    ]);
    assert.ok(!plan.wrapper.includes(base.bubble.bridge), 'no Node bridge');
    // Published ports need the bridge (it asks the proxy for each one).
    const published = resolvePlan(facts, req(['sh'], { net: 'filtered', hostPorts: [5432] }));
    assert.ok(published.wrapper.includes(base.bubble.bridge));
    assert.ok(!published.wrapper.includes('/usr/bin/socat'));
  });

  test('logged: host network, variables name the host port; host and none: no proxy', () => {
    const facts = fakeFacts(debianHost);
    const portless = resolvePlan(facts, req(['sh'], { net: 'logged' }));
    assert.ok(!('HTTP_PROXY' in portless.env), 'no port before the proxy listens');
    const logged = withHostProxyPort(portless, 40123);
    assert.equal(logged.env.HTTP_PROXY, 'http://127.0.0.1:40123');
    assert.equal(logged.net.proxyPort, 40123);
    assert.ok(!logged.namespaces.net);
    assert.ok(!logged.wrapper.includes('/usr/bin/node'), 'no bridge outside filtered mode');
    for (const net of ['host', 'none'] as const) {
      const p = resolvePlan(facts, req(['sh'], { net }));
      assert.ok(!('HTTPS_PROXY' in p.env));
      assert.equal(p.namespaces.net, net === 'none');
    }
  });
});

describe('policy: project persistence vectors', () => {
  const repo: Record<string, FakeEntry> = {
    ...debianHost,
    '/home/u/src/app/.git/HEAD': { type: 'file' },
    '/home/u/src/app/.git/config': { type: 'file' },
    '/home/u/src/app/.git/hooks/pre-commit.sample': { type: 'file' },
    '/home/u/src/app/.git/objects/pack/x': { type: 'file' },
    '/home/u/src/app/.git/modules/lib/HEAD': { type: 'file' },
    '/home/u/src/app/.git/modules/lib/objects/pack/x': { type: 'file' },
    '/home/u/src/app/.git/modules/lib/config': { type: 'file' },
    '/home/u/src/app/.git/modules/lib/hooks/x': { type: 'file' },
    '/home/u/src/app/.claude/settings.json': { type: 'file' },
    '/home/u/src/app/.vscode/tasks.json': { type: 'file' },
  };
  const kindAt = (plan: Plan, dest: string): string | undefined =>
    plan.mounts.findLast((m) => m.dest === dest)?.kind;

  const srcAt = (plan: Plan, dest: string): string | undefined => {
    const op = plan.mounts.findLast((m) => m.dest === dest);
    return op?.kind === 'rw' || op?.kind === 'ro' ? op.src : undefined;
  };
  const STAGES = '/home/u/.local/state/bubble/stages/4242-1/';

  test('a repository: .git staged (data read-write, config and hooks read-only), submodules too', () => {
    const plan = resolvePlan(fakeFacts(repo), req(['sh']));
    const git = '/home/u/src/app/.git';
    assert.equal(srcAt(plan, git), `${STAGES}0`, 'the git dir is a stage');
    assert.equal(srcAt(plan, `${git}/objects`), `${git}/objects`);
    assert.equal(kindAt(plan, `${git}/objects`), 'rw');
    assert.equal(kindAt(plan, `${git}/refs`), 'rw');
    assert.equal(kindAt(plan, `${git}/logs`), 'rw', 'created on the host first');
    assert.equal(kindAt(plan, `${git}/hooks`), 'ro');
    assert.equal(kindAt(plan, `${git}/config`), undefined, 'a copy: only allowlisted keys go back');
    assert.equal(plan.stages[0]!.entries.config?.show, 'copy');
    assert.equal(plan.stages[0]!.entries.HEAD?.show, 'copy');
    assert.deepEqual(plan.stages[0]!.create, ['refs', 'logs', 'info', 'objects/info']);
    assert.equal(srcAt(plan, `${git}/info`), `${STAGES}1`, 'info/attributes cannot be planted');
    assert.equal(srcAt(plan, `${git}/objects/info`), `${STAGES}2`, 'alternates cannot be planted');
    assert.equal(srcAt(plan, `${git}/modules/lib`), `${STAGES}3`);
    assert.equal(kindAt(plan, `${git}/modules/lib/hooks`), 'ro');
    assert.equal(kindAt(plan, `${git}/modules/lib/config`), undefined);
    assert.ok(!plan.mounts.some((m) => m.dest === `${git}/modules` && m.kind !== 'dir'));
    assert.equal(kindAt(plan, '/home/u/src/app/.claude'), 'rw');
    assert.equal(kindAt(plan, '/home/u/src/app/.claude/settings.json'), 'ro');
    assert.equal(kindAt(plan, '/home/u/src/app/.vscode'), 'ro');
    assert.equal(kindAt(plan, '/home/u/src/app/.envrc'), 'data');
    assert.ok(!plan.placeholders.some((p) => p.path === '/home/u/src/app/.git'));
  });

  test('no repository: .git cannot be created', () => {
    const plan = resolvePlan(fakeFacts(debianHost), req(['sh']));
    assert.equal(kindAt(plan, '/home/u/src/app/.git'), 'tmpfs');
    assert.ok(plan.placeholders.some((p) => p.path === '/home/u/src/app/.git' && p.type === 'dir'));
  });

  test('a worktree: the .git file read-only, the repository it names staged', () => {
    const plan = resolvePlan(
      fakeFacts({
        ...debianHost,
        '/home/u/src/app/.git': { type: 'file', content: 'gitdir: repo.git/worktrees/app\n' },
        '/home/u/src/app/repo.git/worktrees/app/HEAD': { type: 'file' },
        '/home/u/src/app/repo.git/worktrees/app/commondir': { type: 'file', content: '../..\n' },
        '/home/u/src/app/repo.git/HEAD': { type: 'file' },
        '/home/u/src/app/repo.git/objects/pack/x': { type: 'file' },
        '/home/u/src/app/repo.git/config': { type: 'file' },
        '/home/u/src/app/repo.git/hooks/x': { type: 'file' },
      }),
      req(['sh']),
    );
    assert.equal(kindAt(plan, '/home/u/src/app/.git'), 'ro');
    assert.equal(srcAt(plan, '/home/u/src/app/repo.git'), `${STAGES}0`);
    assert.equal(kindAt(plan, '/home/u/src/app/repo.git/hooks'), 'ro');
    assert.equal(kindAt(plan, '/home/u/src/app/repo.git/config'), undefined);
    const wt = plan.stages.find((s) => s.real === '/home/u/src/app/repo.git/worktrees/app');
    assert.equal(wt?.entries.commondir?.show, 'ro', 'the redirect stays read-only');
    assert.deepEqual(wt?.create, ['logs']);
  });

  test('--allow-write opens a protected path; a symlinked one refuses', () => {
    const open = resolvePlan(
      fakeFacts(repo),
      req(['sh'], { allowWrite: ['.git/hooks', '.vscode'] }),
    );
    assert.equal(kindAt(open, '/home/u/src/app/.git/hooks'), 'rw');
    assert.equal(kindAt(open, '/home/u/src/app/.vscode'), undefined);
    assert.throws(
      () =>
        resolvePlan(
          fakeFacts({ ...repo, '/home/u/src/app/.envrc': { type: 'symlink', target: '/tmp/x' } }),
          req(['sh']),
        ),
      /\.envrc is a symlink/,
    );
  });
});

describe('policy rules', () => {
  const facts = fakeFacts(nativeClaude);

  test('the environment is an allowlist', () => {
    const plan = resolvePlan(facts, req(['claude']));
    assert.deepEqual(Object.keys(plan.env).sort(), [
      'ANTHROPIC_API_KEY',
      'BUBBLE_SANDBOX',
      'GIT_CONFIG_COUNT',
      'GIT_CONFIG_KEY_0',
      'GIT_CONFIG_VALUE_0',
      'HOME',
      'LANG',
      'PATH',
      'TERM',
    ]);
    const generic = resolvePlan(facts, req(['sh']));
    assert.ok(!('ANTHROPIC_API_KEY' in generic.env), 'agent variables only for their profile');
  });

  test('PATH keeps only directories that exist inside', () => {
    const plan = resolvePlan(facts, req(['sh']));
    assert.equal(plan.env.PATH, '/usr/bin:/bin');
    assert.equal(resolvePlan(facts, req(['claude'])).env.PATH, '/home/u/.local/bin:/usr/bin:/bin');
  });

  test('scripts referenced by settings are read-only; the rest of the home stays hidden', () => {
    const plan = resolvePlan(facts, req(['claude']));
    const ro = plan.mounts.filter((m) => m.kind === 'ro').map((m) => m.dest);
    assert.ok(ro.includes('/home/u/.claude/statusline.sh'));
    assert.ok(ro.includes('/home/u/bin/notify'));
    assert.ok(!plan.mounts.some((m) => m.dest === '/home/u/.ssh'));
  });

  test('protected paths go on top of the writable state', () => {
    const plan = resolvePlan(facts, req(['claude']));
    const idx = (dest: string): number => plan.mounts.findIndex((m) => m.dest === dest);
    assert.ok(idx('/home/u/.claude') < idx('/home/u/.claude/settings.json'));
    assert.equal(plan.mounts[idx('/home/u/.claude')]!.kind, 'rw');
    assert.equal(plan.mounts[idx('/home/u/.claude/settings.json')]!.kind, 'ro');
  });

  const refuses = (f: HostFacts, r: RunRequest, code: string, exit: number): void => {
    assert.throws(
      () => resolvePlan(f, r),
      (e: unknown) => e instanceof BubbleError && e.code === code && e.exitCode === exit,
    );
  };

  test('refuses $HOME, its ancestors, / and system directories', () => {
    for (const cwd of [
      '/home/u',
      '/home',
      '/',
      '/usr',
      '/etc',
      '/etc/ssh',
      '/tmp',
      '/var',
      '/proc/self',
      '/sys/kernel',
      '/dev',
    ]) {
      const code = cwd === '/home/u' || cwd === '/home' || cwd === '/' ? 'CWD_HOME' : 'CWD_SYSTEM';
      refuses(fakeFacts(debianHost, { cwd }), req(['sh']), code, 2);
    }
  });

  test('refuses root unless --allow-root, which drops capabilities and warns', () => {
    const root = fakeFacts(debianHost, { uid: 0 });
    refuses(root, req(['sh']), 'ROOT', 2);
    const plan = resolvePlan(root, req(['sh'], { allowRoot: true }));
    assert.ok(plan.process.asRoot && plan.namespaces.user);
    assert.ok(
      bwrapArgs(plan, root.bwrap!.features, fdLayout(plan)).join(' ').includes('--cap-drop ALL'),
    );
    assert.match(plan.warnings.join('\n'), /root/);
  });

  test('a protected symlink or hard-linked file refuses to start', () => {
    refuses(
      fakeFacts({ ...nativeClaude, '/home/u/.claude/skills': { type: 'symlink', target: '..' } }),
      req(['claude']),
      'PROTECTED_SYMLINK',
      125,
    );
    refuses(
      fakeFacts({ ...nativeClaude, '/home/u/.claude/CLAUDE.md': { type: 'file', nlink: 2 } }),
      req(['claude']),
      'PROTECTED_HARDLINK',
      125,
    );
  });

  test('command resolution: 127 not found, 126 not executable', () => {
    refuses(facts, req(['nope']), 'NOT_FOUND', 127);
    refuses(
      fakeFacts({ ...debianHost, '/home/u/src/app/run.sh': { type: 'file', mode: 0o644 } }),
      req(['./run.sh']),
      'NOT_EXECUTABLE',
      126,
    );
  });

  test('resolv.conf pointing into /run is mounted in host mode only', () => {
    const has = (p: Plan): boolean =>
      p.mounts.some((m) => m.dest === '/run/systemd/resolve/stub-resolv.conf');
    assert.ok(has(resolvePlan(facts, req(['sh'], { net: 'host' }))));
    assert.ok(!has(resolvePlan(facts, req(['sh'], { net: 'none' }))));
  });

  test('bad --env names and missing --ro paths are usage errors', () => {
    refuses(facts, req(['sh'], { env: ['1BAD'] }), 'BAD_ENV', 2);
    refuses(facts, req(['sh'], { ro: ['/nope'] }), 'NO_SUCH_PATH', 2);
  });

  test('tmpfs sizes come from the limits', () => {
    const plan = resolvePlan(facts, req(['sh'], { limits: { ...DEFAULT_LIMITS, tmpBytes: 1234 } }));
    assert.ok(
      plan.mounts.some((m) => m.kind === 'tmpfs' && m.dest === '/tmp' && m.sizeBytes === 1234),
    );
  });

  test('--limit parsing and the ulimit line', () => {
    const l = parseLimits(['nproc=512', 'fsize=1G', 'nofile=4096', 'tmp=256M']);
    assert.deepEqual(l, {
      tmpBytes: 256 * 1024 ** 2,
      homeBytes: 1024 ** 3,
      nproc: 512,
      fsizeBytes: 1024 ** 3,
      nofile: 4096,
    });
    assert.equal(ulimitLine(l), 'ulimit -p 512 && ulimit -f 2097152 && ulimit -n 4096');
    assert.equal(ulimitLine(parseLimits(['nproc=unlimited', 'fsize=unlimited'])), '');
    assert.throws(() => parseLimits(['cpu=1']), /unknown limit/);
    assert.throws(() => parseLimits(['tmp=lots']), /expected a size/);
  });

  test('an old kernel gets no process limit (it would count all your processes)', () => {
    const plan = resolvePlan(fakeFacts(debianHost, { kernel: '5.10.0-28-amd64' }), req(['sh']));
    assert.equal(plan.limits.nproc, 'unlimited');
    assert.match(plan.warnings.join('\n'), /no process limit/);
  });
});

describe('provenance of network rules', () => {
  test('preset and config-file rules are named in the plan and in explain', async () => {
    const { toRequest } = await import('../../src/cli/commands/request.ts');
    const { parseSandboxArgs } = await import('../../src/cli/argv.ts');
    const { renderPlan } = await import('../../src/sandbox/render.ts');
    const r = toRequest(
      parseSandboxArgs(
        ['--allow', 'example.com', '--allow-preset', 'claude', '--', 'claude'],
        'run',
      ),
    );
    assert.equal(r.sources?.['allow:api.anthropic.com'], '--allow-preset claude');
    assert.equal(r.sources?.['allow:example.com'], undefined, 'command-line rules need no note');
    const facts = fakeFacts(nativeClaude);
    const plan = resolvePlan(facts, {
      ...r,
      sources: { ...r.sources, 'deny:evil.test': '/p/.bubble.toml' },
      deny: ['evil.test'],
    });
    const text = renderPlan(plan, []);
    assert.match(text, /api\.anthropic\.com \[--allow-preset claude\]/);
    assert.match(text, /deny evil\.test \[\/p\/\.bubble\.toml\]/);
  });
});
