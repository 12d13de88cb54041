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
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several X-Forwarded-For headers are one list, in order (RFC 9110 5.3).
    // Split the raw bytes, not a decoded string: a client can put bytes that
    // are not UTF-8 to the left of what our proxy appended, and that must
    // not hide the proxy's entry. Empty items (a trailing comma) are no hops.
    let hops: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|hop| !hop.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // Something that is not an address was written by whoever sent it
        // to the last trusted hop: that sender is the client we know of.
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = canonical(ip);
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// One address per client however it is written: a server listening on
/// `[::]` sees IPv4 peers as `::ffff:a.b.c.d`, and a proxy may write the old
/// IPv4-compatible `::a.b.c.d`; as such they would match no IPv4 network and
/// count apart from the same client seen over IPv4. (`::` and `::1` are
/// IPv6's own unspecified and loopback addresses, not IPv4 ones.)
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
                return IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(s[6]) << 16) | u32::from(s[7]),
                ));
            }
            ip
        }
        v4 => v4,
    }
}

/// The key a client is counted by: its address, or for IPv6 its /64, the
/// block one subscriber is given (it could otherwise change address at will).
pub fn network_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => IpNet::new(IpAddr::V6(v6), 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

/// An address as proxies write it: `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`,
/// with or without a port; IPv4 octets may have leading zeros (`001.1.1.1`,
/// read as decimal, as most proxies and `inet_pton`-style parsers write them).
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?;
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    if let Some(inner) = hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse().ok();
    }
    let host = match hop.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => hop,
    };
    ipv4_with_leading_zeros(host).map(IpAddr::V4)
}

/// `001.002.003.004`: four decimal octets of up to three digits each.
fn ipv4_with_leading_zeros(text: &str) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts
        .next()
        .is_none()
        .then(|| std::net::Ipv4Addr::from(octets))
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
        let raw: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        raw_headers(&raw)
    }

    fn raw_headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", HeaderValue::from_bytes(v).unwrap());
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

    #[test]
    fn bytes_that_are_not_utf8_do_not_hide_the_proxys_entry() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let map = raw_headers(&[b"\xff\xfe, 7.7.7.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &map, &trusted), ip("7.7.7.1"));
        let map = raw_headers(&[b"\xff\xfe", b"7.7.7.2"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &map, &trusted), ip("7.7.7.2"));
    }

    #[test]
    fn empty_items_are_no_hops() {
        assert_eq!(
            resolve("10.0.0.2", &["7.7.7.1,"], "10.0.0.0/8"),
            ip("7.7.7.1")
        );
        assert_eq!(
            resolve("10.0.0.2", &["7.7.7.1, ,"], "10.0.0.0/8"),
            ip("7.7.7.1")
        );
    }

    #[test]
    fn leading_zeros_are_decimal_octets() {
        assert_eq!(
            resolve("10.0.0.2", &["001.1.1.1"], "10.0.0.0/8"),
            ip("1.1.1.1")
        );
        assert_eq!(
            resolve("10.0.0.2", &["010.000.000.009:8080"], "10.0.0.0/8"),
            ip("10.0.0.9")
        );
        assert_eq!(ipv4_with_leading_zeros("1.1.1"), None);
        assert_eq!(ipv4_with_leading_zeros("1.1.1.1.1"), None);
        assert_eq!(ipv4_with_leading_zeros("256.1.1.1"), None);
        assert_eq!(ipv4_with_leading_zeros("0001.1.1.1"), None);
    }

    #[test]
    fn ipv4_compatible_and_mapped_addresses_are_ipv4() {
        for written in ["::1.1.1.1", "::ffff:1.1.1.1", "1.1.1.1"] {
            assert_eq!(
                resolve("10.0.0.2", &[written], "10.0.0.0/8"),
                ip("1.1.1.1"),
                "{written}"
            );
        }
        // IPv6's own loopback and unspecified addresses stay IPv6.
        assert_eq!(canonical(ip("::1")), ip("::1"));
        assert_eq!(canonical(ip("::")), ip("::"));
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(network_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(
            network_key(ip("2001:db8:1:2:ffff::1")),
            network_key(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            network_key(ip("2001:db8:1:3::1")),
            network_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(network_key(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(network_key(ip("::ffff:198.51.100.7")), "198.51.100.7");
    }
}
