// Maven's and Gradle's caches (policy/caches.ts) with the real tools, and their downloads
// through bubble's proxy (the JVM reads it from JAVA_TOOL_OPTIONS). No Maven Central here:
// the test builds its own repository (a library jar, and a Maven plugin that uses it, the
// only kind of artifact Maven runs without plugins from Central) with javac and jar, and
// serves it from disk (file://) or from the host's loopback. The host's ~/.m2/repository or
// ~/.gradle/caches is warm; inside, the offline build with no network finds the artifact
// there; an artifact fetched inside through the proxy lands in the project's cache; the
// host's cache never changes, whatever is written to it inside.
//
// Java takes its home from the password database, not $HOME: the world's home is named to
// the JVM (user.home for Maven, -g for Gradle), outside as inside.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { requireBwrap } from '../support/bwrap.ts';
import {
  assertPoisonStaysInProject,
  files,
  hostLayer,
  ok,
  projectCache,
  removeWorld,
} from '../support/caches.ts';
import { makeWorld, runBubble, snapshot, type World } from '../support/world.ts';
import {
  describeLog,
  host,
  newestLog,
  records,
  requireTools,
  startStatic,
  unmet,
} from '../fixtures/net-tools/host.ts';

const POM = (g: string, a: string, v: string, extra = ''): string =>
  `<project><modelVersion>4.0.0</modelVersion><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version>${extra}</project>\n`;

const PLUGIN_XML = (v: string): string => `<plugin>
  <name>bubble</name><groupId>org.bubble</groupId><artifactId>bubble-maven-plugin</artifactId>
  <version>${v}</version><goalPrefix>bubble</goalPrefix>
  <mojos><mojo>
    <goal>hello</goal><requiresProject>false</requiresProject>
    <implementation>org.bubble.plugin.HelloMojo</implementation><language>java</language>
    <instantiationStrategy>per-lookup</instantiationStrategy>
    <executionStrategy>once-per-session</executionStrategy><threadSafe>true</threadSafe>
    <parameters/>
  </mojo></mojos>
  <dependencies>
    <dependency><groupId>org.bubble</groupId><artifactId>tiny</artifactId><type>jar</type><version>1.0</version></dependency>
  </dependencies>
</plugin>
`;

/** Maven's lib directory (for maven-plugin-api), from `mvn -v`. */
async function mavenLib(world: World): Promise<string> {
  const r = await host('mvn', ['-v'], { env: world.env, timeoutMs: 120_000 });
  const home = /^Maven home: (.*)$/m.exec(r.stdout)?.[1]?.trim();
  assert.ok(home !== undefined, `mvn -v names no Maven home:\n${r.stdout}`);
  return join(home, 'lib');
}

/**
 * A Maven repository at `repo`: org.bubble:tiny:1.0 (Tiny.hello() returns "tiny-ok"),
 * org.bubble:bubble-maven-plugin 1.0 and 2.0 (goal hello logs "plugin says tiny-ok"), and
 * an empty plexus-utils 1.1, which Maven adds to every plugin that does not name it.
 */
async function buildRepo(world: World, repo: string, withPlugin: boolean): Promise<void> {
  const src = join(world.root, 'java-src');
  const put = (path: string, text: string): void => {
    fs.mkdirSync(join(path, '..'), { recursive: true });
    fs.writeFileSync(path, text);
  };
  put(
    join(src, 'tiny', 'org', 'bubble', 'tiny', 'Tiny.java'),
    'package org.bubble.tiny;\npublic class Tiny { public static String hello() { return "tiny-ok"; } }\n',
  );
  const tinyClasses = join(world.root, 'classes-tiny');
  await host(
    'javac',
    ['-d', tinyClasses, join(src, 'tiny', 'org', 'bubble', 'tiny', 'Tiny.java')],
    { env: world.env, timeoutMs: 120_000 },
  );
  const at = (g: string, a: string, v: string): string =>
    join(repo, ...g.split('.'), a, v, `${a}-${v}`);
  fs.mkdirSync(join(at('org.bubble', 'tiny', '1.0'), '..'), { recursive: true });
  await host('jar', ['cf', `${at('org.bubble', 'tiny', '1.0')}.jar`, '-C', tinyClasses, '.'], {
    env: world.env,
  });
  put(`${at('org.bubble', 'tiny', '1.0')}.pom`, POM('org.bubble', 'tiny', '1.0'));
  if (!withPlugin) return;

  const mojo = join(src, 'plugin', 'org', 'bubble', 'plugin', 'HelloMojo.java');
  put(
    mojo,
    'package org.bubble.plugin;\npublic class HelloMojo extends org.apache.maven.plugin.AbstractMojo {\n' +
      '  public void execute() { getLog().info("plugin says " + org.bubble.tiny.Tiny.hello()); }\n}\n',
  );
  const lib = await mavenLib(world);
  const api = fs.readdirSync(lib).find((f) => /^maven-plugin-api.*\.jar$/.test(f));
  assert.ok(api !== undefined, `no maven-plugin-api jar in ${lib}`);
  const pluginClasses = join(world.root, 'classes-plugin');
  await host('javac', ['-cp', `${tinyClasses}:${join(lib, api)}`, '-d', pluginClasses, mojo], {
    env: world.env,
    timeoutMs: 120_000,
  });
  for (const v of ['1.0', '2.0']) {
    put(join(pluginClasses, 'META-INF', 'maven', 'plugin.xml'), PLUGIN_XML(v));
    const base = at('org.bubble', 'bubble-maven-plugin', v);
    fs.mkdirSync(join(base, '..'), { recursive: true });
    await host('jar', ['cf', `${base}.jar`, '-C', pluginClasses, '.'], { env: world.env });
    put(
      `${base}.pom`,
      POM(
        'org.bubble',
        'bubble-maven-plugin',
        v,
        '<packaging>maven-plugin</packaging><dependencies><dependency><groupId>org.bubble</groupId><artifactId>tiny</artifactId><version>1.0</version></dependency></dependencies>',
      ),
    );
  }
  const empty = join(world.root, 'empty');
  fs.mkdirSync(empty);
  const pu = at('org.codehaus.plexus', 'plexus-utils', '1.1');
  fs.mkdirSync(join(pu, '..'), { recursive: true });
  await host('jar', ['cf', `${pu}.jar`, '-C', empty, '.'], { env: world.env });
  put(`${pu}.pom`, POM('org.codehaus.plexus', 'plexus-utils', '1.1'));
}

/** The project's pom: a plugin repository named bubble-test at `url`. */
function writePom(world: World, url: string): void {
  fs.writeFileSync(
    join(world.project, 'pom.xml'),
    POM(
      'app',
      'app',
      '1',
      `<packaging>pom</packaging><pluginRepositories><pluginRepository><id>bubble-test</id><url>${url}</url></pluginRepository></pluginRepositories>`,
    ),
  );
}

function assertLogged(world: World, name: string, port: number): void {
  const log = newestLog(world.home);
  const found = records(log, { protocol: 'http', host: name, port, decision: 'allow' });
  assert.ok(
    found.length > 0,
    `no allowed http ${name}:${port} in ${log.path}:\n${describeLog(log)}`,
  );
}

test("maven: the host's repository serves an offline build inside (overlay); a plugin fetched inside through the proxy stays in the project's repository", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['mvn', 'javac', 'jar'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  const repo = join(world.root, 'repo');
  await buildRepo(world, repo, true);
  const mvnEnv = { ...world.env, MAVEN_OPTS: `-Duser.home=${world.home}` };
  const hello = ['-B', 'org.bubble:bubble-maven-plugin:1.0:hello'];
  // The host's own run: ~/.m2/repository of the world's home is warm.
  writePom(world, `file://${repo}`);
  const warm = await host('mvn', hello, { cwd: world.project, env: mvnEnv, timeoutMs: 300_000 });
  assert.match(warm.stdout, /plugin says tiny-ok/);
  const hostCache = join(world.home, '.m2', 'repository');
  assert.ok(
    files(hostCache).some((f) => f.endsWith('bubble-maven-plugin-1.0.jar')),
    'the host repository holds the plugin',
  );
  // Calibration: the same offline run with an empty repository fails.
  const cold = await host(
    'mvn',
    ['-o', `-Dmaven.repo.local=${join(world.root, 'cold')}`, ...hello],
    {
      cwd: world.project,
      env: mvnEnv,
      timeoutMs: 300_000,
      check: false,
    },
  );
  assert.notEqual(
    cold.code,
    0,
    `with an empty repository the offline run must fail:\n${cold.stdout}`,
  );
  const before = snapshot(hostCache);
  if ((await hostLayer(world, 'maven', hostCache)) === undefined) {
    unmet(t, "bubble shows no layer of the host's Maven repository here");
    return;
  }

  // No network, and the repository itself is not visible inside.
  const mvnInside = 'export MAVEN_OPTS="-Duser.home=$HOME"; mvn "$@"';
  const offline = await runBubble(
    world,
    ['run', '--net', 'none', '--', 'sh', '-c', mvnInside, 'sh', '-o', ...hello],
    { timeoutMs: 300_000 },
  );
  ok(offline, 'mvn -o inside');
  assert.match(offline.stdout, /plugin says tiny-ok/);

  // Plugin 2.0 from the host's loopback under a name only bubble's proxy resolves: Maven's
  // HTTP client takes the proxy from JAVA_TOOL_OPTIONS.
  const server = await startStatic(repo);
  t.after(() => server.close());
  const H = server.port;
  writePom(world, `http://maven.localhost:${H}/`);
  // Maven 3.8.1+ blocks plain-http repositories through a mirror; the test's own settings
  // take that mirror off (a local test server has no certificate the JVM trusts).
  fs.writeFileSync(
    join(world.project, 'settings.xml'),
    '<settings><mirrors><mirror><id>maven-default-http-blocker</id><mirrorOf>none-of-these</mirrorOf><url>http://0.0.0.0/</url></mirror></mirrors></settings>\n',
  );
  const fetched = await runBubble(
    world,
    [
      'run',
      '--host-port',
      String(H),
      '--',
      'sh',
      '-c',
      mvnInside,
      'sh',
      '-B',
      '-s',
      'settings.xml',
      'org.bubble:bubble-maven-plugin:2.0:hello',
    ],
    { timeoutMs: 300_000 },
  );
  ok(fetched, 'mvn inside fetches plugin 2.0 through the proxy');
  assert.match(fetched.stdout, /plugin says tiny-ok/);
  assert.ok(
    server.requests.includes(
      `maven.localhost:${H} /org/bubble/bubble-maven-plugin/2.0/bubble-maven-plugin-2.0.jar`,
    ),
    `the jar came through the proxy: ${server.requests.join('\n')}`,
  );
  assertLogged(world, 'maven.localhost', H);
  const mine = join(projectCache(world, 'maven'), 'm2-repository');
  assert.ok(
    files(mine).some((f) => f.endsWith('bubble-maven-plugin-2.0.jar')),
    `the plugin fetched inside is in the project's repository (${mine})`,
  );
  assert.deepEqual(snapshot(hostCache), before, "the host's repository is unchanged");

  await assertPoisonStaysInProject(world, hostCache, hostCache, before, mine);
});

/** A Gradle build resolving `deps` from the Maven repository at `url`, printing the jars. */
function writeGradle(world: World, url: string, deps: string[]): void {
  fs.writeFileSync(
    join(world.project, 'build.gradle'),
    `repositories { maven { url '${url}' } }\n` +
      'configurations { lib }\n' +
      `dependencies {\n${deps.map((d) => `  lib '${d}'\n`).join('')}}\n` +
      "task show { doLast { configurations.lib.files.each { println 'resolved ' + it.name } } }\n",
  );
}

test("gradle: the host's dependency cache serves an offline build inside; a dependency fetched inside through the proxy stays in the project's cache", async (t) => {
  if (!(await requireBwrap(t))) return;
  if (!requireTools(t, ['gradle', 'javac', 'jar'])) return;
  const world = makeWorld();
  t.after(() => removeWorld(world));
  const repo = join(world.root, 'repo');
  await buildRepo(world, repo, true);
  // Gradle caches only what it downloads (a file:// repository is read in place): served.
  const server = await startStatic(repo);
  t.after(() => server.close());
  const H = server.port;
  const gradle = (home: string, ...args: string[]): string[] => [
    '--no-daemon',
    '-q',
    '-g',
    join(home, '.gradle'),
    ...args,
    'show',
  ];
  writeGradle(world, `http://127.0.0.1:${H}/`, ['org.bubble:tiny:1.0']);
  const warm = await host('gradle', gradle(world.home), {
    cwd: world.project,
    env: world.env,
    timeoutMs: 300_000,
  });
  assert.match(warm.stdout, /resolved tiny-1\.0\.jar/);
  const hostCache = join(world.home, '.gradle', 'caches');
  assert.ok(
    files(hostCache).some((f) => f.endsWith('tiny-1.0.jar')),
    'the host cache holds the jar',
  );
  // Calibration: the same offline build with a cold cache fails.
  const cold = await host('gradle', gradle(join(world.root, 'cold'), '--offline'), {
    cwd: world.project,
    env: world.env,
    timeoutMs: 300_000,
    check: false,
  });
  assert.notEqual(cold.code, 0, `with a cold cache the offline build must fail:\n${cold.stdout}`);
  // The project's own .gradle dir (Gradle's per-build state) is not the cache under test.
  fs.rmSync(join(world.project, '.gradle'), { recursive: true, force: true });
  const before = snapshot(hostCache);
  if ((await hostLayer(world, 'gradle', hostCache)) === undefined) {
    unmet(t, "bubble shows no layer of the host's Gradle cache here");
    return;
  }

  const gradleInside = 'gradle --no-daemon -q -g "$HOME/.gradle" "$@" show';
  const offline = await runBubble(
    world,
    ['run', '--net', 'none', '--', 'sh', '-c', gradleInside, 'sh', '--offline'],
    { timeoutMs: 300_000 },
  );
  ok(offline, 'gradle --offline inside');
  assert.match(offline.stdout, /resolved tiny-1\.0\.jar/);

  // A new dependency from the host's loopback under a name only bubble's proxy resolves:
  // Gradle's HTTP client takes the proxy from JAVA_TOOL_OPTIONS.
  writeGradle(world, `http://gradle.localhost:${H}/`, [
    'org.bubble:tiny:1.0',
    'org.bubble:bubble-maven-plugin:2.0',
  ]);
  const fetched = await runBubble(
    world,
    ['run', '--host-port', String(H), '--', 'sh', '-c', gradleInside, 'sh'],
    { timeoutMs: 300_000 },
  );
  ok(fetched, 'gradle inside fetches a dependency through the proxy');
  assert.match(fetched.stdout, /resolved bubble-maven-plugin-2\.0\.jar/);
  assert.ok(
    server.requests.includes(
      `gradle.localhost:${H} /org/bubble/bubble-maven-plugin/2.0/bubble-maven-plugin-2.0.jar`,
    ),
    `the jar came through the proxy: ${server.requests.join('\n')}`,
  );
  assertLogged(world, 'gradle.localhost', H);
  const mine = join(projectCache(world, 'gradle'), 'gradle-caches');
  assert.ok(
    files(mine).some((f) => f.endsWith('bubble-maven-plugin-2.0.jar')),
    `the jar fetched inside is in the project's cache (${mine})`,
  );
  assert.deepEqual(snapshot(hostCache), before, "the host's Gradle cache is unchanged");

  await assertPoisonStaysInProject(world, hostCache, hostCache, before, mine);
});
