//! Address allocation for a fleet: every node of every cluster gets its own address in one
//! network range, deterministically (same inputs, same answer) and without overlap.
//!
//! Vagrant gives each private-network address a /24 netmask, and each /24 is its own host-only
//! network: nodes of one cluster must share a /24 to reach each other, so a cluster never
//! straddles two. In each /24, addresses below `.10` (the host's side is `.1`; mlk's profiles
//! start at `.10`) and `.255` (broadcast) are never given out. Addresses `taken` (other
//! clusters of the home, other fleets) are skipped.
use ipnet::Ipv4Net;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Lowest last octet given out in each /24.
pub const FIRST_HOST: u8 = 10;
/// Highest last octet given out (.255 is the broadcast address).
pub const LAST_HOST: u8 = 254;

/// Why a fleet does not fit its range, with the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRoom {
    pub network: Ipv4Net,
    pub clusters: usize,
    pub nodes_per_cluster: usize,
    /// Clusters that found room before the range ran out.
    pub placed: usize,
    /// Usable addresses in the range (not taken), all /24 blocks together.
    pub free: usize,
}

impl std::fmt::Display for NoRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} clusters of {} node(s) need {} addresses in {}, each cluster within one /24 (.{}-.{}); \
             only {} cluster(s) fit ({} free addresses): use a larger --network or fewer clusters",
            self.clusters,
            self.nodes_per_cluster,
            self.clusters * self.nodes_per_cluster,
            self.network,
            FIRST_HOST,
            LAST_HOST,
            self.placed,
            self.free
        )
    }
}

/// The usable addresses of `network` in one /24 block, in order.
fn blocks(network: Ipv4Net) -> Vec<Vec<Ipv4Addr>> {
    let net = network.trunc();
    // A range smaller than a /24 is one block; a larger one is split into its /24s.
    let subnets: Vec<Ipv4Net> = if net.prefix_len() >= 24 {
        vec![net]
    } else {
        net.subnets(24).map(|s| s.collect()).unwrap_or_default()
    };
    subnets
        .into_iter()
        .map(|s| {
            let lo = u32::from(s.network());
            let hi = u32::from(s.broadcast());
            (lo..=hi)
                .map(Ipv4Addr::from)
                .filter(|a| (FIRST_HOST..=LAST_HOST).contains(&a.octets()[3]))
                .collect()
        })
        .collect()
}

/// Addresses for `clusters` clusters of `nodes` nodes each, in cluster order: the first free
/// run of `nodes` addresses in the lowest /24 that still has one, walking upwards.
pub fn allocate(
    network: Ipv4Net,
    nodes: usize,
    clusters: usize,
    taken: &BTreeSet<Ipv4Addr>,
) -> Result<Vec<Vec<Ipv4Addr>>, NoRoom> {
    let blocks = blocks(network);
    let free: usize = blocks
        .iter()
        .flatten()
        .filter(|a| !taken.contains(a))
        .count();
    let mut out = Vec::with_capacity(clusters);
    let mut block = 0;
    let mut pos = 0;
    while out.len() < clusters && nodes > 0 {
        let Some(b) = blocks.get(block) else { break };
        let mut got = Vec::with_capacity(nodes);
        while pos < b.len() && got.len() < nodes {
            if !taken.contains(&b[pos]) {
                got.push(b[pos]);
            }
            pos += 1;
        }
        if got.len() == nodes {
            out.push(got);
        } else {
            block += 1;
            pos = 0;
        }
    }
    if out.len() < clusters {
        return Err(NoRoom {
            network,
            clusters,
            nodes_per_cluster: nodes,
            placed: out.len(),
            free,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn fills_a_24_from_dot_10_then_moves_on() {
        let a = allocate(net("192.168.56.0/21"), 3, 2, &BTreeSet::new()).unwrap();
        assert_eq!(a[0][0], Ipv4Addr::new(192, 168, 56, 10));
        assert_eq!(a[1], [13, 14, 15].map(|o| Ipv4Addr::new(192, 168, 56, o)));
        // 245 usable per /24: 81 clusters of 3 fill the first, the 82nd starts the next /24.
        let a = allocate(net("192.168.56.0/21"), 3, 82, &BTreeSet::new()).unwrap();
        assert_eq!(a[80][2], Ipv4Addr::new(192, 168, 56, 252));
        assert_eq!(a[81][0], Ipv4Addr::new(192, 168, 57, 10));
    }

    #[test]
    fn skips_taken_addresses_and_refuses_with_the_numbers() {
        let taken: BTreeSet<Ipv4Addr> = [Ipv4Addr::new(192, 168, 56, 11)].into();
        let a = allocate(net("192.168.56.0/24"), 2, 2, &taken).unwrap();
        assert_eq!(
            a,
            vec![
                vec![
                    Ipv4Addr::new(192, 168, 56, 10),
                    Ipv4Addr::new(192, 168, 56, 12)
                ],
                vec![
                    Ipv4Addr::new(192, 168, 56, 13),
                    Ipv4Addr::new(192, 168, 56, 14)
                ],
            ]
        );
        let e = allocate(net("192.168.56.0/24"), 100, 3, &BTreeSet::new()).unwrap_err();
        assert_eq!((e.placed, e.free), (2, 245));
        let text = e.to_string();
        assert!(text.contains("3 clusters of 100 node(s) need 300 addresses in 192.168.56.0/24"));
        assert!(text.contains("only 2 cluster(s) fit (245 free addresses)"));
    }
}
