// The standalone debug adapter: `node dist/debugAdapter.js` speaks DAP over stdin/stdout, so any
// DAP client (and the DebugClient tests) can drive the same session VS Code runs inline.
import { DebugSession } from '@vscode/debugadapter';
import { NetvscDebugSession } from './session';

DebugSession.run(NetvscDebugSession);
