/**
 * Colouring rules of the packet list, Wireshark's idea (View ▸ Coloring Rules: the first matching
 * rule wins) with the device's own rules in front: drops and XDP drops are what people look for.
 * Rules test the row's flags and device columns, so a page is coloured without re-dissecting.
 * Colours are CSS variables (`--ntv-row-*`) the webview's stylesheet maps to the theme.
 *
 * API
 *   COLOUR_RULES            the rules, in evaluation order (name, the display filter they stand for, css var)
 *   colourOf(flags, xdp, drop) -> 0 (no rule) or 1 + rule index
 */
import { ROW_FRAGMENT, ROW_MALFORMED, ROW_TCP, ROW_TCP_PROBLEM, ROW_TCP_RST, ROW_TCP_SYNFIN, ROW_UDP, type ColourRuleInfo } from './protocol';

export const COLOUR_RULES: readonly ColourRuleInfo[] = [
  { name: 'XDP drop', filter: 'xdp.verdict == XDP_DROP || xdp.verdict == XDP_ABORTED', cssVar: '--ntv-row-xdp-drop' },
  { name: 'Dropped by the device', filter: 'netvsc.drop_reason', cssVar: '--ntv-row-drop' },
  { name: 'Malformed', filter: '_ws.malformed', cssVar: '--ntv-row-malformed' },
  { name: 'Bad TCP', filter: 'tcp.analysis.flags', cssVar: '--ntv-row-bad-tcp' },
  { name: 'TCP RST', filter: 'tcp.flags.reset == 1', cssVar: '--ntv-row-tcp-rst' },
  { name: 'Fragments', filter: 'ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fragment', cssVar: '--ntv-row-fragment' },
  { name: 'XDP TX/REDIRECT', filter: 'xdp.verdict == XDP_TX || xdp.verdict == XDP_REDIRECT', cssVar: '--ntv-row-xdp-tx' },
  { name: 'TCP SYN/FIN', filter: 'tcp.flags & 0x03', cssVar: '--ntv-row-tcp-synfin' },
  { name: 'TCP', filter: 'tcp', cssVar: '--ntv-row-tcp' },
  { name: 'UDP', filter: 'udp', cssVar: '--ntv-row-udp' },
];

const XDP_ABORTED = 0, XDP_DROP = 1, XDP_TX = 3, XDP_REDIRECT = 4;

export function colourOf(flags: number, xdp: number, drop: number): number {
  if (xdp === XDP_DROP || xdp === XDP_ABORTED) return 1;
  if (drop !== 0) return 2;
  if (flags & ROW_MALFORMED) return 3;
  if (flags & ROW_TCP_PROBLEM) return 4;
  if (flags & ROW_TCP_RST) return 5;
  if (flags & ROW_FRAGMENT) return 6;
  if (xdp === XDP_TX || xdp === XDP_REDIRECT) return 7;
  if (flags & ROW_TCP_SYNFIN) return 8;
  if (flags & ROW_TCP) return 9;
  if (flags & ROW_UDP) return 10;
  return 0;
}
