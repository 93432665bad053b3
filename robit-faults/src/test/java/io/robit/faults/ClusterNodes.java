package io.robit.faults;

/** Reads the output of Redis's {@code CLUSTER NODES}: which master serves a slot. Stateless. */
final class ClusterNodes {
    private ClusterNodes() {
    }

    /**
     * The client port of the master that serves {@code slot} according to {@code nodes} (one line
     * per node: id, {@code ip:port@busport}, flags, master id, ping, pong, epoch, link state, slot
     * ranges), skipping masters flagged failed or suspected; 0 if there is none.
     */
    static int masterOf(String nodes, int slot) {
        for (String line : nodes.split("\\R")) {
            String[] fields = line.strip().split(" ");
            if (fields.length < 9) {
                continue;
            }
            boolean master = false;
            boolean failing = false;
            for (String flag : fields[2].split(",")) {
                master |= flag.equals("master");
                failing |= flag.startsWith("fail") || flag.equals("noaddr") || flag.equals("handshake");
            }
            if (!master || failing || !fields[7].equals("connected") && !fields[2].contains("myself")) {
                continue;
            }
            for (int i = 8; i < fields.length; i++) {
                if (fields[i].startsWith("[")) {
                    continue; // a slot being migrated or imported
                }
                String[] range = fields[i].split("-");
                int from = Integer.parseInt(range[0]);
                int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                if (from <= slot && slot <= to) {
                    String address = fields[1].split("@")[0];
                    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
                }
            }
        }
        return 0;
    }
}
