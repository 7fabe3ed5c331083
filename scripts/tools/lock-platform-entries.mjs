#!/usr/bin/env node
// Our npm registry mirror serves only the linux builds of packages that ship per-platform binaries
// (@swc/core-darwin-arm64 & co. answer 404). `npm install` then leaves those optional packages out
// of package-lock.json, and `npm ci` refuses a lock that lacks them. This records each missing one
// with the os/cpu its name declares, so npm ci sees a complete lock and skips them on this platform
// exactly as it would with the registry's full metadata. Run after changing dependencies:
//   node scripts/tools/lock-platform-entries.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'wasi', 'openharmony'];
const CPU = [
  ['arm64', 'arm64'],
  ['aarch64', 'arm64'],
  ['x64', 'x64'],
  ['ia32', 'ia32'],
  ['ppc64', 'ppc64'],
  ['s390x', 's390x'],
  ['riscv64', 'riscv64'],
  ['loong64', 'loong64'],
  ['wasm32', 'wasm32'],
  ['arm', 'arm'],
];

const path = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [at, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[base] || packages[`node_modules/${name}`]) continue;
    const tokens = name.split('/').pop().split('-');
    const os = OS.find((o) => tokens.includes(o)) ?? (tokens.includes('win') || tokens.includes('windows') ? 'win32' : undefined);
    const cpu = CPU.find(([t]) => tokens.includes(t))?.[1];
    // An exact version, or the lowest one a ^/~ range names (e.g. vite's napi-windows-process-start-time ^0.1.0).
    const version = spec.replace(/^[\^~]/, '');
    if (!os || !/^\d+\.\d+\.\d+/.test(version)) continue;
    packages[`node_modules/${name}`] = { version, optional: true, os: [os === 'wasi' ? 'wasi' : os], ...(cpu ? { cpu: [cpu] } : {}) };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-platform-entries: added ${added} entries`);
