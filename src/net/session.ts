// One session's egress on the host: the proxy (on a Unix socket for filtered mode, on a
// loopback port for logged mode) and the session log it writes. The log lives under the
// user's state dir, which the sandbox never sees.

import { basename, dirname, join } from 'node:path';
import { parseKeep, pruneSessionLogs } from '../log/prune.ts';
import type { Socket } from 'node:net';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import { NET_MODE_TRAITS, proxied, type NetMode } from './modes.ts';
import {
  apiRecord,
  endRecord,
  sessionRecord,
  type ConnectionRecord,
  type ReportRecord,
} from '../log/record.ts';
import { summarize, renderSessionLine } from '../log/summary.ts';
import {
  defaultSessionsDir,
  newSessionId,
  openSessionLog,
  sessionLogPath,
  type SessionLog,
} from '../log/writer.ts';
import { startProxy, type EgressProxy } from './proxy.ts';
import { DenialsFile, DENIALS_NAME } from './denials.ts';
import { parsePrivateGrant } from './private-grants.ts';
import { LogWriteError } from '../log/writer.ts';
import { parseRules } from './rules.ts';
import { upstreamFromEnv } from './upstream.ts';
import { controlDir, makeControlDir, removeRuntimeDir } from './runtime-dir.ts';
import { AskServer, DEFAULT_ASK_TIMEOUT_MS } from './ask.ts';
import {
  PUBLISH_SOCKET_NAME,
  startPublishing,
  type Publishing,
  type PublishedPort,
} from './publish.ts';
import { SOCKET_NAME } from '../policy/network.ts';
import type { InjectedApi } from '../creds/plan.ts';

export interface NetSessionOptions {
  /** A mode with the proxy (see modes.ts). */
  mode: NetMode;
  allow: string[];
  deny: string[];
  hostPorts: number[];
  /** Sandbox ports reachable on the host's 127.0.0.1 (`--publish`, filtered mode). */
  publish?: readonly PublishedPort[];
  /** `--allow-private` grants, as the user wrote them (checked by the caller). */
  allowPrivate?: string[];
  /** Host dir for the proxy socket (filtered mode): made by the caller, removed at close. */
  runtimeDir: string;
  /** bubble's own environment: XDG dirs, and an upstream proxy to chain through. */
  env: Readonly<Record<string, string>>;
  argv: string[];
  cwd: string;
  /** Deliberate openings of the sandbox, recorded in the session header. */
  optIns: string[];
  version: string;
  /** The session's log when it is open already (the ssh-agent filter writes to it first). */
  log?: SessionLog | undefined;
  /** Model APIs whose credential the reverse proxy adds (plan.credentials.injected). */
  credentials?: readonly InjectedApi[];
  /** The port the sandbox knows the proxy by on its loopback (plan.net.proxyPort). */
  insidePort?: number | undefined;
  /** allowlist: an empty allow list allows nothing; ask: what it does not allow is held. */
  netPolicy?: 'allowlist' | 'ask' | undefined;
  askTimeoutMs?: number | undefined;
  /** The user's config file, where "allow always" in bubble watch adds its rule. */
  userConfigPath?: string | undefined;
  /** Session logs kept, from the user's config (`log_keep`); BUBBLE_LOG_KEEP wins. */
  logKeep?: string | undefined;
}

export interface NetSession {
  /** logged mode: the host loopback port the agent's proxy variables name. */
  hostPort: number | undefined;
  logPath: string;
  /** Stop the proxy, write the last records (`report` before the end), and return the one-line summary. */
  close(exit: number, report?: ReportRecord): Promise<string>;
}

/**
 * The oldest session logs go (BUBBLE_LOG_KEEP, else the user's log_keep: see prune.ts);
 * never a reason to fail. The config's value was checked when it was read.
 */
function pruneOldLogs(
  current: string,
  fromEnv: string | undefined,
  fromConfig: string | undefined,
  now: Date,
): void {
  const setting = fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : fromConfig;
  const keep = parseKeep(setting);
  if (keep === null) {
    process.stderr.write(
      `bubble: warning: BUBBLE_LOG_KEEP=${JSON.stringify(setting)} is not like 30d, 500, 30d,500 or all: no session log was removed\n`,
    );
    return;
  }
  try {
    pruneSessionLogs(dirname(current), keep, now.getTime(), basename(current));
  } catch {
    // an unreadable directory: the logs stay
  }
}

/** A new session log with its header written; for modes without the proxy too (--ssh-agent). */
export function startSessionLog(
  o: Omit<NetSessionOptions, 'mode' | 'runtimeDir' | 'log'> & { mode: NetMode },
): SessionLog {
  const started = new Date();
  const sessionId = newSessionId(started);
  let log: SessionLog;
  try {
    log = openSessionLog(sessionLogPath(defaultSessionsDir(o.env), sessionId));
  } catch (err) {
    throw new BubbleError('LOG', (err as Error).message, { exitCode: EXIT_SETUP, cause: err });
  }
  log.write(
    sessionRecord({
      sessionId,
      startTime: started.toISOString(),
      argv: o.argv,
      cwd: o.cwd,
      netMode: o.mode,
      rules: { allow: o.allow, deny: o.deny },
      publishedPorts: o.hostPorts,
      ...((o.allowPrivate ?? []).length > 0 ? { allowPrivate: o.allowPrivate } : {}),
      ...(o.netPolicy !== undefined ? { netPolicy: o.netPolicy } : {}),
      bubbleVersion: o.version,
      optIns: o.optIns,
      upstream:
        proxied(o.mode) && upstreamFromEnv(o.env) ? 'configured from the environment' : null,
    }),
  );
  pruneOldLogs(log.path, o.env['BUBBLE_LOG_KEEP'], o.logKeep, started);
  return log;
}

export async function startNetSession(o: NetSessionOptions): Promise<NetSession> {
  const rules = parseRules({
    allow: o.allow,
    deny: o.deny,
    allowlist: o.netPolicy !== undefined,
  });
  const log = o.log ?? startSessionLog(o);
  let asking: AskServer | undefined;
  if (o.netPolicy === 'ask') {
    try {
      asking = await startAsking(o, basename(log.path, '.jsonl'));
    } catch (err) {
      log.close();
      throw new BubbleError('ASK', `cannot listen for bubble watch: ${(err as Error).message}`, {
        exitCode: EXIT_SETUP,
        cause: err,
      });
    }
  }
  const upstream = upstreamFromEnv(o.env);
  const records: ConnectionRecord[] = [];
  let warned = false;
  const warnOnce = (err: unknown): void => {
    if (warned) return;
    warned = true;
    const message = (err as Error).message ?? String(err);
    process.stderr.write(
      err instanceof LogWriteError
        ? `bubble: ${message}: new connections are refused until it can be written\n`
        : `bubble: warning: egress proxy: ${message}\n`,
    );
  };
  const bridged = NET_MODE_TRAITS[o.mode].proxy === 'socket';
  const denials = bridged ? new DenialsFile(join(o.runtimeDir, DENIALS_NAME)) : null;
  let listen: { path: string } | { port: number; host: string };
  if (bridged) {
    // The directory exists already (made before the sandbox started: see run.ts).
    listen = { path: join(o.runtimeDir, SOCKET_NAME) };
  } else {
    listen = { port: 0, host: '127.0.0.1' };
  }
  // Loaded only when a credential is kept outside: most launches never need it.
  const originHandler =
    o.credentials !== undefined && o.credentials.length > 0
      ? await (async (apis: readonly InjectedApi[]) => {
          const [{ createInjector }, { secretReader }] = await Promise.all([
            import('../creds/inject.ts'),
            import('../creds/secrets.ts'),
          ]);
          const injector = createInjector({
            apis,
            secret: secretReader({ env: o.env }),
            upstream,
            onCall: (call) => log.write(apiRecord(call)),
          });
          return (client: Socket, head: Buffer) => injector.handle(client, head);
        })(o.credentials)
      : undefined;
  let proxy: EgressProxy;
  try {
    proxy = await startProxy({
      ...(originHandler
        ? { originHandler, selfPorts: o.insidePort === undefined ? [] : [o.insidePort] }
        : {}),
      listen,
      rules,
      publishedPorts: o.hostPorts,
      privateGrants: (o.allowPrivate ?? []).map(parsePrivateGrant),
      upstream,
      ...(asking ? { ask: asking.ask } : {}),
      // Before any byte flows; a throw here refuses the connection (fail closed).
      onOpen: (r) => log.write(r),
      onRecord: (r) => {
        records.push(r);
        if (r.decision === 'deny') denials?.add(r);
        log.write(r);
      },
      // A failing log write (disk full) or an internal proxy error must be seen, once.
      onError: warnOnce,
    });
  } catch (err) {
    await asking?.close();
    log.close();
    throw new BubbleError('PROXY', `cannot start the proxy: ${(err as Error).message}`, {
      exitCode: EXIT_SETUP,
      cause: err,
    });
  }
  let publishing: Publishing | undefined;
  if (bridged && (o.publish ?? []).length > 0) {
    try {
      publishing = await startPublishing(
        join(o.runtimeDir, PUBLISH_SOCKET_NAME),
        o.publish ?? [],
        (r) => log.write(r),
      );
    } catch (err) {
      await proxy.close();
      await asking?.close();
      log.close();
      throw new BubbleError('PUBLISH', (err as Error).message, {
        exitCode: EXIT_SETUP,
        cause: err,
        hint: 'pick a free host port: --publish PORT:HOSTPORT',
      });
    }
  }
  const addr = proxy.address;
  return {
    hostPort: addr !== null && 'port' in addr ? addr.port : undefined,
    logPath: log.path,
    async close(exit, report) {
      // The sandbox is gone, so its tunnels are closing: let the proxy see them end on
      // their own (and record them as such) before it cuts what is left.
      for (let i = 0; i < 25 && proxy.activeConnections > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      await asking?.close();
      await publishing?.close();
      await proxy.close();
      try {
        if (report !== undefined) log.write(report);
        log.write(endRecord(new Date(), exit));
      } catch (err) {
        // Said already if it was the disk; the log then reads as cut short.
        warnOnce(err);
      }
      log.close();
      if (bridged) removeRuntimeDir(o.runtimeDir);
      return renderSessionLine(summarize(records), log.path);
    },
  };
}

/** The control socket bubble watch answers on; "always" writes the user's config. */
async function startAsking(o: NetSessionOptions, sessionId: string): Promise<AskServer> {
  const dir = controlDir(o.env);
  makeControlDir(dir);
  const config = o.userConfigPath;
  // The config parser is loaded only by sessions that ask: launch time stays the same otherwise.
  const { addAllowRules, currentAllow } = await import('../config/add-rules.ts');
  return AskServer.start({
    dir,
    sessionId,
    command: o.argv,
    cwd: o.cwd,
    timeoutMs: o.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS,
    always: (pattern) => {
      if (config === undefined) throw new Error('no user config file to write to');
      if (currentAllow(config).includes(pattern)) return;
      const day = new Date().toISOString().slice(0, 10);
      addAllowRules(
        config,
        [pattern],
        `allowed always in bubble watch, session ${sessionId} (${day})`,
      );
    },
  });
}
