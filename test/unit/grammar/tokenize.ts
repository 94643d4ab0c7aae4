// Tokenizes text with a TextMate grammar through vscode-textmate + oniguruma: the same engine
// VS Code uses, so scope assertions here are what the editor will colour.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const require_ = createRequire(__filename);
const registries = new Map<string, vsctm.Registry>();
let wasmLoaded: Promise<void> | undefined;

async function getRegistry(grammars: Record<string, string>): Promise<vsctm.Registry> {
  const key = JSON.stringify(grammars);
  const known = registries.get(key);
  if (known) return known;
  wasmLoaded ??= oniguruma.loadWASM(readFileSync(require_.resolve('vscode-oniguruma/release/onig.wasm')).buffer);
  await wasmLoaded;
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    // Injection grammars declare the scope they inject into (`injectTo` in the manifest).
    getInjections: (scope: string) => Object.keys(grammars).filter((s) => s.startsWith(`${scope}.`) && s.endsWith('.injection')),
    loadGrammar: async (scope: string) => {
      const path = grammars[scope];
      return path ? vsctm.parseRawGrammar(readFileSync(path, 'utf8'), path) : null;
    },
  });
  registries.set(key, registry);
  return registry;
}

export interface Token { text: string; scopes: string[] }

/** Tokens of each line of `text`, with their scope stacks. */
export async function tokenize(scope: string, grammars: Record<string, string>, text: string): Promise<Token[][]> {
  const grammar = await (await getRegistry(grammars)).loadGrammar(scope);
  if (!grammar) throw new Error(`grammar ${scope} not found`);
  let state = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** The innermost scope of the token whose text is `text` on a line. */
export function scopeOf(line: Token[], text: string): string | undefined {
  return line.find((t) => t.text === text)?.scopes.at(-1);
}
