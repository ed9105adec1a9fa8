// Persistence vectors inside the project: files the host runs later, outside any sandbox,
// when the user works normally (git hooks and config, agent settings, IDE tasks, direnv
// and tool-version managers). Read-only inside; missing ones cannot be created.

import { join } from 'node:path';
import type { HostFacts } from '../sandbox/facts.ts';

export interface Protection {
  path: string;
  type: 'file' | 'dir';
  /**
   * Writable, but pinned in place (a mount point cannot be renamed or replaced): the git
   * repository must take commits while `mv .git x && git init` must fail.
   */
  pin?: boolean;
  /** Content shown read-only in place of a protected file that does not exist. */
  placeholder?: string;
  /**
   * Outside the project, but needed writable: the repository of a worktree or submodule
   * checkout, so commits work (hooks and config inside it stay protected).
   */
  expose?: boolean;
  why: string;
  source: string;
}

const SOURCE = 'project';

const FILES: ReadonlyArray<[rel: string, type: 'file' | 'dir', why: string, placeholder?: string]> =
  [
    ['.claude/settings.json', 'file', 'project agent settings (hooks run on the host)', '{}\n'],
    [
      '.claude/settings.local.json',
      'file',
      'project agent settings (hooks run on the host)',
      '{}\n',
    ],
    ['.claude/hooks', 'dir', 'project agent hooks'],
    ['.claude/commands', 'dir', 'project agent commands'],
    ['.claude/agents', 'dir', 'project subagents'],
    ['.claude/skills', 'dir', 'project agent skills'],
    ['.mcp.json', 'file', 'MCP servers the agent starts on the host', '{}\n'],
    ['.vscode', 'dir', 'editor tasks and settings run commands on the host'],
    ['.idea', 'dir', 'IDE run configurations'],
    ['.devcontainer', 'dir', 'dev container definitions run commands on the host'],
    ['.gemini', 'dir', 'Gemini CLI project settings (hooks), commands and extensions'],
    ['.codex', 'dir', 'Codex project config'],
    ['.opencode', 'dir', 'opencode project agents, commands and plugins'],
    ['opencode.json', 'file', 'opencode project config (MCP servers, commands)', '{}\n'],
    ['opencode.jsonc', 'file', 'opencode project config (MCP servers, commands)'],
    ['.aider.conf.yml', 'file', 'aider project config (lint-cmd, test-cmd run commands)'],
    ['.bubble.toml', 'file', "bubble's own project config (its rules for the next session)"],
    ['.envrc', 'file', 'direnv runs it in your shell'],
    // mise reads every one of these in the directory you cd into (mise.jdx.dev/configuration.html,
    // "mise.toml" search order): tasks, hooks and [env] _.source run in your shell.
    ['mise.toml', 'file', 'mise runs its tasks and hooks'],
    ['mise.local.toml', 'file', 'mise runs its tasks and hooks'],
    ['.mise.toml', 'file', 'mise runs its tasks and hooks'],
    ['.mise.local.toml', 'file', 'mise runs its tasks and hooks'],
    ['mise/config.toml', 'file', 'mise runs its tasks and hooks'],
    ['mise/config.local.toml', 'file', 'mise runs its tasks and hooks'],
    ['.mise', 'dir', 'mise config.toml, conf.d and tasks run in your shell'],
    ['.config/mise', 'dir', 'mise config.toml, conf.d and tasks run in your shell'],
    ['.config/mise.toml', 'file', 'mise runs its tasks and hooks'],
    ['.config/mise.local.toml', 'file', 'mise runs its tasks and hooks'],
    ['.tool-versions', 'file', 'picks the tools your shell runs'],
    // Other AI editors and agents: project config that starts MCP servers or runs hooks on the host.
    ['.cursor', 'dir', 'Cursor project config: mcp.json servers, hooks.json, rules'],
    ['.windsurf', 'dir', 'Windsurf project rules and workflows'],
    ['.continue', 'dir', 'Continue config: MCP servers it starts on the host'],
    ['.zed', 'dir', 'Zed project settings (context servers) and tasks'],
    ['.amazonq', 'dir', 'Amazon Q project MCP servers and rules'],
    ['.roo', 'dir', 'Roo Code project MCP servers and rules'],
    ['.kiro', 'dir', 'Kiro project MCP servers, hooks and steering'],
    // Loaded into the agent's environment at start-up (Gemini CLI: geminicli.com/docs/get-started/
    // authentication "Persisting environment variables"; aider: aider.chat/docs/config/dotenv.html):
    // GIT_CONFIG_*, BASH_ENV or NODE_OPTIONS there run code in the host agent's first git call.
    ['.env', 'file', 'loaded into Gemini CLI and aider at start-up (env vars that run code)'],
    [
      '.aider.model.settings.yml',
      'file',
      'aider model settings (aider.chat/docs/config/adv-model-settings.html)',
    ],
    [
      '.aider.model.metadata.json',
      'file',
      'aider model metadata (aider.chat/docs/config/adv-model-settings.html)',
    ],
    // aider's repo-map cache is a diskcache, which pickles its values: host aider loading a
    // planted one runs code (aider/repomap.py; it falls back to memory when it cannot write).
    ['.aider.tags.cache.v3', 'dir', 'aider repo-map cache (pickles host aider loads)'],
    ['.aider.tags.cache.v4', 'dir', 'aider repo-map cache (pickles host aider loads)'],
  ];

/** What to protect in the project at `project` (a realpath). */
export function projectProtections(facts: HostFacts, project: string): Protection[] {
  const out: Protection[] = [];
  const dotGit = join(project, '.git');
  const type = facts.fs.lstat(dotGit)?.type;
  // A .git directory is staged (git-dirs.ts); without one, none can be made (or a symlink
  // planted by an earlier session is refused).
  if (type !== 'dir' && type !== 'file')
    out.push({
      path: dotGit,
      type: 'dir',
      why: 'the git repository: cannot be created or replaced',
      source: SOURCE,
    });
  for (const [rel, type, why, placeholder] of FILES) {
    out.push({
      path: join(project, rel),
      type,
      why,
      source: SOURCE,
      ...(placeholder === undefined ? {} : { placeholder }),
    });
  }
  return out;
}
