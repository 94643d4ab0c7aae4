import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize, scopeOf } from './tokenize';

const G = { 'source.ethtool': 'syntaxes/ethtool.tmLanguage.json' };

test('ethtool grammar scopes commands, options, devices, flow types, letters, keys, numbers, comments', async () => {
  const [l1, l2, l3, l4, l5, l6] = await tokenize('source.ethtool', G, [
    'ethtool -N eth0 rx-flow-hash udp4 sdfn  # L4 hashing for UDP',
    'ethtool -K eth0 lro off gro on',
    'ethtool -X eth0 hkey 6d:5a:56:da:25:5b:0e:c2',
    'ethtool -L eth0 combined 4',
    '# a whole-line comment',
    'ip link set dev eth0 xdp obj prog.o sec xdp',
  ].join('\n'));
  assert.equal(scopeOf(l1, 'ethtool'), 'keyword.control.command.ethtool');
  assert.equal(scopeOf(l1, '-N'), 'keyword.operator.option.ethtool');
  assert.equal(scopeOf(l1, 'eth0'), 'variable.other.device.ethtool');
  assert.equal(scopeOf(l1, 'udp4'), 'support.type.flow-type.ethtool');
  assert.equal(scopeOf(l1, 'sdfn'), 'constant.character.field-letters.ethtool');
  assert.equal(scopeOf(l1, ' L4 hashing for UDP'), 'comment.line.number-sign.ethtool');
  assert.equal(scopeOf(l2, 'off'), 'constant.language.boolean.ethtool');
  assert.equal(scopeOf(l2, 'lro'), 'entity.name.function.sub-argument.ethtool');
  assert.equal(scopeOf(l3, '6d:5a:56:da:25:5b:0e:c2'), 'constant.numeric.hex.key.ethtool');
  assert.equal(scopeOf(l4, '4'), 'constant.numeric.ethtool');
  assert.ok(l5.every((t) => t.scopes.some((s) => s.startsWith('comment.'))));
  assert.equal(scopeOf(l6, 'ip'), 'keyword.control.command.ethtool');
  assert.equal(scopeOf(l6, 'xdp'), 'keyword.other.ip.ethtool');
});

test('text that is not a command is not coloured as one', async () => {
  const [line] = await tokenize('source.ethtool', G, 'echo -K eth0');
  assert.ok(line.every((t) => t.scopes.length === 1), JSON.stringify(line));
});
