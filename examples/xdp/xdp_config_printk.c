// xdp_config_printk: behaviour set through `const volatile` globals (.rodata, which a loader may
// patch before load) and a log line per packet with bpf_printk (read it with
// `cat /sys/kernel/debug/tracing/trace_pipe` on a real system; the emulator captures it).
// Shows: .rodata / .data / .bss global data as one-entry array maps, bpf_trace_printk formats.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 min_len = 60;      /* frames shorter than this are dropped */
const volatile __u8 verbose = 1;
__u32 seen;                             /* .bss */
__u32 dropped_short = 0;                /* .bss as well (zero) */
__u16 last_proto = 0xffff;              /* .data */

SEC("xdp")
int xdp_config_printk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;

	seen++;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	last_proto = bpf_ntohs(eth->h_proto);
	if (verbose)
		bpf_printk("len=%u proto=0x%x seen=%u", len, last_proto, seen);
	if (len < min_len) {
		dropped_short++;
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
