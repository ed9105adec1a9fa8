// Files in a writable project (and ~/.claude.json) that make the host run code later, when
// the user works normally outside the sandbox: `npm install`, `make`, `git commit`, a CI
// push, the next unsandboxed agent session. The sandbox cannot make them read-only without
// breaking ordinary work, so bubble reports changes to them after each session (issue 4).
//
// Data only. What each `kind` digests is in snapshot.ts. Keep this list short: every entry
// costs a stat on every launch, and a report that names ten harmless files gets ignored.

/** How a watched file is digested. */
export type WatchKind =
  /** The whole file. */
  | 'file'
  /** Only PACKAGE_JSON_FIELDS, and each script by name. */
  | 'package-json'
  /** Only CLAUDE_JSON_TOP_KEYS, and CLAUDE_JSON_PROJECT_KEYS under every `projects[<path>]`. */
  | 'claude-json';

export interface Watched {
  /** Which root `path` is relative to. */
  scope: 'project' | 'home';
  /** A file, or with `names`, a directory whose matching entries (not recursive) are each watched. */
  path: string;
  names?: RegExp;
  kind: WatchKind;
  /** Why it matters, shown to the user. */
  reason: string;
  /** Larger files are recorded by size and mtime only. Default MAX_BYTES. */
  maxBytes?: number;
  /**
   * Not reported when this other watched path changed in the same session: the package
   * manager's own record of an install (node_modules/.bin changes with every `npm install`).
   */
  quietWith?: string;
  /** Kept in the snapshot for `quietWith`, never reported itself. */
  silent?: boolean;
  /** How many directories a `*` in `path` may match (default MAX_GLOB in snapshot.ts). */
  maxGlob?: number;
}

export const MAX_BYTES = 1 << 20;

/**
 * package.json fields that run code on the host. `scripts` covers both lifecycle scripts
 * (`preinstall`, `install`, `postinstall`, `prepare`, run by `npm install`) and the ones the
 * user runs by name (`npm test`). Not watched: `dependencies` (an agent adds them all the
 * time; the lockfile diff is the place to review them), `bin`/`main` (they run for the
 * package's consumers, not for this user).
 */
export const PACKAGE_JSON_FIELDS = [
  'scripts',
  // corepack downloads and runs the package manager this names, a URL included.
  'packageManager',
  // With a binding.gyp and no install script, npm runs node-gyp; gypfile:false turns that off.
  'gypfile',
  // Git hook runners configured in package.json; they run on `git commit`.
  'husky',
  'simple-git-hooks',
  'lint-staged',
  'pre-commit',
] as const;

/** Top-level keys of ~/.claude.json that start a process in the next Claude Code session. */
export const CLAUDE_JSON_TOP_KEYS = ['mcpServers', 'hooks', 'statusLine', 'apiKeyHelper'] as const;

/**
 * Keys under `projects[<path>]`, for every project (the agent may write under another
 * project's path). The enable keys turn on servers from a project's .mcp.json without the
 * prompt. Not watched: `allowedTools` and `hasTrustDialogAccepted`, which change whenever
 * the user answers a prompt, so reporting them would be noise every session.
 */
export const CLAUDE_JSON_PROJECT_KEYS = [
  'mcpServers',
  'enabledMcpjsonServers',
  'enableAllProjectMcpServers',
  'hooks',
] as const;

const p = (path: string, reason: string, extra: Partial<Watched> = {}): Watched => ({
  scope: 'project',
  path,
  kind: 'file',
  reason,
  ...extra,
});

const h = (path: string, reason: string, extra: Partial<Watched> = {}): Watched => ({
  ...p(path, reason, extra),
  scope: 'home',
});

/** Projects an agent keeps state for: one readdir and an lstat each on every launch. */
const MAX_AGENT_PROJECTS = 500;

export const WATCHED: readonly Watched[] = [
  p('package.json', 'npm scripts', { kind: 'package-json' }),
  p('.npmrc', 'npm config: script-shell, ignore-scripts, registry'),
  p('binding.gyp', 'run by node-gyp on npm install'),
  p('Makefile', 'make recipes'),
  p('makefile', 'make recipes'),
  p('GNUmakefile', 'make recipes'),
  p('justfile', 'just recipes'),
  p('Justfile', 'just recipes'),
  p('Taskfile.yml', 'task recipes'),
  p('Taskfile.yaml', 'task recipes'),
  p('.github/workflows', 'CI workflow', { names: /\.ya?ml$/ }),
  p('.gitlab-ci.yml', 'CI pipeline'),
  p('.circleci/config.yml', 'CI pipeline'),
  p('Jenkinsfile', 'CI pipeline'),
  p('.pre-commit-config.yaml', 'pre-commit hooks, run on git commit'),
  p('.husky', 'git hook, run on git commit', { names: /^[^.]/ }),
  // husky 9 points core.hooksPath here; each hook in it sources `h`.
  p('.husky/_', 'git hook, run on git commit', { names: /^[^.]/ }),
  // No TOML parser in the tree, so the whole file: a changed dependency runs code at build
  // time too (sdist builds for Python, build scripts and proc macros for Rust).
  p('pyproject.toml', 'Python build backend, scripts and dependencies'),
  p('setup.py', 'run by pip install'),
  p('Cargo.toml', 'Rust build script and dependencies'),
  p('build.rs', 'run by cargo build'),
  // runner, rustc-wrapper, [alias]: run by every cargo command (doc.rust-lang.org/cargo/reference/config.html).
  p('.cargo/config.toml', 'cargo config: runner, rustc-wrapper, aliases'),
  p('.cargo/config', 'cargo config: runner, rustc-wrapper, aliases'),
  // yarnPath names the JS file every `yarn` runs (yarnpkg.com/configuration/yarnrc#yarnPath).
  p('.yarnrc.yml', 'yarn config: yarnPath runs a script on every yarn command'),
  p('.yarnrc', 'yarn 1 config: yarn-path runs a script on every yarn command'),
  p('.yarn/releases', 'the yarn release yarnPath runs', { names: /\.c?js$/ }),
  // Git hook managers: their config is the hook (lefthook.dev, typicode.github.io/husky,
  // github.com/lint-staged/lint-staged#configuration, github.com/toplenboren/simple-git-hooks).
  p('lefthook.yml', 'lefthook git hooks, run on git commit'),
  p('lefthook.yaml', 'lefthook git hooks, run on git commit'),
  p('.lefthook.yml', 'lefthook git hooks, run on git commit'),
  p('.lefthook.yaml', 'lefthook git hooks, run on git commit'),
  p('lefthook-local.yml', 'lefthook git hooks, run on git commit'),
  p('.lefthook-local.yml', 'lefthook git hooks, run on git commit'),
  p('.', 'lint-staged config, run on git commit', {
    names: /^(\.lintstagedrc(\.(json|ya?ml|[cm]?js))?|lint-staged\.config\.[cm]?js)$/,
  }),
  p('.', 'simple-git-hooks config, run on git commit', {
    names: /^\.?simple-git-hooks\.(c?js|json)$/,
  }),
  // The wrappers download and run the build tool they name (docs.gradle.org/current/userguide/gradle_wrapper.html).
  p('gradlew', 'Gradle wrapper script'),
  p('gradle/wrapper', 'Gradle wrapper: distributionUrl and the jar gradlew runs', { names: /./ }),
  p('mvnw', 'Maven wrapper script'),
  p('.mvn/wrapper', 'Maven wrapper: distributionUrl and the jar mvnw runs', { names: /./ }),
  // Python runs every `import` line of a .pth file in site-packages at interpreter start-up.
  p('.venv/lib/*/site-packages', 'runs at every start of the venv python', { names: /\.pth$/ }),
  p('venv/lib/*/site-packages', 'runs at every start of the venv python', { names: /\.pth$/ }),
  // npm records every install here; a shim changed without it was planted, not installed.
  p('node_modules/.package-lock.json', 'npm install record', { silent: true }),
  p('node_modules/.bin', 'a command npm scripts and npx run (changed outside an install)', {
    names: /^[^.]/,
    quietWith: 'node_modules/.package-lock.json',
  }),
  // Instructions the next agent session reads: the agent edits them legitimately, so they are
  // reported, not protected.
  p('.', 'agent instructions, read by the next session', {
    names:
      /^(CLAUDE\.md|CLAUDE\.local\.md|AGENTS\.md|AGENTS\.override\.md|GEMINI\.md|CONVENTIONS\.md|\.cursorrules|\.windsurfrules|\.clinerules)$/,
  }),
  p('.claude/rules', 'Claude Code project rules, read by the next session', { names: /\.md$/ }),
  p('.github/copilot-instructions.md', 'Copilot instructions, read by the next session'),
  // Protected read-only in the sandbox unless the user opened them with --allow-write.
  p('.claude/settings.json', 'Claude Code project settings: hooks, MCP servers'),
  p('.claude/settings.local.json', 'Claude Code project settings: hooks, MCP servers'),
  p('.mcp.json', 'Claude Code project MCP servers'),
  // Agent memory: notes the agent keeps for itself and reads as instructions in its next
  // session, in any project (it may write another project's). Written by normal work, so
  // reported, not protected. Claude Code: ~/.claude/projects/<project>/memory/ (MEMORY.md and
  // topic files, code.claude.com/docs/en/memory). Gemini CLI: ~/.gemini/tmp/<project>/memory/
  // (MEMORY.md, GEMINI.md, and skills it surfaces; packages/core/src/config/storage.ts,
  // getProjectMemoryDir). Codex's ~/.codex/memories and Gemini's ~/.gemini/GEMINI.md are
  // read-only inside (profiles/*-state.ts).
  h('.claude/projects/*/memory', 'Claude Code memory, read as instructions by its next session', {
    names: /\.md$/,
    maxGlob: MAX_AGENT_PROJECTS,
  }),
  h('.gemini/tmp/*/memory', 'Gemini CLI memory, read as instructions by its next session', {
    names: /\.md$/,
    maxGlob: MAX_AGENT_PROJECTS,
  }),
  h('.gemini/tmp/*/memory/skills/*', 'Gemini CLI memory skill, read by its next session', {
    names: /\.md$/,
    maxGlob: MAX_AGENT_PROJECTS,
  }),
  {
    scope: 'home',
    path: '.claude.json',
    kind: 'claude-json',
    reason: 'Claude Code MCP servers and hooks',
    // Claude Code keeps per-project history here and it grows past 1 MiB; recording it by
    // size and mtime would report it after every session.
    maxBytes: 16 << 20,
  },
  {
    // Claude Code's global config in place of ~/.claude.json when it exists (so writable then).
    scope: 'home',
    path: '.claude/.config.json',
    kind: 'claude-json',
    reason: 'Claude Code MCP servers and hooks',
    maxBytes: 16 << 20,
  },
];
