"""Where webhooks may be delivered: never to this machine, the internal network or a cloud metadata service (SSRF),
unless the deployment allows a network it really delivers to. Checked when subscribing and again, against what
the name resolves to then, before every delivery (DNS rebinding)."""
import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal too


def networks(allowed: list[str]) -> list[Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in allowed]


def refused_address(address: str, allowed: list[Network]) -> str | None:
    """Why an address may not be called (None: it may)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return None
    for reason, hit in (("loopback", ip.is_loopback), ("link-local or metadata", ip.is_link_local),
                        ("private", ip.is_private or ip in _SHARED), ("multicast", ip.is_multicast),
                        ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved)):
        if hit:
            return f"{address} is a {reason} address"
    return None


async def refused(url: str, allowed: list[Network], *, unresolved_ok: bool = False) -> str | None:
    """Why a webhook URL may not be called now (None: every address its host resolves to may be). A host that does
    not resolve (yet) may be subscribed (`unresolved_ok`); it is never called."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return "the URL has no host"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        return None if unresolved_ok else f"{host} does not resolve: {exc}"
    for *_, sockaddr in infos:
        reason = refused_address(sockaddr[0], allowed)
        if reason is not None:
            return reason
    return None
