//! Address allocation as a property: for any range, node count, cluster count and name
//! prefix, the addresses never overlap, stay in the range (one /24 per cluster, .10-.254,
//! none of the taken ones), and the same inputs give the same answer; a refusal happens only
//! when the clusters really do not fit.
use ipnet::Ipv4Net;
use mlk::fleet::alloc::{FIRST_HOST, LAST_HOST, allocate};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// How many clusters of `nodes` fit: per /24 block, its free usable addresses / nodes.
fn capacity(net: Ipv4Net, nodes: usize, taken: &BTreeSet<Ipv4Addr>) -> usize {
    let (lo, hi) = (u32::from(net.network()), u32::from(net.broadcast()));
    let mut blocks: std::collections::BTreeMap<u32, usize> = Default::default();
    for a in (lo..=hi).map(Ipv4Addr::from) {
        if (FIRST_HOST..=LAST_HOST).contains(&a.octets()[3]) && !taken.contains(&a) {
            *blocks.entry(u32::from(a) >> 8).or_default() += 1;
        }
    }
    blocks.values().map(|n| n / nodes).sum()
}

fn network() -> impl Strategy<Value = Ipv4Net> {
    (any::<u32>(), 20u8..=30)
        .prop_map(|(a, len)| Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_overlap_within_range_deterministic(
        net in network(),
        nodes in 1usize..6,
        count in 1usize..80,
        prefix in "[a-z][a-z0-9]{0,10}",
        taken_raw in proptest::collection::vec(any::<u16>(), 0..20),
    ) {
        let base = u32::from(net.network());
        let size = 1u32 << (32 - net.prefix_len());
        let taken: BTreeSet<Ipv4Addr> =
            taken_raw.iter().map(|t| Ipv4Addr::from(base + u32::from(*t) % size)).collect();
        let names = mlk::fleet::names::numbered(&prefix, count).unwrap();
        prop_assert_eq!(names.len(), count);
        let distinct: BTreeSet<&str> = names.iter().map(|m| m.cluster.as_str()).collect();
        prop_assert_eq!(distinct.len(), count, "names are unique");
        for m in &names {
            prop_assert!(mlk::cluster::ClusterName::check(&m.cluster).is_ok(), "{}", m.cluster);
        }
        let first = allocate(net, nodes, count, &taken);
        prop_assert_eq!(&first, &allocate(net, nodes, count, &taken), "deterministic");
        let fits = capacity(net, nodes, &taken) >= count;
        match first {
            Ok(clusters) => {
                prop_assert!(fits, "allocated more than fits");
                prop_assert_eq!(clusters.len(), count);
                let mut seen = BTreeSet::new();
                for c in &clusters {
                    prop_assert_eq!(c.len(), nodes);
                    let block = u32::from(c[0]) >> 8;
                    for a in c {
                        prop_assert!(net.contains(a), "{a} outside {net}");
                        prop_assert!((FIRST_HOST..=LAST_HOST).contains(&a.octets()[3]), "{a}");
                        prop_assert_eq!(u32::from(*a) >> 8, block, "a cluster stays in one /24");
                        prop_assert!(!taken.contains(a), "{a} was taken");
                        prop_assert!(seen.insert(*a), "{a} given twice");
                    }
                }
            }
            Err(e) => {
                prop_assert!(!fits, "refused although {count} fit: {e}");
                prop_assert!(e.placed < count);
            }
        }
    }
}
