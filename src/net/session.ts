// One session's host side: the runtime dir (the proxy's socket, the ssh-agent filter's
// socket), the session log, and the proxy (on a Unix socket for filtered mode, on a
// loopback port for logged mode). Everything it does is read from the plan. The log lives
// under the user's state dir, which the sandbox never sees.

import { basename, dirname, join } from 'node:path';
import { displayText } from '../sandbox/escape.ts';
import { parseKeep, pruneSessionLogs } from '../log/prune.ts';
import type { Socket } from 'node:net';
import { BubbleError, EXIT_SETUP } from '../errors.ts';
import { NET_MODE_TRAITS, proxied } from './modes.ts';
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
import { controlDir, makeControlDir, makeRuntimeDir, removeRuntimeDir } from './runtime-dir.ts';
import { AskServer, DEFAULT_ASK_TIMEOUT_MS } from './ask.ts';
import { PUBLISH_SOCKET_NAME, startPublishing, type Publishing } from './publish.ts';
import type { InjectedApi } from '../creds/plan.ts';
import type { Plan } from '../sandbox/plan.ts';

export interface SessionOptions {
  /** What the session serves: the network, the credentials bubble adds, the ssh-agent filter. */
  plan: Pick<Plan, 'net' | 'credentials' | 'sshAgent'>;
  /** The session's host dir (facts.bubble.runtimeDir): made here when needed, removed at close. */
  runtimeDir: string;
  /** bubble's own environment: XDG dirs, and an upstream proxy to chain through. */
  env: Readonly<Record<string, string>>;
  argv: string[];
  cwd: string;
  /** Deliberate openings of the sandbox, recorded in the session header. */
  optIns: string[];
  version: string;
  /** The user's config file, where "allow always" in bubble watch adds its rule. */
  userConfigPath?: string | undefined;
  /** Session logs kept, from the user's config (`log_keep`); BUBBLE_LOG_KEEP wins. */
  logKeep?: string | undefined;
}

export interface Session {
  /** The session log: with the proxy, or with the ssh-agent filter (which writes to it). */
  readonly log: SessionLog | undefined;
  /**
   * Starts the proxy; resolves with the host port it listens on in logged mode (the plan
   * takes it with withHostProxyPort). Only for modes with a proxy.
   */
  startProxy(): Promise<number | undefined>;
  /**
   * Stop the proxy, write the last records (`report` before the end), remove the runtime
   * dir; the line to show, if any.
   */
  close(exit: number, report?: ReportRecord): Promise<string | undefined>;
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

/** A new session log with its header written. */
function startSessionLog(o: SessionOptions): SessionLog {
  const started = new Date();
  const sessionId = newSessionId(started);
  let log: SessionLog;
  try {
    log = openSessionLog(sessionLogPath(defaultSessionsDir(o.env), sessionId));
  } catch (err) {
    throw new BubbleError('LOG', (err as Error).message, { exitCode: EXIT_SETUP, cause: err });
  }
  const net = o.plan.net;
  log.write(
    sessionRecord({
      sessionId,
      startTime: started.toISOString(),
      argv: o.argv,
      cwd: o.cwd,
      netMode: net.mode,
      rules: { allow: net.allow, deny: net.deny },
      publishedPorts: net.hostPorts,
      ...((net.allowPrivate ?? []).length > 0 ? { allowPrivate: net.allowPrivate } : {}),
      ...(net.policy !== undefined ? { netPolicy: net.policy } : {}),
      bubbleVersion: o.version,
      optIns: o.optIns,
      upstream:
        proxied(net.mode) && upstreamFromEnv(o.env) ? 'configured from the environment' : null,
    }),
  );
  pruneOldLogs(log.path, o.env['BUBBLE_LOG_KEEP'], o.logKeep, started);
  return log;
}

/**
 * The session's runtime dir and log, made now (before the sandbox starts: both sockets are
 * bound in); the proxy starts with startProxy.
 */
export function openSession(o: SessionOptions): Session {
  const { plan } = o;
  const withDir = plan.net.socket !== undefined || plan.sshAgent !== undefined;
  if (withDir) makeRuntimeDir(o.runtimeDir);
  let log: SessionLog | undefined;
  try {
    if (proxied(plan.net.mode) || plan.sshAgent !== undefined) log = startSessionLog(o);
  } catch (err) {
    if (withDir) removeRuntimeDir(o.runtimeDir);
    throw err;
  }
  let proxy: Promise<ProxySession> | undefined;
  return {
    log,
    startProxy() {
      if (log === undefined || !proxied(plan.net.mode))
        throw new Error(`startProxy: --net ${plan.net.mode} has no proxy`);
      proxy ??= startProxySession(o, log);
      return proxy.then((p) => p.hostPort);
    },
    async close(exit, report) {
      const running = await proxy?.catch(() => undefined);
      const records = running === undefined ? undefined : await running.stop();
      try {
        if (report !== undefined) log?.write(report);
        log?.write(endRecord(new Date(), exit));
      } catch (err) {
        // Said already if it was the disk; the log then reads as cut short.
        running?.warnOnce(err);
      }
      log?.close();
      if (withDir) removeRuntimeDir(o.runtimeDir);
      if (log === undefined) return undefined;
      return records === undefined
        ? `bubble: ${displayText(`log: ${log.path}`)}`
        : renderSessionLine(summarize(records), log.path);
    },
  };
}

interface ProxySession {
  hostPort: number | undefined;
  /** Stops the proxy (and the ask server); the connections it recorded. */
  stop(): Promise<ConnectionRecord[]>;
  warnOnce(err: unknown): void;
}

async function startProxySession(o: SessionOptions, log: SessionLog): Promise<ProxySession> {
  const net = o.plan.net;
  const rules = parseRules({
    allow: net.allow,
    deny: net.deny,
    allowlist: net.policy !== undefined,
  });
  let asking: AskServer | undefined;
  if (net.policy === 'ask') {
    try {
      asking = await startAsking(o, basename(log.path, '.jsonl'));
    } catch (err) {
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
  const bridged = NET_MODE_TRAITS[net.mode].proxy === 'socket';
  const denials = bridged ? new DenialsFile(join(o.runtimeDir, DENIALS_NAME)) : null;
  const listen = net.socket !== undefined ? { path: net.socket } : { port: 0, host: '127.0.0.1' };
  // Loaded only when a credential is kept outside: most launches never need it.
  const injected = o.plan.credentials.injected;
  const originHandler =
    injected.length > 0
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
        })(injected)
      : undefined;
  let proxy: EgressProxy;
  try {
    proxy = await startProxy({
      ...(originHandler
        ? {
            originHandler,
            selfPorts: bridged && net.proxyPort !== undefined ? [net.proxyPort] : [],
          }
        : {}),
      listen,
      rules,
      publishedPorts: net.hostPorts,
      privateGrants: (net.allowPrivate ?? []).map(parsePrivateGrant),
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
    throw new BubbleError('PROXY', `cannot start the proxy: ${(err as Error).message}`, {
      exitCode: EXIT_SETUP,
      cause: err,
    });
  }
  let publishing: Publishing | undefined;
  const publish = o.plan.net.publish ?? [];
  if (bridged && publish.length > 0) {
    try {
      publishing = await startPublishing(join(o.runtimeDir, PUBLISH_SOCKET_NAME), publish, (r) =>
        log.write(r),
      );
    } catch (err) {
      await proxy.close();
      await asking?.close();
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
    warnOnce,
    async stop() {
      // The sandbox is gone, so its tunnels are closing: let the proxy see them end on
      // their own (and record them as such) before it cuts what is left.
      for (let i = 0; i < 25 && proxy.activeConnections > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      await asking?.close();
      await publishing?.close();
      await proxy.close();
      return records;
    },
  };
}

/** The control socket bubble watch answers on; "always" writes the user's config. */
async function startAsking(o: SessionOptions, sessionId: string): Promise<AskServer> {
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
    timeoutMs: o.plan.net.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS,
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
