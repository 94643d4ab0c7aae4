// How the servers are started: standalone over stdio (other editors) and over Node IPC, which is what
// vscode-languageclient's TransportKind.ipc does (fork with `--node-ipc`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import {
  createProtocolConnection, IPCMessageReader, IPCMessageWriter, InitializeRequest, ShutdownRequest, ExitNotification,
} from 'vscode-languageserver-protocol/node';
import { bundleServer, LspClient } from './lspClient';

for (const name of ['ethtool', 'xdp'] as const) {
  test(`${name} server over Node IPC (--node-ipc) answers initialize and exits on exit`, async () => {
    const child = fork(await bundleServer(name), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const conn = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    const init = await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    assert.equal(init.serverInfo?.name, name === 'xdp' ? 'netvsc-lab XDP' : 'netvsc-lab ethtool');
    assert.equal(init.capabilities.hoverProvider, true);
    await conn.sendRequest(ShutdownRequest.type);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await conn.sendNotification(ExitNotification.type);
    assert.equal(await exited, 0);
    conn.dispose();
  });
}

test('stdio: each server advertises only what it implements (the XDP server no formatting or definitions)', async () => {
  const x = await LspClient.start('xdp');
  const e = await LspClient.start('ethtool');
  try {
    const xc = x.initializeResult.capabilities;
    assert.deepEqual(Object.keys(xc).sort(), ['codeLensProvider', 'completionProvider', 'hoverProvider', 'signatureHelpProvider', 'textDocumentSync']);
    const ec = e.initializeResult.capabilities;
    assert.deepEqual(Object.keys(ec).sort(), ['codeActionProvider', 'codeLensProvider', 'completionProvider', 'documentFormattingProvider', 'documentSymbolProvider', 'hoverProvider', 'textDocumentSync']);
  } finally {
    await x.stop();
    await e.stop();
  }
});
