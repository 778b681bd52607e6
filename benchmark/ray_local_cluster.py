"""A Ray cluster of several nodes on this one machine, to try `benchmark/run.py --cluster ray` without a cluster.

    python benchmark/ray_local_cluster.py --nodes 2 --cpus-per-node 1
    # in another shell, with the address it prints:
    python benchmark/run.py --scripts reinforce_cartpole.py --seeds 1 2 --cluster ray --ray-address <address>

Each node is a separate set of Ray processes (Ray's own `ray.cluster_utils.Cluster`), so tasks are
scheduled, shipped and returned as on separate machines. Ctrl-C stops the cluster.
"""

import argparse
import signal
import sys

from ray.cluster_utils import Cluster


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--cpus-per-node", type=int, default=1)
    args = parser.parse_args()
    if args.nodes < 1 or args.cpus_per_node < 1:
        print("error: --nodes and --cpus-per-node must be at least 1", file=sys.stderr)
        sys.exit(2)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": args.cpus_per_node})
    for _ in range(args.nodes - 1):
        cluster.add_node(num_cpus=args.cpus_per_node)
    cluster.wait_for_nodes()
    print(f"{args.nodes} nodes of {args.cpus_per_node} CPUs at {cluster.address} (Ctrl-C stops them)", flush=True)
    # Ctrl-C or a kill stops the cluster (a shell ignores SIGINT for commands it starts with &)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    main()
