// xdp_redirect_map: forward each frame to the device stored in a devmap slot chosen by the RX
// queue; an empty slot falls back to XDP_PASS (the low bits of the flags argument).
// Shows: BPF_MAP_TYPE_DEVMAP and bpf_redirect_map's action-on-miss flags.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx)
{
	__u32 slot = ctx->rx_queue_index & 7;
	return bpf_redirect_map(&tx_ports, slot, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
