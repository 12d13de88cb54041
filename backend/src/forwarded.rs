//! The client's address behind reverse proxies and load balancers.
//!
//! Login throttling counts failures per client address. Behind a load
//! balancer every connection comes from the balancer, so without this one
//! attacker's failures would lock a user out for everybody. Only proxies the
//! operator lists in `TRUSTED_PROXIES` are believed: anyone can send an
//! `X-Forwarded-For` header, and believing it from an untrusted peer would
//! let an attacker pick a fresh "address" for every guess.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The address of the client: the connection's peer, unless the peer is a
/// trusted proxy, in which case `X-Forwarded-For` is read from the right
/// (each proxy appends the address it received the request from) and the
/// first address that is not itself a trusted proxy is the client.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    // A server listening on `[::]` sees IPv4 peers as `::ffff:a.b.c.d`; as
    // such they would match no IPv4 network, and count apart from the same
    // client seen over IPv4.
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several X-Forwarded-For headers are one list, in order (RFC 9110 5.3).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // Something that is not an address was written by whoever sent it
        // to the last trusted hop: that sender is the client we know of.
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// An address as proxies write it: `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`,
/// with or without a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// `TRUSTED_PROXIES`: comma-separated addresses or CIDR networks.
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or a network like 10.0.0.0/8"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn resolve(peer: &str, xff: &[&str], trusted: &str) -> IpAddr {
        client_ip(ip(peer), &headers(xff), &parse_trusted(trusted).unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(resolve("203.0.113.9", &["1.1.1.1"], ""), ip("203.0.113.9"));
        assert_eq!(
            resolve("203.0.113.9", &["1.1.1.1"], "10.0.0.0/8"),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
        assert_eq!(
            resolve("10.0.0.2", &["198.51.100.7"], "10.0.0.0/8"),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn addresses_the_client_prepended_itself_are_ignored() {
        // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the
        // real address.
        assert_eq!(
            resolve("10.0.0.2", &["1.1.1.1, 198.51.100.7"], "10.0.0.0/8"),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked_from_the_right() {
        assert_eq!(
            resolve(
                "10.0.0.2",
                &["198.51.100.7, 10.0.0.5", "10.0.0.3"],
                "10.0.0.0/8"
            ),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn all_hops_trusted_leaves_the_leftmost() {
        assert_eq!(
            resolve("10.0.0.2", &["10.0.0.9"], "10.0.0.0/8"),
            ip("10.0.0.9")
        );
    }

    #[test]
    fn without_the_header_the_proxy_is_the_client() {
        assert_eq!(resolve("10.0.0.2", &[], "10.0.0.0/8"), ip("10.0.0.2"));
    }

    #[test]
    fn garbage_stops_at_the_last_address_known() {
        assert_eq!(
            resolve("10.0.0.2", &["198.51.100.7, not-an-ip"], "10.0.0.0/8"),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv4_mapped_peers_are_ipv4() {
        assert_eq!(
            resolve("::ffff:10.0.0.2", &["198.51.100.7"], "10.0.0.0/8"),
            ip("198.51.100.7")
        );
        assert_eq!(resolve("::ffff:203.0.113.9", &[], ""), ip("203.0.113.9"));
    }

    #[test]
    fn ports_and_brackets_are_understood() {
        assert_eq!(
            resolve("::1", &["[2001:db8::5]:4711"], "::1"),
            ip("2001:db8::5")
        );
        assert_eq!(resolve("::1", &["[2001:db8::5]"], "::1"), ip("2001:db8::5"));
        assert_eq!(
            resolve("::1", &["198.51.100.7:80"], "::1"),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_setting_takes_addresses_and_networks() {
        let nets = parse_trusted(" 10.0.0.0/8, 127.0.0.1 ,::1,").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.example").is_err());
        assert!(parse_trusted("").unwrap().is_empty());
    }
}
