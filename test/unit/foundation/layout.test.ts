// The house rule that keeps the engine portable: extension/core never reaches for VS Code, the DOM
// or the layers above it. Checked twice: the lint rule must fire on a violation, and no file has one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the lint rule rejects vscode, DOM and upper-layer imports in extension/core', async () => {
  const eslint = new ESLint();
  const cases: [string, RegExp][] = [
    ["import * as vscode from 'vscode';\nexport const x = vscode;\n", /must not import vscode/],
    ["import { X } from '../../vscode/extension';\nexport const y = X;\n", /layers above/],
    ['export const z = document.title;\n', /document/],
  ];
  for (const [code, message] of cases) {
    const [result] = await eslint.lintText(code, { filePath: 'extension/core/ebpf/__probe__.ts' });
    assert.ok(result.messages.some((m) => message.test(m.message)), `no lint error for: ${code}`);
  }
  // The same import outside core is allowed.
  const [ok] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode;\n", { filePath: 'extension/vscode/__probe__.ts' });
  assert.equal(ok.messages.filter((m) => m.ruleId === 'no-restricted-imports').length, 0);
});

test('no file under extension/core imports vscode or the layers above it', () => {
  const bad = tsFiles('extension/core').filter((f) =>
    /from\s+['"](vscode|vscode-[\w-]+|@vscode\/[\w-]+)['"]|require\(['"]vscode['"]\)|from\s+['"][./]*\/(vscode|servers|webview|cli)\//.test(readFileSync(f, 'utf8')));
  assert.deepEqual(bad, []);
});
