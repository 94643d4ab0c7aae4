#!/usr/bin/env node
// Installs the Debian packages the test suites need (clang, bpftool, tshark, chromium, ...).
// As root it runs apt-get; otherwise it names what is missing and fails: a missing tool must
// never turn into silently skipped tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// package -> a file that proves it is installed
export const SYSTEM_PACKAGES = {
  clang: '/usr/bin/clang',
  llvm: '/usr/bin/llvm-objdump',
  'libbpf-dev': '/usr/include/bpf/bpf_helpers.h',
  bpftool: '/usr/sbin/bpftool',
  tshark: '/usr/bin/tshark',
  chromium: '/usr/bin/chromium',
  'libkrb5-dev': '/usr/include/gssapi/gssapi.h',
  // node-gyp builds code-server's native modules for the e2e suite (test/e2e/setup.mjs)
  'g++': '/usr/bin/g++',
  make: '/usr/bin/make',
  python3: '/usr/bin/python3',
  'linux-libc-dev': '/usr/include/x86_64-linux-gnu/asm/types.h',
};

export function missingPackages() {
  return Object.entries(SYSTEM_PACKAGES).filter(([, f]) => !existsSync(f)).map(([p]) => p);
}

export function ensureSystemDeps() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (process.getuid && process.getuid() !== 0) {
    console.error(`netvsc-lab: missing Debian packages: ${missing.join(' ')}\n` +
      `install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (update.status !== 0) { console.error('netvsc-lab: apt-get update failed'); process.exit(1); }
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missingPackages();
  if (r.status !== 0 || still.length) {
    console.error(`netvsc-lab: could not install: ${still.join(' ') || missing.join(' ')}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureSystemDeps();
}
