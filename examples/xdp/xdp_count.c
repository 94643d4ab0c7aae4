// xdp_count: count frames per RX queue (a per-CPU array) and bytes per IP protocol (a hash map).
// Shows: BTF-defined maps in SEC(".maps"), bpf_map_lookup_elem on an array (the kernel knows a
// constant in-range key cannot miss) and on a hash (must be NULL-checked), bpf_map_update_elem
// with BPF_NOEXIST, and an atomic add.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_QUEUES 64

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u64);
} rxq_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u8);
	__type(value, struct proto_stats);
} proto_stats SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 queue = ctx->rx_queue_index;
	__u64 *qcnt = bpf_map_lookup_elem(&rxq_packets, &queue);

	if (qcnt)
		*qcnt += 1;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;

	__u8 proto = ip->protocol;
	__u64 len = data_end - data;
	struct proto_stats *st = bpf_map_lookup_elem(&proto_stats, &proto);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, len);
	} else {
		struct proto_stats init = { .packets = 1, .bytes = len };
		bpf_map_update_elem(&proto_stats, &proto, &init, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
