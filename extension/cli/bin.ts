// The `netvsc-lab` program as shipped: dist/cli.js loads this ES module (split per command).
import { main } from './main';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
