"""The local store runs with authentication: the session's URI carries a generated
password, and a client without it (or with a wrong one) is refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

pytestmark = pytest.mark.integration


async def test_the_local_store_refuses_clients_without_the_sessions_credentials(infra):
    if infra.choice.store != "local":
        pytest.skip("the store is not one this suite started")
    parts = urlsplit(infra.mongo_uri)
    assert parts.username == "fourx" and len(parts.password or "") >= 24
    anonymous = f"mongodb://127.0.0.1:{parts.port}/?directConnection=true"
    wrong = parts._replace(netloc=f"fourx:not-the-password@127.0.0.1:{parts.port}").geturl()
    for uri, code in ((anonymous, 13), (wrong, 18)):     # Unauthorized, AuthenticationFailed
        client = AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)
        try:
            with pytest.raises(OperationFailure) as refused:
                await client.fourx_probe.things.insert_one({"x": 1})
            assert refused.value.code == code
        finally:
            await client.close()
    client = AsyncMongoClient(infra.mongo_uri)
    try:
        await client.fourx_probe.things.insert_one({"x": 1})
        assert await client.fourx_probe.things.count_documents({}) == 1
        await client.drop_database("fourx_probe")
    finally:
        await client.close()
