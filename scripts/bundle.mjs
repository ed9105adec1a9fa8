// npm run build, second step: the bins become a few ES modules instead of ~70. Loading one
// file instead of many is most of what a short command's start costs.
//   dist/cli/main.js      main.ts
//   dist/cli/chunk-*.js   what `run` and `explain` need (imported lazily in the source;
//                         listed in `hot` to share one chunk), `log`'s own, and what they
//                         and main.ts share: a launch reads a handful of files, `bubble log`
//                         does not load the proxy and the sandbox
//   dist/cli/cold-*.js    the commands and modules a launch never loads (`cold`), a build of
//                         their own, loaded when used: zod and smol-toml only when a config
//                         file exists, selftest and doctor only for those commands. In one
//                         build with the rest, esbuild would split the code each of them
//                         shares with the launch path into its own chunk (a launch read ~25
//                         files); apart, they carry their own copy of that code.
//   dist/cli/bubble.js, bubble-claude.js   tiny: enable the compile cache, then load main.js
// tsc's per-module output stays beside it: the helper scripts (reaper, bridge, connect)
// and the benchmarks run those.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/cli');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const hot = [
  'src/cli/commands/run.ts',
  'src/cli/commands/explain.ts',
  'src/net/session.ts',
  'src/net/runtime-dir.ts',
].map((p) => join(root, p));
/** Output name (dist/cli/cold-NAME.js) of each module imported lazily only off the launch path. */
const cold = {
  'src/cli/commands/allow.ts': 'allow',
  'src/cli/commands/watch.ts': 'watch',
  'src/cli/commands/trust.ts': 'trust',
  'src/cli/commands/config.ts': 'config',
  'src/cli/commands/profiles.ts': 'profiles',
  'src/cli/commands/selftest.ts': 'selftest',
  'src/cli/commands/doctor.ts': 'doctor',
  'src/config/load.ts': 'config-load',
  'src/config/merge.ts': 'config-merge',
  'src/config/trust.ts': 'config-trust',
  'src/config/add-rules.ts': 'config-add-rules',
};
const coldByPath = new Map(Object.entries(cold).map(([src, name]) => [join(root, src), name]));

// Chunks of an earlier build have other hashes.
for (const name of readdirSync(outdir))
  if (name.startsWith('chunk-') || name.startsWith('cold-')) rmSync(join(outdir, name));

const common = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
};

// main.ts imports each command lazily; in the bundle `run` and `explain` (and the proxy,
// for the default filtered mode) share one lazily loaded chunk.
const hotNamespace = 'bubble-hot';
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  splitting: true,
  // Chunks sit beside the bins, as deep as every other dist/ module: a path like
  // '../net/bridge.js' from import.meta.url means the same file in both builds.
  chunkNames: 'chunk-[hash]',
  define: { BUBBLE_VERSION: JSON.stringify(version) },
  plugins: [
    {
      name: 'hot-chunk',
      setup(b) {
        b.onResolve({ filter: /^\.\/commands\/(run|explain)\.ts$/ }, (args) =>
          args.kind === 'dynamic-import' && args.importer.endsWith('/src/cli/main.ts')
            ? { path: 'hot', namespace: hotNamespace }
            : undefined,
        );
        b.onLoad({ filter: /^hot$/, namespace: hotNamespace }, () => ({
          resolveDir: root,
          contents: hot.map((p) => `export * from ${JSON.stringify(p)};`).join('\n'),
        }));
      },
    },
    {
      // Every output sits in dist/cli: the cold build's file is a sibling of any chunk.
      name: 'cold-apart',
      setup(b) {
        b.onResolve({ filter: /\.ts$/ }, (args) => {
          const name = coldByPath.get(join(args.resolveDir, args.path));
          if (name === undefined) return undefined;
          if (args.kind !== 'dynamic-import')
            throw new Error(`${args.importer} imports ${args.path} statically: it is cold`);
          return { path: `./cold-${name}.js`, external: true };
        });
      },
    },
  ],
});

await build({
  ...common,
  entryPoints: [...coldByPath].map(([src, name]) => ({ in: src, out: `cold-${name}` })),
  splitting: true,
  chunkNames: 'chunk-cold-[hash]',
  define: { BUBBLE_VERSION: JSON.stringify(version) },
});

await build({
  ...common,
  entryPoints: [join(root, 'src/cli/bubble.ts'), join(root, 'src/cli/bubble-claude.ts')],
  plugins: [
    {
      name: 'main-beside',
      setup(b) {
        b.onResolve({ filter: /^\.\/main\.ts$/ }, () => ({ path: './main.js', external: true }));
      },
    },
  ],
});
