import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSandboxArgs } from '../../src/cli/argv.ts';
import { configHelp, runHelp } from '../../src/cli/help.ts';
import { CONFIG_OPTIONS, RUN_OPTIONS } from '../../src/config/options.ts';
import { configSchema } from '../../src/config/schema.ts';

test('the option table drives the parser, the help and the config keys', () => {
  for (const o of RUN_OPTIONS) {
    const words =
      o.takes === 'nothing'
        ? [o.flag]
        : [
            o.flag,
            'values' in o
              ? o.values[0]
              : o.flag === '--limit'
                ? 'nproc=9'
                : o.flag === '--ask-timeout'
                  ? '9'
                  : '8080',
          ];
    if (o.flag === '--help' || o.flag === '--ask') continue;
    assert.doesNotThrow(() => parseSandboxArgs([...words, 'sh'], 'run'), o.flag);
    assert.ok(runHelp.includes(o.help), `${o.flag} in bubble run --help`);
  }
  const keys = Object.keys(configSchema.shape).sort();
  assert.deepEqual(
    keys,
    [
      ...CONFIG_OPTIONS.map((o) => o.config.key),
      'api_key_command',
      'log_keep',
      'profile',
      'profiles',
    ].sort(),
  );
  for (const o of CONFIG_OPTIONS) {
    assert.ok(configHelp.includes(o.config.key), `${o.config.key} in bubble config --help`);
    assert.equal(configSchema.shape[o.config.key].description, o.config.describe);
  }
});
