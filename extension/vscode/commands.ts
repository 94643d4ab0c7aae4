// Every command of the extension, registered from one table. Actions that change a device run
// the equivalent ethtool/ip command line through the lab and echo it in the console.
import * as vscode from 'vscode';
import type { NetvscConsole } from './console';
import type { DeviceTreeProvider } from './deviceTree';
import type { Devices } from './devices';
import type { ReplayRunner } from './replay';
import type { XdpActions } from './xdp';

const HOST_PROFILES: { label: string; description: string }[] = [
  { label: 'azure', description: 'Azure (newest host: RSC, 64 queues)' },
  { label: 'ws2022', description: 'Windows Server 2022' },
  { label: 'ws2019', description: 'Windows Server 2019 (RSC)' },
  { label: 'ws2016', description: 'Windows Server 2016 (TCP+UDP checksum, IPv4+IPv6)' },
  { label: 'ws2012r2', description: 'Windows Server 2012 R2' },
  { label: 'ws2012', description: 'Windows Server 2012 (NVSP 4, one channel, TCP-only checksum)' },
];

/** Read-only documents holding a command's output (the path is /DEVICE/COMMAND LINE). */
const OUTPUT_SCHEME = 'netvsc-output';

/** The device named by a tree node id (`eth0/offloads/…`), or eth0 when run from the palette. */
const deviceOf = (id: unknown): string => (typeof id === 'string' ? id.split('/')[0] : 'eth0');

export interface CommandDeps { devices: Devices; tree: DeviceTreeProvider; console: NetvscConsole; replays: ReplayRunner; xdp: XdpActions }

export function registerCommands({ devices, tree, console, replays, xdp }: CommandDeps): vscode.Disposable[] {
  /** Runs a command line, echoes it in the console, and shows a refusal as the tool's error. */
  const run = async (line: string): Promise<boolean> => {
    const r = (await devices.lab()).run(line);
    await console.echo(line, r);
    if (r.exit !== 0 || r.stderr) void vscode.window.showErrorMessage(`${line}: ${r.stderr.trim() || `exit ${r.exit}`}`);
    return r.exit === 0 && !r.stderr;
  };

  const table: Record<string, (...args: unknown[]) => unknown> = {
    'netvsc.addDevice': async () => {
      const pick = await vscode.window.showQuickPick(HOST_PROFILES, { title: 'Host profile of the new netvsc device' });
      if (!pick) return;
      const lab = await devices.lab();
      const d = lab.addDevice({ host: pick.label as never, cpus: vscode.workspace.getConfiguration('netvsc.device').get('cpus', 8) });
      return d.ifname;
    },
    'netvsc.removeDevice': async (id) => { (await devices.lab()).removeDevice(deviceOf(id)); },
    'netvsc.showDriverInfo': async (id) => {
      // A read-only document of the command's output: netvsc-output:/eth0/ethtool -i eth0
      const dev = deviceOf(id);
      const uri = vscode.Uri.from({ scheme: OUTPUT_SCHEME, path: `/${dev}/ethtool -i ${dev}` });
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
    },
    'netvsc.resetCounters': async (id) => {
      const lab = await devices.lab();
      const names = typeof id === 'string' ? [deviceOf(id)] : lab.devices.map((d) => d.ifname);
      for (const n of names) lab.resetCounters(n);
    },
    'netvsc.refresh': () => tree.refresh(),
    // From the trace viewer: { trace, packet } replays that capture from that packet on.
    'netvsc.replayFrom': (arg) => {
      const a = arg as { trace?: string; packet?: number } | undefined;
      return a?.trace ? replays.pickAndRun(vscode.Uri.file(a.trace), 'eth0', a.packet ?? 1) : replays.pickAndRun();
    },
    'netvsc.replay': (arg) => replays.pickAndRun(arg instanceof vscode.Uri ? arg : undefined,
      typeof arg === 'string' ? deviceOf(arg) : 'eth0'),
    'netvsc.openConsole': () => console.show(),
    'netvsc.xdp.attach': (file, section) => xdp.attach(file, section),
    // From the tree's XDP node: the device comes from the node, the program from a file dialog.
    'netvsc.xdp.attachToDevice': (id) => xdp.attach(undefined, undefined, deviceOf(id)),
    'netvsc.xdp.detach': (id) => run(`ip link set dev ${deviceOf(id)} xdp off`),
    'netvsc.xdp.runOnTrace': (file, section) => xdp.runOnTrace(file, section),
    'netvsc.xdp.debug': (file, section) => xdp.debug(file, section),
    'netvsc.ethtool.runScript': (file) => xdp.runScript(file),
    'netvsc.openExamples': () => xdp.openExamples(),
    // The host hot-adds or removes the VF (the .ethtool scripts' `host vf` lines); the kernel log follows.
    'netvsc.vf.add': (id) => run(`host vf add dev ${deviceOf(id)}`),
    'netvsc.vf.remove': (id) => run(`host vf remove dev ${deviceOf(id)}`),
    'netvsc.vf.up': async (id) => run(`ip link set dev ${(await devices.lab()).device(deviceOf(id))?.vf?.name ?? 'enP1s1'} up`),
    'netvsc.vf.down': async (id) => run(`ip link set dev ${(await devices.lab()).device(deviceOf(id))?.vf?.name ?? 'enP1s1'} down`),
    'netvsc.toggleOffload': async (id) => {
      if (typeof id !== 'string') return;
      const [dev, , group, member] = id.split('/');
      const node = (await import('../core/view/deviceTree')).DeviceTreeModel;
      const on = new node(await devices.lab()).node(id)?.contextValue === 'offload-on';
      return run(`ethtool -K ${dev} ${member ?? group} ${on ? 'off' : 'on'}`);
    },
    'netvsc.setChannels': async (id) => {
      const dev = deviceOf(id);
      const d = (await devices.lab()).device(dev);
      const v = await vscode.window.showInputBox({ title: `Combined channels for ${dev}`, value: String(d?.numChn ?? 1), prompt: `1 to ${d?.maxChn ?? 1}` });
      if (v !== undefined) return run(`ethtool -L ${dev} combined ${v.trim()}`);
    },
    'netvsc.setFlowHash': async (id) => {
      if (typeof id !== 'string') return;
      const [dev, , key] = id.split('/');
      const flow = key.replace(/^flow-/, '');
      const pick = await vscode.window.showQuickPick([
        { label: 'sdfn', description: 'L4: IP addresses and ports' },
        { label: 'sd', description: 'L3: IP addresses only (keeps fragments of one datagram on one TX queue)' },
      ], { title: `rx-flow-hash ${flow} on ${dev}` });
      if (pick) return run(`ethtool -N ${dev} rx-flow-hash ${flow} ${pick.label}`);
    },
  };
  const outputs: vscode.TextDocumentContentProvider = {
    provideTextDocumentContent: async (uri) => {
      const r = (await devices.lab()).run(uri.path.split('/').slice(2).join('/'));
      return r.stdout + r.stderr;
    },
  };
  return [
    vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, outputs),
    ...Object.entries(table).map(([name, fn]) => vscode.commands.registerCommand(name, fn)),
  ];
}
