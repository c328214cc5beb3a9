"""The one CIDR parser: NPL003 (``validate.py``) and the engine (``analysis/ipblocks.py``).

Both must agree on what a CIDR is, or a block NPL003 passes is one the engine silently
matches nothing with.  The reference is Go's ``net.ParseCIDR`` (what CNI plugins parse
``ipBlock.cidr`` with):

* exactly ``ADDR/BITS``, split at the first ``/``; nothing around it (no blanks);
* ``ADDR`` as ``netip.ParseAddr``: IPv4 as four decimal fields of 0-255 **without leading
  zeros** (``010.0.0.0`` is rejected: Go >= 1.17 refuses it as ambiguous octal); IPv6 in
  every RFC 4291 form (``::`` standing for at least one zero field, 1-4 hex digits per
  field, an embedded IPv4 address as the last 32 bits, as in ``::ffff:10.0.0.1``); no zone
  (``fe80::1%eth0``);
* ``BITS`` decimal digits (leading zeros allowed, as Go's ``dtoi`` reads them) up to 32 for
  IPv4 and 128 for IPv6 (an IPv4-mapped address is IPv6: up to 128);
* host bits may be set (``10.0.0.1/24`` is the network ``10.0.0.0/24``).
"""
from __future__ import annotations

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def _ipv4(text: str) -> int | None:
    """Go's ``parseIPv4``: four decimal fields, no leading zeros, each <= 255."""
    fields = text.split(".")
    if len(fields) != 4:
        return None
    value = 0
    for f in fields:
        if not 0 < len(f) <= 3 or not _DIGITS.issuperset(f) or (len(f) > 1 and f[0] == "0"):
            return None
        n = int(f)
        if n > 255:
            return None
        value = value << 8 | n
    return value


def _fields(part: str, last: bool) -> list[int] | None:
    """16-bit groups of ``a:b:c`` (``last``: the address's final fields, which may end in
    an IPv4 address); an empty ``part`` has none."""
    if not part:
        return []
    out: list[int] = []
    fields = part.split(":")
    for i, field in enumerate(fields):
        if last and i == len(fields) - 1 and "." in field:
            v4 = _ipv4(field)
            if v4 is None:
                return None
            out += [v4 >> 16, v4 & 0xFFFF]
        elif 0 < len(field) <= 4 and _HEX.issuperset(field):
            out.append(int(field, 16))
        else:
            return None
    return out


def _ipv6(text: str) -> int | None:
    """Go's ``parseIPv6`` (no zone): hex fields, at most one ``::``, an optional trailing IPv4."""
    head, sep, tail = text.partition("::")
    if "::" in tail:
        return None
    left = _fields(head, last=not sep)
    right = _fields(tail, last=True)
    if left is None or right is None:
        return None
    if sep:
        missing = 8 - len(left) - len(right)
        if missing < 1:                  # "::" stands for at least one zero field
            return None
        groups = left + [0] * missing + right
    else:
        groups = left
    if len(groups) != 8:
        return None
    value = 0
    for g in groups:
        value = value << 16 | g
    return value


def parse_address(text: object) -> IPAddress | None:
    """An IP address as Go's ``netip.ParseAddr`` reads it (zones refused), else None."""
    if not isinstance(text, str) or not text.isascii():
        return None
    if ":" in text:
        value = _ipv6(text)
        return ipaddress.IPv6Address(value) if value is not None else None
    value = _ipv4(text)
    return ipaddress.IPv4Address(value) if value is not None else None


def parse_cidr(text: object) -> IPNetwork | None:
    """A CIDR as Go's ``net.ParseCIDR`` reads it (host bits cleared), else None."""
    if not isinstance(text, str):
        return None
    addr, slash, bits = text.partition("/")
    if not slash or not bits or not bits.isascii() or not _DIGITS.issuperset(bits) or len(bits) > 10:
        return None
    ip = parse_address(addr)
    if ip is None:
        return None
    n = int(bits)
    if n > ip.max_prefixlen:
        return None
    return ipaddress.ip_network((ip, n), strict=False)
