// `bubble watch [--json]`: in a terminal of its own, lists the connections sessions with the
// ask policy hold, and sends the answers. Every session's control socket (see net/ask.ts)
// is followed, as sessions come and go.

import * as fs from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ANSWERS, type Answer } from '../../net/ask.ts';
import { controlDir, makeControlDir } from '../../net/runtime-dir.ts';
import { displayText } from '../../sandbox/escape.ts';
import { say } from '../say.ts';
import { usageError } from '../usage.ts';

export const watchHelp = `Usage: bubble watch [--json]

Answer the connections that sessions run with --ask (net_policy = "ask") hold: a
destination no allow rule names waits until you answer here, or is refused after the
timeout (--ask-timeout, default 60 s). Run it in a terminal of its own; nothing is ever
drawn over the agent's.

Each held connection gets a number. Answer with a line:
  N o    allow once: this connection only
  N s    allow for the session: this destination, until the session ends
  N a    allow always: also added to your config's allow list
  N d    deny
Without N, the answer goes to the oldest one waiting.

Options:
  --json      JSON Lines both ways: the sessions' messages on stdout ({"type":"held",
              "session","id","host","port","pattern",...}, "settled", "session",
              "ended"); answers on stdin: {"session":S,"id":N,"answer":"once"|"session"|
              "always"|"deny"}
  -h, --help  this help
`;

interface Link {
  readonly socket: Socket;
  session?: string;
  command?: string[];
}

interface Waiting {
  readonly n: number;
  readonly session: string;
  readonly id: number;
  readonly what: string;
}

const SHORT: Record<string, Answer> = { o: 'once', s: 'session', a: 'always', d: 'deny' };
const DONE: Record<string, string> = {
  once: 'allowed once',
  session: 'allowed for the session',
  always: 'allowed always (added to your config)',
  deny: 'denied',
  timeout: 'refused: no answer in time',
  gone: 'gone: the connection or the session ended',
};

type Msg = Record<string, unknown>;

export function watch(words: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: words,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    throw usageError('watch', err);
  }
  if (values.help) {
    process.stdout.write(watchHelp);
    return Promise.resolve(0);
  }
  const json = values.json === true;
  const dir = controlDir(process.env);
  makeControlDir(dir);
  const links = new Map<string, Link>();
  const sessions = new Map<string, Link>();
  const waiting: Waiting[] = [];
  let counter = 0;
  const out = (text: string): void => {
    process.stdout.write(text + '\n');
  };

  const onMessage = (link: Link, m: Msg): void => {
    if (json) out(JSON.stringify(m));
    const session = typeof m.session === 'string' ? m.session : '?';
    switch (m.type) {
      case 'session':
        link.session = session;
        link.command = Array.isArray(m.command) ? m.command.map(String) : [];
        sessions.set(session, link);
        if (!json)
          out(
            `session ${displayText(session)}: ${displayText(link.command.join(' ').slice(0, 80))}`,
          );
        break;
      case 'held': {
        if (typeof m.id !== 'number') return;
        const what = `${displayText(String(m.host))}:${String(m.port)}`;
        const w = { n: ++counter, session, id: m.id, what };
        waiting.push(w);
        if (!json) {
          const by = displayText(link.command?.[0] ?? 'the session');
          out(
            `[${w.n}] ${by} wants ${what} (${String(m.protocol)}): ${w.n} o = once, s = session, a = always (${displayText(String(m.pattern))}), d = deny`,
          );
        }
        break;
      }
      case 'settled': {
        const i = waiting.findIndex((w) => w.session === session && w.id === m.id);
        if (i < 0) return;
        const [w] = waiting.splice(i, 1);
        const done =
          m.answer === 'gone' && m.by === 'client'
            ? 'gone: the client closed the connection before an answer'
            : m.answer === 'gone' && m.by === 'session'
              ? 'gone: the session ended'
              : (DONE[String(m.answer)] ?? String(m.answer));
        if (!json && w) out(`[${w.n}] ${w.what}: ${done}`);
        break;
      }
      case 'error':
        if (!json) say(`${displayText(session)}: ${String(m.message)}`);
        break;
    }
  };

  const follow = (name: string): void => {
    if (links.has(name) || !name.endsWith('.sock')) return;
    const socket = connect(join(dir, name));
    const link: Link = { socket };
    links.set(name, link);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Not listening (yet, or any more): a later scan tries again; a dead session's is removed.
      const pid = Number(name.slice(0, -'.sock'.length));
      if (err.code === 'ECONNREFUSED' && Number.isInteger(pid) && !fs.existsSync(`/proc/${pid}`))
        fs.rmSync(join(dir, name), { force: true });
    });
    socket.on('close', () => {
      links.delete(name);
      if (link.session === undefined) return;
      sessions.delete(link.session);
      for (let i = waiting.length - 1; i >= 0; i--)
        if (waiting[i]!.session === link.session) waiting.splice(i, 1);
      if (json) out(JSON.stringify({ type: 'ended', session: link.session }));
      else out(`session ${displayText(link.session)} ended`);
    });
    // Lines by hand: readline would re-emit the socket's errors (ECONNREFUSED) as its own.
    let buffer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const m = JSON.parse(line) as unknown;
          if (typeof m === 'object' && m !== null) onMessage(link, m as Msg);
        } catch {
          // Not ours to interpret.
        }
      }
    });
  };
  const scan = (): void => {
    try {
      for (const name of fs.readdirSync(dir)) follow(name);
    } catch {
      // The directory is ours; if it went away, the next scan says nothing either.
    }
  };
  const watcher = fs.watch(dir, () => scan());
  // Inotify misses nothing here, but a socket seen before it listened needs another look.
  const rescan = setInterval(scan, 1000);
  scan();
  if (!json) say(`watching for held connections (${dir}); answer with a line, e.g. "1 o"`);

  const send = (session: string, id: number, answer: Answer): boolean => {
    const link = sessions.get(session);
    if (link === undefined) return false;
    link.socket.write(JSON.stringify({ id, answer }) + '\n');
    return true;
  };
  const onInput = (line: string): void => {
    const text = line.trim();
    if (text === '') return;
    if (json) {
      let m: Msg;
      try {
        m = JSON.parse(text) as Msg;
      } catch {
        say(`not JSON: ${text.slice(0, 200)}`);
        return;
      }
      const ok =
        typeof m.session === 'string' &&
        typeof m.id === 'number' &&
        (ANSWERS as readonly unknown[]).includes(m.answer) &&
        send(m.session, m.id, m.answer as Answer);
      if (!ok) say(`no held connection for ${text.slice(0, 200)}`);
      return;
    }
    const parsed = /^(?:(\d+)\s*)?(o|s|a|d|once|session|always|deny)$/i.exec(text);
    if (parsed === null) {
      say('answer with N o|s|a|d (once, session, always, deny), e.g. "1 o"');
      return;
    }
    const n = parsed[1] === undefined ? undefined : Number(parsed[1]);
    const w = n === undefined ? waiting[0] : waiting.find((x) => x.n === n);
    if (w === undefined) {
      say(n === undefined ? 'nothing is waiting' : `nothing waits as [${n}]`);
      return;
    }
    const word = parsed[2]!.toLowerCase();
    send(w.session, w.id, SHORT[word[0]!]!);
  };
  return new Promise((resolve) => {
    const input = createInterface({ input: process.stdin });
    input.on('line', onInput);
    input.on('close', () => {
      watcher.close();
      clearInterval(rescan);
      for (const l of links.values()) l.socket.destroy();
      resolve(0);
    });
  });
}
