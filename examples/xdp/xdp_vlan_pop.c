// xdp_vlan_pop: strip an 802.1Q tag (decapsulation with bpf_xdp_adjust_head), and trim frames
// longer than 128 bytes with bpf_xdp_adjust_tail. Everything goes back out with XDP_TX.
// Shows: moving the MAC addresses before shrinking the head, re-reading data/data_end after a
// helper that changes them (the verifier forgets packet ranges across these calls).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define VLAN_HLEN 4
#define MAX_LEN 128

SEC("xdp")
int xdp_vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) + VLAN_HLEN > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		/* Slide dst+src MAC forward over the tag, then drop the first 4 bytes. */
		__u8 *p = data;
		for (int i = 11; i >= 0; i--)
			p[i + VLAN_HLEN] = p[i];
		if (bpf_xdp_adjust_head(ctx, VLAN_HLEN))
			return XDP_ABORTED;
	}

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	long len = data_end - data;
	if (len > MAX_LEN) {
		if (bpf_xdp_adjust_tail(ctx, (int)(MAX_LEN - len)))
			return XDP_ABORTED;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
