// `bubble explain`: the Plan as a table for people and as JSON for machines.

import { displayText, quoteArgv } from './escape.ts';
import type { MountOp, Plan } from './plan.ts';

export interface ViewRow {
  path: string;
  inside: string;
  why: string;
  source: string;
}

function inside(op: MountOp): string {
  switch (op.kind) {
    case 'ro':
    case 'rw':
      return op.kind;
    case 'tmpfs':
      return op.readOnly ? 'masked' : op.why.startsWith('your home') ? 'hidden' : 'tmpfs';
    case 'data':
      // bubble's own files (the git ignore list) are content, not masks over a host path.
      return op.source === 'default' ? 'ro' : 'masked';
    case 'symlink':
      return `-> ${op.target}`;
    case 'dir':
      return 'dir';
    case 'proc':
    case 'dev':
    case 'overlay':
      return op.kind;
  }
}

function netLine(plan: Plan): string {
  const n = plan.net;
  const parts: string[] = [];
  switch (n.mode) {
    case 'filtered':
      parts.push(
        `filtered: own network namespace; the only way out is bubble's proxy (127.0.0.1:${n.proxyPort} inside)`,
      );
      break;
    case 'logged':
      parts.push(
        `logged: host network; proxy variables point at bubble's proxy${n.proxyPort ? ` (127.0.0.1:${n.proxyPort})` : ''}; programs that ignore them bypass it`,
      );
      break;
    case 'host':
      parts.push('host: the host network, no proxy, nothing logged');
      break;
    case 'none':
      parts.push('none: loopback only');
  }
  const from = (key: string): string =>
    n.sources?.[key] === undefined ? '' : ` [${displayText(n.sources[key])}]`;
  if (n.allow.length > 0)
    parts.push(
      `allow ${n.allow.map((p) => displayText(p) + from(`allow:${p}`)).join(', ')} (anything else denied)`,
    );
  if (n.deny.length > 0)
    parts.push(`deny ${n.deny.map((p) => displayText(p) + from(`deny:${p}`)).join(', ')}`);
  if ((n.allowPrivate ?? []).length > 0)
    parts.push(
      `private destinations ${(n.allowPrivate ?? []).map((p) => displayText(p)).join(', ')} (not this host, not loopback, metadata only if named exactly)`,
    );
  if (n.hostPorts.length > 0)
    parts.push(
      `host ports ${n.hostPorts.map((p) => String(p) + from(`host-port:${p}`)).join(', ')}`,
    );
  if ((n.publish ?? []).length > 0)
    parts.push(
      `published to the host's 127.0.0.1 ${(n.publish ?? []).map((p) => `${p.inside} as ${p.host}`).join(', ')}`,
    );
  return parts.join('; ');
}

function viewRows(plan: Plan): ViewRow[] {
  return plan.mounts.map((op) => ({
    path: op.dest,
    inside: inside(op),
    why: op.why,
    source: op.source,
  }));
}

export function renderPlan(plan: Plan, bwrapArgv: string[]): string {
  const rows = viewRows(plan);
  const w = Math.min(60, Math.max(4, ...rows.map((r) => displayText(r.path).length)));
  const lines: string[] = [];
  lines.push(`command:  ${quoteArgv(plan.argv)}`);
  lines.push(`profile:  ${plan.profile}`);
  lines.push(`network:  ${netLine(plan)}`);
  lines.push(`cwd:      ${displayText(plan.cwd)}`);
  lines.push('');
  lines.push(`${'PATH'.padEnd(w)}  ${'INSIDE'.padEnd(8)}  WHY`);
  for (const r of rows) {
    lines.push(
      `${displayText(r.path).padEnd(w)}  ${r.inside.padEnd(8)}  ${r.why}${r.source === 'default' ? '' : ` [${r.source}]`}`,
    );
  }
  lines.push(`${'(anything else)'.padEnd(w)}  ${'absent'.padEnd(8)}  not mounted`);
  lines.push('');
  if (plan.caches.length > 0) {
    lines.push("caches (the tool writes to this project's cache; your cache is never written):");
    for (const c of plan.caches) {
      const host = c.hostCache
        ? `reads your cache read-only (${displayText(c.hostCache.host)})`
        : c.paths.some((p) => p.lower !== undefined)
          ? 'your cache read-only under the project cache (overlay)'
          : 'your cache not used';
      lines.push(`  ${c.tool}: ${host}; ${c.why}`);
      for (const p of c.paths)
        lines.push(
          `    ${displayText(p.inside)}  <- ${displayText(p.host)}${p.lower === undefined ? '' : ` over ${displayText(p.lower)} (read-only)`}`,
        );
    }
    lines.push('');
  }
  lines.push('environment (nothing else passes):');
  for (const name of Object.keys(plan.env).sort())
    lines.push(`  ${name}  (${plan.envWhy[name] ?? ''})`);
  lines.push('');
  if (plan.seccomp) {
    lines.push(
      `seccomp: denied with EPERM: ${plan.seccomp.rules.map((r) => r.syscall + (r.match ? `(${r.match})` : '')).join(', ')}`,
    );
  } else {
    lines.push('seccomp: none');
  }
  if (plan.placeholders.length > 0) {
    lines.push(
      `placeholders (created for the session, removed after): ${plan.placeholders.map((p) => displayText(p.path)).join(', ')}`,
    );
  }
  for (const w of plan.warnings) lines.push(`warning: ${displayText(w)}`);
  lines.push('');
  lines.push('bwrap argv (fd 3: status; then the seccomp program and data files, in order):');
  lines.push(quoteArgv(bwrapArgv));
  return lines.join('\n') + '\n';
}

/** What the sandbox's network is; the proxy's socket and policy are bubble's host side. */
function sandboxView(net: Plan['net']): unknown {
  const { socket: _socket, policy: _policy, askTimeoutMs: _askTimeoutMs, ...view } = net;
  return view;
}

export function planJson(plan: Plan, bwrapArgv: string[]): unknown {
  return {
    command: plan.argv,
    profile: plan.profile,
    network: sandboxView(plan.net),
    cwd: plan.cwd,
    view: viewRows(plan),
    // Names only: values can be secrets.
    env: Object.fromEntries(
      Object.keys(plan.env)
        .sort()
        .map((k) => [k, plan.envWhy[k] ?? '']),
    ),
    namespaces: plan.namespaces,
    process: plan.process,
    seccomp: plan.seccomp?.rules ?? null,
    caches: plan.caches,
    placeholders: plan.placeholders,
    ensureDirs: plan.ensureDirs,
    warnings: plan.warnings,
    bwrap: bwrapArgv,
  };
}
