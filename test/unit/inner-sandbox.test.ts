import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolvePlan } from '../../src/policy/resolve.ts';
import { debianHost, fakeFacts, runRequest as req, type FakeEntry } from '../support/fake-host.ts';

const host = (extra: Record<string, FakeEntry>): Record<string, FakeEntry> => ({
  ...debianHost,
  '/home/u/.local/bin/claude': { type: 'file', mode: 0o755, content: '\x7fELF' },
  '/home/u/.local/bin/codex': { type: 'file', mode: 0o755, content: '\x7fELF' },
  '/home/u/.local/bin/gemini': { type: 'file', mode: 0o755, content: '\x7fELF' },
  ...extra,
});
const env = { HOME: '/home/u', PATH: '/home/u/.local/bin:/usr/bin:/bin' };
const notices = (w: string[]): string[] => w.filter((x) => /own sandbox/.test(x));

describe("agents' own sandboxes", () => {
  test('claude: off through --settings only when a settings file turns it on, and said once', () => {
    const off = resolvePlan(fakeFacts(host({}), { env }), req(['claude', '-p', 'x']));
    // Not turned on: claude gets exactly its own arguments (bubble-claude stays a drop-in).
    assert.deepEqual(off.argv.slice(1), ['-p', 'x']);
    assert.deepEqual(notices(off.warnings), []);
    for (const file of [
      '/home/u/.claude/settings.json',
      '/home/u/src/app/.claude/settings.json',
      '/home/u/src/app/.claude/settings.local.json',
    ]) {
      const facts = fakeFacts(
        host({ [file]: { type: 'file', content: '{"sandbox":{"enabled":true}}' } }),
        { env },
      );
      const plan = resolvePlan(facts, req(['claude', '-p', 'x']));
      assert.equal(plan.argv[1], '--settings', file);
      assert.equal(notices(plan.warnings).length, 1, file);
    }
  });

  test('codex: its sandbox is on by default, so it is always switched off and said', () => {
    const plan = resolvePlan(fakeFacts(host({}), { env }), req(['codex', 'exec', 'x']));
    assert.deepEqual(plan.argv.slice(1), ['-c', 'sandbox_mode="danger-full-access"', 'exec', 'x']);
    assert.equal(notices(plan.warnings).length, 1);
  });

  test('gemini: GEMINI_SANDBOX=false inside, said when the user set it or settings turn it on', () => {
    const quiet = resolvePlan(fakeFacts(host({}), { env }), req(['gemini']));
    assert.equal(quiet.env.GEMINI_SANDBOX, 'false');
    assert.deepEqual(notices(quiet.warnings), []);
    const byEnv = resolvePlan(
      fakeFacts(host({}), { env: { ...env, GEMINI_SANDBOX: 'docker' } }),
      req(['gemini']),
    );
    assert.equal(byEnv.env.GEMINI_SANDBOX, 'false');
    assert.equal(notices(byEnv.warnings).length, 1);
    const bySettings = resolvePlan(
      fakeFacts(
        host({
          '/home/u/.gemini/settings.json': { type: 'file', content: '{"tools":{"sandbox":true}}' },
        }),
        { env },
      ),
      req(['gemini']),
    );
    assert.equal(notices(bySettings.warnings).length, 1);
  });
});
