//! Where a receiver asks its SETs to be pushed, and whether the transmitter may go there.
//!
//! A receiver is untrusted: its `endpoint_url` must not make the transmitter call into its
//! own network (instance metadata on 169.254.169.254, a private service, Lambda's Runtime API
//! on 127.0.0.1). So an endpoint is `https`, its host is no address (or name resolving to an
//! address) that is not global unicast, and the check is made again on the addresses a name
//! resolves to before every delivery, the connection then going to the checked address: DNS
//! may answer differently the second time. `allow_loopback` (tests only) admits `http` and
//! `https` on a loopback address, and nothing else.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest `endpoint_url` accepted, in bytes.
pub const MAX_ENDPOINT_BYTES: usize = 2048;

/// Why an endpoint is refused (a 400 at creation; a failed delivery later).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointRefusal {
    /// Not an absolute `https` URL of at most [`MAX_ENDPOINT_BYTES`] with a host.
    #[error("endpoint_url must be an https URL with a host, at most 2048 bytes")]
    NotHttps,
    /// A user name or password in the URL: credentials belong in `authorization_header`.
    #[error("endpoint_url must not carry credentials")]
    Credentials,
    /// The host is, or resolves to, an address that is not global unicast.
    #[error("endpoint_url must reach a public address, not {0}")]
    NotGlobal(IpAddr),
    /// The name resolved to no address.
    #[error("endpoint_url's host resolves to no address")]
    Unresolved,
}

/// A receiver's push endpoint, checked as far as its text allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverEndpoint {
    url: String,
    host: String,
    port: u16,
    loopback_test: bool,
}

impl ReceiverEndpoint {
    /// Reads `url`; `allow_loopback` admits a loopback address over `http` or `https`
    /// (`SSF_ALLOW_LOOPBACK_RECEIVERS`, tests only).
    pub fn parse(url: &str, allow_loopback: bool) -> Result<Self, EndpointRefusal> {
        if url.len() > MAX_ENDPOINT_BYTES || url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(EndpointRefusal::NotHttps);
        }
        let (scheme, rest) = url.split_once("://").ok_or(EndpointRefusal::NotHttps)?;
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(EndpointRefusal::Credentials);
        }
        let (host, port) = split_host_port(authority).ok_or(EndpointRefusal::NotHttps)?;
        if host.is_empty() {
            return Err(EndpointRefusal::NotHttps);
        }
        let literal = literal_address(&host);
        let loopback_test = allow_loopback && literal.is_some_and(|ip| ip.is_loopback());
        let default_port = match (scheme.as_str(), loopback_test) {
            ("https", _) => 443,
            ("http", true) => 80,
            _ => return Err(EndpointRefusal::NotHttps),
        };
        if let Some(ip) = literal {
            if !loopback_test && !is_global_unicast(ip) {
                return Err(EndpointRefusal::NotGlobal(ip));
            }
        }
        Ok(Self {
            url: url.to_owned(),
            host,
            port: port.unwrap_or(default_port),
            loopback_test,
        })
    }

    /// The URL as the receiver gave it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The host, lower-cased, without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the connection is TLS (`https`).
    pub fn is_https(&self) -> bool {
        self.url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// The path and query to ask for (`/` when the URL has none); no fragment.
    pub fn path_and_query(&self) -> &str {
        let rest = self.url.split_once("://").map_or("", |(_, rest)| rest);
        let rest = rest.split('#').next().unwrap_or_default();
        match rest.find(['/', '?']) {
            Some(at) if rest[at..].starts_with('/') => &rest[at..],
            _ => "/",
        }
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to connect to, of those the host resolved to (a literal address resolves
    /// to itself): refused when any of them is not global unicast (a name that answers with
    /// a public and a private address is refused whole), or when there is none.
    pub fn connect_to(&self, resolved: &[IpAddr]) -> Result<IpAddr, EndpointRefusal> {
        if let Some(bad) = resolved
            .iter()
            .find(|ip| !(is_global_unicast(**ip) || (self.loopback_test && ip.is_loopback())))
        {
            return Err(EndpointRefusal::NotGlobal(*bad));
        }
        resolved.first().copied().ok_or(EndpointRefusal::Unresolved)
    }
}

/// `host[:port]`, a bracketed IPv6 literal included; the host lower-cased.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// The address a host names literally (an IPv4 dotted quad or an IPv6 literal).
fn literal_address(host: &str) -> Option<IpAddr> {
    host.parse::<IpAddr>().ok()
}

/// Whether `ip` is a global unicast address: none of loopback, private, link-local
/// (169.254.0.0/16, where instance metadata lives; fe80::/10), carrier-grade NAT
/// (100.64.0.0/10), unique-local (fc00::/7), "this network" (0.0.0.0/8), multicast,
/// unspecified, broadcast, the benchmarking, documentation and reserved ranges; an IPv6
/// address that embeds an IPv4 one (IPv4-mapped, NAT64, 6to4) is judged by the IPv4 one, and
/// Teredo is refused.
pub fn is_global_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && (18..20).contains(&b))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_global_v4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00 // unique-local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        || (s[0] & 0xe000) != 0x2000) // outside 2000::/3, the global unicast space
}

/// The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = |hi: u16, lo: u16| Ipv4Addr::from(((u32::from(hi)) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(tail(hi, lo)),
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) > (0, 1) => Some(tail(hi, lo)),
        [0x2002, hi, lo, ..] => Some(tail(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> EndpointRefusal {
        ReceiverEndpoint::parse(url, false).expect_err(url)
    }

    #[test]
    fn an_https_endpoint_of_a_public_host_is_accepted() {
        let endpoint =
            ReceiverEndpoint::parse("https://Receiver.Example.com/ssf/events?x=1", false).unwrap();
        assert_eq!(endpoint.host(), "receiver.example.com");
        assert_eq!(endpoint.port(), 443);
        let v6 = ReceiverEndpoint::parse("https://[2606:4700::1111]:8443/e", false).unwrap();
        assert_eq!((v6.host(), v6.port()), ("2606:4700::1111", 8443));
    }

    #[test]
    fn plain_http_credentials_and_odd_urls_are_refused() {
        for url in [
            "http://receiver.example.com/e",
            "ftp://receiver.example.com/e",
            "receiver.example.com/e",
            "https:///e",
            "https://receiver.example.com:0/e",
            "https://receiver.example.com:99999/e",
            "https://[::1/e",
            "https://receiver.example.com/e\nx",
        ] {
            assert_eq!(refused(url), EndpointRefusal::NotHttps, "{url}");
        }
        assert_eq!(
            refused("https://user:pass@receiver.example.com/e"),
            EndpointRefusal::Credentials
        );
        let long = format!(
            "https://receiver.example.com/{}",
            "a".repeat(MAX_ENDPOINT_BYTES)
        );
        assert_eq!(refused(&long), EndpointRefusal::NotHttps);
    }

    #[test]
    fn every_address_that_is_not_global_unicast_is_refused_in_each_form() {
        for host in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "[::1]",
            "[::]",
            "[fc00::1]",
            "[fd12:3456::1]",
            "[fe80::1]",
            "[ff02::1]",
            "[::ffff:169.254.169.254]",
            "[::ffff:127.0.0.1]",
            "[::ffff:a9fe:a9fe]",
            "[64:ff9b::a9fe:a9fe]",
            "[2002:a9fe:a9fe::1]",
            "[2001:0:4136:e378::1]",
            "[2001:db8::1]",
        ] {
            let url = format!("https://{host}/e");
            assert!(
                matches!(refused(&url), EndpointRefusal::NotGlobal(_)),
                "{url}"
            );
        }
        for host in [
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "[2606:4700::1111]",
            "[::ffff:8.8.8.8]",
        ] {
            let url = format!("https://{host}/e");
            assert!(ReceiverEndpoint::parse(&url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn a_name_is_checked_on_what_it_resolves_to_and_one_private_answer_refuses_it() {
        let endpoint = ReceiverEndpoint::parse("https://receiver.example.com/e", false).unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        assert_eq!(endpoint.connect_to(&[public]), Ok(public));
        assert_eq!(
            endpoint.connect_to(&[public, metadata]),
            Err(EndpointRefusal::NotGlobal(metadata))
        );
        assert_eq!(endpoint.connect_to(&[]), Err(EndpointRefusal::Unresolved));
    }

    #[test]
    fn loopback_receivers_are_admitted_only_when_tests_ask_and_nothing_else_is() {
        assert!(ReceiverEndpoint::parse("http://127.0.0.1:8080/e", true).is_ok());
        assert!(ReceiverEndpoint::parse("https://[::1]:8443/e", true).is_ok());
        assert!(ReceiverEndpoint::parse("http://127.0.0.1:8080/e", false).is_err());
        assert!(ReceiverEndpoint::parse("http://10.0.0.1/e", true).is_err());
        assert!(ReceiverEndpoint::parse("http://localhost/e", true).is_err());
        let local = ReceiverEndpoint::parse("http://127.0.0.1:8080/e", true).unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(local.connect_to(&["127.0.0.1".parse().unwrap()]).is_ok());
        assert!(local.connect_to(&[private]).is_err());
    }
}
