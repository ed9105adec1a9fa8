// Language runtimes whose HTTP clients ignore or half-honour the proxy variables, through
// bubble's proxy in filtered mode: the JVM (JAVA_TOOL_OPTIONS system properties) and Go's
// net/http. Each fetches from a server on the host's loopback under a *.localhost name
// (the proxy resolves those itself: RFC 6761), so the request can only arrive through the
// proxy; the host checks the server saw it and the session log names it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import { makeWorld, runBubble, type Result, type World } from '../support/world.ts';
import {
  describeLog,
  newestLog,
  records,
  requireTools,
  startStatic,
} from '../fixtures/net-tools/host.ts';

function ok(r: Result, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

async function served(t: { after: (fn: () => unknown) => void }, world: World) {
  const www = join(world.root, 'www');
  fs.mkdirSync(www);
  fs.writeFileSync(join(www, 'hello.txt'), 'hello-through-proxy\n');
  const server = await startStatic(www);
  t.after(() => server.close());
  return server;
}

function assertLogged(world: World, host: string, port: number): void {
  const log = newestLog(world.home);
  const found = records(log, { protocol: 'http', host, port, decision: 'allow' });
  assert.ok(
    found.length > 0,
    `no allowed http ${host}:${port} in ${log.path}:\n${describeLog(log)}`,
  );
}

const JAVA_FETCH = `
import java.net.*;
import java.io.*;
public class Fetch {
  public static void main(String[] a) throws Exception {
    HttpURLConnection c = (HttpURLConnection) new URL(a[0]).openConnection();
    try (InputStream in = c.getInputStream()) { System.out.print(new String(in.readAllBytes())); }
  }
}
`;

test('the JVM goes through the proxy (JAVA_TOOL_OPTIONS), and the log names the host', async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['java'])) return;
  const world = makeWorld();
  t.after(() => world.cleanup());
  const server = await served(t, world);
  const H = server.port;
  fs.writeFileSync(join(world.project, 'Fetch.java'), JAVA_FETCH);
  const r = await runBubble(
    world,
    [
      'run',
      '--host-port',
      String(H),
      '--',
      'java',
      'Fetch.java',
      `http://java.localhost:${H}/hello.txt`,
    ],
    { timeoutMs: 120_000 },
  );
  ok(r, 'java inside');
  assert.match(r.stdout, /hello-through-proxy/);
  assert.deepEqual(server.requests, [`java.localhost:${H} /hello.txt`]);
  assertLogged(world, 'java.localhost', H);
});

const GO_FETCH = `package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	r, err := http.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(r.Body)
	fmt.Print(string(b))
}
`;

test("Go's net/http goes through the proxy (HTTP_PROXY), and the log names the host", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['go'])) return;
  const world = makeWorld();
  t.after(() => {
    // Go's module cache is read-only on disk; the world must still be removable.
    for (const p of fs.readdirSync(world.root, { recursive: true }) as string[])
      try {
        if (fs.lstatSync(join(world.root, p)).isDirectory())
          fs.chmodSync(join(world.root, p), 0o755);
      } catch {
        // gone meanwhile
      }
    world.cleanup();
  });
  const server = await served(t, world);
  const H = server.port;
  fs.writeFileSync(join(world.project, 'go.mod'), 'module fetch\n\ngo 1.18\n');
  fs.writeFileSync(join(world.project, 'main.go'), GO_FETCH);
  const r = await runBubble(
    world,
    [
      'run',
      '--host-port',
      String(H),
      '--env',
      'GOFLAGS=-buildvcs=false',
      '--',
      'sh',
      '-c',
      // Go reads a NO_PROXY entry as the name and its subdomains: localhost covers go.localhost.
      'go build -o /tmp/fetch . && NO_PROXY= no_proxy= /tmp/fetch "$1"',
      'sh',
      `http://go.localhost:${H}/hello.txt`,
    ],
    { timeoutMs: 300_000 },
  );
  ok(r, 'go inside');
  assert.match(r.stdout, /hello-through-proxy/);
  assert.deepEqual(server.requests, [`go.localhost:${H} /hello.txt`]);
  assertLogged(world, 'go.localhost', H);
});
