import { NETVSC_HASH_KEY } from '../../core/netvsc/constants';
import { parseIpAddress, portBytes, ToeplitzKey } from '../../core/netvsc/toeplitz';
import { UsageError, type CliCommand } from '../io';

export const rssHashCommand: CliCommand = {
  name: 'rss-hash',
  summary: 'Print the Toeplitz RSS hash the Hyper-V host computes for a flow',
  usage: 'Usage: netvsc-lab rss-hash --src IP --dst IP [--sport N --dport N] [--key HEX]\n' +
    '  Without ports: the IP 2-tuple hash (what the host uses for UDP and IP fragments);\n' +
    '  with ports: the TCP 4-tuple hash. KEY: 40 bytes as hex (colons optional), default the driver\'s.',
  run(args, io) {
    const opt = new Map<string, string>();
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!['--src', '--dst', '--sport', '--dport', '--key'].includes(a)) throw new UsageError(`unknown option '${a}'`);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`option ${a} needs a value`);
      opt.set(a, v);
    }
    const src = parseIpAddress(opt.get('--src') ?? '');
    const dst = parseIpAddress(opt.get('--dst') ?? '');
    if (!opt.has('--src') || !opt.has('--dst')) throw new UsageError('--src and --dst are required');
    if (!src) throw new UsageError(`--src: not an IPv4 or IPv6 address: '${opt.get('--src')}'`);
    if (!dst) throw new UsageError(`--dst: not an IPv4 or IPv6 address: '${opt.get('--dst')}'`);
    if (src.length !== dst.length) throw new UsageError('--src and --dst must both be IPv4 or both IPv6');
    if (opt.has('--sport') !== opt.has('--dport')) throw new UsageError('--sport and --dport go together');
    const port = (name: string): number => {
      const v = opt.get(name)!;
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`${name}: not a port number (0..65535): '${v}'`);
      return Number(v);
    };
    let key = Uint8Array.from(NETVSC_HASH_KEY);
    if (opt.has('--key')) {
      const hex = opt.get('--key')!.replace(/[:\s-]/g, '');
      if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2) throw new UsageError('--key: not a hex byte string');
      key = Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
      const need = src.length * 2 + 4 + 4;
      if (key.length < need) throw new UsageError(`--key: ${key.length} bytes is too short for this input (need at least ${need})`);
    }
    const parts = [src, dst];
    if (opt.has('--sport')) parts.push(portBytes(port('--sport')), portBytes(port('--dport')));
    const h = new ToeplitzKey(key).hashTuple(parts);
    io.out(`0x${h.toString(16).padStart(8, '0')}\n`);
    return 0;
  },
};

export default rssHashCommand;
