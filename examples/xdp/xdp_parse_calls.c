// xdp_parse_calls: a layered parser split into static sub-programs (bpf-to-bpf calls).
// Shows: noinline static functions in .text called with `call pc+N` (R_BPF_64_32 relocations),
// a VLAN (802.1Q) tag skipped on the way, and TCP to port 22 turned away with XDP_DROP.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* Returns the L3 offset and the ethertype in *proto, or -1 when the frame is too short. */
static __attribute__((noinline)) int parse_eth(void *data, void *data_end, __u16 *proto)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	__u16 p = eth->h_proto;
	int off = sizeof(*eth);
	if (p == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return -1;
		p = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}
	*proto = p;
	return off;
}

/* Returns the TCP destination port (host order), 0 if the packet is not TCP, -1 if short. */
static __attribute__((noinline)) int tcp_dport(void *data, void *data_end)
{
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return -1;
	if (ip->protocol != IPPROTO_TCP)
		return 0;
	struct tcphdr *tcp = data + ip->ihl * 4;
	if ((void *)(tcp + 1) > data_end)
		return -1;
	return bpf_ntohs(tcp->dest);
}

SEC("xdp")
int xdp_parse_calls(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 proto = 0;

	int off = parse_eth(data, data_end, &proto);
	if (off < 0)
		return XDP_ABORTED;
	if (proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (off > 18)
		return XDP_ABORTED;
	int port = tcp_dport(data + off, data_end);
	if (port < 0)
		return XDP_ABORTED;
	return port == 22 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
