import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor } from '../../../extension/core/console/lineEditor';

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

test('redraw leaves the terminal cursor at the edit position', () => {
  const { ed, out } = editor();
  ed.input('abc' + LEFT + LEFT);
  out.length = 0;
  ed.input('X');
  assert.equal(out.join(''), '\r\x1b[K$ aXbc\x1b[2D');
});
