import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor } from '../../../extension/core/console/lineEditor';
import { Terminal } from '@xterm/headless';

function editor(complete?: (line: string, cursor: number) => { start: number; candidates: string[] }) {
  const out: string[] = [];
  const lines: string[] = [];
  const ed = new LineEditor({ write: (t) => out.push(t), submit: (l) => lines.push(l), complete }, '$ ');
  return { ed, out, lines };
}

const UP = '\x1b[A', DOWN = '\x1b[B', LEFT = '\x1b[D', RIGHT = '\x1b[C';

test('typed characters and Enter submit the line; blank lines are not remembered', () => {
  const { ed, lines } = editor();
  ed.input('ethtool -l eth0\r');
  ed.input('\r');
  assert.deepEqual(lines, ['ethtool -l eth0', '']);
  assert.deepEqual(ed.historyLines, ['ethtool -l eth0']);
});

test('a pasted CRLF is one line end, not two', () => {
  const { ed, lines } = editor();
  ed.input('a\r\nb\r\n');
  assert.deepEqual(lines, ['a', 'b']);
});

test('cursor movement, insertion in the middle, backspace and delete', () => {
  const { ed, lines } = editor();
  ed.input('ethtol' + LEFT + LEFT + 'o');      // ethtool with the missing o inserted before "ol"
  assert.equal(ed.text, 'ethtool');
  assert.equal(ed.cursorPos, 5);
  ed.input('\x7f');                             // backspace removes the o just typed
  assert.equal(ed.text, 'ethtol');
  ed.input('\x01\x1b[3~');                      // Ctrl-A then Delete removes the first character
  assert.equal(ed.text, 'thtol');
  ed.input('\x05' + RIGHT + '!\r');             // Ctrl-E, Right at end does nothing
  assert.deepEqual(lines, ['thtol!']);
});

test('history: Up walks back, Down returns to the unsent draft, duplicates collapse', () => {
  const { ed, lines } = editor();
  ed.input('one\rtwo\rtwo\r');
  assert.deepEqual(ed.historyLines, ['one', 'two']);
  ed.input('dra');
  ed.input(UP);
  assert.equal(ed.text, 'two');
  ed.input(UP + UP);                            // stops at the oldest
  assert.equal(ed.text, 'one');
  ed.input(DOWN + DOWN);
  assert.equal(ed.text, 'dra');
  ed.input(UP + UP + '\r');
  assert.equal(lines.at(-1), 'one');
});

test('Ctrl-U kills to the start, Ctrl-C abandons the line', () => {
  const { ed, lines, out } = editor();
  ed.input('ethtool -k eth0' + LEFT.repeat(5) + '\x15');
  assert.equal(ed.text, ' eth0');
  ed.input('\x03');
  assert.equal(ed.text, '');
  assert.ok(out.join('').includes('^C\r\n$ '));
  assert.deepEqual(lines, []);
});

test('Tab completes a unique candidate, extends a common prefix, lists on the second Tab', () => {
  const words = ['rx-flow-hash', 'rx', 'tx', 'combined'];
  const { ed, out } = editor((line, cursor) => ({ start: line.lastIndexOf(' ', cursor - 1) + 1, candidates: words }));
  ed.input('ethtool -L eth0 co\t');
  assert.equal(ed.text, 'ethtool -L eth0 combined ');
  ed.input('\x15r\t');                          // "r": rx and rx-flow-hash share "rx"
  assert.equal(ed.text, 'rx');
  out.length = 0;
  ed.input('\t');                               // like bash: the next Tab lists the candidates
  assert.ok(out.join('').includes('\r\nrx-flow-hash  rx\r\n'));
  assert.equal(ed.text, 'rx');
  ed.input('\x15t');
  out.length = 0;
  ed.input('\t');
  assert.equal(ed.text, 'tx ');
  ed.input('\x15q\t');                          // no candidate: the bell, nothing inserted
  assert.equal(ed.text, 'q');
  assert.equal(out.at(-1), '\x07');
  ed.input('\x15' + 'ethtool\t');
  out.length = 0;
  ed.input('\x15r');
  ed.input('\t');                               // a Tab after typing is a first Tab again
  assert.equal(ed.text, 'rx');
  out.length = 0;
  ed.input('-');
  ed.input('\t');
  assert.equal(ed.text, 'rx-flow-hash ');
});

// A real terminal emulator (xterm.js, headless) shows what a person would see on screen.
async function onScreen(columns: number, keys: string[]) {
  const term = new Terminal({ cols: columns, rows: 12, allowProposedApi: true });
  const lines: string[] = [];
  const ed = new LineEditor({ write: (t) => term.write(t), submit: (l) => lines.push(l) }, '\x1b[1;32m$\x1b[0m ');
  ed.setColumns(columns);
  ed.showPrompt();
  for (const k of keys) ed.input(k);
  await new Promise<void>((r) => term.write('', r));
  const buf = term.buffer.active;
  const rows = Array.from({ length: buf.length }, (_, i) => buf.getLine(i)!.translateToString(true)).filter((r, i, a) => r || a.slice(i).some(Boolean));
  return { rows, cursor: [buf.cursorX, buf.cursorY], ed, lines };
}

test('redraw leaves the terminal cursor at the edit position', async () => {
  const s = await onScreen(40, ['abc', LEFT, LEFT, 'X']);
  assert.deepEqual(s.rows, ['$ aXbc']);
  assert.deepEqual(s.cursor, [4, 0]); // after the X: prompt (2) + "aX"
});

test('a line wider than the terminal wraps once, and edits in the middle redraw it in place', async () => {
  const line = 'ethtool -K eth0 gro off lro off tso on'; // 38 characters + a 2-character prompt on 16 columns
  const typed = await onScreen(16, [...line]);
  assert.deepEqual(typed.rows, ['$ ethtool -K eth', '0 gro off lro of', 'f tso on']);
  const edited = await onScreen(16, [...line, '\x01', RIGHT.repeat(8), 'X', LEFT.repeat(3), '\x7f', '\x05', '!']);
  // Ctrl-A, 8 right, insert X after "ethtool ", 3 left, backspace deletes "o" of "ethtool", Ctrl-E, "!"
  assert.equal(edited.ed.text, 'ethtol X-K eth0 gro off lro off tso on!');
  assert.deepEqual(edited.rows, ['$ ethtol X-K eth', '0 gro off lro of', 'f tso on!']);
  assert.deepEqual(edited.cursor, [9, 2]);
  const entered = await onScreen(16, [...line, LEFT.repeat(20), '\r']);
  assert.deepEqual(entered.lines, [line]);
  assert.deepEqual(entered.cursor, [0, 3]); // output starts below the whole wrapped line
});

test('history recall of a long line over a long line leaves no remains of the old one', async () => {
  const long = 'x'.repeat(30), short = 'ethtool -i eth0';
  const s = await onScreen(16, [long, '\r', short, '\r', UP, UP]);
  assert.equal(s.ed.text, long);
  assert.deepEqual(s.rows.slice(-2), ['$ xxxxxxxxxxxxxx', 'xxxxxxxxxxxxxxxx']);
  // Down again: the 2-row short line replaces the 3-row long one; its third row is cleared.
  const back = await onScreen(16, [long, '\r', short, '\r', UP, UP, DOWN]);
  assert.equal(back.ed.text, short);
  assert.deepEqual(back.rows.slice(-3), ['0', '$ ethtool -i eth', '0']);
  assert.deepEqual(back.cursor, [1, back.rows.length - 1]);
});
