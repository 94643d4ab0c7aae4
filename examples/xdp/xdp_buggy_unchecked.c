// xdp_buggy_unchecked: a DELIBERATE BUG. The IPv4 header is read after checking only that the
// Ethernet header fits, so the verifier rejects the program with
//   invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)
//   R1 offset is outside of the packet
// Fix: check `(void *)(ip + 1) > data_end` before reading ip->protocol.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_buggy_unchecked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	struct iphdr *ip = (void *)(eth + 1);
	if (ip->protocol == IPPROTO_ICMP)   /* BUG: ip + 1 was never checked against data_end */
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
