// The ssh-agent, on request: bubble's filter in front of the user's agent (see
// ssh/agent-filter.ts), so the sandbox lists and signs with the named keys only. Pure:
// reads the host only through facts.

import { isAbsolute, join } from 'node:path';
import { BubbleError } from '../errors.ts';
import type { HostFacts } from '../sandbox/facts.ts';
import type { Plan } from '../sandbox/plan.ts';
import { FINGERPRINT, fingerprint, parsePublicKey, type KeySelector } from '../ssh/keys.ts';
import type { Mounts } from './mount-list.ts';
import { expandUserPath } from './paths.ts';
import type { RunRequest } from './run-request.ts';

const SSH_AGENT_INSIDE = '/run/bubble-ssh/agent.sock';
const SSH_AGENT_SOCKET_NAME = 'ssh-agent.sock';

/** `--ssh-key SPEC`: a fingerprint as ssh-keygen -l prints it, a .pub file, or a comment. */
function keySelector(facts: HostFacts, spec: string, home: string, cwd: string): KeySelector {
  if (FINGERPRINT.test(spec)) return { spec, fingerprint: spec };
  if (!spec.includes('/') && !spec.endsWith('.pub')) return { spec, comment: spec };
  const given = expandUserPath(spec, home, cwd);
  // A private key's path names its .pub beside it; the private key itself is never read.
  const path = given.endsWith('.pub') ? given : `${given}.pub`;
  const text = facts.fs.readText(path, 65536);
  const parsed = text === undefined ? `${path}: no such file` : parsePublicKey(text);
  if (typeof parsed === 'string')
    throw new BubbleError('BAD_SSH_KEY', `--ssh-key ${spec}: ${parsed}`, {
      hint: 'name a key by its fingerprint (ssh-add -l), its comment, or its .pub file',
    });
  return { spec, fingerprint: fingerprint(parsed.blob) };
}

export interface SshAgentMount {
  agent: NonNullable<Plan['sshAgent']>;
  /** SSH_AUTH_SOCK inside. */
  inside: string;
}

/** The filter's socket, mounted read-only where SSH_AUTH_SOCK will point; undefined when off. */
export function sshAgentMount(
  m: Mounts,
  facts: HostFacts,
  req: Pick<RunRequest, 'sshAgent' | 'sshKeys'>,
): SshAgentMount | undefined {
  if (!req.sshAgent) return undefined;
  const sock = facts.env.SSH_AUTH_SOCK;
  if (sock === undefined || !isAbsolute(sock) || facts.fs.lstat(sock)?.type !== 'other') {
    throw new BubbleError(
      'NO_SSH_AGENT',
      `--ssh-agent: SSH_AUTH_SOCK ${sock === undefined ? 'is not set' : `(${sock}) is not a socket`}`,
      { hint: 'start an agent (eval "$(ssh-agent)") and ssh-add your key' },
    );
  }
  const agent = {
    upstream: sock,
    socket: join(facts.bubble.runtimeDir, SSH_AGENT_SOCKET_NAME),
    keys: (req.sshKeys ?? []).map((spec) => keySelector(facts, spec, facts.home, facts.cwd)),
  };
  m.parentsOf(SSH_AGENT_INSIDE);
  m.push({
    kind: 'ro',
    src: agent.socket,
    dest: SSH_AGENT_INSIDE,
    why: `bubble's filter of your ssh-agent: lists and signs with ${agent.keys.map((k) => k.spec).join(', ') || 'the keys you name'} only, every signature logged`,
    source: '--ssh-agent',
  });
  return { agent, inside: SSH_AGENT_INSIDE };
}
