/** Network interfaces (netdev, netclass), conntrack, ARP, sockets (sockstat, tcpstat, udp_queues) and /proc/net/{netstat,snmp}. */
import type { NodeState } from "../model";
import { type NodeFamily, counter, gauge, gaugeCounter, nics, nicsWithSpeed, speedNicIndex, total, untypedCounter, untypedGauge } from "./common";

const RX_PACKET = 900;
const TX_PACKET = 700;
const rxPackets = (s: NodeState, i: number) => s.rxBytes[i] / RX_PACKET;
const txPackets = (s: NodeState, i: number) => s.txBytes[i] / TX_PACKET;
const dev = ["device"];
const allRx = (s: NodeState) => total(s.rxBytes);
const allTx = (s: NodeState) => total(s.txBytes);
const segsIn = (s: NodeState) => (0.9 * allRx(s)) / RX_PACKET;
const segsOut = (s: NodeState) => (0.9 * allTx(s)) / TX_PACKET;
const TCP_STATES: [string, (s: NodeState) => number][] = [
  ["established", (s) => s.established],
  ["syn_sent", () => 1],
  ["syn_recv", () => 0],
  ["fin_wait1", () => 0],
  ["fin_wait2", (s) => Math.round(0.02 * s.established)],
  ["time_wait", (s) => Math.round(0.6 * s.established)],
  ["close", () => 0],
  ["close_wait", () => 1],
  ["last_ack", () => 0],
  ["listen", () => 12],
  ["closing", () => 0],
  ["rx_queued_bytes", () => 0],
  ["tx_queued_bytes", (s) => Math.round(s.established * 20)],
];

export const networkFamilies: NodeFamily[] = [
  counter("node_network_receive_bytes_total", "Bytes received by the interface.", (s, i) => s.rxBytes[i], dev, nics),
  counter("node_network_transmit_bytes_total", "Bytes sent by the interface.", (s, i) => s.txBytes[i], dev, nics),
  counter("node_network_receive_packets_total", "Packets received.", rxPackets, dev, nics),
  counter("node_network_transmit_packets_total", "Packets sent.", txPackets, dev, nics),
  counter("node_network_receive_errs_total", "Receive errors.", (s, i) => rxPackets(s, i) * s.rxErr[i], dev, nics),
  counter("node_network_transmit_errs_total", "Transmit errors.", (s, i) => txPackets(s, i) * s.txErr[i], dev, nics),
  counter("node_network_receive_drop_total", "Received packets dropped.", (s, i) => rxPackets(s, i) * (0.00002 + s.rxErr[i] / 4), dev, nics),
  counter("node_network_transmit_drop_total", "Packets dropped before sending.", (s, i) => txPackets(s, i) * s.txErr[i] / 4, dev, nics),
  counter("node_network_receive_fifo_total", "Receive FIFO overruns.", () => 0, dev, nics),
  counter("node_network_transmit_fifo_total", "Transmit FIFO underruns.", () => 0, dev, nics),
  counter("node_network_receive_frame_total", "Frames received with alignment errors.", (s, i) => rxPackets(s, i) * s.rxErr[i] / 10, dev, nics),
  counter("node_network_receive_compressed_total", "Compressed packets received.", () => 0, dev, nics),
  counter("node_network_transmit_compressed_total", "Compressed packets sent.", () => 0, dev, nics),
  counter("node_network_receive_multicast_total", "Multicast packets received.", (s, i) => (s.layout.nics[i].speedBits ? 0.2 : 0), dev, nics),
  counter("node_network_receive_nohandler_total", "Packets received for a protocol no handler took.", () => 0, dev, nics),
  counter("node_network_transmit_colls_total", "Collisions while sending.", () => 0, dev, nics),
  counter("node_network_transmit_carrier_total", "Carrier losses while sending.", (s, i) => txPackets(s, i) * s.txErr[i] / 20, dev, nics),
  gauge("node_network_up", "1 when the interface's operational state is up.", () => 1, dev, nics),
  gauge("node_network_carrier", "1 when the interface has a carrier (link).", () => 1, dev, nics),
  gauge("node_network_speed_bytes", "Link speed in bytes per second.", (s, i) => s.layout.nics[speedNicIndex(s.layout, i)].speedBits! / 8, dev, nicsWithSpeed),
  gauge("node_network_mtu_bytes", "Largest packet the interface sends.", (s, i) => s.layout.nics[i].mtu, dev, nics),
  gauge(
    "node_network_info",
    "Non-numeric facts of an interface; the value is always 1.",
    () => 1,
    ["address", "broadcast", "device", "duplex", "ifalias", "operstate"],
    (L) => L.nics.map((n) => [n.address, n.speedBits ? "ff:ff:ff:ff:ff:ff" : "00:00:00:00:00:00", n.device, n.speedBits ? "full" : "", "", n.speedBits ? "up" : "unknown"]),
  ),
  gauge("node_arp_entries", "ARP entries per interface.", () => 6, dev, nicsWithSpeed),
  gauge("node_nf_conntrack_entries", "Number of currently allocated flow entries for connection tracking.", (s) => s.conntrack),
  gauge("node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.", (s) => s.layout.conntrackLimit),
  // /proc/net/stat/nf_conntrack summed over the CPUs, as the conntrack collector exposes it (gauges, with its HELP texts).
  // A full table evicts what it may (early_drop) and drops the flows it cannot place (drop, insert_failed).
  gaugeCounter("node_nf_conntrack_stat_found", "Number of searched entries which were successful.", (s) => 3 * s.newFlows),
  gaugeCounter("node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked.", (s) => 0.01 * s.newFlows),
  gaugeCounter("node_nf_conntrack_stat_ignore", "Number of packets seen which are already connected to a conntrack entry.", (s) => 0.5 * s.newFlows),
  gaugeCounter("node_nf_conntrack_stat_insert", "Number of entries inserted into the list.", (s) => s.newFlows - s.conntrackDrops),
  gaugeCounter("node_nf_conntrack_stat_insert_failed", "Number of entries for which list insertion was attempted but failed.", (s) => 0.1 * s.conntrackDrops),
  gaugeCounter("node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure.", (s) => s.conntrackDrops),
  gaugeCounter(
    "node_nf_conntrack_stat_early_drop",
    "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.",
    (s) => (s.conntrackDrops > 0 ? 0.4 * s.newFlows : 0),
  ),
  gaugeCounter("node_nf_conntrack_stat_search_restart", "Number of conntrack table lookups which had to be restarted due to hashtable resizes.", () => 0),
  gauge("node_sockstat_sockets_used", "Sockets in use, all protocols.", (s) => 2 * s.established + 150),
  gauge("node_sockstat_TCP_inuse", "TCP sockets in use.", (s) => s.established + 12),
  gauge("node_sockstat_TCP_alloc", "TCP sockets allocated.", (s) => s.established + 20),
  gauge("node_sockstat_TCP_orphan", "TCP sockets no process holds.", () => 0),
  gauge("node_sockstat_TCP_tw", "TCP sockets in TIME_WAIT.", (s) => Math.round(0.6 * s.established)),
  gauge("node_sockstat_TCP_mem", "Pages of memory TCP sockets use.", (s) => tcpPages(s)),
  gauge("node_sockstat_TCP_mem_bytes", "Bytes of memory TCP sockets use.", (s) => tcpPages(s) * 4096),
  gauge("node_sockstat_UDP_inuse", "UDP sockets in use.", () => 8),
  gauge("node_sockstat_UDP_mem", "Pages of memory UDP sockets use.", () => 4),
  gauge("node_sockstat_UDP_mem_bytes", "Bytes of memory UDP sockets use.", () => 4 * 4096),
  gauge("node_sockstat_UDPLITE_inuse", "UDP-Lite sockets in use.", () => 0),
  gauge("node_sockstat_RAW_inuse", "Raw sockets in use.", () => 1),
  gauge("node_sockstat_FRAG_inuse", "IP fragment queues in use.", () => 0),
  gauge("node_sockstat_FRAG_memory", "Memory IP fragment queues use.", () => 0),
  gauge(
    "node_tcp_connection_states",
    "TCP connections per state (and bytes queued).",
    (s, i) => TCP_STATES[i][1](s),
    ["state"],
    () => TCP_STATES.map(([state]) => [state]),
  ),
  gauge("node_udp_queues", "Bytes queued in UDP sockets.", () => 0, ["ip", "queue"], () => [["v4", "rx"], ["v4", "tx"], ["v6", "rx"], ["v6", "tx"]]),
  untypedCounter("node_netstat_IpExt_InOctets", "IP bytes received.", allRx),
  untypedCounter("node_netstat_IpExt_OutOctets", "IP bytes sent.", allTx),
  untypedCounter("node_netstat_Tcp_InSegs", "TCP segments received.", segsIn),
  untypedCounter("node_netstat_Tcp_OutSegs", "TCP segments sent.", segsOut),
  untypedCounter("node_netstat_Tcp_ActiveOpens", "TCP connections this host opened.", (s) => 0.02 * s.established),
  untypedCounter("node_netstat_Tcp_PassiveOpens", "TCP connections this host accepted.", (s) => 0.05 * s.established),
  untypedCounter("node_netstat_Tcp_RetransSegs", "TCP segments sent again.", (s) => 0.001 * segsOut(s)),
  untypedCounter("node_netstat_Tcp_InErrs", "TCP segments received with errors.", () => 0),
  untypedCounter("node_netstat_Tcp_OutRsts", "TCP resets sent.", (s) => 0.005 * s.established),
  untypedCounter("node_netstat_TcpExt_ListenOverflows", "Times a listen queue overflowed.", () => 0),
  untypedCounter("node_netstat_TcpExt_ListenDrops", "Connection requests dropped at a listen queue.", () => 0),
  untypedCounter("node_netstat_TcpExt_TCPSynRetrans", "SYN segments sent again.", (s) => 0.0005 * s.established),
  untypedCounter("node_netstat_TcpExt_TCPTimeouts", "TCP retransmission timeouts.", (s) => 0.001 * s.established),
  untypedCounter("node_netstat_TcpExt_TCPRcvQDrop", "Segments dropped because the receive queue was full.", () => 0),
  untypedCounter("node_netstat_TcpExt_TCPOFOQueue", "Segments queued because they arrived out of order.", (s) => 0.0002 * segsIn(s)),
  untypedCounter("node_netstat_TcpExt_SyncookiesSent", "SYN cookies sent.", () => 0),
  untypedCounter("node_netstat_TcpExt_SyncookiesRecv", "SYN cookies received back.", () => 0),
  untypedCounter("node_netstat_TcpExt_SyncookiesFailed", "SYN cookies that did not check out.", () => 0),
  untypedCounter("node_netstat_Udp_InDatagrams", "UDP datagrams received.", () => 15),
  untypedCounter("node_netstat_Udp_OutDatagrams", "UDP datagrams sent.", () => 15),
  untypedCounter("node_netstat_Udp_InErrors", "UDP datagrams received with errors.", () => 0),
  untypedCounter("node_netstat_Udp_NoPorts", "UDP datagrams to a port nobody listens on.", () => 0.05),
  untypedCounter("node_netstat_Udp_RcvbufErrors", "UDP datagrams dropped for a full receive buffer.", () => 0),
  untypedCounter("node_netstat_Udp_SndbufErrors", "UDP datagrams dropped for a full send buffer.", () => 0),
  untypedCounter("node_netstat_UdpLite_InErrors", "UDP-Lite datagrams received with errors.", () => 0),
  untypedCounter("node_netstat_Icmp_InMsgs", "ICMP messages received.", () => 0.1),
  untypedCounter("node_netstat_Icmp_OutMsgs", "ICMP messages sent.", () => 0.1),
  untypedCounter("node_netstat_Icmp_InErrors", "ICMP messages received with errors.", () => 0),
  untypedGauge("node_netstat_Tcp_CurrEstab", "TCP connections established or closing from the other side now.", (s) => s.established + 1),
  untypedGauge("node_netstat_Tcp_MaxConn", "Limit on TCP connections (-1: none).", () => -1),
  gauge("node_bonding_active", "Bond slaves that are up.", (s, i) => s.bondActive[i], ["master"], (L) => L.bonds.map((b) => [b.master])),
  gauge("node_bonding_slaves", "Slaves of a bond.", (s, i) => s.layout.bonds[i].slaves, ["master"], (L) => L.bonds.map((b) => [b.master])),
];

function tcpPages(s: NodeState): number {
  return Math.round(s.established * 1.5 + 10);
}
