package io.robit.faults;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClusterNodesTest {
    private static final String NODES = """
            07c37dfe 127.0.0.1:30004@40004 slave e7d1eecc 0 1426238317239 4 connected
            67ed2db8 127.0.0.1:30002@40002 master - 0 1426238316232 2 connected 5461-10922
            292f8b36 127.0.0.1:30003@40003 master - 0 1426238318243 3 connected 10923-16383 [16000->-67ed2db8]
            e7d1eecc 127.0.0.1:30001@40001,host myself,master - 0 0 1 connected 0-5460
            """;

    @Test
    void findsTheMasterServingASlot() {
        assertThat(ClusterNodes.masterOf(NODES, 0)).isEqualTo(30001);
        assertThat(ClusterNodes.masterOf(NODES, 5460)).isEqualTo(30001);
        assertThat(ClusterNodes.masterOf(NODES, 5461)).isEqualTo(30002);
        assertThat(ClusterNodes.masterOf(NODES, 16383)).isEqualTo(30003);
    }

    @Test
    void skipsFailedMastersAndDisconnectedOnes() {
        assertThat(ClusterNodes.masterOf(NODES.replace("master - 0 1426238316232", "master,fail - 0 1426238316232"), 6000)).isZero();
        assertThat(ClusterNodes.masterOf(NODES.replace("master - 0 1426238316232", "master,fail? - 0 1426238316232"), 6000)).isZero();
        assertThat(ClusterNodes.masterOf(NODES.replace("2 connected 5461", "2 disconnected 5461"), 6000)).isZero();
        assertThat(ClusterNodes.masterOf(NODES.replace("30003@40003 master", "30003@40003 slave"), 11000)).isZero();
    }
}
