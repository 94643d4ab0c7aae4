// The lab: the set of emulated devices one VS Code window (or one CLI run) works with, and the
// one place a typed command line (`ethtool …`, `ip link …`) is routed to the device it names.
// The tree view, the console, the language server's "Run on eth0" and the CLI all go through it.
import { runEthtool, type EthtoolResult } from '../ethtool/executor';
import { parseEthtool, tokenizeLine } from '../ethtool/grammar';
import { NetvscDevice } from '../netvsc/device';
import { NetvscStats } from '../netvsc/stats';
import { Emitter } from '../netvsc/events';
import type { HostProfileName } from '../netvsc/hostProfile';
import { parseIpLink, runIpLink, type XdpLoader } from '../ethtool/ipLink';
import { hostVf } from '../ethtool/script';

export interface LabEvents {
  /** A device was added or removed. */
  devices: { added?: string; removed?: string };
  /** Something of a device changed: `what` as in DeviceEvents.state, or 'counters'. */
  changed: { dev: string; what: string };
  /** A kernel log line of any device. */
  log: { dev: string; line: string; level: 'info' | 'warn' | 'err' };
}

export type CommandResult = EthtoolResult;

export class Lab {
  readonly events = new Emitter<LabEvents>();
  private readonly byName = new Map<string, NetvscDevice>();
  private readonly unsubscribe = new Map<string, (() => void)[]>();

  /** `loadXdp` loads the object of `ip link set … xdp obj F sec S` (reading files is the caller's business). */
  constructor(private readonly opts: { loadXdp?: XdpLoader } = {}) {}

  /** Devices that live elsewhere (a debug session's) and that views follow, read-only. */
  private readonly followed = new Map<string, () => NetvscDevice | undefined>();

  /** The lab's own devices: commands go to these. */
  get devices(): NetvscDevice[] { return [...this.byName.values()]; }

  /**
   * What an XDP_REDIRECT from `dev` can reach besides `dev` and its own VF: the other devices
   * (and their VFs) that are up; all have ndo_xdp_xmit. (Their counters are not updated: a
   * replay runs one device.)
   */
  redirectTargets(dev: NetvscDevice): number[] {
    const out: number[] = [];
    for (const d of this.byName.values()) {
      if (d === dev) continue;
      if (d.up) out.push(d.ifindex);
      if (d.vf?.up) out.push(d.vf.ifindex);
    }
    return out;
  }

  device(name: string): NetvscDevice | undefined { return this.byName.get(name) ?? this.followed.get(name)?.(); }

  /** Names views show: the lab's devices, then the followed ones that exist now. */
  names(): string[] { return [...this.byName.keys(), ...[...this.followed.keys()].filter((n) => this.followed.get(n)!())]; }

  isFollowed(name: string): boolean { return this.followed.has(name) && !this.byName.has(name); }

  /**
   * Shows a device owned elsewhere under `name` (e.g. the debugger's, which it rebuilds when it
   * steps back: hence a getter). Calling it again says the device moved on (views refresh).
   */
  follow(name: string, device: () => NetvscDevice | undefined): void {
    const known = this.followed.has(name);
    this.followed.set(name, device);
    if (known) this.events.emit('changed', { dev: name, what: 'followed' });
    else this.events.emit('devices', { added: name });
  }

  unfollow(name: string): void {
    if (this.followed.delete(name)) this.events.emit('devices', { removed: name });
  }

  /** The next free `ethN` name. */
  nextName(): string {
    for (let i = 0; ; i++) if (!this.byName.has(`eth${i}`)) return `eth${i}`;
  }

  /** Probes a new netvsc device (as a hot-added synthetic NIC would be). */
  addDevice(opts: { host?: HostProfileName; cpus?: number; ifname?: string; mtu?: number } = {}): NetvscDevice {
    const ifname = opts.ifname ?? this.nextName();
    if (this.byName.has(ifname)) throw new Error(`device ${ifname} already exists`);
    // Distinct seeds give each device its own MAC and VMBus instance id, as on a real VM.
    const d = new NetvscDevice({ host: opts.host, cpus: opts.cpus, mtu: opts.mtu, ifname, options: { seed: 1 + this.byName.size } });
    d.ifindex = 2 + this.byName.size * 2;
    this.byName.set(ifname, d);
    this.unsubscribe.set(ifname, [
      d.events.on('state', (e) => this.events.emit('changed', { dev: ifname, what: e.what })),
      d.events.on('counters', () => this.events.emit('changed', { dev: ifname, what: 'counters' })),
      d.events.on('log', (e) => this.events.emit('log', { dev: e.dev, line: e.line, level: e.level })),
    ]);
    this.events.emit('devices', { added: ifname });
    return d;
  }

  removeDevice(name: string): boolean {
    if (!this.byName.delete(name)) return false;
    for (const off of this.unsubscribe.get(name) ?? []) off();
    this.unsubscribe.delete(name);
    this.events.emit('devices', { removed: name });
    return true;
  }

  /**
   * Tells views a command ran on a device: even a refused one can change what ethtool shows
   * (`off [requested on]` after `-K lro on` with XDP attached), without a device state event.
   */
  private announce<T>(d: NetvscDevice, result: T): T {
    this.events.emit('changed', { dev: d.ifname, what: 'command' });
    return result;
  }

  /**
   * Zeroes a device's counters, as unloading and reloading hv_netvsc would (ethtool itself has no
   * way to do it); the configuration stays.
   */
  resetCounters(name: string): boolean {
    const d = this.byName.get(name);
    if (!d) return false;
    d.stats = new NetvscStats(d.cpus, d.numChn);
    this.events.emit('changed', { dev: name, what: 'counters' });
    return true;
  }

  /**
   * Runs one command line as a shell would hand it to ethtool: the output, the error text and the
   * exit status the real tool gives. Unknown programs answer like bash does.
   */
  run(line: string): CommandResult {
    const tokens = tokenizeLine(line);
    if (tokens.length === 0) return { stdout: '', stderr: '', exit: 0 };
    const [prog, ...rest] = tokens;
    if (prog.text === 'ethtool') {
      const parsed = parseEthtool(rest);
      const dev = parsed.request && 'dev' in parsed.request ? parsed.request.dev : undefined;
      // ethtool answers "no such device" itself; any device can stand in to say so.
      const target = (dev && this.byName.get(dev)) || this.devices[0];
      if (!target) return { stdout: '', stderr: `Cannot get device settings: No such device\n`, exit: 75 };
      return this.announce(target, runEthtool(target, rest));
    }
    if (prog.text === 'ip') {
      const argv = rest.map((t) => t.text);
      const req = parseIpLink(argv);
      const dev = 'dev' in req ? req.dev : undefined;
      // `ip link set dev enP1s1 …` names a VF: the netvsc device that owns it answers.
      const target = (dev && (this.byName.get(dev) ?? this.devices.find((d) => d.vf?.name === dev))) || this.devices[0];
      if (!target) return { stdout: '', stderr: `Cannot find device "${dev ?? ''}"\n`, exit: 1 };
      if (dev && !this.byName.has(dev) && target.vf?.name !== dev) return { stdout: '', stderr: `Cannot find device "${dev}"\n`, exit: 1 };
      if ('kind' in req && req.kind === 'show' && dev === undefined) {
        const shown = this.devices.map((d) => runIpLink(d, argv, this.opts.loadXdp));
        return { stdout: shown.map((r) => r.stdout).join(''), stderr: shown.map((r) => r.stderr).join(''), exit: Math.max(...shown.map((r) => r.exit)) };
      }
      try {
        return this.announce(target, runIpLink(target, argv, this.opts.loadXdp));
      } catch (e) {
        // The loader's message names the file (and the verifier's reason): what `ip` would print.
        return { stdout: '', stderr: `${e instanceof Error ? e.message : String(e)}\n`, exit: 1 };
      }
    }
    if (prog.text === 'host' && rest[0]?.text === 'vf') {
      // The host's side, as in .ethtool scripts: `host vf add|remove [dev DEV]` (eth0 by default).
      const words = rest.slice(1).map((t) => t.text);
      const devAt = words.indexOf('dev');
      const target = devAt >= 0 ? this.byName.get(words[devAt + 1] ?? '') : this.devices[0];
      if (devAt >= 0) words.splice(devAt, 2);
      if (!target) return { stdout: '', stderr: 'host vf: no such device\n', exit: 1 };
      // The host acts and the guest kernel logs it (dmesg): show those lines, as the scripts' transcript does.
      const lines: string[] = [];
      const off = target.events.on('log', (e) => lines.push(`[kernel] ${e.line}\n`));
      let r;
      try { r = hostVf(target, words); } finally { off(); }
      const kernel = lines.join('');
      return this.announce(target, { ...r, stdout: kernel + r.stdout });
    }
    return { stdout: '', stderr: `${prog.text}: command not found\n`, exit: 127 };
  }
}
