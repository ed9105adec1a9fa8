// The plan never follows a link the project or the agent controls: a link anywhere below a
// writable mount, on the way to something bubble mounts, refuses the session and names it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BubbleError } from '../../src/errors.ts';
import { resolvePlan, type RunRequest } from '../../src/policy/resolve.ts';
import { isUnder } from '../../src/policy/paths.ts';
import { debianHost, fakeFacts, runRequest, type FakeEntry } from '../support/fake-host.ts';

const req = runRequest;

const P = '/home/u/src/app';
const host: Record<string, FakeEntry> = {
  ...debianHost,
  '/usr/bin/claude': { type: 'file', mode: 0o755 },
  // ~/.config exists inside (git's config is shown), so a link into it would resolve there.
  '/home/u/.config/git/config': { type: 'file' },
  '/home/u/.config/autostart/x.desktop': { type: 'file' },
  '/home/u/.claude/projects/x.jsonl': { type: 'file' },
  [`${P}/.git/HEAD`]: { type: 'file', content: 'ref: refs/heads/main\n' },
  [`${P}/.git/objects/pack/x`]: { type: 'file' },
  [`${P}/.git/config`]: { type: 'file', content: '[core]\n' },
};

function refusal(entries: Record<string, FakeEntry>, over: Partial<RunRequest> = {}): BubbleError {
  try {
    resolvePlan(fakeFacts({ ...host, ...entries }), req(['claude'], over));
  } catch (e) {
    assert.ok(e instanceof BubbleError, String(e));
    return e;
  }
  assert.fail('the plan was made');
}

describe('links the project or the agent controls', () => {
  const kinds: Array<[string, string]> = [
    ['relative', '../../.config'],
    ['absolute', '/home/u/.config'],
    ['dangling', 'nowhere/at/all'],
    ['a loop', '.claude'],
  ];
  for (const [kind, target] of kinds)
    test(`a ${kind} link above a protected path refuses and is named`, () => {
      const e = refusal({ [`${P}/.claude`]: { type: 'symlink', target } });
      assert.equal(e.code, 'LINK_IN_PROJECT');
      assert.equal(e.exitCode, 125);
      assert.ok(e.message.startsWith(`${P}/.claude is a symlink (-> ${target})`), e.message);
      assert.doesNotMatch(e.message, /\n/);
    });

  test('deeper: a link two levels above the protected path', () => {
    const e = refusal({
      [`${P}/.config`]: { type: 'dir' },
      [`${P}/.config/mise`]: { type: 'symlink', target: '../../../../.config/autostart' },
    });
    // .config/mise is itself protected; a link one level further down is found the same way.
    assert.match(e.message, /\.config\/mise is a symlink/);
    const deeper = refusal({ [`${P}/mise`]: { type: 'symlink', target: '../../../.config' } });
    assert.match(deeper.message, new RegExp(`${P}/mise is a symlink`));
  });

  test('a link in the agent state above a script its settings run', () => {
    const e = refusal({
      '/home/u/.claude/settings.json': {
        type: 'file',
        content: JSON.stringify({
          statusLine: { type: 'command', command: 'bash ~/.claude/scripts/status.sh' },
        }),
      },
      '/home/u/.claude/scripts': { type: 'symlink', target: '../.config/autostart' },
    });
    assert.match(e.message, /\/home\/u\/\.claude\/scripts is a symlink/);
  });

  test('--rw through a link in the project refuses; naming the target works', () => {
    const entries: Record<string, FakeEntry> = {
      [`${P}/data`]: { type: 'symlink', target: '/srv/data' },
      '/srv/data/x': { type: 'file' },
    };
    const e = refusal(entries, { rw: ['data'] });
    assert.match(e.message, new RegExp(`${P}/data is a symlink`));
    resolvePlan(fakeFacts({ ...host, ...entries }), req(['claude'], { rw: ['/srv/data'] }));
  });

  test("the user's own links stay followed: a state dir in a dotfiles checkout", () => {
    const plan = resolvePlan(
      fakeFacts({
        ...host,
        '/home/u/.claude': { type: 'symlink', target: 'dotfiles/claude' },
        '/home/u/dotfiles/claude/settings.json': { type: 'file', content: '{}' },
      }),
      req(['claude']),
    );
    // The state dir is staged (agent-state.ts): seen at ~/.claude, its real dir the target.
    const state = plan.mounts.find((op) => op.dest === '/home/u/.claude');
    const stage = plan.stages.find((s) => s.dest === '/home/u/.claude');
    assert.equal(stage?.real, '/home/u/dotfiles/claude');
    assert.equal(state?.kind === 'rw' && state.src, stage.stage);
    assert.equal(
      plan.mounts.find((op) => op.dest === '/home/u/.claude/settings.json' && op.kind === 'ro')
        ?.kind === 'ro' &&
        (plan.mounts.find((op) => op.dest === '/home/u/.claude/settings.json') as { src: string })
          .src,
      '/home/u/dotfiles/claude/settings.json',
    );
  });

  test('a link elsewhere in the project, on no mount path, is data', () => {
    resolvePlan(
      fakeFacts({ ...host, [`${P}/docs`]: { type: 'symlink', target: '../../.config' } }),
      req(['claude']),
    );
  });

  test('a link left in .git/modules is never staged nor mounted', () => {
    const plan = resolvePlan(
      fakeFacts({
        ...host,
        [`${P}/.git/modules/sub`]: { type: 'symlink', target: '../../../../../.config' },
        [`${P}/sub/.git`]: { type: 'file', content: 'gitdir: ../.git/modules/sub\n' },
      }),
      req(['claude']),
    );
    for (const op of plan.mounts) {
      // ~/.config/git is the user's git config, shown read-only by default; nothing else.
      if (op.kind === 'ro' || op.kind === 'rw')
        assert.ok(!isUnder(op.src, '/home/u/.config') || op.src === '/home/u/.config/git', op.src);
      assert.ok(!op.dest.startsWith(`${P}/.git/modules/sub`), op.dest);
    }
    assert.ok(!plan.stages.some((s) => s.real.includes('/modules/sub')));
  });
});
