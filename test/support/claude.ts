// The real Claude Code for integration tests, and a session of it in bubble-claude driven by
// the fake Anthropic API (test/fixtures/fake-anthropic.ts). See claude-e2e.test.ts.

import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from './bwrap.ts';
import { bubbleClaudeBin, makeWorld, runBubble, type Result, type World } from './world.ts';
import { host, requireTools, unmet } from '../fixtures/net-tools/host.ts';
import { npmCached } from './npm.ts';
import {
  FINAL_TEXT,
  startFakeAnthropic,
  type FakeAnthropic,
  type Turn,
} from '../fixtures/fake-anthropic.ts';

export const API_KEY = 'sk-ant-api03-dummy-key-for-bubble-tests';

let installing: Promise<{ bin: string; version: string } | { error: string }> | undefined;

/** The cached claude (installing it the first time), or why it cannot be had. */
function installClaude(): Promise<{ bin: string; version: string } | { error: string }> {
  installing ??= (async () => {
    let version: string | undefined;
    const runs = async (bin: string): Promise<boolean> => {
      const r = await host(bin, ['--version'], { check: false, timeoutMs: 30_000 }).catch(
        () => undefined,
      );
      version = r?.code === 0 ? r.stdout.trim() : undefined;
      return version !== undefined;
    };
    const spec = `@anthropic-ai/claude-code@${process.env['BUBBLE_CLAUDE_VERSION'] ?? 'latest'}`;
    const got = await npmCached('claude', spec, (bin) => fs.existsSync(bin) && runs(bin));
    if ('error' in got) return got;
    return version !== undefined || (await runs(got.bin))
      ? { bin: got.bin, version: version! }
      : { error: `${got.bin} --version failed after install` };
  })();
  return installing;
}

export async function requireClaude(t: TestContext): Promise<string | undefined> {
  if (!(await requireBwrap(t))) return undefined;
  if (!requireTools(t, ['npm'])) return undefined;
  const got = await installClaude();
  if ('error' in got) {
    unmet(t, `cannot install or run @anthropic-ai/claude-code: ${got.error}`);
    return undefined;
  }
  t.diagnostic(`claude ${got.version}`);
  return got.bin;
}

export interface Session {
  world: World;
  api: FakeAnthropic;
  r: Result;
}

/** A fresh world and fake API with `script`, then `bubble-claude -p ... PROMPT`. */
export async function claudeSession(
  t: TestContext,
  bin: string,
  script: (world: World) => Turn[],
  opts: { args?: string[]; prepare?: (world: World) => void } = {},
): Promise<Session> {
  const world = makeWorld({ claude: true });
  t.after(() => world.cleanup());
  const api = await startFakeAnthropic(script(world));
  t.after(() => api.close());
  const config = join(world.home, '.config/bubble');
  fs.mkdirSync(config, { recursive: true });
  fs.writeFileSync(join(config, 'config.toml'), `host_ports = [${api.port}]\n`);
  opts.prepare?.(world);
  const binDir = join(bin, '..');
  const r = await runBubble(
    world,
    [...(opts.args ?? ['-p', '--dangerously-skip-permissions']), 'Follow the script.'],
    {
      bin: bubbleClaudeBin,
      env: {
        PATH: `${binDir}:${world.env['PATH']}`,
        ANTHROPIC_BASE_URL: api.url,
        ANTHROPIC_API_KEY: API_KEY,
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
      timeoutMs: 180_000,
    },
  );
  return { world, api, r };
}

export function explain(s: Session): string {
  return (
    `bubble-claude exited ${s.r.code} (signal ${s.r.signal})\nstdout:\n${s.r.stdout}\nstderr:\n${s.r.stderr}\n` +
    `requests:\n${s.api.describe()}\ntool results:\n${JSON.stringify(s.api.toolResults, null, 1)}`
  );
}

export function ok(s: Session): void {
  assert.equal(s.r.code, 0, explain(s));
  assert.match(s.r.stdout, new RegExp(FINAL_TEXT), explain(s));
}
