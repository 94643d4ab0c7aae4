// Documentation the XDP assists show besides the generated helper table: struct xdp_md fields,
// enum xdp_action and what hv_netvsc does with each verdict, the bpf_helpers.h macros and the map
// constants an XDP program names. Values: include/uapi/linux/bpf.h; netvsc behaviour: netvsc_run_xdp().

export interface XdpMdField {
  name: string;
  offset: number;
  doc: string;
}

/** struct xdp_md: six __u32, 24 bytes. */
export const XDP_MD_FIELDS: readonly XdpMdField[] = [
  { name: 'data', offset: 0, doc: 'Start of the packet. Load it as `(void *)(long)ctx->data`: the verifier rewrites this 32-bit load into a full packet pointer (`pkt`). Every access through it must be proven below `data_end` first.' },
  { name: 'data_end', offset: 4, doc: 'One past the last packet byte (`pkt_end`). Compare `data + N` against it before reading N bytes; arithmetic on it is rejected (`pointer arithmetic on pkt_end prohibited`).' },
  { name: 'data_meta', offset: 8, doc: 'Start of the metadata area in front of `data` (`pkt_meta`), grown with `bpf_xdp_adjust_meta()`; equals `data` when there is none.' },
  { name: 'ingress_ifindex', offset: 12, doc: 'ifindex of the device the frame arrived on (`eth0` here). Under BPF_PROG_TEST_RUN without a context it is 1 (loopback).' },
  { name: 'rx_queue_index', offset: 16, doc: 'RX queue (VMBus channel) the frame arrived on: the host\'s RSS choice through the indirection table.' },
  { name: 'egress_ifindex', offset: 20, doc: 'ifindex of the egress device, for programs attached to a devmap entry; 0 otherwise.' },
];

export interface ConstantDoc {
  name: string;
  value: number;
  doc: string;
}

/** enum xdp_action, with what hv_netvsc does with each verdict (netvsc_run_xdp). */
export const XDP_ACTIONS: readonly ConstantDoc[] = [
  { name: 'XDP_ABORTED', value: 0, doc: 'Program error: the frame is dropped and the `xdp_exception` tracepoint fires. hv_netvsc counts it in `rx_queue_N_xdp_drop`.' },
  { name: 'XDP_DROP', value: 1, doc: 'Drop the frame. hv_netvsc counts it in `rx_queue_N_xdp_drop`.' },
  { name: 'XDP_PASS', value: 2, doc: 'Hand the frame to the network stack. hv_netvsc builds an skb around the page and continues with normal receive (GRO).' },
  { name: 'XDP_TX', value: 3, doc: 'Send the (possibly rewritten) frame back out of the queue it arrived on. hv_netvsc transmits it through the normal xmit path (through the VF when the data path is VF) and counts `rx_queue_N_xdp_tx`.' },
  { name: 'XDP_REDIRECT', value: 4, doc: 'Redirect to the target chosen by `bpf_redirect()` / `bpf_redirect_map()`. hv_netvsc counts `rx_queue_N_xdp_redirect`; a failed redirect is dropped and counted in `rx_queue_N_xdp_drop`. Supported since ≈5.19 (older kernels dropped it as an invalid action).' },
];

export const XDP_CONSTANTS: readonly ConstantDoc[] = [
  { name: 'XDP_PACKET_HEADROOM', value: 256, doc: 'Headroom in front of the packet: how far `bpf_xdp_adjust_head()` can grow the frame at the front.' },
  { name: 'BPF_ANY', value: 0, doc: '`bpf_map_update_elem` flag: create a new entry or update an existing one.' },
  { name: 'BPF_NOEXIST', value: 1, doc: '`bpf_map_update_elem` flag: create only; fails with `-EEXIST` if the key exists (always fails on arrays).' },
  { name: 'BPF_EXIST', value: 2, doc: '`bpf_map_update_elem` flag: update only; fails with `-ENOENT` if the key does not exist.' },
  { name: 'BPF_F_LOCK', value: 4, doc: '`bpf_map_update_elem` flag: update the value under its `struct bpf_spin_lock`.' },
  { name: 'BPF_MAP_TYPE_HASH', value: 1, doc: 'Hash table. A lookup may miss: check the result for NULL (`R0 invalid mem access \'map_value_or_null\'` otherwise).' },
  { name: 'BPF_MAP_TYPE_ARRAY', value: 2, doc: 'Array indexed by a `__u32` key, all entries preallocated and zeroed; entries cannot be deleted.' },
  { name: 'BPF_MAP_TYPE_PROG_ARRAY', value: 3, doc: 'Program array for `bpf_tail_call()`.' },
  { name: 'BPF_MAP_TYPE_PERCPU_HASH', value: 5, doc: 'Hash table with one value per CPU.' },
  { name: 'BPF_MAP_TYPE_PERCPU_ARRAY', value: 6, doc: 'Array with one value per CPU: counters without atomics.' },
  { name: 'BPF_MAP_TYPE_LRU_HASH', value: 9, doc: 'Hash table that evicts the least recently used entry when full.' },
  { name: 'BPF_MAP_TYPE_LPM_TRIE', value: 11, doc: 'Longest-prefix-match trie; keys start with a `__u32` prefix length.' },
  { name: 'BPF_MAP_TYPE_DEVMAP', value: 14, doc: 'Array of net devices for `bpf_redirect_map()`.' },
  { name: 'BPF_MAP_TYPE_CPUMAP', value: 16, doc: 'Array of CPUs for `bpf_redirect_map()`: the frame continues on another CPU.' },
  { name: 'BPF_MAP_TYPE_XSKMAP', value: 17, doc: 'Array of AF_XDP sockets for `bpf_redirect_map()`.' },
  { name: 'BPF_MAP_TYPE_DEVMAP_HASH', value: 25, doc: 'Hash of net devices (keyed by ifindex) for `bpf_redirect_map()`.' },
  { name: 'BPF_MAP_TYPE_RINGBUF', value: 27, doc: 'Ring buffer to user space (`bpf_ringbuf_output/reserve/submit`).' },
];

export interface MacroDoc {
  name: string;
  signature: string;
  params: string[];
  doc: string;
}

/** Macros of libbpf's bpf_helpers.h / bpf_endian.h an XDP program uses. */
export const BPF_MACROS: readonly MacroDoc[] = [
  { name: 'SEC', signature: 'SEC(name)', params: ['name'], doc: 'Places the function or variable in ELF section `name`. libbpf derives the program type from it: `"xdp"`, `"xdp/…"` and `"xdp.frags"` (multi-buffer) load as XDP programs; `".maps"` holds BTF-defined maps; `"license"` the licence string.' },
  { name: 'bpf_printk', signature: 'bpf_printk(fmt, args...)', params: ['fmt', 'args...'], doc: 'printk-style debug output to the trace pipe: `bpf_trace_printk()` (helper 6) with up to 3 arguments, `bpf_trace_vprintk()` (helper 177) with more. The format string is stored in `.rodata`.' },
  { name: '__uint', signature: '__uint(name, val)', params: ['name', 'val'], doc: 'BTF map definition field with an integer value (`type`, `max_entries`, `map_flags`, `pinning`): encoded as `int (*name)[val]`, so the value is the array size in BTF.' },
  { name: '__type', signature: '__type(name, val)', params: ['name', 'val'], doc: 'BTF map definition field with a type (`key`, `value`): encoded as `typeof(val) *name`; the size comes from BTF.' },
  { name: '__array', signature: '__array(name, val)', params: ['name', 'val'], doc: 'BTF map definition of inner maps or programs (`values`) for map-in-map and prog_array.' },
  { name: 'bpf_htons', signature: 'bpf_htons(x)', params: ['x'], doc: '16-bit host to network byte order (a constant folds at compile time). From `bpf/bpf_endian.h`.' },
  { name: 'bpf_ntohs', signature: 'bpf_ntohs(x)', params: ['x'], doc: '16-bit network to host byte order. From `bpf/bpf_endian.h`.' },
  { name: 'bpf_htonl', signature: 'bpf_htonl(x)', params: ['x'], doc: '32-bit host to network byte order. From `bpf/bpf_endian.h`.' },
  { name: 'bpf_ntohl', signature: 'bpf_ntohl(x)', params: ['x'], doc: '32-bit network to host byte order. From `bpf/bpf_endian.h`.' },
];
