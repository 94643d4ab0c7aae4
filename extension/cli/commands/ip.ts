import { runIpLink } from '../../core/ethtool/ipLink';
import type { CliCommand } from '../io';
import { cliXdpLoader, openDevice, parseDeviceArgs, saveDevice, withDevice } from './ethtool';

export const ipCommand: CliCommand = {
  name: 'ip',
  summary: 'Run an `ip link` command (mtu, up/down, xdp, show) against the emulated device',
  usage: 'Usage: netvsc-lab ip [--state FILE] [--host PROFILE] [--cpus N] -- link set dev eth0 mtu N | up | down\n' +
    '       netvsc-lab ip … -- link set dev eth0 xdp obj PROG.o [sec SECTION] | xdp off\n' +
    '       netvsc-lab ip … -- [-s [-s]] link show [dev eth0]      (-s: the driver counters, as ip -s link shows them)',
  run(args, io) {
    const d = parseDeviceArgs(args);
    return withDevice(io, () => {
      const dev = openDevice(d, io);
      const r = runIpLink(dev, d.rest, cliXdpLoader(io.cwd));
      io.out(r.stdout);
      io.err(r.stderr);
      saveDevice(d, dev, io);
      return r.exit;
    });
  },
};

export default ipCommand;
