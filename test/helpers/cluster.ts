// A real 3-node JetStream cluster for the cluster and partition tests (launcher shared with the demo
// and the benchmarks in scripts/lib): named nodes n1…n3 on loopback, kill / pause /
// resume / restart by name, stream, consumer and meta leaders looked up from the servers.
export { freePort, startCluster } from "../../scripts/lib/nats-cluster.mjs";
export type { Cluster, ClusterNode, Partition } from "../../scripts/lib/nats-cluster.mjs";
