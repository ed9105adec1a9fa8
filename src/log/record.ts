// The egress log: one JSON Lines file per session. Schema version 1.
//
// Every record carries `v` (schema version) and `type`. Readers ignore fields
// and record types they do not know (see reader.ts), so adding a field is not
// a version change; changing the meaning of one is.
//
//   {"v":1,"type":"session",...}   first line: who, when, what, which rules
//   {"v":1,"type":"open",...}      when a connection is allowed, before any byte flows
//   {"v":1,"type":"conn",...}      one per connection, written when it ends (same id)
//   {"v":1,"type":"ssh-agent",...} one per signature or refused request (--ssh-agent)
//   {"v":1,"type":"api",...}       one per model API request bubble added the credential to
//   {"v":1,"type":"report",...}    the change report, when the session ended (before "end")
//   {"v":1,"type":"inbound",...}   one per host connection to a port the sandbox publishes (--publish)
//   {"v":1,"type":"end",...}       last line when the session ended cleanly
// An "open" without its "conn" is a connection the session did not see end
// (bubble was killed): reader.ts shows it as cut short.
import type { NetMode } from '../net/modes.ts';
import type { Signed } from '../ssh/signed-data.ts';

const LOG_VERSION = 1;

export type Protocol = 'connect' | 'http' | 'socks';
export type DecisionName = 'allow' | 'deny';
/** Why bubble refused: a rule, the address policy, a malformed request, or a log it could not write. */
export type Denial = 'rule' | 'address' | 'malformed' | 'log';
/** What went wrong on the way to a destination bubble did not refuse. */
export type Failure =
  'not-found' | 'dns-failed' | 'timed-out' | 'refused' | 'unreachable' | 'upstream' | 'failed';

export const FAILURE_LABEL: Record<Failure, string> = {
  'not-found': 'not found',
  'dns-failed': 'name lookup failed',
  'timed-out': 'timed out',
  refused: 'connection refused',
  unreachable: 'unreachable',
  upstream: 'upstream proxy',
  failed: 'other error',
};

export interface SessionRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'session';
  readonly sessionId: string;
  /** ISO 8601, UTC. */
  readonly startTime: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly netMode: NetMode;
  readonly rules: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  readonly publishedPorts: readonly number[];
  /** `--allow-private` grants, when any. */
  readonly allowPrivate?: readonly string[];
  /** allowlist or ask (`--net-policy`, `--ask`), when set. */
  readonly netPolicy?: 'allowlist' | 'ask';
  readonly bubbleVersion: string;
  /** What the user deliberately opened (`--ssh-agent`, `--home persist`, `--allow-write PATH`...). */
  readonly optIns?: readonly string[];
  /** The upstream proxy bubble's proxy goes through (no credentials), if any. */
  readonly upstream?: string | null;
}

export interface OpenRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'open';
  /** Pairs it with its closing "conn" record. */
  readonly id: number;
  /** When the connection was accepted, ISO 8601 UTC. */
  readonly time: string;
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  /** The first checked address to dial. */
  readonly address: string;
  readonly rule: string | null;
  readonly via?: string;
}

export interface ConnectionRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'conn';
  /** The id of its "open" record; absent in logs of older versions and for refused connections written before 'open' existed. */
  readonly id?: number;
  /** When the connection was accepted, ISO 8601 UTC. */
  readonly time: string;
  readonly protocol: Protocol;
  /** As the client named it (normalised); null when the request could not be parsed. */
  readonly host: string | null;
  readonly port: number | null;
  /** The address dialled (after the decision), or null if none was. */
  readonly address: string | null;
  /**
   * deny: bubble refused it (see `denial`); allow: bubble did not refuse it
   * (`failure` says if the name lookup or the connect then failed, `error` if
   * the tunnel did).
   */
  readonly decision: DecisionName;
  readonly denial?: Denial | null;
  readonly failure?: Failure | null;
  /** For a refusal: how a user would allow it (`add --allow example.com ...`). */
  readonly hint?: string;
  /** Set by the reader for an "open" whose closing record never came. */
  readonly cutShort?: true;
  /** The rule that decided (`allow *.github.com`, `deny evil.com`, `host-port 8080`), or null. */
  readonly rule: string | null;
  /** Why it was denied or failed, one line; null when allowed. */
  readonly reason: string | null;
  /** Bytes sent to the destination / received from it. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly durationMs: number;
  /** What went wrong after the decision (connect refused, timeout, reset), or null. */
  readonly error: string | null;
  /** Upstream proxy used, if any (no credentials). */
  readonly via?: string;
}

export interface EndRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'end';
  readonly time: string;
  /** The agent's exit status as bubble reports it (n, or 128+n for signal n). */
  readonly exitCode: number | null;
  readonly signal?: string | null;
}

/** One request the ssh-agent filter answered (a list request is not one: it only filters). */
export interface AgentEvent {
  /** ISO 8601, UTC. */
  readonly time: string;
  /** `sign`, `add`, `remove-all`, `lock`, `extension NAME`... */
  readonly request: string;
  readonly decision: DecisionName;
  /** The key asked for (its SHA256 fingerprint), when the request names one. */
  readonly key: string | null;
  readonly comment: string | null;
  /** What a sign request was for, when recognisable: an ssh login, a git signature... */
  readonly signed: Signed | null;
  /** Why it was refused, or what went wrong with an allowed one; null otherwise. */
  readonly reason: string | null;
}

/** A request to the filtered ssh-agent (--ssh-agent): every signature, and every refusal. */
export interface SshAgentRecord extends AgentEvent {
  readonly v: typeof LOG_VERSION;
  readonly type: 'ssh-agent';
}

export function sshAgentRecord(e: AgentEvent): SshAgentRecord {
  return { v: LOG_VERSION, type: 'ssh-agent', ...e };
}

/** A request to a model API through bubble's credential-adding reverse proxy (never the credential). */
export interface ApiRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'api';
  readonly time: string;
  /** anthropic, openai, gemini. */
  readonly api: string;
  readonly method: string;
  /** Below the API's base URL, without the query. */
  readonly path: string;
  readonly status: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly durationMs: number;
  /** Why bubble answered itself (a route it does not forward, no credential, the API unreachable). */
  readonly error: string | null;
}

/** A file that runs code on the host (package.json scripts, Makefile, CI...) the agent changed. */
export interface ChangedFile {
  readonly kind: 'added' | 'removed' | 'changed';
  /** Relative to the project, or `~/...`. As the agent named it: escape before showing. */
  readonly path: string;
  /** Why the file matters. */
  readonly reason: string;
  /** The watched keys that differ (`scripts.test`); empty for whole files. */
  readonly keys: readonly string[];
}

/**
 * What bubble found and did on the host when the session ended: the change report. Every
 * list may be empty; text was partly chosen by the agent (paths, keys): escape to show.
 */
export interface ReportRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'report';
  readonly time: string;
  readonly changed: readonly ChangedFile[];
  /** Written in git dirs or the agent's state dir beyond the state they write: set aside, one line each. */
  readonly setAside: readonly string[];
  /** Written into nested git repositories and set aside (git quarantine), one line each. */
  readonly quarantined: readonly string[];
  /** Other report blocks, one line each: a --gitconfig rw diff, protected paths replaced on the host. */
  readonly notes: readonly string[];
  /** Steps that failed, one line each. */
  readonly errors: readonly string[];
}

export type ReportRecordInput = Omit<ReportRecord, 'v' | 'type'>;

export function reportRecord(input: ReportRecordInput): ReportRecord {
  return { v: LOG_VERSION, type: 'report', ...input };
}

/** A connection from the host to a port published from inside (`--publish`), when it ended. */
export interface InboundRecord {
  readonly v: typeof LOG_VERSION;
  readonly type: 'inbound';
  /** When the host connection was accepted, ISO 8601 UTC. */
  readonly time: string;
  /** The host's 127.0.0.1 port it arrived on. */
  readonly hostPort: number;
  /** The sandbox's 127.0.0.1 port it was carried to. */
  readonly port: number;
  /** Bytes from the host client into the sandbox, and back. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  /** Why it was not carried (nothing listening inside...), or null. */
  readonly error: string | null;
}

export function inboundRecord(input: Omit<InboundRecord, 'v' | 'type'>): InboundRecord {
  return { v: LOG_VERSION, type: 'inbound', ...input };
}

export type LogRecord =
  | SessionRecord
  | OpenRecord
  | ConnectionRecord
  | SshAgentRecord
  | ApiRecord
  | ReportRecord
  | InboundRecord
  | EndRecord;

export type SessionRecordInput = Omit<SessionRecord, 'v' | 'type'>;
export type ConnectionRecordInput = Omit<ConnectionRecord, 'v' | 'type'>;
export type OpenRecordInput = Omit<OpenRecord, 'v' | 'type'>;

export function openRecord(input: OpenRecordInput): OpenRecord {
  return { v: LOG_VERSION, type: 'open', ...input };
}

export function sessionRecord(input: SessionRecordInput): SessionRecord {
  return { v: LOG_VERSION, type: 'session', ...input };
}

export function connectionRecord(input: ConnectionRecordInput): ConnectionRecord {
  return { v: LOG_VERSION, type: 'conn', ...input };
}

export function apiRecord(input: Omit<ApiRecord, 'v' | 'type'>): ApiRecord {
  return { v: LOG_VERSION, type: 'api', ...input };
}

export function endRecord(
  time: Date,
  exitCode: number | null,
  signal: string | null = null,
): EndRecord {
  return { v: LOG_VERSION, type: 'end', time: time.toISOString(), exitCode, signal };
}

/** One line of JSON Lines. JSON.stringify escapes newlines and control characters. */
export function serializeRecord(record: LogRecord): string {
  return `${JSON.stringify(record)}\n`;
}
