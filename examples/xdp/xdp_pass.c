// xdp_pass: the smallest XDP program. Every frame goes on to the kernel stack (XDP_PASS).
// Shows: a program section (SEC("xdp")), a license, nothing else.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
