// --home persist keeps an allowlist of caches; nothing that runs code is on it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isUnder } from '../../src/policy/paths.ts';
import { keptPath, NOT_PERSISTED, PERSISTED } from '../../src/policy/persistent-home.ts';

describe('persistent home', () => {
  test('nothing named as running code lies in or above a persisted path', () => {
    for (const bad of NOT_PERSISTED)
      for (const ok of PERSISTED) {
        assert.ok(!isUnder(bad.path, ok.path), `${bad.path} is under persisted ${ok.path}`);
        assert.ok(!isUnder(ok.path, bad.path), `persisted ${ok.path} is under ${bad.path}`);
      }
    for (const p of [...PERSISTED, ...NOT_PERSISTED]) assert.ok(p.why.length > 10, p.path);
  });

  test('--home-keep takes paths inside the home only', () => {
    assert.equal(keptPath('.config/gh', '/h'), '.config/gh');
    assert.equal(keptPath('~/.config/gh/', '/h'), '.config/gh');
    assert.equal(keptPath('/h/.config/gh', '/h'), '.config/gh');
    assert.equal(keptPath('a/../b', '/h'), 'b');
    for (const bad of ['..', '../x', 'a/../../x', '/etc', '.', '~/', '/h'])
      assert.throws(() => keptPath(bad, '/h'), /expected a path inside your home/, bad);
  });
});
