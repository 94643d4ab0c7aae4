import { MergeLinks } from '../../core/traceview/mergeLinks';
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { runScript, ScriptError } from '../../core/ethtool/script';
import { openCaptureFile } from '../../core/packet/fileSource';
import { traceToPcapng } from '../../core/trace/pcapngExport';
import { arenaFromGenerated, captureSource, Replayer, type PacketSource } from '../../core/netvsc/replay';
import { generateScenario, parseScenario, ScenarioError as PacketScenarioError } from '../../core/packet/scenario';
import { buildScenario, checkScenario, ScenarioError } from '../../core/netvsc/scenario';
import type { NetvscDevice } from '../../core/netvsc/device';
import { UsageError, type CliCommand } from '../io';
import { cliXdpLoader, openDevice, parseDeviceArgs, saveDevice, withDevice } from './ethtool';

const VALUE_OPTS = ['--pcap', '--scenario', '--script', '--xdp', '--section', '--vf', '-o', '--json', '--guest-mac'];

export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'Send a capture or a scenario through the device and summarise what happened to each packet',
  usage: 'Usage: netvsc-lab replay (--pcap F | --scenario F) [--state FILE] [--host PROFILE] [--cpus N]\n' +
    '         [--script S.ethtool] [--xdp OBJ_OR_C [--section SEC]] [--vf up|down|none] [--guest-mac MAC] [-o out.pcapng] [--json report.json]\n' +
    '  Capture frames whose source MAC is the device\'s are sent by the guest (TX); the rest are received.\n' +
    '  --guest-mac MAC sets the device\'s MAC first (the VM\'s address in your capture).\n' +
    '  Scenario: the traffic-scenario format (JSON or YAML: flows of type tcp-bulk, tcp-rr, udp, icmp-echo, syn-flood, mix,\n' +
    '  with direction rx|tx), or the benchmark\'s compact flow list ({ "flows": [ { "dir", "proto": "tcp"|"udp", … } ] }).',
  run(args, io) {
    const d = parseDeviceArgs(args, VALUE_OPTS);
    if (d.rest.length) throw new UsageError(`unexpected argument '${d.rest[0]}'`);
    const o = d.extra;
    if (o.has('--pcap') === o.has('--scenario')) throw new UsageError('give exactly one of --pcap or --scenario');
    const vf = o.get('--vf');
    if (vf !== undefined && !['up', 'down', 'none'].includes(vf)) throw new UsageError(`--vf must be up, down or none, got '${vf}'`);
    if (o.has('--section') && !o.has('--xdp')) throw new UsageError('--section needs --xdp');
    return withDevice(io, () => {
      const dev = openDevice(d, io);
      if (o.has('--script')) {
        const path = o.get('--script')!;
        let text: string;
        try { text = readFileSync(resolve(io.cwd, path), 'utf8'); } catch { io.err(`netvsc-lab replay: cannot read ${path}\n`); return 1; }
        try {
          const r = runScript(dev, text, { file: path, loadXdp: cliXdpLoader(io.cwd) });
          if (r.failed) io.err(`netvsc-lab replay: ${r.failed} command(s) of ${path} failed:\n${r.steps.filter((s) => s.exit).map((s) => `  line ${s.line}: ${s.command}: ${s.stderr.trim()}`).join('\n')}\n`);
        } catch (e) {
          if (e instanceof ScriptError) { io.err(`netvsc-lab replay: ${e.message}\n`); return 2; }
          throw e;
        }
      }
      if (o.has('--guest-mac')) {
        const r = dev.setMacAddress(o.get('--guest-mac')!.toLowerCase());
        if (r.err) throw new UsageError(`--guest-mac: not a usable unicast MAC address: '${o.get('--guest-mac')}'`);
      }
      if (vf === 'none' && dev.vf) dev.removeVf();
      if (vf === 'up' || vf === 'down') {
        if (!dev.vf) dev.addVf({ up: vf === 'up' });
        else dev.setVfUp(vf === 'up');
      }
      if (o.has('--xdp')) {
        const prog = cliXdpLoader(io.cwd)(o.get('--xdp')!, o.get('--section'));
        const r = dev.setXdp(prog);
        if (r.err) {
          // As `ip link set dev eth0 xdp ...` on Azure: LRO is on by default and the driver refuses.
          const hint = /not support LRO/.test(r.extack ?? '') ? `  (LRO is on: turn it off first, e.g. --script with the line 'ethtool -K ${dev.ifname} lro off')\n` : '';
          io.err(`netvsc-lab replay: cannot attach ${o.get('--xdp')}: Error: ${r.extack ?? r.err}\n${hint}`);
          return 1;
        }
      }
      let source: PacketSource;
      let capClose: (() => void) | undefined;
      let captureBytes: ((i: number) => Uint8Array) | undefined;
      if (o.has('--pcap')) {
        const path = resolve(io.cwd, o.get('--pcap')!);
        let cap;
        try { cap = openCaptureFile(path); } catch (e) { io.err(`netvsc-lab replay: ${o.get('--pcap')}: ${(e as Error).message}\n`); return 1; }
        if (cap.error) {
          const m = cap.error.message;
          io.err(`netvsc-lab replay: ${o.get('--pcap')}: ${m}${/\bbyte\b/.test(m) ? '' : ` (at byte ${cap.error.offset})`}\n`);
          cap.close();
          return 1;
        }
        source = captureSource(cap, dev.mac);
        capClose = () => cap.close();
        captureBytes = (i) => cap.packet(i);
      } else {
        const path = o.get('--scenario')!;
        let text: string;
        try { text = readFileSync(resolve(io.cwd, path), 'utf8'); } catch (e) { io.err(`netvsc-lab replay: ${path}: ${(e as Error).message}\n`); return 1; }
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        const flows = (json as { flows?: unknown[] } | undefined)?.flows;
        try {
          let arena;
          if (Array.isArray(flows) && flows.length > 0 && flows.every((f) => typeof f === 'object' && f !== null && 'proto' in f)) {
            // The compact flow list of the benchmark (netvsc/scenario.ts): `proto` instead of `type`.
            const sc = checkScenario(json, path);
            sc.guestMac ??= dev.mac;
            arena = buildScenario(sc);
          } else {
            // The house scenario format (packet/scenario.ts, JSON or YAML).
            arena = arenaFromGenerated(generateScenario(parseScenario(text, path)));
          }
          source = arena;
          const a = arena;
          captureBytes = (i) => a.arena.subarray(a.offsets[i], a.offsets[i] + a.lengths[i]);
        } catch (e) {
          if (e instanceof ScenarioError) { io.err(`netvsc-lab replay: ${e.message}\n`); return 1; }
          if (e instanceof PacketScenarioError) { io.err(`netvsc-lab replay: ${e.message.startsWith(path) ? '' : `${path}: `}${e.message}\n`); return 1; }
          throw e;
        }
      }
      const t0 = process.hrtime.bigint();
      // MergeLinks beside the trace: the pcapng names the packet each RSC/GRO-merged segment went into.
      const links = o.has('-o') ? new MergeLinks() : undefined;
      const rep = new Replayer(dev, source, links ? { sink: links } : {});
      rep.runAll();
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      io.out(replaySummaryText(rep, dev, secs));
      if (o.has('-o')) writePcapng(resolve(io.cwd, o.get('-o')!), rep, captureBytes!, source, links);
      if (o.has('--json')) writeJsonReport(resolve(io.cwd, o.get('--json')!), rep, dev);
      capClose?.();
      saveDevice(d, dev, io);
      return 0;
    });
  },
};

/**
 * The JSON report, streamed packet by packet to a temporary file and renamed: a million
 * records never become one string (V8 caps strings far below that size).
 */
function writeJsonReport(path: string, rep: Replayer, dev: NetvscDevice): void {
  const trace = rep.trace!;
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const head = {
      device: { host: dev.host.name, cpus: dev.cpus, channels: dev.numChn, ethtoolStats: Object.fromEntries(dev.stats.ethtoolStats()) },
      hostRecvBufferDrops: rep.pipeline.hostRecvBufferDrops, xdpPrintk: rep.pipeline.printk.slice(0, 1000),
    };
    writeSync(fd, `${JSON.stringify(head).slice(0, -1)},"trace":{"version":1,"summary":${JSON.stringify(trace.summary())},"packets":[`);
    let buf: string[] = [];
    for (let i = 0; i < trace.count; i++) {
      buf.push(JSON.stringify({ ...trace.record(i), stages: trace.stagesOf(i) }));
      if (buf.length === 4096 || i === trace.count - 1) { writeSync(fd, (i >= buf.length ? ',' : '') + buf.join(',')); buf = []; }
    }
    writeSync(fd, ']}}\n');
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
}

function atomicWrite(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function writePcapng(path: string, rep: Replayer, bytes: (i: number) => Uint8Array, src: PacketSource, links?: MergeLinks): void {
  atomicWrite(path, traceToPcapng(rep.trace!, { bytes, time: (i) => src.time(i), isTx: (i) => src.isTx(i) }, rep.device.ifname, links && ((i) => links.mergedInto(i))));
}

/** The replay summary: per-queue packets/bytes, XDP verdicts, drops by reason, RSC/GRO merges, VF vs synthetic. */
export function replaySummaryText(rep: Replayer, dev: NetvscDevice, secs?: number): string {
  const s = rep.trace!.summary();
  const lines: string[] = [];
  lines.push(`replayed ${s.packets} packets (${s.rx} rx, ${s.tx} tx, ${s.bytes} bytes)${secs !== undefined ? ` in ${secs.toFixed(3)} s` : ''} on ${dev.host.name}, ${dev.numChn} channel(s)`);
  lines.push('per queue (wire packets):', '  queue  rx_packets    rx_bytes  tx_packets    tx_bytes');
  for (const q of s.perQueue) lines.push(`  ${String(q.queue).padStart(5)}  ${String(q.rxPackets).padStart(10)}  ${String(q.rxBytes).padStart(10)}  ${String(q.txPackets).padStart(10)}  ${String(q.txBytes).padStart(10)}`);
  const kv = (o: Record<string, number>) => Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
  lines.push(`XDP verdicts: ${dev.xdp || Object.keys(s.xdpVerdicts).length ? kv(s.xdpVerdicts) : 'no program'}`);
  lines.push(`drops: ${kv(s.drops)}`);
  lines.push(`RSC: ${s.rscCoalesced} coalesced packets from ${s.rscSegments} segments`);
  lines.push(`GRO: ${s.groMerged} packets merged`);
  lines.push(`path: synthetic ${s.synthetic}, vf ${s.vf}`);
  if (rep.pipeline.hostRecvBufferDrops) lines.push(`host receive-buffer drops: ${rep.pipeline.hostRecvBufferDrops} (not counted by the guest driver)`);
  return lines.join('\n') + '\n';
}

export default replayCommand;
