import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryConfigs } from '../../src/policy/registry-configs.ts';

const run = (files: Record<string, string>) =>
  registryConfigs('/h', (p) => files[p]).map((v) => `${v.kind} ${v.path}`);

test('registry settings without credentials are shown; with credentials left out; without a registry ignored', () => {
  assert.deepEqual(
    run({
      '/h/.npmrc': 'registry=https://npm.corp.test/\n@corp:registry=https://npm.corp.test/\n',
      '/h/.config/pip/pip.conf': '[global]\nindex-url = https://pypi.corp.test/simple\n',
      '/h/.cargo/config.toml': '[source.crates-io]\nreplace-with = "corp"\n',
    }),
    ['show /h/.npmrc', 'show /h/.config/pip/pip.conf', 'show /h/.cargo/config.toml'],
  );
  assert.deepEqual(
    run({
      '/h/.npmrc': 'registry=https://npm.corp.test/\n//npm.corp.test/:_authToken=abc\n',
      '/h/.pip/pip.conf': '[global]\nindex-url = https://me:secret@pypi.corp.test/simple\n',
      '/h/.cargo/config.toml': '[registry]\ntoken = "abc"\n',
    }),
    ['left-out /h/.npmrc', 'left-out /h/.pip/pip.conf', 'left-out /h/.cargo/config.toml'],
  );
  assert.deepEqual(run({ '/h/.npmrc': 'save-exact=true\n', '/h/.cargo/config.toml': '' }), []);
});
