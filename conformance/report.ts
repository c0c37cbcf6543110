/** The kit's report: text grouped by spec section, and JUnit XML for a vendor's CI. */
import type { CheckResult } from './check.js';

const bySection = (rs: readonly CheckResult[]) => {
  const m = new Map<string, CheckResult[]>();
  for (const r of rs) m.set(r.section, [...(m.get(r.section) ?? []), r]);
  return [...m].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
};

export function textReport(rs: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const [section, checks] of bySection(rs)) {
    lines.push(`PROTOCOL.md §${section}`);
    for (const c of checks) {
      lines.push(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
      if (!c.ok || process.env.CONFORMANCE_VERBOSE) for (const f of c.frames) lines.push(`          ${f}`);
    }
  }
  const failed = rs.filter((r) => !r.ok).length;
  lines.push(`${rs.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}

const esc = (s: string) =>
  s
    .replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)
    .replace(/[^\t\n\r\x20-\uffff]/g, '?');

export function junitReport(rs: readonly CheckResult[], suite = 'dock-conformance'): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${esc(suite)}" tests="${rs.length}" failures="${rs.filter((r) => !r.ok).length}">`,
  );
  for (const [section, checks] of bySection(rs)) {
    out.push(
      `  <testsuite name="PROTOCOL.md §${section}" tests="${checks.length}" failures="${checks.filter((c) => !c.ok).length}">`,
    );
    for (const c of checks) {
      out.push(`    <testcase classname="§${section}" name="${esc(c.name)}">`);
      if (!c.ok) out.push(`      <failure message="${esc(c.detail)}"/>`);
      out.push(`      <system-out>${esc(c.frames.join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
