"""Agencies' webhook endpoints: which URLs may be subscribed and posted to, and a POST pinned to the vetted address.

A URL is refused unless it is https (http only with ENVIRONMENT=development|test) and every address its host
resolves to is a public one: loopback, private, shared (CGNAT), link-local, multicast, reserved, unspecified and
cloud-metadata addresses are refused, also when hidden in an IPv4-mapped, 6to4, Teredo or NAT64 address.
`WEBHOOK_ALLOW_PRIVATE=true` (never in production) lets loopback and private networks through for tests and the
demo; link-local and metadata addresses stay refused. The check runs at subscription and again at each delivery,
after resolving the name; the delivery then connects to the address it vetted (no second lookup a rebinding DNS
server could answer differently), sending the name as Host header and TLS SNI, and follows no redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = {
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
}
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
RESOLVE_TIMEOUT_SECONDS = 3.0


class EndpointRefused(Exception):
    """A URL or an address webhooks must not reach; the message says why."""


@dataclass(frozen=True)
class EndpointPolicy:
    allow_http: bool = False
    allow_private: bool = False


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    address: IpAddress


def _embedded(address: IpAddress) -> list[IpAddress]:
    """The address and any IPv4 address carried inside an IPv6 one."""
    found: list[IpAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            found.append(address.ipv4_mapped)
        if address.sixtofour:
            found.append(address.sixtofour)
        if address.teredo:
            found.append(address.teredo[1])
        if address in NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: IpAddress, policy: EndpointPolicy) -> str | None:
    """What kind of address webhooks may not reach `address` is ("a loopback address ..."), or None."""
    for a in _embedded(address):
        if a in METADATA:
            return "a cloud metadata address"
        if a.is_link_local:
            return "a link-local address"
        if a.is_multicast:
            return "a multicast address"
        if a.is_unspecified:
            return "the unspecified address"
        if a.is_loopback or any(a in net for net in PRIVATE_NETWORKS if net.version == a.version):
            if not policy.allow_private:
                return f"a {'loopback' if a.is_loopback else 'private'} address (webhooks go to public endpoints only)"
            continue
        if a.is_reserved or not a.is_global:
            return "a reserved address"
    return None


def parse(url: str, policy: EndpointPolicy) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise EndpointRefused(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise EndpointRefused("must be an https URL with a host")
    if parsed.scheme == "http" and not policy.allow_http:
        raise EndpointRefused("must be https (http only with ENVIRONMENT=development or test)")
    if parsed.userinfo:
        raise EndpointRefused("must not carry a user name or password")
    return parsed


async def resolve(host: str) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout=RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError) as exc:
        raise EndpointRefused(f"{host} does not resolve ({type(exc).__name__})") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))
    if not addresses:
        raise EndpointRefused(f"{host} does not resolve")
    return addresses


async def vet(url: str, policy: EndpointPolicy) -> Target:
    """The URL and the address to connect to; refused if any address the name resolves to is refused (a name
    with one public and one internal address is a rebinding attempt as much as a mistake)."""
    parsed = parse(url, policy)
    addresses = await resolve(parsed.host)
    for address in addresses:
        reason = refusal(address, policy)
        if reason is not None:
            literal = str(address) == parsed.host.strip("[]")
            where = f"{address} is" if literal else f"{parsed.host} resolves to {address},"
            raise EndpointRefused(f"{where} {reason}")
    return Target(url=parsed, address=addresses[0])


async def post_pinned(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST to the vetted address with the URL's name as Host and SNI; the status code (the body is not read)."""
    pinned = target.url.copy_with(host=str(target.address))
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    host_header = target.url.netloc.decode("ascii")
    async with (
        httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        client.stream(
            "POST", pinned, content=body, headers={**headers, "Host": host_header}, extensions=extensions
        ) as response,
    ):
        return response.status_code
