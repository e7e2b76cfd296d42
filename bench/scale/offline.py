"""The bench's notify services send nothing out: the generated targets are refused at once."""

from __future__ import annotations


async def documentation_address(host: str, port: int) -> list:
    """The bench's resolver for notify's webhooks: every generated name resolves to TEST-NET
    (192.0.2.1), which the outbound rules refuse at once — as they refuse the generated
    emails (a reserved domain). The figures then hold no DNS or network time: the names
    (`hooks.example.test`) would otherwise wait out the system resolver, 5 s each here."""
    import ipaddress
    return [ipaddress.ip_address("192.0.2.1")]


def offline(service):
    """A notify service whose deliveries are refused at once (see `documentation_address`)."""
    service.webhooks._resolve = documentation_address
    return service
